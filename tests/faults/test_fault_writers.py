"""Every writer survives the OS saying no: a full disk, a path that cannot be a file, a closed pipe. The
message names the file and the cause (``orders-migrate: FILE: cause``), there is no traceback, and nothing
half-written is left, except the partial files a checkpoint covers, which the message says --resume uses.
Also: a missing input is a usage error, devices stay devices, and any file name works."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from faultkit import TIMEOUT, cli, command, convert, listing, orders, write_ndjson

from conftest import ROOT
from orders_migrate import sinks
from orders_migrate.batch import checkpoint
from orders_migrate.run import run_query

QUERY = b'{"query": {"filter": "{\\"paymentStatus\\": \\"PAID\\"}"}}\n'


def _device(folder: Path, name: str) -> str:
    """A private copy of /dev/null or /dev/full (Linux's 1:3 and 1:7), so a writer that wrongly replaces
    its target with a regular file breaks this test, not the machine's /dev (tests run as root)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, {"null": 3, "full": 7}[name]))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc.strerror}")
    return str(path)


def _is_device(path: str) -> bool:
    return stat.S_ISCHR(os.stat(path).st_mode)


# ---- a full disk ------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["-o", "--rejects", "--report-out"])
def test_dev_full_names_the_file_and_stays_a_device(tmp_path: Path, option: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3), bad_every=2)
    (tmp_path / "dev").mkdir()
    full = _device(tmp_path / "dev", "full")
    extra = [] if option == "-o" else ["-o", str(tmp_path / "out.ndjson")]
    proc = cli("convert", str(src), option, full, *extra, "--report", "none")
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert f"orders-migrate: {full}: No space left on device\n" in err
    assert "Traceback" not in err
    assert _is_device(full)  # never replaced by a renamed regular file
    assert listing(tmp_path / "dev") == ["full"]  # no partial, checkpoint or lock beside a device


def test_stdout_on_a_full_disk_is_named(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    with open(_device(tmp_path, "full"), "wb") as full:
        proc = subprocess.run(
            command("convert", str(src), "--report", "none"),
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=TIMEOUT,
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stderr.decode() == "orders-migrate: <stdout>: No space left on device\n"


def test_query_to_dev_full(tmp_path: Path) -> None:
    full = _device(tmp_path, "full")
    err = io.StringIO()
    assert run_query(str(write_query(tmp_path)), full, report="none", stderr=err) == 1
    assert err.getvalue() == f"orders-migrate: {full}: No space left on device\n"
    assert _is_device(full)


@pytest.mark.parametrize("option", ["output", "rejects", "report_out"])
def test_dev_null_stays_a_device(tmp_path: Path, option: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(3), bad_every=2)
    null = _device(tmp_path, "null")
    options = {option: null} if option == "output" else {"output": str(tmp_path / "out.ndjson"), option: null}
    code, _, err = convert(src, **options)
    assert code == 1, err
    assert _is_device(null)
    assert listing(tmp_path) == ["in.ndjson", "null"] + ([] if option == "output" else ["out.ndjson"])
    assert run_query(str(write_query(tmp_path)), null, report="none", stderr=io.StringIO()) == 0
    assert _is_device(null)


def write_query(tmp_path: Path) -> Path:
    path = tmp_path / "saved.json"
    path.write_bytes(QUERY)
    return path


class FullDisk:
    """A file whose writes fail with ENOSPC once ``budget`` bytes have been written."""

    def __init__(self, f: Any, budget: list[int]):
        self.f, self.budget = f, budget

    def write(self, data: bytes) -> int:
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return int(self.f.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.f, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def _fill_disk(monkeypatch: pytest.MonkeyPatch, module: Any, budget: int, only: str = "") -> None:
    left = [budget]

    def full_open(name: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        f = open(name, mode, *args, **kwargs)  # noqa: SIM115 - handed to the code under test
        writing = any(c in mode for c in "wxa+")  # "x": a file made only if none has its name
        return FullDisk(f, left) if writing and only in str(name) else f

    monkeypatch.setattr(module, "open", full_open, raising=False)


@pytest.mark.parametrize("budget", [0, 25_000])
def test_enospc_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(12), bad_every=4)
    out, rejects = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    code, _, _ = convert(src, output=str(tmp_path / "whole" / "out.ndjson"), rejects=str(tmp_path / "whole" / "rejects.ndjson"))
    assert code == 1
    _fill_disk(monkeypatch, sinks, budget, only="out.ndjson")
    # A checkpoint after every chunk, so one stands when the disk fills (a write error commits none).
    code, _, err = convert(src, output=str(out), rejects=str(rejects), chunk_records=3, checkpoint_bytes=0)
    monkeypatch.undo()
    assert code == 1
    last = err.splitlines()[-1]
    assert "Traceback" not in err
    if budget == 0:  # the first write failed: nothing committed, nothing left
        assert last == f"orders-migrate: {out}: No space left on device"
        assert listing(tmp_path) == sorted(["in.ndjson", "whole", "whole/out.ndjson", "whole/rejects.ndjson"])
        return
    # Some chunks were committed: the partial files stay, the message says --resume continues.
    assert last == (
        f"orders-migrate: {out}: No space left on device "
        "(the partial files and checkpoint are kept: run it again with --resume to continue)"
    )
    assert ".out.ndjson.lock" not in listing(tmp_path)
    code, _, err = convert(src, output=str(out), rejects=str(rejects), chunk_records=3, resume=True)
    assert code == 1, err
    assert out.read_bytes() == (tmp_path / "whole" / "out.ndjson").read_bytes()
    assert rejects.read_bytes() == (tmp_path / "whole" / "rejects.ndjson").read_bytes()
    assert sorted(p for p in listing(tmp_path) if "/" not in p) == ["in.ndjson", "out.ndjson", "rejects.ndjson", "whole"]


def test_enospc_on_the_checkpoint_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(6))
    _fill_disk(monkeypatch, checkpoint, 0)
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"), chunk_records=2)
    assert code == 1
    assert err == f"orders-migrate: {tmp_path / '.out.ndjson.checkpoint'}: No space left on device\n"
    assert listing(tmp_path) == ["in.ndjson"]


# ---- paths that cannot be written -------------------------------------------------------------------


@pytest.mark.parametrize("option", ["output", "rejects", "report_out"])
def test_an_output_under_a_regular_file(tmp_path: Path, option: str) -> None:
    """Tests run as root, who may write anywhere: a path below a regular file fails for anyone (ENOTDIR)."""
    src = write_ndjson(tmp_path / "in.ndjson", orders(3))
    (tmp_path / "file").write_text("a file, not a folder\n")
    target = tmp_path / "file" / "out.ndjson"
    options = {option: str(target)}
    if option != "output":
        options["output"] = str(tmp_path / "out.ndjson")
    code, _, err = convert(src, **options)
    assert code == 1
    assert err == f"orders-migrate: {target}: Not a directory\n"
    assert listing(tmp_path) == ["file", "in.ndjson"]


def test_an_output_folder_under_a_regular_file(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in" / "a.ndjson", orders(2)).parent
    (tmp_path / "file").write_text("x")
    code, _, err = convert(src, output=f"{tmp_path / 'file' / 'out'}/")
    assert code == 1
    assert err == f"orders-migrate: {tmp_path / 'file' / 'out'}: Not a directory\n"


def test_query_to_a_path_that_cannot_be_written(tmp_path: Path) -> None:
    src = write_query(tmp_path)
    (tmp_path / "file").write_text("x")
    err = io.StringIO()
    assert run_query(str(src), str(tmp_path / "file" / "search.json"), report="none", stderr=err) == 1
    assert err.getvalue() == f"orders-migrate: {tmp_path / 'file' / 'search.json'}: Not a directory\n"
    (tmp_path / "dir").mkdir()
    err = io.StringIO()
    assert run_query(str(src), str(tmp_path / "dir"), report="none", stderr=err) == 2
    assert err.getvalue() == f"orders-migrate: -o {tmp_path / 'dir'} is a folder, not a file\n"
    assert sorted(listing(tmp_path)) == ["dir", "file", "saved.json"]


def test_query_write_errors_leave_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orders_migrate import outfiles

    src = write_query(tmp_path)
    _fill_disk(monkeypatch, outfiles, 10)
    err = io.StringIO()
    assert run_query(str(src), str(tmp_path / "search.json"), report="none", stderr=err) == 1
    assert err.getvalue() == f"orders-migrate: {tmp_path / 'search.json'}: No space left on device\n"
    assert listing(tmp_path) == ["saved.json"]


# ---- a closed pipe ----------------------------------------------------------------------------------


def _closed_pipe() -> int:
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("args", [["convert", "{src}", "--report", "none"], ["query", "{query}", "--report", "none"]])
def test_a_closed_stdout_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(300))
    query = write_query(tmp_path)
    write = _closed_pipe()
    try:
        argv = [a.format(src=src, query=query) for a in args]
        proc = subprocess.run(command(*argv), stdout=write, stderr=subprocess.PIPE, cwd=ROOT, timeout=TIMEOUT, check=False)
    finally:
        os.close(write)
    assert proc.returncode in (0, 141)
    assert proc.stderr == b""


def test_head_reads_a_little_and_goes_away(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(400))  # far more than a pipe holds
    proc = subprocess.Popen(
        command("convert", str(src), "--report", "none", "--jobs", "2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read()
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    assert json.loads(first)["buyerNote"] == "order 0"
    assert proc.returncode in (0, 141)
    assert err == b""


# ---- inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("files", [["nope.ndjson"], ["in.ndjson", "nope.ndjson"], ["no-match-*.ndjson"]])
def test_a_missing_input_is_a_usage_error_before_anything_is_written(tmp_path: Path, files: list[str]) -> None:
    write_ndjson(tmp_path / "in.ndjson", orders(2))
    code, out, err = convert(*(tmp_path / f for f in files), output=str(tmp_path / "out.ndjson"))
    assert code == 2
    what = "no file matches" if "*" in files[-1] else "no such file"
    assert err == f"orders-migrate: {tmp_path / files[-1]}: {what}\n"
    assert listing(tmp_path) == ["in.ndjson"]


ODD_NAMES = ["sp ace.ndjson", "ünïcødé.ndjson", "-starts-with-dash.ndjson", "new\nline.ndjson", "quote\"and'.json"]


def test_a_folder_of_unusual_file_names(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    names = [*ODD_NAMES, os.fsdecode(b"not-utf8-\xff.ndjson")]
    for i, name in enumerate(names):
        if name.endswith(".json"):
            (src / name).write_text(json.dumps({"orders": [*orders(1, start=i), {"lineItems": "none"}]}))
        else:
            write_ndjson(src / name, orders(2, start=i), bad_every=1)
    rejects = tmp_path / "rejects.ndjson"
    proc = cli("convert", str(src), "-o", f"{tmp_path / 'out'}/", "--rejects", str(rejects), "--report", "none")
    err = proc.stderr.decode("utf-8", "backslashreplace")
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert sorted(os.listdir(tmp_path / "out")) == sorted(names)  # the same names, byte for byte
    sources = {json.loads(line)["source"] for line in rejects.read_bytes().splitlines()}
    assert sources == {str(src / n) for n in ODD_NAMES} | {f"{src}/not-utf8-\\xff.ndjson"}
    assert f"{src}/not-utf8-\\xff.ndjson:2::$.lineItems: expected an array" in err


def test_a_file_named_like_an_option(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "-o.ndjson", orders(2))
    proc = subprocess.run(
        command("convert", "--report", "none", "--", "-o.ndjson"), capture_output=True, cwd=tmp_path, timeout=TIMEOUT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2


# ---- what a rewrite keeps ---------------------------------------------------------------------------


def test_an_output_keeps_its_mode_and_its_symlink(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(2))
    real = tmp_path / "data" / "out.ndjson"
    real.parent.mkdir()
    real.write_text("an earlier run\n")
    real.chmod(0o640)
    link = tmp_path / "out.ndjson"
    link.symlink_to(real)
    code, _, err = convert(src, output=str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert len(real.read_bytes().splitlines()) == 2
    assert listing(tmp_path) == ["data", "data/out.ndjson", "in.ndjson", "out.ndjson"]
    query_out = tmp_path / "search.json"
    query_out.write_text("{}")
    query_out.chmod(0o600)
    assert run_query(str(write_query(tmp_path)), str(query_out), report="none", stderr=io.StringIO()) == 0
    assert stat.S_IMODE(query_out.stat().st_mode) == 0o600
    assert json.loads(query_out.read_bytes())["search"]
