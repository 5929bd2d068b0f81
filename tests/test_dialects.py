"""The Velo dialect, order types, and the Stores API's own input rules."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, load_json, minimal_order
from orders_migrate import ConversionError, convert_order

VELO = FIXTURES / "stores" / "velo_order_paid.json"
REST_TWIN = FIXTURES / "stores" / "rest_twin_of_velo_order_paid.json"


def velo() -> dict[str, Any]:
    return copy.deepcopy(load_json(VELO))


def entries(result: Any, kind: str) -> list[str]:
    return [e.path for e in result.report.entries if e.kind == kind]


# ---- Velo and REST ------------------------------------------------------------------------------------


def test_a_velo_order_and_its_rest_twin_convert_to_the_same_ecommerce_order() -> None:
    from_velo = convert_order(velo())
    from_rest = convert_order(load_json(REST_TWIN))
    assert from_velo.order == from_rest.order
    # The only difference is what one dialect has and the other does not: Velo's formatted lines.
    only_velo = sorted(set(map(str, from_velo.report.entries)) - set(map(str, from_rest.report.entries)))
    assert entries(from_velo, "dropped")[:2] == [
        "$.billingInfo.address.formatted",
        "$.shippingInfo.shipmentDetails.address.formatted",
    ]
    assert len(only_velo) == 2


def test_the_report_says_which_dialect_was_read() -> None:
    assert convert_order(velo()).report.dialect == "velo"
    assert convert_order(load_json(REST_TWIN)).report.to_dict()["dialect"] == "rest"


def test_a_payload_mixing_dialects_is_an_error_that_says_why() -> None:
    order = velo()
    order["id"] = order["_id"]
    with pytest.raises(ConversionError, match=r"^\$: mixes the REST and Velo dialects: has id \(REST\) and _id \(Velo\)"):
        convert_order(order)


def test_mixed_field_spellings_inside_an_address_are_an_error() -> None:
    order = velo()
    order["billingInfo"]["address"]["streetAddress"] = {"number": "1", "name": "Main"}
    order["billingInfo"]["address"]["street"] = {"number": "1", "name": "Main"}
    with pytest.raises(ConversionError, match=r"\$\.billingInfo\.address\.streetAddress: mixes the REST and Velo dialects"):
        convert_order(order)


def test_velo_money_numbers_become_the_rest_decimal_strings() -> None:
    order = velo()
    order["totals"]["total"] = 101.5
    order["totals"]["subtotal"] = 0
    result = convert_order(order).order["priceSummary"]
    assert result["total"] == {"amount": "101.5", "formattedAmount": "₪101.50"}
    assert result["subtotal"]["amount"] == "0"


def test_velo_numbers_keep_every_digit_through_the_cli(tmp_path: Path) -> None:
    order = velo()
    text = json.dumps(order).replace('"total": 5', '"total": 0.10').replace('"subtotal": 5', '"subtotal": 1.0000000000000001')
    path = tmp_path / "velo.json"
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "convert", str(path), "--report", "none"], capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["priceSummary"]
    assert summary["total"]["amount"] == "0.10"
    assert summary["subtotal"]["amount"] == "1.0000000000000001"


def test_velo_contact_fields_move_to_contact_details_and_buyer_email() -> None:
    out = convert_order(velo()).order
    assert out["billingInfo"]["contactDetails"] == {
        "firstName": "firstName-04a12f",
        "lastName": "lastName-2f6023",
        "phone": "+1555068112",
        "company": "company-e446ae",
    }
    assert out["buyerInfo"]["email"] == "buyer-9f2846@example.com"


def test_errors_in_a_velo_order_name_the_velo_path() -> None:
    order = velo()
    order["billingInfo"]["firstName"] = 42
    with pytest.raises(ConversionError) as err:
        convert_order(order)
    assert [p.path for p in err.value.problems] == ["$.billingInfo.firstName"]


def test_report_entries_of_a_velo_order_name_the_velo_path() -> None:
    order = velo()
    order["shippingInfo"]["shipmentDetails"]["email"] = "someone-else@example.com"
    result = convert_order(order)
    assert "$.shippingInfo.shipmentDetails.email" in entries(result, "mismatch")


def test_country_alpha3_becomes_alpha2_and_bare_subdivision_becomes_iso() -> None:
    address = convert_order(velo()).order["billingInfo"]["address"]
    assert address["country"] == "US"
    assert address["subdivision"] == "US-NY"


def test_an_unknown_subdivision_is_kept_and_reported() -> None:
    order = velo()
    order["billingInfo"]["address"]["subdivision"] = "QQ"
    result = convert_order(order)
    assert result.order["billingInfo"]["address"]["subdivision"] == "QQ"
    assert "$.billingInfo.address.subdivision" in entries(result, "not_derivable")


def test_an_unknown_country_is_kept_and_reported() -> None:
    result = convert_order(minimal_order(billingInfo={"address": {"country": "XYZ"}}))
    assert result.order["billingInfo"]["address"]["country"] == "XYZ"
    assert entries(result, "unknown_value") == ["$.billingInfo.address.country"]


def test_velo_media_src_becomes_an_image() -> None:
    image = convert_order(velo()).order["lineItems"][0]["image"]
    assert image == {
        "url": "https://static.wixstatic.com/media/fac9dc352bf7d54ed0458d64ce41a3ec.jpg",
        "height": 899,
        "width": 1348,
        "id": "fac9dc352bf7d54ed0458d64ce41a3ec.jpg",
        "altText": "This is a description of the image",
    }


def test_a_media_src_that_is_not_a_wix_image_is_reported() -> None:
    order = velo()
    order["lineItems"][0]["mediaItem"]["src"] = "wix:video://v1/abc/file.mp4"
    result = convert_order(order)
    assert "url" not in result.order["lineItems"][0]["image"]
    assert "$.lineItems[0].mediaItem.src" in entries(result, "not_derivable")


# ---- order types -----------------------------------------------------------------------------------


def test_pickup_order() -> None:
    result = convert_order(load_json(FIXTURES / "stores" / "velo_pickup_ils.json"))
    logistics = result.order["shippingInfo"]["logistics"]
    assert set(logistics["pickupDetails"]) == {"address"}
    assert logistics["pickupDetails"]["address"]["country"] == "IL"
    assert "shippingDestination" not in logistics
    assert not entries(result, "rule")


def test_pos_order_without_addresses_breaks_no_rule() -> None:
    result = convert_order(load_json(FIXTURES / "stores" / "pos_canceled.json"))
    assert result.order["channelInfo"] == {"type": "POS"}
    assert "shippingInfo" not in result.order
    assert not entries(result, "rule")


def test_digital_only_order_needs_no_shipping() -> None:
    item = {"index": 1, "quantity": 1, "name": "e-book", "productId": "p", "lineItemType": "DIGITAL", "priceData": {"price": "3"}}
    result = convert_order(minimal_order(lineItems=[item], billingInfo={"address": {"city": "Haifa"}}))
    assert "shippingInfo" not in result.order
    assert entries(result, "rule") == ["$.lineItems[0].lineItemType"]  # productId implies PHYSICAL on Create Order


# ---- the Stores API's own rules ---------------------------------------------------------------------


def test_billing_address_required_unless_pos() -> None:
    assert "$.billingInfo.address" in entries(convert_order(minimal_order()), "rule")
    pos = minimal_order(channelInfo={"type": "POS"})
    assert "$.billingInfo.address" not in entries(convert_order(pos), "rule")


def test_shipment_address_required_unless_pickup_pos_or_digital() -> None:
    shipping = "$.shippingInfo.shipmentDetails.address"
    assert shipping in entries(convert_order(minimal_order()), "rule")
    pickup = minimal_order(shippingInfo={"pickupDetails": {"pickupInstructions": "door"}})
    assert shipping not in entries(convert_order(pickup), "rule")
    assert shipping not in entries(convert_order(minimal_order(channelInfo={"type": "POS"})), "rule")
    mixed = minimal_order()
    mixed["lineItems"] = [
        {"index": 1, "quantity": 1, "lineItemType": "DIGITAL"},
        {"index": 2, "quantity": 1, "lineItemType": "PHYSICAL"},
    ]
    assert shipping in entries(convert_order(mixed), "rule")


def test_variant_requires_options() -> None:
    order = minimal_order()
    order["lineItems"][0]["variantId"] = "v"
    assert "$.lineItems[0].options" in entries(convert_order(order), "rule")
    order["lineItems"][0]["options"] = []
    assert "$.lineItems[0].options" not in entries(convert_order(order), "rule")


def test_product_implies_physical_and_no_product_implies_custom_amount() -> None:
    order = minimal_order()
    order["lineItems"][0].update(productId="p", lineItemType="PHYSICAL")
    assert "$.lineItems[0].lineItemType" not in entries(convert_order(order), "rule")
    del order["lineItems"][0]["productId"]
    assert "$.lineItems[0].lineItemType" in entries(convert_order(order), "rule")
    order["lineItems"][0]["lineItemType"] = "CUSTOM_AMOUNT_ITEM"
    assert "$.lineItems[0].lineItemType" not in entries(convert_order(order), "rule")


def test_undocumented_values_seen_in_real_data_are_reported_never_a_crash() -> None:
    result = convert_order(load_json(FIXTURES / "stores" / "undocumented_values.json"))
    unknown = entries(result, "unknown_value")
    assert {"$.buyerInfo.id", "$.channelInfo.type", "$.enteredBy.id", "$.activities[0].type"} <= set(unknown)
    assert result.order["lineItems"][0]["physicalProperties"]["sku"] == "368215475135192"


def test_comma_joined_skus_are_kept_as_written() -> None:
    result = convert_order(load_json(FIXTURES / "stores" / "velo_coupon_comma_sku.json"))
    assert result.order["lineItems"][0]["physicalProperties"]["sku"] == "50239,50312"


def test_the_velo_new_order_event_converts_like_its_rest_twin() -> None:
    from orders_migrate.webhooks import convert_webhook

    velo_event = {
        "orderId": "o-1",
        "number": 10019,
        "dateCreated": "2020-05-27T12:20:37.966Z",
        "buyerInfo": {"id": "b", "identityType": "MEMBER", "firstName": "A", "lastName": "B", "email": "a@example.com"},
        "currency": "ILS",
        "totals": {"subtotal": 5, "total": Decimal("5.50")},
        "paymentStatus": "PAID",
        "billingInfo": {
            "firstName": "A",
            "lastName": "B",
            "email": "a@example.com",
            "address": {"city": "Haifa", "country": "ISR", "addressLine": "x", "postalCode": "1"},
        },
    }
    rest_event = {
        "orderId": "o-1",
        "number": "10019",
        "dateCreated": "2020-05-27T12:20:37.966Z",
        "buyerInfo": {"id": "b", "identityType": "MEMBER", "firstName": "A", "lastName": "B", "email": "a@example.com"},
        "currency": "ILS",
        "totals": {"subtotal": "5", "total": "5.50"},
        "paymentStatus": "PAID",
        "billingInfo": {
            "address": {
                "fullName": {"firstName": "A", "lastName": "B"},
                "email": "a@example.com",
                "city": "Haifa",
                "country": "IL",
                "addressLine1": "x",
                "zipCode": "1",
            }
        },
    }
    from_velo, from_rest = convert_webhook(velo_event), convert_webhook(rest_event)
    assert from_velo.order["slug"] == "approved"
    assert from_velo.order["actionEvent"] == from_rest.order["actionEvent"]
    assert from_velo.order["actionEvent"]["body"]["order"]["billingInfo"]["address"]["country"] == "IL"


@pytest.mark.parametrize("generate", [True, False])
def test_a_velo_row_changing_inside_a_value_an_earlier_one_moved_leaves_the_callers_order(generate: bool) -> None:
    """The normaliser copies the objects on the way to every place its rows touch, as the order has them: an
    object an earlier row moved there (Velo's _extra to extra) is the caller's own, and is moved as a copy."""
    from orders_migrate import compile_table, load_table
    from orders_migrate.engine.table import default_table_text

    text, _ = default_table_text()
    anchor = "  - id: velo-formatted-address\n"
    rows = (
        "  - {id: ours-extra, op: move, from: _extra, to: extra, note: n}\n"
        "  - {id: ours-extra-key, op: move, from: extra.old, to: extra.new, note: n}\n"
    )
    plan = compile_table(load_table(text.replace(anchor, rows + anchor), "ours.yaml"), generate=generate)
    order = velo()
    order["_extra"] = {"old": 1}
    before = copy.deepcopy(order)
    convert_order(order, plan=plan)
    assert order == before
