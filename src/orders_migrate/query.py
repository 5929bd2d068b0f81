"""Translate a saved Stores Query Orders request into an eCommerce Search Orders request, with a report.

``POST stores/v2/orders/query`` takes ``{"query": {"filter": "<JSON>", "sort": "<JSON>", "paging": {...}}}``
(seed 004, Filter and Sort); ``POST ecom/v1/orders/search`` takes ``{"search": {"filter": {...}, "sort":
[{"fieldName", "order"}], "cursorPaging": {"limit"}}}`` (``CursorSearch`` in ``@wix/auto_sdk_ecom_orders``).
The field knowledge is the mapping table's (see query_fields.py). Conditions become a small tree
(``Cond``/``AllOf``/``AnyOf``/``Not``/``Const``) so that ``$ne`` and ``$not`` can be pushed down onto the
fields a Stores field became, then rendered back into the Wix query language.

What cannot be said exactly in eCommerce is never changed silently: each such place gets a report
entry (``approximated``, ``dropped`` or ``unknown_value``; ``--strict`` turns any of them into exit 1).

A condition that cannot be translated becomes a ``Const`` that can only widen the search: true where it
sits under an even number of negations, false under an odd number. Under ``$and`` a true conjunct goes
away; under ``$or`` a true branch makes the whole ``$or`` true, so the whole ``$or`` goes away; a negation
swaps the roles. Either way the eCommerce search matches every order the Stores query matched, and more.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any, Literal

import orjson

from .engine.context import TYPES as _TYPES
from .jsonio import loads, number_text
from .paths import index_step, key_step
from .query_fields import QueryField, Target, default_query_fields
from .report import ConversionError, Entry, Problem, describe

STORES_OPERATORS = ("$eq", "$ne", "$hasSome", "$hasAll", "$lt", "$lte", "$gt", "$gte", "$contains", "$startsWith")
_RANGE = frozenset({"$lt", "$lte", "$gt", "$gte"})
_LISTS = frozenset({"$hasSome", "$hasAll"})
# Stores operator on a one-valued field -> eCommerce operator ("HasSome is the same as IN", seed 004).
_SCALAR_OP = {
    "$eq": "$eq",
    "$hasSome": "$in",
    "$lt": "$lt",
    "$lte": "$lte",
    "$gt": "$gt",
    "$gte": "$gte",
    "$startsWith": "$startsWith",
}
# On a line-item field Stores $eq means "some line item has it"; eCommerce only has the array operators.
_LIST_OP = {"$eq": "$hasSome", "$hasSome": "$hasSome", "$hasAll": "$hasAll"}
_FLIP = {"$eq": "$ne", "$ne": "$eq", "$in": "$nin", "$nin": "$in"}
STRICT_KINDS = frozenset({"approximated", "dropped", "unknown_value"})
SORT_MAX = 4  # CursorSearch.sort: @maxSize 4
LIMIT_MAX = 100  # CursorPaging.limit: @max 100 (Stores Query Orders also returned at most 100)
MAX_NESTING = 32  # $and/$or/$not levels in a filter, and levels inside a value sent unchanged
PASS_THROUGH_NESTING = 200  # an eCommerce body sent back as it came (orjson writes at most 255 levels)
_INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson writes as a JSON integer
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# How a translated condition can differ from the Stores one: it can match orders the Stores query did not
# ("more"), miss orders it matched ("fewer"), or both. Under a negation "more" and "fewer" swap.
Effect = Literal["more", "fewer", "both"]
MATCHES_TEXT = {
    "more": "the search can match more orders than the Stores query (it misses none)",
    "fewer": "the search can match fewer orders than the Stores query (it adds none)",
    "more and fewer": "the search can both match orders the Stores query did not and miss orders it matched",
}


def seen_from(effect: Effect, positive: bool) -> Effect:
    """An effect on one condition as the whole search sees it: a negation turns missed orders into extra ones."""
    if positive or effect == "both":
        return effect
    return "fewer" if effect == "more" else "more"


# ---- the condition tree --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cond:
    field: str
    op: str
    value: Any
    allowed: frozenset[str]
    short: bool = False  # written {"field": value} as the Stores filter wrote it


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
            return Cond(node.field, flipped, node.value, node.allowed, short=flipped == "$eq")
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
    if node.explicit:
        return {"$and": parts}
    merged: dict[str, Any] = {}
    for part in parts:
        if not _merge(merged, part):
            return {"$and": parts}
    return merged


# ---- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryTranslation:
    """``request`` is the eCommerce Search Orders body; ``entries`` say what is not exactly the same.

    ``matches`` says how the orders the search finds compare with the Stores query's: ``same``, ``more``
    (extra orders, none missed), ``fewer`` (orders missed, none extra) or ``more and fewer``."""

    request: dict[str, Any]
    entries: tuple[Entry, ...]
    source: str | None = None
    matches: str = "same"

    @property
    def exact(self) -> bool:
        return not any(e.kind in STRICT_KINDS for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"payloadKind": "stores_query"}
        if self.source is not None:
            out["source"] = self.source
        out["exact"] = self.exact
        out["matches"] = self.matches
        out["entries"] = [e.to_dict() for e in self.entries]
        return out


# ---- paths and values ----------------------------------------------------------------------------


def _key(path: str, key: str) -> str:
    return path + key_step(key)


def _index(path: str, n: int) -> str:
    return path + index_step(n)


def _is_text(value: str) -> bool:
    """False for a string holding a lone UTF-16 surrogate (JSON's "\\ud800"), which no UTF-8 text can carry."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate(value: str) -> str:
    return next(json.dumps(ch)[1:-1] for ch in value if "\ud800" <= ch <= "\udfff")


def lone_surrogates(value: Any, path: str) -> list[Problem]:
    """Every string or key that holds a lone surrogate, by path (without recursion: input may nest deeply)."""
    found: list[Problem] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str) and not _is_text(item):
            found.append(Problem(where, f"holds a lone surrogate ({_surrogate(item)}), which is not valid Unicode"))
        elif isinstance(item, dict):
            children: list[tuple[Any, str]] = []
            for key, child in item.items():
                at = _key(where, key) if isinstance(key, str) else _index(where, key)
                if isinstance(key, str) and not _is_text(key):
                    found.append(Problem(at, f"key holds a lone surrogate ({_surrogate(key)}), which is not valid Unicode"))
                children.append((child, at))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(child, _index(where, n)) for n, child in enumerate(item)]))
    return found


class _Bad:
    """A value that could not be converted; its problem is already recorded."""


BAD = _Bad()


def plain(value: Any, path: str, problems: list[Problem], limit: int = MAX_NESTING) -> Any:
    """``value`` as it is sent: a Decimal (the strict reader's fractions) stays exact, written as it was read
    (``jsonio.dumps``); a number beyond what a double or a 64-bit integer holds, which the Search API cannot
    take, or nesting deeper than ``limit``, is a problem."""
    return _plain(value, path, problems, limit, limit)


def _plain(value: Any, path: str, problems: list[Problem], depth: int, limit: int) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite() or not math.isfinite(float(value)):
            problems.append(Problem(path, f"{number_text(value)} is too large for a JSON number"))
            return BAD
        return value
    if isinstance(value, int) and not isinstance(value, bool) and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        problems.append(Problem(path, f"{value} is outside the 64-bit integer range of a JSON number"))
        return BAD
    if isinstance(value, (dict, list)):
        if depth <= 0:
            problems.append(Problem(path, f"nested more than {limit} levels deep"))
            return BAD
        if isinstance(value, dict):
            out = {k: _plain(v, _key(path, k), problems, depth - 1, limit) for k, v in value.items()}
            return BAD if any(v is BAD for v in out.values()) else out
        items = [_plain(v, _index(path, n), problems, depth - 1, limit) for n, v in enumerate(value)]
        return BAD if any(v is BAD for v in items) else items
    return value


# ---- the walk ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Note:
    entry: Entry
    effect: Effect | None  # on the orders the whole search matches; None for sort, paging and notes


@dataclass(frozen=True, slots=True)
class _Part:
    """One operand of an AND or OR, with the report entries its walk wrote (``notes[start:end]``)."""

    node: Node
    start: int
    end: int


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown if len(paths) <= 3 else f"{shown} and {len(paths) - 3} more"


class _Walk:
    def __init__(self, fields: Mapping[str, QueryField]):
        self.fields = fields
        self.notes: list[_Note] = []
        self.problems: list[Problem] = []

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(n.entry for n in self.notes)

    def matches(self) -> str:
        effects = {n.effect for n in self.notes if n.effect is not None}
        if not effects:
            return "same"
        if len(effects) == 1 and "both" not in effects:
            return effects.pop()
        return "more and fewer"

    def report(self, kind: str, path: str, message: str, row: str | None = None, effect: Effect | None = None) -> None:
        self.notes.append(_Note(Entry(kind, path, message, row), effect))

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def drop(self, path: str, why: str, positive: bool, row: str | None = None) -> Const:
        """A condition that cannot be translated: it stands as true, or false under a negation (more orders match)."""
        self.report("dropped", path, f"{why}; the condition is left out, so more orders match", row, "more")
        return Const(positive, (path,))

    # -- combining operands ----------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.notes)

    def part(self, start: int, node: Node) -> _Part:
        return _Part(node, start, len(self.notes))

    def combine(
        self,
        conj: bool,
        parts: Sequence[_Part],
        path: str,
        label: str | None = None,
        explicit: bool = False,
    ) -> Node:
        """AND (``conj``) or OR of the operands, with the constants folded in.

        A constant that decides the whole (false under AND, true under OR) makes the other operands moot:
        their report entries go, and when it stands for conditions left out, the whole is reported left out
        at ``path`` (if it is a Stores construct, ``label``)."""
        deciding = not conj
        deciders = [p for p in parts if isinstance(p.node, Const) and p.node.value is deciding]
        if deciders:
            genuine = any(not p.node.dropped for p in deciders if isinstance(p.node, Const))
            kept = [] if genuine else deciders
            moot = [p for p in parts if all(p is not k for k in kept)]
            lost = any(not isinstance(p.node, Const) for p in moot)
            for p in sorted(moot, key=lambda p: p.start, reverse=True):
                del self.notes[p.start : p.end]
            if genuine:
                return Const(deciding)
            dropped = tuple(d for p in deciders if isinstance(p.node, Const) for d in p.node.dropped)
            if lost and label is not None:
                self.report("dropped", path, self.decided(label, deciding, dropped), None, "more")
            return Const(deciding, dropped)
        items = tuple(p.node for p in parts if not isinstance(p.node, Const))
        if not items:
            neutral = tuple(d for p in parts if isinstance(p.node, Const) for d in p.node.dropped)
            return Const(conj, neutral)
        if len(items) == 1:
            return items[0]
        return AllOf(items, explicit) if conj else AnyOf(items)

    @staticmethod
    def decided(label: str, value: bool, dropped: Sequence[str]) -> str:
        if value:  # an OR, not negated: the branch left out counts as every order
            return (
                f"{_paths(dropped)} cannot be translated and, left out, counts as matching every order; so this whole "
                f"{label} matches every order and is left out too, so more orders match"
            )
        return (
            f"{_paths(dropped)} cannot be translated and, under a negation, counts as matching no order; so this whole "
            f"{label} matches no order, and the negation around it excludes none: it is left out, so more orders match"
        )

    # -- JSON given as a string ------------------------------------------------------------------

    def parsed(self, raw: Any, path: str, kind: type, what: str) -> Any:
        if isinstance(raw, str):
            if not raw.strip():
                return None
            try:
                raw = loads(raw.encode("utf-8", "surrogatepass"))
            except orjson.JSONDecodeError as exc:
                self.problem(path, f"not valid JSON: {exc}")
                return None
            bad = lone_surrogates(raw, path)
            if bad:
                self.problems.extend(bad)
                return None
        if raw is not None and not isinstance(raw, kind):
            self.problem(path, f"expected {what} (or a JSON string of one), got {describe(raw)}")
            return None
        return raw

    # -- filter ----------------------------------------------------------------------------------

    def filter(self, obj: Any, path: str, positive: bool, depth: int = 0) -> Node:
        """``depth``: how many $and/$or/$not enclose ``obj``."""
        if not isinstance(obj, dict):
            self.problem(path, f"expected a filter object, got {describe(obj)}")
            return TRUE
        parts: list[_Part] = []
        for key, value in obj.items():
            where = _key(path, key)
            start = self.mark()
            if key in ("$and", "$or", "$not") and depth >= MAX_NESTING:
                self.problem(where, f"$and/$or/$not nested more than {MAX_NESTING} levels deep")
            elif key in ("$and", "$or"):
                parts.append(self.part(start, self.logical(key, value, where, positive, depth)))
            elif key == "$not":
                parts.append(self.part(start, negate(self.filter(value, where, not positive, depth + 1))))
            elif key.startswith("$"):
                self.problem(where, f"unknown logical operator {key!r} (Stores filters combine with $and, $or, $not)")
            else:
                parts.append(self.part(start, self.field(key, value, where, positive)))
        return self.combine(True, parts, path, "filter object")

    def logical(self, key: str, value: Any, path: str, positive: bool, depth: int) -> Node:
        if not isinstance(value, list) or not value:
            self.problem(path, f"{key} takes a non-empty array of filters, got {describe(value)}")
            return TRUE
        parts: list[_Part] = []
        for n, item in enumerate(value):
            start = self.mark()
            parts.append(self.part(start, self.filter(item, _index(path, n), positive, depth + 1)))
        return self.combine(key == "$and", parts, path, key, explicit=key == "$and")

    def field(self, name: str, value: Any, path: str, positive: bool) -> Node:
        qf = self.fields.get(name)
        operators = isinstance(value, dict) and any(k.startswith("$") for k in value)
        if operators and not all(k.startswith("$") for k in value):
            self.problem(path, "mixes operators ($...) with plain keys; write one or the other")
            return TRUE
        if qf is None:
            why = (
                f"no mapping row gives Stores {name!r} an eCommerce search field (seed 004 lists the fields Stores "
                "could filter on)"
            )
            return self.drop(path, why, positive)
        if not operators:
            return self.operator(qf, "$eq", value, path, short=True, positive=positive)
        parts: list[_Part] = []
        for op, v in value.items():
            start = self.mark()
            parts.append(self.part(start, self.operator(qf, op, v, _key(path, op), short=False, positive=positive)))
        return self.combine(True, parts, path, f"condition on {name}")

    def operator(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
        if op not in STORES_OPERATORS:
            self.problem(path, f"unknown operator {op!r} (Stores Query Orders: {', '.join(STORES_OPERATORS)})")
            return TRUE
        if op in _LISTS and (not isinstance(value, list) or not value):
            self.problem(path, f"{op} takes a non-empty array of values, got {describe(value)}")
            return TRUE
        if op == "$ne":
            return negate(self.operator(qf, "$eq", value, path, short=False, positive=not positive))
        if qf.shape == "list":
            return self.list_field(qf, op, value, path, positive)
        if qf.shape == "split":
            return self.split_field(qf, op, value, path, short, positive)
        if qf.shape == "parts":
            return self.parts_field(qf, op, value, path, short, positive)
        if qf.value == "enum":
            return self.enum_field(qf, op, value, path, short, positive)
        return self.scalar_field(qf, op, value, path, short, positive)

    def cond(self, target: Target, op: str, value: Any, path: str, row: str, positive: bool, short: bool = False) -> Node:
        capability = target.capability
        if not capability.filterable:
            return self.drop(path, f"eCommerce Search Orders cannot filter on {target.field}", positive, row)
        if op not in capability.operators:
            allowed = ", ".join(sorted(capability.operators))
            return self.drop(path, f"eCommerce Search Orders allows only {allowed} on {target.field}, not {op}", positive, row)
        sent = plain(value, path, self.problems)
        if sent is BAD:
            return TRUE
        return Cond(target.field, op, sent, capability.operators, short and op == "$eq")

    # -- values ----------------------------------------------------------------------------------

    def value(self, qf: QueryField, value: Any, path: str) -> Any:
        if value is None:
            return None
        if qf.value == "epoch_millis":
            return self.date(value, path)
        if qf.value == "to_string":
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            if isinstance(value, str) and value.isascii() and value.isdigit():
                return value
            hint = " (only the ASCII digits 0-9)" if isinstance(value, str) and value.isdigit() else ""
            self.problem(path, f"expected an integer, got {describe(value)}{hint}")
            return BAD
        check = _TYPES.get(qf.value_type or "")
        if check is not None and not check[0](value):
            self.problem(path, f"expected {check[1]}, got {describe(value)}")
            return BAD
        return value

    def values(self, qf: QueryField, op: str, value: Any, path: str) -> Any:
        if op not in _LISTS:
            return self.value(qf, value, path)
        out = [self.value(qf, v, _index(path, n)) for n, v in enumerate(value)]
        return BAD if any(v is BAD for v in out) else out

    def date(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                moment = _EPOCH + timedelta(milliseconds=value)
            except OverflowError:
                self.problem(path, f"{value} epoch milliseconds is outside the years 1-9999")
                return BAD
            return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return value
        self.problem(path, f"expected a date as epoch milliseconds or an ISO-8601 date-time, got {describe(value)}")
        return BAD

    # -- one field shape each --------------------------------------------------------------------

    def scalar_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
        target = qf.targets[0]
        ecom_op = _SCALAR_OP.get(op)
        if ecom_op is None:
            return self.drop(path, self.no_scalar_op(qf, op), positive, qf.row)
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return TRUE
        node = self.cond(target, ecom_op, converted, path, qf.row, positive, short)
        if op in _RANGE and qf.value == "to_string" and isinstance(node, Cond):
            self.report(
                "approximated",
                path,
                f"Stores compared {qf.name} as an integer; eCommerce {target.field} is a string (row {qf.row}), so {op} "
                "compares text, which agrees with numeric order only between numbers with the same count of digits: "
                "the search can both miss orders the Stores query matched and match others",
                qf.row,
                "both",
            )
        return node

    @staticmethod
    def no_scalar_op(qf: QueryField, op: str) -> str:
        if op == "$contains":
            return "eCommerce Search Orders has no $contains operator"
        return f"{op} needs a list field and Stores {qf.name} holds one value"

    def list_field(self, qf: QueryField, op: str, value: Any, path: str, positive: bool) -> Node:
        target = qf.targets[0]
        ecom_op = _LIST_OP.get(op)
        if ecom_op is None:
            why = f"{qf.name} is a line-item field: eCommerce {target.field} takes only $hasSome/$hasAll, not {op}"
            return self.drop(path, why, positive, qf.row)
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return TRUE
        return self.cond(target, ecom_op, [converted] if op == "$eq" else converted, path, qf.row, positive)

    def split_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
        ecom_op = _SCALAR_OP.get(op)
        if ecom_op is None:
            return self.drop(path, self.no_scalar_op(qf, op), positive, qf.row)
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return TRUE
        searchable = [t for t in qf.targets if t.capability.filterable]
        if not searchable:
            return self.drop(path, f"none of the eCommerce fields {qf.name} became can be filtered on", positive, qf.row)
        by = qf.discriminator or "the identity type"
        effect = seen_from("fewer", positive)
        for target in qf.targets:
            if not target.capability.filterable:
                self.report(
                    "approximated",
                    path,
                    f"when {by} is {target.case}, Stores {qf.name} is eCommerce {target.field} (row {qf.row}), which Search "
                    "Orders cannot filter on: "
                    + (
                        "such orders are not found by this condition, so fewer orders match"
                        if effect == "fewer"
                        else "such orders are not excluded by this condition, so more orders match"
                    ),
                    qf.row,
                    effect,
                )
        for case, reason in qf.not_derivable.items():
            self.report("note", path, f"orders whose {by} was {case} keep no such id in eCommerce: {reason}", qf.row)
        parts: list[_Part] = []
        for target in searchable:
            start = self.mark()
            parts.append(self.part(start, self.cond(target, ecom_op, converted, path, qf.row, positive, short)))
        return self.combine(False, parts, path)

    def enum_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
        target = qf.targets[0]
        if op not in ("$eq", "$hasSome"):
            return self.cond(target, _SCALAR_OP.get(op, op), value, path, qf.row, positive)
        raw = [value] if op == "$eq" else list(value)
        at = [path if op == "$eq" else _index(path, n) for n in range(len(raw))]
        gone = {n: why for n, v in enumerate(raw) if (why := self.untranslatable(qf, v)) is not None}
        if gone and positive:
            # One value Search Orders cannot ask for counts as every order: so does the whole $eq/$hasSome.
            for n, why in gone.items():
                self.drop(at[n], why, positive, qf.row)
            if len(gone) < len(raw):
                self.report("dropped", path, self.decided(op, True, [at[n] for n in gone]), qf.row, "more")
            return Const(True, tuple(at[n] for n in gone))
        staying: list[Any] = []
        moved: dict[str, tuple[Target, list[Any], str]] = {}
        for n, v in enumerate(raw):
            if positive:
                self.never_returned(qf, v, at[n])
            if n in gone:
                self.drop(at[n], gone[n], positive, qf.row)
            elif v is None:
                staying.append(None)
            elif not isinstance(v, str) or (v not in qf.enum and v not in qf.not_derivable):
                documented = ", ".join([*qf.enum, *qf.not_derivable])
                self.report(
                    "unknown_value",
                    at[n],
                    f"{describe(v)} is not a documented value ({documented}); sent unchanged: "
                    + (
                        "orders eCommerce does not hold with it are not found, so fewer orders match"
                        if positive
                        else "orders eCommerce does not hold with it are not excluded, so more orders match"
                    ),
                    qf.row,
                    seen_from("fewer", positive),
                )
                staying.append(v)
            elif qf.enum[v] is not None:
                staying.append(qf.enum[v])
            else:
                rule = next(d for d in qf.derived if d.value == v)
                moved.setdefault(rule.target.field, (rule.target, [], rule.row))[1].append(rule.becomes)
        plain_eq = op == "$eq"
        branches: list[_Part] = []
        if staying:
            start = self.mark()
            main = self.part(
                start,
                self.cond(
                    target, "$eq" if plain_eq else "$in", staying[0] if plain_eq else staying, path, qf.row, positive, short
                ),
            )
            # A value that left the field (CANCELED -> status) means the others imply "not that status".
            guards: list[_Part] = []
            for d in qf.moved_out():
                start = self.mark()
                guards.append(self.part(start, self.cond(d.target, "$ne", d.becomes, path, d.row, positive)))
            node = self.combine(True, [main, *guards], path)
            branches.append(_Part(node, main.start, self.mark()))
        for moved_target, becomes, row in moved.values():
            start = self.mark()
            node = self.cond(
                moved_target, "$eq" if plain_eq else "$in", becomes[0] if plain_eq else becomes, path, row, positive, short
            )
            branches.append(self.part(start, node))
        if not branches:
            return Const(positive, tuple(at[n] for n in gone))
        return self.combine(False, branches, path)

    @staticmethod
    def untranslatable(qf: QueryField, value: Any) -> str | None:
        """Why Search Orders cannot ask for this documented value; None when it can (or the value is unknown)."""
        if not isinstance(value, str):
            return None
        if value in qf.not_derivable:
            return f"{value}: {qf.not_derivable[value]}"
        if value in qf.enum and qf.enum[value] is None and not any(d.value == value for d in qf.derived):
            return f"{value} has no eCommerce value in {qf.targets[0].field} (row {qf.row})"
        return None

    def never_returned(self, qf: QueryField, value: Any, path: str) -> None:
        for d in qf.derived:
            if d.value == value and d.becomes in d.target.capability.never_returned:
                self.report(
                    "approximated",
                    path,
                    f"a Stores order with {qf.name} {value} has eCommerce {d.target.field} {d.becomes} (row {d.row}), and "
                    f"Search Orders never returns orders with {d.target.field} {d.becomes}: such orders are not found, so "
                    "fewer orders match",
                    d.row,
                    "fewer",
                )

    def parts_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
        if op == "$eq":
            return self.parts_equal(qf, value, path, positive)
        if op == "$hasSome":
            parts: list[_Part] = []
            for n, v in enumerate(value):
                start = self.mark()
                parts.append(self.part(start, self.parts_equal(qf, v, _index(path, n), positive)))
            return self.combine(False, parts, path, op)
        if op in ("$startsWith", "$contains") and isinstance(value, str) and len(qf.targets) == 2:
            return self.parts_text(qf, op, value, path, positive)
        fields = " and ".join(t.field for t in qf.targets)
        return self.drop(path, f"Stores {qf.name} became {fields}: {op} has no eCommerce form on them", positive, qf.row)

    def parts_equal(self, qf: QueryField, value: Any, path: str, positive: bool) -> Node:
        if isinstance(value, dict):
            by_part = {t.part: t for t in qf.targets}
            conds: list[_Part] = []
            for part, v in value.items():
                target = by_part.get(part)
                if target is None:
                    self.problem(_key(path, part), f"{qf.name} has no part {part!r} (parts: {', '.join(map(str, by_part))})")
                    return TRUE
                if v is not None and not isinstance(v, str):
                    self.problem(_key(path, part), f"expected a string, got {describe(v)}")
                    return TRUE
                start = self.mark()
                conds.append(self.part(start, self.cond(target, "$eq", v, _key(path, part), qf.row, positive, short=True)))
            return self.combine(True, conds, path)
        if isinstance(value, str) and len(qf.targets) == 2:
            return self.parts_text(qf, "$eq", value, path, positive)
        self.problem(path, f"expected the parts of {qf.name} as an object or the full name as a string, got {describe(value)}")
        return TRUE

    def parts_text(self, qf: QueryField, op: str, text: str, path: str, positive: bool) -> Node:
        """A full name given as one string, against eCommerce's separate first and last names."""
        first, last = qf.targets
        splits = [(text[:n], text[n + 1 :]) for n, ch in enumerate(text) if ch == " "]
        start = self.mark()
        branches: list[Node]

        def cond(target: Target, cond_op: str, value: str) -> Node:
            return self.cond(target, cond_op, value, path, qf.row, positive)

        def both(a: Node, b: Node) -> Node:
            return self.combine(True, [_Part(a, start, start), _Part(b, start, start)], path)

        effect: Effect
        if op == "$contains":
            branches = [cond(t, "$startsWith", text) for t in (first, last)]
            why = (
                "eCommerce Search Orders has no $contains: matched where the first or the last name starts with it, so "
                "a name containing it elsewhere, or across the space, is "
                + ("not found (fewer orders match)" if positive else "not excluded (more orders match)")
            )
            effect = seen_from("fewer", positive)
        else:
            if op == "$startsWith":
                branches = [cond(first, "$startsWith", text)]
                branches += [both(cond(first, "$eq", a), cond(last, "$startsWith", b)) for a, b in splits]
                how = "as the first name's start, or as a first name then the start of the last name, split at each space"
            else:
                branches = [both(cond(first, "$eq", a), cond(last, "$eq", b)) for a, b in splits]
                branches = branches or [cond(first, "$eq", text)]
                how = "as first name + ' ' + last name, split at each space"
            why = (
                f"matched {how}: the same orders if Stores joined the two names with one space; otherwise the search can "
                "both miss orders the Stores query matched and match others"
            )
            effect = "both"
        node = self.combine(False, [_Part(b, start, start) for b in branches], path)
        if isinstance(node, Const):  # a name Search Orders cannot filter: the drops above say so
            return node
        self.report(
            "approximated",
            path,
            f"Stores matched {qf.name} as one string; eCommerce keeps {first.field} and {last.field} apart: {why}",
            qf.row,
            effect,
        )
        return node

    # -- sort and paging -------------------------------------------------------------------------

    def sort(self, raw: Any, path: str) -> list[dict[str, str]]:
        items = self.parsed(raw, path, list, "an array of {field: 'asc'|'desc'} objects")
        out: list[dict[str, str]] = []
        for n, item in enumerate(items or []):
            where = _index(path, n)
            if not isinstance(item, dict) or not item:
                self.problem(where, f"expected {{field: 'asc'|'desc'}}, got {describe(item)}")
                continue
            for name, direction in item.items():
                order = direction.upper() if isinstance(direction, str) else None
                if order not in ("ASC", "DESC"):
                    self.problem(_key(where, name), f"sort order must be 'asc' or 'desc', got {describe(direction)}")
                    continue
                entry = self.sort_field(name, order, _key(where, name))
                if entry is not None:
                    out.append(entry)
        for extra in out[SORT_MAX:]:
            self.report(
                "dropped", path, f"eCommerce Search Orders sorts by at most {SORT_MAX} fields; {extra['fieldName']} is left out"
            )
        return out[:SORT_MAX]

    def sort_field(self, name: str, order: str, path: str) -> dict[str, str] | None:
        qf = self.fields.get(name)
        if qf is None:
            self.report("dropped", path, f"no mapping row gives Stores {name!r} an eCommerce search field; not sorted")
            return None
        if qf.shape in ("split", "parts"):
            fields = ", ".join(t.field for t in qf.targets)
            self.report("dropped", path, f"Stores {name} became several eCommerce fields ({fields}); not sorted", qf.row)
            return None
        target = qf.targets[0]
        if not target.capability.sortable:
            self.report("dropped", path, f"eCommerce Search Orders cannot sort on {target.field}; not sorted", qf.row)
            return None
        if qf.value == "to_string":
            self.report(
                "approximated",
                path,
                f"Stores sorted {name} as an integer; eCommerce {target.field} is a string (row {qf.row}): text order "
                "agrees with numeric order only between numbers with the same count of digits",
                qf.row,
            )
        for d in qf.moved_out():
            self.report(
                "approximated",
                path,
                f"Stores {name} {d.value} is eCommerce {d.target.field} {d.becomes} (row {d.row}): those orders sort by "
                f"their eCommerce {target.field} instead",
                qf.row,
            )
        return {"fieldName": target.field, "order": order}

    def paging(self, raw: Any, path: str) -> dict[str, int] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.problem(path, f"expected {{limit, offset}}, got {describe(raw)}")
            return None
        for key in raw:
            if key not in ("limit", "offset"):
                self.report("dropped", _key(path, key), "Stores paging has only limit and offset; left out")
        limit, offset = raw.get("limit"), raw.get("offset")
        for key, number in (("limit", limit), ("offset", offset)):
            if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 0):
                self.problem(_key(path, key), f"expected a non-negative integer, got {describe(number)}")
                return None
        if offset:
            self.report(
                "dropped",
                _key(path, "offset"),
                f"eCommerce Search Orders pages by cursor, not offset: to skip {offset} orders, request pages and pass "
                "metadata.cursors.next as cursorPaging.cursor until they are passed",
            )
        if limit is None:
            return None
        if limit > LIMIT_MAX:
            self.report(
                "note", _key(path, "limit"), f"both APIs return at most {LIMIT_MAX} orders a page; limit {LIMIT_MAX} is sent"
            )
        return {"limit": min(limit, LIMIT_MAX)}


# ---- entry points --------------------------------------------------------------------------------


def load_query(data: bytes) -> Any:
    """Parse a request body strictly (a repeated key, NaN or bad UTF-8 is an error); bad JSON is a
    ConversionError at ``$``."""
    if not data.strip():
        raise ConversionError([Problem("$", "empty input: expected a Stores Query Orders request body")])
    try:
        return loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem("$", f"not valid JSON: {exc}")]) from None


def translate_query(
    stores_request: Any, source: str | None = None, fields: Mapping[str, QueryField] | None = None
) -> QueryTranslation:
    """Translate ``{"query": {filter, sort, paging}}`` into ``{"search": {filter, sort, cursorPaging}}``.

    ``filter`` and ``sort`` may be JSON strings (as Stores took them) or already parsed. Bad input raises
    ``ConversionError`` with every problem and its ``$.path``; an eCommerce search body passes through.
    """
    walk = _Walk(fields if fields is not None else default_query_fields())
    if not isinstance(stores_request, dict):
        raise ConversionError([Problem("$", f"expected a request body object, got {describe(stores_request)}")])
    broken = lone_surrogates(stores_request, "$")
    if broken:
        raise ConversionError(broken)
    if "query" not in stores_request and isinstance(stores_request.get("search"), dict):
        body = plain(stores_request, "$", walk.problems, PASS_THROUGH_NESTING)
        if walk.problems:
            raise ConversionError(walk.problems)
        entry = Entry("passed_through", "$", "already an eCommerce Search Orders request; passed through unchanged")
        return QueryTranslation(body, (entry,), source)
    if "query" not in stores_request:
        raise ConversionError([Problem("$", 'expected {"query": {"filter", "sort", "paging"}}, a Stores Query Orders body')])
    for key in stores_request:
        if key != "query":
            walk.report("dropped", _key("$", key), "not part of a Stores Query Orders body; left out")
    query = stores_request["query"] if stores_request["query"] is not None else {}
    if not isinstance(query, dict):
        raise ConversionError([Problem("$.query", f"expected an object, got {describe(query)}")])
    search: dict[str, Any] = {}
    raw_filter = walk.parsed(query.get("filter"), "$.query.filter", dict, "a filter object")
    node = walk.filter(raw_filter, "$.query.filter", positive=True) if raw_filter else TRUE
    if node == FALSE:
        walk.problem("$.query.filter", "matches no order (it negates a filter that matches every order, such as {})")
    elif not isinstance(node, Const):
        search["filter"] = render(node)
    sort = walk.sort(query.get("sort"), "$.query.sort")
    if sort:
        search["sort"] = sort
    paging = walk.paging(query.get("paging"), "$.query.paging")
    if paging:
        search["cursorPaging"] = paging
    for key in query:
        if key not in ("filter", "sort", "paging"):
            walk.report("dropped", _key("$.query", key), "Stores Query Orders takes filter, sort and paging only; left out")
    if walk.problems:
        raise ConversionError(walk.problems)
    return QueryTranslation({"search": search}, walk.entries, source, walk.matches())


def query_report_text(translation: QueryTranslation, stream: IO[str]) -> None:
    """One line of summary, then one line per entry: kind, Stores path, why, and the row it follows."""
    counts: dict[str, int] = {}
    for e in translation.entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    verdict = "translated exactly" if translation.exact else "NOT exact"
    title = f"{translation.source or '<query>'}: Stores Query Orders -> eCommerce Search Orders: {verdict}"
    effect = MATCHES_TEXT.get(translation.matches)
    stream.write(f"{title}{f' ({summary})' if summary else ''}{f'; {effect}' if effect else ''}\n")
    for e in translation.entries:
        row = f" [{e.row}]" if e.row else ""
        stream.write(f"  {e.kind:<14} {e.path}: {e.message}{row}\n")
