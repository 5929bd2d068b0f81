"""What a conversion could not carry, and why: one structured report per order."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple, get_args

Kind = Literal[
    "fetch",
    "unmapped",
    "not_derivable",
    "mismatch",
    "unknown_value",
    "dropped",
    "rule",
    "unverified",
    "invalid",
    "passed_through",
    "aliased",
]

KINDS: tuple[str, ...] = get_args(Kind)

# How a converted order is held to the eCommerce model: not at all (False); by construction (True: the
# rows prove most of it, the rest is checked, engine/validity.py), the default of the command line; or by
# the full schema pass too ("audit", `--audit`), which finds the same and costs more.
Validation = bool | Literal["audit"]

# A path of one record as the file holding it names it: an order inside a webhook body is at
# ``$.data.order``, a fulfillment of a request at ``$.body.fulfillments[2]``, a Velo order's field at its
# Velo path. Every front door re-roots the entries and problems of what it converted by one of these.
Reroot = Callable[[str], str]


def under(prefix: str) -> Reroot:
    """The re-rooting of an order-relative ``$.path`` under ``prefix`` (``$.data.order``)."""
    if prefix == "$":
        return _same
    return lambda path: prefix + path[1:]


def _same(path: str) -> str:
    return path


def _rerooted_message(message: str, places: tuple[str, ...], where: Reroot) -> str:
    """``message`` with each place it names re-rooted, matched whole: ``$.a`` is not the start of ``$.a.b``
    nor the end of ``x$.a``. A value the message quotes (``describe``'s repr of a string) is the user's own
    text, kept as written even where it spells a place."""
    pattern = "|".join(re.escape(p) for p in sorted(set(places), key=len, reverse=True))
    found = re.compile(f"{_QUOTED}|(?<![\\w$])(?:{pattern})(?![\\w$\\[]|\\.[\\w$\\[])")
    return found.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"" else where(m.group(0)), message)


# A Python string literal as repr() spells one: in single quotes, or double ones when it holds a single.
_QUOTED = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'


class Entry(NamedTuple):
    """One thing the conversion could not carry, at its ``$.path``, and why. A named tuple: an order
    has a dozen of them and a batch millions, so they are cheap to make."""

    kind: str
    path: str
    message: str
    row: str | None = None
    fetch: dict[str, str] | None = None
    # The other paths the message names ("repeats $.lineItems[0].index"): re-rooted with the entry's own
    # path, so a message inside a webhook body or a Velo order names the place as the user's file has it.
    places: tuple[str, ...] = ()

    def rerooted(self, where: Reroot) -> Entry:
        path = where(self.path)
        if not self.places:
            # Most entries of a Velo order sit where no value moved: the same entry, not a copy of it.
            return self if path == self.path else self._replace(path=path)
        return self._replace(
            path=path,
            message=_rerooted_message(self.message, self.places, where),
            places=tuple(map(where, self.places)),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "path": self.path, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        if self.fetch is not None:
            out["fetch"] = dict(self.fetch)
        return out


@dataclass(slots=True)
class Report:
    payload_kind: str
    order_id: str | None = None
    source: str | None = None
    entries: list[Entry] = field(default_factory=list)
    dialect: str | None = None
    verified: bool | None = None  # a JWT body: was its signature checked?

    def by_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e.kind] = counts.get(e.kind, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"payloadKind": self.payload_kind}
        if self.source is not None:
            out["source"] = self.source
        if self.order_id is not None:
            out["orderId"] = self.order_id
        if self.dialect is not None:
            out["dialect"] = self.dialect
        if self.verified is not None:
            out["verified"] = self.verified
        out["entries"] = [e.to_dict() for e in self.entries]
        return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an input cannot be converted, at its ``$.path``."""

    path: str
    message: str
    places: tuple[str, ...] = ()  # the other paths the message names, as Entry.places

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def rerooted(self, where: Reroot, said: Reroot | None = None) -> Problem:
        """The problem at ``where(path)``; the places its words name re-rooted by ``said`` when given (a place
        inside the same JSON text as the problem is named by its path in that text, not the whole file's)."""
        if not self.places:
            return Problem(where(self.path), self.message)
        message = _rerooted_message(self.message, self.places, said or where)
        return Problem(where(self.path), message, tuple(map(where, self.places)))

    def reworded(self, message: str) -> Problem:
        """The same problem in other words (``not fixed: ...``), still naming its places."""
        return replace(self, message=message)


class ConversionError(Exception):
    """Bad input: every problem found in one record, each with its path."""

    position: Any = None  # where the record was, when convert_many yields the error

    def __init__(self, problems: list[Problem]):
        # Two rows reading one bad field find the same problem: it is said once.
        self.problems = list(dict.fromkeys(problems))
        super().__init__("; ".join(str(p) for p in self.problems))

    def prefixed(self, prefix: str) -> ConversionError:
        """The same problems, with paths re-rooted under ``prefix`` (e.g. ``$.orders[3]``)."""
        if prefix == "$":
            return self
        return self.rerooted(under(prefix))

    def rerooted(self, where: Reroot, said: Reroot | None = None) -> ConversionError:
        return ConversionError([p.rerooted(where, said) for p in self.problems])


def describe(value: Any) -> str:
    """A value as a message names it: a short repr, ``null``, ``true``, "an object"."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    if isinstance(value, int) and not -_SHOWN < value < _SHOWN:
        return "an integer of more than 60 digits"  # str() of one beyond 4300 digits raises
    return str(value)


_SHOWN = 10**60
