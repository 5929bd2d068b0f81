"""mappings.yaml ships inside the wheel, so a non-editable install has its rules."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_contains_the_mapping_table(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    (wheel,) = tmp_path.glob("orders_migrate-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("orders_migrate/mappings.yaml")
    assert shipped == (ROOT / "mappings.yaml").read_bytes()
