"""Operations that write eCommerce Price objects: an amount as stated, and the line totals eCommerce
derives from price, quantity, discount and tax (exact Decimal arithmetic, never a float)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...money import MoneyError, computed, parse_amount, price
from ...paths import MISSING, Path, get
from ..code import CodeBuilder
from ..context import (
    EXACT,
    ZERO,
    At,
    Ctx,
    Spec,
    Step,
    amount_at,
    first_of,
    is_int,
    money_key,
    pick,
    read_money,
    writer,
    writers,
)
from ..operation import Operation, Proof, ReadStep, RowCode
from ..table import Row


def op_money(spec: Spec) -> Step:
    sources = spec.one_read()
    writes = writers(spec, spec.one_write())

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value, where = first_of(spec, src, sources, ctx, idx, key=money_key)
        if where is None:
            return
        path = spec.at(where, idx)
        if value is None:
            result: Any = None
        else:
            parsed = read_money(value, path, ctx)
            if parsed is None:
                return
            if parsed[0].startswith("-"):
                ctx.signed = True
            result = price(parsed[0], parsed[1], ctx.fmt)
        for w in writes:
            w(out, result, ctx, idx, path)

    return step


def _money_price(value: Any, ctx: Ctx, where: Path, idx: tuple[int, ...]) -> dict[str, str] | None:
    fm = ctx.fmt
    if value.__class__ is str and fm is not None:
        formatted = fm.of_text(value)  # most stored amounts: no Decimal is made of them
        if formatted is not None:
            return {"amount": value, "formattedAmount": formatted}
    try:
        text, amount = parse_amount(value)
    except MoneyError as exc:
        ctx.problem(where.render(idx), str(exc))
        return None
    if text.startswith("-"):
        ctx.signed = True
    return price(text, amount, ctx.fmt)


def emit_price(src: CodeBuilder, at: int, var: str, value: str, where: str) -> None:
    """``var`` = the Price of ``value`` (None after reporting a bad amount): a text formatted before is
    a memo lookup (the memo holds no text with a sign), anything else goes through ``_money_price``,
    which notes one below zero (``Ctx.signed``)."""
    src.emit(at, f"if {value}.__class__ is str and fm is not None and (mf := fm.memo.get({value})) is not None:")
    src.emit(at + 1, f"{var} = {{'amount': {value}, 'formattedAmount': mf}}")
    src.emit(at, "else:")
    src.emit(at + 1, f"{var} = _money_price({value}, ctx, {where}, idx)")


def emit_computed_price(src: CodeBuilder, at: int, var: str, text: str, amount: str) -> None:
    """``var`` = the Price of a computed amount, whose text and Decimal are both at hand."""
    src.emit(at, f"if fm is not None and (mf := fm.memo.get({text})) is not None:")
    src.emit(at + 1, f"{var} = {{'amount': {text}, 'formattedAmount': mf}}")
    src.emit(at, "else:")
    src.emit(at + 1, f"{var} = price({text}, {amount}, fm)")


def emit_money(src: CodeBuilder, rc: RowCode) -> bool:
    row, sources, targets, full, at = rc.row, rc.sources, rc.targets, rc.full, rc.at
    if set(row.params) - {"search"} or set(rc.writes) != {"value"} or not rc.only_value() or not targets:
        return False
    src.use(_money_price=_money_price, _money_key=money_key)
    v, where = src.first(row, [src.read(p) for p in sources], [full(p) for p in sources], at, key="_money_key")
    src.emit(at, f"if {v} is None:")
    src.put_all(at + 1, "None", targets, "{}")
    src.emit(at, f"elif {v} is not MISSING:")
    emit_price(src, at + 1, "p", v, where)
    src.emit(at + 1, "if p is not None:")
    src.put_all(at + 2, "p", targets, "dict({})")
    return True


class _LineTotals(ReadStep):
    __slots__ = ("write_before", "write_after")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("total", "price", "quantity", "discount", "tax", "included"))
        spec.one_read("total")
        if len(self.paths[2]) > 1:
            raise spec.fail("line_totals reads one 'quantity' path")
        self.write_before = writer(spec, spec.one_write("before")[0])
        self.write_after = writer(spec, spec.one_write("after")[0])

    def _amount(self, values: tuple[Any, ...], paths: tuple[Path, ...], ctx: Ctx, idx: tuple[int, ...]) -> Decimal | None:
        if not paths:
            return ZERO
        value, where = pick(self.spec, values, paths, ctx, idx, key=money_key)
        if where is None or value is None:
            return ZERO
        return amount_at(value, self.spec, where, idx, ctx)

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        totals, prices, quantity, discounts, taxes, included = values
        total_paths, price_paths, _, discount_paths, tax_paths, included_paths = self.paths
        value, where = pick(spec, totals, total_paths, ctx, idx, key=money_key)
        if where is not None and value is not None:
            amount = amount_at(value, spec, where, idx, ctx)
            if amount is None:
                return
            total = amount
        else:
            unit, where = pick(spec, prices, price_paths, ctx, idx, key=money_key) if prices else (MISSING, None)
            qty = quantity[0] if quantity else MISSING
            if where is None or unit is None or not is_int(qty):
                return
            amount = amount_at(unit, spec, where, idx, ctx)
            if amount is None:
                return
            total = EXACT.multiply(amount, qty)
        discount = self._amount(discounts, discount_paths, ctx, idx)
        tax = self._amount(taxes, tax_paths, ctx, idx)
        if discount is None or tax is None:
            return
        flag, _ = pick(spec, included, included_paths, ctx, idx) if included else (False, None)
        if flag is True:
            after = EXACT.subtract(total, discount)
            before = EXACT.subtract(after, tax)
        else:
            before = EXACT.subtract(total, discount)
            after = EXACT.add(before, tax)
        path = spec.at(where, idx)
        if before < 0 or after < 0:
            negative_totals(ctx, path, total, discount, tax, spec.row.id)
            return
        # A stored "-0" gives a negative zero: an amount's text has no sign, so it is written as zero.
        before = before.copy_negate() if before.is_signed() else before
        after = after.copy_negate() if after.is_signed() else after
        fmt, currency = ctx.fmt, ctx.currency
        text, rounded = computed(before, currency)
        self.write_before(out, price(text, rounded, fmt), ctx, idx, path)
        text, rounded = computed(after, currency)
        self.write_after(out, price(text, rounded, fmt), ctx, idx, path)


def negative_totals(ctx: Ctx, path: str | At, total: Decimal, discount: Decimal, tax: Decimal, row: str) -> None:
    # Stored data where discount and tax exceed the price: eCommerce amounts are never negative.
    ctx.report(
        "mismatch",
        path,
        f"price {format(total, 'f')} less discount {format(discount, 'f')} and tax {format(tax, 'f')} is negative: "
        "the totals before and after tax are not derivable",
        row,
    )


def op_line_totals(spec: Spec) -> Step:
    return _LineTotals(spec)


def _amount_or_report(value: Any, ctx: Ctx, where: Path, idx: tuple[int, ...]) -> Decimal | None:
    try:
        return parse_amount(value)[1]
    except MoneyError as exc:
        ctx.problem(where.render(idx), str(exc))
        return None


def _negative_totals(
    ctx: Ctx, where: Path, idx: tuple[int, ...], total: Decimal, discount: Decimal, tax: Decimal, row: str
) -> None:
    negative_totals(ctx, where.render(idx), total, discount, tax, row)


def emit_line_totals(src: CodeBuilder, rc: RowCode) -> bool:
    """The line totals as a generated function of the values the scope read (the step's ``run`` is the
    same arithmetic, as a call): one call an item instead of some twenty."""
    row, step, at = rc.row, rc.bare, rc.at
    if not isinstance(step, _LineTotals) or not all(p.plain for ps in step.paths for p in ps):
        return False
    src.use(_money_price=_money_price, _money_key=money_key, _amount_at=_amount_or_report, _negative_totals=_negative_totals)
    src.use(_is_int=is_int, computed=computed, price=price)
    spec = step.spec
    full = [[spec.full.get(p, p) for p in ps] for ps in step.paths]
    args = [[f"a{n}_{m}" for m in range(len(ps))] for n, ps in enumerate(step.paths)]
    totals, prices, quantity, discounts, taxes, included = args
    name = src.fresh("line_totals")
    g = CodeBuilder()  # the helper's own body, spelled with the same tools
    g.names = src.names
    g.counter = src.counter
    g.emit(1, "fm = ctx.fmt")
    v, w = g.first(row, totals, full[0], 1, key="_money_key")
    g.emit(1, f"if {v} is not MISSING and {v} is not None:")
    g.emit(2, f"where = {w}")
    # An amount text read before is in parse_amount's memo: its value without a call.
    g.emit(2, f"total = _parsed({v}, None) if {v}.__class__ is str else None")
    g.emit(2, f"total = total[1] if total is not None else _amount_at({v}, ctx, {w}, idx)")
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
    g.emit(2, f"unit = _parsed({v}, None) if {v}.__class__ is str else None")
    g.emit(2, f"unit = unit[1] if unit is not None else _amount_at({v}, ctx, {w}, idx)")
    g.emit(2, "if unit is None:")
    g.emit(3, "return")
    g.emit(2, f"total = _multiply(unit, {qty})")
    g.emit(2, f"where = {w}")
    for role, values, paths in (("discount", discounts, full[3]), ("tax", taxes, full[4])):
        if not values:
            g.emit(1, f"{role} = ZERO")
            continue
        rv, rw = g.first(row, values, paths, 1, key="_money_key")
        g.emit(1, f"{role} = _parsed({rv}, None) if {rv}.__class__ is str else None")
        g.emit(1, f"if {role} is not None:")
        g.emit(2, f"{role} = {role}[1]")
        g.emit(1, f"elif {rv} is MISSING or {rv} is None:")
        g.emit(2, f"{role} = ZERO")
        g.emit(1, "else:")
        g.emit(2, f"{role} = _amount_at({rv}, ctx, {rw}, idx)")
    g.emit(1, "if discount is None or tax is None:")  # both reported first, as the step does
    g.emit(2, "return")
    if included:
        fv, _ = g.first(row, included, full[5], 1)
        g.emit(1, f"if {fv} is True:")
    else:
        g.emit(1, "if False:")
    g.emit(2, "after = _subtract(total, discount)")
    g.emit(2, "before = _subtract(after, tax)")
    g.emit(1, "else:")
    g.emit(2, "before = _subtract(total, discount)")
    g.emit(2, "after = _add(before, tax)")
    g.emit(1, "if before < 0 or after < 0:")
    g.emit(2, f"_negative_totals(ctx, where, idx, total, discount, tax, {row.id!r})")
    g.emit(2, "return")
    g.emit(1, 'if before.is_signed():  # a negative zero (a stored "-0"): written as zero')
    g.emit(2, "before = before.copy_negate()")
    g.emit(1, "if after.is_signed():")
    g.emit(2, "after = after.copy_negate()")
    g.emit(1, "currency = ctx.currency")
    for var, target in (("before", step.spec.writes["before"][0]), ("after", step.spec.writes["after"][0])):
        g.emit(1, f"text, amount = computed({var}, currency)")
        emit_computed_price(g, 1, "p", "text", "amount")
        g.put(1, "p", target)
    src.counter = g.counter
    params = ", ".join(a for role in args for a in role)
    src.extra.append(f"def {name}({params}{', ' if params else ''}out, ctx, idx):")
    src.extra.extend(g.lines)
    inputs = ", ".join(src.read(p) for ps in step.paths for p in ps)
    src.emit(at, f"{name}({inputs}{', ' if inputs else ''}out, ctx, idx)")
    return True


class _AmountLess(ReadStep):
    """An amount less another (a payment: the total less what a gift card paid). Without the other, the
    amount as stated; with it, the exact difference in the currency's minor units. Nothing is written
    when nothing is left, and an amount, a difference or an amount taken off below zero is reported, not
    written. ``to: {kind: ...}`` gets an empty object beside a written amount that says what sort of
    payment it is, as for ``positive_money``."""

    __slots__ = ("writes", "kind_writes", "missing")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("value", "less"))
        spec.one_read("value")
        self.writes = writers(spec, spec.one_write())
        self.kind_writes = writers(spec, spec.one_write("kind", required=False))
        self.missing = spec.param("missing", str, required=False)

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        value, where = pick(spec, values[0], self.paths[0], ctx, idx, key=money_key)
        if where is None or value is None:
            return
        parsed = read_money(value, spec.at(where, idx), ctx)
        if parsed is None:
            return
        less_value, less_where = pick(spec, values[1], self.paths[1], ctx, idx, key=money_key)
        less = ZERO
        if less_where is not None and less_value is not None:
            found = amount_at(less_value, spec, less_where, idx, ctx)
            if found is None:
                return
            less = found
        path = spec.at(where, idx)
        place = spec.render(less_where or where, idx)
        if less < 0:
            # Less than nothing taken off would make the amount more than was stated.
            ctx.report(
                "mismatch",
                path,
                f"{place} = {format(less, 'f')} is below zero: the amount left is not derivable",
                spec.row.id,
                places=(place,),
            )
            return
        if less == 0:
            if parsed[1] < 0:
                ctx.report("mismatch", path, f"{parsed[0]} is below zero: not a payment", spec.row.id)
                return
            result = price(parsed[0], parsed[1], ctx.fmt)
        else:
            rest = EXACT.subtract(parsed[1], less)
            if rest < 0:
                ctx.report(
                    "mismatch",
                    path,
                    f"{place} = {format(less, 'f')} exceeds {format(parsed[1], 'f')}: the amount left is not derivable",
                    spec.row.id,
                    places=(place,),
                )
                return
            if rest == 0:
                return  # all of it was paid the other way: there is no amount left to write
            text, rounded = computed(rest, ctx.currency)
            if rounded != rest:
                # Amounts stated with more digits than the currency has: a payment keeps every one of them.
                text, rounded = format(rest, "f"), rest
            result = price(text, rounded, ctx.fmt)
        for w in self.writes:
            w(out, result, ctx, idx, path)
        for w in self.kind_writes:
            w(out, {}, ctx, idx, path)
        if self.missing:
            ctx.report("not_derivable", path, self.missing, spec.row.id)


def op_amount_less(spec: Spec) -> Step:
    return _AmountLess(spec)


def op_positive_money(spec: Spec) -> Step:
    """An amount as stated, only when above zero (a gift card of "0" paid nothing); ``to: {kind: ...}``
    gets an empty object that says what sort of payment it is, and ``missing`` what the stored order
    does not say about it."""
    (source,) = spec.one_read()
    amount_writes = writers(spec, spec.one_write())
    kind_writes = writers(spec, spec.one_write("kind", required=False))
    missing = spec.param("missing", str, required=False)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING or value is None:
            return
        path = spec.at(source, idx)
        parsed = read_money(value, path, ctx)
        if parsed is None:
            return
        if parsed[1] == 0:
            ctx.report("dropped", path, f"{parsed[0]} paid nothing: there is no payment to write for it", spec.row.id)
            return
        if parsed[1] < 0:
            ctx.report("mismatch", path, f"{parsed[0]} is below zero: not a payment", spec.row.id)
            return
        result = price(parsed[0], parsed[1], ctx.fmt)
        for w in amount_writes:
            w(out, result, ctx, idx, path)
        for w in kind_writes:
            w(out, {}, ctx, idx, path)
        if missing:
            ctx.report("not_derivable", path, missing, spec.row.id)

    return step


def _prices(_row: Row, role: str) -> Proof | None:
    return None if role == "kind" else "price"  # `kind`: the empty object that says what sort of payment


def _computed_prices(_row: Row, _role: str) -> Proof:
    return "computed price"  # below zero is reported and not written; a negative zero is written as zero


OPERATIONS = (
    Operation("money", op_money, emit_money, proves=_prices, fresh=frozenset({"value"})),
    Operation("line_totals", op_line_totals, emit_line_totals, proves=_computed_prices, fresh=frozenset({"before", "after"})),
    Operation("amount_less", op_amount_less, None, frozenset({"missing"}), fresh=frozenset({"value", "kind"})),
    Operation("positive_money", op_positive_money, None, frozenset({"missing"}), fresh=frozenset({"value", "kind"})),
)
