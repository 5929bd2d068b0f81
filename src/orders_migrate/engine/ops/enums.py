"""Operations that map a Stores value to eCommerce's: through an enum map, to one of several fields by a
discriminator (``split``), or the first rule whose conditions hold (``first_match``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...paths import MISSING, Path, get
from ...report import Entry, describe
from ..code import CodeBuilder
from ..context import (
    Ctx,
    Spec,
    Step,
    copied,
    first_of,
    writer,
    writers,
)
from ..operation import Operation, RowCode, proves
from ..table import Row


def op_enum(spec: Spec) -> Step:
    (source,) = spec.one_read()
    targets = spec.one_write(required=False)
    values = spec.param("values", list)
    mapping = spec.param("map", dict)
    not_derivable = spec.param("not_derivable", dict, required=False, default={})
    for v in values:
        if v not in mapping and v not in not_derivable:
            raise spec.fail(f"enum map has no entry for the source value {v!r}")
    for v in list(mapping) + list(not_derivable):
        if v not in values:
            raise spec.fail(f"enum map entry {v!r} is not one of the listed source values")
    if any(mapping[v] is not None for v in mapping) and not targets:
        raise spec.fail("enum map writes values but the row has no 'to'")
    writes = writers(spec, targets)
    documented = ", ".join(values)
    # The map's objects are the table's own: each order gets a copy (a deep one where a copy of the map's
    # values one level down would still share one).
    deep = _deep(mapping)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING:
            return
        path = spec.at(source, idx)
        if value is None:
            for w in writes:
                w(out, None, ctx, idx, path)
            return
        if isinstance(value, str) and value in mapping:
            target_value = mapping[value]
            if target_value is None:
                return
            if deep:
                target_value = copied(target_value)
            elif isinstance(target_value, dict):
                target_value = dict(target_value)
            for w in writes:
                w(out, target_value, ctx, idx, path)
        elif isinstance(value, str) and value in not_derivable:
            ctx.report("not_derivable", path, not_derivable[value], spec.row.id)
        else:
            ctx.report(
                "unknown_value", path, f"{describe(value)} is not a documented value ({documented}); not carried", spec.row.id
            )

    return step


def _deep(mapping: dict[str, Any]) -> bool:
    """Whether an enum map has a list, or an object holding an object or a list: ``dict(value)`` would share it."""
    return any(
        isinstance(v, list) or (isinstance(v, dict) and any(isinstance(x, (dict, list)) for x in v.values()))
        for v in mapping.values()
    )


def _unknown(ctx: Ctx, where: Path, idx: tuple[int, ...], value: Any, documented: str, row: str) -> None:
    ctx.entries.append(
        Entry("unknown_value", where.render(idx), f"{describe(value)} is not a documented value ({documented}); not carried", row)
    )


def emit_enum(src: CodeBuilder, rc: RowCode) -> bool:
    if len(rc.sources) != 1:
        return False
    row, source, targets, full, at = rc.row, rc.sources[0], rc.targets, rc.full, rc.at
    mapping = row.params.get("map")
    not_derivable = row.params.get("not_derivable") or {}
    values = row.params.get("values")
    if not isinstance(mapping, dict) or not isinstance(not_derivable, dict) or not isinstance(values, list):
        return False
    src.use(_unknown=_unknown)
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
        src.emit(at + 2, "t = _copied(t)" if _deep(mapping) else "if t.__class__ is dict: t = dict(t)")
        src.put_all(at + 2, "t", targets)
    return True


def op_split(spec: Spec) -> Step:
    (source,) = spec.one_read()
    by = spec.one_read("by")
    values = spec.param("values", list)
    cases = spec.param("cases", dict)
    for v in values:
        if v not in cases:
            raise spec.fail(f"split has no case for the discriminator value {v!r}")
    targets: dict[str, Any] = {}
    for value, case in cases.items():
        if isinstance(case, dict):
            if set(case) != {"not_derivable"}:
                raise spec.fail(f"case {value!r} must be a path or {{not_derivable: reason}}")
            targets[value] = case["not_derivable"]
        else:
            (target,) = spec.writes[f"case:{value}"]
            targets[value] = writer(spec, target)
    documented = ", ".join(values)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING or value is None:
            return
        path = spec.at(source, idx)
        kind, where = first_of(spec, src, by, ctx, idx)
        if where is None:
            ctx.report("not_derivable", path, f"no {by[0].text} says which eCommerce field this id belongs to", spec.row.id)
            return
        target = targets.get(kind) if isinstance(kind, str) else None
        if target is None:
            place = spec.render(where, idx)
            ctx.report(
                "unknown_value",
                path,
                f"{place} = {describe(kind)} is not a documented value ({documented}); the id is not carried",
                spec.row.id,
                places=(place,),
            )
        elif isinstance(target, str):
            ctx.report("not_derivable", path, target, spec.row.id)
        else:
            if not isinstance(value, str):
                ctx.problem(path, f"expected a string, got {describe(value)}")
                return
            target(out, value, ctx, idx, path)

    return step


def op_first_match(spec: Spec) -> Step:
    (target,) = spec.one_write()
    write = writer(spec, target)
    rules_raw = spec.param("rules", list)
    default = spec.param("default", str)
    readable = {p.text: p for p in spec.one_read()}
    rules: list[tuple[tuple[tuple[Path, Any], ...], Any]] = []
    for rule in rules_raw:
        if not isinstance(rule, dict) or "when" not in rule or "value" not in rule:
            raise spec.fail("each rule needs 'when' and 'value'")
        conds = []
        for p, v in rule["when"].items():
            if p not in readable:
                raise spec.fail(f"rule condition on {p!r}, which the row does not read ('from')")
            conds.append((readable[p], v))
        rules.append((tuple(conds), rule["value"]))
    first = spec.render(spec.one_read()[0], ())

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        for conds, value in rules:
            if all(get(src, p) == v for p, v in conds):
                write(out, copied(value), ctx, idx, first)  # an object of the table: each order its own
                return
        if any(get(src, p) not in (MISSING, None) for p in readable.values()):
            write(out, default, ctx, idx, first)  # with neither status known, no status is invented

    return step


def emit_split(src: CodeBuilder, rc: RowCode) -> bool:
    """The id written to its case's field when the discriminator is one of the cases with a field and
    its alternatives agree; anything else (none, a disagreement to report, an unknown or not derivable
    case, an id of another type) is the step's own call, which starts over."""
    row, at = rc.row, rc.at
    by, cases = rc.reads.get("by", []), row.params.get("cases")
    if row.agree or len(rc.sources) != 1 or not by or len(by) > 2 or not isinstance(cases, dict):
        return False
    fields = {value: rc.writes[f"case:{value}"][0] for value, case in cases.items() if not isinstance(case, dict)}
    if not all(isinstance(value, str) for value in fields) or set(rc.writes) != {f"case:{v}" for v in fields}:
        return False
    v, kinds = src.read(rc.sources[0]), [src.read(p) for p in by]
    k, known = kinds[0], src.fresh("known")
    src.emit(at, f"{known} = {k}.__class__ is str and {k} in {src.const(frozenset(fields))}")
    if len(kinds) == 2:  # the second alternative absent, or the same value: first_of has nothing to say
        other = kinds[1]
        src.emit(at, f"if {known} and {other} is not MISSING:")
        src.emit(at + 1, f"{known} = {other}.__class__ is {k}.__class__ and {other} == {k}")
    step = src.const(rc.bare)
    src.emit(at, f"if {known} and {v}.__class__ is str:")
    for n, (value, target) in enumerate(fields.items()):
        src.emit(at + 1, f"{'if' if n == 0 else 'elif'} {k} == {value!r}:")
        src.put(at + 2, v, target)
    src.emit(at, f"elif {v} is not MISSING and {v} is not None:")
    src.emit(at + 1, f"{step}(src, out, ctx, idx)")
    return True


def emit_first_match(src: CodeBuilder, rc: RowCode) -> bool:
    """The rules in order, each a comparison of values read with the scope, then the default when any
    status is known: the step's own logic, spelled out."""
    row, at = rc.row, rc.at
    rules, default = row.params.get("rules"), row.params.get("default")
    if row.agree or len(rc.targets) != 1 or not isinstance(rules, list):
        return False
    read = {p.text: src.read(rel) for p, rel in zip(row.reads["value"], rc.sources, strict=True)}
    keyword = "if"
    for rule in rules:
        conditions = " and ".join(f"{read[p]} == {_literal(src, v)}" for p, v in rule["when"].items())
        src.emit(at, f"{keyword} {conditions}:")
        value = _literal(src, rule["value"])
        # An object or a list of the table: each order its own.
        src.put(at + 1, f"_copied({value})" if isinstance(rule["value"], (dict, list)) else value, rc.targets[0])
        keyword = "elif"
    known = " or ".join(f"({v} is not MISSING and {v} is not None)" for v in read.values())
    src.emit(at, f"{keyword} {known}:")
    src.put(at + 1, _literal(src, default), rc.targets[0])
    return True


def _literal(src: CodeBuilder, value: Any) -> str:
    """A rule's value as the code spells it: a string in the text, anything else a constant."""
    return repr(value) if value.__class__ is str else src.const(value)


def _enum_constants(row: Row) -> Iterable[tuple[Path, Any]]:
    mapping = row.params.get("map")
    values = [v for v in mapping.values() if v is not None] if isinstance(mapping, dict) else []
    return [(target, value) for target in row.writes.get("value", ()) for value in values]


def _rule_constants(row: Row) -> Iterable[tuple[Path, Any]]:
    rules = row.params.get("rules")
    values = [rule["value"] for rule in rules if isinstance(rule, dict) and "value" in rule] if isinstance(rules, list) else []
    values.append(row.params.get("default"))
    return [(target, value) for target in row.writes.get("value", ()) for value in values]


OPERATIONS = (
    Operation(
        "enum",
        op_enum,
        emit_enum,
        frozenset({"map", "values", "not_derivable"}),
        search="enum",
        constants=_enum_constants,
        proves=proves("constants"),
    ),
    Operation("split", op_split, emit_split, frozenset({"cases", "values"}), frozenset({"by"}), search="split"),
    Operation(
        "first_match",
        op_first_match,
        emit_first_match,
        frozenset({"rules", "default"}),
        search="derived",
        constants=_rule_constants,
        proves=proves("constants"),
    ),
)
