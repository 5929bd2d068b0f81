"""The Stores filter object walked into a condition tree: $and/$or/$not, each field's operators, and the
operator handed to the function for its field's shape (shapes.py, name_parts.py).

``positive`` is False under an odd number of negations: a condition left out then stands as false, so that
the search still widens rather than narrows (see walk.py).
"""

from __future__ import annotations

from typing import Any

from ..report import describe
from .fields import QueryField
from .name_parts import parts_field
from .shapes import enum_field, list_field, scalar_field, split_field
from .tree import TRUE, Node, negate
from .values import LIST_OPERATORS, MAX_NESTING, at_index, at_key
from .walk import Part, Walk

STORES_OPERATORS = ("$eq", "$ne", "$hasSome", "$hasAll", "$lt", "$lte", "$gt", "$gte", "$contains", "$startsWith")


def walk_filter(walk: Walk, obj: Any, path: str, positive: bool, depth: int = 0) -> Node:
    """``depth``: how many $and/$or/$not enclose ``obj``."""
    if not isinstance(obj, dict):
        walk.problem(path, f"expected a filter object, got {describe(obj)}")
        return TRUE
    parts: list[Part] = []
    for key, value in obj.items():
        where = at_key(path, key)
        start = walk.mark()
        if key in ("$and", "$or", "$not") and depth >= MAX_NESTING:
            walk.problem(where, f"$and/$or/$not nested more than {MAX_NESTING} levels deep")
        elif key in ("$and", "$or"):
            parts.append(walk.part(start, _logical(walk, key, value, where, positive, depth)))
        elif key == "$not":
            parts.append(walk.part(start, negate(walk_filter(walk, value, where, not positive, depth + 1))))
        elif key.startswith("$"):
            walk.problem(where, f"unknown logical operator {key!r} (Stores filters combine with $and, $or, $not)")
        else:
            parts.append(walk.part(start, _field(walk, key, value, where, positive)))
    return walk.combine(True, parts, path, "filter object")


def _logical(walk: Walk, key: str, value: Any, path: str, positive: bool, depth: int) -> Node:
    if not isinstance(value, list) or not value:
        walk.problem(path, f"{key} takes a non-empty array of filters, got {describe(value)}")
        return TRUE
    parts: list[Part] = []
    for n, item in enumerate(value):
        start = walk.mark()
        parts.append(walk.part(start, walk_filter(walk, item, at_index(path, n), positive, depth + 1)))
    return walk.combine(key == "$and", parts, path, key, explicit=key == "$and")


def _field(walk: Walk, name: str, value: Any, path: str, positive: bool) -> Node:
    qf = walk.fields.get(name)
    operators = isinstance(value, dict) and any(k.startswith("$") for k in value)
    if operators and not all(k.startswith("$") for k in value):
        walk.problem(path, "mixes operators ($...) with plain keys; write one or the other")
        return TRUE
    if qf is None:
        why = f"no mapping row gives Stores {name!r} an eCommerce search field (seed 004 lists the fields Stores could filter on)"
        return walk.drop(path, why, positive)
    if not operators:
        return operator(walk, qf, "$eq", value, path, short=True, positive=positive)
    parts: list[Part] = []
    for op, v in value.items():
        start = walk.mark()
        parts.append(walk.part(start, operator(walk, qf, op, v, at_key(path, op), short=False, positive=positive)))
    return walk.combine(True, parts, path, f"condition on {name}")


def operator(walk: Walk, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
    if op not in STORES_OPERATORS:
        walk.problem(path, f"unknown operator {op!r} (Stores Query Orders: {', '.join(STORES_OPERATORS)})")
        return TRUE
    if op in LIST_OPERATORS and (not isinstance(value, list) or not value):
        walk.problem(path, f"{op} takes a non-empty array of values, got {describe(value)}")
        return TRUE
    if op == "$ne":
        return negate(operator(walk, qf, "$eq", value, path, short=False, positive=not positive))
    if qf.shape == "list":
        return list_field(walk, qf, op, value, path, positive)
    if qf.shape == "split":
        return split_field(walk, qf, op, value, path, short, positive)
    if qf.shape == "parts":
        return parts_field(walk, qf, op, value, path, short, positive)
    if qf.value == "enum":
        return enum_field(walk, qf, op, value, path, short, positive)
    return scalar_field(walk, qf, op, value, path, short, positive)
