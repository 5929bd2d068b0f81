"""Compile runs of simple rows into one generated Python function (compile once, apply many).

Most rows are plain copies and money conversions between fixed object paths. Calling a closure per
row, then a writer, then a generic path walker costs several function calls a field; here such rows
become straight-line code with their paths spelled out, and every other row stays a call to its own
step. The generated function keeps all per-order state in locals and arguments, like the steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .money import MoneyError, parse_amount, price
from .ops import _TYPES, Ctx, Step, describe
from .paths import MISSING, Path
from .table import Row


def inlinable(row: Row, scope_relative: Callable[[Path], Path]) -> bool:
    """A row the generator can spell out: one plain source, plain targets, no conditions, no cross-check."""
    if row.op not in ("copy", "money") or row.agree:
        return False
    if row.if_present or row.unless_present or row.when or row.unless:
        return False
    sources, targets = row.reads.get("value", ()), row.writes.get("value", ())
    if set(row.reads) != {"value"} or set(row.writes) != {"value"} or len(sources) != 1 or not targets:
        return False
    if row.op == "money" and set(row.params) - {"search"}:
        return False
    if row.op == "copy" and set(row.params) - {"type", "minimum", "search"}:
        return False
    return all(scope_relative(p).plain for p in (*sources, *targets))


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


class _Source:
    """Collects the generated lines and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "MISSING": MISSING,
            "_money_price": _money_price,
            "_wrong_type": _wrong_type,
            "_too_small": _too_small,
            "_deepcopy": copy.deepcopy,
            "Decimal": Decimal,
        }
        self.counter = 0

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"K{self.counter}"
        self.names[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def get(self, indent: int, var: str, path: Path) -> None:
        keys = path.segments
        if len(keys) == 1:
            self.emit(indent, f"{var} = src.get({keys[0]!r}, MISSING)")
            return
        self.emit(indent, f"{var} = src.get({keys[0]!r})")
        for key in keys[1:]:
            self.emit(indent, f"{var} = {var}.get({key!r}, MISSING) if {var}.__class__ is dict else MISSING")

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


def fuse(items: Sequence[tuple[Row | None, Step, Callable[[Path], Path], Callable[[Path], Path]]]) -> Step:
    """One step running ``items`` in order: (row or None, its compiled step, path relative to the
    scope, full path for messages). Inlinable rows are spelled out, the rest called."""
    src = _Source()
    for row, step, relative, full in items:
        if row is None or not inlinable(row, relative):
            src.emit(1, f"{src.const(step)}(src, out, ctx, idx)")
            continue
        source = relative(row.reads["value"][0])
        targets = [relative(p) for p in row.writes["value"]]
        where = src.const(full(row.reads["value"][0]))
        src.emit(1, f"# {row.id}")
        src.get(1, "v", source)
        src.emit(1, "if v is not MISSING:")
        if row.op == "money":
            src.emit(2, "p = None if v is None else _money_price(v, ctx, " + where + ", idx)")
            src.emit(2, "if v is None or p is not None:")
            for n, target in enumerate(targets):
                src.put(3, "p" if n == 0 else "(None if p is None else dict(p))", target)
            continue
        body = 2
        type_name = row.params.get("type")
        if type_name is not None:
            check, expected = _TYPES[type_name]
            src.emit(2, f"if v is not None and not {src.const(check)}(v):")
            src.emit(3, f"_wrong_type(ctx, {where}, idx, {expected!r}, v)")
            src.emit(2, "else:")
            body = 3
        minimum = row.params.get("minimum")
        if minimum is not None:
            src.emit(body, f"if v.__class__ in (int, Decimal) and v < {int(minimum)}:")
            src.emit(body + 1, f"_too_small(ctx, {where}, idx, {int(minimum)}, v)")
            src.emit(body, "else:")
            body += 1
        for n, target in enumerate(targets):
            value = "v" if n == 0 else "(_deepcopy(v) if v.__class__ in (dict, list) else v)"
            src.put(body, value, target)
    code = "def fused(src, out, ctx, idx):\n" + ("\n".join(src.lines) or "    pass") + "\n"
    namespace = dict(src.names)
    exec(compile(code, "<orders-migrate plan>", "exec"), namespace)  # noqa: S102 - our own generated code
    fused: Step = namespace["fused"]
    return fused
