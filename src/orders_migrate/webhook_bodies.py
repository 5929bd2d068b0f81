"""The bodies of the eCommerce events a Stores webhook becomes: the converted order an order event carries,
and the companion (Order Transactions, Order Fulfillments) a refund or fulfillment event carries, built
from the body's order by the table's companion rows. Entries and errors name the paths of the body."""

from __future__ import annotations

import copy
from typing import Any

from .engine import Plan
from .engine.companions import build_companion
from .engine.context import Ctx
from .engine.dialect import detect_dialect, restore_path
from .engine.webhook_table import WebhookSpec
from .money import formatter, is_currency
from .paths import MISSING, get, put, render_steps
from .report import ConversionError, Entry, Problem, Reroot, describe, under


def in_body_paths(moved: dict[str, str], prefix: str) -> Reroot:
    """A path of the order the body carries (renamed as its spec says) as the body names it."""
    below = under(prefix)

    def where(path: str) -> str:
        return below(restore_path(path, moved))

    return where


def order_body(
    payload: dict[str, Any],
    spec: WebhookSpec,
    plan: Plan,
    entries: list[Entry],
    consumed: set[str],
    locale: str,
    source: str | None,
) -> tuple[str | None, Any]:
    stores_order = payload if spec.order is None else get(payload, spec.order)
    prefix = "$" if spec.order is None else spec.order.render()
    if not isinstance(stores_order, dict):
        raise ConversionError([Problem(prefix, f"expected the order object, got {describe(stores_order)}")])
    if spec.order is None:
        consumed.update(payload)
    else:
        consumed.add(spec.order.text.split(".")[0])
    order, moved = renamed(stores_order, spec)
    try:
        # The dialect is the body's own: a summary's orderId renamed to id must not look like REST.
        dialect = detect_dialect(stores_order, plan.table, lenient=spec.summary)
        converted = plan.convert(order, locale=locale, source=source, partial=spec.summary, dialect=dialect)
    except ConversionError as exc:
        raise exc.rerooted(in_body_paths(moved, prefix)) from None
    in_body = in_body_paths(moved, prefix)
    entries.extend(e.rerooted(in_body) for e in converted.report.entries)
    if spec.summary:
        entries.append(
            Entry(
                "fetch",
                prefix,
                f"the {spec.stores} body is a summary (no line items, no addresses): fetch the full order for the rest",
                spec.id,
                dict(plan.table.apis.get("orders_get_order", {})) or None,
            )
        )
    if spec.order_status is not None:
        # The event is the evidence: an order in a canceled event is canceled, whatever its statuses said.
        converted.order["status"] = spec.order_status
    body = converted.order if spec.key is None else {spec.key: converted.order}
    return converted.order.get("id"), body


def renamed(stores_order: dict[str, Any], spec: WebhookSpec) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of the order a body carries with the spec's renames done (a summary's orderId -> id), and
    the moved paths (new -> as the body has them)."""
    order = copy.deepcopy(stores_order)
    moved: dict[str, str] = {}
    for src, dst in spec.rename:
        value = order.pop(src.text, MISSING)
        if value is not MISSING:
            put(order, dst, value)
            moved[dst.render()] = src.render()
    return order, moved


def _companion(
    stores_order: dict[str, Any], spec: WebhookSpec, plan: Plan, prefix: str, locale: str
) -> tuple[dict[str, Any], list[Entry]]:
    """The companion the event carries, built from the body's order (renamed as the spec says) by the same
    rows as an order's own companion; entries and errors in the body's paths."""
    if spec.companion is None:
        raise TypeError(f"the {spec.id} webhook names no companion")
    order, moved = renamed(stores_order, spec)
    in_body = in_body_paths(moved, prefix)
    try:
        companion, found = build_companion(plan, spec.companion, order, locale=locale)
        found.extend(_checks(plan, spec, order, locale))
    except ConversionError as exc:
        raise exc.rerooted(in_body) from None
    return companion, [e.rerooted(in_body) for e in found]


def _checks(plan: Plan, spec: WebhookSpec, order: dict[str, Any], locale: str) -> list[Entry]:
    """The webhook's ``checks`` rows on the body's order: its money identities, as a converted order has
    them checked, where the event carries only a companion of it. They report and write nothing."""
    section = plan.webhook_checks.get(spec.id)
    if section is None:
        return []
    stated = order.get("currency")
    currency = stated if is_currency(stated) else None
    ctx = Ctx(formatter(currency, locale), currency, {})
    for step in section.steps:
        step(order, ctx.root_out, ctx, ())
    if ctx.problems:
        raise ConversionError(ctx.problems)
    return ctx.entries


def fulfillment_body(
    payload: dict[str, Any], spec: WebhookSpec, plan: Plan, entries: list[Entry], consumed: set[str], locale: str
) -> tuple[str | None, Any]:
    order_id = payload.get("orderId")
    consumed.update(src.text for src, _ in spec.rename)
    body, found = _companion(payload, spec, plan, "$", locale)
    entries.extend(found)
    apis = plan.table.apis
    fetch = dict(apis.get("fulfillments", {})) or None
    if spec.deleted:
        consumed.add("fulfillmentId")
        entries.append(
            Entry(
                "fetch",
                "$.fulfillmentId",
                "the fulfillment was deleted; the event lists the order's remaining fulfillments, which must be fetched",
                spec.id,
                fetch,
            )
        )
    else:
        if "lineItems" not in payload:
            entries.append(
                Entry(
                    "not_derivable",
                    "$",
                    "a Stores fulfillment webhook does not say which line items were fulfilled: fetch them",
                    spec.id,
                    fetch,
                )
            )
        entries.append(
            Entry(
                "fetch",
                "$",
                "the eCommerce event lists all of the order's fulfillments; this body holds one: fetch the others",
                spec.id,
                fetch,
            )
        )
    for key, why in (
        ("buyerInfo", "a fulfillments event names no buyer; the order has it"),
        (
            "fulfillmentStatus",
            "the order's fulfillment status is in the order (Order Updated, Get Order), not in a fulfillments event",
        ),
    ):
        if key in payload:
            consumed.add(key)
            entries.append(Entry("dropped", render_steps((key,)), why, spec.id))
    return order_id if isinstance(order_id, str) else None, body


def transactions_body(
    payload: dict[str, Any], spec: WebhookSpec, plan: Plan, entries: list[Entry], consumed: set[str], locale: str
) -> tuple[str | None, Any]:
    order = payload.get("order")
    if not isinstance(order, dict):
        raise ConversionError([Problem("$.order", f"expected the order object, got {describe(order)}")])
    consumed.update({"order", "refundId"})
    order_id = order.get("id")
    transactions, found = _companion(order, spec, plan, "$.order", locale)
    entries.extend(found)
    body: dict[str, Any] = {"orderTransactions": transactions}
    if isinstance(payload.get("refundId"), str):
        body["refundIds"] = [payload["refundId"]]
    apis = plan.table.apis
    entries.append(
        Entry(
            "fetch",
            "$.order",
            "an Order Transactions event carries no order: fetch it (Get Order) for everything but its payments and refunds",
            spec.id,
            dict(apis.get("orders_get_order", {})) or None,
        )
    )
    if not transactions.get("payments"):
        entries.append(
            Entry(
                "fetch",
                "$",
                "the body's order states no payment: fetch the order's payments",
                spec.id,
                dict(apis.get("transactions", {})) or None,
            )
        )
    return order_id if isinstance(order_id, str) else None, body
