"""The Stores money identities are checked, never "fixed": each broken one is a mismatch at its path.

subtotal = sum of line totals (price x quantity); total = subtotal + shipping + tax - discount, the tax
counted only when prices do not include it; totals.refund = sum of refunds[].amount.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conftest import minimal_order
from orders_migrate import convert_order
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
