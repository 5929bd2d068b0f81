"""Which row writes which output place, checked as a section's rows are compiled.

Two rows may not write one place (unless the later only cross-checks it, ``agree: true``), and a row may
not write inside a place another row writes whole, nor write it whole over what an earlier row wrote
inside it, where that would change or lose a value:

- inside a place an operation fills as it comes (a copy of an input object, a plain value, a table's
  constant), a later row would silently replace a stored value the copy holds, change the plan itself,
  nest an object in itself, or fail on a text; only an operation that makes a new object for each order may be written inside
  (``Operation.fresh``: a Price, the empty object that names a payment's kind), and only where every
  row that may write the place does (one that runs where the first did not, ``agree`` or
  ``unless_written``, may write it instead);
- a place written whole after an earlier row wrote inside it would drop that row's value, unless the
  row runs only where nothing is there yet (``unless_written`` at or above every earlier row's target
  there) or only cross-checks (``agree: true``).

A fixed index is one element of a list: ``lineItems[0]`` meets ``lineItems[i]``, and ``t[00]`` is ``t[0]``.
"""

from __future__ import annotations

from ..paths import EACH, Path, Segment, parse
from .table import MappingError, Row, Table

# A place's keys with every list step alike: the places that may meet it are among those of its shape.
Shape = tuple[str, ...]


def _shape(segments: tuple[Segment, ...]) -> Shape:
    return tuple(s if isinstance(s, str) else "[]" for s in segments)


def _meet(a: tuple[Segment, ...], b: tuple[Segment, ...]) -> bool:
    """Whether two places of one shape may be one: each list step the same index, or ``[i]`` on either side."""
    return all(x == y or x is EACH or y is EACH for x, y in zip(a, b, strict=True))


def _under(path: Path, place: Path) -> bool:
    """``path`` is the place ``place`` (which names one place, no ``[i]``) or a place inside it."""
    return path.segments[: len(place.segments)] == place.segments


class Claims:
    """The places one section's rows write, in row order."""

    __slots__ = ("table", "whole", "inside")

    def __init__(self, table: Table) -> None:
        self.table = table
        # Places written, by shape (in row order, so the first that meets a place is its first writer): the
        # place, the row, and whether it makes a new object for each order.
        self.whole: dict[Shape, list[tuple[Path, Row, bool]]] = {}
        # Places written inside, by shape: the place, the row writing inside it, and where.
        self.inside: dict[Shape, list[tuple[tuple[Segment, ...], Row, Path]]] = {}

    def claim(
        self, row: Row, written: list[str], agree: bool, fresh: frozenset[str] = frozenset(), free: Path | None = None
    ) -> None:
        """``row`` writes each place of ``written``; ``fresh`` are those it fills with a new object, and the
        places under ``free`` (its ``unless_written``) it writes only where nothing is written yet."""
        paths = [parse(text) for text in written]
        for path in paths:
            inner = next((o for o in paths if len(o.segments) < len(path.segments) and self._holds(o, path)), None)
            if inner is not None:
                raise self._fail(row, f"writes {path.text!r} inside {inner.text!r}, which it writes too: one value in itself")
        agrees = [agree or (free is not None and _under(path, free)) for path in paths]
        for path, agreeing in zip(paths, agrees, strict=True):
            self._nested(row, path, agreeing, path.text in fresh)
        for path, agreeing in zip(paths, agrees, strict=True):
            places = self.whole.get(_shape(path.segments), ())
            owner = next((r for place, r, _ in places if r is not row and _meet(place.segments, path.segments)), None)
            if owner is not None and not agreeing:
                raise self._fail(
                    row,
                    f"writes {path.text!r}, which row {owner.id!r} (line {owner.line}) already writes; "
                    "set 'agree: true' if this row only cross-checks it",
                )
        for path in paths:
            self.whole.setdefault(_shape(path.segments), []).append((path, row, path.text in fresh))
            for n in range(1, len(path.segments)):
                self.inside.setdefault(_shape(path.segments[:n]), []).append((path.segments[:n], row, path))

    @staticmethod
    def _holds(outer: Path, path: Path) -> bool:
        # ``outer`` may be a place ``path`` is inside of.
        return _meet(outer.segments, path.segments[: len(outer.segments)])

    def _nested(self, row: Row, path: Path, agree: bool, fresh: bool) -> None:
        for n in range(1, len(path.segments)):
            outer = path.segments[:n]
            for place, owner, made in self.whole.get(_shape(outer), ()):
                if not made and _meet(place.segments, outer):
                    raise self._fail(
                        row,
                        f"writes {path.text!r} inside {place.text!r}, which row {owner.id!r} (line {owner.line}) writes "
                        f"whole with {owner.op!r} (an input value as it came, or a value of the table): writing inside it "
                        f"would change that value; write the parts of {place.text!r} one row each instead",
                    )
        if agree:
            return
        avoid = row.unless_written
        earlier = [
            (first, target)
            for around, first, target in self.inside.get(_shape(path.segments), ())
            if first is not row and _meet(around, path.segments)
        ]
        for first, target in earlier:
            if avoid is not None and _under(target, avoid):
                continue  # runs only where nothing is written there yet
            # `unless_written` names one place: the earlier row's when it is the only one written here and
            # names no list element, else the one this row writes (none in a list).
            alone = all(other.segments == target.segments for _, other in earlier)
            spared = next((p.text for p in ((target, path) if alone else (path,)) if not p.has_each), None)
            cures = [f"give this row 'unless_written: {spared}'"] if spared is not None else []
            if fresh:
                cures.append("put it first")
            raise self._fail(
                row,
                f"writes {path.text!r} whole, over {target.text!r}, which row {first.id!r} (line {first.line}) writes "
                "before it: that value would be lost" + (f"; {' or '.join(cures)}" if cures else ""),
            )

    def _fail(self, row: Row, message: str) -> MappingError:
        return MappingError(self.table.source, row.line, row.id, message)
