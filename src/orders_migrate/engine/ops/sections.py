"""Operations that apply a whole table section: ``each`` runs another section's rows (a fulfillment's, a
refund's) on every element of a list, so a companion object reuses the rows the webhooks already use;
``one_of`` checks that what one list names (a fulfillment's line items) is among what another holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...paths import MISSING, get, iter_each
from ...report import describe, under
from ..context import Ctx, Spec, Step, writers
from ..operation import Operation


def op_each(spec: Spec) -> Step:
    (source,) = spec.one_read()
    writes = writers(spec, spec.one_write())
    name = spec.param("section", str)
    section = spec.sections.get(name)
    if section is None:
        known = ", ".join(sorted(spec.sections)) or "none here"
        raise spec.fail(f"'each' applies a section the table compiles before this one ({known}), not {name!r}")

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        items = get(src, source)
        if items is MISSING or items is None:
            return
        where = spec.render(source, idx)
        if not isinstance(items, list):
            ctx.problem(where, f"expected an array, got {describe(items)}")
            return
        converted: list[dict[str, Any]] = []
        for n, item in enumerate(items):
            at = f"{where}[{n}]"
            if not isinstance(item, dict):
                ctx.problem(at, f"expected an object, got {describe(item)}")
                continue
            # The section's rows see the element as their root, as they do where the section is used alone.
            inner = Ctx(ctx.fmt, ctx.currency, {})
            for section_step in section.steps:
                section_step(item, inner.root_out, inner, ())
            within = under(at)
            ctx.entries.extend(e.rerooted(within) for e in inner.entries)
            ctx.problems.extend(p.rerooted(within) for p in inner.problems)
            converted.append(inner.root_out)
        if converted:
            path = spec.at(source, idx)
            for w in writes:
                w(out, converted, ctx, idx, path)

    return step


def op_one_of(spec: Spec) -> Step:
    """Each value at ``from`` (``value``) must be one of the values at ``from`` (``among``); one that is not
    is reported as a mismatch at its own path. Only reports: the value is carried by the rows that read it."""
    (source,) = spec.one_read()
    (among,) = spec.one_read("among")
    reason = spec.param("reason", str)

    split = among.split_each()
    holder = split[0] if split is not None else among

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        if get(src, holder) is MISSING:
            return  # nothing to check against: a fulfillment webhook's body holds no order line items
        known = [v for _, v in iter_each(src, among, idx) if v is not None and not _nan(v)]
        for at, value in iter_each(src, source, idx):
            if value is not None and (_nan(value) or value not in known):
                ctx.report("mismatch", spec.render(source, at), f"{describe(value)}: {reason}", spec.row.id)

    return step


def _nan(value: Any) -> bool:
    # A NaN is among nothing; a signalling one (only Python can pass it) raises when compared.
    return value.__class__ is Decimal and value.is_nan()


OPERATIONS = (
    # A new list of new objects for each order: a row may write inside its elements.
    Operation("each", op_each, None, frozenset({"section"}), applies=True, fresh=frozenset({"value"})),
    Operation("one_of", op_one_of, None, frozenset({"reason"}), iterates=True),
)
