"""A Stores full name against eCommerce's parts of it (first and last name): by part, or as one string
split at each space.
"""

from __future__ import annotations

from typing import Any

from ..report import describe
from .fields import QueryField, Target
from .tree import TRUE, Const, Effect, Node, seen_from
from .values import at_index, at_key
from .walk import Part, Walk


def parts_field(walk: Walk, qf: QueryField, op: str, value: Any, path: str, short: bool, positive: bool) -> Node:
    if op == "$eq":
        return _parts_equal(walk, qf, value, path, positive)
    if op == "$hasSome":
        parts: list[Part] = []
        for n, v in enumerate(value):
            start = walk.mark()
            parts.append(walk.part(start, _parts_equal(walk, qf, v, at_index(path, n), positive)))
        return walk.combine(False, parts, path, op)
    if op in ("$startsWith", "$contains") and isinstance(value, str) and len(qf.targets) == 2:
        return _parts_text(walk, qf, op, value, path, positive)
    fields = " and ".join(t.field for t in qf.targets)
    return walk.drop(path, f"Stores {qf.name} became {fields}: {op} has no eCommerce form on them", positive, qf.row)


def _parts_equal(walk: Walk, qf: QueryField, value: Any, path: str, positive: bool) -> Node:
    if isinstance(value, dict):
        by_part = {t.part: t for t in qf.targets}
        conds: list[Part] = []
        for part, v in value.items():
            target = by_part.get(part)
            if target is None:
                walk.problem(at_key(path, part), f"{qf.name} has no part {part!r} (parts: {', '.join(map(str, by_part))})")
                return TRUE
            if v is not None and not isinstance(v, str):
                walk.problem(at_key(path, part), f"expected a string, got {describe(v)}")
                return TRUE
            start = walk.mark()
            conds.append(walk.part(start, walk.cond(target, "$eq", v, at_key(path, part), qf.row, positive, short=True)))
        return walk.combine(True, conds, path)
    if isinstance(value, str) and len(qf.targets) == 2:
        return _parts_text(walk, qf, "$eq", value, path, positive)
    walk.problem(path, f"expected the parts of {qf.name} as an object or the full name as a string, got {describe(value)}")
    return TRUE


def _parts_text(walk: Walk, qf: QueryField, op: str, text: str, path: str, positive: bool) -> Node:
    """A full name given as one string, against eCommerce's separate first and last names."""
    first, last = qf.targets
    splits = [(text[:n], text[n + 1 :]) for n, ch in enumerate(text) if ch == " "]
    start = walk.mark()
    branches: list[Node]

    def cond(target: Target, cond_op: str, value: str) -> Node:
        return walk.cond(target, cond_op, value, path, qf.row, positive)

    def both(a: Node, b: Node) -> Node:
        return walk.combine(True, [Part(a, start, start), Part(b, start, start)], path)

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
    node = walk.combine(False, [Part(b, start, start) for b in branches], path)
    if isinstance(node, Const):  # a name Search Orders cannot filter: the drops above say so
        return node
    walk.report(
        "approximated",
        path,
        f"Stores matched {qf.name} as one string; eCommerce keeps {first.field} and {last.field} apart: {why}",
        qf.row,
        effect,
    )
    return node
