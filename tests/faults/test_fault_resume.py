"""``--resume`` continues only the inputs the checkpoint saw: a changed input (size, mtime, or the bytes
already read) is refused with exit 2 naming the file, never stitched to the old records."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from faultkit import convert, listing, orders, write_ndjson

from orders_migrate.batch.chunks import Result
from orders_migrate.batch.outputs import Outputs


def _interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[Path], stop_after: int) -> Path:
    """A run stopped by Ctrl-C after ``stop_after`` orders, its checkpoint left for --resume."""
    out = tmp_path / "out.ndjson"
    take = Outputs.take

    def stop(self: Outputs, result: Result) -> None:
        take(self, result)
        if self.written >= stop_after:
            raise KeyboardInterrupt

    monkeypatch.setattr(Outputs, "take", stop)
    code, _, err = convert(*files, output=str(out), chunk_records=3)
    monkeypatch.undo()
    assert code == 130, err
    assert (tmp_path / ".out.ndjson.checkpoint").exists()
    return out


def _rewrite_same_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    st = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and data.count(old) == 1
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_resume_refuses_an_input_rewritten_at_the_same_size_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(12))
    out = _interrupted(tmp_path, monkeypatch, [src], stop_after=7)
    _rewrite_same_size_and_mtime(src, b'"order 1"', b'"order X"')  # inside the part already converted
    left = listing(tmp_path)
    code, _, err = convert(src, output=str(out), chunk_records=3, resume=True)
    assert code == 2
    assert err.startswith(f"orders-migrate: cannot resume: {src} changed since the checkpoint: its first ")
    assert "bytes are not the ones already converted" in err
    assert listing(tmp_path) == left  # checkpoint and partial untouched, lock gone


@pytest.mark.parametrize("change", ["touched", "appended", "truncated"])
def test_resume_refuses_an_input_whose_size_or_mtime_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(12))
    out = _interrupted(tmp_path, monkeypatch, [src], stop_after=4)
    st = src.stat()
    if change == "touched":
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    elif change == "appended":
        with open(src, "a") as f:
            f.write(json.dumps(orders(1, start=50)[0]) + "\n")
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        src.write_bytes(src.read_bytes()[: st.st_size // 2])
    code, _, err = convert(src, output=str(out), chunk_records=3, resume=True)
    assert code == 2
    assert f"cannot resume: {src} changed since the checkpoint" in err


def test_resume_names_the_finished_input_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write_ndjson(tmp_path / "a.ndjson", orders(4))
    second = write_ndjson(tmp_path / "b.ndjson", orders(8, start=4))
    out = _interrupted(tmp_path, monkeypatch, [first, second], stop_after=9)  # a.ndjson done, b.ndjson begun
    checkpoint = json.loads((tmp_path / ".out.ndjson.checkpoint").read_bytes())
    assert [e["name"] for e in checkpoint["inputs"]] == [str(first), str(second)]
    assert checkpoint["inputs"][0]["read"] == first.stat().st_size
    _rewrite_same_size_and_mtime(first, b'"order 3"', b'"order Y"')  # the last line of a finished input
    code, _, err = convert(first, second, output=str(out), chunk_records=3, resume=True)
    assert code == 2
    assert f"cannot resume: {first} changed since the checkpoint" in err


def test_an_unchanged_input_resumes_to_the_bytes_of_an_uninterrupted_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(12), bad_every=5)
    code, _, _ = convert(src, output=str(tmp_path / "whole" / "out.ndjson"), chunk_records=3)
    assert code == 1
    out = _interrupted(tmp_path, monkeypatch, [src], stop_after=7)
    checkpoint = json.loads((tmp_path / ".out.ndjson.checkpoint").read_bytes())
    (entry,) = checkpoint["inputs"]
    assert entry["size"] == src.stat().st_size and entry["mtime_ns"] == src.stat().st_mtime_ns
    assert 0 < entry["read"] == checkpoint["position"][1] < entry["size"]
    code, _, err = convert(src, output=str(out), chunk_records=3, resume=True)
    assert code == 1, err
    assert out.read_bytes() == (tmp_path / "whole" / "out.ndjson").read_bytes()


def test_a_checkpoint_of_another_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(9))
    out = _interrupted(tmp_path, monkeypatch, [src], stop_after=4)
    cp = tmp_path / ".out.ndjson.checkpoint"
    state = json.loads(cp.read_bytes())
    state["version"] = 1
    del state["inputs"]  # what version 1 wrote: nothing about the inputs
    cp.write_text(json.dumps(state))
    code, _, err = convert(src, output=str(out), chunk_records=3, resume=True)
    assert code == 2
    assert "written by another version of orders-migrate" in err
