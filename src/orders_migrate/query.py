"""Translate a saved Stores Query Orders request into an eCommerce Search Orders request, with a report.

``POST stores/v2/orders/query`` takes ``{"query": {"filter": "<JSON>", "sort": "<JSON>", "paging": {...}}}``
(seed 004, Filter and Sort); ``POST ecom/v1/orders/search`` takes ``{"search": {"filter": {...}, "sort":
[{"fieldName", "order"}], "cursorPaging": {"limit"}}}`` (``CursorSearch`` in ``@wix/auto_sdk_ecom_orders``).
The field knowledge is the mapping table's (see query_fields.py). Conditions become a small tree
(``Cond``/``AllOf``/``AnyOf``/``Not``) so that ``$ne`` and ``$not`` can be pushed down onto the fields
a Stores field became, then rendered back into the Wix query language.

What cannot be said exactly in eCommerce is never changed silently: each such place gets a report
entry (``approximated``, ``dropped`` or ``unknown_value``; ``--strict`` turns any of them into exit 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any

import orjson

from .ops import describe
from .query_fields import QueryField, Target, default_query_fields
from .report import ConversionError, Entry, Problem

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
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
}


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


Node = Cond | AllOf | AnyOf | Not


def all_of(items: Iterable[Node | None], explicit: bool = False) -> Node | None:
    kept = tuple(i for i in items if i is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else AllOf(kept, explicit)


def any_of(items: Iterable[Node | None]) -> Node | None:
    kept = tuple(i for i in items if i is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else AnyOf(kept)


def negate(node: Node) -> Node:
    """The negation, pushed onto the fields (De Morgan) where the field has the opposite operator."""
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
    """The Wix API query language form of a condition tree."""
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
    """``request`` is the eCommerce Search Orders body; ``entries`` say what is not exactly the same."""

    request: dict[str, Any]
    entries: tuple[Entry, ...]
    source: str | None = None

    @property
    def exact(self) -> bool:
        return not any(e.kind in STRICT_KINDS for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"payloadKind": "stores_query"}
        if self.source is not None:
            out["source"] = self.source
        out["exact"] = self.exact
        out["entries"] = [e.to_dict() for e in self.entries]
        return out


# ---- paths ---------------------------------------------------------------------------------------


def _key(path: str, key: str) -> str:
    simple = key.replace("$", "").replace("_", "").isalnum() and not key[:1].isdigit()
    return f"{path}.{key}" if simple else f"{path}[{orjson.dumps(key).decode()}]"


def _index(path: str, n: int) -> str:
    return f"{path}[{n}]"


class _Bad:
    """A value that could not be converted; its problem is already recorded."""


BAD = _Bad()


# ---- the walk ------------------------------------------------------------------------------------


class _Walk:
    def __init__(self, fields: Mapping[str, QueryField]):
        self.fields = fields
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []

    def report(self, kind: str, path: str, message: str, row: str | None = None) -> None:
        self.entries.append(Entry(kind, path, message, row))

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- JSON given as a string ------------------------------------------------------------------

    def parsed(self, raw: Any, path: str, kind: type, what: str) -> Any:
        if isinstance(raw, str):
            if not raw.strip():
                return None
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                self.problem(path, f"not valid JSON: {str(exc).split(': line')[0]}")
                return None
        if raw is not None and not isinstance(raw, kind):
            self.problem(path, f"expected {what} (or a JSON string of one), got {describe(raw)}")
            return None
        return raw

    # -- filter ----------------------------------------------------------------------------------

    def filter(self, obj: Any, path: str, positive: bool) -> Node | None:
        if not isinstance(obj, dict):
            self.problem(path, f"expected a filter object, got {describe(obj)}")
            return None
        parts = []
        for key, value in obj.items():
            where = _key(path, key)
            if key in ("$and", "$or"):
                parts.append(self.logical(key, value, where, positive))
            elif key == "$not":
                inner = self.filter(value, where, not positive)
                parts.append(negate(inner) if inner is not None else None)
            elif key.startswith("$"):
                self.problem(where, f"unknown logical operator {key!r} (Stores filters combine with $and, $or, $not)")
            else:
                parts.append(self.field(key, value, where, positive))
        return all_of(parts)

    def logical(self, key: str, value: Any, path: str, positive: bool) -> Node | None:
        if not isinstance(value, list) or not value:
            self.problem(path, f"{key} takes a non-empty array of filters, got {describe(value)}")
            return None
        items = [self.filter(item, _index(path, n), positive) for n, item in enumerate(value)]
        return all_of(items, explicit=True) if key == "$and" else any_of(items)

    def field(self, name: str, value: Any, path: str, positive: bool) -> Node | None:
        qf = self.fields.get(name)
        operators = isinstance(value, dict) and any(k.startswith("$") for k in value)
        if operators and not all(k.startswith("$") for k in value):
            self.problem(path, "mixes operators ($...) with plain keys; write one or the other")
            return None
        if qf is None:
            self.report(
                "dropped",
                path,
                f"no mapping row gives Stores {name!r} an eCommerce search field (seed 004 lists the fields Stores "
                "could filter on); the condition is left out, so more orders match",
            )
            return None
        if not operators:
            return self.operator(qf, "$eq", value, path, short=True, positive=positive)
        return all_of(self.operator(qf, op, v, _key(path, op), short=False, positive=positive) for op, v in value.items())

    def operator(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node | None:
        if op not in STORES_OPERATORS:
            self.problem(path, f"unknown operator {op!r} (Stores Query Orders: {', '.join(STORES_OPERATORS)})")
            return None
        if op in _LISTS and (not isinstance(value, list) or not value):
            self.problem(path, f"{op} takes a non-empty array of values, got {describe(value)}")
            return None
        if op == "$ne":
            node = self.operator(qf, "$eq", value, path, short=False, positive=not positive)
            return negate(node) if node is not None else None
        if qf.shape == "list":
            return self.list_field(qf, op, value, path)
        if qf.shape == "split":
            return self.split_field(qf, op, value, path, short)
        if qf.shape == "parts":
            return self.parts_field(qf, op, value, path, short)
        if qf.value == "enum":
            return self.enum_field(qf, op, value, path, short, positive)
        return self.scalar_field(qf, op, value, path, short)

    def cond(self, target: Target, op: str, value: Any, path: str, row: str, short: bool = False) -> Cond | None:
        capability = target.capability
        if not capability.filterable:
            self.report(
                "dropped", path, f"eCommerce Search Orders cannot filter on {target.field}; the condition is left out", row
            )
            return None
        if op not in capability.operators:
            allowed = ", ".join(sorted(capability.operators))
            self.report(
                "dropped", path, f"eCommerce Search Orders allows only {allowed} on {target.field}, not {op}; left out", row
            )
            return None
        return Cond(target.field, op, value, capability.operators, short and op == "$eq")

    # -- values ----------------------------------------------------------------------------------

    def value(self, qf: QueryField, value: Any, path: str) -> Any:
        if value is None:
            return None
        if qf.value == "epoch_millis":
            return self.date(value, path)
        if qf.value == "to_string":
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            if isinstance(value, str) and value.isdigit():
                return value
            self.problem(path, f"expected an integer, got {describe(value)}")
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

    def scalar_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool) -> Node | None:
        target = qf.targets[0]
        ecom_op = self.scalar_op(qf, op, path)
        if ecom_op is None:
            return None
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return None
        if op in _RANGE and qf.value == "to_string":
            self.report(
                "approximated",
                path,
                f"Stores compared {qf.name} as an integer; eCommerce {target.field} is a string (row {qf.row}), so {op} "
                "compares text, which agrees with numeric order only between numbers with the same count of digits",
                qf.row,
            )
        return self.cond(target, ecom_op, converted, path, qf.row, short)

    def scalar_op(self, qf: QueryField, op: str, path: str) -> str | None:
        ecom_op = _SCALAR_OP.get(op)
        if ecom_op is None:
            why = (
                "eCommerce Search Orders has no $contains operator"
                if op == "$contains"
                else f"{op} needs a list field and Stores {qf.name} holds one value"
            )
            self.report("dropped", path, f"{why}; the condition is left out", qf.row)
        return ecom_op

    def list_field(self, qf: QueryField, op: str, value: Any, path: str) -> Node | None:
        target = qf.targets[0]
        ecom_op = _LIST_OP.get(op)
        if ecom_op is None:
            self.report(
                "dropped",
                path,
                f"{qf.name} is a line-item field: eCommerce {target.field} takes only $hasSome/$hasAll, so {op} is left out",
                qf.row,
            )
            return None
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return None
        return self.cond(target, ecom_op, [converted] if op == "$eq" else converted, path, qf.row)

    def split_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool) -> Node | None:
        ecom_op = self.scalar_op(qf, op, path)
        if ecom_op is None:
            return None
        converted = self.values(qf, op, value, path)
        if converted is BAD:
            return None
        by = qf.discriminator or "the identity type"
        for target in qf.targets:
            if not target.capability.filterable:
                self.report(
                    "approximated",
                    path,
                    f"when {by} is {target.case}, Stores {qf.name} is eCommerce {target.field} (row {qf.row}), which Search "
                    "Orders cannot filter on: those orders are not told apart by this condition",
                    qf.row,
                )
        for case, reason in qf.not_derivable.items():
            self.report("note", path, f"orders whose {by} was {case} keep no such id in eCommerce: {reason}", qf.row)
        conds = [self.cond(t, ecom_op, converted, path, qf.row, short) for t in qf.targets if t.capability.filterable]
        node = any_of(conds)
        if node is None:
            self.report("dropped", path, f"none of the eCommerce fields {qf.name} became can be filtered on", qf.row)
        return node

    def enum_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node | None:
        target = qf.targets[0]
        if op not in ("$eq", "$hasSome"):
            return self.cond(target, _SCALAR_OP.get(op, op), value, path, qf.row)
        raw = [value] if op == "$eq" else list(value)
        staying: list[Any] = []
        moved: dict[str, tuple[Target, list[Any], str]] = {}
        for n, v in enumerate(raw):
            where = path if op == "$eq" else _index(path, n)
            if positive:
                self.never_returned(qf, v, where)
            if v is None:
                staying.append(None)
            elif not isinstance(v, str) or (v not in qf.enum and v not in qf.not_derivable):
                documented = ", ".join([*qf.enum, *qf.not_derivable])
                self.report(
                    "unknown_value", where, f"{describe(v)} is not a documented value ({documented}); sent unchanged", qf.row
                )
                staying.append(v)
            elif v in qf.not_derivable:
                self.report("dropped", where, f"{v}: {qf.not_derivable[v]}; left out", qf.row)
            elif qf.enum[v] is not None:
                staying.append(qf.enum[v])
            else:
                self.moved_value(qf, v, where, moved)
        branches: list[Node | None] = []
        plain = op == "$eq"
        if staying:
            main = self.cond(target, "$eq" if plain else "$in", staying[0] if plain else staying, path, qf.row, short)
            # A value that left the field (CANCELED -> status) means the others imply "not that status".
            guards = [self.cond(d.target, "$ne", d.becomes, path, d.row) for d in qf.moved_out()]
            branches.append(all_of([main, *guards]) if main is not None else None)
        for moved_target, becomes, row in moved.values():
            branches.append(
                self.cond(moved_target, "$eq" if plain else "$in", becomes[0] if plain else becomes, path, row, short)
            )
        return any_of(branches)

    def moved_value(self, qf: QueryField, value: str, path: str, moved: dict[str, tuple[Target, list[Any], str]]) -> None:
        rules = [d for d in qf.derived if d.value == value]
        if not rules:
            self.report(
                "dropped", path, f"{value} has no eCommerce value in {qf.targets[0].field} (row {qf.row}); left out", qf.row
            )
            return
        rule = rules[0]
        moved.setdefault(rule.target.field, (rule.target, [], rule.row))[1].append(rule.becomes)

    def never_returned(self, qf: QueryField, value: Any, path: str) -> None:
        for d in qf.derived:
            if d.value == value and d.becomes in d.target.capability.never_returned:
                self.report(
                    "approximated",
                    path,
                    f"a Stores order with {qf.name} {value} has eCommerce {d.target.field} {d.becomes} (row {d.row}), and "
                    f"Search Orders never returns orders with {d.target.field} {d.becomes}: such orders are not found",
                    d.row,
                )

    def parts_field(self, qf: QueryField, op: str, value: Any, path: str, short: bool) -> Node | None:
        if op == "$eq":
            return self.parts_equal(qf, value, path)
        if op == "$hasSome":
            return any_of(self.parts_equal(qf, v, _index(path, n)) for n, v in enumerate(value))
        if op in ("$startsWith", "$contains") and isinstance(value, str) and len(qf.targets) == 2:
            return self.parts_text(qf, op, value, path)
        fields = " and ".join(t.field for t in qf.targets)
        self.report("dropped", path, f"Stores {qf.name} became {fields}: {op} has no eCommerce form on them; left out", qf.row)
        return None

    def parts_equal(self, qf: QueryField, value: Any, path: str) -> Node | None:
        if isinstance(value, dict):
            by_part = {t.part: t for t in qf.targets}
            conds: list[Node | None] = []
            for part, v in value.items():
                target = by_part.get(part)
                if target is None:
                    self.problem(_key(path, part), f"{qf.name} has no part {part!r} (parts: {', '.join(map(str, by_part))})")
                    return None
                if v is not None and not isinstance(v, str):
                    self.problem(_key(path, part), f"expected a string, got {describe(v)}")
                    return None
                conds.append(self.cond(target, "$eq", v, _key(path, part), qf.row, short=True))
            return all_of(conds)
        if isinstance(value, str) and len(qf.targets) == 2:
            return self.parts_text(qf, "$eq", value, path)
        self.problem(path, f"expected the parts of {qf.name} as an object or the full name as a string, got {describe(value)}")
        return None

    def parts_text(self, qf: QueryField, op: str, text: str, path: str) -> Node | None:
        """A full name given as one string, against eCommerce's separate first and last names."""
        first, last = qf.targets
        splits = [(text[:n], text[n + 1 :]) for n, ch in enumerate(text) if ch == " "]
        branches: list[Node | None]
        if op == "$contains":
            branches = [self.cond(t, "$startsWith", text, path, qf.row) for t in (first, last)]
            why = "eCommerce Search Orders has no $contains: matched where the first or the last name starts with it"
        elif op == "$startsWith":
            branches = [self.cond(first, "$startsWith", text, path, qf.row)]
            branches += [
                all_of([self.cond(first, "$eq", a, path, qf.row), self.cond(last, "$startsWith", b, path, qf.row)])
                for a, b in splits
            ]
            why = "matched as the first name's start, or as a first name then the start of the last name, split at each space"
        else:
            branches = [
                all_of([self.cond(first, "$eq", a, path, qf.row), self.cond(last, "$eq", b, path, qf.row)]) for a, b in splits
            ]
            branches = branches or [self.cond(first, "$eq", text, path, qf.row)]
            why = "matched as first name + ' ' + last name, split at each space"
        self.report(
            "approximated",
            path,
            f"Stores matched {qf.name} as one string; eCommerce keeps {first.field} and {last.field} apart: {why}",
            qf.row,
        )
        return any_of(branches)

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
    """Parse a request body; bad JSON is a ConversionError at ``$``."""
    if not data.strip():
        raise ConversionError([Problem("$", "empty input: expected a Stores Query Orders request body")])
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem("$", f"not valid JSON: {str(exc).split(': line')[0]}")]) from None


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
    if "query" not in stores_request and isinstance(stores_request.get("search"), dict):
        entry = Entry("passed_through", "$", "already an eCommerce Search Orders request; passed through unchanged")
        return QueryTranslation(stores_request, (entry,), source)
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
    node = walk.filter(raw_filter, "$.query.filter", positive=True) if raw_filter else None
    if node is not None:
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
    return QueryTranslation({"search": search}, tuple(walk.entries), source)


def query_report_text(translation: QueryTranslation, stream: IO[str]) -> None:
    """One line of summary, then one line per entry: kind, Stores path, why, and the row it follows."""
    counts: dict[str, int] = {}
    for e in translation.entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    verdict = "translated exactly" if translation.exact else "NOT exact"
    title = f"{translation.source or '<query>'}: Stores Query Orders -> eCommerce Search Orders: {verdict}"
    stream.write(f"{title}{f' ({summary})' if summary else ''}\n")
    for e in translation.entries:
        row = f" [{e.row}]" if e.row else ""
        stream.write(f"  {e.kind:<14} {e.path}: {e.message}{row}\n")
