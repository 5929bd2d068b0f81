"""What is this payload? A Stores order, an eCommerce order, or something we do not convert."""

from __future__ import annotations

from typing import Any, Literal

from .table import Table

PayloadKind = Literal["stores_order", "ecom_order", "mixed", "unknown"]


def _kinds(table: Table) -> Any:
    if table.payload_kinds:
        return table.payload_kinds
    from .compile import default_plan  # a partial table (a test's, say) recognises payloads by the shipped keys

    return default_plan().table.payload_kinds


def detect_kind(payload: Any, table: Table) -> PayloadKind:
    """Which order a payload is, by the keys the table's ``payload_kinds`` say only one side has."""
    if not isinstance(payload, dict):
        return "unknown"
    kinds = _kinds(table)
    stores, ecom = kinds["stores_order"], kinds["ecom_order"]
    items = payload.get("lineItems")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    # Whether a side has any of its keys, not how many: isdisjoint stops at the first it finds.
    stores_hits = not stores["keys"].isdisjoint(payload) or not stores["line_item_keys"].isdisjoint(first)
    ecom_hits = not ecom["keys"].isdisjoint(payload) or not ecom["line_item_keys"].isdisjoint(first)
    if ecom_hits and stores_hits:
        return "mixed"  # a half-converted record: neither converting nor passing it through is safe
    if ecom_hits:
        return "ecom_order"
    if stores_hits or "lineItems" in payload:
        return "stores_order"
    return "unknown"


def mixed_keys(payload: dict[str, Any], table: Table) -> tuple[str, str]:
    """One Stores-only and one eCommerce-only key of a mixed record, to name in the error."""
    kinds = _kinds(table)
    stores = sorted(kinds["stores_order"]["keys"].intersection(payload)) or ["lineItems[0] (Stores shape)"]
    ecom = sorted(kinds["ecom_order"]["keys"].intersection(payload)) or ["lineItems[0] (eCommerce shape)"]
    return stores[0], ecom[0]
