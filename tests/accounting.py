"""Where did each input leaf go? A check shared by the fixture tests and the property tests."""

from __future__ import annotations

import json
from typing import Any

# Leaves a row consumes without copying their value: discriminators of a split, enum values a row
# renames, line indexes turned into GUIDs, totals derived from and checked against the line items,
# codes rewritten to ISO forms, Velo media sources parsed into an image, a flag a companion row turns
# round (refundableByPaymentProvider -> refundDisabled).
CONSUMED_BY_ROWS = (
    "identityType",
    ".type",
    "index",
    "mediaType",
    "taxIncludedInPrice",
    "totals.weight",
    "totals.quantity",
    "fulfillmentStatus",
    "paymentStatus",
    "lineItemType",
    "weight",
    "number",
    "discount.value",
    "totalPrice",
    "country",
    "subdivision",
    "mediaItem.src",
    "refundableByPaymentProvider",
)


def leaves(value: Any, path: str = "$") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [leaf for n, v in enumerate(value) for leaf in leaves(v, f"{path}[{n}]")]
    return [] if value in (None, "") else [(path, value)]


def _texts(value: Any) -> set[str]:
    found = leaves(value)
    return {str(v) for _, v in found} | {json.dumps(v, default=str) for _, v in found}


def lost_leaves(order: Any, result: Any) -> list[tuple[str, Any]]:
    """Input leaves whose value is not in the output and whose path no report entry covers."""
    reported = [e.path for e in result.report.entries]
    values = _texts(result.order)
    lost = []
    for leaf, value in leaves(order):
        if any(leaf == r or leaf.startswith(r + ".") or leaf.startswith(r + "[") for r in reported):
            continue
        if str(value) in values or json.dumps(value, default=str) in values:
            continue
        if leaf.endswith(CONSUMED_BY_ROWS):
            continue
        lost.append((leaf, value))
    return lost


def unmapped_and_carried(order: Any, result: Any) -> list[str]:
    """Leaves reported as unmapped (nothing read them) whose path the output nonetheless holds: a
    leaf must end in exactly one place."""
    written = {path for path, _ in leaves(result.order)}
    return [e.path for e in result.report.entries if e.kind == "unmapped" and e.path in written]
