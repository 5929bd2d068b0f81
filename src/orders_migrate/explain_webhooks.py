"""Explain a stored Stores webhook body: its event's own fields put down to the webhook's spec (the
`webhooks` section of mappings.yaml), the order it carries explained as any order, in the body's paths.

A JWT delivery is explained as the body inside it once decoded, by the same rules. Fulfillment and refund
webhooks (whose body is built by the fulfillment and refund rows, not around an order) are not explained
yet.
"""

from __future__ import annotations

from typing import Any

from .engine import Plan, default_plan
from .engine.dialect import detect_dialect, restore_path
from .engine.webhook_table import WebhookSpec
from .explain import InputLeaf, Ledger, OutputLeaf, leaves_of, passed_through
from .money import DEFAULT_LOCALE
from .paths import MISSING, get, is_empty, render_steps
from .report import ConversionError, Problem

_WRAPPER = ("id", "entityFqdn", "slug", "entityId", "eventTime", "triggeredByAnonymizeRequest")


def explain_webhook(payload: Any, *, plan: Plan | None = None, locale: str = DEFAULT_LOCALE, kind: str | None = None) -> Ledger:
    """The ledger of converting one webhook body (a parsed dict) to its eCommerce event."""
    from .webhooks import convert_parsed_webhook, find_spec

    plan = plan or default_plan()
    conversion = convert_parsed_webhook(payload, kind=kind, locale=locale, plan=plan)
    kind_of = conversion.report.payload_kind
    if not kind_of.startswith("stores_webhook:"):
        return passed_through(payload)
    spec = find_spec(plan.webhooks, kind_of.split(":", 1)[1])
    if spec.fulfillment or spec.transactions:
        raise ConversionError([Problem("$", f"explain does not yet read a {spec.stores} body (its rows build no order)")])
    return _order_event(payload, conversion.order, conversion.report.entries, spec, plan, locale)


def _order_event(
    payload: dict[str, Any], event: dict[str, Any], entries: Any, spec: WebhookSpec, plan: Plan, locale: str
) -> Ledger:
    stores_order = payload if spec.order is None else get(payload, spec.order)
    prefix = "$" if spec.order is None else spec.order.render()
    from .webhooks import renamed

    order, moved = renamed(stores_order, spec)
    dialect = detect_dialect(stores_order, plan.table, lenient=spec.summary)
    from .explain import explain_order

    inner = explain_order(order, plan=plan, locale=locale, partial=spec.summary, dialect=dialect)

    def in_body(path: str) -> str:  # a path of the renamed order -> the path in the body
        restored = restore_path(path, moved)
        return restored if prefix == "$" else prefix + restored[1:]

    at = spec.container.render() + (f".{spec.key}" if spec.key else "")
    ledger = Ledger()
    times = [p.render() for p in spec.event_time if get(payload, p) is not MISSING]
    order_id = [in_body("$.id")] if isinstance(order.get("id"), str) else []
    for steps, _ in leaves_of(event):
        path = render_steps(steps)
        if steps and steps[0] in _WRAPPER and len(steps) == 1:
            named = {"entityId": order_id, "eventTime": times[:1]}.get(str(steps[0]), [])
            ledger.outputs.append(OutputLeaf(path, spec.id, "webhook", tuple(named)))
            continue
        if path.startswith(at):
            inner_path = "$" + path[len(at) :]
            if spec.order_status is not None and inner_path == "$.status":
                ledger.outputs.append(OutputLeaf(path, spec.id, "webhook", (), "the event is the evidence of the status"))
                continue
            found = next((o for o in inner.outputs if o.path == inner_path), None)
            if found is not None:
                inputs = tuple(in_body(i) for i in found.inputs)
                ledger.outputs.append(OutputLeaf(path, found.row, found.op, inputs, found.note))
                continue
        ledger.outputs.append(OutputLeaf(path, spec.id, "webhook", ()))
    carried = {in_body(i.path): i for i in inner.inputs}
    consumed_keys = set(spec.requires) | {p.text for p in spec.event_time if len(p.segments) == 1}
    for steps, value in leaves_of(payload):
        if is_empty(value):
            continue
        path = render_steps(steps)
        leaf = carried.get(path)
        if leaf is not None:
            ledger.inputs.append(InputLeaf(path, leaf.fate, leaf.rows, leaf.kind, leaf.row))
        elif steps and str(steps[0]) in consumed_keys or path in times:
            ledger.inputs.append(InputLeaf(path, "consumed", (spec.id,)))
        else:
            entry = next((e for e in entries if path == e.path or path.startswith((e.path + ".", e.path + "["))), None)
            if entry is not None:
                ledger.inputs.append(InputLeaf(path, "report", (), entry.kind, entry.row))
            else:
                ledger.inputs.append(InputLeaf(path, "consumed", (spec.id,)))
    return ledger
