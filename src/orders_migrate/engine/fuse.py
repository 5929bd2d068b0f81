"""Fuse the rows of one scope (the order, a line item, an address) into one generated function: each
row's conditions, then its operation's spelling of its common case, or a call to its own step when the
operation has none. Every operation keeps one meaning whichever way it runs (tests/test_compiled.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..paths import Path
from .code import CodeBuilder
from .context import Step
from .generated import compiled, register, row_lines
from .operation import RowCode, emit_read_step, emit_value_step
from .ops import OPERATIONS
from .table import Row

# (row or None for a step of its own, its guarded step, its bare step, path relative to the scope, full path)
Item = tuple[Row | None, Step, Step, Callable[[Path], Path], Callable[[Path], Path]]


def _condition(src: CodeBuilder, row: Row, relative: Callable[[Path], Path], tests: dict[object, str]) -> list[str] | None:
    """The row's conditions, all of which must hold; none when it has none, None when one is not spelled
    out (a condition over every element of a list). Each test is a local computed where it is first
    needed, at the top of the function: eight media rows of a line item ask the one mediaType question."""
    parts = _tests(src, row, relative, tests)
    if parts is None:
        return None
    names = []
    for part, negate in parts:  # tests also names the constants, by value: no test text is a frozenset
        name = tests.get(part)
        if name is None:
            name = tests[part] = src.fresh("holds")
            src.emit(1, f"{name} = {part}")
        names.append(f"not {name}" if negate else name)
    return names


def _tests(
    src: CodeBuilder, row: Row, relative: Callable[[Path], Path], tests: dict[object, str]
) -> list[tuple[str, bool]] | None:
    """Each test of the row's conditions, and whether it must not hold."""
    if row.if_written is not None or row.unless_written is not None:
        return None  # a condition on the output, with its report: the guarded step has it
    parts: list[tuple[str, bool]] = []
    for path, negate in ((row.if_present, False), (row.unless_present, True)):
        if path is None:
            continue
        rel = relative(path)
        if not rel.fixed:
            return None
        v = src.read(rel)
        parts.append((f"({v} is not MISSING and {v} is not None)", negate))
    for conds, negate in ((row.when, False), (row.unless, True)):
        for path, values in conds:
            rel = relative(path)
            if not rel.fixed:
                return None
            v = src.read(rel)
            listed = frozenset(x for x in values if x is not None)
            allowed = tests.get(listed)  # the same values, one constant: the same test text
            if allowed is None:
                allowed = tests[listed] = src.const(listed)
            test = f"(({v}.__class__ is str or isinstance({v}, str)) and {v} in {allowed})"
            if None in values:
                test = f"({v} is MISSING or {v} is None or {test})"
            parts.append((test, negate))
    return parts


def emit_row(
    src: CodeBuilder, row: Row, bare: Step, relative: Callable[[Path], Path], full: Callable[[Path], Path], at: int
) -> bool:
    """Spell out one row's common case at indent ``at``; False when the row stays a call."""
    if row.agree and not OPERATIONS[row.op].agrees:
        return False
    reads = {role: [relative(p) for p in ps] for role, ps in row.reads.items()}
    writes = {role: [relative(p) for p in ps] for role, ps in row.writes.items()}
    # A fixed index (customFields[0].value) is spelled like a key; a written path ends in a key.
    if not OPERATIONS[row.op].lists and not (
        all(p.fixed for ps in reads.values() for p in ps)
        and all(p.fixed and isinstance(p.segments[-1], str) for ps in writes.values() for p in ps)
    ):
        return False
    fulls = {relative(p): full(p) for ps in row.reads.values() for p in ps}
    # The path as the user's file spells it, for messages.
    rc = RowCode(row, bare, reads, writes, fulls.__getitem__, at)
    emit = OPERATIONS[row.op].emit
    if emit is not None:
        return emit(src, rc)
    return emit_read_step(src, rc) or emit_value_step(src, rc)


def fuse(items: Sequence[Item], scope: str = "order", source: str = "mappings.yaml") -> Step:
    """One step running ``items`` in order: (row or None, its guarded step, its bare step, path relative
    to the scope, full path for messages). Rows with a spelling are spelled out, the rest called. Each
    row's block opens with a comment naming the row and its line in ``source``, which a failure inside
    the block is noted with; ``scope`` names the code for tracebacks and ``mappings --code``."""
    src = CodeBuilder()
    src.cache_holders([relative(p) for row, _, _, relative, _ in items if row is not None for p in row.all_writes()])
    tests: dict[object, str] = {}
    for row, guarded, bare, relative, full in items:
        if row is None:
            src.emit(1, "# a step of its own")  # so a failure here is not put down to the row before
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            src.forget_holders(1)
            continue
        src.emit(1, f"# row {row.id} ({source}:{row.line})")
        cond = _condition(src, row, relative, tests)
        if cond is None:
            src.emit(1, f"{src.const(guarded)}(src, out, ctx, idx)")
            continue
        at = 1
        if cond:
            src.emit_if(1, cond, "and")
            at = 2
        mark = len(src.lines)
        if not emit_row(src, row, bare, relative, full, at):
            del src.lines[mark:]
            src.emit(at, f"{src.const(bare)}(src, out, ctx, idx)")
    code = src.code()
    namespace = dict(src.names)
    namespace["ROWS"] = row_lines(code)
    exec(compiled(code, register("plan", scope, code)), namespace)  # noqa: S102 - our own generated code
    fused: Step = namespace["fused"]
    return fused
