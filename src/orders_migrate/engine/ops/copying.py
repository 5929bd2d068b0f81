"""Operations that carry a value as it is or as the number or text eCommerce wants."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...paths import MISSING, Path, get
from ...report import describe
from ..code import CodeBuilder, type_test
from ..context import (
    SKIP,
    TYPES,
    At,
    Ctx,
    Spec,
    Step,
    disagree,
    first_of,
    read_money,
    type_check,
    writers,
)
from ..operation import Operation, RowCode, emit_value_step, proves, proves_type, value_op
from ..table import Row


def op_copy(spec: Spec) -> Step:
    sources = spec.one_read()
    writes = writers(spec, spec.one_write())
    check = type_check(spec)
    minimum = spec.param("minimum", int, required=False)
    agree = spec.row.agree  # only an agreeing write ever names the source path
    # An object or a list is the caller's own: the output gets a copy of it (writers copies for the others).
    containers = spec.row.params.get("type") in (None, "object", "array")

    def valid(value: Any, where: Path, ctx: Ctx, idx: tuple[int, ...]) -> bool:
        if value is not None and check is not None and not check[0](value):
            ctx.problem(spec.render(where, idx), f"expected {check[1]}, got {describe(value)}")
            return False
        if minimum is not None and isinstance(value, (int, Decimal)) and value < minimum:
            ctx.problem(spec.render(where, idx), f"must be at least {minimum}, got {describe(value)}")
            return False
        return True

    single = sources[0] if len(sources) == 1 else None  # the common case skips first_of's bookkeeping

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        where: Path | None
        if single is not None:
            value, where = get(src, single), single
            if value is MISSING:
                return
        else:
            value, where = first_of(spec, src, sources, ctx, idx)
            if where is None:
                return
        if where is None or not valid(value, where, ctx, idx):
            return
        path = spec.at(where, idx) if agree else ""
        if containers and isinstance(value, (dict, list)):
            value = copy.deepcopy(value)
        for w in writes:
            w(out, value, ctx, idx, path)

    return step


def _wrong_type(ctx: Ctx, where: Path, idx: tuple[int, ...], expected: str, value: Any) -> None:
    ctx.problem(where.render(idx), f"expected {expected}, got {describe(value)}")


def _too_small(ctx: Ctx, where: Path, idx: tuple[int, ...], minimum: int, value: Any) -> None:
    ctx.problem(where.render(idx), f"must be at least {minimum}, got {describe(value)}")


def emit_copy(src: CodeBuilder, rc: RowCode) -> bool:
    row, sources, targets, full, at = rc.row, rc.sources, rc.targets, rc.full, rc.at
    if set(row.params) - {"type", "minimum", "search"} or set(rc.writes) != {"value"} or not rc.only_value() or not targets:
        return False
    src.use(_wrong_type=_wrong_type, _too_small=_too_small)
    v, where = src.first(row, [src.read(p) for p in sources], [full(p) for p in sources], at)
    src.emit(at, f"if {v} is not MISSING:")
    body = at + 1
    type_name = row.params.get("type")
    if type_name is not None:
        expected = TYPES[type_name][1]
        src.emit(body, f"if {v} is not None and not ({type_test(src, type_name, v)}):")
        src.emit(body + 1, f"_wrong_type(ctx, {where}, idx, {expected!r}, {v})")
        src.emit(body, "else:")
        body += 1
    minimum = row.params.get("minimum")
    if minimum is not None:
        src.emit(body, f"if isinstance({v}, (int, Decimal)) and {v} < {int(minimum)}:")
        src.emit(body + 1, f"_too_small(ctx, {where}, idx, {int(minimum)}, {v})")
        src.emit(body, "else:")
        body += 1
    value = v
    if type_name in (None, "object", "array"):
        # An object or a list is the caller's own: the output gets a copy of it (a local of its own, as
        # the scope's other rows read the input's value).
        value = src.fresh("c")
        src.emit(body, f"{value} = _copied({v})")
    if not row.agree:
        src.put_all(body, value, targets)
        return True
    src.use(_disagree=disagree, At=At)
    for n, target in enumerate(targets):  # as writer's write_agree: an earlier value is kept, a different one reported
        holder, key = src.out_holder(body, target), target.segments[-1]
        e = src.fresh("e")
        src.emit(body, f"{e} = {holder}.get({key!r}, MISSING)")
        src.emit(body, f"if {e} is MISSING or {e} is None:")
        src.emit(body + 1, f"{holder}[{key!r}] = {value if n == 0 else f'_copied({v})'}")
        src.emit(body, f"elif {e} != {v}:")
        src.call(body + 1, "_disagree", ["ctx", f"At({where}, idx)", v, e, repr(target.text), repr(row.id)])
    return True


def op_to_string(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or (isinstance(value, str) and value.isascii() and value.isdigit()):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return str(value)
            except ValueError:  # beyond the interpreter's digit limit (4300 unless set otherwise)
                ctx.problem(path, "expected an integer, got one with more digits than can be written as text")
                return SKIP
        ctx.problem(path, f"expected an integer, got {describe(value)}")
        return SKIP

    return value_op(spec, convert)


def op_to_number(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value  # a weight, not money: a JSON number is already what eCommerce wants
        if isinstance(value, Decimal) and value.is_finite():
            return value  # already a JSON number: written back with the digits it was read with
        parsed = read_money(value, path, ctx)
        if parsed is None:
            return SKIP
        text, amount = parsed
        return json_number(text, amount)

    return value_op(spec, convert)


def json_number(text: str, amount: Decimal) -> int | float | Decimal:
    """A decimal text as the JSON number eCommerce takes: an integer, or a float where the float is that
    very number (``1.10`` as ``1.1``); else the Decimal itself, whose digits the writers keep: a float of
    ``0.12345678901234567890`` would be ``0.12345678901234568``, another weight."""
    if "." not in text:
        return int(amount)
    number = float(amount)
    return number if Decimal(repr(number)) == amount else amount


def _to_number_shortcut(src: CodeBuilder, v: str, at: int) -> None:
    # A JSON number is already what eCommerce wants, an exact fraction as it was read; a decimal text
    # parsed before (parse_amount's memo) is converted as the step converts it, without the call.
    src.use(_json_number=json_number)
    src.emit(at, f"r = {v} if {v}.__class__ is int or {v}.__class__ is float else SKIP")
    src.emit(at, f"if {v}.__class__ is Decimal and {v}.is_finite():")
    src.emit(at + 1, f"r = {v}")
    src.emit(at, f"elif {v}.__class__ is str and (pm := _parsed({v}, None)) is not None:")
    src.emit(at + 1, "r = _json_number(pm[0], pm[1])")


def emit_to_number(src: CodeBuilder, rc: RowCode) -> bool:
    return emit_value_step(src, rc, _to_number_shortcut)


def op_constant(spec: Spec) -> Step:
    (source,) = spec.one_read()
    writes = writers(spec, spec.one_write())
    if "value" not in spec.row.params:
        raise spec.fail("operation 'constant' needs 'value'")
    constant = spec.row.params["value"]
    if isinstance(constant, (dict, list)):
        raise spec.fail("a constant must be a plain value, not an object or a list")

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        trigger = get(src, source)
        if trigger is MISSING or trigger is None or trigger == "":
            return
        path = spec.at(source, idx)
        for w in writes:
            w(out, constant, ctx, idx, path)

    return step


def emit_constant(src: CodeBuilder, rc: RowCode) -> bool:
    if len(rc.sources) != 1 or not rc.only_value() or not rc.targets:
        return False
    v = src.read(rc.sources[0])
    src.emit(rc.at, f"if {v} is not MISSING and {v} is not None and {v} != '':")
    src.put_all(rc.at + 1, src.const(rc.row.params["value"]), rc.targets, "{}")
    return True


def op_plain_value(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        # The protobuf view wraps a value as {"stringValue": "..."}; the wire carries it plain.
        if isinstance(value, dict) and len(value) == 1:
            (key,) = value
            if key.endswith("Value"):
                return value[key]
        return value

    return value_op(spec, convert)


def op_negate(spec: Spec) -> Step:
    """A flag turned round: Stores says what may be done (refundable), eCommerce what may not (refundDisabled)."""

    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or isinstance(value, bool):
            return None if value is None else not value
        ctx.problem(path, f"expected true or false, got {describe(value)}")
        return SKIP

    return value_op(spec, convert)


def _constant_constants(row: Row) -> Iterable[tuple[Path, Any]]:
    return [(target, row.params.get("value")) for target in row.writes.get("value", ())]


OPERATIONS = (
    Operation("copy", op_copy, emit_copy, frozenset({"type", "minimum"}), search="same", agrees=True, proves=proves_type),
    Operation("to_string", op_to_string, search="to_string", proves=proves("string")),
    Operation("to_number", op_to_number, emit_to_number),
    # Its `from` only says when to write the constant: that value is carried (or not) by its own rows.
    Operation(
        "constant",
        op_constant,
        emit_constant,
        frozenset({"value"}),
        constants=_constant_constants,
        compared=frozenset({"value"}),
        proves=proves("constants"),
    ),
    Operation("plain_value", op_plain_value),
    Operation("negate", op_negate, proves=proves("boolean")),
)
