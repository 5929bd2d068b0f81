"""Stored Stores webhooks -> the eCommerce events Wix fires at the same time.

The `webhooks` section of mappings.yaml says, per Stores webhook, how to recognise it, where its order
sits, and which eCommerce event (entityFqdn, slug, body container) it becomes. The order inside is
converted by the same plan as any order; fulfillments and refunds by the table's `fulfillment` and
`refund` rows (the event bodies: webhook_bodies.py). A delivered body may still be the JWT Wix sent: it is
decoded (and, given the public key, its RS256 signature verified) first.
"""

from __future__ import annotations

import json
import uuid
from decimal import InvalidOperation
from typing import Any

import orjson

from .convert import Conversion
from .engine import Plan, default_plan
from .engine.apply import python_only
from .engine.webhook_table import WebhookSpec, norm_event_type
from .jsonio import load_record
from .money import DEFAULT_LOCALE
from .paths import get, is_empty, key_step, put, render_steps, tree_copy
from .report import ConversionError, Entry, Problem, Report, describe
from .route import JWT_RE, detect_webhook, is_ecom_event, is_jwt
from .webhook_bodies import fulfillment_body, order_body, transactions_body
from .webhook_jwt import Delivery, decode_delivery, delivery_entries, iso_time

# Event ids are uuid5 in this namespace over the webhook kind and the body: a replay gets the same id.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/orders-migrate/events")

# Under a public key only a signed body is trusted: plain JSON would otherwise look more trusted than an
# unverified JWT (it carries no "unverified" entry).
UNSIGNED = "not signed: a public key was given, but this body is plain JSON, not the JWT Wix signed, so it cannot be verified"


def refuse_unsigned(payload: Any, public_key: str | None) -> None:
    """Raise ``ConversionError`` at ``$`` when a public key is given and ``payload`` is not a JWT."""
    if public_key is not None and not is_jwt(payload):
        raise ConversionError([Problem("$", UNSIGNED)])


def find_spec(specs: tuple[WebhookSpec, ...], kind: str) -> WebhookSpec:
    for spec in specs:
        if spec.id == kind:
            return spec
    raise KeyError(kind)


# ---- conversion ------------------------------------------------------------------------------------


def convert_webhook(
    payload: dict[str, Any] | bytes | str,
    *,
    kind: str | None = None,
    public_key: str | None = None,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
) -> Conversion:
    """Convert one stored Stores webhook body to its eCommerce event.

    ``payload`` is the body as a dict, the JSON bytes or text as read (parsed by ``orders_migrate.loads``,
    which keeps Velo prices digit for digit), or the JWT Wix delivered. ``kind`` names the webhook
    (``order-paid``, ...) where the body alone cannot tell; ``public_key`` verifies a JWT body; an
    eCommerce event passes through unchanged. Raises ``ConversionError`` for bodies that cannot be
    converted.
    """
    if isinstance(payload, bytes):
        token = payload.strip().decode("ascii", "replace")
        payload = token if JWT_RE.fullmatch(token) else load_record(payload, "a webhook body")
    elif isinstance(payload, str) and not JWT_RE.fullmatch(payload.strip()):
        payload = load_record(payload, "a webhook body")
    return convert_parsed_webhook(payload, kind=kind, public_key=public_key, locale=locale, plan=plan, source=source)


def convert_parsed_webhook(
    payload: Any,
    *,
    kind: str | None = None,
    public_key: str | None = None,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
) -> Conversion:
    """``convert_webhook`` for a value already parsed: a string here is a JWT or an error, never a JSON
    text to parse a second time."""
    try:
        return _convert_webhook(payload, kind=kind, public_key=public_key, locale=locale, plan=plan, source=source)
    except RecursionError:
        raise ConversionError([Problem("$", "nested too deeply to convert")]) from None
    # A value no JSON holds: the order's own net names it, and the body's event id spells all the body.
    except (InvalidOperation, ValueError, TypeError, AttributeError) as exc:
        raise python_only(payload, exc) from None


def _convert_webhook(
    payload: Any,
    *,
    kind: str | None = None,
    public_key: str | None = None,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
) -> Conversion:
    """Convert one stored Stores webhook body (a dict, or the JWT string Wix delivered) to its eCommerce event.

    ``kind`` names the webhook (``order-paid``, ...) where the body alone cannot tell; an eCommerce event
    passes through unchanged. Raises ``ConversionError`` for bodies that cannot be converted.
    """
    plan = plan or default_plan()
    specs = plan.webhooks
    delivery: Delivery | None = None
    refuse_unsigned(payload, public_key)
    if isinstance(payload, str):
        if not JWT_RE.fullmatch(payload.strip()):
            raise ConversionError([Problem("$", "expected a webhook body: a JSON object or a JWT")])
        delivery = decode_delivery(payload.strip(), public_key)
        payload = delivery.body
    if is_ecom_event(payload):
        report = Report("ecom_event", payload.get("entityId"), source)
        report.entries.append(Entry("passed_through", "$", "already an eCommerce event: passed through unchanged"))
        if delivery is not None:
            report.verified = delivery.verified
            report.entries.extend(delivery_entries(delivery, None))
        return Conversion(tree_copy(payload), report)  # the caller's own objects stay theirs
    spec = _choose(payload, kind, delivery, specs)
    if not isinstance(payload, dict):
        raise ConversionError([Problem("$", f"expected a webhook body object, got {describe(payload)}")])
    for key, value in spec.requires.items():
        if payload.get(key) != value:
            raise ConversionError([Problem(render_steps((key,)), f"a {spec.stores} webhook needs {key} = {describe(value)}")])
    entries: list[Entry] = []
    # Keys that only select the webhook or its time are carried by the event itself.
    consumed: set[str] = set(spec.requires) | {p.text for p in spec.event_time if len(p.segments) == 1}
    if spec.fulfillment:
        entity_id, body = fulfillment_body(payload, spec, plan, entries, consumed, locale)
    elif spec.transactions:
        entity_id, body = transactions_body(payload, spec, plan, entries, consumed, locale)
    else:
        entity_id, body = order_body(payload, spec, plan, entries, consumed, locale, source)
    event: dict[str, Any] = {
        "id": str(uuid.uuid5(EVENT_NAMESPACE, spec.id + "\n" + _canonical(payload))),
        "entityFqdn": spec.fqdn,
        "slug": spec.slug,
    }
    if entity_id is not None:
        event["entityId"] = entity_id
    else:
        entries.append(Entry("not_derivable", "$", "the body names no order id, so the event has no entityId", spec.id))
    event_time = iso_time(delivery.issued_at) if delivery and delivery.issued_at is not None else None
    event_time = event_time or _event_time(payload, spec)
    if event_time is not None:
        event["eventTime"] = event_time
    else:
        entries.append(
            Entry("not_derivable", "$", f"a stored {spec.stores} body carries no time: the event has no eventTime", spec.id)
        )
    event["triggeredByAnonymizeRequest"] = False
    put(event, spec.container, body)
    if spec.differs:
        entries.append(Entry("not_derivable", "$", spec.differs, spec.id))
    for name, reason in spec.not_derivable.items():
        entries.append(Entry("not_derivable", spec.container.render() + key_step(name), reason, spec.id))
    for key, value in payload.items():
        if key not in consumed and not is_empty(value):
            entries.append(
                Entry(
                    "unmapped", render_steps((key,)), f"no rule of the {spec.stores} webhook reads this field ({describe(value)})"
                )
            )
    if delivery is not None:
        entries.extend(delivery_entries(delivery, spec))
    report = Report(f"stores_webhook:{spec.id}", entity_id, source, entries)
    if delivery is not None:
        report.verified = delivery.verified
    return Conversion(event, report)


def _canonical(payload: Any) -> str:
    """The body as sorted-key JSON text: the same body always gives the same event id."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except TypeError:  # orjson's JSONEncodeError: integers beyond 64 bits, nesting beyond its limit
        pass
    try:
        return json.dumps(payload, sort_keys=True, default=str)
    except ValueError:  # an integer beyond str()'s digits (only a caller in Python can pass one): in hex
        return json.dumps(_in_hex(payload), sort_keys=True, default=str)


def _in_hex(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _in_hex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_hex(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4096:
        return f"{value:#x}"
    return value


def _choose(payload: Any, kind: str | None, delivery: Delivery | None, specs: tuple[WebhookSpec, ...]) -> WebhookSpec:
    if kind is not None:
        try:
            return find_spec(specs, kind)
        except KeyError:
            raise ConversionError(
                [Problem("$", f"unknown webhook kind {kind!r} (one of {', '.join(s.id for s in specs)})")]
            ) from None
    if delivery is not None and delivery.event_type:
        wanted = norm_event_type(delivery.event_type)
        typed = [spec for spec in specs if wanted in spec.event_types]
        # One Stores event type can be two webhooks told apart by a field (isCancel): the one whose
        # required values the body has, else the first (whose requirement then names what is missing).
        for spec in typed:
            if isinstance(payload, dict) and all(payload.get(k) == v for k, v in spec.requires.items()):
                return spec
        if typed:
            return typed[0]
    found = detect_webhook(payload, specs)
    if found is not None:
        return found
    # The type a JWT names did not choose a webhook: say so first, else the hint below reads as if none was given.
    unknown = (
        f"the JWT's eventType {delivery.event_type!r} is not one this table knows; "
        if delivery is not None and delivery.event_type
        else ""
    )
    if isinstance(payload, dict) and set(payload) == {"order"}:
        raise ConversionError(
            [
                Problem(
                    "$",
                    unknown
                    + "an {order} body may be an Order Paid, Canceled, Declined or Address Updated webhook: say which with --kind (kind= in Python)",
                )
            ]
        )
    raise ConversionError([Problem("$", unknown + "not a Stores webhook body this table knows")])


def _event_time(payload: dict[str, Any], spec: WebhookSpec) -> str | None:
    for path in spec.event_time:
        value = get(payload, path)
        if isinstance(value, str) and value:
            return value
    return None
