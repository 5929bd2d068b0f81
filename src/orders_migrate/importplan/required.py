"""What Import Order requires of an order (the ``importOrder`` signature's required paths in
``@wix/auto_sdk_ecom_orders@1.0.300``), checked on the converted order, each missing path with what the
user can do about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from ..report import Problem

# The importOrder signature's required paths (`[]`: every line item). Its conversion-details paths
# apply to an order that has conversion details: createOrder names the same two, and a single-currency
# order has none to give.
REQUIRED: Final[tuple[str, ...]] = (
    "billingInfo.contactDetails",
    "channelInfo",
    "lineItems",
    "lineItems[].catalogReference.appId",
    "lineItems[].catalogReference.catalogItemId",
    "lineItems[].itemType",
    "lineItems[].price",
    "lineItems[].productName",
    "lineItems[].productName.original",
    "lineItems[].quantity",
    "paymentStatus",
    "priceSummary",
    "status",
)
REQUIRED_WHEN_PRESENT: Final[dict[str, tuple[str, ...]]] = {
    "currencyConversionDetails": ("currencyConversionDetails.conversionRate", "currencyConversionDetails.originalCurrency"),
}

# What the user can do when the stored order lacks what a required path is converted from.
MISSING_HELP: Final[dict[str, str]] = {
    "billingInfo.contactDetails": "the stored billingInfo has no name, phone, company or VAT id to give it; add the buyer's "
    "name to the stored billingInfo",
    "channelInfo": "the stored order names no sales channel; add channelInfo.type (WEB, POS, ...) to it if you know it",
    "lineItems": "the stored order has no line items",
    "lineItems[].catalogReference.appId": "the stored line item has no productId; set it to the product in the site's catalog",
    "lineItems[].catalogReference.catalogItemId": "the stored line item has no productId; set it to the product in the site's catalog",
    "lineItems[].itemType": "the stored line item has no lineItemType; add it (PHYSICAL, DIGITAL, ...)",
    "lineItems[].price": "the stored line item has no priceData.price",
    "lineItems[].productName": "the stored line item has no name",
    "lineItems[].productName.original": "the stored line item has no name",
    "lineItems[].quantity": "the stored line item has no quantity",
    "paymentStatus": "the stored order has no paymentStatus",
    "priceSummary": "the stored order has no totals",
    "status": "the stored order has no paymentStatus or fulfillmentStatus to derive it from",
}

CUSTOM_AMOUNT_HELP: Final = (
    "a custom-amount item has no catalog item, and Import Order needs one: create a product for it in the "
    "site's catalog and set the stored line item's productId to it (its catalogReference then names it), "
    "or leave this order out of the import"
)


def present(value: Any) -> bool:
    return value is not None and value != {} and value != [] and value != ""


def _missing(root: Any, dotted: str) -> Iterator[str]:
    """The rendered paths below ``root`` where ``dotted`` has no value (``[]`` fans out over a list)."""

    def walk(node: Any, parts: list[str], where: str) -> Iterator[str]:
        if not parts:
            return
        head, rest = parts[0], parts[1:]
        each = head.endswith("[]")
        key = head[:-2] if each else head
        value = node.get(key) if isinstance(node, dict) else None
        here = f"{where}.{key}"
        if not present(value):
            # The whole required path, so the message names the leaf the user must supply.
            yield ".".join([here, *(part.removesuffix("[]") for part in rest)])
            return
        if each:
            if isinstance(value, list):
                for n, item in enumerate(value):
                    yield from walk(item, rest, f"{here}[{n}]")
        else:
            yield from walk(value, rest, here)

    yield from walk(root, dotted.split("."), "$.order")


def check_import(order: dict[str, Any]) -> list[Problem]:
    """Problems of an Import Order body: each required path it lacks (``$.order....``), with what to do."""
    seen: dict[str, None] = {}
    for dotted in REQUIRED:
        for path in _missing(order, dotted):
            seen.setdefault(path)
    for parent, paths in REQUIRED_WHEN_PRESENT.items():
        if parent in order and order[parent] is not None:
            for dotted in paths:
                for path in _missing(order, dotted):
                    seen.setdefault(path)
    raw_items = order.get("lineItems")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    problems = []
    for path in seen:
        generic = re.sub(r"\[[0-9]+\]", "[]", path.removeprefix("$.order."))
        message = f"required by Import Order, missing: {MISSING_HELP.get(generic, 'the stored order holds no value for it')}"
        if ".catalogReference" in path and path.startswith("$.order.lineItems["):
            n = int(path[len("$.order.lineItems[") : path.index("]")])
            item = items[n] if n < len(items) and isinstance(items[n], dict) else {}
            if (item.get("itemType") or {}).get("custom") == "CUSTOM_AMOUNT_ITEM":
                message = f"required by Import Order, missing: {CUSTOM_AMOUNT_HELP}"
        problems.append(Problem(path, message))
    return problems
