"""The Stores query fields the mapping rows know, each with the eCommerce search field(s) it becomes.

Nothing here names a field: a Stores field's eCommerce counterpart comes from its row's ``from``/``to``
(or ``cases``, or the address table under the row's host), its values from the row's operation and
``map``. A row's optional ``search:`` key only adds what the eCommerce side can do with its target:
the operators Search Orders accepts and whether it can sort, as Wix publishes them (``OrderSearchSpec``
in ``@wix/auto_sdk_ecom_orders``; ``"*"`` spelled out by field type from ``@wix/sdk-types``).

``search`` takes two forms: ``{filter: [...], sort: bool}`` for every target of the row, or a mapping
from eCommerce path to that form when only some targets can be searched (a target it leaves out cannot).
Optional keys: ``value: epoch_millis`` (Stores queries give this date as epoch milliseconds) and
``never_returned: [...]`` (values Search Orders never returns, whatever the filter says).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

from ..engine import default_plan
from ..engine.ops import OPERATIONS
from ..engine.table import MappingError, Row, Table
from ..paths import Path, PathError, parse

Shape = Literal["scalar", "list", "split", "parts"]
ValueRule = Literal["same", "epoch_millis", "to_string", "enum"]

_HINT_KEYS = frozenset({"filter", "sort", "value", "never_returned"})
_VALUE_RULES = frozenset({"epoch_millis"})


@dataclass(frozen=True, slots=True)
class Capability:
    """What eCommerce Search Orders accepts on one field."""

    operators: frozenset[str]
    sortable: bool
    never_returned: frozenset[str] = frozenset()

    @property
    def filterable(self) -> bool:
        return bool(self.operators)


NOT_SEARCHABLE = Capability(frozenset(), False)


@dataclass(frozen=True, slots=True)
class Target:
    """One eCommerce search field a Stores field becomes."""

    field: str
    capability: Capability
    case: str | None = None  # split rows: the discriminator value that puts the id here
    part: str | None = None  # parts: the Stores sub-field (firstName) this target holds


@dataclass(frozen=True, slots=True)
class Derived:
    """A first_match rule: Stores ``field == value`` gives eCommerce ``target == becomes``."""

    value: str
    target: Target
    becomes: Any
    row: str


@dataclass(frozen=True, slots=True)
class QueryField:
    name: str
    row: str
    shape: Shape
    targets: tuple[Target, ...]
    value: ValueRule = "same"
    value_type: str | None = None
    enum: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    not_derivable: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    discriminator: str | None = None
    derived: tuple[Derived, ...] = ()
    # The table's aliases of this field: an undocumented value seen in stored data -> the documented one
    # its orders were converted as (engine/aliases.py), so a query for it searches that value.
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def moved_out(self) -> tuple[Derived, ...]:
        """Rules for values that left this field in eCommerce (their map entry is null)."""
        return tuple(d for d in self.derived if d.value in self.enum and self.enum[d.value] is None)


def query_name(path: Path) -> str:
    """A row path as a query names it: list markers dropped (``lineItems[i].name`` -> ``lineItems.name``)."""
    return ".".join(s for s in path.segments if isinstance(s, str))


def _fail(table: Table, row: Row, message: str) -> MappingError:
    return MappingError(table.source, row.line, row.id, message)


def _capability(table: Table, row: Row, raw: Any) -> Capability:
    if not isinstance(raw, dict) or not {"filter", "sort"} <= set(raw) or not set(raw) <= _HINT_KEYS:
        raise _fail(table, row, "'search' needs {filter: [operators], sort: true|false} (optional: value, never_returned)")
    ops, sort = raw["filter"], raw["sort"]
    if not isinstance(ops, list) or not all(isinstance(o, str) and o.startswith("$") for o in ops):
        raise _fail(table, row, "'search.filter' must be a list of operators such as $eq")
    if not isinstance(sort, bool):
        raise _fail(table, row, "'search.sort' must be true or false")
    hidden = raw.get("never_returned", [])
    if not isinstance(hidden, list):
        raise _fail(table, row, "'search.never_returned' must be a list of values")
    return Capability(frozenset(ops), sort, frozenset(hidden))


def _value_rule(table: Table, row: Row, raw: Any) -> ValueRule | None:
    if not isinstance(raw, dict) or "value" not in raw:
        return None
    if raw["value"] not in _VALUE_RULES:
        raise _fail(table, row, f"'search.value' must be one of {', '.join(sorted(_VALUE_RULES))}")
    return "epoch_millis"


class _Hint:
    """A row's ``search`` key, resolved per target; it checks that every target it names is written."""

    def __init__(self, table: Table, row: Row, targets: list[str]):
        raw = row.params.get("search")
        self.table, self.row = table, row
        self.uniform: Capability | None = None
        self.value: ValueRule | None = None
        self.per_target: dict[str, Capability] = {}
        if isinstance(raw, dict) and "filter" in raw:
            self.uniform = _capability(table, row, raw)
            self.value = _value_rule(table, row, raw)
        elif isinstance(raw, dict):
            unknown = sorted(set(raw) - set(targets))
            if unknown:
                raise _fail(table, row, f"'search' names {unknown[0]!r}, which the row does not write")
            self.per_target = {path: _capability(table, row, spec) for path, spec in raw.items()}
        else:
            raise _fail(table, row, "'search' must be a mapping")

    def of(self, target: str) -> Capability:
        if self.uniform is not None:
            return self.uniform
        return self.per_target.get(target, NOT_SEARCHABLE)


def _single(table: Table, row: Row, role: str, paths: Mapping[str, tuple[Path, ...]]) -> tuple[Path, ...]:
    found = paths.get(role, ())
    if not found:
        raise _fail(table, row, f"a searchable {row.op} row needs '{role}'")
    return found


def _plain_field(table: Table, row: Row) -> list[QueryField]:
    sources = _single(table, row, "value", row.reads)
    writes = [query_name(p) for p in _single(table, row, "value", row.writes)]
    if len(writes) != 1:
        raise _fail(table, row, "a searchable row writes one eCommerce field")
    hint = _Hint(table, row, writes)
    target = Target(writes[0], hint.of(writes[0]))
    shape: Shape = "list" if any(p.has_each for p in sources) else "scalar"
    search = OPERATIONS[row.op].search
    value: ValueRule = hint.value or ("to_string" if search == "to_string" else "enum" if search == "enum" else "same")
    enum: Mapping[str, Any] = MappingProxyType({})
    not_derivable: Mapping[str, str] = MappingProxyType({})
    if search == "enum":
        mapping = row.params.get("map", {})
        if any(isinstance(v, dict) for v in mapping.values()):
            raise _fail(table, row, "an enum row that writes objects cannot be searched")
        enum = MappingProxyType(dict(mapping))
        not_derivable = MappingProxyType(dict(row.params.get("not_derivable", {})))
    value_type = row.params.get("type")
    checked = value_type if isinstance(value_type, str) else None
    return [QueryField(query_name(p), row.id, shape, (target,), value, checked, enum, not_derivable) for p in sources]


def _split_field(table: Table, row: Row) -> list[QueryField]:
    source = _single(table, row, "value", row.reads)[0]
    cases: Mapping[str, Any] = row.params.get("cases", {})
    case_paths = {value: query_name(row.writes[f"case:{value}"][0]) for value, case in cases.items() if isinstance(case, str)}
    hint = _Hint(table, row, list(case_paths.values()))
    targets = tuple(Target(path, hint.of(path), case=value) for value, path in case_paths.items())
    not_derivable = {value: case["not_derivable"] for value, case in cases.items() if isinstance(case, dict)}
    by = row.reads.get("by", ())
    return [
        QueryField(
            query_name(source),
            row.id,
            "split",
            targets,
            not_derivable=MappingProxyType(not_derivable),
            discriminator=by[0].text if by else None,
        )
    ]


def _address_fields(table: Table, row: Row) -> list[QueryField]:
    """Address-table rows under this host: each searchable sub-field, and the objects that group them."""
    outer = _single(table, row, "value", row.reads)[0]
    host = _single(table, row, "value", row.writes)[0]
    full: dict[str, tuple[str, str]] = {}
    for sub in table.address:
        reads, writes = sub.reads.get("value", ()), sub.writes.get("value", ())
        if OPERATIONS[sub.op].search == "same" and len(reads) == 1 and len(writes) == 1:
            full[f"{host.text}.{writes[0].text}"] = (f"{query_name(outer)}.{query_name(reads[0])}", sub.id)
    hint = _Hint(table, row, list(full))
    fields: list[QueryField] = []
    groups: dict[str, list[Target]] = {}
    for target_path, (stores_name, sub_id) in full.items():
        capability = hint.of(target_path)
        if not capability.filterable and not capability.sortable:
            continue
        fields.append(QueryField(stores_name, sub_id, "scalar", (Target(target_path, capability),), value_type="string"))
        parent, _, part = stores_name.rpartition(".")
        if parent != query_name(outer):
            groups.setdefault(parent, []).append(Target(target_path, capability, part=part))
    fields.extend(QueryField(name, row.id, "parts", tuple(parts), value_type="string") for name, parts in groups.items())
    return fields


def _derived(table: Table, row: Row) -> dict[str, list[Derived]]:
    target_path = query_name(_single(table, row, "value", row.writes)[0])
    hint = _Hint(table, row, [target_path]) if "search" in row.params else None
    target = Target(target_path, hint.of(target_path) if hint else NOT_SEARCHABLE)
    out: dict[str, list[Derived]] = {}
    for rule in row.params.get("rules", []):
        when = rule.get("when") if isinstance(rule, dict) else None
        if isinstance(when, dict) and len(when) == 1:
            ((name, value),) = when.items()
            out.setdefault(name, []).append(Derived(value, target, rule.get("value"), row.id))
    return out


def build_query_fields(table: Table) -> Mapping[str, QueryField]:
    """Every Stores field a query may name, from the rows that carry a ``search`` key."""
    fields: dict[str, QueryField] = {}
    derived: dict[str, list[Derived]] = {}
    for row in table.order:
        search = OPERATIONS[row.op].search
        if search == "derived":
            for name, rules in _derived(table, row).items():
                derived.setdefault(name, []).extend(rules)
            continue
        if "search" not in row.params:
            continue
        if search is None:
            raise _fail(table, row, f"'search' is not supported on a {row.op} row")
        built = (
            _split_field(table, row)
            if search == "split"
            else _address_fields(table, row)
            if search == "address"
            else _plain_field(table, row)
        )
        for qf in built:
            fields.setdefault(qf.name, qf)
    for name, rules in derived.items():
        if name in fields:
            fields[name] = replace(fields[name], derived=tuple(rules))
    for name, aliases in _aliases(table).items():
        if name in fields and fields[name].value == "enum":
            fields[name] = replace(fields[name], aliases=MappingProxyType(aliases))
    return MappingProxyType(fields)


def _aliases(table: Table) -> dict[str, dict[str, str]]:
    """The table's aliases by the query name of their field (checked as the plan compiled them)."""
    found: dict[str, dict[str, str]] = {}
    for alias in table.aliases:
        path, values = alias.get("path"), alias.get("values")
        if not isinstance(path, str) or not isinstance(values, Mapping):
            continue
        try:
            name = query_name(parse(path))
        except PathError:
            continue
        found.setdefault(name, {}).update(
            {
                seen: meant
                for seen, meant in values.items()
                if isinstance(seen, str) and isinstance(meant, str) and seen != "__line__"
            }
        )
    return found


@lru_cache(maxsize=1)
def default_query_fields() -> Mapping[str, QueryField]:
    return build_query_fields(default_plan().table)
