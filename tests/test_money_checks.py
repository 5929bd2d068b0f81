"""The Stores money identities are checked, never "fixed": each broken one is a mismatch at its path.

subtotal = sum of line totals (price x quantity); total = subtotal + shipping + tax - discount, the tax
counted only when prices do not include it; totals.refund = sum of refunds[].amount; what was refunded
is at most the total, all of it when FULLY_REFUNDED, some of it when PARTIALLY_REFUNDED; the payments
(the regular one and a gift card's) add up to the total.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import minimal_order
from orders_migrate import MappingError, compile_table, convert_order, load_table
from orders_migrate.engine.table import default_table_text
from strategies import money, stores_order


def mismatches(order: dict[str, Any]) -> dict[str, str]:
    report = convert_order(order).report
    return {e.path: e.message for e in report.by_kind("mismatch") if e.path.startswith("$.totals.")}


def _d(value: Any) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


def consistent(order: dict[str, Any]) -> dict[str, Any]:
    """The order with totals that add up, computed here independently of the engine."""
    order = copy.deepcopy(order)
    totals = order["totals"]
    subtotal = sum((Decimal(i["priceData"]["totalPrice"]) for i in order["lineItems"]), Decimal(0))
    included = order["lineItems"][0]["priceData"]["taxIncludedInPrice"]
    total = subtotal + _d(totals.get("shipping")) - _d(totals.get("discount"))
    if not included:
        total += _d(totals.get("tax"))
    totals["subtotal"], totals["total"] = str(subtotal), str(total)
    return order


@given(stores_order())
def test_totals_that_add_up_raise_no_mismatch(order: dict[str, Any]) -> None:
    assert not {"$.totals.subtotal", "$.totals.total"} & set(mismatches(consistent(order)))


@given(stores_order(), st.sampled_from(["subtotal", "total", "shipping", "tax", "discount"]), money(max_value=99))
def test_a_broken_identity_is_reported_exactly_where_it_breaks(order: dict[str, Any], field: str, delta: str) -> None:
    order = consistent(order)
    if Decimal(delta) == 0:
        return
    totals = order["totals"]
    totals[field] = str(Decimal(totals[field]) + Decimal(delta))
    found = mismatches(order)
    included = order["lineItems"][0]["priceData"]["taxIncludedInPrice"]
    subtotal_broken = field == "subtotal"
    total_broken = field != "tax" or not included  # a tax inside the prices does not move the total
    assert ("$.totals.subtotal" in found) == subtotal_broken
    assert ("$.totals.total" in found) == total_broken
    # the stated values are copied as they are, whatever the checks say
    summary = convert_order(order).order["priceSummary"]
    assert summary["subtotal"]["amount"] == totals["subtotal"] and summary["total"]["amount"] == totals["total"]


def test_the_messages_say_what_the_stated_values_should_be() -> None:
    order = minimal_order(totals={"subtotal": "50", "shipping": "5", "tax": "1.50", "discount": "1", "total": "15"})
    order["lineItems"][0]["priceData"]["totalPrice"] = "10"
    found = mismatches(order)
    assert found["$.totals.subtotal"] == "Stores states '50' but the line totals (price x quantity) add up to 10; kept as stated"
    assert found["$.totals.total"] == (
        "Stores states '15' but subtotal + shipping + tax - discount = 55.5 (tax not included in prices); kept as stated"
    )


def test_line_items_without_a_total_price_leave_the_subtotal_unchecked() -> None:
    """A Create Order request states its own totals and no line totals: nothing to check them against."""
    order = minimal_order()
    del order["lineItems"][0]["priceData"]["totalPrice"]
    order["totals"]["subtotal"] = "999"
    assert "$.totals.subtotal" not in mismatches(order)


def test_refunds_are_checked_against_the_refunded_total_which_is_carried() -> None:
    refunds = [
        {"id": "r1", "dateCreated": "2023-03-08T10:00:00Z", "amount": "2.50"},
        {"id": "r2", "dateCreated": "2023-03-09T10:00:00Z", "amount": "1"},
    ]
    order = minimal_order(refunds=refunds)
    order["totals"]["refund"] = "3.50"
    result = convert_order(order)
    assert result.order["balanceSummary"]["refunded"] == {"amount": "3.50", "formattedAmount": "$3.50"}
    assert "$.totals.refund" not in mismatches(order)
    order["totals"]["refund"] = "5"
    assert mismatches(order)["$.totals.refund"] == "Stores states '5' but the refunds add up to 3.5; kept as stated"


def test_velo_orders_are_checked_the_same() -> None:
    """Velo writes money as JSON numbers; the checks see the same exact amounts."""
    order = minimal_order(_id="velo-1", _dateCreated="2023-03-07T10:24:03.380Z")
    order["totals"] = {"subtotal": Decimal("5"), "total": Decimal("6.10")}
    order["lineItems"][0]["priceData"] = {"price": Decimal("5"), "totalPrice": Decimal("5")}
    found = mismatches(order)
    assert "$.totals.subtotal" not in found
    assert found["$.totals.total"].startswith("Stores states '6.10' but subtotal + shipping + tax - discount = 5 ")


# ---- what was refunded against what was paid (the payment's total and status) ------------------------

STATUSES = ["PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED", "NOT_PAID", "PENDING", "PARTIALLY_PAID"]


def refund_mismatches(order: dict[str, Any], companions: bool = False) -> dict[str, str]:
    report = convert_order(order, companions=companions).report
    return {e.path: e.message for e in report.by_kind("mismatch") if e.row == "refunds-within-the-payment"}


@given(
    stores_order(),
    st.lists(money(max_value=60), max_size=3),
    st.sampled_from(STATUSES),
    st.booleans(),
)
def test_the_refund_checks_fire_exactly_when_what_was_refunded_breaks_the_payment(
    order: dict[str, Any], amounts: list[str], status: str, stated_only: bool
) -> None:
    order = consistent(order)
    total = Decimal(order["totals"]["total"])
    refunded = sum((Decimal(a) for a in amounts), Decimal(0))
    order["paymentStatus"] = status
    order["totals"]["refund"] = str(refunded)
    if not stated_only:
        order["refunds"] = [{"id": f"r{n}", "dateCreated": "2023-03-09T10:00:00Z", "amount": a} for n, a in enumerate(amounts)]
    found = refund_mismatches(order)
    where = "$.refunds" if amounts and not stated_only else "$.totals.refund"
    assert (where in found) == (refunded > total)
    broken = (status == "FULLY_REFUNDED" and refunded != total) or (
        status == "PARTIALLY_REFUNDED" and not Decimal(0) < refunded < total
    )
    assert ("$.paymentStatus" in found) == broken
    assert set(found) <= {where, "$.paymentStatus"}
    # The statuses and amounts are carried as stated, whatever the checks say.
    result = convert_order(order)
    assert result.order["paymentStatus"] == status
    assert result.order["balanceSummary"]["refunded"]["amount"] == str(refunded)


def test_an_order_saying_nothing_of_its_refunds_is_not_checked() -> None:
    order = minimal_order(paymentStatus="FULLY_REFUNDED")
    assert "refunds" not in order and "refund" not in order["totals"]
    assert refund_mismatches(order) == {}


def test_the_refund_messages_say_what_was_refunded_of_what_total() -> None:
    order = minimal_order(paymentStatus="FULLY_REFUNDED")
    order["totals"]["total"] = "15"
    order["refunds"] = [{"id": "r1", "dateCreated": "2020-09-01T12:30:56.208Z", "amount": "21.0"}]
    assert refund_mismatches(order) == {
        "$.refunds": "the refunds add up to 21, more than the total of 15 that was paid; kept as stated",
        "$.paymentStatus": "FULLY_REFUNDED but the refunds add up to 21 of a total of 15; kept as stated",
    }
    order["paymentStatus"], order["refunds"] = "PARTIALLY_REFUNDED", []
    order["totals"]["refund"] = "15.00"
    assert refund_mismatches(order) == {
        "$.paymentStatus": "PARTIALLY_REFUNDED but the refunded total is 15 of a total of 15; kept as stated"
    }


# ---- the payments against the total (the companion's payments, built with --companions) -------------


@given(stores_order(), money(max_value=120), st.sampled_from(["PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED"]))
def test_the_payments_add_up_to_the_total_or_the_gift_card_is_a_mismatch(order: dict[str, Any], gift: str, status: str) -> None:
    order = consistent(order)
    order["paymentStatus"] = status
    order["totals"]["giftCard"] = gift
    total = Decimal(order["totals"]["total"])
    result = convert_order(order, companions=True)
    payments = result.companions["orderTransactions"]["payments"]
    paid = [Decimal(p["amount"]["amount"]) for p in payments if "amount" in p]
    over = [e.path for e in result.report.by_kind("mismatch") if e.row in ("payment-amount", "gift-card-payment")]
    if total < 0:  # stored data where the discount exceeds the rest: no payment of a negative amount
        assert over == ["$.totals.total"] and all(p >= 0 for p in paid)
    elif Decimal(gift) > total and Decimal(gift) != 0:  # a gift card of 0 paid nothing at all
        assert over == ["$.totals.total"]  # a gift card cannot pay more than the order's total
    else:
        assert over == [] and sum(paid, Decimal(0)) == total  # to the digit: Decimal, never float
        assert all(isinstance(p["amount"]["amount"], str) for p in payments if "amount" in p)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "refunded: {FULLY_REFUNDED: all,",
            "refunded: {FULLY_REFUNDED: every,",
            "'refunded' maps a payment status to 'all' or 'part'",
        ),
        ('of: "fulfillments[i].trackingInfo"', "of: fulfillments", "'of' and 'dated' read inside one list"),
    ],
)
def test_a_check_row_that_cannot_mean_anything_is_refused(old: str, new: str, message: str) -> None:
    text, _ = default_table_text()
    assert old in text
    with pytest.raises(MappingError, match=message):
        compile_table(load_table(text.replace(old, new, 1), "custom.yaml"))


def test_a_refund_below_zero_is_a_mismatch_at_its_amount_and_carried_as_stated() -> None:
    order = minimal_order(paymentStatus="PARTIALLY_REFUNDED")
    order["totals"]["total"] = "15"
    order["refunds"] = [
        {"id": "r1", "dateCreated": "2020-09-01T12:30:56.208Z", "amount": "4"},
        {"id": "r2", "dateCreated": "2020-09-02T12:30:56.208Z", "amount": "-2.50"},
    ]
    found = refund_mismatches(order)
    assert found["$.refunds[1].amount"] == "a refund of -2.5 is below zero: not a refund; kept as stated"
    assert "$.refunds[0].amount" not in found
    result = convert_order(order, companions=True)
    assert [r["transactions"][0]["amount"]["amount"] for r in result.companions["orderTransactions"]["refunds"]] == ["4", "-2.50"]
    order["refunds"][1]["amount"] = "0"  # nothing refunded is no refund either, but not below zero
    assert not any(path.endswith(".amount") for path in refund_mismatches(order))
