"""A real ``orders-migrate`` process over a batch of a few thousand records, killed with SIGKILL or
stopped with SIGTERM at a random point, then resumed: the outputs hash the same as an uninterrupted run's.
Every process is bounded by a timeout; nothing asserts how long anything took."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from faultkit import TIMEOUT, cli, command, digest, listing, orders, write_ndjson

from conftest import ROOT
from orders_migrate.batch.config import KILL_AFTER_ENV

RECORDS = 2000
OUTPUTS = ("out.ndjson", "rejects.ndjson", "reports.ndjson")


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The input (with a bad order every 97 lines) and the hashes of an uninterrupted run's outputs."""
    root = tmp_path_factory.mktemp("batch")
    src = write_ndjson(root / "in.ndjson", orders(RECORDS), bad_every=97)
    whole = root / "whole"
    whole.mkdir()
    proc = cli(*_args(src, whole), "--jobs", "2")
    assert proc.returncode == 1, proc.stderr  # the bad orders
    return src, {name: digest(whole / name) for name in OUTPUTS}


def _args(src: Path, folder: Path) -> list[str]:
    return [
        "convert",
        str(src),
        "-o",
        str(folder / "out.ndjson"),
        "--rejects",
        str(folder / "rejects.ndjson"),
        "--report-out",
        str(folder / "reports.ndjson"),
        "--report",
        "none",
        "--no-validate",
        "--chunk-size",
        "64",
        "--checkpoint-bytes",
        "0",  # a checkpoint after every chunk: the kills fall between many of them
    ]


def _resume_and_compare(src: Path, folder: Path, expected: dict[str, str]) -> str:
    resumed = cli(*_args(src, folder), "--jobs", "2", "--resume")
    err = resumed.stderr.decode()
    assert resumed.returncode == 1, err
    assert f"{RECORDS + RECORDS // 97} records in" in err  # counts span both runs
    assert {name: digest(folder / name) for name in OUTPUTS} == expected
    assert listing(folder) == sorted(OUTPUTS)  # no checkpoint, partial, lock or temporary file left
    return err


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_a_random_record_then_resume(tmp_path: Path, batch_run: tuple[Path, dict[str, str]], seed: int) -> None:
    """The run kills itself with SIGKILL right after writing record N (past its last checkpoint)."""
    src, expected = batch_run
    at = random.Random(seed).randrange(1, RECORDS)  # noqa: S311 - a seeded, repeatable kill point
    killed = cli(*_args(src, tmp_path), "--jobs", "2", env={KILL_AFTER_ENV: str(at)})
    assert killed.returncode == -signal.SIGKILL
    # A dead process's lock: the resumed run takes it over, and says so.
    pid = json.loads((tmp_path / ".out.ndjson.lock").read_bytes())["pid"]
    err = _resume_and_compare(src, tmp_path, expected)
    assert f"orders-migrate: took over {tmp_path / '.out.ndjson.lock'}: pid {pid} " in err


def _signal_part_way(src: Path, folder: Path, signum: int, seed: int) -> subprocess.Popen[bytes]:
    """Start a run; once its checkpoint has passed a random offset of the input, send ``signum``."""
    threshold = random.Random(seed).randrange(src.stat().st_size // 10, src.stat().st_size // 2)  # noqa: S311
    checkpoint = folder / ".out.ndjson.checkpoint"
    proc = subprocess.Popen(command(*_args(src, folder), "--jobs", "2"), cwd=ROOT, stderr=subprocess.PIPE)
    try:
        for _ in range(TIMEOUT * 500):
            assert proc.poll() is None, "the run ended before it could be stopped"
            try:
                position = json.loads(checkpoint.read_bytes())["position"]
            except (OSError, ValueError):
                position = [0, 0]
            if position[0] > 0 or position[1] >= threshold:
                break
            time.sleep(0.002)
        proc.send_signal(signum)
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    return proc


@pytest.mark.parametrize("seed", [4])
def test_sigkill_from_outside_then_resume(tmp_path: Path, batch_run: tuple[Path, dict[str, str]], seed: int) -> None:
    src, expected = batch_run
    proc = _signal_part_way(src, tmp_path, signal.SIGKILL, seed)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "out.ndjson").exists()  # never a half-written output under its final name
    _resume_and_compare(src, tmp_path, expected)


def test_sigterm_then_resume(tmp_path: Path, batch_run: tuple[Path, dict[str, str]]) -> None:
    src, expected = batch_run
    proc = _signal_part_way(src, tmp_path, signal.SIGTERM, 6)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert proc.returncode == 143, err
    assert "\norders-migrate: terminated (the partial files and checkpoint are kept: run it again with --resume" in err
    assert "Traceback" not in err
    assert not (tmp_path / ".out.ndjson.lock").exists()  # freed on the way out, unlike after SIGKILL
    assert os.path.exists(tmp_path / ".out.ndjson.checkpoint")
    _resume_and_compare(src, tmp_path, expected)
