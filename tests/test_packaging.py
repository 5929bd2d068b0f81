"""The wheel carries the rules and the license; the versions that shape the output are bounded and locked."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel as pip builds it from this checkout (offline: --no-build-isolation)."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    (built,) = out.glob("orders_migrate-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_contains_the_mapping_table(wheel: zipfile.ZipFile) -> None:
    assert wheel.read("orders_migrate/mappings.yaml") == (ROOT / "mappings.yaml").read_bytes()


def test_wheel_carries_the_recorded_schemas_and_the_sources_they_are_keyed_by(wheel: zipfile.ZipFile) -> None:
    # Without them an installed check would build the models at every start (models/recorded.py).
    from orders_migrate.models.recorded import RECORD, SOURCES

    assert wheel.read("orders_migrate/models/recorded_schemas.json") == RECORD.read_bytes()
    for name in SOURCES:
        assert wheel.read(f"orders_migrate/models/{name}") == RECORD.with_name(name).read_bytes()


def test_wheel_carries_the_license(wheel: zipfile.ZipFile) -> None:
    licenses = [n for n in wheel.namelist() if n.endswith("/LICENSE")]
    assert licenses and wheel.read(licenses[0]) == (ROOT / "LICENSE").read_bytes()


# ---- the versions that shape the output are bounded, locked and checked at both ends ------------------


def _requirements(extra: str | None = None) -> list[Requirement]:
    """The installed project's own requirements (pyproject.toml as installed), runtime or one extra's."""
    reqs = [Requirement(r) for r in metadata.requires("orders-migrate") or []]
    if extra is None:
        return [r for r in reqs if r.marker is None]
    return [r for r in reqs if r.marker is not None and r.marker.evaluate({"extra": extra})]


def _pins(path: Path) -> dict[str, Version]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def test_the_lock_satisfies_every_bound_of_pyproject() -> None:
    lock = _pins(ROOT / "constraints.txt")
    for req in _requirements() + _requirements("test") + _requirements("dask") + _requirements("sql"):
        name = canonicalize_name(req.name)
        if name == "orders-migrate":
            continue
        assert name in lock, f"constraints.txt does not pin {name}"
        assert req.specifier.contains(lock[name]), f"constraints.txt pins {name} {lock[name]}, outside {req.specifier}"


def test_data_packages_are_pinned_exactly() -> None:
    """Babel's CLDR data and pycountry's ISO data write the output: one version each, no range."""
    deps = {canonicalize_name(r.name): r for r in _requirements()}
    for name in ("babel", "pycountry"):
        (spec,) = deps[name].specifier
        assert spec.operator == "==", name


def test_ci_checks_the_lower_bound_of_every_dependency() -> None:
    """.ci/reproducible installs .ci/oldest.txt: it must name each dependency at its lowest allowed version."""
    oldest = _pins(ROOT / ".ci" / "oldest.txt")
    for req in _requirements():
        lower = [Version(s.version) for s in req.specifier if s.operator in (">=", "==")]
        assert lower, f"{req.name} has no lower bound"
        assert oldest[canonicalize_name(req.name)] == max(lower), req.name
