"""Explain a stored Stores webhook body: its event's own fields put down to the webhook's spec (the
`webhooks` section of mappings.yaml), the order it carries explained as any order, the fulfillment or the
refunds it carries by the table's `fulfillment` and `refund` rows, all in the body's paths.

A JWT delivery is decoded as ``convert`` decodes it (its signature verified when a public key is given)
and explained as the body inside, in the body's paths; what only the wrapper held is put down at the
``$.jwt...`` paths the report names it by (``$.jwt.iat``, the delivery time, becomes the eventTime).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .engine import Plan, default_plan
from .engine.dialect import detect_dialect, restore_path
from .engine.table import Row
from .engine.webhook_table import WebhookSpec
from .explain import leaves_of, passed_through, section_outputs, section_readers
from .explain_ledger import NOT_CARRIED, Fate, InputLeaf, Ledger, OutputLeaf
from .money import DEFAULT_LOCALE
from .paths import MISSING, get, is_empty, render_steps
from .report import Entry
from .route import is_jwt
from .webhook_jwt import Delivery, decode_delivery, iso_time

_WRAPPER = ("id", "entityFqdn", "slug", "entityId", "eventTime", "triggeredByAnonymizeRequest")
# Where a JWT's wrapper fields are named (as the report names them): they are not in the body.
JWT_IAT, JWT_EVENT_TYPE, JWT_INSTANCE, JWT_IDENTITY = (
    "$.jwt.iat",
    "$.jwt.data.eventType",
    "$.jwt.data.instanceId",
    "$.jwt.data.identity",
)


def explain_webhook(
    payload: Any,
    *,
    plan: Plan | None = None,
    locale: str = DEFAULT_LOCALE,
    kind: str | None = None,
    public_key: str | None = None,
) -> Ledger:
    """The ledger of converting one webhook body (a parsed dict, or the JWT Wix delivered: ``public_key``
    verifies it as for ``convert_webhook``) to its eCommerce event. Raises ``ConversionError`` as
    ``convert_webhook`` does."""
    from .webhooks import convert_parsed_webhook, find_spec

    plan = plan or default_plan()
    conversion = convert_parsed_webhook(payload, kind=kind, public_key=public_key, locale=locale, plan=plan)
    delivery = decode_delivery(payload.strip(), public_key) if is_jwt(payload) else None
    body = delivery.body if delivery is not None else payload
    kind_of = conversion.report.payload_kind
    spec = find_spec(plan.webhooks, kind_of.split(":", 1)[1]) if kind_of.startswith("stores_webhook:") else None
    entries = conversion.report.entries
    event = conversion.order
    # Convert takes the eventTime from the delivery (iat) when the JWT has one.
    iat = iso_time(delivery.issued_at) if delivery is not None and delivery.issued_at is not None else None
    jwt_time = spec is not None and iat is not None and event.get("eventTime") == iat
    if spec is None:
        ledger = passed_through(body)
    elif spec.fulfillment:
        ledger = _fulfillment_event(body, event, entries, spec, plan, jwt_time)
    elif spec.transactions:
        ledger = _transactions_event(body, event, entries, spec, plan, jwt_time)
    else:
        ledger = _order_event(body, event, entries, spec, plan, locale, jwt_time)
    if delivery is None:
        return ledger
    ledger = _delivered(ledger, delivery, spec, jwt_time)
    ledger.notes = [e for e in entries if e.kind == "unverified"]  # convert's word on an unchecked signature
    return ledger


def _delivered(ledger: Ledger, delivery: Delivery, spec: WebhookSpec | None, jwt_time: bool) -> Ledger:
    """The body's ledger with what the JWT wrapper held: the delivery time (the eventTime), the event type
    that chose the webhook, and the wrapper fields the event does not carry (reported dropped)."""
    row = spec.id if spec is not None else "jwt"
    inputs = list(ledger.inputs)
    if delivery.issued_at is not None:
        inputs.append(InputLeaf(JWT_IAT, "output" if jwt_time else "consumed", (row,)))
    if delivery.event_type:
        inputs.append(InputLeaf(JWT_EVENT_TYPE, "consumed", (row,)))
    if delivery.instance_id:
        inputs.append(InputLeaf(JWT_INSTANCE, "report", (), "dropped", None))
    if delivery.identity not in (None, {}, ""):
        inputs.append(InputLeaf(JWT_IDENTITY, "report", (), "dropped", None))
    inputs.extend(InputLeaf(path, "report", (), "dropped", None) for path, _ in delivery.unused)
    return Ledger(ledger.outputs, inputs)


def _order_event(
    payload: dict[str, Any], event: dict[str, Any], entries: Any, spec: WebhookSpec, plan: Plan, locale: str, jwt_time: bool
) -> Ledger:
    stores_order = payload if spec.order is None else get(payload, spec.order)
    prefix = "$" if spec.order is None else spec.order.render()
    from .webhook_bodies import renamed

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
            named = {"entityId": order_id, "eventTime": [JWT_IAT] if jwt_time else times[:1]}.get(str(steps[0]), [])
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
    writers = {o.row for o in ledger.outputs}
    consumed_keys = set(spec.requires) | {p.text for p in spec.event_time if len(p.segments) == 1}
    for steps, value in leaves_of(payload):
        if is_empty(value):
            continue
        path = render_steps(steps)
        leaf = carried.get(path)
        if leaf is not None and leaf.fate == "output":
            # A row whose output the event replaced (the status a canceled event states) only read it.
            kept = tuple(r for r in leaf.rows if r in writers)
            fate: Fate = "output" if kept else "consumed"
            ledger.inputs.append(replace(leaf, path=path, fate=fate, rows=kept or leaf.rows))
        elif leaf is not None:
            ledger.inputs.append(replace(leaf, path=path))
        elif steps and str(steps[0]) in consumed_keys or path in times:
            ledger.inputs.append(InputLeaf(path, "consumed", (spec.id,)))
        else:
            entry = next((e for e in entries if path == e.path or path.startswith((e.path + ".", e.path + "["))), None)
            if entry is not None:
                ledger.inputs.append(InputLeaf(path, "report", (), entry.kind, entry.row))
            else:
                ledger.inputs.append(InputLeaf(path, "consumed", (spec.id,)))
    return ledger


@dataclass(frozen=True, slots=True)
class _Part:
    """One object of the event a table section built: where it sits in the event, the rows, the object
    of the body it was built from and where that sits in the body."""

    at: str
    rows: tuple[Row, ...]
    src: Any
    out: Any
    src_at: str


def _fulfillment_event(
    payload: dict[str, Any], event: dict[str, Any], entries: list[Entry], spec: WebhookSpec, plan: Plan, jwt_time: bool
) -> Ledger:
    container = _keys(spec)
    body_at: tuple[str | int, ...] = (*container, "fulfillments", 0)
    built = get(event, spec.container)
    parts = []
    if isinstance(built, dict) and built.get("fulfillments"):
        # The fulfillment rows read these keys of the body (webhook_bodies.fulfillment_body).
        src = {k: v for k, v in payload.items() if k in ("fulfillmentId", "dateCreated", "trackingInfo", "lineItems")}
        parts.append(_Part(render_steps(body_at), plan.table.fulfillment, src, built["fulfillments"][0], "$"))
    copies = {render_steps((*container, "orderId")): "$.orderId"}
    return _built_event(payload, event, entries, spec, parts, copies, "$.orderId", jwt_time)


def _transactions_event(
    payload: dict[str, Any], event: dict[str, Any], entries: list[Entry], spec: WebhookSpec, plan: Plan, jwt_time: bool
) -> Ledger:
    container = _keys(spec)
    built = get(event, spec.container)
    refunds = built["orderTransactions"]["refunds"] if isinstance(built, dict) else []
    order = payload.get("order")
    raw = order.get("refunds") if isinstance(order, dict) else None
    # The whole companion by the order_transactions rows (its payments from order.billingInfo and the
    # totals), then each refund by the refund rows, which name its leaves more closely.
    whole = built.get("orderTransactions") if isinstance(built, dict) else None
    parts = [_Part(render_steps((*container, "orderTransactions")), plan.table.order_transactions, order, whole, "$.order")]
    parts += [
        _Part(
            render_steps((*container, "orderTransactions", "refunds", n)), plan.table.refund, raw[n], out, f"$.order.refunds[{n}]"
        )
        for n, out in enumerate(refunds)
        if isinstance(raw, list)
    ]
    copies = {
        render_steps((*container, "orderTransactions", "orderId")): "$.order.id",
        render_steps((*container, "refundIds", 0)): "$.refundId",
    }
    return _built_event(payload, event, entries, spec, parts, copies, "$.order.id", jwt_time)


def _built_event(
    payload: dict[str, Any],
    event: dict[str, Any],
    entries: list[Entry],
    spec: WebhookSpec,
    parts: Sequence[_Part],
    copies: dict[str, str],
    entity: str,
    jwt_time: bool,
) -> Ledger:
    """The ledger of an event built from section rows (``parts``), values copied as they are (``copies``:
    event path -> body path) and the event's own fields (``jwt_time``: its time is the JWT's)."""
    times = [p.render() for p in spec.event_time if isinstance(get(payload, p), str) and get(payload, p)]
    own = {"$.entityId": (entity,), "$.eventTime": (JWT_IAT,) if jwt_time else tuple(times[:1])}
    made = {}
    for part in parts:
        for o in section_outputs(part.rows, part.src, part.out):
            made[part.at + o.path[1:]] = OutputLeaf(
                part.at + o.path[1:], o.row, o.op, tuple(part.src_at + i[1:] for i in o.inputs), o.note
            )
    given = {path for path, _ in _leaf_paths(payload)} | {JWT_IAT}
    ledger = Ledger()
    for steps, _ in leaves_of(event):
        path = render_steps(steps)
        if path in made and made[path].row is not None:
            ledger.outputs.append(made[path])
        elif path in made:  # an object the rows made nothing in: the body held none of what they read
            ledger.outputs.append(OutputLeaf(path, spec.id, "webhook", (), "nothing in the body for its rows"))
        else:
            named = (copies[path],) if path in copies else own.get(path, ())
            ledger.outputs.append(OutputLeaf(path, spec.id, "webhook", tuple(i for i in named if i in given)))
    carried = ledger.rows_by_input()
    for steps, value in leaves_of(payload):
        if is_empty(value):
            continue
        path = render_steps(steps)
        exact = next((e for e in entries if e.path == path and e.kind in NOT_CARRIED), None)
        entry = exact or _covering(entries, path)
        if path in carried and exact is not None and exact.kind == "not_derivable":
            # What the stored order cannot give (the refund's paymentId) anchors at a value that was
            # carried (its amount): carried is the one verdict, the entry named beside it, as for an order.
            ledger.inputs.append(InputLeaf(path, "output", tuple(carried[path]), beside=(exact,)))
        elif path in carried and exact is None:
            ledger.inputs.append(InputLeaf(path, "output", tuple(carried[path])))
        elif entry is not None:
            ledger.inputs.append(InputLeaf(path, "report", (), entry.kind, entry.row))
        else:
            readers = next((section_readers(p.rows, "$" + path[len(p.src_at) :]) for p in parts if _within(path, p.src_at)), ())
            ledger.inputs.append(InputLeaf(path, "consumed", readers or (spec.id,)))
    return ledger


def _keys(spec: WebhookSpec) -> tuple[str, ...]:
    """The keys of the event's body container (actionEvent.body): a plain path."""
    return tuple(s for s in spec.container.segments if isinstance(s, str))


def _leaf_paths(payload: Any) -> Iterator[tuple[str, Any]]:
    for steps, value in leaves_of(payload):
        if not is_empty(value):
            yield render_steps(steps), value


def _within(path: str, at: str) -> bool:
    return at == "$" or path == at or path.startswith((at + ".", at + "["))


def _covering(entries: list[Entry], path: str) -> Entry | None:
    """The deepest report entry at ``path`` or at an object holding it; an entry about the whole record
    (at ``$``: what the event lacks, an unverified signature) says nothing of one input leaf."""
    best: Entry | None = None
    for e in entries:
        if e.path != "$" and _within(path, e.path) and (best is None or len(e.path) > len(best.path)):
            best = e
    return best
