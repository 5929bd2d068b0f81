"""Operations that check what Stores states against what its parts add up to, or that one value is the
same wherever the order repeats it: a broken identity is a ``mismatch`` at the Stores path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal, localcontext
from typing import Any, cast

from ...money import MoneyError, amount_value, parse_amount
from ...paths import MISSING, Path, get, iter_each, key_step, reader_of
from ...report import describe
from ..code import CodeBuilder
from ..context import (
    EXACT,
    ONE,
    ZERO,
    Ctx,
    Spec,
    Step,
    read_money,
    type_check,
    writer,
)
from ..operation import Operation, RowCode, proves_type


class _Each:
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
        self.each = _Each(term)
        self.times = _Each(factor) if factor is not None else None
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


def op_same_value(spec: Spec) -> Step:
    sources = spec.one_read()
    (target,) = spec.one_write()
    write = writer(spec, target)
    check = type_check(spec)
    places = tuple((p, _Each(p) if p.has_each else None) for p in sources)

    def present(src: Any, p: Path, each: _Each | None, idx: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
        if each is None or not each.plain:
            return list(iter_each(src, p, idx))
        items = each.items(src)
        return [((*idx, n), v) for n, v in each.values(items)] if items is not None else []

    valid = check[0] if check is not None else None

    def uniform(src: Any, idx: tuple[int, ...]) -> tuple[Any, Path | None, tuple[int, ...], bool]:
        """The first value (MISSING when none) and where it is, and whether every value is it and of the
        type: one pass over the lists, no tuple made a value."""
        first: Any = MISSING
        first_path: Path | None = None
        first_idx = idx
        for p, each in places:
            if each is not None and each.plain:
                items = each.items(src)
                pairs = each.values(items) if items is not None else ()
                for n, v in pairs:
                    if v is None:
                        continue
                    if first is MISSING:
                        first, first_path, first_idx = v, p, (*idx, n)
                        if valid is not None and not valid(v):
                            return first, first_path, first_idx, False
                    elif not (v == first and (valid is None or valid(v))):
                        return first, first_path, first_idx, False
                continue
            for sub_idx, v in present(src, p, each, idx):
                if v is None:
                    continue
                if first is MISSING:
                    first, first_path, first_idx = v, p, sub_idx
                    if valid is not None and not valid(v):
                        return first, first_path, first_idx, False
                elif not (v == first and (valid is None or valid(v))):
                    return first, first_path, first_idx, False
        return first, first_path, first_idx, True

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        first, where, where_idx, same = uniform(src, idx)
        if first is MISSING:
            return
        if same and where is not None:
            write(out, first, ctx, idx, spec.at(where, where_idx))  # one value throughout: the common case
            return
        first = MISSING
        first_at: tuple[Path, tuple[int, ...]] | None = None
        for p, each in places:
            for sub_idx, value in present(src, p, each, idx):
                if value is None:
                    continue
                if check is not None and not check[0](value):
                    ctx.problem(spec.at(p, sub_idx), f"expected {check[1]}, got {describe(value)}")
                    continue
                if first_at is None:
                    first, first_at = value, (p, sub_idx)
                elif value != first:
                    ctx.report(
                        "mismatch",
                        spec.at(p, sub_idx),
                        f"{describe(value)} disagrees with {spec.at(*first_at)} = {describe(first)}; eCommerce holds one value per order",
                        spec.row.id,
                    )
        if first_at is not None:
            write(out, first, ctx, idx, spec.at(*first_at))

    return step


def op_refund_check(spec: Spec) -> Step:
    """What was refunded against what was paid, the total: never more than it, and as much as the payment
    status says (``refunded``: a status -> ``all`` of the total, or ``part``: more than none, less than
    all). The refunds are the sum of ``from`` (each refund's amount) when the order lists any, else the
    stated ``refunded`` total; an order saying neither is not checked. Only reports: the statuses and
    amounts are carried as stated."""
    (term,) = spec.one_read()
    (stated_path,) = spec.one_read("stated")
    (total_path,) = spec.one_read("total")
    (status_path,) = spec.one_read("status")
    rules = spec.param("refunded", dict)
    if not set(rules.values()) <= {"all", "part"}:
        raise spec.fail("'refunded' maps a payment status to 'all' or 'part'")
    each = _Each(term)
    if not each.plain:
        raise spec.fail("'from' reads an object key inside a list, e.g. refunds[i].amount")

    def amount(value: Any) -> Decimal | None:
        if value is MISSING or value is None:
            return None
        try:
            return amount_value(value)
        except MoneyError:
            return None  # the row that copies the amount reports it

    read = reader_of((total_path, stated_path, status_path))

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        total_value, stated_value, status = read(src)
        refunds = each.items(src)
        for n, value in each.values(refunds) if refunds else ():
            part = amount(value)
            if part is not None and part < 0:
                # As a gift card below zero is no payment: a refund gives money back, never takes it.
                where = f"{spec.render(each.head, idx)}[{n}]{each.tail}"
                shown = format(part.normalize(), "f")
                ctx.report("mismatch", where, f"a refund of {shown} is below zero: not a refund; kept as stated", spec.row.id)
        total = amount(total_value)
        if total is None:
            return
        if refunds:
            parts = [amount(v) for _, v in each.values(refunds)]
            if any(part is None for part in parts):
                return
            with localcontext(EXACT):
                refunded = sum(cast("list[Decimal]", parts), ZERO)
            where, what = spec.render(each.head, idx), "the refunds add up to"
        else:
            stated = amount(stated_value)
            if stated is None:
                return
            refunded, where, what = stated, spec.render(stated_path, idx), "the refunded total is"
        shown, of = format(refunded.normalize(), "f"), format(total.normalize(), "f")
        if refunded > total:
            ctx.report(
                "mismatch", where, f"{what} {shown}, more than the total of {of} that was paid; kept as stated", spec.row.id
            )
        rule = rules.get(status) if isinstance(status, str) else None
        broken = (rule == "all" and refunded != total) or (rule == "part" and not ZERO < refunded < total)
        if broken:
            ctx.report(
                "mismatch",
                spec.render(status_path, idx),
                f"{status} but {what} {shown} of a total of {of}; kept as stated",
                spec.row.id,
            )

    return step


def op_mirror_check(spec: Spec) -> Step:
    """A copy the order keeps of what the latest element of a list holds (the shipment's tracking info of
    the latest fulfillment's): equal, it is carried by that element; different, a mismatch at the copy;
    with no element holding one, the copy's owner lives elsewhere (``fetch``). ``fold_case`` names the
    keys compared without case (Stores writes the shipment's provider FEDEX beside the fulfillment's fedex)."""
    (source,) = spec.one_read()
    (of,) = spec.one_read("of")
    (dated,) = spec.one_read("dated")
    if not of.has_each or not dated.has_each:
        raise spec.fail("'of' and 'dated' read inside one list, e.g. fulfillments[i].trackingInfo")
    fold = frozenset(spec.param("fold_case", list, required=False, default=[]))
    fetch = spec.param("fetch", dict)
    if not {"api", "endpoint"} <= set(fetch):
        raise spec.fail("'fetch' needs 'api' and 'endpoint'")
    holder = of.split_each()

    def folded(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: v.casefold() if k in fold and isinstance(v, str) else v for k, v in value.items()}

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        stated = get(src, source)
        if stated is MISSING or stated is None or stated == {}:
            return
        path = spec.render(source, idx)
        dates = dict(iter_each(src, dated, idx))
        held = [(at, value) for at, value in iter_each(src, of, idx) if value is not None and value != {}]
        if not held:
            where = holder[0].text if holder is not None else of.text
            ctx.report("fetch", path, f"none of the stored {where} holds it: fetch them", spec.row.id, dict(fetch))
            return
        at, latest = max(enumerate(held), key=lambda pair: (_instant(dates.get(pair[1][0])), pair[0]))[1]
        if folded(stated) == folded(latest):
            for key in sorted(fold & _keys(stated)):
                if stated[key] != latest.get(key):
                    ctx.report(
                        "dropped",
                        path + key_step(key),
                        f"{describe(stated[key])} is {spec.render(of, at)}{key_step(key)} = {describe(latest.get(key))} "
                        "in another case: the fulfillment's is carried",
                        spec.row.id,
                    )
        else:
            differ = (
                sorted(k for k in {*_keys(stated), *_keys(latest)} if folded(stated).get(k) != folded(latest).get(k))
                if isinstance(stated, dict) and isinstance(latest, dict)
                else []
            )
            what = f" in {', '.join(differ)}" if differ else ""
            ctx.report(
                "mismatch",
                path,
                f"differs from the latest, {spec.render(of, at)},{what}: that one is carried, this copy is not",
                spec.row.id,
            )

    return step


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


def _instant(value: Any) -> datetime:
    """When a dated element was made, for finding the latest: an undated or unreadable one sorts first."""
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return datetime.min.replace(tzinfo=timezone.utc)


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
    Operation("total_check", op_total_check),
    Operation("same_value", op_same_value, None, frozenset({"type"}), iterates=True, proves=proves_type),
    Operation(
        "refund_check",
        op_refund_check,
        None,
        frozenset({"refunded"}),
        iterates=True,
        compared=frozenset({"value", "stated", "total", "status"}),
    ),
    Operation(
        "mirror_check",
        op_mirror_check,
        None,
        frozenset({"fold_case", "fetch"}),
        iterates=True,
        compared=frozenset({"of", "dated"}),
    ),
)
