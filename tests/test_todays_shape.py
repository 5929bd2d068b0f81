"""Today's eCommerce shape (issue 14, item 5) where a Stores order has no field of the same name: the
pickup method, a line item's subscription, an external image. Each asserts the value written (or that
none is) and the report entry that says why."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conftest import FIXTURES, load_json
from orders_migrate import MappingError, compile_table, convert_order, load_table
from orders_migrate.engine.table import default_table_text

PICKUP_METHOD_REASON = (
    "eCommerce shippingInfo.logistics.pickupDetails.pickupMethod (STORE_PICKUP or PICKUP_POINT) is not derivable: "
    "a Stores pickup order's pickupDetails (pickupAddress, pickupInstructions, buyerDetails) says where and how "
    "to pick up, not which kind of pickup it was"
)


def _entries(order: dict[str, Any], row: str) -> list[tuple[str, str, str]]:
    return [(e.kind, e.path, e.message) for e in convert_order(order).report.entries if e.row == row]


def test_a_pickup_order_has_no_invented_pickup_method_and_the_report_says_why() -> None:
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    result = convert_order(copy.deepcopy(order))
    pickup = result.order["shippingInfo"]["logistics"]["pickupDetails"]
    assert "pickupMethod" not in pickup and pickup["address"]["city"] == "Berlin"
    assert _entries(order, "pickup-method") == [
        ("not_derivable", "$.shippingInfo.pickupDetails.pickupMethod", PICKUP_METHOD_REASON)
    ]


def test_the_pickup_method_entry_hides_nothing_inside_the_pickup_details() -> None:
    # The entry names no Stores object: what no row reads inside pickupDetails is still unmapped.
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order["shippingInfo"]["pickupDetails"]["lockerCode"] = "4711"
    entries = [(e.kind, e.path) for e in convert_order(order).report.entries]
    assert ("unmapped", "$.shippingInfo.pickupDetails.lockerCode") in entries
    assert ("not_derivable", "$.shippingInfo.pickupDetails.pickupMethod") in entries


def test_a_shipping_order_says_nothing_of_a_pickup_method() -> None:
    order = load_json(FIXTURES / "stores" / "velo_order_paid.json")  # pickupDetails: null
    assert order["shippingInfo"]["pickupDetails"] is None
    assert _entries(order, "pickup-method") == []
    velo_pickup = load_json(FIXTURES / "stores" / "velo_pickup_ils.json")
    assert [path for _, path, _ in _entries(velo_pickup, "pickup-method")] == ["$.shippingInfo.pickupDetails.pickupMethod"]


def test_a_field_stores_does_not_have_is_reported_only_where_its_object_is() -> None:
    text, source = default_table_text()
    unguarded = text.replace("    absent: true\n    if_present: shippingInfo.pickupDetails\n", "    absent: true\n", 1)
    assert unguarded != text
    with pytest.raises(MappingError, match="pickup-method.*'absent' needs 'if_present'"):
        compile_table(load_table(unguarded, source))
