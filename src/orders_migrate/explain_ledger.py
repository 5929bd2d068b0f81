"""The ledger of one conversion, whatever was converted (an order, a webhook body, a saved query): each
output leaf with the row that wrote it and the inputs it came from, each input leaf with what became of
it; its JSON and its two-column text. ``explain.py`` and its siblings build it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import IO, Any, Literal

from .report import Entry

Fate = Literal["output", "consumed", "report"]

# Kinds of report entry that say a value was not carried (a mismatch or an input rule may sit beside a
# value that was carried as stated).
NOT_CARRIED = frozenset({"fetch", "dropped", "not_derivable", "unknown_value", "unmapped", "invalid"})


@dataclass(frozen=True, slots=True)
class OutputLeaf:
    path: str
    row: str | None
    op: str | None
    inputs: tuple[str, ...]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "row": self.row, "op": self.op, "inputs": list(self.inputs)}
        if self.note:
            doc["note"] = self.note
        return doc


@dataclass(frozen=True, slots=True)
class InputLeaf:
    path: str
    fate: Fate
    rows: tuple[str, ...] = ()
    kind: str | None = None  # the report entry's kind, for fate "report"
    row: str | None = None  # the row that reported it
    aliased: str | None = None  # the table's aliases read the value as a documented one: the report's words
    # A carried leaf's `not_derivable` entries: what of its target the stored order cannot give (a refund's
    # paymentId, anchored at the amount that was carried).
    beside: tuple[Entry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "fate": self.fate}
        if self.fate == "report":
            doc["kind"] = self.kind
            doc["row"] = self.row
        if self.rows:
            doc["rows"] = list(self.rows)
        if self.aliased:
            doc["aliased"] = self.aliased
        if self.beside:
            doc["beside"] = [{"kind": e.kind, "row": e.row, "message": e.message} for e in self.beside]
        return doc

    def with_alias(self, entries: Any) -> InputLeaf:
        """This leaf with the words of an ``aliased`` report entry at its very path, if there is one."""
        said = next((e.message for e in entries if e.kind == "aliased" and e.path == self.path), None)
        return self if said is None else replace(self, aliased=said)


@dataclass(slots=True)
class Ledger:
    outputs: list[OutputLeaf] = field(default_factory=list)
    inputs: list[InputLeaf] = field(default_factory=list)
    # Report entries about the whole record, not one leaf (a JWT whose signature was not checked).
    notes: list[Entry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"outputs": [o.to_dict() for o in self.outputs], "inputs": [i.to_dict() for i in self.inputs]}
        if self.notes:
            doc["notes"] = [n.to_dict() for n in self.notes]
        return doc

    def rows_by_input(self) -> dict[str, list[str]]:
        """Each input path the outputs name, with the rows that carried it (in output order, once each)."""
        carried: dict[str, list[str]] = {}
        for o in self.outputs:
            for i in o.inputs:
                rows = carried.setdefault(i, [])
                if o.row is not None and o.row not in rows:
                    rows.append(o.row)
        return carried

    def rerooted(self, prefix: str) -> Ledger:
        """The input paths as the file spells them when the order sits at ``prefix`` (``$.orders[1]``)."""
        if prefix == "$":
            return self

        def at(path: str) -> str:
            return prefix + path[1:]

        return Ledger(
            [OutputLeaf(o.path, o.row, o.op, tuple(at(i) for i in o.inputs), o.note) for o in self.outputs],
            [replace(i, path=at(i.path)) for i in self.inputs],
            [n.rerooted(at) for n in self.notes],
        )

    def narrowed(self, path: str) -> Ledger:
        """Only the entries at ``path`` or inside it, and the outputs that came from there."""

        def within(p: str) -> bool:
            return p == path or p.startswith((path + ".", path + "["))

        return Ledger(
            [o for o in self.outputs if within(o.path) or any(within(i) for i in o.inputs)],
            [i for i in self.inputs if within(i.path)],
            self.notes,  # about the whole record: every part of it
        )

    def write_text(self, stream: IO[str]) -> None:
        """Two columns: each output leaf and where it came from, then each input leaf and what it became
        (a part with no entries, as a narrowed ledger may have, is left out)."""
        if self.outputs:
            width = max(len(o.path) for o in self.outputs)
            stream.write("output leaf".ljust(width) + "  written by row (operation) from\n")
            for o in self.outputs:
                source = ", ".join(o.inputs) if o.inputs else "-"
                who = (f"{o.row} ({o.op})" if o.op else o.row) if o.row is not None else (o.note or "-")
                stream.write(f"{o.path.ljust(width)}  {who} <- {source}\n")
        if self.inputs:
            width = max(len(i.path) for i in self.inputs)
            stream.write(("\n" if self.outputs else "") + "input leaf".ljust(width) + "  became\n")
            for i in self.inputs:
                if i.fate == "report":
                    fate = f"reported: {i.kind} (row {i.row})" if i.row else f"reported: {i.kind}"
                else:
                    fate = f"{i.fate}: {', '.join(i.rows)}" if i.rows else i.fate
                if i.aliased:
                    fate += f" (aliased: {i.aliased})"
                for e in i.beside:
                    fate += f" (beside it: {e.kind}, row {e.row})" if e.row else f" (beside it: {e.kind})"
                stream.write(f"{i.path.ljust(width)}  {fate}\n")
        if self.notes:
            stream.write("\n" if self.outputs or self.inputs else "")
            for n in self.notes:
                stream.write(f"{n.kind}: {n.message}\n")
