"""`orders-migrate check` and `--fix` on real folders: the right files, the right exit codes, files kept tidy."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, ROOT, load_json
from orders_migrate.check import check_file
from orders_migrate.run import run_check

MIXED = FIXTURES / "check" / "mixed"
STORES = "still a Stores order (stores/v2); `orders-migrate check --fix` converts it in place"
WITH_COMPANIONS = ", with its companions if they are the ones its conversion gives"  # beside them, fix keeps or refuses


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of fixtures/check/mixed: Stores, eCommerce, broken and unrelated JSON side by side."""
    target = tmp_path / "payloads"
    shutil.copytree(MIXED, target)
    return target


def findings(stdout: str) -> list[str]:
    # The JSON parser's own wording after "not valid JSON" is not ours to pin down.
    return [re.sub(r"not valid JSON: .*", "not valid JSON", line) for line in stdout.splitlines() if "::" in line]


def test_check_reports_exactly_the_files_that_need_work(folder: Path) -> None:
    proc = run("check", "payloads", cwd=folder.parent)
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert findings(proc.stdout) == [
        "payloads/broken.json::$: not valid JSON",
        "payloads/ecom_invalid.json::$.number: expected a string, got 10096",
        "payloads/ecom_invalid.json::$.lineItems[0].price.amount: expected a string, got 10.5",
        'payloads/ecom_invalid.json::$.status: expected one of "INITIALIZED", "APPROVED", "CANCELED", "PENDING", "REJECTED", '
        'got "DONE"',
        f"payloads/mixed_array.json::$[1]: {STORES}",
        f"payloads/orders.ndjson:2::$: {STORES}",
        f"payloads/orders.ndjson:4::$: {STORES}",
        f"payloads/stores_get_order.json::$.order: {STORES}",
        f"payloads/stores_order.json::$: {STORES}",
        f"payloads/stores_query_response.json::$.orders[0]: {STORES}",
        f"payloads/stores_query_response.json::$.orders[1]: {STORES}",
    ]
    assert (
        proc.stdout.splitlines()[-1] == "orders-migrate check: 7 file(s) failing, 0 fixed, 2 clean, 3 skipped (no order payload)"
    )


def test_fix_migrates_what_it_can_and_a_second_check_names_only_the_rest(folder: Path) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    proc = run("check", "--fix", "payloads", cwd=folder.parent)
    assert proc.returncode == 1
    fixed = sorted(line.split(":")[0] for line in proc.stdout.splitlines() if ": fixed: " in line)
    assert fixed == [
        f"payloads/{n}"
        for n in ("mixed_array.json", "orders.ndjson", "stores_get_order.json", "stores_order.json", "stores_query_response.json")
    ]
    # Broken JSON, invalid eCommerce orders and unrelated files are left byte for byte.
    for name in ("broken.json", "ecom_invalid.json", "ecom_order.json", "ecom_orders.jsonl", "unrelated.json", "README.md"):
        assert (folder / name).read_bytes() == before[name], name
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]

    again = run("check", "payloads", cwd=folder.parent)
    assert again.returncode == 1
    assert {line.split("::")[0] for line in findings(again.stdout)} == {"payloads/broken.json", "payloads/ecom_invalid.json"}

    (folder / "broken.json").unlink()
    (folder / "ecom_invalid.json").unlink()
    clean = run("check", "payloads", cwd=folder.parent)
    assert (clean.returncode, clean.stdout) == (0, "")


def test_fixed_files_hold_the_reviewed_conversions(folder: Path) -> None:
    run("check", "--fix", str(folder), cwd=ROOT)
    assert load_json(folder / "stores_order.json") == load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    query = load_json(folder / "stores_query_response.json")
    assert [o["number"] for o in query["orders"]] == ["10015", "10013"]
    assert query["metadata"] == {"items": 100, "offset": 0} and query["totalResults"] == 2
    assert load_json(folder / "mixed_array.json") == [
        load_json(FIXTURES / "ecom" / "pos_canceled.json"),
        load_json(FIXTURES / "ecom" / "pickup_tax_included.json"),
    ]
    lines = (folder / "orders.ndjson").read_text().split("\n")
    assert [json.loads(line)["number"] if line else "" for line in lines] == ["10124", "10001", "", "10004", ""]


def test_fix_keeps_each_file_layout(folder: Path) -> None:
    original_ndjson = (MIXED / "orders.ndjson").read_text().split("\n")
    run("check", "--fix", str(folder), cwd=ROOT)
    assert (folder / "stores_order.json").read_text().startswith('{\n  "id": ')
    assert (folder / "stores_query_response.json").read_text().startswith('{\n    "orders": [\n        {\n            "id": ')
    assert (folder / "mixed_array.json").read_text().startswith('[\n\t{\n\t\t"id": ')
    assert (folder / "stores_order.json").read_text().endswith("}\n")
    compact = (folder / "stores_get_order.json").read_text()
    assert compact.startswith('{"order":{"') and "\n" not in compact
    ndjson = (folder / "orders.ndjson").read_text().split("\n")
    assert ndjson[0] == original_ndjson[0]  # an eCommerce line is not rewritten
    assert ndjson[1].startswith('{"') and ": " not in ndjson[1][:50]


def test_fix_keeps_utf8_and_escapes_as_the_file_had_them(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    order["buyerNote"] = "Grüße aus München"
    plain, escaped = tmp_path / "plain.json", tmp_path / "escaped.json"
    plain.write_text(json.dumps(order, indent=2, ensure_ascii=False), encoding="utf-8")
    escaped.write_text(json.dumps(order, indent=2, ensure_ascii=True), encoding="utf-8")
    for path in (plain, escaped):
        assert check_file(str(path), fix=True).fixed
    assert "Grüße aus München" in plain.read_text(encoding="utf-8")
    assert "Gr\\u00fc\\u00dfe" in escaped.read_text(encoding="ascii")
    assert not plain.read_text().endswith("\n")


def test_fix_keeps_windows_line_endings(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "stores" / "invoice_inr.json")
    path = tmp_path / "order.json"
    path.write_bytes(json.dumps(order, indent=2).replace("\n", "\r\n").encode() + b"\r\n")
    lines = [json.dumps(order), json.dumps(load_json(FIXTURES / "ecom" / "pos_canceled.json"))]
    ndjson = tmp_path / "orders.ndjson"
    ndjson.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert check_file(str(path), fix=True).fixed and check_file(str(ndjson), fix=True).fixed
    text = path.read_bytes()
    assert text.endswith(b"}\r\n") and text.count(b"\r\n") == text.count(b"\n")
    rows = ndjson.read_bytes().split(b"\r\n")
    assert rows[1] == lines[1].encode() and rows[2] == b"" and b"\n" not in rows[0]
    assert json.loads(rows[0])["number"] == "10001"


def test_fix_keeps_permissions_and_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    shutil.copy(FIXTURES / "stores" / "invoice_inr.json", target)
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    result = check_file(str(link), fix=True)
    assert result.fixed and result.converted == 1
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert load_json(target)["number"] == "10001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_a_stores_order_that_cannot_convert_is_reported_and_the_file_kept(tmp_path: Path) -> None:
    good = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    bad = json.loads(json.dumps(good))
    bad["lineItems"][0]["quantity"] = "two"
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([good, bad], indent=2))
    before = path.read_bytes()
    out = io.StringIO()
    assert run_check([str(path)], fix=True, stream=out) == 1
    assert f"{path}::$[1].lineItems[0].quantity: not fixed: expected an integer, got 'two'" in out.getvalue()
    assert path.read_bytes() == before  # one bad order keeps the whole file as it was


def test_an_ndjson_line_that_cannot_convert_keeps_the_whole_file(tmp_path: Path) -> None:
    good = load_json(FIXTURES / "stores" / "invoice_inr.json")
    bad = dict(good, lineItems=[{"index": 1, "quantity": "two"}])
    path = tmp_path / "export.ndjson"
    path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    before = path.read_bytes()
    result = check_file(str(path), fix=True)
    assert not result.fixed and result.converted == 0
    assert [str(f) for f in result.findings] == [f"{path}:2::$.lineItems[0].quantity: not fixed: expected an integer, got 'two'"]
    assert path.read_bytes() == before


def test_a_broken_ndjson_line_keeps_the_file_unfixed(tmp_path: Path) -> None:
    stores_line = json.dumps(load_json(FIXTURES / "stores" / "invoice_inr.json"))
    path = tmp_path / "export.jsonl"
    path.write_text(f"{stores_line}\nnot json\n")
    before = path.read_bytes()
    out = io.StringIO()
    assert run_check([str(path)], fix=True, stream=out) == 1
    assert f"{path}:2::$: not valid JSON" in out.getvalue()
    assert path.read_bytes() == before


def test_several_json_objects_one_per_line_in_a_json_file_are_ndjson(tmp_path: Path) -> None:
    lines = [json.dumps(load_json(FIXTURES / "ecom" / n)) for n in ("invoice_inr.json", "pos_canceled.json")]
    path = tmp_path / "export.json"
    path.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    assert run_check([str(path)], stream=out) == 0, out.getvalue()


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "not valid JSON: the file is empty"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b'{"lineItems": [}', "not valid JSON"),
        (b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_files_that_are_not_json_fail(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    result = check_file(str(path), fix=True)
    assert [f.path for f in result.findings] == ["$"]
    assert message in result.findings[0].message
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    "name,content",
    [
        ("package.json", '{"name": "x", "version": "1.0.0"}'),
        ("list.json", "[1, 2, 3]"),
        ("null.json", "null"),
        ("empty.ndjson", ""),
        ("notes.txt", "not json at all"),
        ("settings.json", '{"orders": [], "order": 3}'),
    ],
)
def test_files_without_orders_are_skipped(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = check_file(str(path), fix=True)
    assert result.skipped and not result.fixed
    assert path.read_text() == content


def test_folders_are_searched_for_json_files_outside_hidden_folders(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    shutil.copy(FIXTURES / "stores" / "invoice_inr.json", tmp_path / ".git" / "stored.json")
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / "stores" / "invoice_inr.json", tmp_path / "sub" / "stored.JSON")
    out = io.StringIO()
    assert run_check([str(tmp_path)], stream=out) == 1
    assert [line.split("::")[0] for line in findings(out.getvalue())] == [str(tmp_path / "sub" / "stored.JSON")]


def test_a_missing_file_is_a_usage_error_as_for_every_command(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "stores" / "invoice_inr.json", tmp_path / "stored.json")
    out, err = io.StringIO(), io.StringIO()
    # Found before any file is checked or fixed: the Stores order beside it is left as it is.
    assert run_check([str(tmp_path / "stored.json"), str(tmp_path / "nope.json")], fix=True, stream=out, stderr=err) == 2
    assert (out.getvalue(), err.getvalue()) == ("", f"orders-migrate: {tmp_path / 'nope.json'}: no such file\n")
    assert (tmp_path / "stored.json").read_bytes() == (FIXTURES / "stores" / "invoice_inr.json").read_bytes()
    proc = run("check", "nosuch.json", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", "orders-migrate: nosuch.json: no such file\n")


def test_a_file_that_exists_but_cannot_be_read_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.json"
    locked.write_text("{}", encoding="utf-8")
    read_bytes = Path.read_bytes

    def refuse(self: Path) -> bytes:  # the tests run as root, whom a file mode does not stop
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    out = io.StringIO()
    assert run_check([str(locked)], stream=out) == 1
    assert findings(out.getvalue()) == [f"{locked}::$: cannot read: Permission denied"]


def test_clean_files_exit_0_silently(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "ecom" / "member_with_tax.json", tmp_path / "order.json")
    proc = run("check", str(tmp_path / "order.json"), cwd=ROOT)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_check_without_files_is_a_usage_error() -> None:
    proc = run("check", cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def _order_event(order: object) -> dict[str, object]:
    return {"id": "e1", "entityFqdn": "wix.ecom.v1.order", "slug": "approved", "actionEvent": {"body": {"order": order}}}


def test_stored_stores_webhooks_are_flagged_and_fixed_into_ecommerce_events(tmp_path: Path) -> None:
    webhooks = sorted((FIXTURES / "webhooks").glob("*.json"))
    if not webhooks:
        pytest.skip("no stored webhook fixtures in this checkout")
    shutil.copy(FIXTURES / "webhooks" / "fulfillment_created.json", tmp_path / "delivery.json")
    shutil.copy(FIXTURES / "webhooks" / "order_refunded.json", tmp_path / "refund.json")
    out = io.StringIO()
    assert run_check([str(tmp_path)], stream=out) == 1
    assert findings(out.getvalue()) == [
        f"{tmp_path / 'delivery.json'}::$: still a Stores Fulfillment Created webhook body; "
        "`orders-migrate check --fix` converts it to its eCommerce event",
        f"{tmp_path / 'refund.json'}::$: still a Stores Order Refunded webhook body; "
        "`orders-migrate check --fix` converts it to its eCommerce event",
    ]
    assert run_check([str(tmp_path)], fix=True, stream=io.StringIO()) == 1
    assert load_json(tmp_path / "delivery.json")["entityFqdn"] == "wix.ecom.v1.fulfillments"
    assert "refundId" not in load_json(tmp_path / "refund.json")  # the whole body became an event, not just its order
    again = io.StringIO()
    assert run_check([str(tmp_path)], stream=again) == 0, again.getvalue()


def test_ecommerce_order_events_have_their_order_validated(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    good, bad = tmp_path / "approved.json", tmp_path / "broken_order.json"
    good.write_text(json.dumps(_order_event(order)))
    order["number"] = 10012
    bad.write_text(json.dumps(_order_event(order)))
    fulfillments = tmp_path / "fulfillments.json"
    fulfillments.write_text(json.dumps({"entityFqdn": "wix.ecom.v1.fulfillments", "slug": "updated", "updatedEvent": {}}))
    assert check_file(str(good)).clean and not check_file(str(good)).skipped
    assert [str(f) for f in check_file(str(bad)).findings] == [
        f"{bad}::$.actionEvent.body.order.number: expected a string, got 10012"
    ]
    assert check_file(str(fulfillments)).skipped


# ---- an order written with its companions ({"order", "orderWithFulfillments", "orderTransactions"}) ----

CASE = FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json"


def _with_companions(tmp_path: Path) -> Path:
    """What `convert --companions` writes for one order: the eCommerce order beside its two companions."""
    out = tmp_path / "with_companions.json"
    proc = run("convert", str(CASE), "--companions", "-o", str(out), "--report", "none", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return out


def _messages(path: Path, fix: bool = False) -> list[str]:
    return [f"{f.path}: {f.message}" for f in check_file(str(path), fix=fix).findings]


def test_an_order_with_its_companions_as_convert_writes_it_is_clean(tmp_path: Path) -> None:
    path = _with_companions(tmp_path)
    result = check_file(str(path))
    assert result.clean and not result.skipped and result.orders == 1


def test_each_companion_is_held_to_its_schema(tmp_path: Path) -> None:
    path = _with_companions(tmp_path)
    record = load_json(path)
    record["orderTransactions"]["payments"][0]["amount"]["amount"] = 45
    record["orderWithFulfillments"]["fulfillments"][0]["lineItems"][0]["quantity"] = 0
    record["order"]["number"] = 10096
    path.write_text(json.dumps(record, indent=2) + "\n")
    assert _messages(path) == [
        "$.orderWithFulfillments.fulfillments[0].lineItems[0].quantity: expected at least 1, got 0",
        "$.orderTransactions.payments[0].amount.amount: expected a string, got 45",
        "$.order.number: expected a string, got 10096",
    ]
    before = path.read_bytes()
    check_file(str(path), fix=True)
    assert path.read_bytes() == before  # nothing a fix could convert: the file stays as it is


def test_a_stores_order_beside_its_companions_is_flagged_and_fixed_with_them(tmp_path: Path) -> None:
    written = load_json(_with_companions(tmp_path))
    stores = tmp_path / "stores_with_companions.ndjson"
    line = {"order": load_json(CASE), "orderTransactions": written["orderTransactions"]}
    stores.write_text(json.dumps(line) + "\n" + json.dumps({"order": load_json(CASE)}) + "\n")
    assert _messages(stores) == [f"$.order: {STORES}{WITH_COMPANIONS}", f"$.order: {STORES}"]
    result = check_file(str(stores), fix=True)
    assert result.fixed and result.converted == 2 and not result.findings
    first, second = (json.loads(text) for text in stores.read_text().splitlines())
    assert first == written  # the order converted, and both companions as convert --companions writes them
    assert set(second) == {"order"} and second["order"] == written["order"]  # a plain Get Order stays one
    assert check_file(str(stores)).clean


def test_fix_never_throws_away_a_companion_it_would_write_differently(tmp_path: Path) -> None:
    written = load_json(_with_companions(tmp_path))
    written["orderTransactions"]["payments"][0]["id"] = "a1b2c3d4-0000-4000-8000-000000000001"  # known elsewhere
    path = tmp_path / "stores_with_companions.json"
    path.write_text(json.dumps({"order": load_json(CASE), "orderTransactions": written["orderTransactions"]}, indent=2))
    before = path.read_bytes()
    assert _messages(path, fix=True) == [
        "$.orderTransactions: not fixed: the Stores order gives another orderTransactions than the one beside it, "
        "which --fix would lose; fix it by hand"
    ]
    assert path.read_bytes() == before


def test_a_stores_order_is_named_by_its_dialect(tmp_path: Path) -> None:
    velo = load_json(FIXTURES / "stores" / "velo_order_paid.json")
    rest = load_json(FIXTURES / "stores" / "invoice_inr.json")
    velo_message = STORES.replace("(stores/v2)", "(Velo, wix-stores-backend)")
    stored = tmp_path / "stored.json"
    stored.write_text(json.dumps([velo, rest, {"order": velo, "orderTransactions": {"payments": []}}]))
    assert _messages(stored)[:2] == [f"$[0]: {velo_message}", f"$[1]: {STORES}"]
    assert f"$[2].order: {velo_message}{WITH_COMPANIONS}" in _messages(stored)  # beside its companions too
    # Both dialects at once cannot be converted: said as --fix would say it, not as a Stores order to fix.
    both = tmp_path / "both.json"
    both.write_text(json.dumps({**velo, "dateCreated": rest["dateCreated"]}))
    assert _messages(both) == [
        "$: mixes the REST and Velo dialects: has dateCreated (REST) and _id (Velo); convert one or the other"
    ]


def test_a_fix_that_cannot_be_written_is_a_finding_and_the_file_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "order.json"
    shutil.copy(FIXTURES / "stores" / "pickup_tax_included.json", path)
    before = path.read_bytes()
    from orders_migrate import outfiles

    def full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return open(file, mode, *args, **kwargs)  # noqa: SIM115 - handed to the code under test

    monkeypatch.setattr(outfiles, "open", full_disk, raising=False)
    result = check_file(str(path), fix=True)
    assert not result.fixed
    assert [f.message for f in result.findings][-1] == "not fixed: cannot write the file: No space left on device"
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["order.json"]  # no temporary file left behind


def test_a_companion_contradicting_the_order_beside_it_is_found(tmp_path: Path) -> None:
    from orders_migrate import convert_order

    order = load_json(FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json")
    converted = convert_order(order, companions=True)
    record: dict[str, Any] = {"order": converted.order, **converted.companions}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    assert check_file(str(path)).findings == []
    record["orderTransactions"]["orderId"] = "other"
    record["orderWithFulfillments"]["fulfillments"][0]["lineItems"][0]["id"] = "00000000-0000-0000-0000-000000000099"
    path.write_text(json.dumps(record))
    found = [(f.path, f.message) for f in check_file(str(path)).findings]
    assert found == [
        ("$.orderTransactions.orderId", f"names order other, but the order beside it is {order['id']}"),
        (
            "$.orderWithFulfillments.fulfillments[0].lineItems[0].id",
            "00000000-0000-0000-0000-000000000099 names no line item of the order beside it",
        ),
    ]


def test_the_check_of_a_stores_order_with_companions_says_when_fix_keeps_them(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json")
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"order": order, "orderTransactions": {"orderId": order["id"]}}))
    (finding,) = check_file(str(path)).findings
    assert finding.message.endswith("converts it in place, with its companions if they are the ones its conversion gives")
    refused = check_file(str(path), fix=True)
    assert not refused.fixed and "which --fix would lose" in refused.findings[-1].message


def test_a_line_item_id_that_is_no_string_beside_companions_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    # The line items' ids were gathered in a set: an array or object id raised TypeError (check's traceback,
    # import-plan's "internal error").
    from orders_migrate.importplan.writer import run_import_plan

    record = load_json(_with_companions(tmp_path))
    record["order"]["lineItems"][0]["id"] = [1]
    path = tmp_path / "bad_id.json"
    path.write_text(json.dumps(record))
    proc = run("check", str(path), cwd=ROOT)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{path}::$.order.lineItems[0].id: expected a string, got an array" in proc.stdout
    err = io.StringIO()
    assert run_import_plan([str(path)], str(tmp_path / "plan.ndjson"), stderr=err) == 1
    assert "internal error" not in err.getvalue()


def test_a_stores_order_beside_keys_that_are_no_companions_is_a_finding(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "stores" / "invoice_inr.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"order": order, "extra": 1}))
    proc = run("check", str(bad), cwd=ROOT)
    assert proc.returncode == 1
    assert findings(proc.stdout) == [
        f"{bad}::$.order: still a Stores order (stores/v2), not converted: beside it $.extra, which no companion is "
        "(a record of an order and its companions holds only order, orderWithFulfillments, orderTransactions); "
        "`check --fix` converts an order alone or beside its companions: move it out, or remove what is beside it"
    ]
    # In an array, beside companions too: named at its place, each key that is no companion named.
    bad.write_text(json.dumps([{"order": order, "orderTransactions": {"orderId": order["id"]}, "note": "x", "a b": 2}]))
    (finding,) = check_file(str(bad)).findings
    assert finding.path == "$[0].order" and 'beside it $[0]["a b"], $[0].note, which no companion is' in finding.message
    before = bad.read_bytes()
    fixed = check_file(str(bad), fix=True)
    assert not fixed.fixed and fixed.findings == [finding] and bad.read_bytes() == before  # --fix cannot tell what they are
    # The good file: the same order converted, written with its companions as convert writes them.
    good = _with_companions(tmp_path)
    proc = run("check", str(good), cwd=ROOT)
    assert proc.returncode == 0 and findings(proc.stdout) == []


def test_an_ecommerce_order_beside_keys_that_are_no_companions_is_held_to_its_model(tmp_path: Path) -> None:
    # It was skipped as no order payload, so an invalid eCommerce order beside an extra key passed the hook.
    order = load_json(FIXTURES / "ecom" / "invoice_inr.json")
    path = tmp_path / "beside.json"
    path.write_text(json.dumps([{"order": order, "meta": {"exported": "2024-01-01"}}]))
    good = check_file(str(path))
    assert good.findings == [] and good.orders == 1 and not good.skipped
    order["status"] = "DONE"
    path.write_text(json.dumps([{"order": order, "meta": {"exported": "2024-01-01"}}]))
    (finding,) = check_file(str(path)).findings
    assert finding.path == "$[0].order.status" and finding.message.startswith('expected one of "INITIALIZED"')


def test_check_alone_says_what_fix_would_refuse_instead_of_promising_a_fix(tmp_path: Path) -> None:
    # It said "`check --fix` converts it in place" of an order --fix then refused.
    order = load_json(FIXTURES / "stores" / "invoice_inr.json")
    order["lineItems"] = 5
    body = load_json(FIXTURES / "webhooks" / "order_created.json")
    body["lineItems"] = 5
    blocked = "`orders-migrate check --fix` cannot convert it until what follows is fixed"
    for record, first in (
        (order, f"$: still a Stores order (stores/v2); {blocked}"),
        (body, f"$: still a Stores Order Created webhook body; {blocked}"),
        ({"order": order}, f"$.order: still a Stores order (stores/v2); {blocked}"),
    ):
        path = tmp_path / "stored.json"
        path.write_text(json.dumps(record))
        at = "$.order.lineItems" if "order" in record else "$.lineItems"
        assert _messages(path) == [first, f"{at}: expected an array, got 5"]
        assert _messages(path, fix=True) == [f"{at}: not fixed: expected an array, got 5"]  # the same reason
    path.write_text(json.dumps(load_json(FIXTURES / "stores" / "invoice_inr.json")))
    assert _messages(path) == [f"$: {STORES}"]  # one it can convert: the promise, kept
    assert check_file(str(path), fix=True).fixed
