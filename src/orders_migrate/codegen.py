"""Compile runs of rows into one generated Python function (compile once, apply many).

Calling a closure per row, then a writer, then a generic path walker costs several function calls a
field. Here the rows of one scope (the order, or one line item) become one function: every input path
the rows read is looked up once at the top, each row's conditions and its common case are spelled out
as straight-line code, and only the rare cases (a wrong type, a bad amount, a mismatch) call back into
the operations. A row the generator has no spelling for stays a call to its own step, so every
operation keeps one meaning, whichever way it runs. The generated function keeps all per-order state
in locals and arguments, like the steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .money import MoneyError, parse_amount, price
from .ops import _TYPES, SKIP, At, Ctx, ReadStep, Step, ValueStep, describe, pick
from .paths import MISSING, Path
from .report import Entry
from .table import Row

_REPORT_KINDS = {"not_carried": "fetch", "dropped": "dropped", "not_derivable": "not_derivable"}


def _money_price(value: Any, ctx: Ctx, where: Path, idx: tuple[int, ...]) -> dict[str, str] | None:
    try:
        text, amount = parse_amount(value)
    except MoneyError as exc:
        ctx.problem(where.render(idx), str(exc))
        return None
    return price(text, amount, ctx.fmt)


def _money_key(value: Any) -> Any:
    return parse_amount(value)[1]


def _wrong_type(ctx: Ctx, where: Path, idx: tuple[int, ...], expected: str, value: Any) -> None:
    ctx.problem(where.render(idx), f"expected {expected}, got {describe(value)}")


def _too_small(ctx: Ctx, where: Path, idx: tuple[int, ...], minimum: int, value: Any) -> None:
    ctx.problem(where.render(idx), f"must be at least {minimum}, got {value}")


def _copied(value: Any) -> Any:
    # From the second target on: two output fields never share one object.
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _unknown(ctx: Ctx, where: Path, idx: tuple[int, ...], value: Any, documented: str, row: str) -> None:
    ctx.entries.append(
        Entry("unknown_value", where.render(idx), f"{describe(value)} is not a documented value ({documented}); not carried", row)
    )


class _Source:
    """The generated function's text: a prologue reading every input path once, then the rows."""

    def __init__(self) -> None:
        self.prologue: list[str] = []
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "MISSING": MISSING,
            "SKIP": SKIP,
            "At": At,
            "Entry": Entry,
            "Decimal": Decimal,
            "_money_price": _money_price,
            "_money_key": _money_key,
            "_wrong_type": _wrong_type,
            "_too_small": _too_small,
            "_copied": _copied,
            "_unknown": _unknown,
            "_pick": pick,
        }
        self.counter = 0
        self.reads: dict[tuple[str, ...], str] = {}

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"K{self.counter}"
        self.names[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def holder(self, keys: tuple[str, ...]) -> str:
        """A local holding the object at ``keys`` (None when absent or not an object)."""
        if not keys:
            return "src"
        var = self.reads.get(keys)
        if var is None:
            parent = self.holder(keys[:-1])
            var = self.reads[keys] = f"h{len(self.reads)}"
            if parent == "src":
                self.prologue.append(f"    {var} = src.get({keys[-1]!r})")
            else:
                self.prologue.append(f"    {var} = {parent}.get({keys[-1]!r}) if {parent} is not None else None")
            self.prologue.append(f"    if {var}.__class__ is not dict and not isinstance({var}, dict): {var} = None")
        return var

    def read(self, path: Path) -> str:
        """A local holding the value at a plain path, ``MISSING`` when any step is absent."""
        keys = tuple(str(s) for s in path.segments)
        var = self.reads.get(keys + ("",))
        if var is None:
            parent = self.holder(keys[:-1])
            var = self.reads[keys + ("",)] = f"v{len(self.reads)}"
            if parent == "src":
                self.prologue.append(f"    {var} = src.get({keys[-1]!r}, MISSING)")
            else:
                self.prologue.append(f"    {var} = {parent}.get({keys[-1]!r}, MISSING) if {parent} is not None else MISSING")
        return var

    def put(self, indent: int, value: str, path: Path) -> None:
        keys = path.segments
        holder = "out"
        for key in keys[:-1]:
            self.counter += 1
            child = f"d{self.counter}"
            self.emit(indent, f"{child} = {holder}.get({key!r})")
            self.emit(indent, f"if {child} is None:")
            self.emit(indent + 1, f"{child} = {holder}[{key!r}] = {{}}")
            holder = child
        self.emit(indent, f"{holder}[{keys[-1]!r}] = {value}")

    def put_all(self, indent: int, value: str, targets: list[Path], copied: str = "_copied({})") -> None:
        for n, target in enumerate(targets):
            self.put(indent, value if n == 0 else copied.format(value), target)

    def code(self) -> str:
        body = self.prologue + (self.lines or ["    pass"])
        return "def fused(src, out, ctx, idx):\n" + "\n".join(body) + "\n"


Item = tuple[Row | None, Step, Step, Callable[[Path], Path], Callable[[Path], Path]]


def _condition(src: _Source, row: Row, relative: Callable[[Path], Path]) -> str | None:
    """The row's conditions as one expression; "" when it has none, None when one is not spelled out
    (a condition over every element of a list)."""
    parts = []
    for path, negate in ((row.if_present, False), (row.unless_present, True)):
        if path is None:
            continue
        rel = relative(path)
        if not rel.plain:
            return None
        v = src.read(rel)
        parts.append(f"({v} is MISSING or {v} is None)" if negate else f"({v} is not MISSING and {v} is not None)")
    for conds, negate in ((row.when, False), (row.unless, True)):
        for path, values in conds:
            rel = relative(path)
            if not rel.plain:
                return None
            v = src.read(rel)
            allowed = src.const(frozenset(x for x in values if x is not None))
            test = f"({v}.__class__ is str and {v} in {allowed})"
            if None in values:
                test = f"({v} is MISSING or {v} is None or {test})"
            parts.append(f"not {test}" if negate else test)
    return " and ".join(parts)


def _emit_row(
    src: _Source, row: Row, bare: Step, relative: Callable[[Path], Path], full: Callable[[Path], Path], at: int
) -> bool:
    """Spell out one row's common case at indent ``at``; False when the row stays a call."""
    if row.agree:
        return False
    reads = {role: [relative(p) for p in ps] for role, ps in row.reads.items()}
    writes = {role: [relative(p) for p in ps] for role, ps in row.writes.items()}
    fulls = {relative(p): full(p) for ps in row.reads.values() for p in ps}
    full = fulls.__getitem__  # the path as the user's file spells it, for messages
    if not all(p.plain for ps in (*reads.values(), *writes.values()) for p in ps):
        return False
    sources, targets = reads.get("value", []), writes.get("value", [])
    op = row.op
    if op in ("copy", "money") and (set(reads) != {"value"} or set(writes) != {"value"} or not targets):
        return False
    if op == "copy":
        return _emit_copy(src, row, sources, targets, full, at)
    if op == "money":
        return _emit_money(src, row, sources, targets, full, at)
    if op == "constant" and len(sources) == 1:
        v = src.read(sources[0])
        src.emit(at, f"if {v} is not MISSING and {v} is not None and {v} != '':")
        src.put_all(at + 1, src.const(row.params["value"]), targets, "{}")
        return True
    if op == "enum" and len(sources) == 1:
        return _emit_enum(src, row, sources[0], targets, full, at)
    if op in _REPORT_KINDS and set(reads) == {"value"}:
        kind = _REPORT_KINDS[op]
        fetch = row.params.get("fetch")
        reason = row.params.get("reason")
        if kind == "fetch" and isinstance(fetch, dict):
            reason = f"not in the eCommerce order: fetch from {fetch['api']}, {fetch['endpoint']}"
        fetch_arg = f"dict({src.const(fetch)})" if isinstance(fetch, dict) else "None"
        for p in sources:
            v = src.read(p)
            src.emit(at, f"if {v} is not MISSING and {v} is not None and {v} != '' and {v} != [] and {v} != {{}}:")
            src.emit(
                at + 1,
                f"ctx.entries.append(Entry({kind!r}, {src.const(full(p))}.render(idx), {reason!r}, {row.id!r}, {fetch_arg}))",
            )
        return True
    if isinstance(bare, ReadStep):
        # The step's own paths are already relative to the scope.
        if not all(p.plain for ps in bare.paths for p in ps):
            return False
        values = ", ".join("(" + "".join(f"{src.read(p)}, " for p in ps) + ")" for ps in bare.paths)
        src.emit(at, f"{src.const(bare)}.run(({values},), out, ctx, idx)")
        return True
    if isinstance(bare, ValueStep):
        # The step's own paths are already relative to the scope.
        v = src.read(bare.source)
        where = src.const(bare.spec.full.get(bare.source, bare.source))
        src.emit(at, f"if {v} is not MISSING:")
        src.emit(at + 1, f"r = {src.const(bare.convert)}({v}, At({where}, idx), ctx, src)")
        src.emit(at + 1, "if r is not SKIP:")
        src.put_all(at + 2, "r", list(bare.targets))
        return True
    return False


def _first(
    src: _Source, row: Row, sources: list[Path], full: Callable[[Path], Path], at: int, key: str = "None"
) -> tuple[str, str]:
    """Emit the choice among alternatives; returns the locals holding the value and its full path."""
    if len(sources) == 1:
        return src.read(sources[0]), src.const(full(sources[0]))
    values = ", ".join(src.read(p) for p in sources)
    paths = src.const(tuple(full(p) for p in sources))
    spec = src.const(_ReportSpec(row))
    src.emit(at, f"v, w = _pick({spec}, ({values},), {paths}, ctx, idx, {key})")
    return "v", "w"


class _ReportSpec:
    """What ``pick`` needs of a spec to word a mismatch: the row id and full paths (already full here)."""

    __slots__ = ("row",)

    def __init__(self, row: Row):
        self.row = row

    def render(self, path: Path, idx: tuple[int, ...]) -> str:
        return path.render(idx)


# The common JSON class first (one identity test), then the general check for the rare rest.
_CLASS_OF_TYPE = {"string": "str", "integer": "int", "boolean": "bool", "object": "dict", "array": "list"}


def _type_test(src: _Source, type_name: str, v: str) -> str:
    general = f"{src.const(_TYPES[type_name][0])}({v})"
    cls = _CLASS_OF_TYPE.get(type_name)
    return f"{v}.__class__ is {cls} or {general}" if cls else general


def _emit_copy(src: _Source, row: Row, sources: list[Path], targets: list[Path], full: Callable[[Path], Path], at: int) -> bool:
    if set(row.params) - {"type", "minimum", "search"}:
        return False
    v, where = _first(src, row, sources, full, at)
    src.emit(at, f"if {v} is not MISSING:")
    body = at + 1
    type_name = row.params.get("type")
    if type_name is not None:
        expected = _TYPES[type_name][1]
        src.emit(body, f"if {v} is not None and not ({_type_test(src, type_name, v)}):")
        src.emit(body + 1, f"_wrong_type(ctx, {where}, idx, {expected!r}, {v})")
        src.emit(body, "else:")
        body += 1
    minimum = row.params.get("minimum")
    if minimum is not None:
        src.emit(body, f"if {v}.__class__ in (int, Decimal) and {v} < {int(minimum)}:")
        src.emit(body + 1, f"_too_small(ctx, {where}, idx, {int(minimum)}, {v})")
        src.emit(body, "else:")
        body += 1
    src.put_all(body, v, targets)
    return True


def _emit_money(src: _Source, row: Row, sources: list[Path], targets: list[Path], full: Callable[[Path], Path], at: int) -> bool:
    if set(row.params) - {"search"}:
        return False
    v, where = _first(src, row, sources, full, at, key="_money_key")
    src.emit(at, f"if {v} is not MISSING:")
    src.emit(at + 1, f"p = None if {v} is None else _money_price({v}, ctx, {where}, idx)")
    src.emit(at + 1, f"if {v} is None or p is not None:")
    src.put_all(at + 2, "p", targets, "(None if p is None else dict(p))")
    return True


def _emit_enum(src: _Source, row: Row, source: Path, targets: list[Path], full: Callable[[Path], Path], at: int) -> bool:
    mapping = row.params.get("map")
    not_derivable = row.params.get("not_derivable") or {}
    values = row.params.get("values")
    if not isinstance(mapping, dict) or not isinstance(not_derivable, dict) or not isinstance(values, list):
        return False
    v = src.read(source)
    where = src.const(full(source))
    src.emit(at, f"if {v} is None:")
    src.put_all(at + 1, "None", targets, "{}")
    if not targets:
        src.emit(at + 1, "pass")
    src.emit(at, f"elif {v} is not MISSING:")
    src.emit(at + 1, f"t = {src.const(mapping)}.get({v}, SKIP) if {v}.__class__ is str else SKIP")
    src.emit(at + 1, "if t is SKIP:")
    if not_derivable:
        reasons = src.const(not_derivable)
        src.emit(at + 2, f"if {v}.__class__ is str and {v} in {reasons}:")
        src.emit(at + 3, f"ctx.entries.append(Entry('not_derivable', {where}.render(idx), {reasons}[{v}], {row.id!r}))")
        src.emit(at + 2, "else:")
        src.emit(at + 3, f"_unknown(ctx, {where}, idx, {v}, {', '.join(values)!r}, {row.id!r})")
    else:
        src.emit(at + 2, f"_unknown(ctx, {where}, idx, {v}, {', '.join(values)!r}, {row.id!r})")
    if targets:
        src.emit(at + 1, "elif t is not None:")
        src.emit(at + 2, "if t.__class__ is dict: t = dict(t)")
        src.put_all(at + 2, "t", targets)
    return True


def fuse(items: Sequence[Item]) -> Step:
    """One step running ``items`` in order: (row or None, its guarded step, its bare step, path relative
    to the scope, full path for messages). Rows with a spelling are spelled out, the rest called."""
    src = _Source()
    for row, guarded, bare, relative, full in items:
        if row is None:
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            continue
        cond = _condition(src, row, relative)
        if cond is None:
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            continue
        src.emit(1, f"# {row.id}")
        at = 1
        if cond:
            src.emit(1, f"if {cond}:")
            at = 2
        mark = len(src.lines)
        if not _emit_row(src, row, bare, relative, full, at):
            del src.lines[mark:]
            src.emit(at, f"{src.const(bare)}(src, out, ctx, idx)")
    namespace = dict(src.names)
    exec(compile(src.code(), "<orders-migrate plan>", "exec"), namespace)  # noqa: S102 - our own generated code
    fused: Step = namespace["fused"]
    return fused
