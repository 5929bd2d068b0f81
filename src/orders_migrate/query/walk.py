"""What a translation accumulates as it walks a Stores query: its report entries (each with the effect it
has on the orders the search matches), its problems, and the folding of AND/OR operands whose constants
decide the whole. The filter, sort and paging walks (filter.py, sort.py, paging.py) write into one ``Walk``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..jsonio import loads
from ..report import Entry, Problem, describe
from .fields import QueryField, Target
from .tree import TRUE, AllOf, AnyOf, Cond, Const, Effect, Node
from .values import BAD, lone_surrogates, plain


@dataclass(frozen=True, slots=True)
class Note:
    entry: Entry
    effect: Effect | None  # on the orders the whole search matches; None for sort, paging and notes


@dataclass(frozen=True, slots=True)
class Part:
    """One operand of an AND or OR, with the report entries its walk wrote (``notes[start:end]``)."""

    node: Node
    start: int
    end: int


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown if len(paths) <= 3 else f"{shown} and {len(paths) - 3} more"


class Walk:
    """One translation's report entries and problems; ``fields`` are the Stores fields the table knows."""

    def __init__(self, fields: Mapping[str, QueryField]):
        self.fields = fields
        self.notes: list[Note] = []
        self.problems: list[Problem] = []
        self.sorted_from: list[tuple[str, str]] = []  # each sort field sent: its Stores path and row, for explain

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
        self.notes.append(Note(Entry(kind, path, message, row), effect))

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def drop(self, path: str, why: str, positive: bool, row: str | None = None) -> Const:
        """A condition that cannot be translated: it stands as true, or false under a negation (more orders match)."""
        self.report("dropped", path, f"{why}; the condition is left out, so more orders match", row, "more")
        return Const(positive, (path,))

    # -- combining operands ----------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.notes)

    def part(self, start: int, node: Node) -> Part:
        return Part(node, start, len(self.notes))

    def combine(
        self,
        conj: bool,
        parts: Sequence[Part],
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

    # -- one condition on an eCommerce field -----------------------------------------------------

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
        return Cond(target.field, op, sent, capability.operators, short and op == "$eq", path, row)
