"""Batch runs at scale: streaming, workers in order, rejects, checkpoints and resume, progress and summary."""

from __future__ import annotations

import copy
import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import FIXTURES, ROOT, STORES_FIXTURES, load_json
from orders_migrate import convert_many, convert_order, default_plan
from orders_migrate.batch import checkpoint
from orders_migrate.batch.checkpoint import Cadence, Checkpoint, Mark
from orders_migrate.batch.chunks import Result
from orders_migrate.batch.config import CHECKPOINT_BYTES, CHUNK_BYTES, KILL_AFTER_ENV
from orders_migrate.batch.outputs import Outputs
from orders_migrate.progress import QuietProgress, Stats, make_progress, print_summary, report_plain
from orders_migrate.render import report_text
from orders_migrate.report import Entry, Report
from orders_migrate.run import run_convert
from orders_migrate.terminal import RichProgress


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def orders(n: int) -> list[dict[str, Any]]:
    """``n`` distinct orders, cycling through every bundled Stores fixture (both dialects)."""
    base = [load_json(p) for p in STORES_FIXTURES]
    out = []
    for i in range(n):
        order = copy.deepcopy(base[i % len(base)])
        order["buyerNote"] = f"order {i}"  # tells the records apart in the output
        out.append(order)
    return out


def write_ndjson(path: Path, records: list[Any], bad: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r) for r in records]
    for at, text in sorted((bad or {}).items()):
        lines.insert(at, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def notes(ndjson: bytes) -> list[str]:
    return [json.loads(line).get("buyerNote", "") for line in ndjson.splitlines()]


# ---- library ------------------------------------------------------------------------------------------


def test_convert_many_is_lazy() -> None:
    pulled: list[int] = []

    def source() -> Iterator[dict[str, Any]]:
        for i, order in enumerate(orders(5)):
            pulled.append(i)
            yield order

    results = convert_many(source())
    assert pulled == []
    first = next(results)
    assert pulled == [0]
    assert not isinstance(first, Exception) and first.order["buyerNote"] == "order 0"


def test_the_plan_is_built_once_and_threads_share_it() -> None:
    assert default_plan() is default_plan()
    batch = orders(60)

    def dump(order: dict[str, Any]) -> bytes:
        result = convert_order(copy.deepcopy(order), validate=True)
        return orjson.dumps([result.order, result.report.to_dict()], default=str)

    sequential = [dump(o) for o in batch]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(dump, batch))
    assert threaded == sequential


def test_plain_batch_report_matches_the_reporter_off_a_terminal() -> None:
    # Workers render reports without a rich Console; the text must stay what report_text prints.
    for path in STORES_FIXTURES:
        report = convert_order(load_json(path), source=path.name).report
        stream = io.StringIO()
        report_text([report], stream)
        assert report_plain(report) == stream.getvalue(), path.name


# ---- rejects --------------------------------------------------------------------------------------------


def test_rejects_file_names_file_line_path_and_the_record(tmp_path: Path) -> None:
    good = orders(4)
    bad_order = {"currency": "USD", "lineItems": [{"index": 1, "quantity": "two"}]}
    query_line = json.dumps({"orders": [good[0], {"lineItems": []}]})
    src = write_ndjson(tmp_path / "in.ndjson", good, bad={1: "not json", 3: json.dumps(bad_order), 5: query_line})
    out, rejects = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    proc = cli("convert", str(src), "-o", str(out), "--rejects", str(rejects), "--report", "none", "--jobs", "1")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert f"{src}:4::$.lineItems[0].quantity: expected an integer, got 'two'" in err  # the old stderr lines stay
    assert "8 records in, 5 converted, 3 rejected" in err  # the closing line
    lines = [json.loads(line) for line in rejects.read_bytes().splitlines()]
    assert [(r["source"], r["line"], r["path"]) for r in lines] == [
        (str(src), 2, "$"),
        (str(src), 4, "$"),
        (str(src), 6, "$.orders[1]"),
    ]
    assert lines[0]["raw"] == "not json" and "not valid JSON" in lines[0]["errors"][0]["message"]
    assert lines[1]["record"] == bad_order
    assert {"path": "$.lineItems[0].quantity", "message": "expected an integer, got 'two'"} in lines[1]["errors"]
    assert lines[2]["record"] == {"lineItems": []}
    assert lines[2]["errors"][0]["path"].startswith("$.orders[1]")
    assert len(out.read_bytes().splitlines()) == 5


def test_a_rejected_velo_record_keeps_its_numbers_digit_for_digit(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text('[{"_id": "x", "totals": {"total": 10.10}, "lineItems": [{"index": 1, "quantity": "two"}]}]')
    rejects = tmp_path / "rejects.ndjson"
    proc = cli("convert", str(src), "--rejects", str(rejects), "--report", "none")
    assert proc.returncode == 1
    assert b'"total":10.10' in rejects.read_bytes()


# ---- parallel workers -----------------------------------------------------------------------------


def test_jobs_2_keeps_the_input_order(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(45), bad={7: "{broken"})
    runs = {}
    for jobs in ("1", "2"):
        out, rejects = tmp_path / f"out{jobs}.ndjson", tmp_path / f"rejects{jobs}.ndjson"
        args = ("convert", str(src), "-o", str(out), "--rejects", str(rejects), "--report-out", str(tmp_path / f"r{jobs}"))
        proc = cli(*args, "--jobs", jobs, "--chunk-size", "2", "--report", "none")
        assert proc.returncode == 1, proc.stderr
        runs[jobs] = (out.read_bytes(), rejects.read_bytes(), (tmp_path / f"r{jobs}").read_bytes())
    assert runs["1"] == runs["2"]
    assert notes(runs["2"][0]) == [f"order {i}" for i in range(45)]
    assert len(runs["2"][2].splitlines()) == 45  # --report-out: one report per line


def test_ndjson_streams_from_stdin_before_the_input_ends() -> None:
    lines = [json.dumps(o).encode() + b"\n" for o in orders(3)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orders_migrate",
            "convert",
            "-",
            "--format",
            "ndjson",
            "--report",
            "none",
            "--chunk-size",
            "1",
            "--jobs",
            "1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()) if proc.stdout else None)
    reader.start()
    proc.stdin.write(b"".join(lines))
    proc.stdin.flush()
    reader.join(timeout=60)  # stdin is still open: only a streaming reader can have answered
    try:
        assert first and json.loads(first[0])["buyerNote"] == "order 0"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
        proc.stdout.close()


# ---- resume -----------------------------------------------------------------------------------------


def test_resume_after_sigkill_gives_the_bytes_of_an_uninterrupted_run(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(40), bad={9: "not json", 30: '{"lineItems": "none"}'})

    def args(name: str) -> list[str]:
        d = tmp_path / name
        return ["convert", str(src), "-o", str(d / "out.ndjson"), "--rejects", str(d / "rejects.ndjson")] + [
            "--report-out",
            str(d / "reports.ndjson"),
            "--report",
            "none",
            "--chunk-size",
            "4",
            "--checkpoint-bytes",
            "0",
        ]

    (tmp_path / "whole").mkdir()
    (tmp_path / "killed").mkdir()
    assert cli(*args("whole"), "--jobs", "1").returncode == 1

    # Killed after writing 23 orders: 20 are behind the last checkpoint, 3 more are half a chunk past it.
    killed = cli(*args("killed"), "--jobs", "2", env={KILL_AFTER_ENV: "23"})
    assert killed.returncode == -signal.SIGKILL
    names = sorted(p.name for p in (tmp_path / "killed").iterdir())
    assert ".out.ndjson.checkpoint" in names and ".out.ndjson.partial" in names and "out.ndjson" not in names
    checkpoint = json.loads((tmp_path / "killed" / ".out.ndjson.checkpoint").read_bytes())
    partial = (tmp_path / "killed" / ".out.ndjson.partial").stat().st_size
    assert checkpoint["sinks"]["output"]["size"] < partial  # data past the checkpoint, to be cut off

    resumed = cli(*args("killed"), "--jobs", "1", "--resume")
    assert resumed.returncode == 1, resumed.stderr
    assert "42 records in, 40 converted, 2 rejected" in resumed.stderr.decode()  # counts span both runs
    for name in ("out.ndjson", "rejects.ndjson", "reports.ndjson"):
        assert (tmp_path / "killed" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "killed").iterdir()) == ["out.ndjson", "rejects.ndjson", "reports.ndjson"]


def test_resume_an_output_folder(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    write_ndjson(inputs / "a.ndjson", orders(9))
    (inputs / "sub" / "b.json").write_text(json.dumps({"orders": orders(5)}))
    (inputs / "c.json").write_text(json.dumps(orders(1)[0]))
    common = ["--report", "none", "--chunk-size", "3", "--checkpoint-bytes", "0"]
    assert cli("convert", str(inputs), "-o", f"{tmp_path / 'whole'}/", *common).returncode == 0
    killed = cli("convert", str(inputs), "-o", f"{tmp_path / 'out'}/", *common, env={KILL_AFTER_ENV: "11"})
    assert killed.returncode == -signal.SIGKILL
    assert cli("convert", str(inputs), "-o", f"{tmp_path / 'out'}/", *common, "--resume").returncode == 0

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    whole = tree(tmp_path / "whole")
    assert sorted(whole) == ["a.ndjson", "c.json", "sub/b.json"]
    assert tree(tmp_path / "out") == whole
    assert json.loads(whole["c.json"])["buyerNote"] == "order 0"  # one order: one indented document
    assert [o["buyerNote"] for o in json.loads(whole["sub/b.json"])] == [f"order {i}" for i in range(5)]


def test_dash_as_the_output_is_stdout(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(2))
    proc = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "convert", str(src), "-o", "-", "--report", "none"],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["buyerNote"] for line in proc.stdout.splitlines()] == ["order 0", "order 1"]
    assert not (tmp_path / "-").exists()  # not a file named "-" (a newcomer's finding)


def test_resume_with_nothing_to_resume_says_so(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(2))
    proc = cli("convert", str(src), "-o", str(tmp_path / "out.ndjson"), "--resume", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to resume" in proc.stderr.decode() and "starting afresh" in proc.stderr.decode()


def test_resume_refuses_a_different_command(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(6))
    out = tmp_path / "out.ndjson"
    killed = cli("convert", str(src), "-o", str(out), "--chunk-size", "2", "--checkpoint-bytes", "0", env={KILL_AFTER_ENV: "3"})
    assert killed.returncode == -signal.SIGKILL
    proc = cli("convert", str(src), "-o", str(out), "--locale", "de_DE", "--resume")
    assert proc.returncode == 2
    assert "different command (--locale differs)" in proc.stderr.decode()  # it names what differs
    assert cli("convert", str(src), "--resume").returncode == 2  # nothing to resume on stdout


def test_resume_refuses_a_checkpoint_written_under_other_data_versions(tmp_path: Path) -> None:
    """Another Babel (CLDR) formats amounts otherwise: the resumed half would not match the first."""
    src = write_ndjson(tmp_path / "in.ndjson", orders(6))
    out = tmp_path / "out.ndjson"
    killed = cli("convert", str(src), "-o", str(out), "--chunk-size", "2", "--checkpoint-bytes", "0", env={KILL_AFTER_ENV: "3"})
    assert killed.returncode == -signal.SIGKILL
    checkpoint = tmp_path / ".out.ndjson.checkpoint"
    state = json.loads(checkpoint.read_bytes())
    assert state["versions"]["babel"] == "2.19.0" and state["versions"]["mappings"].startswith("sha256:")
    state["versions"]["cldr"] = "48"
    checkpoint.write_text(json.dumps(state))
    proc = cli("convert", str(src), "-o", str(out), "--chunk-size", "2", "--resume")
    assert proc.returncode == 2
    assert "written under other versions (cldr 48 -> 49)" in proc.stderr.decode()
    assert not out.exists()


LINE_BYTES = CHUNK_BYTES // 2  # two lines a chunk


def write_padded(path: Path, n: int) -> Path:
    """``n`` orders, one a line, each line padded with blanks to half a chunk: many MB of input (what the
    checkpoint cadence counts) for little conversion work."""
    with path.open("wb") as f:
        for order in orders(n):
            line = json.dumps(order).encode()
            f.write(line + b" " * (LINE_BYTES - 1 - len(line)) + b"\n")
    return path


def test_a_checkpoint_is_due_after_its_bytes_or_its_seconds_whichever_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(checkpoint, "monotonic", lambda: now[0])
    cadence = Cadence(every_bytes=100, every_seconds=2.0)
    assert not cadence.due(60)
    assert cadence.due(40)  # 100 bytes since the start
    cadence.restart()
    now[0] = 1.5
    assert not cadence.due(99)
    now[0] = 2.0
    assert cadence.due(0)  # 2 s since the restart, with 99 bytes
    cadence.restart()
    assert not cadence.due(99)  # the restart counts bytes and time afresh
    assert Cadence(every_bytes=0, every_seconds=2.0).due(0)  # 0 bytes: after every chunk


def test_at_the_default_cadence_a_run_commits_far_fewer_checkpoints_than_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 orders of half a chunk each: 20 chunks, 20 MB. With the clock frozen (so only the input counts),
    checkpoints come after 8 MB, after 16 MB and at the end: 3, where every chunk's would be 20."""
    src = write_padded(tmp_path / "in.ndjson", 40)
    monkeypatch.setattr(checkpoint, "monotonic", lambda: 0.0)
    written: list[tuple[int, bool]] = []
    write = Checkpoint.write

    def spy(self: Checkpoint, mark: Mark, done: bool = False) -> None:
        written.append((mark.sinks["output"]["count"], done))
        write(self, mark, done)

    monkeypatch.setattr(Checkpoint, "write", spy)
    out, err = io.BytesIO(), io.StringIO()
    code = run_convert([str(src)], output=str(tmp_path / "out.ndjson"), report="none", jobs=1, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    per_checkpoint = CHECKPOINT_BYTES // LINE_BYTES
    assert written == [(per_checkpoint, False), (2 * per_checkpoint, False), (40, True)]
    assert notes((tmp_path / "out.ndjson").read_bytes()) == [f"order {i}" for i in range(40)]


def test_at_the_default_cadence_kill_9_and_resume_still_give_every_record_once(tmp_path: Path) -> None:
    src = write_padded(tmp_path / "in.ndjson", 40)

    def args(name: str) -> list[str]:
        d = tmp_path / name
        return ["convert", str(src), "-o", str(d / "out.ndjson"), "--report-out", str(d / "reports.ndjson"), "--report", "none"]

    (tmp_path / "whole").mkdir()
    (tmp_path / "killed").mkdir()
    assert cli(*args("whole"), "--jobs", "1").returncode == 0
    # Killed right after writing the 30th order, before the checkpoint its chunk would have been due.
    killed = cli(*args("killed"), "--jobs", "2", env={KILL_AFTER_ENV: "30"})
    assert killed.returncode == -signal.SIGKILL
    state = json.loads((tmp_path / "killed" / ".out.ndjson.checkpoint").read_bytes())
    assert 0 < state["sinks"]["output"]["count"] < 30  # committed part-way (8 MB in at the latest), not per chunk
    assert state["sinks"]["output"]["size"] < (tmp_path / "killed" / ".out.ndjson.partial").stat().st_size
    resumed = cli(*args("killed"), "--jobs", "1", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "40 records in, 40 converted" in resumed.stderr.decode()
    for name in ("out.ndjson", "reports.ndjson"):
        assert (tmp_path / "killed" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "killed").iterdir()) == ["out.ndjson", "reports.ndjson"]


def test_ctrl_c_between_checkpoints_commits_the_last_whole_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped part-way through a chunk, long before a checkpoint was due: the checkpoint left covers every
    chunk written whole, so --resume converts only the rest, and the output is the uninterrupted one."""
    src = write_ndjson(tmp_path / "in.ndjson", orders(12))
    whole, out = tmp_path / "whole.ndjson", tmp_path / "out.ndjson"
    assert run_convert([str(src)], output=str(whole), report="none", jobs=1, stderr=io.StringIO()) == 0
    take = Outputs.take

    def stop(self: Outputs, result: Result) -> None:
        take(self, result)
        if self.written == 8:
            raise KeyboardInterrupt

    monkeypatch.setattr(Outputs, "take", stop)
    err = io.StringIO()
    assert run_convert([str(src)], output=str(out), report="none", jobs=1, chunk_records=3, stderr=err) == 130
    monkeypatch.undo()
    assert "run it again with --resume" in err.getvalue()
    state = json.loads((tmp_path / ".out.ndjson.checkpoint").read_bytes())
    assert (state["stats"]["records"], state["sinks"]["output"]["count"], state["done"]) == (6, 6, False)
    err = io.StringIO()
    assert run_convert([str(src)], output=str(out), report="none", jobs=1, resume=True, stderr=err) == 0, err.getvalue()
    assert out.read_bytes() == whole.read_bytes()
    assert "12 records in, 12 converted" in err.getvalue()


def test_an_output_folder_renames_finished_files_at_checkpoints_and_resumes_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of an output folder wait for a checkpoint before they are renamed, at most 32 of them (each
    holds its file open), however little input they are; a Ctrl-C after 37 leaves 32 renamed and the
    next 4 pending in the checkpoint, and --resume finishes the same tree as an uninterrupted run."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, order in enumerate(orders(40)):
        (inputs / f"{i:02}.json").write_text(json.dumps(order))
    monkeypatch.setattr(checkpoint, "monotonic", lambda: 0.0)  # only input and waiting files count
    whole, out = tmp_path / "whole", tmp_path / "out"
    assert run_convert([str(inputs)], output=f"{whole}/", report="none", jobs=1, chunk_records=2, stderr=io.StringIO()) == 0
    pending: list[int] = []
    write, take = Checkpoint.write, Outputs.take

    def spy(self: Checkpoint, mark: Mark, done: bool = False) -> None:
        pending.append(len(mark.sinks["output"]["pending"]))
        write(self, mark, done)

    def stop(self: Outputs, result: Result) -> None:
        take(self, result)
        if self.written == 37:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "write", spy)
    monkeypatch.setattr(Outputs, "take", stop)
    assert run_convert([str(inputs)], output=f"{out}/", report="none", jobs=1, chunk_records=2, stderr=io.StringIO()) == 130
    monkeypatch.setattr(Outputs, "take", take)
    assert pending == [32, 4]  # 32 files waiting; then Ctrl-C in chunk 19: the 4 finished since, pending
    assert len(list(out.glob("*.json"))) == 32
    err = io.StringIO()
    code = run_convert([str(inputs)], output=f"{out}/", report="none", jobs=1, chunk_records=2, resume=True, stderr=err)
    assert code == 0, err.getvalue()
    assert tree(out) == tree(whole) and len(tree(whole)) == 40


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- progress and summary ---------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_off_a_terminal(tmp_path: Path) -> None:
    quiet = make_progress(io.StringIO(), total_bytes=100)
    assert isinstance(quiet, QuietProgress)
    stream = FakeTerminal()
    bar = make_progress(stream, total_bytes=100)
    assert isinstance(bar, RichProgress)
    bar.update(50, 7)
    bar.close()
    assert "converting" in stream.getvalue()

    src = write_ndjson(tmp_path / "in.ndjson", orders(20))
    proc = cli("convert", str(src), "-o", str(tmp_path / "out.ndjson"), "--report", "none", "--chunk-size", "2")
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "converting" not in err and "\r" not in err and "\x1b" not in err
    assert err.startswith("orders-migrate convert: 20 records in, 20 converted, 0 rejected\n")


def test_summary_counts_report_kinds_and_fetches_by_api() -> None:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run_convert([str(FIXTURES / "query_orders_response.json")], report="none", stdout=stdout, stderr=stderr, jobs=1)
    assert code == 0
    text = stderr.getvalue()
    assert text.startswith("orders-migrate convert: 2 records in, 2 converted, 0 rejected\n")
    assert "  to fetch: 2 orders from eCommerce Order Transactions\n" in text  # calls to plan, not fields
    assert text.splitlines()[-1].startswith("  written with: orders-migrate ")
    assert "babel 2.19.0, cldr 49, pycountry 26.2.16" in text
    stats = Stats(3, 2, 1, {"fetch": 4}, {"eCommerce Order Fulfillments": 4})
    table = FakeTerminal()
    print_summary(stats, table, rejects="rejects.ndjson", versions="babel 2.19.0, cldr 49")
    assert "records in" in table.getvalue() and "eCommerce Order Fulfillments" in table.getvalue()
    assert "written with: babel 2.19.0, cldr 49" in table.getvalue()


def test_a_batch_reports_its_summary_by_default_and_every_entry_on_request(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(30), bad={7: "not json"})
    default = cli("convert", str(src), "-o", str(tmp_path / "a.ndjson"), "--jobs", "1")
    err = default.stderr.decode()
    assert default.returncode == 1
    assert err.splitlines()[0] == f"{src}:8::$: not valid JSON: Expecting value: line 1 column 1 (char 0)"
    assert err.splitlines()[1] == "orders-migrate convert: 31 records in, 30 converted, 1 rejected"
    assert "  dropped " not in err and "record(s) failed" not in err  # no order's entries, one closing line
    every = cli("convert", str(src), "-o", str(tmp_path / "b.ndjson"), "--jobs", "1", "--report", "text")
    assert every.stderr.decode().count(": stores_order (") == 30  # each order's report title
    quiet = cli("convert", str(src), "-o", str(tmp_path / "c.ndjson"), "--jobs", "1", "-q")
    assert quiet.returncode == 1
    assert quiet.stderr.decode() == f"{src}:8::$: not valid JSON: Expecting value: line 1 column 1 (char 0)\n"
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes() == (tmp_path / "c.ndjson").read_bytes()


def test_the_summary_counts_orders_per_api_not_fields() -> None:
    fetch = {"api": "eCommerce Order Transactions", "endpoint": "GET x"}
    stats = Stats()
    three_fields = Report("stores_order", entries=[Entry("fetch", f"$.billingInfo.f{n}", "m", None, fetch) for n in range(3)])
    stats.count_report(three_fields)
    stats.count_report(Report("stores_order", entries=[Entry("fetch", "$.billingInfo.paidDate", "m", None, fetch)]))
    assert stats.fetch == {"eCommerce Order Transactions": 2} and stats.kinds == {"fetch": 4}


def test_one_order_keeps_its_single_json_report_file(tmp_path: Path) -> None:
    example = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
    report = tmp_path / "report.json"
    proc = cli("convert", str(example), "--report-out", str(report), "--report", "none")
    assert proc.returncode == 0 and proc.stderr == b""  # one order: no summary
    assert json.loads(report.read_bytes())["orderId"] == "7001d34b-11a6-4a34-8746-dc8ababeca42"


@pytest.mark.parametrize("fmt", ["json", "auto"])
def test_output_shapes_do_not_depend_on_chunking(tmp_path: Path, fmt: str) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(7))
    small = cli("convert", str(src), "--format", fmt, "--report", "none", "--chunk-size", "2", "--jobs", "1")
    big = cli("convert", str(src), "--format", fmt, "--report", "none", "--jobs", "1")
    assert small.stdout == big.stdout
    if fmt == "json":
        assert [o["buyerNote"] for o in json.loads(small.stdout)] == [f"order {i}" for i in range(7)]


def _records(count: int) -> list[dict[str, Any]]:
    order = load_json(ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json")
    return [{**copy.deepcopy(order), "id": f"0000000{n}-aaaa-4bbb-8ccc-000000000000", "number": 500 + n} for n in range(count)]


def test_ndjson_under_a_json_name_converts_every_line_the_sniff_read(tmp_path: Path) -> None:
    # Telling NDJSON from a document reads its first lines: they are records too, with their own numbers.
    src = tmp_path / "export.json"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _records(4)))
    out = tmp_path / "out.ndjson"
    proc = cli("convert", str(src), "-o", str(out), "--report-out", str(tmp_path / "reports.ndjson"), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["number"] for line in out.read_text().splitlines()] == ["500", "501", "502", "503"]
    reports = [json.loads(line) for line in (tmp_path / "reports.ndjson").read_text().splitlines()]
    assert [r["source"] for r in reports] == [f"{src}:{n}" for n in (1, 2, 3, 4)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("ndjson", [False, True])
def test_a_named_pipe_is_read_once_whole(tmp_path: Path, ndjson: bool) -> None:
    # <(zcat export.gz) is a named pipe: what the sniff read of it cannot be read again by name.
    records = _records(3)
    data = b"".join(orjson.dumps(r) + b"\n" for r in records) if ndjson else json.dumps(records[0], indent=2).encode()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    out = tmp_path / "out.ndjson"
    proc = cli("convert", str(fifo), "-o", str(out), "--report", "none")
    writer.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    numbers = [json.loads(line)["number"] for line in out.read_text().splitlines()]
    assert numbers == (["500", "501", "502"] if ndjson else ["500"])


def test_a_record_the_reader_routed_is_not_routed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader decides what a whole-document record is once; the batch converts it by that route (an
    order inside a Query Orders response was not routed alone, so it is routed where it is converted)."""
    from orders_migrate import route as route_module
    from orders_migrate.batch import chunks
    from orders_migrate.reader import read_line, read_records

    calls: list[object] = []
    real = route_module.route

    def counting(payload: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(payload)
        return real(payload, *args, **kwargs)

    monkeypatch.setattr(route_module, "route", counting)
    monkeypatch.setattr(chunks, "route", counting)
    order = (FIXTURES / "stores" / "pos_canceled.json").read_bytes().replace(b"\n", b"")
    webhook = (FIXTURES / "webhooks" / "order_created.json").read_bytes().replace(b"\n", b"")
    for line in (order, webhook):
        calls.clear()
        (rec,) = list(read_line("in.ndjson", 1, line))
        assert rec.routed is not None and len(calls) == 1
        conversion = chunks.convert_record(rec, "en_US")
        assert len(calls) == 1, "routed a second time"
        assert conversion.report.payload_kind == ("stores_order" if line is order else "stores_webhook:order-created")
    calls.clear()
    response = b'{"orders": [' + order + b"]}"
    (inner,) = list(read_records("response.json", response))
    assert inner.prefix == "$.orders[0]" and inner.routed is None
    chunks.convert_record(inner, "en_US")
    assert len(calls) == 2  # the response as a whole, then the order inside it


PAGING = "the paging of the query that returned this Query Orders response, not part of any order"


def test_a_query_orders_response_reports_its_paging_beside_its_orders(tmp_path: Path) -> None:
    # Nothing silently lost: metadata and totalResults are no order's, so the response gets a report of its own.
    src = tmp_path / "response.json"
    doc = load_json(FIXTURES / "query_orders_response.json")
    doc["nextPage"] = {"cursor": "abc"}  # a key Wix never sent: unmapped, said as such
    src.write_bytes(orjson.dumps(doc))
    proc = cli("convert", str(src), "-o", str(tmp_path / "out.ndjson"), "--report-out", str(tmp_path / "r.ndjson"))
    assert proc.returncode == 0, proc.stderr
    assert len((tmp_path / "out.ndjson").read_bytes().splitlines()) == 2  # the orders, and nothing else
    reports = [orjson.loads(line) for line in (tmp_path / "r.ndjson").read_bytes().splitlines()]
    assert [r["payloadKind"] for r in reports] == ["stores_order", "stores_order", "query_orders_response"]
    envelope = reports[2]
    assert envelope["source"] == str(src) and "orderId" not in envelope
    assert [(e["kind"], e["path"]) for e in envelope["entries"]] == [
        ("dropped", "$.metadata"),
        ("dropped", "$.totalResults"),
        ("unmapped", "$.nextPage"),
    ]
    assert envelope["entries"][0]["message"].startswith(PAGING)
    assert envelope["entries"][2]["message"] == (
        "a key of the Query Orders response beside its orders (an object), not part of any order; not carried"
    )
    err = proc.stderr.decode()
    assert err.startswith("orders-migrate convert: 2 records in, 2 converted, 0 rejected\n")  # not a record
    assert "report entries: 4 dropped, " in err and ", 1 unmapped" in err
    text = cli("convert", str(src), "-o", str(tmp_path / "t.ndjson"), "--report", "text").stderr.decode()
    assert f"{src}: the Query Orders response itself: 2 dropped, 1 unmapped\n" in text
    assert f"  dropped        $.totalResults: {PAGING}" in text


def test_each_query_orders_response_line_of_an_ndjson_file_has_its_own_envelope(tmp_path: Path) -> None:
    doc = load_json(FIXTURES / "query_orders_response.json")
    src = write_ndjson(tmp_path / "in.ndjson", [doc, orders(1)[0], doc])
    proc = cli("convert", str(src), "-o", str(tmp_path / "out.ndjson"), "--report", "json", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    reports = orjson.loads(proc.stderr.split(b"\norders-migrate convert:")[0])
    envelopes = [r for r in reports if r["payloadKind"] == "query_orders_response"]
    assert [r["source"] for r in envelopes] == [f"{src}:1", f"{src}:3"]
    assert len((tmp_path / "out.ndjson").read_bytes().splitlines()) == 5


def test_a_plain_array_of_orders_has_no_envelope(tmp_path: Path) -> None:
    src = tmp_path / "array.json"
    src.write_bytes(orjson.dumps(orders(2)))
    proc = cli("convert", str(src), "-o", str(tmp_path / "out.ndjson"), "--report-out", str(tmp_path / "r.ndjson"))
    assert proc.returncode == 0, proc.stderr
    kinds = [orjson.loads(line)["payloadKind"] for line in (tmp_path / "r.ndjson").read_bytes().splitlines()]
    assert kinds == ["stores_order", "stores_order"]
