"""Operations that check that one value is the same wherever the order repeats it, that the refunds fit
the payment, and that a mirrored value agrees: a broken identity is a ``mismatch`` at the Stores path
(the sums of parts against their stated totals: sums.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, localcontext
from typing import Any, cast

from ...money import MoneyError, amount_value
from ...paths import MISSING, Path, get, iter_each, key_step, reader_of
from ...report import describe
from ..code import CodeBuilder, type_test
from ..context import (
    EXACT,
    ZERO,
    Ctx,
    Spec,
    Step,
    copied,
    type_check,
    writer,
)
from ..operation import Operation, RowCode, proves_type
from .sums import Each


def op_same_value(spec: Spec) -> Step:
    sources = spec.one_read()
    (target,) = spec.one_write()
    write = writer(spec, target)
    check = type_check(spec)
    places = tuple((p, Each(p) if p.has_each else None) for p in sources)

    def present(src: Any, p: Path, each: Each | None, idx: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
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
            # One value throughout, the common case: an object or a list is the caller's own, written as a copy.
            write(out, copied(first), ctx, idx, spec.at(where, where_idx))
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
                    place = str(spec.at(*first_at))
                    ctx.report(
                        "mismatch",
                        spec.at(p, sub_idx),
                        f"{describe(value)} disagrees with {place} = {describe(first)}; eCommerce holds one value per order",
                        spec.row.id,
                        places=(place,),
                    )
        if first_at is not None:
            write(out, copied(first), ctx, idx, spec.at(*first_at))

    return step


def emit_same_value(src: CodeBuilder, rc: RowCode) -> bool:
    """One value throughout, of the row's type, written: each list walked in a loop, the other places
    read with the scope. A value of another type or a second value is the step's own call, which starts
    over and words what it finds; with no value at all nothing is written, as by the step."""
    row, at = rc.row, rc.at
    if row.agree or len(rc.targets) != 1 or not rc.only_value():
        return False
    places: list[tuple[str, tuple[str, ...]] | str] = []
    for p in rc.sources:
        split = p.split_each() if p.has_each else None
        if split is not None:
            head, tail = split
            if not (head.plain and tail.plain and tail.segments):
                return False
            places.append((src.holder(tuple(str(s) for s in head.segments), "list"), tuple(str(s) for s in tail.segments)))
        elif p.fixed:
            places.append(src.read(p))
        else:
            return False
    type_name = row.params.get("type")
    first, same, it, v = (src.fresh(stem) for stem in ("first", "same", "it", "v"))

    def held(b: int) -> None:
        """``v`` judged against ``first`` at indent ``b``, in a loop (``break``) or not."""
        valid = type_test(src, type_name, v) if type_name is not None else "True"
        src.emit(b, f"if {first} is MISSING:")
        src.emit(b + 1, f"{first} = {v}")
        src.emit(b + 1, f"{same} = {valid}")
        src.emit(b, f"elif not ({v} == {first} and ({valid})):")
        src.emit(b + 1, f"{same} = False")

    src.emit(at, f"{first}, {same} = MISSING, True")
    for place in places:
        if isinstance(place, str):
            src.emit(at, f"if {same} and {place} is not MISSING and {place} is not None:")
            src.emit(at + 1, f"{v} = {place}")
            held(at + 1)
            continue
        items, keys = place
        src.emit(at, f"if {same} and {items} is not None:")
        src.emit(at + 1, f"for {it} in {items}:")
        b = at + 2
        src.emit(b, f"{v} = {it}")
        for key in keys:
            src.emit(b, f"{v} = {v}.get({key!r}, MISSING) if isinstance({v}, dict) else MISSING")
        src.emit(b, f"if {v} is MISSING or {v} is None:")
        src.emit(b + 1, "continue")
        held(b)
        src.emit(b, f"if not {same}:")
        src.emit(b + 1, "break")
    src.emit(at, f"if {first} is not MISSING:")
    src.emit(at + 1, f"if {same}:")
    # An object or a list is the caller's own (a row of another type writes neither).
    src.put(at + 2, f"_copied({first})" if type_name in (None, "object", "array") else first, rc.targets[0])
    src.emit(at + 1, "else:")
    src.emit(at + 2, f"{src.const(rc.bare)}(src, out, ctx, idx)")
    return True


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
    each = Each(term)
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
                    place = spec.render(of, at) + key_step(key)
                    ctx.report(
                        "dropped",
                        path + key_step(key),
                        f"{describe(stated[key])} is {place} = {describe(latest.get(key))} "
                        "in another case: the fulfillment's is carried",
                        spec.row.id,
                        places=(place,),
                    )
        else:
            differ = (
                sorted(k for k in {*_keys(stated), *_keys(latest)} if folded(stated).get(k) != folded(latest).get(k))
                if isinstance(stated, dict) and isinstance(latest, dict)
                else []
            )
            what = f" in {', '.join(differ)}" if differ else ""
            place = spec.render(of, at)
            ctx.report(
                "mismatch",
                path,
                f"differs from the latest, {place},{what}: that one is carried, this copy is not",
                spec.row.id,
                places=(place,),
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
    Operation("same_value", op_same_value, emit_same_value, frozenset({"type"}), iterates=True, lists=True, proves=proves_type),
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
