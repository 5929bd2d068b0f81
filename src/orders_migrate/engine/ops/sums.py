"""Operations that check a stated total against what its parts add up to: the sum of one key over a
list's elements (``sum_check``, with its code emitter) and the Stores identity of the order's totals
(``total_check``). A broken identity is a ``mismatch`` at the Stores path."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any, cast

from ...money import MoneyError, amount_value, parse_amount
from ...paths import MISSING, Path, get, reader_of
from ...report import describe
from ..code import CodeBuilder
from ..context import EXACT, ONE, ZERO, Ctx, Spec, Step, read_money
from ..operation import Operation, RowCode


class Each:
    """A path over one list, compiled once: the list's keys and the keys inside one element. Reading it
    gives (position, value) for every element holding a value, as ``iter_each`` does."""

    __slots__ = ("head", "plain", "tail", "values")

    def __init__(self, path: Path):
        split = path.split_each()
        self.plain = split is not None and split[0].plain and split[1].plain
        self.head = split[0] if split else path
        self.tail = split[1].render()[1:] if split else ""  # ".amount": the key inside one element, as rendered
        self.values: Callable[[list[Any]], list[tuple[int, Any]]] = _values_of(
            tuple(str(s) for s in split[1].segments) if split and self.plain else ()
        )

    def items(self, src: Any) -> Any:
        value = get(src, self.head)
        return value if isinstance(value, list) else None


def _values_of(tail: tuple[str, ...]) -> Callable[[list[Any]], list[tuple[int, Any]]]:
    """``values(items)``: (position, value) of every element holding a value at ``tail``, as generated
    code (one lookup a key, no loop over the keys)."""
    lines = ["def values(items):", "    found = []", "    for n, v in enumerate(items):"]
    for key in tail:
        lines.append(f"        v = v.get({key!r}, MISSING) if v.__class__ is dict or isinstance(v, dict) else MISSING")
    lines.append("        if v is not MISSING:")
    lines.append("            found.append((n, v))")
    lines.append("    return found")
    namespace: dict[str, Any] = {"MISSING": MISSING}
    exec(compile("\n".join(lines) + "\n", "<orders-migrate each>", "exec"), namespace)  # noqa: S102 - our own generated code
    values: Callable[[list[Any]], list[tuple[int, Any]]] = namespace["values"]
    return values


class _SumCheck:
    """A stated total against the sum of one key over a list's elements (times another key of each)."""

    __slots__ = ("spec", "source", "items", "each", "times", "carried", "complete", "over", "fate")

    def __init__(self, spec: Spec):
        (self.source,) = spec.one_read()
        term = spec.one_read("sum")[0]
        factor = spec.reads.get("times", (None,))[0]
        self.items = term.split_each()
        self.each = Each(term)
        self.times = Each(factor) if factor is not None else None
        if not self.each.plain or (self.times is not None and (not self.times.plain or self.times.head != self.each.head)):
            raise spec.fail("'sum' and 'times' read object keys inside the same list, e.g. lineItems[i].weight")
        self.spec = spec
        # A stated value that is copied as it is (a subtotal) is only checked; one that eCommerce derives
        # (total weight) is replaced. `complete`: a sum over elements that lack the term proves nothing.
        self.carried = spec.param("carried", bool, required=False, default=False)
        self.complete = spec.param("complete", bool, required=False, default=False)
        self.over = spec.param("over", str, required=False, default="line items")
        self.fate = (
            "kept as stated" if self.carried else f"eCommerce derives it from the {self.over}, so the stated value is not carried"
        )

    def __call__(self, src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec, each, times, over = self.spec, self.each, self.times, self.over
        stated = get(src, self.source)
        if stated is MISSING or stated is None:
            return
        path = spec.at(self.source, idx)
        parsed = read_money(stated, path, ctx)
        if parsed is None:
            return
        elements = each.items(src)
        if self.items is not None and elements is None:
            if not self.carried:
                ctx.report("not_derivable", path, f"there are no {over} to derive it from (a summary): not carried", spec.row.id)
            return
        values = each.values(elements) if elements is not None else []
        if self.complete and elements is not None and (len(values) < len(elements) or any(v is None for _, v in values)):
            return  # some element lacks the term (absent or null): the sum proves nothing
        factors = dict(times.values(elements)) if times is not None and elements is not None else None
        total = ZERO
        add, multiply = EXACT.add, EXACT.multiply  # exact arithmetic without a context manager per order
        for n, value in values:
            if value is None:
                continue
            try:
                # A stored amount text is the common case: its memo lookup, without amount_value's tests.
                amount = parse_amount(value)[1] if value.__class__ is str else amount_value(value)
                if factors is not None:
                    amount = multiply(amount, amount_value(factors.get(n, 1)))
            except MoneyError:
                return  # the line-item rows report the bad value itself
            total = add(total, amount)
        if total != parsed[1]:
            ctx.report(
                "mismatch",
                path,
                f"Stores states {describe(stated)} but the {over} add up to {format(total.normalize(), 'f')}; {self.fate}",
                spec.row.id,
            )


def op_sum_check(spec: Spec) -> Step:
    return _SumCheck(spec)


def emit_sum_check(src: CodeBuilder, rc: RowCode) -> bool:
    """The sum of a stated total that agrees with it, spelled out: amount texts and integers, in plain
    objects of a plain list. Anything else (a disagreement to word, an amount to refuse, an element or a
    value on the way of another kind) is the step's own call, which starts over: the spelled-out sum only
    ever decides that there is nothing to say."""
    step = rc.bare
    if not isinstance(step, _SumCheck) or step.items is None or rc.sources[0] != step.source:
        return False
    factor = step.spec.reads["times"][0].split_each() if step.times is not None else None
    if not (step.source.plain and step.items[0].plain) or (factor is not None and factor[0] != step.items[0]):
        return False
    if not step.items[1].segments or (factor is not None and not factor[1].segments):
        return False  # a sum of the elements themselves: the step's own walk
    at = rc.at
    stated, items = src.read(step.source), src.read(step.items[0])
    sp, ok, total, it, x, q = (src.fresh(stem) for stem in ("sp", "ok", "total", "it", "x", "q"))
    src.use(_parse_amount=parse_amount, MoneyError=MoneyError, ONE=ONE)
    src.emit(at, f"if {stated} is not MISSING and {stated} is not None:")
    src.emit(at + 1, f"{ok} = {items}.__class__ is list")
    src.emit(at + 1, f"if {ok}:")
    src.emit(at + 2, "try:")
    b = at + 3
    src.emit(b, f"{sp} = _parse_amount({stated})[1]")
    src.emit(b, f"{total} = ZERO")
    src.emit(b, f"for {it} in {items}:")
    c = b + 1

    def dig(var: str, keys: tuple[str, ...]) -> None:
        """``var`` = the value at ``keys`` in the element, MISSING when absent; another kind on the way stops."""
        src.emit(c, f"{var} = {it}.get({keys[0]!r}, MISSING)")
        for key in keys[1:]:
            src.emit(c, f"if {var}.__class__ is dict:")
            src.emit(c + 1, f"{var} = {var}.get({key!r}, MISSING)")
            src.emit(c, f"elif {var} is not MISSING:")
            src.emit(c + 1, f"{ok} = False")
            src.emit(c + 1, "break")

    src.emit(c, f"if {it}.__class__ is not dict:")
    src.emit(c + 1, f"{ok} = False")
    src.emit(c + 1, "break")
    dig(x, tuple(str(seg) for seg in step.items[1].segments))
    src.emit(c, f"if {x}.__class__ is str:")
    src.emit(c + 1, f"{x} = _parse_amount({x})[1]")
    src.emit(c, f"elif {x}.__class__ is int:")
    src.emit(c + 1, f"{x} = Decimal({x})")
    if not step.complete:
        src.emit(c, f"elif {x} is MISSING or {x} is None:")
        src.emit(c + 1, "continue")
    src.emit(c, "else:")
    src.emit(c + 1, f"{ok} = False")
    src.emit(c + 1, "break")
    if factor is not None:
        dig(q, tuple(str(seg) for seg in factor[1].segments))
        src.emit(c, f"if {q}.__class__ is int:")
        src.emit(c + 1, f"{x} = _multiply({x}, Decimal({q}))")
        # The step's factors.get(n, 1): times 1 still rounds a term past EXACT's 1000 digits.
        src.emit(c, f"elif {q} is MISSING:")
        src.emit(c + 1, f"{x} = _multiply({x}, ONE)")
        src.emit(c, "else:")
        src.emit(c + 1, f"{ok} = False")
        src.emit(c + 1, "break")
    src.emit(c, f"{total} = _add({total}, {x})")
    src.emit(b, f"{ok} = {ok} and {total} == {sp}")
    src.emit(at + 2, "except MoneyError:")
    src.emit(at + 3, f"{ok} = False")
    src.emit(at + 1, f"if not {ok}:")
    src.emit(at + 2, f"{src.const(step)}(src, out, ctx, idx)")
    return True


def op_total_check(spec: Spec) -> Step:
    """The Stores identity total = subtotal + shipping + tax - discount, where tax counts only when prices
    do not include it. Totals are copied as stated (PRODUCT 11); a broken identity is reported."""
    (total_path,) = spec.one_read("total")
    (subtotal_path,) = spec.one_read("subtotal")
    added = spec.reads.get("shipping", ())
    (tax_path,) = spec.one_read("tax")
    taken = spec.reads.get("discount", ())
    included = spec.reads.get("included", ())

    amounts = (total_path, subtotal_path, tax_path, *added, *taken)
    read = reader_of((*amounts, *included))  # totals.* looked up once for all of them

    def amount(value: Any) -> Decimal | None:
        if value is MISSING or value is None:
            return ZERO
        try:
            return amount_value(value)
        except MoneyError:
            return None  # the row that copies the amount reports it

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        values = read(src)
        stated = values[0]
        if stated is MISSING or stated is None or values[1] is MISSING or values[1] is None:
            return
        parts = [amount(v) for v in values[: len(amounts)]]
        if any(part is None for part in parts):
            return
        total, subtotal, tax, *rest = cast("list[Decimal]", parts)
        flags = [v for v in values[len(amounts) :] if v.__class__ is bool]
        tax_included = bool(flags) and flags[0]
        with localcontext(EXACT):
            expected = subtotal + sum(rest[: len(added)], ZERO) - sum(rest[len(added) :], ZERO)
            if not tax_included:
                expected += tax
        if expected != total:
            how = "tax included in prices" if tax_included else "tax not included in prices"
            ctx.report(
                "mismatch",
                spec.at(total_path, idx),
                f"Stores states {describe(stated)} but subtotal + shipping {'' if tax_included else '+ tax '}- discount "
                f"= {format(expected.normalize(), 'f')} ({how}); kept as stated",
                spec.row.id,
            )

    return step


def emit_total_check(src: CodeBuilder, rc: RowCode) -> bool:
    """The identity decided in the order's function when it holds: amount texts parsed as the step
    parses them, added and subtracted in the step's order in the exact context. A broken identity, an
    amount of another kind or one to refuse is the step's own call, which starts over (it only reports)."""
    reads = rc.reads
    if not {"total", "subtotal", "tax"} <= set(reads) or any(len(reads[r]) != 1 for r in ("total", "subtotal", "tax")):
        return False
    at = rc.at
    total, subtotal, tax = (src.read(reads[r][0]) for r in ("total", "subtotal", "tax"))
    added = [src.read(p) for p in reads.get("shipping", [])]
    taken = [src.read(p) for p in reads.get("discount", [])]
    included = [src.read(p) for p in reads.get("included", [])]
    step = src.const(rc.bare)
    src.use(_parse_amount=parse_amount, MoneyError=MoneyError)
    names = {var: src.fresh("a") for var in dict.fromkeys((total, subtotal, tax, *added, *taken))}
    src.emit(at, f"if {total} is not MISSING and {total} is not None and {subtotal} is not MISSING and {subtotal} is not None:")
    b = at + 1
    src.emit(b, "try:")
    for var, name in names.items():
        src.emit(b + 1, f"{name} = ZERO if {var} is MISSING or {var} is None else _parse_amount({var})[1]")
    expected = src.fresh("expected")
    src.emit(b + 1, f"{expected} = {names[subtotal]}")
    for group, join in ((added, "_add"), (taken, "_subtract")):
        if group:  # sum(group, ZERO), as the step adds it
            part = "ZERO"
            for var in group:
                part = f"_add({part}, {names[var]})"
            src.emit(b + 1, f"{expected} = {join}({expected}, {part})")
    flag = src.fresh("included")
    src.emit(b + 1, f"{flag} = False")
    for var in reversed(included):  # the first of them that is true or false
        src.emit(b + 1, f"if {var}.__class__ is bool:")
        src.emit(b + 2, f"{flag} = {var}")
    src.emit(b + 1, f"if not {flag}:")
    src.emit(b + 2, f"{expected} = _add({expected}, {names[tax]})")
    src.emit(b + 1, f"if {expected} != {names[total]}:")
    src.emit(b + 2, f"{step}(src, out, ctx, idx)")
    src.emit(b, "except MoneyError:")
    src.emit(b + 1, f"{step}(src, out, ctx, idx)")
    return True


OPERATIONS = (
    Operation(
        "sum_check",
        op_sum_check,
        emit_sum_check,
        frozenset({"carried", "complete", "over"}),
        frozenset({"sum", "times"}),
        iterates=True,
        lists=True,
    ),
    Operation("total_check", op_total_check, emit_total_check),
)
