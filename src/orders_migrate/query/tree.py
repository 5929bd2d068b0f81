"""The condition tree a Stores filter becomes, and its rendering back into the Wix query language.

Conditions are ``Cond``/``AllOf``/``AnyOf``/``Not``/``Const`` so that ``$ne`` and ``$not`` can be pushed
down onto the fields a Stores field became (``negate``) before ``render`` writes the eCommerce filter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any, Literal

_FLIP = {"$eq": "$ne", "$ne": "$eq", "$in": "$nin", "$nin": "$in"}

# How a translated condition can differ from the Stores one: it can match orders the Stores query did not
# ("more"), miss orders it matched ("fewer"), or both. Under a negation "more" and "fewer" swap.
Effect = Literal["more", "fewer", "both"]


def seen_from(effect: Effect, positive: bool) -> Effect:
    """An effect on one condition as the whole search sees it: a negation turns missed orders into extra ones."""
    if positive or effect == "both":
        return effect
    return "fewer" if effect == "more" else "more"


@dataclass(frozen=True, slots=True)
class Cond:
    field: str
    op: str
    value: Any
    allowed: frozenset[str]
    short: bool = False  # written {"field": value} as the Stores filter wrote it
    # Where in the Stores request the condition came from, and the mapping row that named its field: for
    # explain, never part of what a condition is.
    source: str = dataclasses.field(default="", compare=False)
    row: str | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Node, ...]
    explicit: bool = False  # the Stores filter said $and: keep it a list


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class Const:
    """Every order (True) or none (False).

    ``dropped`` names the conditions that could not be translated and stand as this value; it is empty when
    the Stores filter itself said so (``{}`` matches every order)."""

    value: bool
    dropped: tuple[str, ...] = ()


TRUE = Const(True)
FALSE = Const(False)

Node = Cond | AllOf | AnyOf | Not | Const


def negate(node: Node) -> Node:
    """The negation, pushed onto the fields (De Morgan) where the field has the opposite operator."""
    if isinstance(node, Const):
        return Const(not node.value, node.dropped)
    if isinstance(node, Cond):
        flipped = _FLIP.get(node.op)
        if flipped is not None and flipped in node.allowed:
            return replace(node, op=flipped, short=flipped == "$eq")
        return Not(node)
    if isinstance(node, AllOf):
        return AnyOf(tuple(negate(i) for i in node.items))
    if isinstance(node, AnyOf):
        return AllOf(tuple(negate(i) for i in node.items))
    return node.item


def _merge(into: dict[str, Any], part: dict[str, Any]) -> bool:
    """Fold one implicit-AND clause into an object; False when a key would clash."""
    for key, value in part.items():
        if key not in into:
            into[key] = value
            continue
        mine = into[key]
        both_ops = isinstance(mine, dict) and isinstance(value, dict) and not key.startswith("$")
        if not both_ops or not all(k.startswith("$") for k in [*mine, *value]) or set(mine) & set(value):
            return False
        into[key] = {**mine, **value}
    return True


def render(node: Node) -> dict[str, Any]:
    """The Wix API query language form of a condition tree (a ``Const`` is only ever the whole tree)."""
    if isinstance(node, Const):
        return {} if node.value else {"$not": {}}
    if isinstance(node, Cond):
        plain = node.short and node.op == "$eq" and not isinstance(node.value, dict)
        return {node.field: node.value if plain else {node.op: node.value}}
    if isinstance(node, Not):
        return {"$not": render(node.item)}
    parts = [render(i) for i in node.items]
    if isinstance(node, AnyOf):
        return {"$or": parts}
    merged = None if node.explicit else merge(parts)
    return {"$and": parts} if merged is None else merged


def merge(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An implicit AND's clauses as one object; None when two would clash (it is then an explicit $and)."""
    merged: dict[str, Any] = {}
    for part in parts:
        if not _merge(merged, part):
            return None
    return merged
