"""Each named operation, seen through convert_order on small Wix-shaped orders."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import FIXTURES, load_json, minimal_order
from orders_migrate import ConversionError, MappingError, compile_table, convert_order, load_table
from orders_migrate.engine.table import default_table_text


def kinds(result: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in result.report.entries:
        out.setdefault(e.kind, []).append(e.path)
    return out


# ---- copy / to_string / to_number -----------------------------------------------------------------


def test_copy_renames_and_keeps_null() -> None:
    r = convert_order(minimal_order(dateCreated="2020-03-18T16:47:59.222Z", buyerNote=None))
    assert r.order["createdDate"] == "2020-03-18T16:47:59.222Z"
    assert "dateCreated" not in r.order
    assert r.order["buyerNote"] is None  # an explicit null stays null; absent stays absent
    assert "buyerLanguage" not in r.order


def test_number_becomes_a_string() -> None:
    assert convert_order(minimal_order(number=10108)).order["number"] == "10108"


def test_weight_string_becomes_a_json_number() -> None:
    order = minimal_order()
    order["lineItems"][0]["weight"] = "1000.0"
    order["lineItems"][1:] = []
    r = convert_order(order)
    assert r.order["lineItems"][0]["physicalProperties"]["weight"] == 1000.0
    order["lineItems"][0]["weight"] = "15"
    assert convert_order(order).order["lineItems"][0]["physicalProperties"]["weight"] == 15


@pytest.mark.parametrize(
    ("stored", "number"),
    [("0.12345678901234567890", "0.12345678901234567890"), ("12345678901234567890.5", "12345678901234567890.5")],
)
def test_a_weight_a_float_cannot_hold_keeps_its_value(stored: str, number: str) -> None:
    # A float of either would be another number (0.12345678901234568, 1.2345678901234567e+19): the
    # decimal is written as read, REST text or Velo number alike, and its digits reach the JSON written.
    import orjson

    from orders_migrate.batch.chunks import write_decimal
    from orders_migrate.jsonio import loads

    order = minimal_order()
    order["lineItems"][0]["weight"] = stored
    order["lineItems"][1:] = []
    weight = convert_order(order).order["lineItems"][0]["physicalProperties"]["weight"]
    assert orjson.dumps(weight, default=write_decimal) == number.encode()
    velo = loads((FIXTURES / "stores" / "velo_order_paid.json").read_bytes())
    velo["lineItems"][0]["weight"] = loads(number)
    weight = convert_order(velo).order["lineItems"][0]["physicalProperties"]["weight"]
    assert orjson.dumps(weight, default=write_decimal) == number.encode()
    # One a float holds is the float, as before: 1.10 is the JSON number 1.1.
    order["lineItems"][0]["weight"] = "1.10"
    assert convert_order(order).order["lineItems"][0]["physicalProperties"]["weight"] == 1.1


# ---- money ----------------------------------------------------------------------------------------


def test_money_keeps_the_input_string_and_formats_with_the_currency() -> None:
    r = convert_order(minimal_order(totals={"subtotal": "130.00", "shipping": "10.0", "total": "0"}))
    summary = r.order["priceSummary"]
    assert summary["subtotal"] == {"amount": "130.00", "formattedAmount": "$130.00"}
    assert summary["shipping"] == {"amount": "10.0", "formattedAmount": "$10.00"}
    assert summary["total"] == {"amount": "0", "formattedAmount": "$0.00"}


def test_money_in_yen_has_no_minor_units() -> None:
    r = convert_order(minimal_order(currency="JPY", totals={"total": "1200"}))
    assert r.order["priceSummary"]["total"] == {"amount": "1200", "formattedAmount": "¥1,200"}


def test_money_locale_changes_only_the_formatting() -> None:
    r = convert_order(minimal_order(currency="EUR", totals={"total": "1234.5"}), locale="de_DE")
    assert r.order["priceSummary"]["total"] == {"amount": "1234.5", "formattedAmount": "1.234,50\xa0€"}


@pytest.mark.parametrize("bad", ["1,5", "abc", " 10 ", "1e3", "NaN", ""])
def test_bad_money_strings_are_errors_with_their_path(bad: str) -> None:
    with pytest.raises(ConversionError) as err:
        convert_order(minimal_order(totals={"total": bad}))
    assert [p.path for p in err.value.problems] == ["$.totals.total"]
    assert "decimal amount" in err.value.problems[0].message


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(ConversionError, match=r"\$\.totals\.total: expected a decimal string, got the JSON number 10\.5"):
        convert_order(minimal_order(totals={"total": 10.5}))


def test_without_a_currency_prices_have_no_formatted_amount_and_the_report_says_so() -> None:
    order = minimal_order()
    del order["currency"]
    r = convert_order(order)
    assert r.order["priceSummary"]["total"] == {"amount": "5"}
    assert "$.currency" in kinds(r)["not_derivable"]


# ---- line totals (PRODUCT 4) --------------------------------------------------------------------------


def _line(**fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"index": 1, "quantity": 2, "name": "x"}
    item.update(fields)
    return item


def test_line_totals_when_tax_is_added_on_top() -> None:
    item = _line(discount="1", tax="1", priceData={"taxIncludedInPrice": False, "price": "5", "totalPrice": "10"})
    line = convert_order(minimal_order(lineItems=[item])).order["lineItems"][0]
    assert line["totalPriceBeforeTax"]["amount"] == "9.00"  # 10 - 1 discount
    assert line["totalPriceAfterTax"]["amount"] == "10.00"  # 9 + 1 tax
    assert line["price"]["amount"] == "5"
    assert line["totalDiscount"]["amount"] == "1"
    assert line["taxDetails"]["totalTax"]["amount"] == "1"


def test_line_totals_when_tax_is_included_in_prices() -> None:
    item = _line(discount="5.00", tax="5.51", priceData={"taxIncludedInPrice": True, "price": "19.75", "totalPrice": "39.50"})
    r = convert_order(minimal_order(currency="EUR", lineItems=[item]))
    line = r.order["lineItems"][0]
    assert line["totalPriceAfterTax"] == {"amount": "34.50", "formattedAmount": "€34.50"}
    assert line["totalPriceBeforeTax"] == {"amount": "28.99", "formattedAmount": "€28.99"}
    assert r.order["taxIncludedInPrices"] is True


def test_line_total_derived_from_price_times_quantity_when_absent() -> None:
    item = _line(quantity=3, priceData={"price": "2.5"})
    line = convert_order(minimal_order(lineItems=[item])).order["lineItems"][0]
    assert line["totalPriceBeforeTax"]["amount"] == "7.50"


def test_tax_flags_that_disagree_are_reported() -> None:
    items = [
        _line(index=1, priceData={"taxIncludedInPrice": True, "price": "1", "totalPrice": "2"}),
        _line(index=2, priceData={"taxIncludedInPrice": False, "price": "1", "totalPrice": "2"}),
    ]
    r = convert_order(minimal_order(lineItems=items))
    assert "$.lineItems[1].priceData.taxIncludedInPrice" in kinds(r)["mismatch"]


# ---- enum / split / status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stores,ecom",
    [
        ("TRACKING_LINK_WAS_SET", "TRACKING_LINK_ADDED"),
        ("INVOICE_WAS_SET", "INVOICE_ADDED"),
        ("INVOICE_WAS_SENT", "INVOICE_SENT"),
        ("INVOICE_WAS_REMOVED", "INVOICE_REMOVED"),
        ("ORDER_PLACED", "ORDER_PLACED"),
    ],
)
def test_activity_types(stores: str, ecom: str) -> None:
    r = convert_order(minimal_order(activities=[{"type": stores, "timestamp": "2020-01-01T00:00:00Z"}]))
    # activityType beside the deprecated type, as Wix's current orders carry both.
    assert r.order["activities"] == [{"type": ecom, "activityType": ecom, "createdDate": "2020-01-01T00:00:00Z"}]


def test_merchant_comment_activity() -> None:
    act = {"type": "MERCHANT_COMMENT", "author": "owner@example.com", "message": "Called back", "timestamp": "t"}
    r = convert_order(minimal_order(activities=[act]))
    assert r.order["activities"][0] == {
        "type": "MERCHANT_COMMENT",
        "activityType": "MERCHANT_COMMENT",
        "authorEmail": "owner@example.com",
        "merchantComment": {"message": "Called back"},
        "createdDate": "t",
    }


def test_unknown_enum_value_is_reported_not_guessed() -> None:
    r = convert_order(minimal_order(channelInfo={"type": "BACKOFFICE_EMPLOYEE"}))
    assert "channelInfo" not in r.order
    assert kinds(r)["unknown_value"] == ["$.channelInfo.type"]


def test_unspecified_spellings_map_to_ecommerce_ones() -> None:
    r = convert_order(
        minimal_order(paymentStatus="UNSPECIFIED_PAYMENT_STATUS", lineItems=[_line(lineItemType="UNSPECIFIED_LINE_ITEM_TYPE")])
    )
    assert r.order["paymentStatus"] == "UNSPECIFIED"
    assert r.order["lineItems"][0]["itemType"] == {"preset": "UNRECOGNISED"}


@pytest.mark.parametrize(
    "stores_type,item_type",
    [
        ("PHYSICAL", {"preset": "PHYSICAL"}),
        ("DIGITAL", {"preset": "DIGITAL"}),
        ("CUSTOM_AMOUNT_ITEM", {"custom": "CUSTOM_AMOUNT_ITEM"}),
    ],
)
def test_line_item_types(stores_type: str, item_type: dict[str, str]) -> None:
    r = convert_order(minimal_order(lineItems=[_line(lineItemType=stores_type)]))
    assert r.order["lineItems"][0]["itemType"] == item_type


@pytest.mark.parametrize(
    "payment,fulfillment,status",
    [
        ("PAID", "CANCELED", "CANCELED"),
        ("PENDING", "NOT_FULFILLED", "INITIALIZED"),
        ("PAID", "FULFILLED", "APPROVED"),
        ("NOT_PAID", None, "APPROVED"),
    ],
)
def test_status_is_derived(payment: str, fulfillment: str | None, status: str) -> None:
    extra: dict[str, Any] = {"paymentStatus": payment}
    if fulfillment:
        extra["fulfillmentStatus"] = fulfillment
    r = convert_order(minimal_order(**extra))
    assert r.order["status"] == status
    assert r.order.get("fulfillmentStatus") != "CANCELED"  # not a value of the eCommerce enum


@pytest.mark.parametrize("identity,field", [("MEMBER", "memberId"), ("CONTACT", "contactId")])
def test_buyer_id_splits_by_identity_type(identity: str, field: str) -> None:
    r = convert_order(minimal_order(buyerInfo={"id": "b-1", "identityType": identity}))
    assert r.order["buyerInfo"] == {field: "b-1"}


@pytest.mark.parametrize("identity,field", [("MEMBER", "memberId"), ("USER", "userId"), ("APP", "appId")])
def test_entered_by_splits_into_created_by(identity: str, field: str) -> None:
    r = convert_order(minimal_order(enteredBy={"id": "e-1", "identityType": identity}))
    assert r.order["createdBy"] == {field: "e-1"}


def test_entered_by_contact_is_not_derivable() -> None:
    r = convert_order(minimal_order(enteredBy={"id": "e-1", "identityType": "CONTACT"}))
    assert "createdBy" not in r.order
    assert kinds(r)["not_derivable"] == ["$.enteredBy.id"]


# ---- line-item ids -----------------------------------------------------------------------------------


def test_line_item_ids_follow_wix_rule_and_discounts_use_them(coupon_order: dict[str, Any]) -> None:
    r = convert_order(coupon_order)
    ids = [li["id"] for li in r.order["lineItems"]]
    assert ids == [f"00000000-0000-0000-0000-00000000000{n}" for n in (1, 2, 3)]
    (applied,) = r.order["appliedDiscounts"]
    assert applied["lineItemIds"] == ["00000000-0000-0000-0000-000000000003"]
    assert applied["discountType"] == "SPECIFIC_ITEMS"
    assert applied["coupon"] == {
        "id": "fbb94b06-7447-4161-9c48-59bfcdc39e77",
        "name": "SUMMERSALE10",
        "code": "SUMMERSALE10",
        "amount": {"amount": "10.0", "formattedAmount": "$10.00"},
    }


def test_large_index_pads_to_twelve_digits() -> None:
    r = convert_order(minimal_order(lineItems=[_line(index=123456)]))
    assert r.order["lineItems"][0]["id"] == "00000000-0000-0000-0000-000000123456"


def test_missing_index_uses_the_position_and_says_so() -> None:
    r = convert_order(minimal_order(lineItems=[{"quantity": 1, "name": "a"}, {"quantity": 1, "name": "b"}]))
    assert [li["id"][-2:] for li in r.order["lineItems"]] == ["01", "02"]
    assert kinds(r)["not_derivable"] == ["$.lineItems[0].index", "$.lineItems[1].index"]


def test_repeated_index_is_an_error() -> None:
    with pytest.raises(ConversionError, match=r"\$\.lineItems\[1\]\.index: index 4 repeats \$\.lineItems\[0\]\.index"):
        convert_order(minimal_order(lineItems=[_line(index=4), _line(index=4)]))


# ---- derived sums -------------------------------------------------------------------------------------


def test_total_weight_and_quantity_agreeing_are_silent() -> None:
    items = [_line(index=1, quantity=2, weight="15"), _line(index=2, quantity=1, weight="0.5")]
    r = convert_order(minimal_order(lineItems=items, totals={"weight": "30.5", "quantity": 3}))
    assert "mismatch" not in kinds(r)


def test_total_weight_and_quantity_disagreeing_are_reported_not_fixed() -> None:
    items = [_line(index=1, quantity=2, weight="15")]
    r = convert_order(minimal_order(lineItems=items, totals={"weight": "31", "quantity": 5, "total": "1"}))
    assert kinds(r)["mismatch"] == ["$.totals.weight", "$.totals.quantity"]
    assert r.order["priceSummary"]["total"]["amount"] == "1"  # totals are copied, never recomputed


# ---- report-only operations ---------------------------------------------------------------------------


def test_payment_fields_are_reported_with_the_api_to_fetch_them() -> None:
    r = convert_order(
        minimal_order(billingInfo={"paymentMethod": "PayPal", "paidDate": "2020-01-01T00:00:00Z"}, refunds=[{"id": "r"}])
    )
    fetches = {e.path: e.fetch for e in r.report.entries if e.kind == "fetch"}
    assert set(fetches) == {"$.billingInfo.paymentMethod", "$.billingInfo.paidDate", "$.refunds"}
    assert fetches["$.refunds"] is not None
    assert "List Transactions For Single Order" in fetches["$.refunds"]["endpoint"]


def test_fulfillments_point_to_the_fulfillments_api(coupon_order: dict[str, Any]) -> None:
    r = convert_order(coupon_order)
    (entry,) = [e for e in r.report.entries if e.path == "$.fulfillments"]
    assert entry.kind == "fetch" and entry.fetch is not None
    assert "List Fulfillments For Single Order" in entry.fetch["endpoint"]


def test_unmapped_fields_are_reported_never_dropped() -> None:
    r = convert_order(minimal_order(somethingNew={"deep": "value", "empty": ""}))
    assert kinds(r)["unmapped"] == ["$.somethingNew.deep"]


# ---- custom field, options ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Leave at the door", {"stringValue": "Leave at the door"}])
def test_custom_field_value_is_written_plain(value: Any) -> None:
    r = convert_order(minimal_order(customField={"title": "Notes", "value": value}))
    assert r.order["customFields"] == [{"value": "Leave at the door", "title": "Notes"}]


def test_options_and_custom_text_become_catalog_options_and_description_lines() -> None:
    item = _line(
        productId="p-1",
        variantId="v-1",
        options=[{"option": "Color", "selection": "Blue"}],
        customTextFields=[{"title": "Engraving", "value": "AB"}],
        notes="gift",
    )
    line = convert_order(minimal_order(lineItems=[item])).order["lineItems"][0]
    assert line["catalogReference"] == {
        "catalogItemId": "p-1",
        "appId": "215238eb-22a5-4c36-9e7b-e7c08025e04e",
        "options": {"options": {"Color": "Blue"}, "variantId": "v-1", "customTextFields": {"Engraving": "AB"}},
    }
    assert [(d["name"]["original"], d["plainText"]["original"]) for d in line["descriptionLines"]] == [
        ("Color", "Blue"),
        ("Engraving", "AB"),
        ("", "gift"),
    ]


def test_custom_amount_item_has_no_catalog_reference() -> None:
    item = _line(lineItemType="CUSTOM_AMOUNT_ITEM", options=[], customTextFields=[])
    line = convert_order(minimal_order(lineItems=[item])).order["lineItems"][0]
    assert "catalogReference" not in line


# ---- addresses -----------------------------------------------------------------------------------------


def test_billing_address_splits_contact_details_and_email(pickup_order: dict[str, Any]) -> None:
    r = convert_order(pickup_order)
    assert r.order["billingInfo"] == {
        "address": {
            "city": "Berlin",
            "postalCode": "10115",
            "country": "DE",
            "addressLine2": "2nd floor",
            "streetAddress": {"number": "12", "name": "Musterstrasse"},
            "subdivision": "DE-BE",
            "countryFullname": "Germany",
            "subdivisionFullname": "Berlin",
        },
        "contactDetails": {
            "firstName": "Alex",
            "lastName": "Example",
            "phone": "+49 555 0103",
            "company": "Example GmbH",
            "vatId": {"id": "DE000000000", "type": "UNSPECIFIED"},
        },
    }
    assert r.order["buyerInfo"]["email"] == "alex@example.com"
    assert "email" not in r.order["billingInfo"]["address"]


def test_pickup_address_and_instructions(pickup_order: dict[str, Any]) -> None:
    logistics = convert_order(pickup_order).order["shippingInfo"]["logistics"]
    assert logistics["pickupDetails"]["address"]["addressLine"] == "Shopstrasse 1"
    assert logistics["instructions"] == "Ring the bell at the side door"
    assert "shippingDestination" not in logistics


def test_shipment_address_goes_to_the_shipping_destination(coupon_order: dict[str, Any]) -> None:
    dest = convert_order(coupon_order).order["shippingInfo"]["logistics"]["shippingDestination"]
    assert dest["address"]["postalCode"] == "10173"
    assert dest["contactDetails"] == {"firstName": "Jane", "lastName": "Doe", "phone": "+1 555 0100"}


def test_a_different_address_email_is_a_mismatch_not_an_overwrite() -> None:
    order = minimal_order(buyerInfo={"email": "a@example.com"}, billingInfo={"address": {"email": "b@example.com"}})
    r = convert_order(order)
    assert r.order["buyerInfo"]["email"] == "a@example.com"
    assert kinds(r)["mismatch"] == ["$.billingInfo.address.email"]


def test_buyer_name_differing_from_the_billing_name_is_reported() -> None:
    order = minimal_order(
        buyerInfo={"firstName": "Ann"},
        billingInfo={"address": {"fullName": {"firstName": "Anne"}}},
    )
    r = convert_order(order)
    assert r.order["billingInfo"]["contactDetails"]["firstName"] == "Anne"
    assert kinds(r)["mismatch"] == ["$.buyerInfo.firstName"]


# ---- today's eCommerce shape: the defaults and older names Wix writes beside the fields (issue 14) ------

REFERENCE = FIXTURES / "reference" / "examples"


def test_the_defaults_wix_writes_are_written_as_in_its_examples() -> None:
    ecom = load_json(REFERENCE / "ecom_order_4.json")
    r = convert_order(minimal_order())
    assert r.order["attributionSource"] == ecom["attributionSource"] == "UNSPECIFIED"
    assert [item["paymentOption"] for item in r.order["lineItems"]] == ["FULL_PAYMENT_ONLINE"] * len(r.order["lineItems"])
    assert ecom["lineItems"][0]["paymentOption"] == "FULL_PAYMENT_ONLINE"
    assert "attributionSource" not in kinds(r).get("unmapped", [])


def test_description_lines_carry_plain_text_value_beside_plain_text_as_wix_returns_them() -> None:
    ecom = load_json(REFERENCE / "ecom_order_4.json")
    order = minimal_order()
    order["lineItems"][0]["options"] = [{"option": "Size", "selection": "25"}]
    (line,) = convert_order(order).order["lineItems"][0]["descriptionLines"]
    assert line == {
        "name": {"original": "Size", "translated": "Size"},
        "plainText": {"original": "25", "translated": "25"},
        "lineType": "PLAIN_TEXT",
        "plainTextValue": {"original": "25", "translated": "25"},
    }
    assert list(line) == list(ecom["lineItems"][0]["descriptionLines"][0])  # Wix's own key order
    assert line["plainText"] == ecom["lineItems"][0]["descriptionLines"][0]["plainTextValue"]


def test_the_gift_card_views_of_the_total_are_the_total_when_no_gift_card_paid() -> None:
    order = minimal_order()
    order["totals"]["total"] = "25.0"
    summary = convert_order(order).order["priceSummary"]
    assert summary["totalWithGiftCard"] == summary["totalWithoutGiftCard"] == summary["total"]
    order["totals"]["giftCard"] = "5"
    summary = convert_order(order).order["priceSummary"]
    # How Wix splits them when a gift card paid is not documented: not written rather than guessed.
    assert "totalWithGiftCard" not in summary and "totalWithoutGiftCard" not in summary
    assert summary["total"]["amount"] == "25.0"


def test_the_catalog_app_id_is_a_setting_of_the_table() -> None:
    text, _ = default_table_text()
    stores = "catalog_app_id: &catalog_app_id 215238eb-22a5-4c36-9e7b-e7c08025e04e"
    assert stores in text
    order = minimal_order()
    order["lineItems"][0]["productId"] = "a1f9d337-f831-4529-31e6-67db8fd4e1aa"
    shipped = convert_order(order).order["lineItems"][0]["catalogReference"]["appId"]
    assert shipped == "215238eb-22a5-4c36-9e7b-e7c08025e04e"
    older = compile_table(
        load_table(text.replace(stores, "catalog_app_id: &catalog_app_id 1380b703-ce81-ff05-f115-39571d94dfcd"))
    )
    assert convert_order(order, plan=older).order["lineItems"][0]["catalogReference"]["appId"] == (
        "1380b703-ce81-ff05-f115-39571d94dfcd"
    )


def test_description_lines_need_a_key_to_write_their_text_under() -> None:
    text, _ = default_table_text()
    old = "text_keys: [plainText, plainTextValue]"
    assert old in text
    with pytest.raises(MappingError, match="'text_keys' lists the keys a line's text is written under"):
        compile_table(load_table(text.replace(old, "text_keys: []")))
