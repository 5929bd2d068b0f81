"""Incremental runs (issue 13, item 16): ``--state FILE`` remembers each converted order's content, so a run
over a grown or refreshed export converts only the new and changed orders and says how many it skipped.
The file never claims an order that is not in a committed output: not after a record failed, a kill -9,
or a stop between the outputs' rename and its own."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from faultkit import cli, convert, digest, listing, write_ndjson

from conftest import FIXTURES, load_json
from orders_migrate.batch import state as state_module
from orders_migrate.batch.config import KILL_AFTER_ENV

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"


def order(n: int, updated: str = "2024-01-01T00:00:00Z", note: str = "") -> dict[str, Any]:
    doc = load_json(EXAMPLE)
    doc.update(id=f"O{n:04d}", number=n, lastUpdated=updated, buyerNote=note or f"order {n}")
    return doc


def ids(data: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in data.splitlines()]


def claimed(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_bytes().splitlines()[1:]]


def test_a_rerun_converts_only_new_and_changed_orders(tmp_path: Path) -> None:
    src, out, st = tmp_path / "export.ndjson", tmp_path / "out.ndjson", tmp_path / "state.ndjson"
    write_ndjson(src, [order(i) for i in range(5)])
    code, _, err = convert(src, output=str(out), state=str(st), report="auto")
    assert code == 0, err
    assert ids(out.read_bytes()) == [f"O{i:04d}" for i in range(5)]
    assert claimed(st) == [f"O{i:04d}" for i in range(5)]
    # The export refreshed: order 2 updated, two new orders, the rest as they were.
    write_ndjson(src, [order(i) for i in range(5) if i != 2] + [order(2, "2024-02-01T00:00:00Z", "paid"), order(5), order(6)])
    code, _, err = convert(src, output=str(out), state=str(st), report="auto")
    assert code == 0, err
    assert ids(out.read_bytes()) == ["O0002", "O0005", "O0006"]
    assert "7 records in, 3 converted, 0 rejected, 4 unchanged orders skipped (--state)\n" in err
    assert claimed(st) == [f"O{i:04d}" for i in range(7)]
    # Nothing new: nothing converted, nothing claimed twice.
    code, _, err = convert(src, output=str(out), state=str(st), report="auto", fmt="ndjson")
    assert code == 0 and out.read_bytes() == b""
    assert "7 records in, 0 converted, 0 rejected, 7 unchanged orders skipped (--state)\n" in err


def numbered(n: int, number: int, note: str = "") -> dict[str, Any]:
    doc = order(n, note=note)
    doc["number"] = number
    return doc


def test_a_new_order_with_the_number_of_an_earlier_runs_order_is_reported(tmp_path: Path) -> None:
    src, out, st = tmp_path / "export.ndjson", tmp_path / "out.ndjson", tmp_path / "state.ndjson"
    write_ndjson(src, [numbered(0, 100), numbered(1, 101)])
    assert convert(src, output=str(out), state=str(st))[0] == 0
    assert [json.loads(line).get("number") for line in st.read_bytes().splitlines()[1:]] == ["100", "101"]
    # The next export holds only new orders: O0002 takes O0000's number, which this run never reads.
    # O0001 comes back with a new number, so its old one is free again for O0003.
    write_ndjson(src, [numbered(2, 100), numbered(1, 201, "renumbered"), numbered(3, 101)])
    code, _, err = convert(src, output=str(out), state=str(st), report="auto")
    assert code == 0, err  # reported, not failed: both orders are converted, as within one run
    assert ids(out.read_bytes()) == ["O0002", "O0001", "O0003"]
    assert f"{src}:1::$: order O0002 has number 100, as order O0000 of an earlier run (--state): two orders, one number\n" in err
    assert "O0003 has number" not in err
    assert "3 converted, 0 rejected, 1 order with another order's number\n" in err
    numbers = {json.loads(line)["id"]: json.loads(line).get("number") for line in st.read_bytes().splitlines()[1:]}
    assert numbers == {"O0000": "100", "O0001": "201", "O0002": "100", "O0003": "101"}


def test_a_state_written_before_numbers_were_kept_is_read(tmp_path: Path) -> None:
    src, st = write_ndjson(tmp_path / "export.ndjson", [numbered(0, 100), numbered(1, 101)]), tmp_path / "state.ndjson"
    assert convert(src, state=str(st))[0] == 0
    lines = [json.loads(line) for line in st.read_bytes().splitlines()]
    header = {**lines[0], "orders-migrate state": 1}
    old = [{"id": e["id"], "digest": e["digest"]} for e in lines[1:]]  # format 1: no numbers
    st.write_bytes(b"".join(json.dumps(doc).encode() + b"\n" for doc in [header, *old]))
    # O0000 is read again unchanged (its number is read from it); O0002 takes that number.
    write_ndjson(src, [numbered(0, 100), numbered(2, 100)])
    code, out, err = convert(src, state=str(st), report="auto")
    assert code == 0, err
    assert json.loads(out)["id"] == "O0002"  # the one order converted, as one document
    assert "order O0002 has number 100, as order O0000 of an earlier run (--state): two orders, one number" in err
    assert "1 unchanged order skipped (--state), 1 order with another order's number" in err
    written = [json.loads(line) for line in st.read_bytes().splitlines()]
    assert written[0]["orders-migrate state"] == 2
    assert [e.get("number") for e in written[1:]] == [None, None, "100"]  # what format 1 knew, and the new order's


def test_a_failed_order_is_not_claimed_and_is_tried_again(tmp_path: Path) -> None:
    src, out, st = tmp_path / "export.ndjson", tmp_path / "out.ndjson", tmp_path / "state.ndjson"
    bad = order(1)
    bad["lineItems"][0]["index"] = 10**12  # refused at its path (item 11)
    write_ndjson(src, [order(0), bad])
    code, _, err = convert(src, output=str(out), state=str(st))
    assert code == 1
    assert claimed(st) == ["O0000"]
    write_ndjson(src, [order(0), order(1)])  # fixed at the source
    code, _, err = convert(src, output=str(out), state=str(st), fmt="ndjson")
    assert code == 0, err
    assert ids(out.read_bytes()) == ["O0001"]


def test_other_options_convert_everything_again(tmp_path: Path) -> None:
    src, st = write_ndjson(tmp_path / "export.ndjson", [order(0), order(1)]), tmp_path / "state.ndjson"
    assert convert(src, state=str(st))[0] == 0
    code, out, err = convert(src, state=str(st), locale="de_DE", report="auto")
    assert code == 0 and ids(out) == ["O0000", "O0001"]
    assert f"orders-migrate: --state {st} was written with other --locale: every order is converted again" in err
    assert json.loads(st.read_bytes().splitlines()[0])["settings"]["--locale"] == "de_DE"


def test_another_output_is_said_and_recorded(tmp_path: Path) -> None:
    src, st = write_ndjson(tmp_path / "export.ndjson", [order(0)]), tmp_path / "state.ndjson"
    first, second = tmp_path / "monday.ndjson", tmp_path / "tuesday.ndjson"
    assert convert(src, output=str(first), state=str(st))[0] == 0
    write_ndjson(src, [order(0), order(1)])
    code, _, err = convert(src, output=str(second), state=str(st), report="auto")
    assert code == 0
    assert (
        f"orders-migrate: --state {st} describes the orders written to {first}; this run writes only the new and "
        f"changed ones to {second}\n"
    ) in err
    assert ids(second.read_bytes()) == ["O0001"]
    assert json.loads(st.read_bytes().splitlines()[0])["output"] == str(second)


@pytest.mark.parametrize("text", [b"not json\n", b'{"something": "else"}\n', b'{"orders-migrate state": 1}\n{"id": 3}\n'])
def test_a_file_that_is_not_a_state_is_refused(tmp_path: Path, text: bytes) -> None:
    st = tmp_path / "state.ndjson"
    st.write_bytes(text)
    code, out, err = convert(write_ndjson(tmp_path / "export.ndjson", [order(0)]), state=str(st))
    assert code == 2 and out == b""
    assert err.startswith(f"orders-migrate: --state {st}: ")
    assert st.read_bytes() == text


def test_the_state_cannot_be_an_input_or_an_output(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "export.ndjson", [order(0)])
    code, _, err = convert(src, state=str(src))
    assert code == 2 and "--state" in err and "would overwrite its input" in err
    code, _, err = convert(src, output=str(tmp_path / "o.ndjson"), state=str(tmp_path / "o.ndjson"))
    assert code == 2 and "are the same file" in err


def _args(src: Path, folder: Path) -> list[str]:
    return [
        "convert", str(src), "-o", str(folder / "out.ndjson"), "--state", str(folder / "state.ndjson"),
        "--report", "none", "--no-validate", "--chunk-size", "20", "--checkpoint-bytes", "0",
    ]  # fmt: skip


def _grown(folder: Path) -> tuple[Path, list[dict[str, Any]]]:
    """A first export of 150 orders converted into the state; the export then grows to 300 and 40 change."""
    src = write_ndjson(folder / "export.ndjson", [order(i) for i in range(150)])
    first = cli(*_args(src, folder), "--jobs", "2")
    assert first.returncode == 0, first.stderr
    grown = [order(i, "2024-05-01T00:00:00Z", "changed") if i % 4 == 0 and i < 160 else order(i) for i in range(300)]
    write_ndjson(src, grown)
    return src, grown


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("state")
    src, _ = _grown(folder)
    proc = cli(*_args(src, folder), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "300 records in, 188 converted, 0 rejected, 112 unchanged orders skipped (--state)" in proc.stderr.decode()
    assert len(ids((folder / "out.ndjson").read_bytes())) == 188
    return outcome(folder)


def outcome(folder: Path) -> dict[str, str]:
    """The output's digest and that of the orders the state claims, ids and digests (its header names the
    folder's output)."""
    body = (folder / "state.ndjson").read_bytes().split(b"\n", 1)[1]
    return {"out.ndjson": digest(folder / "out.ndjson"), "state": hashlib.sha256(body).hexdigest()}


def test_kill_without_resume_claims_nothing_then_a_rerun_catches_up(tmp_path: Path, uninterrupted: dict[str, str]) -> None:
    src, _ = _grown(tmp_path)
    before = (tmp_path / "state.ndjson").read_bytes()
    killed = cli(*_args(src, tmp_path), "--jobs", "2", env={KILL_AFTER_ENV: "90"})
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "state.ndjson").read_bytes() == before  # the killed run's orders are in no committed output
    rerun = cli(*_args(src, tmp_path), "--jobs", "2")
    assert rerun.returncode == 0, rerun.stderr
    assert outcome(tmp_path) == uninterrupted


def test_kill_then_resume_ends_as_an_uninterrupted_run(tmp_path: Path, uninterrupted: dict[str, str]) -> None:
    src, _ = _grown(tmp_path)
    killed = cli(*_args(src, tmp_path), "--jobs", "2", env={KILL_AFTER_ENV: "101"})
    assert killed.returncode == -signal.SIGKILL
    resumed = cli(*_args(src, tmp_path), "--jobs", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "300 records in, 188 converted, 0 rejected, 112 unchanged orders skipped (--state)" in resumed.stderr.decode()
    assert outcome(tmp_path) == uninterrupted
    assert listing(tmp_path) == ["export.ndjson", "out.ndjson", "state.ndjson"]


class Stopped(BaseException):
    """The process stopping between the outputs' rename and the state's (as kill -9 would there)."""


def test_a_stop_between_the_outputs_and_the_state_finishes_on_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out, st = write_ndjson(tmp_path / "export.ndjson", [order(0)]), tmp_path / "out.ndjson", tmp_path / "state.ndjson"
    assert convert(src, output=str(out), state=str(st))[0] == 0
    write_ndjson(src, [order(0), order(1), order(2)])
    before = st.read_bytes()

    def stop(self: state_module.RunState, journal: bytes) -> None:
        raise Stopped

    with monkeypatch.context() as patch:
        patch.setattr(state_module.RunState, "write", stop)
        with pytest.raises(Stopped):
            convert(src, output=str(out), state=str(st))
    assert ids(out.read_bytes()) == ["O0001", "O0002"]  # the output is in place, the state not yet
    assert st.read_bytes() == before
    code, _, err = convert(src, output=str(out), state=str(st), resume=True)
    assert code == 0, err
    assert claimed(st) == ["O0000", "O0001", "O0002"]
    assert ids(out.read_bytes()) == ["O0001", "O0002"]
    assert listing(tmp_path) == ["export.ndjson", "out.ndjson", "state.ndjson"]
