"""Today's eCommerce shape (issue 14, item 5) where a Stores order has no field of the same name: the
pickup method, a line item's subscription, an external image. Each asserts the value written (or that
none is) and the report entry that says why."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conftest import FIXTURES, load_json
from orders_migrate import ConversionError, MappingError, compile_table, convert_order, convert_webhook, load_table
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


SUBSCRIPTION = {
    "id": "6b320feb-ddde-45be-950b-8ed277033579",
    "cycleNumber": 1,
    "subscriptionSettings": {"frequency": "MONTH", "autoRenewal": False, "billingCycles": 3},
    "subscriptionOptionTitle": "Coffee of the month",
    "subscriptionOptionDescription": "Monthly Coffee Sub",
}


def test_the_subscription_of_a_one_item_order_is_that_line_items() -> None:
    order = load_json(FIXTURES / "stores" / "rest_twin_of_velo_order_paid.json")
    result = convert_order(copy.deepcopy(order), validate=True)
    (item,) = result.order["lineItems"]
    assert item["subscriptionInfo"] == SUBSCRIPTION
    assert "subscriptionInfo" not in result.order
    subscription = [(e.kind, e.path) for e in result.report.entries if e.path.startswith("$.subscriptionInfo")]
    # The option's id (in the Velo and this REST twin) has no eCommerce field: the one thing not carried.
    assert subscription == [("dropped", "$.subscriptionInfo.subscriptionOptionInfo.id")]


def test_the_subscription_of_a_several_item_order_is_reported_not_guessed() -> None:
    order = load_json(FIXTURES / "stores" / "rest_twin_of_velo_order_paid.json")
    order["lineItems"].append({**copy.deepcopy(order["lineItems"][0]), "index": 2})
    result = convert_order(copy.deepcopy(order))
    assert [item.get("subscriptionInfo") for item in result.order["lineItems"]] == [None, None]
    (entry,) = [e for e in result.report.entries if e.path.startswith("$.subscriptionInfo")]
    assert (entry.kind, entry.path, entry.row) == ("not_derivable", "$.subscriptionInfo", "subscription-of-which-line-item")
    assert "does not say which one the subscription is for" in entry.message


def test_the_subscription_of_a_summary_without_line_items_is_reported() -> None:
    body = load_json(FIXTURES / "reference" / "examples" / "stores_webhook_order_created.json")
    body["subscriptionInfo"] = {"id": SUBSCRIPTION["id"], "cycleNumber": 2}
    result = convert_webhook(body)
    assert "subscriptionInfo" not in str(result.order)
    rows = [(e.kind, e.path, e.row) for e in result.report.entries if e.path.startswith("$.subscriptionInfo")]
    assert rows == [("not_derivable", "$.subscriptionInfo", "subscription-without-line-items")]


def test_a_bad_subscription_value_is_an_error_at_its_path() -> None:
    order = load_json(FIXTURES / "stores" / "rest_twin_of_velo_order_paid.json")
    order["subscriptionInfo"]["cycleNumber"] = "1"
    with pytest.raises(ConversionError) as caught:
        convert_order(order)
    assert [p.path for p in caught.value.problems] == ["$.subscriptionInfo.cycleNumber"]


EXTERNAL_IMAGE = FIXTURES / "stores" / "custom_item_external_image.json"
GIFT_WRAP_URL = "https://images.example.com/shop/gift-wrap.png"


def test_an_external_image_url_is_the_line_items_image_url_never_its_id() -> None:
    result = convert_order(load_json(EXTERNAL_IMAGE), validate=True)
    custom, mug = result.order["lineItems"]
    assert custom["image"] == {"url": GIFT_WRAP_URL, "altText": "Gift wrapping paper"}
    # A Wix Media image with externalImageUrl null: the Wix url and id, nothing made of the null.
    assert mug["image"]["url"].startswith("https://static.wixstatic.com/media/3c76e2_8891")
    assert mug["image"]["id"] == "3c76e2_8891bbe3372a428aac976ac59aa0ac74~mv2.jpg"
    assert [e for e in result.report.entries if "mediaItem" in e.path] == []


def test_an_external_image_url_that_differs_from_the_url_is_a_mismatch_and_the_url_kept() -> None:
    order = load_json(EXTERNAL_IMAGE)
    order["lineItems"][1]["mediaItem"]["externalImageUrl"] = GIFT_WRAP_URL
    result = convert_order(order)
    assert result.order["lineItems"][1]["image"]["url"].startswith("https://static.wixstatic.com/")
    assert [(e.kind, e.path, e.row) for e in result.report.entries if "mediaItem" in e.path] == [
        ("mismatch", "$.lineItems[1].mediaItem.externalImageUrl", "line-media-external-url")
    ]
    order["lineItems"][1]["mediaItem"]["externalImageUrl"] = order["lineItems"][1]["mediaItem"]["url"]
    assert [e for e in convert_order(order).report.entries if "mediaItem" in e.path] == []


def test_an_external_video_is_not_an_image() -> None:
    order = load_json(EXTERNAL_IMAGE)
    order["lineItems"][0]["mediaItem"]["mediaType"] = "VIDEO"
    result = convert_order(order)
    assert "image" not in result.order["lineItems"][0]
    assert ("not_derivable", "$.lineItems[0].mediaItem") in [(e.kind, e.path) for e in result.report.entries]


def test_invoice_info_is_kept_in_its_entry_and_aimed_at_order_invoices() -> None:
    # The Stores Get Order that held it is gone: the entry is the stored invoiceInfo's last copy.
    order = load_json(FIXTURES / "stores" / "invoice_inr.json")
    order["invoiceInfo"] = {"id": "7b4e4ef9-ced5-4c5f-a8db-57b29d388394", "source": "WIX", "note": "Rechnung ü"}
    (entry,) = [e for e in convert_order(order).report.entries if e.path == "$.invoiceInfo"]
    assert entry.kind == "fetch" and entry.row == "invoice-info"
    assert entry.fetch == {
        "api": "eCommerce Order Invoices",
        "endpoint": "POST /ecom/v1/invoices/list-by-ids (List Invoices For Multiple Orders)",
    }
    assert entry.message.endswith(
        'kept here, as stored: {"id": "7b4e4ef9-ced5-4c5f-a8db-57b29d388394", "source": "WIX", "note": "Rechnung ü"}'
    )
    assert "stores/v2" not in entry.message


def test_kept_is_refused_on_an_operation_that_does_not_report() -> None:
    text, _ = default_table_text()
    bad = text.replace(
        "  - id: order-number\n    op: to_string\n", "  - id: order-number\n    op: to_string\n    kept: true\n", 1
    )
    assert bad != text
    with pytest.raises(MappingError, match="order-number"):
        compile_table(load_table(bad))
