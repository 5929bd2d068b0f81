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
from .paths import key_step
from .report import Entry, describe

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
    return document_records(doc, kind, plan)[0]


def document_records(
    doc: Any, kind: str | None = None, plan: Plan | Routing | None = None
) -> tuple[Iterator[tuple[str, Any, Route | None]], list[Entry]]:
    """``routed_records``, and what the document holds beside them (``envelope_entries``), from one route."""
    routed = route(doc, plan, kind)
    if routed.event:
        return iter((("$", doc, routed),)), []
    inside = ((prefix, payload, routed if payload is doc else None) for prefix, payload in records(doc))
    return inside, envelope_entries(doc)


def records(payload: Any) -> Iterator[tuple[str, Any]]:
    """The orders inside a payload with their JSON path: one order, ``{"order": ...}`` (Get Order),
    ``{"orders": [...]}`` (Query Orders) or a JSON array of orders."""
    if isinstance(payload, list):
        for n, item in enumerate(payload):
            yield f"$[{n}]", item
    elif is_query_response(payload):
        for n, item in enumerate(payload["orders"]):
            yield f"$.orders[{n}]", item
    elif isinstance(payload, dict) and isinstance(payload.get("order"), dict) and set(payload) == {"order"}:
        yield "$.order", payload["order"]
    else:
        yield "$", payload


def is_query_response(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("orders"), list) and "lineItems" not in payload


# What a Query Orders response holds beside its orders: the paging of the query that returned it.
_PAGING = frozenset({"metadata", "totalResults"})


def envelope_entries(doc: Any) -> list[Entry]:
    """What a document of orders holds beside the orders ``records`` takes out of it, each with its reason:
    a Query Orders response's paging and any other key of it (a Get Order response is taken only when it
    holds nothing else, and an array holds only its records)."""
    if not is_query_response(doc):
        return []
    entries = []
    for key, value in doc.items():
        if key == "orders":
            continue
        path = "$" + key_step(key)
        if key in _PAGING:
            message = (
                "the paging of the query that returned this Query Orders response, not part of any order: "
                "each order is converted on its own (eCommerce Search Orders pages by cursorPaging)"
            )
            entries.append(Entry("dropped", path, message))
        else:
            message = (
                f"a key of the Query Orders response beside its orders ({describe(value)}), not part of any order; not carried"
            )
            entries.append(Entry("unmapped", path, message))
    return entries
