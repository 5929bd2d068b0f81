"""import-plan: every stored order becomes Import Order + its fulfillments, or a reject that says why."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from conftest import FIXTURES, REFERENCE_DIR, ROOT, STORES_FIXTURES, load_json
from orders_migrate import ConversionError, convert_order
from orders_migrate.cli import app
from orders_migrate.importplan.payments import ADD_PAYMENTS, NO_ADD_REFUND
from orders_migrate.importplan.requests import (
    CREATE_FULFILLMENT,
    IMPORT_ORDER,
    LEFT_OUT,
    SET_ORDER_NUMBER_COUNTER,
    Rejected,
    import_body,
    payment_requests,
    plan_record,
)
from orders_migrate.importplan.required import REQUIRED, check_import
from orders_migrate.importplan.writer import run_import_plan
from orders_migrate.models.importing import (
    AddPaymentsRequest,
    CreateFulfillmentRequest,
    ImportOrderRequest,
    SetOrderNumberCounterRequest,
)
from orders_migrate.reader import Record
from strategies import stores_order

ALL_STORES_FIXTURES = sorted(
    [
        *STORES_FIXTURES,
        *(REFERENCE_DIR / "examples").glob("stores_order_*.json"),
        *(REFERENCE_DIR / "realworld").glob("stores_*.json"),
    ]
)
# The fixtures Import Order would refuse, and the path each names first.
REFUSED = {
    "create_request_minimal.json": "$.order.billingInfo.contactDetails",
    "custom_item_external_image.json": "$.order.lineItems[0].catalogReference.appId",
    "pos_canceled.json": "$.order.billingInfo.contactDetails",
    "pickup_tax_included.json": "$.order.lineItems[1].catalogReference.appId",
    "undocumented_values.json": "$.order.channelInfo",
    "stores_order_9.json": "$.order.billingInfo.contactDetails",
    "stores_order_11.json": "$.order.billingInfo.contactDetails",
    "stores_order_pipedream_1.json": "$.order.channelInfo",
}
MODELS = {
    IMPORT_ORDER[1]: ImportOrderRequest,
    CREATE_FULFILLMENT[1]: CreateFulfillmentRequest,
    ADD_PAYMENTS[1]: AddPaymentsRequest,
    SET_ORDER_NUMBER_COUNTER[1]: SetOrderNumberCounterRequest,
}


def plan_files(
    tmp_path: Path, *files: Path | str, report: bool = False
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], str]:
    err = io.StringIO()
    tmp_path.mkdir(parents=True, exist_ok=True)
    out, rejects, reports = tmp_path / "plan.ndjson", tmp_path / "rejects.ndjson", tmp_path / "report.ndjson"
    code = run_import_plan([str(f) for f in files], str(out), str(rejects), str(reports) if report else None, stderr=err)
    read = lambda p: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]  # noqa: E731
    return code, read(out), read(rejects), err.getvalue()


def test_an_output_that_is_an_input_or_another_output_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # -o on the stored order replaced the Stores API's last copy of it with the plan, and exit 0.
    stored = tmp_path / "order.json"
    stored.write_bytes((FIXTURES / "stores" / "invoice_inr.json").read_bytes())
    before = stored.read_bytes()
    plan = tmp_path / "plan.ndjson"
    for output, rejects, reports in ((stored, None, None), (plan, plan, None), (plan, None, stored)):
        err = io.StringIO()
        code = run_import_plan([str(tmp_path)], str(output), rejects and str(rejects), reports and str(reports), stderr=err)
        assert code == 2 and err.getvalue().startswith("orders-migrate: ") and stored.read_bytes() == before
        assert not plan.exists()
    err = io.StringIO()
    assert run_import_plan([str(tmp_path / "nope.json")], str(plan), stderr=err) == 2
    assert err.getvalue() == f"orders-migrate: {tmp_path / 'nope.json'}: no such file\n" and not plan.exists()


@pytest.mark.parametrize("fixture", ALL_STORES_FIXTURES, ids=lambda p: p.name)
def test_every_stores_fixture_is_planned_or_rejected_with_a_reason(fixture: Path, tmp_path: Path) -> None:
    code, plan, rejects, err = plan_files(tmp_path, fixture)
    if fixture.name in REFUSED:
        assert code == 1 and plan == [] and len(rejects) == 1
        errors = rejects[0]["errors"]
        assert errors[0]["path"] == REFUSED[fixture.name]
        assert all(e["message"].startswith("required by Import Order, missing: ") for e in errors)
        assert f"{fixture}::{REFUSED[fixture.name]}: required by Import Order" in err
        assert rejects[0]["record"] == load_json(fixture)
    else:
        assert code == 0, err
        assert rejects == []
        imports = [r for r in plan if r["path"] == IMPORT_ORDER[1]]
        assert len(imports) == 1
        assert imports[0]["ref"]["source"] == str(fixture) and imports[0]["ref"]["request"] == "import"
        for request in plan:
            MODELS[request["path"]].model_validate(request["body"])  # each body is a valid request


def test_a_custom_amount_item_says_what_the_user_can_do(tmp_path: Path) -> None:
    _, _, rejects, _ = plan_files(tmp_path, FIXTURES / "stores" / "pickup_tax_included.json")
    paths = {e["path"]: e["message"] for e in rejects[0]["errors"]}
    assert set(paths) == {"$.order.lineItems[1].catalogReference.appId", "$.order.lineItems[1].catalogReference.catalogItemId"}
    message = paths["$.order.lineItems[1].catalogReference.appId"]
    assert "custom-amount item has no catalog item" in message and "productId" in message


def test_the_import_body_is_the_converted_order_without_what_import_order_does_not_take(tmp_path: Path) -> None:
    source = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
    converted = convert_order(load_json(source)).order
    _, plan, _, _ = plan_files(tmp_path, source, report=True)
    body = plan[0]["body"]["order"]
    assert "id" not in body and body["number"] == converted["number"] == "10012"
    assert body == {k: v for k, v in converted.items() if k not in LEFT_OUT}
    report = json.loads((tmp_path / "report.ndjson").read_text(encoding="utf-8"))
    dropped = {e["path"] for e in report["report"]["entries"] if e["kind"] == "dropped" and e.get("row") == "import-plan"}
    assert "$.id" in dropped
    # A partly paid order records no amount for its payment: Add Payments cannot take it, the report says so.
    unpaid = [e for e in report["report"]["entries"] if e["path"] == "$.billingInfo" and e.get("row") == "import-plan"]
    assert len(unpaid) == 1 and "requires a payment's amount" in unpaid[0]["message"]
    assert "regularPaymentDetails.paymentMethodName.buyerLanguageName" in unpaid[0]["message"]
    assert [r["path"] for r in plan].count(ADD_PAYMENTS[1]) == 0
    assert report["ref"] == plan[0]["ref"]


def test_fulfillments_follow_their_import_with_the_order_id_placeholder(tmp_path: Path) -> None:
    source = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
    stores = load_json(source)
    _, plan, _, _ = plan_files(tmp_path, source)
    assert [r["ref"]["request"] for r in plan] == ["import", "fulfillment[0]", "order-number-counter"]
    fulfillment = plan[1]
    assert fulfillment["path"] == "/ecom/v1/fulfillments/orders/{orderId}/create-fulfillment"
    assert fulfillment["body"]["orderId"] == "{orderId}"
    stored = stores["fulfillments"][0]
    expected_ids = [f"00000000-0000-0000-0000-{item['index']:012d}" for item in stored["lineItems"]]
    assert [i["id"] for i in fulfillment["body"]["fulfillment"]["lineItems"]] == expected_ids
    assert fulfillment["body"]["fulfillment"]["trackingInfo"]["trackingNumber"] == stored["trackingInfo"]["trackingNumber"]
    assert "id" not in fulfillment["body"]["fulfillment"] and "createdDate" not in fulfillment["body"]["fulfillment"]
    assert {k: v for k, v in fulfillment["ref"].items() if k != "request"} == {
        k: v for k, v in plan[0]["ref"].items() if k != "request"
    }


def test_the_counter_follows_the_highest_number(tmp_path: Path) -> None:
    files = [FIXTURES / "stores" / name for name in ("coupon_partially_fulfilled.json", "velo_pickup_ils.json")]
    _, plan, _, _ = plan_files(tmp_path, *files)
    numbers = [int(r["body"]["order"]["number"]) for r in plan if r["path"] == IMPORT_ORDER[1]]
    assert plan[-1]["path"] == SET_ORDER_NUMBER_COUNTER[1]
    assert plan[-1]["body"] == {"counter": str(max(numbers) + 1)}
    assert [r["path"] for r in plan].count(SET_ORDER_NUMBER_COUNTER[1]) == 1


def test_a_batch_goes_on_past_a_bad_order_and_names_its_line(tmp_path: Path) -> None:
    good = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    bad = load_json(FIXTURES / "stores" / "pos_canceled.json")
    other = load_json(FIXTURES / "stores" / "velo_pickup_ils.json")
    source = tmp_path / "orders.ndjson"
    source.write_text("\n".join(json.dumps(o) for o in (good, bad, other)) + "\n", encoding="utf-8")
    code, plan, rejects, err = plan_files(tmp_path, source)
    assert code == 1
    assert [r["ref"].get("line") for r in plan if r["path"] == IMPORT_ORDER[1]] == [1, 3]
    assert [(r["line"], r["storesOrderId"]) for r in rejects] == [(2, bad["id"])]
    assert f"{source}:2::$.order.billingInfo.contactDetails" in err


def test_the_same_order_twice_is_planned_once(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    source = tmp_path / "orders.json"
    source.write_text(json.dumps({"orders": [order, order]}), encoding="utf-8")
    code, plan, rejects, err = plan_files(tmp_path, source)
    assert code == 1
    assert f"{source}::$.orders[1].id: the same order as {source}::$.orders[0]" in err
    assert [r["ref"]["record"] for r in plan if r["path"] == IMPORT_ORDER[1]] == ["$.orders[0]"]
    assert (
        rejects[0]["path"] == "$.orders[1]" and "a second import would make a second order" in rejects[0]["errors"][0]["message"]
    )


def test_a_webhook_body_with_a_whole_order_is_planned_from_that_order(tmp_path: Path) -> None:
    code, plan, _, _ = plan_files(tmp_path, REFERENCE_DIR / "examples" / "stores_webhook_order_paid.json")
    summary_code, _, rejects, _ = plan_files(tmp_path, REFERENCE_DIR / "examples" / "stores_webhook_order_created.json")
    assert code == 0 and plan[0]["path"] == IMPORT_ORDER[1]
    assert summary_code == 1 and "holds no whole order" in rejects[0]["errors"][0]["message"]


@pytest.mark.parametrize("required", REQUIRED)
def test_each_required_path_is_checked_by_the_planner_and_the_model(required: str, tmp_path: Path) -> None:
    _, plan, _, _ = plan_files(tmp_path, FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    body = copy.deepcopy(plan[0]["body"])
    *parents, leaf = required.replace("[]", "[0]").split(".")
    node: Any = body["order"]
    for part in parents:
        node = node["lineItems"][0] if part == "lineItems[0]" else node[part]
    if leaf.endswith("[0]"):
        leaf = leaf[:-3]
    del node[leaf]
    problems = check_import(body["order"])
    assert f"$.order.{required.replace('[]', '[0]')}" in {p.path for p in problems}
    with pytest.raises(ValidationError):
        ImportOrderRequest.model_validate(body)


def _payments_as_sent(companion: dict[str, Any]) -> list[dict[str, Any]]:
    """The companion's payments that have an amount, as Add Payments takes them (no formattedAmount)."""
    out = []
    for payment in companion["payments"]:
        if "amount" in payment:
            out.append({**payment, "amount": {"amount": payment["amount"]["amount"]}})
    return out


def test_a_paid_order_s_payment_follows_its_import_with_the_order_id_placeholder(tmp_path: Path) -> None:
    source = FIXTURES / "stores" / "member_with_tax.json"
    companion = load_json(FIXTURES / "companions" / "stores" / "member_with_tax.json")["orderTransactions"]
    code, plan, _, err = plan_files(tmp_path, source)
    assert code == 0, err
    assert [r["ref"]["request"] for r in plan][:2] == ["import", "payment[0]"]
    payment = plan[1]
    assert (payment["method"], payment["path"]) == ("POST", "/ecom/v1/payments/orders/{orderId}/add-payment")
    assert payment["body"] == {"orderId": "{orderId}", "payments": _payments_as_sent(companion)}
    assert payment["body"]["payments"][0]["amount"] == {"amount": "269.79"}
    assert payment["body"]["payments"][0]["regularPaymentDetails"]["providerTransactionId"] == "pi_EXAMPLE0000000000000001"
    AddPaymentsRequest.model_validate(payment["body"])
    assert "1 add-payment(s)" in err


def test_a_gift_card_and_a_regular_payment_go_in_one_request_and_refunds_are_reported(tmp_path: Path) -> None:
    source = FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json"
    companion = load_json(FIXTURES / "companions" / "cases" / "gift_card_refunded.json")["orderTransactions"]
    code, plan, _, err = plan_files(tmp_path, source, report=True)
    assert code == 0, err
    payments = [r for r in plan if r["path"] == ADD_PAYMENTS[1]]
    assert len(payments) == 1
    sent = payments[0]["body"]["payments"]
    assert sent == _payments_as_sent(companion)
    assert [sorted(k for k in p if k.endswith("Details")) for p in sent] == [
        ["regularPaymentDetails"],
        ["giftcardPaymentDetails"],
    ]
    report = json.loads((tmp_path / "report.ndjson").read_text(encoding="utf-8"))["report"]
    refunds = [e for e in report["entries"] if e["path"].startswith("$.refunds[") and e.get("row") == "import-plan"]
    assert [(e["path"], e["kind"], e["message"]) for e in refunds] == [
        ("$.refunds[0]", "dropped", NO_ADD_REFUND),
        ("$.refunds[1]", "dropped", NO_ADD_REFUND),
    ]
    assert "2 stored refund(s) not planned: Order Transactions publishes no method that adds a refund" in err


def test_an_order_a_gift_card_paid_whole_plans_that_one_payment_and_drops_nothing(tmp_path: Path) -> None:
    source = FIXTURES / "companions" / "cases" / "gift_card_whole_order.input.json"
    _, plan, _, _ = plan_files(tmp_path, source, report=True)
    sent = next(r for r in plan if r["path"] == ADD_PAYMENTS[1])["body"]["payments"]
    assert sent == [
        {
            "amount": {"amount": "15"},
            "giftcardPaymentDetails": {},
            "createdDate": "2020-03-18T16:47:59.244Z",
            "status": "APPROVED",
        }
    ]
    report = json.loads((tmp_path / "report.ndjson").read_text(encoding="utf-8"))["report"]
    assert [e for e in report["entries"] if e.get("row") == "import-plan" and "payment" in e["message"]] == []


def test_a_payment_without_an_amount_is_reported_with_what_it_leaves_out() -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")  # NOT_PAID, In Person
    planned = payment_requests(convert_order(order, companions=True), order)
    (entry,) = planned.entries
    assert entry.path == "$.billingInfo" and planned.requests == []
    assert entry.message.endswith(
        "records no amount paid this way; left out: refundDisabled, regularPaymentDetails.gatewayTransactionId, "
        "regularPaymentDetails.paymentMethodName.buyerLanguageName"
    )


def test_an_unpaid_order_plans_no_payment() -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    order["paymentStatus"] = "NOT_PAID"
    planned = payment_requests(convert_order(order, companions=True), order)
    assert planned.requests == [] and [e.path for e in planned.entries] == ["$.billingInfo"]
    assert payment_requests(convert_order(order), order).requests == []  # no companions: nothing to plan from


def test_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "plan.ndjson"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "orders_migrate",
            "import-plan",
            str(FIXTURES / "stores" / "coupon_partially_fulfilled.json"),
            "-o",
            str(out),
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert b"1 order(s) planned in 3 request(s)" in ok.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    usage = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "import-plan", "x.json"], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert usage.returncode == 2 and b"Traceback" not in usage.stderr


def _complete(order: dict[str, Any]) -> dict[str, Any]:
    """A generated order with what Import Order needs that the generator leaves out: products and names."""
    for item in order.get("lineItems", []):
        item.setdefault("productId", "df19c1f7-07d8-a265-42f8-e8dfa824cc6e")
        item["name"] = item.get("name") or "Item"
    address = order.setdefault("billingInfo", {}).setdefault("address", {})
    address["fullName"] = address.get("fullName") or {"firstName": "Jane", "lastName": "Doe"}
    return order


@given(stores_order(), st.booleans())
def test_a_generated_order_is_planned_as_a_valid_request_or_rejected_for_what_the_model_also_refuses(
    order: dict[str, Any], complete: bool
) -> None:
    if complete:
        order = _complete(order)
    rec = Record("orders.ndjson", 7, "$", order)
    try:
        planned = plan_record(rec)
    except Rejected as exc:
        assert not complete, exc.problems
        body, _ = import_body(convert_order(order).order)
        missing = [p.path for p in exc.problems if p.path.startswith("$.order")]
        assert missing
        with pytest.raises(ValidationError):
            ImportOrderRequest.model_validate(body)
        return
    stores_id = {"storesOrderId": order["id"]} if isinstance(order.get("id"), str) else {}
    assert planned.requests[0]["ref"] == {"source": "orders.ndjson", "line": 7, "record": "$", **stores_id, "request": "import"}
    for request in planned.requests:
        MODELS[request["path"]].model_validate(request["body"])
    # Every payment of the order's Order Transactions is sent or reported, and every refund reported.
    companion = convert_order(order, companions=True).companions.get("orderTransactions", {})
    sent = [p for r in planned.requests if r["path"] == ADD_PAYMENTS[1] for p in r["body"]["payments"]]
    unsent = [e for e in planned.entries if e.row == "import-plan" and "Add Payments" in e.message]
    assert len(sent) + len(unsent) == len(companion.get("payments", []))
    assert planned.refunds == len(companion.get("refunds", [])) == sum(e.message == NO_ADD_REFUND for e in planned.entries)
    again = plan_record(Record("orders.ndjson", 7, "$", order)).requests
    assert orjson.dumps(again) == orjson.dumps(planned.requests)  # same input, same plan


def test_a_value_the_request_model_refuses_rejects_the_order_before_anything_is_sent(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    order["lineItems"][0]["quantity"] = 0
    order["fulfillments"][0]["lineItems"][0]["quantity"] = 0
    source = tmp_path / "order.json"
    source.write_text(json.dumps(order), encoding="utf-8")
    code, plan, rejects, err = plan_files(tmp_path, source)
    assert code == 1 and plan == []
    errors = {e["path"]: e["message"] for e in rejects[0]["errors"]}
    assert errors["$.order.lineItems[0].quantity"].startswith("Import Order would refuse it: ")
    assert errors["$.fulfillments[0].lineItems[0].quantity"].startswith("Import Order would refuse it: ")
    assert f"{source}::$.order.lineItems[0].quantity: Import Order would refuse it" in err


def test_orders_without_numbers_set_no_counter(tmp_path: Path) -> None:
    code, plan, _, _ = plan_files(tmp_path, FIXTURES / "stores" / "create_request_no_index.json")
    assert code == 0 and "number" not in plan[0]["body"]["order"]
    assert [r["path"] for r in plan] == [IMPORT_ORDER[1], ADD_PAYMENTS[1]]  # a payment, no counter


# What `convert --companions` wrote for a Stores order is planned as that order is: the same requests, byte
# for byte, but for the ref's naming of the record; and the same refusals.
COMPANION_SOURCES = sorted(
    [
        *ALL_STORES_FIXTURES,
        *(FIXTURES / "companions" / "cases").glob("*.input.json"),
    ]
)


def _without_record_naming(plan: list[dict[str, Any]]) -> list[bytes]:
    naming = ("source", "line", "record")
    return [orjson.dumps({**r, "ref": {k: v for k, v in r["ref"].items() if k not in naming}}) for r in plan]


def _written(order: dict[str, Any]) -> dict[str, Any]:
    conversion = convert_order(order, companions=True)
    return {"order": conversion.order, **conversion.companions}


@given(stores_order(), st.booleans())
def test_a_generated_order_written_with_its_companions_plans_as_the_order_does(order: dict[str, Any], complete: bool) -> None:
    if complete:
        order = _complete(order)
    try:
        written = _written(order)
    except ConversionError:
        return  # convert writes nothing for it
    try:
        planned = plan_record(Record("orders.ndjson", 7, "$", order))
    except (Rejected, ConversionError) as exc:
        with pytest.raises(Rejected) as again:
            plan_record(Record("written.ndjson", 7, "$", written))
        stores_paths = [p.path.replace("$.fulfillments", "$.orderWithFulfillments.fulfillments") for p in exc.problems]
        assert [p.path for p in again.value.problems] == stores_paths
        return
    from_written = plan_record(Record("written.ndjson", 7, "$", written))
    assert _without_record_naming(from_written.requests) == _without_record_naming(planned.requests)
    assert from_written.refunds == planned.refunds and from_written.number == planned.number


def _convert_with_companions(source: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["convert", "--jobs", "1", "--companions", "--report", "none", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output


def _rejections(rejects: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    return [[(e["path"], e["message"]) for e in r["errors"]] for r in rejects]


@pytest.mark.parametrize("source", COMPANION_SOURCES, ids=lambda p: p.name)
def test_what_convert_companions_wrote_plans_as_the_stores_order_does(source: Path, tmp_path: Path) -> None:
    written = tmp_path / "written.json"
    _convert_with_companions(source, written)
    assert set(load_json(written)) - {"order"}  # the fixtures all have a companion: the case the test is for
    stores_code, stores_plan, stores_rejects, _ = plan_files(tmp_path / "s", source)
    code, plan, rejects, err = plan_files(tmp_path / "w", written)
    assert code == stores_code, err
    assert _without_record_naming(plan) == _without_record_naming(stores_plan)
    assert {r["ref"]["source"] for r in plan if "source" in r["ref"]} <= {str(written)}  # the counter names no record
    assert _rejections(rejects) == _rejections(stores_rejects)
    assert [r.get("storesOrderId") for r in rejects] == [r.get("storesOrderId") for r in stores_rejects]


def test_a_batch_convert_companions_wrote_plans_as_its_stores_orders_do(tmp_path: Path) -> None:
    written = tmp_path / "written.ndjson"
    _convert_with_companions(FIXTURES / "stores", written)
    stores_code, stores_plan, stores_rejects, stores_err = plan_files(tmp_path / "s", FIXTURES / "stores")
    code, plan, rejects, err = plan_files(tmp_path / "w", written)
    assert code == stores_code == 1  # the fixtures Import Order refuses are refused from either
    assert _without_record_naming(plan) == _without_record_naming(stores_plan)
    assert plan[-1]["path"] == SET_ORDER_NUMBER_COUNTER[1]
    assert [r.get("storesOrderId") for r in rejects] == [r.get("storesOrderId") for r in stores_rejects]
    summary = lambda text: [line for line in text.splitlines() if line.startswith("orders-migrate import-plan:")]  # noqa: E731
    assert summary(err) == summary(stores_err)  # the same counts of requests, rejects and refunds


def test_a_refused_record_convert_companions_wrote_is_named_at_its_own_paths(tmp_path: Path) -> None:
    source = tmp_path / "written.json"
    _convert_with_companions(FIXTURES / "stores" / "pos_canceled.json", source)
    source.write_text(json.dumps([load_json(source)]), encoding="utf-8")
    code, _, rejects, err = plan_files(tmp_path, source)
    assert code == 1 and rejects[0]["storesOrderId"] == load_json(FIXTURES / "stores" / "pos_canceled.json")["id"]
    assert f"{source}::$[0].order.billingInfo.contactDetails: required by Import Order, missing" in err


def test_a_fulfillment_of_a_written_record_is_reported_at_its_place_in_the_record(tmp_path: Path) -> None:
    source = tmp_path / "written.json"
    _convert_with_companions(FIXTURES / "stores" / "paypal_partially_fulfilled.json", source)
    code, plan, _, err = plan_files(tmp_path, source, report=True)
    assert code == 0, err
    assert [r["ref"]["request"] for r in plan] == ["import", "payment[0]", "fulfillment[0]", "order-number-counter"]
    report = json.loads((tmp_path / "report.ndjson").read_text(encoding="utf-8"))["report"]
    dropped = [e["path"] for e in report["entries"] if e.get("row") == "import-plan"]
    assert dropped == [
        "$.order.id",
        "$.order.updatedDate",
        "$.orderWithFulfillments.fulfillments[0].id",
        "$.orderWithFulfillments.fulfillments[0].createdDate",
    ]
    record = load_json(source)
    record["orderWithFulfillments"]["fulfillments"][0]["lineItems"] = []
    source.write_text(json.dumps(record), encoding="utf-8")
    code, plan, _, err = plan_files(tmp_path, source)
    assert code == 1 and plan == []
    assert f"{source}::$.orderWithFulfillments.fulfillments[0].lineItems: Create Fulfillment requires the fulfilled" in err


def test_a_written_record_whose_companions_disagree_with_its_order_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "written.json"
    _convert_with_companions(FIXTURES / "stores" / "paypal_partially_fulfilled.json", source)
    record = load_json(source)
    record["orderTransactions"]["orderId"] = "another-order"
    record["orderWithFulfillments"]["fulfillments"][0]["lineItems"][0]["id"] = "no-such-line-item"
    record["orderTransactions"]["payments"][0]["amount"] = {"amount": 5}
    source.write_text(json.dumps(record), encoding="utf-8")
    code, plan, rejects, err = plan_files(tmp_path, source)
    assert code == 1 and plan == []
    assert {e["path"] for e in rejects[0]["errors"]} == {
        "$.orderTransactions.orderId",
        "$.orderWithFulfillments.fulfillments[0].lineItems[0].id",
        "$.orderTransactions.payments[0].amount.amount",
    }
    assert f"{source}::$.orderTransactions.orderId: names order another-order, but the order beside it is" in err


def test_a_bare_ecommerce_order_that_was_paid_or_fulfilled_is_refused_naming_the_missing_companion(tmp_path: Path) -> None:
    source = FIXTURES / "ecom" / "invoice_inr.json"  # PAID, FULFILLED
    code, plan, rejects, err = plan_files(tmp_path, source)
    assert code == 1 and plan == []
    paths = [e["path"] for e in rejects[0]["errors"]]
    assert paths == ["$.paymentStatus", "$.fulfillmentStatus"]
    assert f"{source}::$.paymentStatus: an eCommerce order (PAID) without the orderTransactions its payments" in err
    assert f"{source}::$.fulfillmentStatus: an eCommerce order (FULFILLED) without the orderWithFulfillments" in err
    # Wrapped as `convert --companions` writes an order with no companion: the payment is still missing.
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"order": load_json(source)}), encoding="utf-8")
    code, _, rejects, err = plan_files(tmp_path, wrapped)
    assert code == 1 and [e["path"] for e in rejects[0]["errors"]] == ["$.paymentStatus"]
    assert f"{wrapped}::$.order.paymentStatus: an eCommerce order (PAID)" in err


def test_a_bare_ecommerce_order_with_nothing_for_a_companion_is_planned_alone(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")  # PARTIALLY_PAID: no amount to add
    order["fulfillmentStatus"] = "NOT_FULFILLED"
    source = tmp_path / "order.json"
    source.write_text(json.dumps(order), encoding="utf-8")
    code, plan, _, err = plan_files(tmp_path, source)
    assert code == 0, err
    assert [r["path"] for r in plan] == [IMPORT_ORDER[1], SET_ORDER_NUMBER_COUNTER[1]]


def test_an_order_written_alone_keeps_its_fulfillment_status_and_says_no_fulfillment_is_planned(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")  # PARTIALLY_PAID, PARTIALLY_FULFILLED
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(order), encoding="utf-8")
    code, _, rejects, _ = plan_files(tmp_path, bare)
    assert code == 1 and [e["path"] for e in rejects[0]["errors"]] == ["$.fulfillmentStatus"]
    # {"order": ...} alone is what convert --companions writes for a Stores order that held no
    # fulfillment (it then plans none): planned, and the report says so.
    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps([{"order": order}]), encoding="utf-8")
    code, plan, _, err = plan_files(tmp_path, alone, report=True)
    assert code == 0, err
    assert [r["path"] for r in plan] == [IMPORT_ORDER[1], SET_ORDER_NUMBER_COUNTER[1]]
    report = json.loads((tmp_path / "report.ndjson").read_text(encoding="utf-8"))["report"]
    (entry,) = [e for e in report["entries"] if e["kind"] == "not_derivable" and e.get("row") == "import-plan"]
    assert entry["path"] == "$.order.fulfillmentStatus" and entry["message"].startswith("no fulfillment planned")


def test_an_order_beside_what_is_no_companion_is_named(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "ecom" / "invoice_inr.json")
    source = tmp_path / "record.json"
    source.write_text(json.dumps({"order": order, "orderTransactions": {"orderId": order["id"]}, "extra": 1}), encoding="utf-8")
    code, _, _, err = plan_files(tmp_path, source)
    assert code == 1 and f"{source}::$.extra: not a companion" in err
    stores = load_json(FIXTURES / "stores" / "invoice_inr.json")
    source.write_text(json.dumps({"order": stores, "orderTransactions": {"orderId": stores["id"]}}), encoding="utf-8")
    code, _, _, err = plan_files(tmp_path, source)
    assert code == 1 and f"{source}::$.order: a Stores order beside companions" in err


def test_dash_as_the_plan_is_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_import_plan([str(FIXTURES / "stores" / "invoice_inr.json")], "-", stderr=io.StringIO()) == 0
    requests = [json.loads(line) for line in capfdbinary.readouterr().out.splitlines()]
    assert [r["ref"]["request"] for r in requests][0] == "import" and list(tmp_path.iterdir()) == []


def test_a_query_orders_responses_paging_is_in_the_plans_report(tmp_path: Path) -> None:
    code, plan, rejects, err = plan_files(tmp_path, FIXTURES / "query_orders_response.json", report=True)
    assert code == 0, err
    assert rejects == [] and len([r for r in plan if r["path"] == IMPORT_ORDER[1]]) == 2
    reports = [json.loads(line) for line in (tmp_path / "report.ndjson").read_text(encoding="utf-8").splitlines()]
    assert [r["report"]["payloadKind"] for r in reports] == ["stores_order", "stores_order", "query_orders_response"]
    assert "ref" not in reports[2]  # no request is planned for it
    assert [(e["kind"], e["path"]) for e in reports[2]["report"]["entries"]] == [
        ("dropped", "$.metadata"),
        ("dropped", "$.totalResults"),
    ]
