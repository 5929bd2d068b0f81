"""The Stores paging (``{limit, offset}``) as eCommerce ``cursorPaging``: the limit carries, an offset cannot."""

from __future__ import annotations

from typing import Any

from ..report import describe
from .values import at_key
from .walk import Walk

LIMIT_MAX = 100  # CursorPaging.limit: @max 100 (Stores Query Orders also returned at most 100)


def cursor_paging(walk: Walk, raw: Any, path: str) -> dict[str, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        walk.problem(path, f"expected {{limit, offset}}, got {describe(raw)}")
        return None
    for key in raw:
        if key not in ("limit", "offset"):
            walk.report("dropped", at_key(path, key), "Stores paging has only limit and offset; left out")
    limit, offset = raw.get("limit"), raw.get("offset")
    for key, number in (("limit", limit), ("offset", offset)):
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 0):
            walk.problem(at_key(path, key), f"expected a non-negative integer, got {describe(number)}")
            return None
    if offset:
        walk.report(
            "dropped",
            at_key(path, "offset"),
            f"eCommerce Search Orders pages by cursor, not offset: to skip {offset} orders, request pages and pass "
            "metadata.cursors.next as cursorPaging.cursor until they are passed",
        )
    if limit is None:
        return None
    if limit > LIMIT_MAX:
        walk.report(
            "note", at_key(path, "limit"), f"both APIs return at most {LIMIT_MAX} orders a page; limit {LIMIT_MAX} is sent"
        )
    return {"limit": min(limit, LIMIT_MAX)}
