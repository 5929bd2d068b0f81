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

from .generated import note_row, register, row_lines
from .money import MoneyError, computed, parse_amount, price
from .ops import (
    _TYPES,
    EXACT,
    MAX_LINE_ITEM_INDEX,
    OPERATIONS,
    SKIP,
    At,
    Ctx,
    ReadStep,
    Step,
    ValueStep,
    _is_int,
    _LineTotals,
    _money_key,
    describe,
    line_item_guid,
    negative_totals,
    pick,
)
from .paths import MISSING, Path
from .report import Entry
from .table import Row


def _money_price(value: Any, ctx: Ctx, where: Path, idx: tuple[int, ...]) -> dict[str, str] | None:
    try:
        text, amount = parse_amount(value)
    except MoneyError as exc:
        ctx.problem(where.render(idx), str(exc))
        return None
    return price(text, amount, ctx.fmt)


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
            "describe": describe,
            "_amount_at": _amount_at,
            "_negative_totals": _negative_totals,
            "_is_int": _is_int,
            "EXACT": EXACT,
            "ZERO": Decimal(0),
            "computed": computed,
            "_note_row": note_row,
        }
        self.counter = 0
        self.reads: dict[tuple[str, ...], str] = {}
        self.extra: list[str] = []  # helper functions the rows call, generated beside ``fused``

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
            self.prologue.append(f"    if {var}.__class__ is not dict and not isinstance({var}, dict):")
            self.prologue.append(f"        {var} = None")
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
        """The helpers, then ``fused``: its body inside a ``try`` (free when nothing is raised) whose
        ``except`` notes which row's block a failure came from (``ROWS``, from the row comments)."""
        body = ["    fm = ctx.fmt", *self.prologue, *(self.lines or ["    pass"])]
        handler = ["    except Exception as e:", "        _note_row(e, ROWS)", "        raise"]
        lines = [*self.extra, "def fused(src, out, ctx, idx):", "    try:", *("    " + line for line in body), *handler]
        return "\n".join(lines) + "\n"

    def call(self, at: int, callee: str, args: list[str], closing: str = ")") -> None:
        """``callee(args)``, one argument a line when they do not fit on one."""
        one = f"{callee}({', '.join(args)}{closing}"
        if len(one) + 4 * at <= 110:
            self.emit(at, one)
            return
        self.emit(at, f"{callee}(")
        for arg in args:
            self.emit(at + 1, f"{arg},")
        self.emit(at, closing)

    def entry(self, at: int, args: list[str]) -> None:
        """A report entry appended to the order's report."""
        self.call(at, "ctx.entries.append(Entry", args, "))")

    def emit_if(self, at: int, parts: list[str], joiner: str, keyword: str = "if") -> None:
        """``if a or b ...:``, one condition a line when they do not fit on one."""
        one = f"{keyword} {f' {joiner} '.join(parts)}:"
        if len(parts) == 1 or len(one) + 4 * at <= 110:
            self.emit(at, one)
            return
        self.emit(at, f"{keyword} (")
        for n, part in enumerate(parts):
            self.emit(at + 1, part if n == 0 else f"{joiner} {part}")
        self.emit(at, "):")

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def first(self, row: Row, values: list[str], paths: list[Path], at: int, key: str = "None") -> tuple[str, str]:
        """Emit the choice among alternatives (the first present; a later one that differs is a
        mismatch, which ``pick`` words); returns the locals holding the value and its path."""
        if len(values) == 1:
            return values[0], self.const(paths[0])
        v, w = self.fresh("f"), self.fresh("p")
        everything = f"({', '.join(values)},)"
        call = f"{v}, {w} = _pick({self.const(_ReportSpec(row))}, {everything}, {self.const(tuple(paths))}, ctx, idx, {key})"
        self.emit(at, f"{v}, {w} = MISSING, None")
        for n, value in enumerate(values):
            self.emit(at, f"{'if' if n == 0 else 'elif'} {value} is not MISSING:")
            self.emit(at + 1, f"{v}, {w} = {value}, {self.const(paths[n])}")
            later = [
                f"({x} is not MISSING and not ({x}.__class__ is {value}.__class__ and {x} == {value}))" for x in values[n + 1 :]
            ]
            if later:
                self.emit_if(at + 1, later, "or")
                self.emit(at + 2, call)
        return v, w

    def money(self, at: int, var: str, value: str, where: str) -> None:
        """``var`` = the Price of ``value`` (None after reporting a bad amount): a text formatted before is
        a memo lookup, anything else goes through ``_money_price``."""
        self.emit(at, f"if {value}.__class__ is str and fm is not None and (mf := fm.memo.get({value})) is not None:")
        self.emit(at + 1, f"{var} = {{'amount': {value}, 'formattedAmount': mf}}")
        self.emit(at, "else:")
        self.emit(at + 1, f"{var} = _money_price({value}, ctx, {where}, idx)")


Item = tuple[Row | None, Step, Step, Callable[[Path], Path], Callable[[Path], Path]]


def _condition(src: _Source, row: Row, relative: Callable[[Path], Path]) -> list[str] | None:
    """The row's conditions, all of which must hold; none when it has none, None when one is not spelled
    out (a condition over every element of a list)."""
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
            test = f"(({v}.__class__ is str or isinstance({v}, str)) and {v} in {allowed})"
            if None in values:
                test = f"({v} is MISSING or {v} is None or {test})"
            parts.append(f"not {test}" if negate else test)
    return parts


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
    kind = OPERATIONS[op].report
    if kind is not None and set(reads) == {"value"}:
        fetch = row.params.get("fetch")
        reason = row.params.get("reason")
        if kind == "fetch" and isinstance(fetch, dict):
            reason = f"not in the eCommerce order: fetch from {fetch['api']}, {fetch['endpoint']}"
        fetch_arg = f"dict({src.const(fetch)})" if isinstance(fetch, dict) else "None"
        for p in sources:
            v = src.read(p)
            src.emit(at, f"if {v} is not MISSING and {v} is not None and {v} != '' and {v} != [] and {v} != {{}}:")
            src.entry(at + 1, [repr(kind), f"{src.const(full(p))}.render(idx)", repr(reason), repr(row.id), fetch_arg])
        return True
    if op == "expect_present" and len(sources) == 1:
        v = src.read(sources[0])
        src.emit(at, f"if {v} is MISSING or {v} is None:")
        message = f"missing: {row.params['reason']}"
        src.entry(at + 1, ["'rule'", f"{src.const(full(sources[0]))}.render(idx)", repr(message), repr(row.id)])
        return True
    if op == "expect_value" and len(sources) == 1 and isinstance(row.params.get("values"), list):
        v = src.read(sources[0])
        src.emit(at, f"if {v} is not MISSING and {v} is not None and {v} not in {src.const(list(row.params['values']))}:")
        message = repr(f": {row.params['reason']}")
        src.entry(at + 1, ["'rule'", f"{src.const(full(sources[0]))}.render(idx)", f"describe({v}) + {message}", repr(row.id)])
        return True
    if op == "line_item_id" and isinstance(bare, ReadStep) and len(bare.paths) == 1 and len(bare.paths[0]) == 1:
        return _emit_line_item_id(src, row, bare, at)
    if isinstance(bare, _LineTotals) and not row.agree:
        return _emit_line_totals(src, row, bare, at)
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
        if op == "to_number":  # a JSON number is already what eCommerce wants, an exact fraction as it was read
            src.emit(at + 1, f"r = {v} if {v}.__class__ is int or {v}.__class__ is float else SKIP")
            src.emit(at + 1, f"if {v}.__class__ is Decimal and {v}.is_finite():")
            src.emit(at + 2, f"r = {v}")
            src.emit(at + 1, "if r is SKIP:")
            src.emit(at + 2, f"r = {src.const(bare.convert)}({v}, At({where}, idx), ctx, src)")
        else:
            src.emit(at + 1, f"r = {src.const(bare.convert)}({v}, At({where}, idx), ctx, src)")
        src.emit(at + 1, "if r is not SKIP:")
        src.put_all(at + 2, "r", list(bare.targets))
        return True
    return False


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
    v, where = src.first(row, [src.read(p) for p in sources], [full(p) for p in sources], at)
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
        src.emit(body, f"if isinstance({v}, (int, Decimal)) and {v} < {int(minimum)}:")
        src.emit(body + 1, f"_too_small(ctx, {where}, idx, {int(minimum)}, {v})")
        src.emit(body, "else:")
        body += 1
    src.put_all(body, v, targets)
    return True


def _emit_money(src: _Source, row: Row, sources: list[Path], targets: list[Path], full: Callable[[Path], Path], at: int) -> bool:
    if set(row.params) - {"search"}:
        return False
    v, where = src.first(row, [src.read(p) for p in sources], [full(p) for p in sources], at, key="_money_key")
    src.emit(at, f"if {v} is None:")
    src.put_all(at + 1, "None", targets, "{}")
    src.emit(at, f"elif {v} is not MISSING:")
    src.money(at + 1, "p", v, where)
    src.emit(at + 1, "if p is not None:")
    src.put_all(at + 2, "p", targets, "dict({})")
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
    src.emit(at + 1, f"t = {src.const(mapping)}.get({v}, SKIP) if {v}.__class__ is str or isinstance({v}, str) else SKIP")
    src.emit(at + 1, "if t is SKIP:")
    unknown_at = at + 2
    if not_derivable:
        reasons = src.const(not_derivable)
        src.emit(at + 2, f"if isinstance({v}, str) and {v} in {reasons}:")
        src.entry(at + 3, ["'not_derivable'", f"{where}.render(idx)", f"{reasons}[{v}]", repr(row.id)])
        src.emit(at + 2, "else:")
        unknown_at = at + 3
    documented = ", ".join(values)
    # A long list of values is the row's own `values` (see the row's line): named, not spelled out.
    listed = repr(documented) if len(documented) <= 60 else src.const(documented)
    src.call(unknown_at, "_unknown", ["ctx", where, "idx", v, listed, repr(row.id)])
    if targets:
        src.emit(at + 1, "elif t is not None:")
        src.emit(at + 2, "if t.__class__ is dict: t = dict(t)")
        src.put_all(at + 2, "t", targets)
    return True


def _emit_line_totals(src: _Source, row: Row, step: _LineTotals, at: int) -> bool:
    """The line totals as a generated function of the values the scope read (the step's ``run`` is the
    same arithmetic, as a call): one call an item instead of some twenty."""
    if not all(p.plain for ps in step.paths for p in ps):
        return False
    spec = step.spec
    full = [[spec.full.get(p, p) for p in ps] for ps in step.paths]
    args = [[f"a{n}_{m}" for m in range(len(ps))] for n, ps in enumerate(step.paths)]
    totals, prices, quantity, discounts, taxes, included = args
    name = src.fresh("line_totals")
    g = _Source()  # the helper's own body, spelled with the same tools
    g.names = src.names
    g.counter = src.counter
    g.emit(1, "fm = ctx.fmt")
    v, w = g.first(row, totals, full[0], 1, key="_money_key")
    g.emit(1, f"if {v} is not MISSING and {v} is not None:")
    g.emit(2, f"where = {w}")
    g.emit(2, f"total = _amount_at({v}, ctx, {w}, idx)")
    g.emit(2, "if total is None:")
    g.emit(3, "return")
    g.emit(1, "else:")
    if prices:
        v, w = g.first(row, prices, full[1], 2, key="_money_key")
    else:
        v, w = "MISSING", "None"
    qty = quantity[0] if quantity else "MISSING"
    g.emit(2, f"if {v} is MISSING or {v} is None or not _is_int({qty}):")
    g.emit(3, "return")
    g.emit(2, f"unit = _amount_at({v}, ctx, {w}, idx)")
    g.emit(2, "if unit is None:")
    g.emit(3, "return")
    g.emit(2, f"total = EXACT.multiply(unit, {qty})")
    g.emit(2, f"where = {w}")
    for role, values, paths in (("discount", discounts, full[3]), ("tax", taxes, full[4])):
        if not values:
            g.emit(1, f"{role} = ZERO")
            continue
        rv, rw = g.first(row, values, paths, 1, key="_money_key")
        g.emit(1, f"{role} = ZERO if {rv} is MISSING or {rv} is None else _amount_at({rv}, ctx, {rw}, idx)")
    g.emit(1, "if discount is None or tax is None:")  # both reported first, as the step does
    g.emit(2, "return")
    if included:
        fv, _ = g.first(row, included, full[5], 1)
        g.emit(1, f"if {fv} is True:")
    else:
        g.emit(1, "if False:")
    g.emit(2, "after = EXACT.subtract(total, discount)")
    g.emit(2, "before = EXACT.subtract(after, tax)")
    g.emit(1, "else:")
    g.emit(2, "before = EXACT.subtract(total, discount)")
    g.emit(2, "after = EXACT.add(before, tax)")
    g.emit(1, "if before < 0 or after < 0:")
    g.emit(2, f"_negative_totals(ctx, where, idx, total, discount, tax, {row.id!r})")
    g.emit(2, "return")
    g.emit(1, "currency = ctx.currency")
    for var, target in (("before", step.spec.writes["before"][0]), ("after", step.spec.writes["after"][0])):
        g.emit(1, f"text, amount = computed({var}, currency)")
        g.money(1, "p", "text", "where")
        g.put(1, "p", target)
    src.counter = g.counter
    params = ", ".join(a for role in args for a in role)
    src.extra.append(f"def {name}({params}{', ' if params else ''}out, ctx, idx):")
    src.extra.extend(g.lines)
    inputs = ", ".join(src.read(p) for ps in step.paths for p in ps)
    src.emit(at, f"{name}({inputs}{', ' if inputs else ''}out, ctx, idx)")
    return True


def _emit_line_item_id(src: _Source, row: Row, step: ReadStep, at: int) -> bool:
    """Wix's id from the index, inline for an index not seen before in the order; anything else (no
    index, a bad one, a repeat) is the step's own call."""
    (path,) = step.paths[0]
    targets = list(step.spec.writes.get("value", ()))
    if not path.plain or len(targets) != 1 or not targets[0].plain:
        return False
    v = src.read(path)
    key = src.const(f"{row.id}:seen")
    # Only an index that makes a GUID is spelled out; the step's own call refuses the others.
    valid = f"{v}.__class__ is int and 0 <= {v} <= {MAX_LINE_ITEM_INDEX}"
    src.emit(at, f"s = ctx.seen.get({key}) if {valid} else None")
    src.emit(at, f"if s is None and {valid}:")
    src.emit(at + 1, f"s = ctx.seen[{key}] = {{}}")
    src.emit(at, f"if s is None or {v} in s:")
    src.emit(at + 1, f"{src.const(step)}.run((({v},),), out, ctx, idx)")
    src.emit(at, "else:")
    src.emit(at + 1, f"s[{v}] = At({src.const(step.spec.full.get(path, path))}, idx)")
    src.put(at + 1, f"{src.const(line_item_guid)}({v})", targets[0])
    return True


def _amount_at(value: Any, ctx: Ctx, where: Path, idx: tuple[int, ...]) -> Decimal | None:
    try:
        return parse_amount(value)[1]
    except MoneyError as exc:
        ctx.problem(where.render(idx), str(exc))
        return None


def _negative_totals(
    ctx: Ctx, where: Path, idx: tuple[int, ...], total: Decimal, discount: Decimal, tax: Decimal, row: str
) -> None:
    negative_totals(ctx, where.render(idx), total, discount, tax, row)


def fuse(items: Sequence[Item], scope: str = "order", source: str = "mappings.yaml") -> Step:
    """One step running ``items`` in order: (row or None, its guarded step, its bare step, path relative
    to the scope, full path for messages). Rows with a spelling are spelled out, the rest called. Each
    row's block opens with a comment naming the row and its line in ``source``, which a failure inside
    the block is noted with; ``scope`` names the code for tracebacks and ``mappings --code``."""
    src = _Source()
    for row, guarded, bare, relative, full in items:
        if row is None:
            src.emit(1, "# a step of its own")  # so a failure here is not put down to the row before
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            continue
        src.emit(1, f"# row {row.id} ({source}:{row.line})")
        cond = _condition(src, row, relative)
        if cond is None:
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            continue
        at = 1
        if cond:
            src.emit_if(1, cond, "and")
            at = 2
        mark = len(src.lines)
        if not _emit_row(src, row, bare, relative, full, at):
            del src.lines[mark:]
            src.emit(at, f"{src.const(bare)}(src, out, ctx, idx)")
    code = src.code()
    namespace = dict(src.names)
    namespace["ROWS"] = row_lines(code)
    exec(compile(code, register("plan", scope, code), "exec"), namespace)  # noqa: S102 - our own generated code
    fused: Step = namespace["fused"]
    return fused
