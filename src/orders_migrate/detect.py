"""What is this payload? A Stores order, an eCommerce order, or something we do not convert."""

from __future__ import annotations

from typing import Any, Literal

PayloadKind = Literal["stores_order", "ecom_order", "mixed", "unknown"]

# Keys only one side's order object has (seed 001 and the published types).
_STORES_ONLY = frozenset(
    {"dateCreated", "lastUpdated", "totals", "numericId", "enteredBy", "customField", "fulfillments", "discount"}
)
_ECOM_ONLY = frozenset(
    {"createdDate", "updatedDate", "priceSummary", "createdBy", "appliedDiscounts", "customFields", "taxSummary", "status"}
)


def detect_kind(payload: Any) -> PayloadKind:
    if not isinstance(payload, dict):
        return "unknown"
    keys = payload.keys()
    stores = len(_STORES_ONLY.intersection(keys))
    ecom = len(_ECOM_ONLY.intersection(keys))
    items = payload.get("lineItems")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    if "productName" in first or "itemType" in first:
        ecom += 1
    if "lineItemType" in first or "priceData" in first or "index" in first:
        stores += 1
    if ecom and stores:
        return "mixed"  # a half-converted record: neither converting nor passing it through is safe
    if ecom:
        return "ecom_order"
    if stores or "lineItems" in keys:
        return "stores_order"
    return "unknown"


def mixed_keys(payload: dict[str, Any]) -> tuple[str, str]:
    """One Stores-only and one eCommerce-only key of a mixed record, to name in the error."""
    stores = sorted(_STORES_ONLY.intersection(payload)) or ["lineItems[0] (Stores shape)"]
    ecom = sorted(_ECOM_ONLY.intersection(payload)) or ["lineItems[0] (eCommerce shape)"]
    return stores[0], ecom[0]
