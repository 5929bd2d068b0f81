"""``--report json`` keeps stderr one JSON document, as the README promises, also when records fail, when
the run has something to say, and when it stops part-way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faultkit import cli, convert, orders, write_ndjson

from orders_migrate import sinks


def test_failed_records_go_inside_the_document(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(6), bad_every=2)  # orders, and a bad one after every second
    src.write_text(src.read_text() + "not json\n")
    proc = cli("convert", str(src), "--report", "json", "--jobs", "1")
    assert proc.returncode == 1
    doc = json.loads(proc.stderr)  # the whole of stderr: one document
    assert isinstance(doc, list) and len(doc) == 6 + 3 + 1
    failures = [d for d in doc if "errors" in d]
    assert failures == [
        {
            "source": str(src),
            "line": 3,
            "path": "$",
            "errors": [{"path": "$.lineItems", "message": "expected an array, got 'none'"}],
        },
        {
            "source": str(src),
            "line": 6,
            "path": "$",
            "errors": [{"path": "$.lineItems", "message": "expected an array, got 'none'"}],
        },
        {
            "source": str(src),
            "line": 9,
            "path": "$",
            "errors": [{"path": "$.lineItems", "message": "expected an array, got 'none'"}],
        },
        {"source": str(src), "line": 10, "path": "$", "errors": [{"path": "$", "message": failures[3]["errors"][0]["message"]}]},
    ]
    assert failures[3]["errors"][0]["message"].startswith("not valid JSON")
    assert [d["payloadKind"] for d in doc if "errors" not in d] == ["stores_order"] * 6
    assert [doc.index(f) for f in failures] == [2, 5, 8, 9]  # in input order, among the reports


def test_one_failed_record_alone_is_one_object(tmp_path: Path) -> None:
    src = tmp_path / "bad.json"
    src.write_text('{"orders": [{"lineItems": "none"}]}')
    proc = cli("convert", str(src), "--report", "json")
    assert proc.returncode == 1
    assert json.loads(proc.stderr) == {
        "source": str(src),
        "line": None,
        "path": "$.orders[0]",
        "errors": [{"path": "$.orders[0].lineItems", "message": "expected an array, got 'none'"}],
    }


def test_a_note_goes_inside_the_document(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(2))
    (tmp_path / ".out.ndjson.checkpoint").write_text("{}")  # left by a run that did not finish
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"), report="json")
    assert code == 0
    doc = json.loads(err)
    assert doc[0] == {
        "note": f"starting over; {tmp_path / '.out.ndjson.checkpoint'} was left by an unfinished run (use --resume)"
    }
    assert [d["payloadKind"] for d in doc[1:]] == ["stores_order"] * 2


def test_a_run_that_stops_closes_the_document_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(6))
    add = sinks.FileSink.add
    calls = {"n": 0}

    def failing(self: sinks.FileSink, item: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise sinks.WriteError(self.target, OSError(28, "No space left on device"))
        add(self, item)

    monkeypatch.setattr(sinks.FileSink, "add", failing)
    # A checkpoint after every chunk, so one stands when the disk fills (a write error commits none).
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"), report="json", chunk_records=2, checkpoint_bytes=0)
    assert code == 1
    doc = json.loads(err)
    assert doc[-1] == {
        "error": f"{tmp_path / 'out.ndjson'}: No space left on device "
        "(the partial files and checkpoint are kept: run it again with --resume to continue)"
    }
    assert len(doc) == 4  # three reports (the fourth order failed to be written), then the error
