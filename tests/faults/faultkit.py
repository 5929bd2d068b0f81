"""Helpers of the fault suite: Wix-shaped batches, a real ``orders-migrate`` process, and in-process runs."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT, STORES_FIXTURES, load_json
from orders_migrate.run import run_convert

TIMEOUT = 60  # seconds any one process may take before the test fails (bounds, never asserts, time)


def orders(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct orders cycling through the bundled Stores fixtures, told apart by their buyer note."""
    base = [load_json(p) for p in STORES_FIXTURES]
    out = []
    for i in range(start, start + n):
        order = copy.deepcopy(base[i % len(base)])
        order["buyerNote"] = f"order {i}"
        out.append(order)
    return out


def write_ndjson(path: Path, records: list[Any], bad_every: int = 0) -> Path:
    """NDJSON of ``records``; with ``bad_every``, every n-th line is an order that fails (no line items)."""
    lines = []
    for i, record in enumerate(records):
        lines.append(json.dumps(record))
        if bad_every and i % bad_every == bad_every - 1:
            lines.append(json.dumps({"buyerNote": f"bad {i}", "lineItems": "none"}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "orders_migrate", *args]


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command(*args),
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, **(env or {})},
    )


def convert(*files: str | Path, **options: Any) -> tuple[int, bytes, str]:
    """``run_convert`` in this process (one job, so no worker processes): exit code, stdout, stderr."""
    out, err = io.BytesIO(), io.StringIO()
    options.setdefault("jobs", 1)
    options.setdefault("report", "none")
    code = run_convert([str(f) for f in files], stdout=out, stderr=err, **options)
    return code, out.getvalue(), err.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    """Every name below ``folder``, hidden ones included: what a run left behind."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
