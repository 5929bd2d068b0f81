"""The named operations a route of the ``requests`` section names: each builds, from one stored Stores
request's body and path parameters, the bodies of the eCommerce requests the route lists, with a report
entry for whatever of the Stores body they do not carry. Every field rule is the table's: orders go
through the order rows, addresses through the address table, fulfillments through the fulfillment rows,
queries through the query translation.

Paths in entries and problems are the stored record's (``$.body.order.lineItems[0]...``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..engine import Plan
from ..importplan.payments import payment_requests
from ..importplan.requests import FULFILLMENT_LEFT_OUT, import_body
from ..importplan.required import present
from ..report import ConversionError, Entry, Problem, describe, under

ROW: Final = "requests"
BODY: Final = "$.body"


@dataclass(slots=True)
class Built:
    """The bodies of a route's eCommerce requests, as ``(index in the route's ecom list, body)`` (None:
    a request without a body), and what the Stores body had that they do not carry."""

    requests: list[tuple[int, Any]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One stored request as an operation sees it."""

    body: Any
    params: Mapping[str, str]
    plan: Plan
    locale: str
    source: str | None


def _under(entries: list[Entry], prefix: str) -> list[Entry]:
    where = under(prefix)
    return [e.rerooted(where) for e in entries]


def _object(call: Call, what: str) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise ConversionError([Problem(BODY, f"expected {what}, got {describe(call.body)}")])
    return call.body


def _others(body: dict[str, Any], taken: tuple[str, ...], why: str) -> list[Entry]:
    return [Entry("dropped", f"{BODY}.{key}", why, ROW) for key in body if key not in taken and present(body[key])]


def _same_order(body: dict[str, Any], params: Mapping[str, str]) -> list[Problem]:
    # The Stores request types mark a body's orderId read-only: the path names the order.
    given = body.get("orderId")
    if given is not None and given != params.get("orderId"):
        return [
            Problem(f"{BODY}.orderId", f"{describe(given)} differs from the order the path names ({params.get('orderId')!r})")
        ]
    return []


def create_order(call: Call) -> Built:
    body = _object(call, 'a Create Order body {"order": {...}}')
    order = body.get("order")
    if not isinstance(order, dict):
        raise ConversionError([Problem(f"{BODY}.order", f"expected the order to create, got {describe(order)}")])
    try:
        conversion = call.plan.convert(order, locale=call.locale, source=call.source, companions=True)
    except ConversionError as exc:
        raise exc.prefixed(f"{BODY}.order") from None
    ecom, left_out = import_body(conversion.order)
    built = Built(order_id=conversion.report.order_id)
    built.requests.append((0, ecom))
    payments = payment_requests(conversion, order)
    built.requests.extend((1, pay) for _method, _path, pay in payments.requests)
    built.entries = _under([*conversion.report.entries, *left_out, *payments.entries], f"{BODY}.order")
    built.entries += _others(body, ("order",), "not part of a Stores Create Order body (it takes the order only); left out")
    return built


def update_email(call: Call) -> Built:
    body = _object(call, 'an Update Order Email body {"email": ...}')
    problems = _same_order(body, call.params)
    email = body.get("email")
    if not isinstance(email, str) or not email:
        problems.append(Problem(f"{BODY}.email", f"expected the new email address, got {describe(email)}"))
    if problems:
        raise ConversionError(problems)
    order = {"id": call.params["orderId"], "buyerInfo": {"email": email}}
    built = Built([(0, {"order": order})], order_id=call.params["orderId"])
    built.entries = _others(body, ("email", "orderId"), "not part of a Stores Update Order Email body; left out")
    return built


def update_shipping_address(call: Call) -> Built:
    body = _object(call, 'an Update Order Shipping Address body {"shippingAddress": {...}}')
    problems = _same_order(body, call.params)
    if problems:
        raise ConversionError(problems)
    where = f"{BODY}.shippingAddress"
    try:
        converted = call.plan.convert_address(body.get("shippingAddress"), contact=True)
    except ConversionError as exc:
        raise exc.prefixed(where) from None
    destination: dict[str, Any] = {"address": converted.address}
    if converted.contact_details:
        destination["contactDetails"] = converted.contact_details
    order = {"id": call.params["orderId"], "shippingInfo": {"logistics": {"shippingDestination": destination}}}
    built = Built([(0, {"order": order})], order_id=call.params["orderId"])
    built.entries = _under(converted.entries, where)
    if converted.email is not None:
        # The address table sends an address's email to buyerInfo.email, the buyer's own: a new shipping
        # address must not change who bought the order.
        built.entries.append(
            Entry(
                "dropped",
                f"{where}.email",
                "eCommerce addresses carry no email and the address table sends it to buyerInfo.email, the buyer's; "
                "a shipping address update leaves the buyer as it is (send Update Order Email to change it)",
                ROW,
            )
        )
    built.entries += _others(
        body, ("shippingAddress", "orderId"), "not part of a Stores Update Order Shipping Address body; left out"
    )
    return built


def get_order(call: Call) -> Built:
    built = Built([(0, None), (1, None), (2, None)], order_id=call.params.get("id"))
    if present(call.body):
        built.entries.append(Entry("dropped", BODY, "a Get Order request has no body; left out", ROW))
    return built


def search_orders(call: Call) -> Built:
    from ..query.fields import build_query_fields
    from ..query.translate import translate_query

    try:
        translation = translate_query(call.body, call.source, build_query_fields(call.plan.table))
    except ConversionError as exc:
        raise exc.prefixed(BODY) from None
    return Built([(0, translation.request)], _under(list(translation.entries), BODY))


def _fulfillment(call: Call, raw: Any, where: str) -> tuple[dict[str, Any], list[Entry]]:
    if not isinstance(raw, dict):
        raise ConversionError([Problem(where, f"expected a fulfillment object, got {describe(raw)}")])
    out, entries = call.plan.fulfillment.convert(raw, prefix=where, locale=call.locale, currency=None)
    return out, entries


def create_fulfillment(call: Call) -> Built:
    body = _object(call, 'a Create Fulfillment body {"fulfillment": {...}}')
    problems = _same_order(body, call.params)
    if problems:
        raise ConversionError(problems)
    where = f"{BODY}.fulfillment"
    out, entries = _fulfillment(call, body.get("fulfillment"), where)
    for key, why in FULFILLMENT_LEFT_OUT.items():
        if present(out.pop(key, None)):
            entries.append(Entry("dropped", f"{where}.{key}", f"left out of Create Fulfillment: {why}", ROW))
    items = out.get("lineItems")
    if not isinstance(items, list) or not items:
        raise ConversionError(
            [Problem(f"{where}.lineItems", "Create Fulfillment requires the fulfilled line items (each with its index)")]
        )
    missing = [
        Problem(f"{where}.lineItems[{k}].index", "required: the line item's id comes from its index")
        for k, i in enumerate(items)
        if not present(i.get("id"))
    ]
    if missing:
        raise ConversionError(missing)
    built = Built([(0, {"orderId": call.params["orderId"], "fulfillment": out})], entries, call.params["orderId"])
    built.entries += _others(body, ("fulfillment", "orderId"), "not part of a Stores Create Fulfillment body; left out")
    return built


def update_fulfillment(call: Call) -> Built:
    body = _object(call, 'an Update Fulfillment body {"fulfillmentTrackingInfo": {...}}')
    problems = _same_order(body, call.params)
    given = body.get("fulfillmentId")
    if given is not None and given != call.params["fulfillmentId"]:
        problems.append(Problem(f"{BODY}.fulfillmentId", f"{describe(given)} differs from the fulfillment the path names"))
    tracking = body.get("fulfillmentTrackingInfo")
    if not isinstance(tracking, dict):
        problems.append(Problem(f"{BODY}.fulfillmentTrackingInfo", f"expected the new tracking info, got {describe(tracking)}"))
    if problems:
        raise ConversionError(problems)
    # The fulfillment rows read a fulfillment's trackingInfo; Update Fulfillment's body names it fulfillmentTrackingInfo.
    where = f"{BODY}.fulfillmentTrackingInfo"

    def in_body(path: str) -> str:
        return where + path.removeprefix("$.trackingInfo")

    try:
        out, entries = call.plan.fulfillment.convert({"trackingInfo": tracking}, prefix="$", locale=call.locale, currency=None)
    except ConversionError as exc:
        raise exc.rerooted(in_body) from None
    fulfillment = {"id": call.params["fulfillmentId"], **out}
    built = Built([(0, {"orderId": call.params["orderId"], "fulfillment": fulfillment})], order_id=call.params["orderId"])
    built.entries = [e.rerooted(in_body) for e in entries]
    built.entries += _others(
        body, ("fulfillmentTrackingInfo", "orderId", "fulfillmentId"), "not part of a Stores Update Fulfillment body; left out"
    )
    return built


def delete_fulfillment(call: Call) -> Built:
    built = Built([(0, None)], order_id=call.params.get("orderId"))
    if present(call.body):
        built.entries.append(Entry("dropped", BODY, "a Delete Fulfillment request has no body; left out", ROW))
    return built


OPS: Final[dict[str, Callable[[Call], Built]]] = {
    "create_order": create_order,
    "update_email": update_email,
    "update_shipping_address": update_shipping_address,
    "get_order": get_order,
    "search_orders": search_orders,
    "create_fulfillment": create_fulfillment,
    "update_fulfillment": update_fulfillment,
    "delete_fulfillment": delete_fulfillment,
}
