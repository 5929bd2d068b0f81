"""A condition on one Stores field as eCommerce conditions, one function per kind of field: one value
(``scalar``), a line-item field (``list``), a field that became several by a discriminator (``split``), and
an enum whose values the mapping rows rename, leave without a counterpart or move to another field.
"""

from __future__ import annotations

from typing import Any

from ..report import describe
from .fields import QueryField, Target
from .tree import TRUE, Cond, Const, Node, seen_from
from .values import BAD, at_index, field_values
from .walk import Part, Walk

_RANGE = frozenset({"$lt", "$lte", "$gt", "$gte"})
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


def scalar_field(walk: Walk, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
    target = qf.targets[0]
    ecom_op = _SCALAR_OP.get(op)
    if ecom_op is None:
        return walk.drop(path, _no_scalar_op(qf, op), positive, qf.row)
    converted = field_values(qf, op, value, path, walk.problems)
    if converted is BAD:
        return TRUE
    node = walk.cond(target, ecom_op, converted, path, qf.row, positive, short)
    if op in _RANGE and qf.value == "to_string" and isinstance(node, Cond):
        walk.report(
            "approximated",
            path,
            f"Stores compared {qf.name} as an integer; eCommerce {target.field} is a string (row {qf.row}), so {op} "
            "compares text, which agrees with numeric order only between numbers with the same count of digits: "
            "the search can both miss orders the Stores query matched and match others",
            qf.row,
            "both",
        )
    return node


def _no_scalar_op(qf: QueryField, op: str) -> str:
    if op == "$contains":
        return "eCommerce Search Orders has no $contains operator"
    return f"{op} needs a list field and Stores {qf.name} holds one value"


def list_field(walk: Walk, qf: QueryField, op: str, value: Any, path: str, positive: bool) -> Node:
    target = qf.targets[0]
    ecom_op = _LIST_OP.get(op)
    if ecom_op is None:
        why = f"{qf.name} is a line-item field: eCommerce {target.field} takes only $hasSome/$hasAll, not {op}"
        return walk.drop(path, why, positive, qf.row)
    converted = field_values(qf, op, value, path, walk.problems)
    if converted is BAD:
        return TRUE
    return walk.cond(target, ecom_op, [converted] if op == "$eq" else converted, path, qf.row, positive)


def split_field(walk: Walk, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
    ecom_op = _SCALAR_OP.get(op)
    if ecom_op is None:
        return walk.drop(path, _no_scalar_op(qf, op), positive, qf.row)
    converted = field_values(qf, op, value, path, walk.problems)
    if converted is BAD:
        return TRUE
    searchable = [t for t in qf.targets if t.capability.filterable]
    if not searchable:
        return walk.drop(path, f"none of the eCommerce fields {qf.name} became can be filtered on", positive, qf.row)
    by = qf.discriminator or "the identity type"
    effect = seen_from("fewer", positive)
    for target in qf.targets:
        if not target.capability.filterable:
            walk.report(
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
        walk.report("note", path, f"orders whose {by} was {case} keep no such id in eCommerce: {reason}", qf.row)
    parts: list[Part] = []
    for target in searchable:
        start = walk.mark()
        parts.append(walk.part(start, walk.cond(target, ecom_op, converted, path, qf.row, positive, short)))
    return walk.combine(False, parts, path)


def enum_field(walk: Walk, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
    target = qf.targets[0]
    if op not in ("$eq", "$hasSome"):
        return walk.cond(target, _SCALAR_OP.get(op, op), value, path, qf.row, positive)
    at = [path if op == "$eq" else at_index(path, n) for n in range(1 if op == "$eq" else len(value))]
    raw = [_unaliased(walk, qf, v, at[n], positive) for n, v in enumerate([value] if op == "$eq" else value)]
    gone = {n: why for n, v in enumerate(raw) if (why := _untranslatable(qf, v)) is not None}
    if gone and positive:
        # One value Search Orders cannot ask for counts as every order: so does the whole $eq/$hasSome.
        for n, why in gone.items():
            walk.drop(at[n], why, positive, qf.row)
        if len(gone) < len(raw):
            walk.report("dropped", path, walk.decided(op, True, [at[n] for n in gone]), qf.row, "more")
        return Const(True, tuple(at[n] for n in gone))
    staying: list[Any] = []
    moved: dict[str, tuple[Target, list[Any], str]] = {}
    for n, v in enumerate(raw):
        if positive:
            _never_returned(walk, qf, v, at[n])
        if n in gone:
            walk.drop(at[n], gone[n], positive, qf.row)
        elif v is None:
            staying.append(None)
        elif not isinstance(v, str) or (v not in qf.enum and v not in qf.not_derivable):
            documented = ", ".join([*qf.enum, *qf.not_derivable])
            walk.report(
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
    branches: list[Part] = []
    if staying:
        start = walk.mark()
        main = walk.part(
            start,
            walk.cond(target, "$eq" if plain_eq else "$in", staying[0] if plain_eq else staying, path, qf.row, positive, short),
        )
        # A value that left the field (CANCELED -> status) means the others imply "not that status".
        guards: list[Part] = []
        for d in qf.moved_out():
            start = walk.mark()
            guards.append(walk.part(start, walk.cond(d.target, "$ne", d.becomes, path, d.row, positive)))
        node = walk.combine(True, [main, *guards], path)
        branches.append(Part(node, main.start, walk.mark()))
    for moved_target, becomes, row in moved.values():
        start = walk.mark()
        node = walk.cond(
            moved_target, "$eq" if plain_eq else "$in", becomes[0] if plain_eq else becomes, path, row, positive, short
        )
        branches.append(walk.part(start, node))
    if not branches:
        return Const(positive, tuple(at[n] for n in gone))
    return walk.combine(False, branches, path)


def _unaliased(walk: Walk, qf: QueryField, value: Any, path: str, positive: bool) -> Any:
    """The documented value an aliased one stands for, as convert wrote the orders that held it; reported."""
    if not isinstance(value, str) or value not in qf.aliases:
        return value
    meant = qf.aliases[value]
    walk.report(
        "aliased",
        path,
        f"{describe(value)} is not a documented Stores value; searched as {meant!r} by the table's aliases (its orders "
        f"were converted as {meant!r}): orders that held {meant!r} in Stores "
        + ("match too, so more orders match" if positive else "are excluded too, so fewer orders match"),
        qf.row,
        seen_from("more", positive),
    )
    return meant


def _untranslatable(qf: QueryField, value: Any) -> str | None:
    """Why Search Orders cannot ask for this documented value; None when it can (or the value is unknown)."""
    if not isinstance(value, str):
        return None
    if value in qf.not_derivable:
        return f"{value}: {qf.not_derivable[value]}"
    if value in qf.enum and qf.enum[value] is None and not any(d.value == value for d in qf.derived):
        return f"{value} has no eCommerce value in {qf.targets[0].field} (row {qf.row})"
    return None


def _never_returned(walk: Walk, qf: QueryField, value: Any, path: str) -> None:
    for d in qf.derived:
        if d.value == value and d.becomes in d.target.capability.never_returned:
            walk.report(
                "approximated",
                path,
                f"a Stores order with {qf.name} {value} has eCommerce {d.target.field} {d.becomes} (row {d.row}), and "
                f"Search Orders never returns orders with {d.target.field} {d.becomes}: such orders are not found, so "
                "fewer orders match",
                d.row,
                "fewer",
            )
