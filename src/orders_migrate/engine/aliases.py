"""Values seen in stored data that Wix documents nowhere (``NON-MEMBER`` as a buyer's identityType, say),
each mapped by the user in the table's ``aliases`` section to the documented Stores value it stands for.

An alias is applied to a copy of the order before the rows run, so every row reading the field (an enum
map, a split, a rule) sees a documented value and writes only what it would write for that value: the
eCommerce model's limits hold as for any order. Each use is still reported (``aliased``), at its path.
The section is empty by default: an undocumented value is ``unknown_value`` until the user says what it means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..paths import EACH, Path, PathError, parse
from ..report import describe
from .context import Ctx
from .dialect import _copy_spine, _spine
from .table import MappingError, Row, Table


@dataclass(frozen=True, slots=True)
class Alias:
    """One field's aliases: the list it runs over (``lineItems`` for ``lineItems[i].lineItemType``), the
    keys inside one element (or from the root), and seen value -> documented value."""

    path: Path
    head: tuple[str, ...] | None
    keys: tuple[str, ...]
    values: Mapping[str, str]

    def apply(self, order: dict[str, Any], ctx: Ctx) -> None:
        if self.head is None:
            self._one(order, (), ctx)
            return
        items: Any = order
        for key in self.head:
            items = items.get(key) if isinstance(items, dict) else None
        if isinstance(items, list):
            for n, item in enumerate(items):
                self._one(item, (n,), ctx)

    def _one(self, scope: Any, idx: tuple[int, ...], ctx: Ctx) -> None:
        holder = scope
        for key in self.keys[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if not isinstance(holder, dict):
            return
        value = holder.get(self.keys[-1])
        if not isinstance(value, str) or value not in self.values:
            return
        documented = self.values[value]
        holder[self.keys[-1]] = documented
        ctx.report(
            "aliased",
            self.path.render(idx),
            f"{describe(value)} is not a documented Stores value; converted as {documented!r} by the table's aliases",
            None,
        )


@dataclass(frozen=True, slots=True)
class Aliases:
    """Every alias of a table, applied to a copy of the order (only the objects on their way are copied)."""

    aliases: tuple[Alias, ...]
    spine: Mapping[str, Any]

    def apply(self, order: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        copied: dict[str, Any] = _copy_spine(order, self.spine)
        for alias in self.aliases:
            alias.apply(copied, ctx)
        return copied


def documented_values(path: Path, rows: tuple[Row, ...]) -> set[str]:
    """The values the rows reading ``path`` list as documented (an enum's or a split's ``values``)."""
    found: set[str] = set()
    for row in rows:
        values = row.params.get("values")
        if isinstance(values, list) and path in row.all_reads():
            found.update(v for v in values if isinstance(v, str))
    return found


def compile_aliases(table: Table) -> Aliases | None:
    """The table's aliases, each checked against the rows that read its field: a value mapped to must be
    one they document, a value mapped from one they do not. None for a table without aliases."""
    if not table.aliases:
        return None
    compiled = []
    for raw in table.aliases:
        line = raw.get("__line__")

        def fail(message: str, line: Any = line) -> MappingError:
            return MappingError(table.source, line, None, f"aliases: {message}")

        text, values = raw.get("path"), raw.get("values")
        if not isinstance(text, str) or not isinstance(values, dict):
            raise fail("each alias needs 'path' (a Stores field) and 'values' (seen value: documented value)")
        try:
            path = parse(text)
        except PathError as exc:
            raise fail(f"bad path {text!r}: {exc}") from None
        seen = {k: v for k, v in values.items() if k != "__line__"}
        documented = documented_values(path, table.order + table.checks)
        if not documented:
            raise fail(f"no row lists the documented values of {path.text}: an alias maps a value to one a row converts")
        for value, meant in seen.items():
            if not isinstance(value, str) or not isinstance(meant, str):
                raise fail(f"{path.text}: values are strings, got {value!r}: {meant!r}")
            if value in documented:
                raise fail(f"{path.text}: {value!r} is documented already; an alias is for a value Wix does not list")
            if meant not in documented:
                raise fail(f"{path.text}: {meant!r} is not a documented value ({', '.join(sorted(documented))})")
        split = path.split_each()
        if split is not None and split[1].has_each:
            raise fail(f"{path.text}: an alias runs over one list at most")
        head = tuple(str(s) for s in split[0].segments) if split is not None else None
        inner = split[1] if split is not None else path
        if not inner.plain or any(s is EACH for s in inner.segments):
            raise fail(f"{path.text}: an alias names object keys and one [i]")
        compiled.append(Alias(path, head, tuple(str(s) for s in inner.segments), MappingProxyType(seen)))
    return Aliases(tuple(compiled), MappingProxyType(_spine([a.path for a in compiled])))
