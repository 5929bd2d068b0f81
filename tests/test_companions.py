"""Companions: the OrderWithFulfillments and OrderTransactions built from a stored Stores order, held to
reviewed fixtures (fixtures/companions/, rewritten by fixtures/regenerate_companions.sh), and the report
saying what they carry."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accounting import lost_leaves
from orders_migrate import ConversionError, MappingError, compile_table, convert_order, load_table, loads
from orders_migrate.cli import app
from orders_migrate.engine import default_plan
from orders_migrate.engine.detect import detect_kind
from orders_migrate.engine.table import default_table_text
from orders_migrate.jsonio import dumps
from orders_migrate.models.importing import AddPaymentsRequest
from strategies import IDS, money, stores_order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPECTED = FIXTURES / "companions"


def _orders() -> list[tuple[Path, Any]]:
    """Every stored Stores order of the fixtures (a file, or the order a Stores webhook holds), with the
    path its expected companions are kept at; the same walk as fixtures/regenerate_companions.sh."""
    table = default_plan().table
    found: list[tuple[Path, Any]] = []
    for folder in ("reference/examples", "reference/realworld", "stores"):
        for path in sorted((FIXTURES / folder).glob("*.json")):
            doc = loads(path.read_bytes())
            rel = path.relative_to(FIXTURES).with_suffix("")
            if isinstance(doc, dict) and detect_kind(doc, table) == "stores_order":
                found.append((EXPECTED / f"{rel}.json", doc))
            elif (
                isinstance(doc, dict)
                and isinstance(doc.get("order"), dict)
                and detect_kind(doc["order"], table) == "stores_order"
            ):
                found.append((EXPECTED / f"{rel}.order.json", doc["order"]))
    for path in sorted((EXPECTED / "cases").glob("*.input.json")):
        found.append((path.with_name(path.name.removesuffix(".input.json") + ".json"), loads(path.read_bytes())))
    return found


def _whole_orders() -> list[tuple[Path, Any]]:
    out = []
    for expected, order in _orders():
        try:
            convert_order(order)
        except ConversionError:
            continue  # a webhook's summary (no line items) is not an order to build companions for
        out.append((expected, order))
    return out


ORDERS = _whole_orders()
IDS_OF = [str(p.relative_to(EXPECTED)) for p, _ in ORDERS]


@pytest.mark.parametrize(("expected", "order"), ORDERS, ids=IDS_OF)
def test_companions_match_the_reviewed_fixture(expected: Path, order: Any) -> None:
    companions = convert_order(copy.deepcopy(order), companions=True).companions
    if not companions:
        assert not expected.exists()
        return
    assert companions == loads(expected.read_bytes())


def test_every_expected_fixture_has_its_order() -> None:
    # A fixture whose order went away (or was renamed) would otherwise never be compared again.
    kept = {p for p in EXPECTED.rglob("*.json") if not p.name.endswith(".input.json")}
    assert kept == {p for p, _ in ORDERS if p.exists()}
    assert len(kept) >= 40  # the shared examples, the real orders and the project's own


@pytest.mark.parametrize(("expected", "order"), ORDERS, ids=IDS_OF)
def test_without_companions_nothing_changes(expected: Path, order: Any) -> None:
    plain = convert_order(copy.deepcopy(order))
    off = convert_order(copy.deepcopy(order), companions=False)
    on = convert_order(copy.deepcopy(order), companions=True)
    assert off.companions == {} and plain.companions == {}
    assert off.order == plain.order == on.order
    assert off.report.to_dict() == plain.report.to_dict()


@pytest.mark.parametrize(("expected", "order"), ORDERS, ids=IDS_OF)
def test_the_report_names_no_fetch_for_what_a_companion_carries(expected: Path, order: Any) -> None:
    off = convert_order(copy.deepcopy(order))
    on = convert_order(copy.deepcopy(order), companions=True)
    carried = ("$.billingInfo.payment", "$.billingInfo.paidDate", "$.billingInfo.externalTransactionId")
    carried += ("$.billingInfo.refundable", "$.fulfillments", "$.refunds", "$.totals.giftCard")
    carried += ("$.shippingInfo.shipmentDetails.trackingInfo",)
    # Only a shipment's tracking that no stored fulfillment holds is still fetched (with the fulfillments).
    fetched = [e for e in on.report.entries if e.kind == "fetch" and e.path.startswith(carried)]
    assert all(e.row == "shipment-tracking-of-the-latest-fulfillment" and not order.get("fulfillments") for e in fetched)
    # Every other entry of the plain report is still there.
    gone = [e for e in off.report.entries if e not in on.report.entries]
    assert all(e.kind == "fetch" and e.path.startswith(carried) for e in gone)
    assert not lost_leaves(order, SimpleNamespace(order={"order": on.order, **on.companions}, report=on.report))


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = loads((EXPECTED / "cases" / f"{name}.input.json").read_bytes())
    return data


def test_a_gift_card_pays_beside_the_regular_payment() -> None:
    result = convert_order(_case("gift_card_refunded"), companions=True)
    payments = result.companions["orderTransactions"]["payments"]
    assert [p["amount"]["amount"] for p in payments] == ["45.00", "20.00"]  # 65.00 total less the 20.00 gift card
    assert "giftcardPaymentDetails" in payments[1] and "regularPaymentDetails" not in payments[1]
    assert payments[0]["refundDisabled"] is False  # refundableByPaymentProvider: true
    not_derivable = [(e.path, e.row) for e in result.report.entries if e.kind == "not_derivable"]
    assert ("$.totals.total", "payment-amount") in not_derivable
    assert ("$.totals.giftCard", "gift-card-payment") in not_derivable
    assert ("$.refunds[0].amount", "refund-not-derivable") in not_derivable
    assert ("$.refunds[1].amount", "refund-not-derivable") in not_derivable
    # The shipment's tracking info is the first fulfillment's (the latest has none): carried by it.
    assert not [e for e in result.report.entries if e.kind in ("fetch", "mismatch")]


def test_a_gift_card_that_paid_everything_is_the_one_payment() -> None:
    result = convert_order(_case("gift_card_whole_order"), companions=True)
    # No phantom regular payment beside it: the paid date and status are the gift-card payment's.
    assert result.companions["orderTransactions"]["payments"] == [
        {
            "amount": {"amount": "15", "formattedAmount": "$15.00"},
            "giftcardPaymentDetails": {},
            "createdDate": "2020-03-18T16:47:59.244Z",
            "status": "APPROVED",
        }
    ]
    assert [e.row for e in result.report.entries if e.path == "$.totals.giftCard"] == ["gift-card-paid-whole"]


def test_regular_payment_details_of_an_order_a_gift_card_paid_whole_are_reported() -> None:
    order = _case("gift_card_whole_order")
    order["billingInfo"].update(paymentMethod="PayPal", paymentGatewayTransactionId="g-1", refundableByPaymentProvider=True)
    result = convert_order(order, companions=True)
    (payment,) = result.companions["orderTransactions"]["payments"]
    assert "regularPaymentDetails" not in payment and "refundDisabled" not in payment
    dropped = {(e.path, e.row) for e in result.report.entries if e.kind == "dropped"}
    assert dropped == {
        ("$.billingInfo.paymentMethod", "payment-method"),
        ("$.billingInfo.paymentGatewayTransactionId", "payment-gateway-transaction-id"),
        ("$.billingInfo.refundableByPaymentProvider", "payment-refundable"),
    }


def test_a_gift_card_beside_a_regular_payment_stays_second() -> None:
    order = _case("gift_card_whole_order")
    order["totals"]["giftCard"] = "5"
    payments = convert_order(order, companions=True).companions["orderTransactions"]["payments"]
    assert [p["amount"]["amount"] for p in payments] == ["10.00", "5"]
    assert "regularPaymentDetails" in payments[0] and payments[0]["status"] == "APPROVED"
    assert set(payments[1]) == {"amount", "giftcardPaymentDetails"}


def test_a_zero_gift_card_is_no_payment() -> None:
    order = _case("gift_card_refunded")
    order["totals"]["giftCard"] = "0.00"
    payments = convert_order(order, companions=True).companions["orderTransactions"]["payments"]
    assert len(payments) == 1 and payments[0]["amount"]["amount"] == "65.00"
    assert ("dropped", "$.totals.giftCard") in [(e.kind, e.path) for e in convert_order(order, companions=True).report.entries]


def test_a_gift_card_above_the_total_is_a_mismatch() -> None:
    order = _case("gift_card_refunded")
    order["totals"]["giftCard"] = "70"
    result = convert_order(order, companions=True)
    # No regular amount is derivable; the gift card's own amount is as stated, its payment the only one.
    (payment,) = result.companions["orderTransactions"]["payments"]
    assert payment["amount"]["amount"] == "70" and "giftcardPaymentDetails" in payment
    assert [(e.kind, e.path) for e in result.report.entries if e.row == "payment-amount"] == [("mismatch", "$.totals.total")]


def test_a_gift_card_below_zero_adds_nothing_to_the_regular_payment() -> None:
    order = _case("gift_card_refunded")
    order["totals"]["giftCard"] = "-5.00"
    result = convert_order(order, companions=True)
    # Not 70.00 for an order of 65.00: what is left after a negative gift card is not derivable.
    payments = result.companions["orderTransactions"]["payments"]
    assert [p for p in payments if "amount" in p] == []
    assert [(e.kind, e.path) for e in result.report.entries if e.row == "payment-amount"] == [("mismatch", "$.totals.total")]
    assert ("mismatch", "$.totals.giftCard") in {(e.kind, e.path) for e in result.report.entries}


def test_a_total_below_zero_is_no_payment() -> None:
    order = loads((FIXTURES / "stores" / "member_with_tax.json").read_bytes())
    order["totals"]["total"] = "-1.00"
    result = convert_order(order, companions=True, validate=True)
    payments = result.companions["orderTransactions"]["payments"]
    assert [p for p in payments if "amount" in p] == []  # it was a payment of -1.00, which Wix refuses
    entries = [(e.kind, e.path, e.message) for e in result.report.entries if e.row == "payment-amount"]
    assert entries == [("mismatch", "$.totals.total", "-1.00 is below zero: not a payment")]
    assert not [e for e in result.report.entries if e.kind == "invalid" and "orderTransactions" in e.path]


def test_a_partly_paid_order_gets_no_invented_amount() -> None:
    order = _case("gift_card_refunded")
    order["paymentStatus"] = "PARTIALLY_PAID"
    result = convert_order(order, companions=True)
    # The one payment known to be made is the gift card's; the regular one's details stay in the report.
    (payment,) = result.companions["orderTransactions"]["payments"]
    assert payment["amount"]["amount"] == "20.00" and "giftcardPaymentDetails" in payment and "status" not in payment
    assert any(e.kind == "not_derivable" and e.path == "$.paymentStatus" for e in result.report.entries)
    dropped = [e.path for e in result.report.entries if e.kind == "dropped" and e.row and e.row.startswith("payment-")]
    assert "$.billingInfo.paymentMethod" in dropped


def test_an_unpaid_order_without_payment_fields_has_no_transactions() -> None:
    order = _case("gift_card_whole_order")
    order["paymentStatus"] = "NOT_PAID"
    del order["totals"]["giftCard"]
    del order["billingInfo"]["paidDate"]
    assert "orderTransactions" not in convert_order(order, companions=True).companions


def test_what_no_companion_row_reads_in_a_fulfillment_is_reported() -> None:
    order = _case("gift_card_refunded")
    order["fulfillments"][1]["carrierNote"] = "left at the door"
    off = convert_order(copy.deepcopy(order))
    on = convert_order(order, companions=True)
    assert ("fetch", "$.fulfillments") in [(e.kind, e.path) for e in off.report.entries]
    assert ("unmapped", "$.fulfillments[1].carrierNote") in [(e.kind, e.path) for e in on.report.entries]
    assert "carrierNote" not in on.companions["orderWithFulfillments"]["fulfillments"][1]


def test_a_bad_fulfillment_is_an_error_at_its_path() -> None:
    order = _case("gift_card_refunded")
    order["fulfillments"][0]["lineItems"][0]["quantity"] = "1"
    convert_order(copy.deepcopy(order))  # not read without companions: reported as fetch, as before
    with pytest.raises(ConversionError) as caught:
        convert_order(order, companions=True)
    assert [p.path for p in caught.value.problems] == ["$.fulfillments[0].lineItems[0].quantity"]


def test_the_payment_method_and_status_are_written_where_the_published_types_have_them_today() -> None:
    # Order Transactions 1.0.108: regularPaymentDetails.paymentMethod -> paymentMethodName.buyerLanguageName,
    # regularPaymentDetails.status -> Payment.status (both past their removal dates: not written).
    result = convert_order(_case("gift_card_refunded"), companions=True)
    regular = result.companions["orderTransactions"]["payments"][0]
    assert regular["regularPaymentDetails"]["paymentMethodName"] == {"buyerLanguageName": "PayPal"}
    assert regular["status"] == "PARTIALLY_REFUNDED"
    assert not {"paymentMethod", "status"} & set(regular["regularPaymentDetails"])
    assert "status" not in result.companions["orderTransactions"]["payments"][1]  # the gift card's is not stated
    assert [e for e in result.report.entries if e.row in ("payment-method", "payment-transaction-status")] == []


def test_an_unspecified_payment_status_is_not_derivable_and_not_written() -> None:
    order = _case("gift_card_refunded")
    order["paymentStatus"] = "UNSPECIFIED_PAYMENT_STATUS"
    result = convert_order(order, companions=True)
    regular = result.companions["orderTransactions"]["payments"][0]
    assert "status" not in regular and "status" not in regular["regularPaymentDetails"]
    entries = [(e.kind, e.path) for e in result.report.entries if e.row == "payment-transaction-status"]
    assert entries == [("not_derivable", "$.paymentStatus")]


def test_a_paid_order_naming_no_method_still_has_a_regular_payment_to_add() -> None:
    order = _case("gift_card_refunded")
    del order["totals"]["giftCard"]
    order["paymentStatus"] = "PAID"
    order["refunds"] = []
    order["totals"].pop("refund", None)
    order["billingInfo"] = {"address": order["billingInfo"]["address"]}
    (payment,) = convert_order(order, companions=True).companions["orderTransactions"]["payments"]
    assert payment == {
        "amount": {"amount": "65.00", "formattedAmount": "$65.00"},
        "regularPaymentDetails": {},
        "status": "APPROVED",
    }
    AddPaymentsRequest.model_validate({"orderId": "o", "payments": [{**payment, "amount": {"amount": "65.00"}}]})


def test_provider_transaction_ids_that_disagree_are_reported() -> None:
    order = _case("gift_card_refunded")
    order["billingInfo"]["externalTransactionId"] = "tx_other"
    result = convert_order(order, companions=True)
    regular = result.companions["orderTransactions"]["payments"][0]["regularPaymentDetails"]
    assert regular["providerTransactionId"] == "tx_1806"
    assert ("mismatch", "$.billingInfo.externalTransactionId") in [(e.kind, e.path) for e in result.report.entries]


def test_an_ecommerce_order_passes_through_without_companions() -> None:
    ecom = loads((FIXTURES / "reference/examples/ecom_order_3.json").read_bytes())
    assert convert_order(ecom, companions=True).companions == {}


@st.composite
def _order_with_companions(draw: st.DrawFn) -> dict[str, Any]:
    order: dict[str, Any] = draw(stores_order())
    indices = [item["index"] for item in order["lineItems"]]
    total = Decimal(order["totals"]["total"])
    if draw(st.booleans()):
        order["totals"]["giftCard"] = draw(money(max_value=int(total) + 5))
    order["billingInfo"]["paymentMethod"] = draw(st.sampled_from(["PayPal", "Stripe", "In Person"]))
    order["billingInfo"]["paymentProviderTransactionId"] = draw(IDS)
    order["fulfillments"] = [
        {
            "id": draw(IDS),
            "dateCreated": "2023-03-08T09:00:00.000Z",
            "lineItems": [
                {"index": index, "quantity": draw(st.integers(min_value=1, max_value=5))}
                for index in draw(st.lists(st.sampled_from(indices), min_size=1, max_size=3, unique=True))
            ],
        }
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    order["refunds"] = [
        {
            "id": draw(IDS),
            "dateCreated": "2023-03-09T09:00:00.000Z",
            "amount": draw(money(max_value=100)),
            "externalRefund": False,
        }
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    return order


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_order_with_companions())
def test_companion_amounts_are_exact_and_line_items_are_the_orders(order: dict[str, Any]) -> None:
    result = convert_order(copy.deepcopy(order), companions=True)
    line_ids = {item["id"] for item in result.order["lineItems"]}
    for fulfillment in result.companions.get("orderWithFulfillments", {}).get("fulfillments", []):
        assert {item["id"] for item in fulfillment["lineItems"]} <= line_ids
    transactions = result.companions.get("orderTransactions", {})
    total = Decimal(order["totals"]["total"])
    gift = Decimal(order["totals"].get("giftCard", "0"))
    paid = [Decimal(p["amount"]["amount"]) for p in transactions.get("payments", []) if "amount" in p]
    if order["paymentStatus"] not in ("NOT_PAID", "PARTIALLY_PAID") and gift <= total:
        assert sum(paid, Decimal(0)) == total  # the regular payment and the gift card together, to the digit
    if gift > 0:
        assert Decimal(transactions["payments"][-1]["amount"]["amount"]) == gift
    refunded = [t["amount"]["amount"] for r in transactions.get("refunds", []) for t in r["transactions"]]
    assert refunded == [r["amount"] for r in order["refunds"]]  # as stated, never recomputed
    assert not lost_leaves(order, SimpleNamespace(order={"order": result.order, **result.companions}, report=result.report))


def test_the_reference_plan_builds_the_same_companions() -> None:
    # The companion sections are generated code too; the plan without it is the meaning they must keep.
    reference = compile_table(load_table(*default_table_text()), generate=False)
    for _, order in ORDERS:
        generated = convert_order(copy.deepcopy(order), companions=True)
        plain = convert_order(copy.deepcopy(order), companions=True, plan=reference)
        assert plain.companions == generated.companions
        assert plain.report.to_dict() == generated.report.to_dict()


def _cli(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(app, ["convert", "--jobs", "1", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


def test_the_cli_writes_one_order_with_its_companions(tmp_path: Path) -> None:
    source = EXPECTED / "cases" / "gift_card_refunded.input.json"
    out, reports = tmp_path / "out.json", tmp_path / "reports.ndjson"
    code, _, _ = _cli(str(source), "--companions", "-o", str(out), "--report-out", str(reports), "--report", "none")
    assert code == 0
    written = loads(out.read_bytes())
    assert list(written) == ["order", "orderWithFulfillments", "orderTransactions"]
    assert written["order"] == convert_order(source.read_bytes(), validate=True).order
    assert {k: written[k] for k in ("orderWithFulfillments", "orderTransactions")} == loads(
        (EXPECTED / "cases" / "gift_card_refunded.json").read_bytes()
    )
    report = loads(reports.read_bytes())
    assert not [e for e in report["entries"] if e["kind"] == "fetch"]


def test_the_cli_writes_an_ndjson_line_per_order_and_rejects_a_bad_one(tmp_path: Path) -> None:
    good = _case("gift_card_refunded")
    bad = _case("gift_card_refunded")
    bad["fulfillments"][0]["lineItems"][0]["quantity"] = "1"
    plain = loads((FIXTURES / "stores" / "member_with_tax.json").read_bytes())
    source = tmp_path / "orders.ndjson"
    source.write_bytes(b"".join(dumps(o) + b"\n" for o in (good, bad, plain)))
    out, rejects = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    code, _, _ = _cli(str(source), "--companions", "-o", str(out), "--rejects", str(rejects), "--report", "none")
    assert code == 1  # one record failed, the others were written
    lines = [loads(line) for line in out.read_bytes().splitlines()]
    assert [sorted(line) for line in lines] == [
        ["order", "orderTransactions", "orderWithFulfillments"],
        ["order", "orderTransactions"],
    ]
    assert (
        lines[1]["orderTransactions"] == loads((EXPECTED / "stores" / "member_with_tax.json").read_bytes())["orderTransactions"]
    )
    (reject,) = [loads(line) for line in rejects.read_bytes().splitlines()]
    assert "$.fulfillments[0].lineItems[0].quantity" in dumps(reject).decode()


@pytest.mark.parametrize(
    "source", ["webhooks/order_created.json", "webhooks/fulfillment_created.json", "ecom/coupon_partially_fulfilled.json"]
)
def test_an_event_or_an_ecommerce_order_is_written_as_it_is_with_companions(source: str, tmp_path: Path) -> None:
    # Only a converted Stores order has companions to write beside it (a newcomer's finding).
    out = tmp_path / "out.json"
    code, _, _ = _cli(str(FIXTURES / source), "--companions", "-o", str(out), "--report", "none")
    assert code == 0
    written = loads(out.read_bytes())
    assert "order" not in written and "orderTransactions" not in written  # not wrapped
    assert ("entityFqdn" in written) is source.startswith("webhooks/")


def test_without_the_flag_the_cli_writes_the_order_alone(tmp_path: Path) -> None:
    source = EXPECTED / "cases" / "gift_card_refunded.input.json"
    out = tmp_path / "out.json"
    code, _, _ = _cli(str(source), "-o", str(out), "--report", "none")
    assert code == 0
    assert loads(out.read_bytes()) == convert_order(source.read_bytes(), validate=True).order


def test_a_fulfillment_of_a_line_item_the_order_lacks_is_a_mismatch() -> None:
    order = _case("gift_card_refunded")
    order["fulfillments"][1]["lineItems"][0]["index"] = 7
    entries = convert_order(order, companions=True).report.entries
    assert [(e.kind, e.path) for e in entries if e.row == "fulfillment-names-a-line-item"] == [
        ("mismatch", "$.fulfillments[1].lineItems[0].index")
    ]
    assert not [e for e in convert_order(_case("gift_card_refunded"), companions=True).report.entries if e.kind == "mismatch"]


def test_a_companion_row_applying_an_unknown_section_is_refused() -> None:
    text, _ = default_table_text()
    broken = text.replace("    section: fulfillment\n", "    section: fulfilment\n", 1)
    assert broken != text
    with pytest.raises(MappingError, match="order-fulfillments.*not 'fulfilment'"):
        compile_table(load_table(broken, "custom.yaml"))


# ---- the shipment's tracking info, a copy of the latest fulfillment's ------------------------------

TRACKING = "$.shippingInfo.shipmentDetails.trackingInfo"


def _tracking_entries(order: dict[str, Any]) -> list[tuple[str, str]]:
    entries = convert_order(order, companions=True).report.entries
    return [(e.kind, e.path) for e in entries if e.path.startswith(TRACKING)]


def test_a_shipment_tracking_that_is_the_latest_fulfillments_is_carried_by_it() -> None:
    order = loads((FIXTURES / "stores" / "paypal_partially_fulfilled.json").read_bytes())
    assert ("fetch", TRACKING) in [(e.kind, e.path) for e in convert_order(copy.deepcopy(order)).report.entries]
    # Wix writes the shipment's provider FEDEX beside the fulfillment's fedex: the same provider, its case reported.
    assert _tracking_entries(order) == [("dropped", TRACKING + ".shippingProvider")]


def test_a_shipment_tracking_that_differs_from_the_latest_fulfillments_is_a_mismatch() -> None:
    order = _case("gift_card_refunded")
    order["shippingInfo"]["shipmentDetails"]["trackingInfo"]["trackingNumber"] = "5522"
    (entry,) = [e for e in convert_order(order, companions=True).report.entries if e.path == TRACKING]
    assert (entry.kind, entry.row) == ("mismatch", "shipment-tracking-of-the-latest-fulfillment")
    assert (
        entry.message
        == "differs from the latest, $.fulfillments[0].trackingInfo, in trackingNumber: that one is carried, this copy is not"
    )


def test_the_latest_fulfillment_is_the_last_made_not_the_last_listed() -> None:
    order = _case("gift_card_refunded")
    first, second = order["fulfillments"]
    second["trackingInfo"] = {"trackingNumber": "7", "shippingProvider": "dhl"}
    assert _tracking_entries(copy.deepcopy(order)) == [("mismatch", TRACKING)]  # the second is the later one
    second["dateCreated"] = "2020-03-18T09:00:00Z"  # now made before the first
    assert _tracking_entries(order) == []


def test_a_shipment_tracking_no_stored_fulfillment_holds_is_fetched() -> None:
    order = _case("gift_card_whole_order")
    assert not order.get("fulfillments")
    (entry,) = [e for e in convert_order(order, companions=True).report.entries if e.path == TRACKING]
    assert entry.kind == "fetch" and entry.fetch is not None and "Fulfillments" in entry.fetch["api"]


_TRACKINGS = st.fixed_dictionaries(
    {"trackingNumber": st.sampled_from(["1", "2"]), "shippingProvider": st.sampled_from(["ups", "UPS", "dhl"])}
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TRACKINGS, st.integers(min_value=0, max_value=59)), min_size=1, max_size=4), _TRACKINGS)
def test_the_tracking_check_fires_exactly_when_the_copy_is_not_the_latest(
    fulfillments: list[tuple[dict[str, str], int]], shipment: dict[str, str]
) -> None:
    order = _case("gift_card_refunded")
    order["fulfillments"] = [
        {"id": f"f{n}", "dateCreated": f"2020-03-19T09:{minute:02d}:00Z", "lineItems": [], "trackingInfo": tracking}
        for n, (tracking, minute) in enumerate(fulfillments)
    ]
    order["shippingInfo"]["shipmentDetails"]["trackingInfo"] = shipment
    latest = max(enumerate(fulfillments), key=lambda pair: (pair[1][1], pair[0]))[1][0]
    same = {k: v.lower() for k, v in shipment.items()} == {k: v.lower() for k, v in latest.items()}
    assert (("mismatch", TRACKING) in _tracking_entries(order)) is not same


def test_a_paid_date_with_no_payment_is_reported_not_written_as_a_payment() -> None:
    order = _case("gift_card_whole_order")
    order["paymentStatus"] = "NOT_PAID"
    del order["totals"]["giftCard"]
    result = convert_order(order, companions=True)
    assert "orderTransactions" not in result.companions  # no payment of a paid date alone
    (entry,) = [e for e in result.report.entries if e.path == "$.billingInfo.paidDate"]
    assert (entry.kind, entry.row) == ("dropped", "payment-paid-date")
    assert entry.message.startswith("no payment is written")


def test_companions_are_held_to_their_schemas_where_the_order_is() -> None:
    order = _case("gift_card_refunded")
    order["fulfillments"][0]["dateCreated"] = "2020-02-30T25:00:00Z"
    assert convert_order(copy.deepcopy(order), companions=True).report.by_kind("invalid") == []  # not asked
    for validate in (True, "audit"):
        found = convert_order(copy.deepcopy(order), companions=True, validate=validate).report.by_kind("invalid")
        assert [e.path for e in found] == ["$.orderWithFulfillments.fulfillments[0].createdDate"], validate
        assert found[0].message.startswith("not a valid orderWithFulfillments: expected an ISO 8601 date-time")


def test_a_validate_that_is_no_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="validate is True, False or \"audit\", not 'yes'"):
        convert_order(_case("gift_card_refunded"), validate="yes")  # type: ignore[arg-type]


def test_what_convert_companions_wrote_converts_again_to_the_same_bytes(tmp_path: Path) -> None:
    source = tmp_path / "order.json"
    source.write_bytes((FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json").read_bytes())
    first, second, bare = tmp_path / "first.json", tmp_path / "second.json", tmp_path / "bare.json"
    runner = CliRunner()
    assert runner.invoke(app, ["convert", str(source), "--companions", "-o", str(first), "--report", "none"]).exit_code == 0
    again = runner.invoke(app, ["convert", str(first), "--companions", "-o", str(second), "--report", "json"])
    assert again.exit_code == 0, again.output
    assert second.read_bytes() == first.read_bytes()  # a second run over a migration's output is harmless
    alone = runner.invoke(app, ["convert", str(first), "-o", str(bare), "--report", "json"])
    assert alone.exit_code == 0
    assert loads(bare.read_bytes()) == loads(first.read_bytes())["order"]
    # Without --companions they are not written: said, not silent.
    assert '"dropped"' in alone.stderr and "$.orderTransactions" in alone.stderr
