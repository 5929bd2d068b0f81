"""An order's companion objects (OrderWithFulfillments, OrderTransactions), built by the table's
companion sections from the Stores order, and the report made to say what they carry.

The order rows report payments, refunds and fulfillments as ``fetch``: the eCommerce order has no place
for them. Once a companion carries one, that entry would say the opposite of what was produced, so it
goes, and whatever inside it no companion row reads is reported as ``unmapped`` in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..money import Formatter, formatter, is_currency
from ..paths import MISSING, Path, PathError, get, parse, render_steps
from ..report import ConversionError, Entry, Problem
from .context import Ctx
from .unmapped import COVERED, unmapped

if TYPE_CHECKING:
    from .plan import Plan, Section

# The key every companion names its order by: a companion holding nothing else has nothing to carry.
_ORDER_KEY = "orderId"


def build_companions(plan: Plan, payload: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """Each companion the order has something for, by its eCommerce name; its entries and problems go to
    ``ctx``, and the order's ``fetch`` entries for what a companion read are replaced."""
    built: dict[str, Any] = {}
    found: list[Entry] = []
    for name, section in plan.companions.items():
        inner = _run(section, payload, ctx.fmt, ctx.currency)
        ctx.problems.extend(inner.problems)
        found.extend(inner.entries)
        companion = _without_empty_lists(_pruned(inner.root_out))
        if set(companion) - {_ORDER_KEY}:
            built[name] = companion
    tries = [section.reads for section in plan.companions.values()]
    kept: list[Entry] = []
    claimed: list[tuple[Entry, Any]] = []
    for entry in ctx.entries:
        node = _claimed(tries, entry.path) if entry.kind == "fetch" else None
        if node is None:
            kept.append(entry)
        else:
            claimed.append((entry, node))
    reported = frozenset(e.path for e in (*kept, *found))
    for entry, node in claimed:
        if node is not COVERED:
            value = get(payload, parse(entry.path[2:]))
            unmapped(value, node, entry.path, found, reported)
    ctx.entries[:] = [*kept, *found]
    return built


def build_companion(plan: Plan, name: str, payload: dict[str, Any], *, locale: str) -> tuple[dict[str, Any], list[Entry]]:
    """One companion of a Stores order (REST shape) built alone, as a webhook carries it beside no
    converted order: the companion (at least its ``orderId`` when the order has one) and its entries.

    No order rows ran, so no ``fetch`` entry stands for what the lists it converts hold (the refunds, the
    fulfillments): what inside them no row reads is reported as ``unmapped`` here. The webhook itself
    says what of the rest of the order it carries. Raises ``ConversionError`` for values no row can carry.
    """
    section = plan.companions[name]
    currency = payload.get("currency")
    currency = currency if is_currency(currency) else None
    ctx = _run(section, payload, formatter(currency, locale), currency)
    if ctx.problems:
        raise ConversionError(ctx.problems)
    reported = frozenset(e.path for e in ctx.entries)
    for path in section.applied:
        value = get(payload, path)
        if value is not MISSING:
            unmapped(value, _node(section.reads, path), path.render(), ctx.entries, reported)
    return _without_empty_lists(_pruned(ctx.root_out)), ctx.entries


def contradictions(record: Mapping[str, Any], names: tuple[str, ...]) -> list[Problem]:
    """What a companion of a record ``convert --companions`` wrote says of the order beside it that the
    order contradicts: another order id, a fulfilled line item the order does not have (each schema alone
    cannot see it). Paths from the record's root: ``$.orderWithFulfillments.fulfillments[0].lineItems[1].id``."""
    found = []
    order = record.get("order")
    order = order if isinstance(order, Mapping) else {}
    order_id = order.get("id")
    items = order.get("lineItems")
    # Only a string id can be named by a fulfilled line item (an array or object id cannot go in a set;
    # its schema says what is wrong with it).
    order_lines = items if isinstance(items, list) else []
    item_ids = {i["id"] for i in order_lines if isinstance(i, Mapping) and isinstance(i.get("id"), str)}
    for name in names:
        companion = record.get(name)
        if not isinstance(companion, Mapping):
            continue
        named = companion.get(_ORDER_KEY)
        if isinstance(named, str) and isinstance(order_id, str) and named != order_id:
            found.append(Problem(render_steps((name, _ORDER_KEY)), f"names order {named}, but the order beside it is {order_id}"))
    fulfillments = get(record, parse("orderWithFulfillments.fulfillments"))
    for n, fulfillment in enumerate(fulfillments if isinstance(fulfillments, list) else []):
        lines = fulfillment.get("lineItems") if isinstance(fulfillment, Mapping) else None
        for k, line in enumerate(lines if isinstance(lines, list) else []):
            line_id = line.get("id") if isinstance(line, Mapping) else None
            if isinstance(line_id, str) and line_id not in item_ids:
                at = render_steps(("orderWithFulfillments", "fulfillments", n, "lineItems", k, "id"))
                found.append(Problem(at, f"{line_id} names no line item of the order beside it"))
    return found


def _run(section: Section, payload: dict[str, Any], fmt: Formatter | None, currency: str | None) -> Ctx:
    ctx = Ctx(fmt, currency, {})
    for step in section.steps:
        step(payload, ctx.root_out, ctx, ())
    return ctx


def _node(trie: Mapping[str, Any], path: Path) -> Any:
    node: Any = trie
    for key in path.segments:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _claimed(tries: list[Mapping[str, Any]], path: str) -> Any:
    """The node of a companion's read trie at ``path`` (``COVERED`` for a field read whole); None when no
    companion reads it."""
    if not path.startswith("$."):
        return None
    try:
        segments = parse(path[2:]).segments
    except PathError:
        return None
    keys = ["[]" if not isinstance(s, str) else s for s in segments]
    for trie in tries:
        node: Any = trie
        for key in keys:
            if node is COVERED:
                break
            node = node.get(key) if isinstance(node, Mapping) else None
            if node is None:
                break
        if node is not None:
            return node
    return None


def _pruned(value: Any) -> Any:
    """Without the list elements no row wrote into (a gift-card payment with no regular one before it)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pruned(v) for v in value if v != {}]
    return value


def _without_empty_lists(companion: dict[str, Any]) -> dict[str, Any]:
    # A list with nothing in it (an order's refunds: []) carries nothing; the companion leaves it out.
    return {k: v for k, v in companion.items() if v != []}
