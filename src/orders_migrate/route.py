"""What a record is, decided in one place: convert, batch, check and the readers all ask ``route``.

A record is a Stores webhook body (named by ``--kind``, or by its shape), the JWT Wix delivered, an
eCommerce event (passed through), or an order: Stores (REST or Velo), eCommerce (passed through), a
half-converted mix of both (refused), or none of these. A document holds one record, or the orders of a
Get Order or Query Orders response or of a JSON array (``payload_records``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .engine.detect import detect_kind
from .engine.routing import default_routing
from .engine.webhook_table import WebhookSpec

if TYPE_CHECKING:
    from .engine.plan import Plan
    from .engine.routing import Routing

JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

RecordKind = Literal["stores_webhook", "jwt", "ecom_event", "stores_order", "ecom_order", "mixed", "unknown"]


@dataclass(frozen=True, slots=True)
class Route:
    """A record's kind, and the Stores webhook it is when its shape says so."""

    kind: RecordKind
    webhook: WebhookSpec | None = None

    @property
    def event(self) -> bool:
        """The webhook converter takes it (a Stores webhook body, a JWT or an eCommerce event)."""
        return self.kind in ("stores_webhook", "jwt", "ecom_event")


def route(payload: Any, plan: Plan | Routing | None = None, kind: str | None = None) -> Route:
    """What ``payload`` is under ``plan``'s table (the shipped one's routing by default: its rows need
    not be compiled to tell); ``kind`` is the user's ``--kind`` (a webhook id, or ``order`` to take a
    bare ``{"order": ...}`` as an order)."""
    plan = plan or default_routing()
    if kind is not None and kind != "order":
        return Route("stores_webhook")  # the webhook converter looks the kind up (and names the known ones)
    if is_jwt(payload):
        return Route("jwt")
    if is_ecom_event(payload):
        return Route("ecom_event")
    spec = detect_webhook(payload, plan.webhooks)
    if spec is not None:
        return Route("stores_webhook", spec)
    return Route(detect_kind(payload, plan.table))


def is_jwt(payload: Any) -> bool:
    return isinstance(payload, str) and JWT_RE.fullmatch(payload.strip()) is not None


def is_ecom_event(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("entityFqdn"), str) and "slug" in payload


def detect_webhook(payload: Any, specs: tuple[WebhookSpec, ...]) -> WebhookSpec | None:
    """The Stores webhook a stored body is, by its keys; a bare {order} is ambiguous and gives None."""
    if not isinstance(payload, dict):
        return None
    for spec in specs:
        has = spec.has
        # The first key decides for nearly every record (an order has none of them): no generator for it.
        shaped = has and has[0] in payload and all(k in payload for k in has) and not any(k in payload for k in spec.lacks)
        if shaped and all(payload.get(k) == v for k, v in spec.requires.items()):
            return spec
    return None


def payload_records(doc: Any, kind: str | None = None, plan: Plan | Routing | None = None) -> Iterator[tuple[str, Any]]:
    """The records of a JSON document: a webhook body (or a JWT, or an eCommerce event) is one record;
    otherwise the orders it holds (see ``records``). A named webhook ``kind`` keeps the body whole."""
    for prefix, payload, _ in routed_records(doc, kind, plan):
        yield prefix, payload


def routed_records(
    doc: Any, kind: str | None = None, plan: Plan | Routing | None = None
) -> Iterator[tuple[str, Any, Route | None]]:
    """``payload_records`` with the route of a record that is the whole document (None for one inside
    it), so a reader's caller need not route the same record a second time."""
    routed = route(doc, plan, kind)
    if routed.event:
        yield "$", doc, routed
    else:
        for prefix, payload in records(doc):
            yield prefix, payload, routed if payload is doc else None


def records(payload: Any) -> Iterator[tuple[str, Any]]:
    """The orders inside a payload with their JSON path: one order, ``{"order": ...}`` (Get Order),
    ``{"orders": [...]}`` (Query Orders) or a JSON array of orders."""
    if isinstance(payload, list):
        for n, item in enumerate(payload):
            yield f"$[{n}]", item
    elif isinstance(payload, dict) and isinstance(payload.get("orders"), list) and "lineItems" not in payload:
        for n, item in enumerate(payload["orders"]):
            yield f"$.orders[{n}]", item
    elif isinstance(payload, dict) and isinstance(payload.get("order"), dict) and set(payload) == {"order"}:
        yield "$.order", payload["order"]
    else:
        yield "$", payload
