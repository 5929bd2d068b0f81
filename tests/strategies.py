"""Hypothesis strategies for Wix-shaped Stores orders (REST dialect), webhook bodies and saved queries."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal
from typing import Any, get_args

from hypothesis import strategies as st

from orders_migrate.models.stores import ActivityType as StoresActivityType

IDS = st.uuids().map(str)


@st.composite
def money(draw: st.DrawFn, max_value: int = 10_000) -> str:
    """Decimal strings in the forms Stores writes: "130.00", "10.0", "0", many decimals."""
    whole = draw(st.integers(min_value=0, max_value=max_value))
    places = draw(st.sampled_from([0, 0, 1, 2, 2, 3, 6]))
    if places == 0:
        return str(whole)
    frac = draw(st.integers(min_value=0, max_value=10**places - 1))
    return f"{whole}.{frac:0{places}d}"


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)

address = st.fixed_dictionaries(
    {},
    optional={
        "fullName": st.fixed_dictionaries({}, optional={"firstName": TEXT, "lastName": TEXT}),
        "country": st.sampled_from(["US", "IL", "DE", "IN"]),
        "subdivision": st.sampled_from(["US-NY", "IL-TA", "DE-BE"]),
        "city": TEXT,
        "zipCode": TEXT,
        "phone": TEXT,
        "company": TEXT,
        "email": st.just("buyer@example.com"),
        "addressLine2": TEXT,
        "vatId": st.fixed_dictionaries({"number": TEXT, "type": st.sampled_from(["UNSPECIFIED_TAX_TYPE", "CPF", "CNPJ"])}),
    },
).flatmap(
    lambda a: st.one_of(
        st.just(a),
        TEXT.map(lambda line: {**a, "addressLine1": line}),
        st.fixed_dictionaries({"number": TEXT, "name": TEXT}).map(lambda s: {**a, "street": s}),
    )
)


@st.composite
def line_item(draw: st.DrawFn, index: int) -> dict[str, Any]:
    quantity = draw(st.integers(min_value=1, max_value=50))
    price = draw(money(max_value=500))
    included = draw(st.booleans())
    item: dict[str, Any] = {
        "index": index,
        "quantity": quantity,
        "name": draw(TEXT),
        "lineItemType": draw(st.sampled_from(["PHYSICAL", "DIGITAL", "CUSTOM_AMOUNT_ITEM", "UNSPECIFIED_LINE_ITEM_TYPE"])),
        "discount": draw(money(max_value=50)),
        "tax": draw(money(max_value=50)),
        "priceData": {"taxIncludedInPrice": included, "price": price, "totalPrice": str(Decimal(price) * quantity)},
    }
    optional = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "productId": IDS,
                "translatedName": TEXT,
                "sku": TEXT,
                "weight": money(max_value=20),
                "notes": TEXT,
                "variantId": IDS,
                "fulfillerId": IDS,
                "options": st.lists(st.fixed_dictionaries({"option": TEXT, "selection": TEXT}), max_size=3),
                "customTextFields": st.lists(st.fixed_dictionaries({"title": TEXT, "value": TEXT}), max_size=2),
                "mediaItem": st.fixed_dictionaries(
                    {
                        "mediaType": st.just("IMAGE"),
                        "url": st.just("https://static.wixstatic.com/media/x.jpg"),
                        "id": st.just("x.jpg"),
                    },
                    optional={"width": st.integers(1, 5000), "height": st.integers(1, 5000), "altText": TEXT},
                ),
            },
        )
    )
    item.update(optional)
    return item


@st.composite
def stores_order(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=6))
    start = draw(st.integers(min_value=0, max_value=3))
    items = [draw(line_item(start + n)) for n in range(count)]
    shared_flag = items[0]["priceData"]["taxIncludedInPrice"]
    for item in items:  # one order, one tax mode, as Wix stores them
        item["priceData"]["taxIncludedInPrice"] = shared_flag
    order: dict[str, Any] = {
        "id": draw(IDS),
        "number": draw(st.integers(min_value=10000, max_value=99999)),
        "dateCreated": "2023-03-07T10:24:03.380Z",
        "currency": draw(st.sampled_from(["USD", "EUR", "JPY", "ILS", "INR", "KWD"])),
        "weightUnit": draw(st.sampled_from(["KG", "LB", "UNSPECIFIED_WEIGHT_UNIT"])),
        "paymentStatus": draw(
            st.sampled_from(["PAID", "NOT_PAID", "PENDING", "PARTIALLY_PAID", "FULLY_REFUNDED", "UNSPECIFIED_PAYMENT_STATUS"])
        ),
        "fulfillmentStatus": draw(st.sampled_from(["NOT_FULFILLED", "FULFILLED", "CANCELED", "PARTIALLY_FULFILLED"])),
        "totals": {k: draw(money()) for k in ("subtotal", "shipping", "tax", "discount", "total")},
        "lineItems": items,
        "buyerInfo": {
            "id": draw(IDS),
            "identityType": draw(st.sampled_from(["MEMBER", "CONTACT"])),
            "email": "buyer@example.com",
        },
        "billingInfo": {"address": draw(address)},
        "channelInfo": {"type": draw(st.sampled_from(["WEB", "POS", "EBAY", "BACKOFFICE_MERCHANT"]))},
        "enteredBy": {"id": draw(IDS), "identityType": draw(st.sampled_from(["USER", "MEMBER", "APP", "CONTACT"]))},
    }
    if draw(st.booleans()):
        order["shippingInfo"] = {
            "deliveryOption": draw(TEXT),
            "shipmentDetails": {
                "address": draw(address),
                "discount": draw(money(max_value=10)),
                "tax": draw(money(max_value=10)),
                "priceData": {"taxIncludedInPrice": shared_flag, "price": draw(money(max_value=50))},
            },
        }
    elif draw(st.booleans()):
        order["shippingInfo"] = {
            "pickupDetails": {
                "pickupAddress": {"country": "US", "city": draw(TEXT), "addressLine1": draw(TEXT)},
                "pickupInstructions": draw(TEXT),
            }
        }
    if draw(st.booleans()):
        order["discount"] = {
            "value": draw(money(max_value=50)),
            "appliedCoupon": {"couponId": draw(IDS), "name": draw(TEXT), "code": draw(TEXT)},
        }
    if draw(st.booleans()):
        order["activities"] = [
            {"type": kind, "timestamp": "2023-03-07T10:24:03.380Z"}
            for kind in draw(st.lists(st.sampled_from(ACTIVITY_TYPES), min_size=1, max_size=4))
        ]
    if draw(st.booleans()):
        order["customField"] = {"title": draw(TEXT), "value": draw(st.one_of(TEXT, TEXT.map(lambda v: {"stringValue": v})))}
    if draw(st.booleans()):
        # Fields no row knows: they must be reported, never dropped.
        order["unknownSection"] = {"field": draw(st.text(min_size=1, max_size=5)), "n": draw(st.integers(min_value=1))}
    return order


# Every documented Stores activity type, and one seen only in the wild.
ACTIVITY_TYPES = [*get_args(StoresActivityType), "ORDER_RECEIVED"]


@st.composite
def stores_webhook(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    """A Stores webhook body and the --kind it needs (None when the body says what it is)."""
    order = draw(stores_order())
    order_id = order["id"]
    tracking = {"trackingNumber": draw(TEXT), "shippingProvider": "usps", "trackingLink": "https://example.com/t"}
    which = draw(st.sampled_from(["created", "paid", "canceled", "declined", "refunded", "f-created", "f-updated", "f-deleted"]))
    if which == "created":
        keys = ("number", "dateCreated", "buyerInfo", "currency", "weightUnit", "totals", "paymentStatus", "fulfillmentStatus")
        return {"orderId": order_id, **{k: order[k] for k in keys}}, None
    if which in ("paid", "canceled", "declined"):
        return {"order": order}, f"order-{which}"
    if which == "refunded":
        refund = {
            "id": draw(IDS),
            "dateCreated": "2023-03-08T00:00:00Z",
            "amount": draw(money(max_value=100)),
            "reason": draw(TEXT),
        }
        order["refunds"] = [refund]
        return {"refundId": refund["id"], "order": order}, None
    body: dict[str, Any] = {"orderId": order_id, "fulfillmentId": draw(IDS)}
    if which == "f-created":
        body.update(dateCreated="2023-03-08T00:00:00Z", fulfillmentStatus="FULFILLED", trackingInfo=tracking)
    elif which == "f-updated":
        body["trackingInfo"] = tracking
    else:
        body["fulfillmentStatus"] = "NOT_FULFILLED"
    return body, None


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON value (the root is ``()``)."""
    found = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            found += places(v, (*at, k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            found += places(v, (*at, n))
    return found


def replace_fields(doc: Any, data: st.DataObject, values: st.SearchStrategy[Any], changes: int) -> None:
    """Replace ``changes`` drawn fields of ``doc`` (in place) with drawn values, each its own copy."""
    for _ in range(changes):
        where = data.draw(st.sampled_from([p for p in places(doc) if p]))
        holder = doc
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = copy.deepcopy(data.draw(values))  # never one object in two places


# Seed 004's filter fields with values of their type (and some of another), each with the operators
# Stores took on it; "giftCard" is a field no row knows.
_EPOCH_MS = st.integers(min_value=0, max_value=4_102_444_800_000)
_ISO = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 1, 1)).map(lambda d: d.isoformat() + "Z")
_PAYMENT = st.sampled_from(["PAID", "NOT_PAID", "PENDING", "PARTIALLY_REFUNDED", "FULLY_REFUNDED", "PARTIALLY_PAID", "WEIRD"])
_FULFILLMENT = st.sampled_from(["NOT_FULFILLED", "FULFILLED", "PARTIALLY_FULFILLED", "CANCELED", "LOST"])
_NAME = st.text(alphabet="ab ", min_size=1, max_size=6)
_EQ, _RANGE, _LIST = ["$eq", "$ne", "$hasSome"], ["$lt", "$lte", "$gt", "$gte"], ["$hasAll"]
QUERY_FIELDS: dict[str, tuple[list[str], st.SearchStrategy[Any]]] = {
    "dateCreated": ([*_EQ, *_RANGE], st.one_of(_EPOCH_MS, _ISO)),
    "lastUpdated": ([*_EQ, *_RANGE], st.one_of(_EPOCH_MS, _ISO)),
    "number": ([*_EQ, *_RANGE], st.integers(min_value=1, max_value=10**7)),
    "paymentStatus": (_EQ, _PAYMENT),
    "fulfillmentStatus": (_EQ, _FULFILLMENT),
    "archived": (["$eq", "$ne"], st.booleans()),
    "id": (_EQ, IDS),
    "buyerInfo.id": (_EQ, IDS),
    "enteredBy.id": (_EQ, IDS),
    "channelInfo.type": (_EQ, st.sampled_from(["WEB", "POS", "EBAY", "SOMEWHERE"])),
    "channelInfo.externalOrderId": (_EQ, TEXT),
    "lineItems.productId": ([*_EQ, *_LIST], IDS),
    "lineItems.name": ([*_EQ, *_LIST], TEXT),
    "billingInfo.address.fullName": (
        [*_EQ, "$contains", "$startsWith"],
        st.one_of(_NAME, st.fixed_dictionaries({"firstName": _NAME}, optional={"lastName": _NAME})),
    ),
    "giftCard": (["$eq"], TEXT),
}


@st.composite
def _condition(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(QUERY_FIELDS)))
    operators, values = QUERY_FIELDS[name]
    if draw(st.booleans()):
        return {name: draw(values)}  # the short form: equality
    ops = draw(st.lists(st.sampled_from(operators), min_size=1, max_size=2, unique=True))
    return {
        name: {
            op: draw(st.lists(values, min_size=1, max_size=3)) if op in ("$hasSome", "$hasAll") else draw(values) for op in ops
        }
    }


_FILTER = st.recursive(
    _condition(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"$and": items}),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"$or": items}),
        inner.map(lambda item: {"$not": item}),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: {k: v for item in items for k, v in item.items()}),
    ),
    max_leaves=6,
)


@st.composite
def stores_query(draw: st.DrawFn) -> dict[str, Any]:
    """A saved Stores Query Orders request: filter and sort as JSON text (as Stores took them) or parsed."""
    query: dict[str, Any] = {}
    as_text = draw(st.booleans())
    if draw(st.booleans()):
        filter_ = draw(_FILTER)
        query["filter"] = json.dumps(filter_) if as_text else filter_
    if draw(st.booleans()):
        names = st.sampled_from(
            ["dateCreated", "lastUpdated", "number", "paymentStatus", "fulfillmentStatus", "id", "giftCard", "buyerInfo.id"]
        )
        sort = draw(st.lists(st.builds(lambda n, d: {n: d}, names, st.sampled_from(["asc", "desc"])), max_size=5))
        query["sort"] = json.dumps(sort) if as_text else sort
    if draw(st.booleans()):
        query["paging"] = draw(st.fixed_dictionaries({}, optional={"limit": st.integers(0, 200), "offset": st.integers(0, 50)}))
    request: dict[str, Any] = {"query": query}
    if draw(st.booleans()):
        request["fields"] = draw(st.lists(TEXT, min_size=1, max_size=2))  # not part of the body: reported
    return request
