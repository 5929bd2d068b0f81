"""Which row writes which output place, checked as a section's rows are compiled.

Two rows may not write one place (unless the later only cross-checks it, ``agree: true``), and a row may
not write inside a place another row writes whole, nor write it whole over what an earlier row wrote
inside it, where that would change or lose a value:

- inside a place an operation fills as it comes (a copy of an input object, a plain value, a table's
  constant), a later row would change the caller's input or the plan itself, nest an object in itself,
  or fail on a text; only an operation that makes a new object for each order may be written inside
  (``Operation.fresh``: a Price, the empty object that names a payment's kind);
- a place written whole after an earlier row wrote inside it would drop that row's value, unless the
  row runs only where nothing is there yet (``unless_written`` at or above the earlier row's target) or
  only cross-checks (``agree: true``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .table import MappingError, Row, Table


def under(text: str, prefix: str) -> bool:
    """``text`` is the place ``prefix`` or a place inside it."""
    return text == prefix or text.startswith((prefix + ".", prefix + "["))


def _ancestors(text: str) -> Iterable[str]:
    # A place's every enclosing place ends before a "." or a "[" (a quoted key is rendered ["..."]).
    return (text[:n] for n, ch in enumerate(text) if ch in ".[" and n)


class Claims:
    """The places one section's rows write, in row order."""

    __slots__ = ("table", "owners", "fresh", "inside")

    def __init__(self, table: Table) -> None:
        self.table = table
        self.owners: dict[str, Row] = {}
        self.fresh: set[str] = set()  # places written whole with an object made for each order
        self.inside: dict[str, tuple[Row, str]] = {}  # a place -> the first row writing inside it, and where

    def claim(self, row: Row, written: list[str], agree: bool, fresh: frozenset[str] = frozenset()) -> None:
        """``row`` writes each place of ``written``; ``fresh`` are those it fills with a new object."""
        mine = set(written)
        for text in written:
            inner = next((outer for outer in _ancestors(text) if outer in mine), None)
            if inner is not None:
                raise self._fail(row, f"writes {text!r} inside {inner!r}, which it writes too: one value in itself")
            self._nested(row, text, agree, text in fresh)
        for text in written:
            owner = self.owners.get(text)
            if owner is None:
                self.owners[text] = row
                if text in fresh:
                    self.fresh.add(text)
            elif owner is not row and not agree:
                raise self._fail(
                    row,
                    f"writes {text!r}, which row {owner.id!r} (line {owner.line}) already writes; "
                    "set 'agree: true' if this row only cross-checks it",
                )
        for text in written:
            for outer in _ancestors(text):
                self.inside.setdefault(outer, (row, text))

    def _nested(self, row: Row, text: str, agree: bool, fresh: bool) -> None:
        for outer in _ancestors(text):
            owner = self.owners.get(outer)
            if owner is not None and outer not in self.fresh:
                raise self._fail(
                    row,
                    f"writes {text!r} inside {outer!r}, which row {owner.id!r} (line {owner.line}) writes whole "
                    f"with {owner.op!r} (an input value as it came, or a value of the table): writing inside it would "
                    f"change that value; write the parts of {outer!r} one row each instead",
                )
        earlier = self.inside.get(text)
        if earlier is None or earlier[0] is row or agree:
            return
        first, target = earlier
        avoid = row.unless_written
        if avoid is not None and under(target, avoid.text):
            return  # runs only where nothing is written there yet
        raise self._fail(
            row,
            f"writes {text!r} whole, over {target!r}, which row {first.id!r} (line {first.line}) writes before it: "
            f"that value would be lost; give this row 'unless_written: {target}'" + (" or put it first" if fresh else ""),
        )

    def _fail(self, row: Row, message: str) -> MappingError:
        return MappingError(self.table.source, row.line, row.id, message)
