"""Two runs never write one output: a lock beside each output, held for the run, refused to a second run,
taken over from a dead process, and removed at the end whatever the end is."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultkit import TIMEOUT, cli, command, convert, listing, orders, write_ndjson

from conftest import ROOT
from orders_migrate import sinks
from orders_migrate.batch.chunks import Result
from orders_migrate.batch.outputs import Outputs


def _lock(path: Path, pid: int, host: str | None = None, **extra: object) -> Path:
    doc = {"pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00+00:00", **extra}
    path.write_text(json.dumps(doc))
    return path


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True, timeout=TIMEOUT
    )
    return int(proc.stdout)


def _expected(src: Path, tmp_path: Path) -> bytes:
    ref = tmp_path / "reference"
    code, _, err = convert(src, output=str(ref / "out.ndjson"))
    assert code == 0, err
    return (ref / "out.ndjson").read_bytes()


def test_a_live_lock_refuses_a_second_run(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    out = tmp_path / "out" / "out.ndjson"
    out.parent.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = _lock(out.parent / ".out.ndjson.lock", holder.pid)
        code, _, err = convert(src, output=str(out))
    finally:
        holder.kill()
        holder.wait(timeout=TIMEOUT)
    assert code == 2
    assert str(lock) in err and f"pid {holder.pid}" in err and err.count("\n") == 1
    assert listing(out.parent) == [".out.ndjson.lock"]  # nothing written, the other run's lock left alone
    assert json.loads(lock.read_text())["pid"] == holder.pid


@pytest.mark.parametrize("option", ["rejects", "report_out"])
def test_every_output_is_locked(tmp_path: Path, option: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    _lock(tmp_path / ".side.ndjson.lock", os.getppid())  # a live process: our parent
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"), **{option: str(tmp_path / "side.ndjson")})
    assert code == 2
    assert f"pid {os.getppid()}" in err
    assert not (tmp_path / "out.ndjson").exists() and not (tmp_path / ".out.ndjson.lock").exists()


def test_a_lock_from_another_host_is_not_taken_over(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    _lock(tmp_path / ".out.ndjson.lock", _dead_pid(), host="elsewhere.example")
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"))
    assert code == 2
    assert "on elsewhere.example" in err


@pytest.mark.parametrize("who", ["a dead process", "a reused pid", "our own pid, not held by us", "a zombie"])
def test_a_stale_lock_is_taken_over_with_a_note(tmp_path: Path, who: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    out = tmp_path / "out.ndjson"
    zombie = None
    if who == "a dead process":
        _lock(tmp_path / ".out.ndjson.lock", _dead_pid())
    elif who == "a reused pid":  # our parent is alive, but it started at another time than the lock says
        _lock(tmp_path / ".out.ndjson.lock", os.getppid(), pid_start=-1)
    elif who == "our own pid, not held by us":  # a container restarted: same pid, same host name
        _lock(tmp_path / ".out.ndjson.lock", os.getpid())
    else:
        zombie = subprocess.Popen([sys.executable, "-c", "pass"])
        os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # finished, not reaped
        _lock(tmp_path / ".out.ndjson.lock", zombie.pid)
    code, _, err = convert(src, output=str(out))
    if zombie is not None:
        zombie.wait(timeout=TIMEOUT)
    assert code == 0, err
    assert f"orders-migrate: took over {tmp_path / '.out.ndjson.lock'}: pid" in err
    assert "is no longer running" in err
    assert out.read_bytes() == _expected(src, tmp_path)
    assert listing(tmp_path) == ["in.ndjson", "out.ndjson", "reference", "reference/out.ndjson"]


def test_the_lock_is_held_during_the_run_and_removed_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(6))
    out = tmp_path / "out.ndjson"
    seen: list[dict[str, object]] = []
    take = Outputs.take

    def spy(self: Outputs, result: Result) -> None:
        seen.append(json.loads((tmp_path / ".out.ndjson.lock").read_text()))
        take(self, result)

    monkeypatch.setattr(Outputs, "take", spy)
    code, _, err = convert(src, output=str(out), chunk_records=2)
    assert code == 0, err
    assert seen and all(s["pid"] == os.getpid() and s["host"] == socket.gethostname() for s in seen)
    assert not (tmp_path / ".out.ndjson.lock").exists()


@pytest.mark.parametrize("fault", ["write error", "interrupt", "usage error on resume"])
def test_the_lock_is_removed_however_the_run_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(8))
    out = tmp_path / "out.ndjson"
    if fault == "usage error on resume":
        code, _, _ = convert(src, output=str(out), chunk_records=2, resume=True)  # nothing to resume: starts afresh
        assert code == 0
        (tmp_path / ".out.ndjson.checkpoint").write_text('{"version": 2, "fingerprint": "another command"}')
        expected = 2
    else:
        calls = {"n": 0}
        add = sinks.FileSink.add

        def failing_add(self: sinks.FileSink, item: bytes) -> None:
            calls["n"] += 1
            if calls["n"] == 5:
                if fault == "interrupt":
                    raise KeyboardInterrupt
                raise sinks.WriteError(self.target, OSError(28, "No space left on device"))
            add(self, item)

        monkeypatch.setattr(sinks.FileSink, "add", failing_add)
        expected = 130 if fault == "interrupt" else 1
    # A checkpoint after every chunk: a write error commits none of its own (an interrupt does).
    code, _, err = convert(src, output=str(out), chunk_records=2, checkpoint_bytes=0, resume=fault.endswith("resume"))
    assert code == expected, err
    assert not (tmp_path / ".out.ndjson.lock").exists()
    if fault != "usage error on resume":
        # Four orders were committed before the fault: the checkpoint and partial file stay for --resume.
        assert "run it again with --resume" in err
        monkeypatch.undo()
        code, _, err = convert(src, output=str(out), chunk_records=2, resume=True)
        assert code == 0, err
        assert out.read_bytes() == _expected(src, tmp_path)
        assert listing(tmp_path) == ["in.ndjson", "out.ndjson", "reference", "reference/out.ndjson"]


# ---- real processes ---------------------------------------------------------------------------------


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until ``path`` exists (bounded: the process must not have ended first)."""
    for _ in range(TIMEOUT * 200):
        if path.exists():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    raise AssertionError(f"{path} never appeared")


def test_two_overlapping_runs_the_second_is_refused_and_the_first_keeps_its_output(tmp_path: Path) -> None:
    """The first run reads a pipe, so it is certainly still running, lock held, when the second starts."""
    fifo = tmp_path / "live.ndjson"
    os.mkfifo(fifo)
    other = write_ndjson(tmp_path / "other.ndjson", orders(5, start=100))
    out = tmp_path / "out" / "out.ndjson"
    first = subprocess.Popen(command("convert", str(fifo), "-o", str(out), "--report", "none"), cwd=ROOT, stderr=subprocess.PIPE)
    try:
        lock = out.parent / ".out.ndjson.lock"
        with open(fifo, "wb") as feed:  # blocks until the first run opens its input
            _wait_for(lock, first)
            second = cli("convert", str(other), "-o", str(out), "--report", "none")
            assert second.returncode == 2
            err = second.stderr.decode()
            assert str(lock) in err and f"pid {first.pid}" in err and "Traceback" not in err
            assert json.loads(lock.read_text())["pid"] == first.pid  # the second run left the lock alone
            for line in write_ndjson(tmp_path / "first.ndjson", orders(20)).read_bytes().splitlines(keepends=True):
                feed.write(line)
        _, first_err = first.communicate(timeout=TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=TIMEOUT)
    assert first.returncode == 0, first_err
    notes = [json.loads(line)["buyerNote"] for line in out.read_bytes().splitlines()]
    assert notes == [f"order {i}" for i in range(20)]  # its own records, none of the second run's
    assert listing(out.parent) == ["out.ndjson"]


def test_sigterm_ends_a_run_cleanly(tmp_path: Path) -> None:
    """SIGTERM (a scheduler stopping the job) frees the lock, leaves no traceback, says it was terminated."""
    fifo = tmp_path / "live.ndjson"
    os.mkfifo(fifo)
    out = tmp_path / "out" / "out.ndjson"
    proc = subprocess.Popen(
        command("convert", str(fifo), "-o", str(out), "--rejects", str(tmp_path / "out" / "rejects.ndjson")),
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    try:
        with open(fifo, "wb") as feed:
            _wait_for(out.parent / ".out.ndjson.lock", proc)
            feed.write(write_ndjson(tmp_path / "some.ndjson", orders(3)).read_bytes())
            feed.flush()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    assert proc.returncode == 143, err
    assert b"orders-migrate: terminated" in err and b"Traceback" not in err
    assert not list(out.parent.glob(".*.lock"))


def test_a_run_never_renames_a_partial_file_it_did_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence if the lock is bypassed (removed by hand): exit 0 means our own output."""
    src = write_ndjson(tmp_path / "in.ndjson", orders(4))
    out = tmp_path / "out.ndjson"
    take = Outputs.take

    def intruder(self: Outputs, result: Result) -> None:
        take(self, result)
        if self.written == 3:
            foreign = tmp_path / "foreign"
            foreign.write_text('{"buyerNote": "another run"}\n')
            foreign.replace(tmp_path / ".out.ndjson.partial")

    monkeypatch.setattr(Outputs, "take", intruder)
    code, _, err = convert(src, output=str(out))
    assert code == 1
    assert f"orders-migrate: {out}: .out.ndjson.partial was replaced by another process; nothing was renamed" in err
    assert not out.exists()
