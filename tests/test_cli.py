"""The CLI as a user runs it: a real process, real files, exit codes 0/1/2, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REFERENCE_DIR, ROOT, load_json

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"


def run(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], input=stdin, capture_output=True, cwd=cwd, timeout=60, check=False
    )


def test_convert_a_bundled_example_to_stdout() -> None:
    proc = run("convert", str(EXAMPLE), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load_json(FIXTURES / "ecom" / EXAMPLE.name)
    assert proc.stderr == b""


def test_convert_writes_output_and_json_report_files(tmp_path: Path) -> None:
    out, rep = tmp_path / "out.json", tmp_path / "report.json"
    proc = run("convert", str(EXAMPLE), "-o", str(out), "--report-out", str(rep), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["number"] == "10012"
    report = json.loads(rep.read_text())
    assert any(e["path"] == "$.fulfillments" and e["kind"] == "fetch" for e in report["entries"])
    assert not list(tmp_path.glob(".*.tmp"))


def test_text_report_goes_to_stderr() -> None:
    proc = run("convert", str(EXAMPLE))
    assert proc.returncode == 0
    text = proc.stderr.decode()
    assert "fetch" in text and "$.billingInfo.paymentMethod" in text and "List Transactions For Single Order" in text


def test_json_report_on_stderr_is_valid_json() -> None:
    proc = run("convert", str(EXAMPLE), "--report", "json")
    report = json.loads(proc.stderr)
    assert report["payloadKind"] == "stores_order"
    assert report["orderId"] == "7001d34b-11a6-4a34-8746-dc8ababeca42"


def test_stdin_dash() -> None:
    proc = run("convert", "-", "--report", "none", stdin=EXAMPLE.read_bytes())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["id"] == "7001d34b-11a6-4a34-8746-dc8ababeca42"


def test_several_orders_come_out_as_ndjson() -> None:
    proc = run("convert", str(FIXTURES / "query_orders_response.json"), "--report", "none")
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 0
    assert [json.loads(line)["number"] for line in lines] == ["10015", "10013"]


def test_not_json_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", ')
    proc = run("convert", str(bad))
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert err.startswith(f"{bad}::$: not valid JSON")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty input"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"[1, 2", "not valid JSON"),
        (b'"just a string"', "expected an order object"),
        (b'{"hello": "world"}', "not a Stores order"),
        (b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "in.json"
    bad.write_bytes(content)
    proc = run("convert", str(bad))
    assert proc.returncode == 1
    assert message in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()


def test_a_batch_keeps_going_past_a_bad_record(tmp_path: Path) -> None:
    good = load_json(EXAMPLE)
    bad = dict(good, lineItems=[{"index": 1, "quantity": "two"}])
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([good, bad, good]))
    proc = run("convert", str(batch), "--report", "none")
    assert proc.returncode == 1
    assert len(proc.stdout.decode().splitlines()) == 2
    err = proc.stderr.decode()
    assert f"{batch}::$[1].lineItems[0].quantity: expected an integer, got 'two'" in err
    assert "3 records in, 2 converted, 1 rejected" in err  # the summary: one closing line
    assert "record(s) failed" not in err


def test_ndjson_errors_name_the_line(tmp_path: Path) -> None:
    good = json.dumps(load_json(EXAMPLE))
    batch = tmp_path / "orders.ndjson"
    batch.write_text(f"{good}\nnot json\n{good}\n")
    proc = run("convert", str(batch), "--report", "none")
    assert proc.returncode == 1
    assert f"{batch}:2::$: not valid JSON" in proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_line_cut_short_is_placed_within_the_line_as_check_places_it(tmp_path: Path, newline: str) -> None:
    good = json.dumps(load_json(EXAMPLE))
    batch = tmp_path / "orders.ndjson"
    batch.write_bytes(f'{good}{newline}{{"id": "a", "number": 10{newline}{good}{newline}'.encode())
    where = "Expecting ',' delimiter: line 1 column 25 (char 24)"  # the end of '{"id": "a", "number": 10'
    expected = f"{batch}:2::$: not valid JSON: {where}"
    converted = run("convert", str(batch), "--report", "none").stderr.decode().splitlines()
    piped = run("convert", "-", "--report", "none", stdin=batch.read_bytes()).stderr.decode().splitlines()
    checked = run("check", str(batch)).stdout.decode().splitlines()
    assert expected in converted and expected in checked
    assert f"<stdin>:2::$: not valid JSON: {where}" in piped


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("convert", str(tmp_path / "nope.json"))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"orders-migrate: {tmp_path / 'nope.json'}: no such file\n"


def test_a_folder_with_nothing_to_convert_is_a_usage_error_too(tmp_path: Path) -> None:
    empty = tmp_path / "exports"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an order")
    proc = run("convert", str(empty), "-o", str(tmp_path / "out.ndjson"))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"orders-migrate: {empty}: no .json, .ndjson or .jsonl file in this folder\n"
    assert not (tmp_path / "out.ndjson").exists()


@pytest.mark.parametrize(
    "args", [("convert",), ("convert", "x.json", "--report", "xml"), ("frobnicate",), ("convert", "x.json", "--locale", "zz_QQ")]
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr.decode()


@pytest.mark.parametrize(
    "args,said",
    [
        (("convert", "-", "-"), "'-' (stdin) is given more than once"),
        (("import-plan", "-", "-", "-o", "plan.ndjson"), "'-' (stdin) is given more than once"),
        (("convert", "-", "-o", "out.ndjson", "--report-out", "-"), "'-' is not a file here"),
        (("convert", "-", "-o", "out.ndjson", "--rejects", "-"), "'-' is not a file here"),
        (("import-plan", "-", "-o", "plan.ndjson", "--rejects", "-"), "'-' is not a file here"),
        (("import-plan", "-", "-o", "plan.ndjson", "--report-out", "-"), "'-' is not a file here"),
    ],
)
def test_stdin_twice_or_a_file_option_of_dash_is_a_usage_error(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    # stdin read twice gave an empty second record; --report-out - made a file called '-' in the current folder
    proc = run(*args, stdin=EXAMPLE.read_bytes(), cwd=tmp_path)
    assert proc.returncode == 2
    assert said in " ".join(proc.stderr.decode().replace("│", " ").split())
    assert list(tmp_path.iterdir()) == []  # nothing written, no file named '-'


def test_version_and_help() -> None:
    lines = run("--version").stdout.decode().splitlines()
    assert lines[0].startswith("orders-migrate ")
    # what shapes the output besides the input, so two runs can be compared
    names = ["mappings", "babel", "cldr", "pycountry", "pydantic", "orjson", "msgspec", "pyyaml", "pyjwt"]
    assert [line.split()[0] for line in lines[1:]] == names
    assert "  babel 2.19.0" in lines and "  cldr 49" in lines
    for args in (("--help",), ("convert", "--help"), ("mappings", "--help")):
        proc = run(*args)
        assert proc.returncode == 0 and b"Usage" in proc.stdout


def test_mappings_prints_the_table_as_markdown() -> None:
    proc = run("mappings")
    assert proc.returncode == 0
    rows = [line for line in proc.stdout.decode().splitlines() if line.startswith("| `")]
    assert len(rows) >= 110


def test_each_wix_example_in_shared_converts(tmp_path: Path) -> None:
    """Every reference example (orders, webhooks, Velo, eCommerce) exits 0, nothing unmapped."""
    # realworld ecom_* files are Wix Automations bodies, not Stores or eCommerce API payloads
    examples = sorted((REFERENCE_DIR / "examples").glob("*.json")) + sorted((REFERENCE_DIR / "realworld").glob("stores_*.json"))
    assert len(examples) == 46
    for path in examples:
        proc = run("convert", str(path), "--report", "json", "-o", str(tmp_path / "out.json"))
        assert proc.returncode == 0, (path, proc.stderr)
        reports = json.loads(proc.stderr)
        for report in reports if isinstance(reports, list) else [reports]:
            assert not [e for e in report["entries"] if e["kind"] == "unmapped"], path
