"""Load ``mappings.yaml`` into rows that remember their line, refusing anything unsafe or malformed."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from ..paths import EACH, Path, PathError, parse
from .cache import cached


class MappingError(Exception):
    """A problem in the mapping table, naming the file, the line and the row id."""

    def __init__(self, source: str, line: int | None, row_id: str | None, message: str):
        self.source, self.line, self.row_id = source, line, row_id
        where = f"{source}:{line}" if line is not None else source
        who = f" row {row_id!r}" if row_id else ""
        super().__init__(f"{where}:{who} {message}")


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    op: str
    line: int
    section: str
    reads: Mapping[str, tuple[Path, ...]]
    writes: Mapping[str, tuple[Path, ...]]
    params: Mapping[str, Any]
    agree: bool
    if_present: Path | None
    unless_present: Path | None
    when: tuple[tuple[Path, tuple[Any, ...]], ...]
    unless: tuple[tuple[Path, tuple[Any, ...]], ...]
    note: str
    # Conditions on what earlier rows of the section wrote (an output path): the regular payment's
    # details only where a regular payment was written. `otherwise` is why the row's input is not written.
    if_written: Path | None = None
    unless_written: Path | None = None
    otherwise: str | None = None

    def all_reads(self) -> tuple[Path, ...]:
        return tuple(p for ps in self.reads.values() for p in ps)

    def all_writes(self) -> tuple[Path, ...]:
        return tuple(p for ps in self.writes.values() for p in ps)


@dataclass(frozen=True, slots=True)
class Table:
    source: str
    required: tuple[Path, ...]
    order: tuple[Row, ...]
    address: tuple[Row, ...]
    apis: Mapping[str, Any]
    velo: tuple[Row, ...] = ()
    checks: tuple[Row, ...] = ()
    fulfillment: tuple[Row, ...] = ()
    refund: tuple[Row, ...] = ()
    # The companion objects of an order (OrderWithFulfillments, OrderTransactions), relative to the order.
    order_fulfillments: tuple[Row, ...] = ()
    order_transactions: tuple[Row, ...] = ()
    webhooks: tuple[Mapping[str, Any], ...] = ()
    # Stored Stores requests -> eCommerce requests (`orders-migrate requests`; checked by requests/routes.py).
    requests: tuple[Mapping[str, Any], ...] = ()
    # Undocumented values seen in stored data -> the documented Stores value each stands for (aliases.py).
    aliases: tuple[Mapping[str, Any], ...] = ()
    max_items: Mapping[Path, int] = field(default_factory=dict)
    payload_kinds: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    markers: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    text: str = ""  # the YAML it was loaded from: a plan carries it to recompile itself elsewhere


# Row keys that name paths: read like `from`, so the plan knows every path a row reads. Which operation
# takes which of them, and every other key, is the operation's own declaration (engine.ops.OPERATIONS).
# The companion objects a converted order may carry beside it, by their eCommerce name, and the table
# section whose rows build each (relative to the Stores order).
COMPANION_SECTIONS: Mapping[str, str] = MappingProxyType(
    {"orderWithFulfillments": "order_fulfillments", "orderTransactions": "order_transactions"}
)

PATH_PARAMS = frozenset({"by", "sum", "times"})
_CONDITION_KEYS = ("if_present", "unless_present", "when", "unless", "if_written", "unless_written", "otherwise")
_ROW_KEYS = {"id", "op", "from", "to", "note", "agree", "__line__", *_CONDITION_KEYS}


def default_table_text() -> tuple[str, str]:
    """The table shipped in the wheel, or the repository's root copy in an editable checkout."""
    packaged = resources.files("orders_migrate").joinpath("mappings.yaml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8"), "mappings.yaml"
    root = FsPath(__file__).resolve().parents[3] / "mappings.yaml"
    return root.read_text(encoding="utf-8"), "mappings.yaml"


def _parse(text: str, source: str) -> Any:
    from .yaml_loader import load_yaml  # PyYAML only where a text is parsed: a cached parse needs none

    return load_yaml(text, source)


def _made_by() -> tuple[bytes, ...]:
    """What a parse is made with besides the text, read without importing PyYAML: its ``__init__.py`` (which
    holds its version), the libyaml extension beside it (whose loader is taken where present), the loader's
    source and this module's."""
    here = FsPath(__file__).parent
    spec = importlib.util.find_spec("yaml")
    package = FsPath(spec.origin).parent if spec is not None and spec.origin else None
    files = sorted(p.name for p in package.iterdir() if p.name.startswith("_yaml")) if package is not None else []
    return (
        package.joinpath("__init__.py").read_bytes() if package is not None else b"no yaml",
        "\n".join(files).encode(),
        (here / "yaml_loader.py").read_bytes(),
        FsPath(__file__).read_bytes(),
    )


def load_table(text: str, source: str = "mappings.yaml") -> Table:
    # Parsed once per text: the parse is keyed by the text and by what it is made with (_made_by), so no
    # change of PyYAML, of libyaml or of the loader reads an old parse.
    doc = cached("table", (text, *_made_by()), lambda: _parse(text, source))
    if not isinstance(doc, dict):
        raise MappingError(source, 1, None, "the table must be a mapping with 'order' and 'address' lists")
    rows: dict[str, tuple[Row, ...]] = {}
    seen_ids: dict[str, int] = {}
    for section in ("order", "address", "velo", "checks", "fulfillment", "refund", "order_fulfillments", "order_transactions"):
        raw = doc.get(section, [] if section not in ("order", "address") else None)
        if not isinstance(raw, list):
            raise MappingError(source, doc.get("__line__"), None, f"'{section}' must be a list of rows")
        built = []
        for item in raw:
            row = _row(item, section, source)
            if row.id in seen_ids:
                raise MappingError(source, row.line, row.id, f"duplicate row id (first on line {seen_ids[row.id]})")
            seen_ids[row.id] = row.line
            built.append(row)
        _check_partners(built, source)
        rows[section] = tuple(built)
    required = tuple(_path(p, source, doc.get("__line__"), None) for p in doc.get("required", []) or [])
    apis = _strip(doc.get("apis") or {})
    markers: dict[str, tuple[Path, ...]] = {}
    for name, spec in _strip(doc.get("dialects") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("markers"), list):
            raise MappingError(source, doc.get("__line__"), None, f"dialect {name!r} needs a 'markers' list of paths")
        markers[name] = tuple(_path(p, source, None, None) for p in spec["markers"])
    webhooks = doc.get("webhooks") or []
    if not isinstance(webhooks, list) or not all(isinstance(w, dict) and isinstance(w.get("id"), str) for w in webhooks):
        raise MappingError(source, doc.get("__line__"), None, "'webhooks' must be a list of mappings, each with an 'id'")
    requests = doc.get("requests") or []
    if not isinstance(requests, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in requests):
        raise MappingError(source, doc.get("__line__"), None, "'requests' must be a list of mappings, each with an 'id'")
    aliases = doc.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, dict) for a in aliases):
        raise MappingError(
            source, doc.get("__line__"), None, "'aliases' must be a list of mappings, each a 'path' and its 'values'"
        )
    return Table(
        source,
        required,
        rows["order"],
        rows["address"],
        apis,
        velo=rows["velo"],
        checks=rows["checks"],
        fulfillment=rows["fulfillment"],
        refund=rows["refund"],
        order_fulfillments=rows["order_fulfillments"],
        order_transactions=rows["order_transactions"],
        webhooks=tuple(webhooks),
        requests=tuple(requests),
        aliases=tuple(aliases),
        markers=markers,
        max_items={_path(k, source, None, None): int(v) for k, v in _strip(doc.get("max_items") or {}).items()},
        payload_kinds=_payload_kinds(doc.get("payload_kinds"), source),
        text=text,
    )


def _payload_kinds(raw: Any, source: str) -> dict[str, dict[str, frozenset[str]]]:
    if raw is None:
        return {}  # a partial table (a test's, say) recognises payloads by the shipped table's keys
    kinds = _strip(raw)
    if set(kinds) != {"stores_order", "ecom_order"}:
        raise MappingError(source, None, None, "'payload_kinds' needs stores_order and ecom_order")
    out: dict[str, dict[str, frozenset[str]]] = {}
    for name, spec in kinds.items():
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), list) for k in ("keys", "line_item_keys")):
            raise MappingError(source, None, None, f"payload kind {name!r} needs 'keys' and 'line_item_keys' lists")
        out[name] = {k: frozenset(spec[k]) for k in ("keys", "line_item_keys")}
    return out


def _path(text: Any, source: str, line: int | None, row_id: str | None) -> Path:
    try:
        return parse(text)
    except PathError as exc:
        raise MappingError(source, line, row_id, str(exc)) from None


def _paths(value: Any, source: str, line: int, row_id: str, what: str) -> dict[str, tuple[Path, ...]]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"value": (_path(value, source, line, row_id),)}
    if isinstance(value, list):
        if not value:
            raise MappingError(source, line, row_id, f"'{what}' is an empty list")
        return {"value": tuple(_path(v, source, line, row_id) for v in value)}
    if isinstance(value, dict):
        out: dict[str, tuple[Path, ...]] = {}
        for role, v in value.items():
            if role == "__line__":
                continue
            vs = v if isinstance(v, list) else [v]
            out[role] = tuple(_path(x, source, line, row_id) for x in vs)
        return out
    raise MappingError(source, line, row_id, f"'{what}' must be a path, a list of paths or a mapping of them")


def _conditions(value: Any, source: str, line: int, row_id: str, what: str) -> tuple[tuple[Path, tuple[Any, ...]], ...]:
    """``{path: [values]}``: the value at path is one of them (``~`` stands for absent or null)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise MappingError(source, line, row_id, f"'{what}' must map paths to lists of values")
    out = []
    for path, values in value.items():
        if path == "__line__":
            continue
        if not isinstance(values, list) or not all(v is None or isinstance(v, str) for v in values):
            raise MappingError(
                source, line, row_id, f"'{what}' of {path!r} must be a list of enum values (strings, or ~ for absent)"
            )
        out.append((_path(path, source, line, row_id), tuple(values)))
    return tuple(out)


def _check_partners(rows: list[Row], source: str) -> None:
    """A row that an output condition may skip says why (``otherwise``), or a row of its section reads
    the same inputs under the opposite condition on the same place: one of the two always runs."""
    for n, row in enumerate(rows):
        if row.otherwise is not None or (row.if_written is None and row.unless_written is None):
            continue
        if not any(_partners(rows, n, m) for m in range(len(rows)) if m != n):
            place = (row.if_written or row.unless_written).text  # type: ignore[union-attr]
            raise MappingError(
                source,
                row.line,
                row.id,
                f"may not run (its condition on {place!r}): say why in 'otherwise', or add a row reading the "
                "same inputs under the opposite condition, and no other, with no row between the two writing there",
            )


def _partners(rows: list[Row], n: int, m: int) -> bool:
    """Whether rows ``n`` and ``m`` are sure to have one of them run: one condition each on the same place,
    opposite, the same inputs and the same conditions on the input (either may skip both), and no row
    that may change what the place holds between the two (the earlier one skipped because it was not
    written yet, the later because it was by then)."""
    row, other = rows[n], rows[m]
    if (row.if_written is None) == (row.unless_written is None):
        return False  # two conditions on output places are not the opposite of two others
    if (other.if_written, other.unless_written) != (row.unless_written, row.if_written):
        return False
    if set(other.all_reads()) != set(row.all_reads()):
        return False
    if (other.if_present, other.unless_present, other.when, other.unless) != (
        row.if_present,
        row.unless_present,
        row.when,
        row.unless,
    ):
        return False
    place = row.if_written or row.unless_written
    assert place is not None
    first, last = min(n, m), max(n, m)
    # The earlier row writes the place itself only when it is the one run where it was not yet written.
    between = rows[first + 1 : last] if rows[first].if_written is not None else rows[first:last]
    return not any(_overlap(w, place) for r in between for w in r.all_writes())


def _overlap(a: Path, b: Path) -> bool:
    """Whether writing one of the two places may write the other (one holds the other; ``[i]`` any index)."""
    for x, y in zip(a.segments, b.segments, strict=False):
        if x == y or (isinstance(x, int) and y is EACH) or (x is EACH and isinstance(y, int)):
            continue
        return False
    return True


def _strip(value: Any) -> Any:
    """Drop the loader's line markers from nested parameters."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _row(item: Any, section: str, source: str) -> Row:
    if not isinstance(item, dict):
        raise MappingError(source, None, None, f"a row in '{section}' is not a mapping: {item!r}")
    line = item.get("__line__", 0)
    row_id = item.get("id")
    if not isinstance(row_id, str) or not row_id:
        raise MappingError(source, line, None, "row has no 'id'")
    op = item.get("op")
    if not isinstance(op, str):
        raise MappingError(source, line, row_id, "row has no 'op'")
    if "from" not in item:
        raise MappingError(source, line, row_id, "row has no 'from': every row reads at least one Stores path")
    note = item.get("note")
    if not isinstance(note, str) or not note:
        raise MappingError(source, line, row_id, "row has no 'note' citing the conversion table")
    if not isinstance(item.get("agree", False), bool):
        raise MappingError(source, line, row_id, f"'agree' must be true or false, got {item['agree']!r}")
    params = {k: _strip(v) for k, v in item.items() if k not in _ROW_KEYS}
    reads = _paths(item.get("from"), source, line, row_id, "from")
    writes = _paths(item.get("to"), source, line, row_id, "to")
    # Parameters that name paths are read (or written) like `from`/`to`, so the plan knows them all.
    for role in sorted(PATH_PARAMS):
        if role in params:
            reads[role] = _paths(params.pop(role), source, line, row_id, role)["value"]
    cases = params.get("cases")
    if isinstance(cases, dict):
        for value, case in cases.items():
            if isinstance(case, str):
                writes[f"case:{value}"] = (_path(case, source, line, row_id),)
    cond = {
        k: _path(item[k], source, line, row_id) if k in item else None
        for k in ("if_present", "unless_present", "if_written", "unless_written")
    }
    for k in ("if_written", "unless_written"):
        written = cond[k]
        if written is not None and written.has_each:
            raise MappingError(source, line, row_id, f"'{k}' names one output place, not {written.text!r}")
    otherwise = item.get("otherwise")
    if otherwise is not None and (not isinstance(otherwise, str) or not otherwise):
        raise MappingError(source, line, row_id, f"'otherwise' must be a reason, got {otherwise!r}")
    if otherwise is not None and cond["if_written"] is None and cond["unless_written"] is None:
        raise MappingError(
            source, line, row_id, "'otherwise' says why a row did not write: it needs 'if_written' or 'unless_written'"
        )
    return Row(
        id=row_id,
        op=op,
        line=line,
        section=section,
        reads=reads,
        writes=writes,
        params=params,
        agree=bool(item.get("agree", False)),
        if_present=cond["if_present"],
        unless_present=cond["unless_present"],
        when=_conditions(item.get("when"), source, line, row_id, "when"),
        unless=_conditions(item.get("unless"), source, line, row_id, "unless"),
        note=note,
        if_written=cond["if_written"],
        unless_written=cond["unless_written"],
        otherwise=otherwise,
    )
