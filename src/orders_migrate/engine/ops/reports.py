"""Operations that carry nothing and say why: a value to fetch from another API, dropped, not derivable, and
the Stores API's input rules (a field that must be present, or hold one of some values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...jsonio import json_dumps_exact
from ...paths import MISSING, Path, get, is_empty, iter_each
from ...report import describe
from ..code import CodeBuilder
from ..context import (
    Ctx,
    Spec,
    Step,
    present_at,
)
from ..operation import Operation, RowCode


def _report_op(kind: str) -> Callable[[Spec], Step]:
    def compile_report(spec: Spec) -> Step:
        sources = spec.one_read()
        fetch = spec.param("fetch", dict, required=(kind == "fetch"))
        if fetch is not None and not {"api", "endpoint"} <= set(fetch):
            raise spec.fail("'fetch' needs 'api' and 'endpoint'")
        reason = spec.param("reason", str, required=(kind != "fetch"))
        if kind == "fetch":
            reason = f"not in the eCommerce order: fetch from {fetch['api']}, {fetch['endpoint']}"
        if spec.param("absent", bool, required=False, default=False):
            return _absent_step(spec, kind, sources, str(reason))
        # `kept: true`: the stored value goes into the entry, the last copy of something no API still returns.
        kept = spec.param("kept", bool, required=False, default=False)

        def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
            for p in sources:
                for sub_idx, value in iter_each(src, p, idx) if p.has_each else present_at(src, p, idx):
                    if is_empty(value):
                        continue
                    message = f"{reason}; kept here, as stored: {json_dumps_exact(value, ensure_ascii=False)}" if kept else reason
                    ctx.report(kind, spec.render(p, sub_idx), str(message), spec.row.id, dict(fetch) if fetch else None)

        return step

    return compile_report


def _absent_step(spec: Spec, kind: str, sources: tuple[Path, ...], reason: str) -> Step:
    """``absent: true``: an eCommerce field the Stores object has no field for, reported at the path Stores
    would have held it at when the row's condition holds (``if_present`` its object). The entry names no
    Stores object, so the unmapped report still walks everything inside that object."""
    host_path = spec.row.if_present
    if host_path is None:
        raise spec.fail("'absent' needs 'if_present': the object whose field Stores does not have")

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        host = get(src, host_path)
        if not isinstance(host, dict) or not host:
            return  # no such object to miss a field of (an empty one, or a value of another kind, is reported as it is)
        for p in sources:
            if get(src, p) is MISSING:
                ctx.report(kind, spec.render(p, idx), reason, spec.row.id)

    return step


def _emit_report(kind: str) -> Callable[[CodeBuilder, RowCode], bool]:
    def emit_report(src: CodeBuilder, rc: RowCode) -> bool:
        """One entry for each non-empty value read (the step walks ``[i]`` paths and guarded rows itself)."""
        row, at = rc.row, rc.at
        if set(rc.reads) != {"value"} or row.params.get("absent") or row.params.get("kept"):
            return False
        fetch = row.params.get("fetch")
        reason = row.params.get("reason")
        if kind == "fetch" and isinstance(fetch, dict):
            reason = f"not in the eCommerce order: fetch from {fetch['api']}, {fetch['endpoint']}"
        fetch_arg = f"dict({src.const(fetch)})" if isinstance(fetch, dict) else "None"
        for p in rc.sources:
            v = src.read(p)
            src.emit(at, f"if {v} is not MISSING and {v} is not None and {v} != '' and {v} != [] and {v} != {{}}:")
            src.entry(at + 1, [repr(kind), f"{src.const(rc.full(p))}.render(idx)", repr(reason), repr(row.id), fetch_arg])
        return True

    return emit_report


def op_expect_present(spec: Spec) -> Step:
    (source,) = spec.one_read()
    reason = spec.param("reason", str)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        if get(src, source) in (MISSING, None):
            ctx.report("rule", spec.render(source, idx), f"missing: {reason}", spec.row.id)

    return step


def emit_expect_present(src: CodeBuilder, rc: RowCode) -> bool:
    if len(rc.sources) != 1:
        return False
    v = src.read(rc.sources[0])
    src.emit(rc.at, f"if {v} is MISSING or {v} is None:")
    message = f"missing: {rc.row.params['reason']}"
    src.entry(rc.at + 1, ["'rule'", f"{src.const(rc.full(rc.sources[0]))}.render(idx)", repr(message), repr(rc.row.id)])
    return True


def op_expect_value(spec: Spec) -> Step:
    (source,) = spec.one_read()
    values = spec.param("values", list)
    reason = spec.param("reason", str)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value not in (MISSING, None) and value not in values:
            ctx.report("rule", spec.render(source, idx), f"{describe(value)}: {reason}", spec.row.id)

    return step


def emit_expect_value(src: CodeBuilder, rc: RowCode) -> bool:
    row = rc.row
    if len(rc.sources) != 1 or not isinstance(row.params.get("values"), list):
        return False
    v = src.read(rc.sources[0])
    src.emit(rc.at, f"if {v} is not MISSING and {v} is not None and {v} not in {src.const(list(row.params['values']))}:")
    message = repr(f": {row.params['reason']}")
    src.entry(
        rc.at + 1, ["'rule'", f"{src.const(rc.full(rc.sources[0]))}.render(idx)", f"describe({v}) + {message}", repr(row.id)]
    )
    return True


OPERATIONS = (
    Operation(
        "not_carried",
        _report_op("fetch"),
        _emit_report("fetch"),
        frozenset({"fetch", "reason", "kept"}),
        iterates=True,
        report="fetch",
    ),
    Operation("dropped", _report_op("dropped"), _emit_report("dropped"), frozenset({"reason"}), iterates=True, report="dropped"),
    Operation(
        "not_derivable",
        _report_op("not_derivable"),
        _emit_report("not_derivable"),
        frozenset({"reason", "absent"}),
        iterates=True,
        report="not_derivable",
    ),
    Operation("expect_present", op_expect_present, emit_expect_present, frozenset({"reason"})),
    Operation("expect_value", op_expect_value, emit_expect_value, frozenset({"reason", "values"})),
)
