"""One stored record as the requests that import it: Import Order (the converted order without the fields
an import does not take), its Add Payments (payments.py) and its Create Fulfillment requests (with
``{orderId}`` for the id the import returns), checked against what Import Order requires and against the
request models; and the Set Order Number Counter request that ends a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ..convert import Conversion, convert_order
from ..engine import Plan, default_plan
from ..money import DEFAULT_LOCALE
from ..paths import get
from ..reader import Record
from ..report import ConversionError, Entry, Problem, describe
from ..route import detect_webhook, is_ecom_event, is_jwt
from ..webhook_jwt import decode_delivery
from .payments import ADD_PAYMENTS, payment_requests
from .required import check_import, present

IMPORT_ORDER: Final = ("POST", "/ecom/v1/orders/import")
SET_ORDER_NUMBER_COUNTER: Final = ("POST", "/ecom/v1/orders/import/set-order-number-counter")
BULK_DELETE_IMPORTED_ORDERS: Final = ("POST", "/ecom/v1/orders/import/bulk-delete-imported-orders")
CREATE_FULFILLMENT: Final = ("POST", "/ecom/v1/fulfillments/orders/{orderId}/create-fulfillment")
ORDER_ID: Final = "{orderId}"  # filled by `send` from the import's response (order.id)
MAX_ORDER_NUMBER_COUNTER: Final = 999_999_999  # SetOrderNumberCounterRequest.counter: @max

# Order fields an import does not take: @readonly in the published Order type and set or computed by
# Wix itself. The other read-only fields are the order's history, which Import Order's documentation
# says it stores as given ("historical data, such as the original creation date, order number, and
# statuses"; "priceSummary, balanceSummary, and fulfillmentStatus reflect exactly what you send"), and
# lineItems and priceSummary it requires: number, createdDate, fulfillmentStatus, priceSummary,
# balanceSummary, lineItems (with their totals and formattedAmounts), activities and createdBy stay.
LEFT_OUT: Final[dict[str, str]] = {
    "id": "Import Order creates a new order when the request has no id (an id overwrites an imported order)",
    "updatedDate": "read-only: Wix sets it when it stores the imported order",
    "siteLanguage": "read-only: the site's own language, set by Wix",
    "payAfterFreeTrial": "read-only: Wix computes it for subscriptions",
    "imported": "read-only: Import Order sets it",
}
# Fulfillment fields Create Fulfillment does not take (@readonly in the published Fulfillment type).
FULFILLMENT_LEFT_OUT: Final[dict[str, str]] = {
    "id": "read-only in Create Fulfillment: Wix gives the fulfillment a new id",
    "createdDate": "read-only in Create Fulfillment: Wix stamps the time it is created",
}


@dataclass(slots=True)
class PlannedOrder:
    """One order's requests, and the report of what its import leaves out."""

    ref: dict[str, Any]
    requests: list[dict[str, Any]]
    number: int | None
    conversion: Conversion
    entries: list[Entry] = field(default_factory=list)
    refunds: int = 0  # stored refunds the plan cannot add (Order Transactions has no Add Refund)


class Rejected(Exception):
    """An order that cannot be planned: every problem, each at its path in the request or the record."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def import_body(order: dict[str, Any]) -> tuple[dict[str, Any], list[Entry]]:
    """The Import Order request for a converted order, and a report entry for each field left out."""
    body = {k: v for k, v in order.items() if k not in LEFT_OUT}
    entries = [
        Entry("dropped", f"$.{key}", f"left out of Import Order: {LEFT_OUT[key]}", "import-plan")
        for key in order
        if key in LEFT_OUT and present(order[key])
    ]
    return {"order": body}, entries


def _fulfillment_body(raw: Any, n: int, plan: Plan, locale: str) -> tuple[dict[str, Any], list[Entry], list[Problem]]:
    where = f"$.fulfillments[{n}]"
    if not isinstance(raw, dict):
        return {}, [], [Problem(where, f"expected a fulfillment object, got {describe(raw)}")]
    try:
        out, entries = plan.fulfillment.convert(raw, prefix=where, locale=locale, currency=None)
    except ConversionError as exc:
        return {}, [], exc.problems
    problems: list[Problem] = []
    for key, why in FULFILLMENT_LEFT_OUT.items():
        if present(out.pop(key, None)):
            entries.append(Entry("dropped", f"{where}.{key}", f"left out of Create Fulfillment: {why}", "import-plan"))
    items = out.get("lineItems")
    if not isinstance(items, list) or not items:
        problems.append(
            Problem(
                f"{where}.lineItems",
                "Create Fulfillment requires the fulfilled line items and this fulfillment names none: "
                "add them to the stored fulfillment (each with its line item's index), or remove the fulfillment",
            )
        )
    else:
        for k, item in enumerate(items):
            if not isinstance(item, dict) or not present(item.get("id")):
                problems.append(
                    Problem(f"{where}.lineItems[{k}].index", "Create Fulfillment requires each line item's id (from its index)")
                )
    return {"orderId": ORDER_ID, "fulfillment": out}, entries, problems


def _ref(rec: Record, stores_id: str | None, request: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"source": rec.source}
    if rec.line is not None:
        ref["line"] = rec.line
    ref["record"] = rec.prefix
    if stores_id is not None:
        ref["storesOrderId"] = stores_id
    ref["request"] = request
    return ref


def _stores_order(payload: Any, plan: Plan) -> Any:
    """The order inside a record: the record itself, or the whole order a webhook body carries."""
    if is_jwt(payload):
        payload = decode_delivery(payload.strip(), None).body
    if is_ecom_event(payload):
        raise ConversionError([Problem("$", "an eCommerce event, not a stored order: import-plan takes orders")])
    spec = detect_webhook(payload, plan.webhooks)
    if spec is None:
        return payload
    if spec.summary or spec.order is None or spec.fulfillment or spec.transactions:
        raise ConversionError(
            [Problem("$", f"a Stores {spec.stores} webhook body holds no whole order: import the stored order itself")]
        )
    return get(payload, spec.order)


def plan_record(rec: Record, plan: Plan | None = None, locale: str = DEFAULT_LOCALE) -> PlannedOrder:
    """One record's requests. Raises ``Rejected`` (or ``ConversionError``) with every problem found."""
    plan = plan or default_plan()
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    stores_order = _stores_order(rec.payload, plan)
    # With its companions: the payments come from its Order Transactions, and the report then says what
    # of them the plan carries instead of sending the user to fetch them.
    conversion = convert_order(stores_order, locale=locale, plan=plan, source=source, companions=True)
    order = conversion.order
    stores_id = conversion.report.order_id
    problems = check_import(order)
    body, entries = import_body(order)
    ref = _ref(rec, stores_id, "import")
    requests: list[dict[str, Any]] = [{"ref": ref, "method": IMPORT_ORDER[0], "path": IMPORT_ORDER[1], "body": body}]
    payments = payment_requests(conversion, stores_order)
    for n, (method, path, pay) in enumerate(payments.requests):
        requests.append({"ref": _ref(rec, stores_id, f"payment[{n}]"), "method": method, "path": path, "body": pay})
    entries.extend(payments.entries)
    raw_fulfillments = stores_order.get("fulfillments") if isinstance(stores_order, dict) else None
    if isinstance(raw_fulfillments, list):
        for n, raw in enumerate(raw_fulfillments):
            fbody, found, bad = _fulfillment_body(raw, n, plan, locale)
            entries.extend(found)
            problems.extend(bad)
            path = CREATE_FULFILLMENT[1]
            requests.append(
                {"ref": _ref(rec, stores_id, f"fulfillment[{n}]"), "method": CREATE_FULFILLMENT[0], "path": path, "body": fbody}
            )
    if not problems:
        problems = _model_problems(requests)
    if problems:
        raise Rejected(problems)
    number = order.get("number")
    return PlannedOrder(
        ref,
        requests,
        int(number) if isinstance(number, str) and number.isdigit() else None,
        conversion,
        entries,
        payments.refunds,
    )


def _model_problems(requests: list[dict[str, Any]]) -> list[Problem]:
    """What the request models refuse beyond a missing field (a value outside an enum, a size limit):
    Wix would refuse the request, so the order is rejected now rather than failing half-imported."""
    # Imported on first use: building the pydantic models is most of the package's import time.
    from ..models.importing import AddPaymentsRequest, CreateFulfillmentRequest, ImportOrderRequest
    from ..models.validate import model_problems

    problems: list[Problem] = []
    for request in requests:
        refuser = "Import Order"
        if request["path"] == IMPORT_ORDER[1]:
            found = model_problems(ImportOrderRequest, request["body"])
        elif request["path"] == CREATE_FULFILLMENT[1]:
            n = request["ref"]["request"].removeprefix("fulfillment[").removesuffix("]")
            found = [
                Problem(f"$.fulfillments[{n}]" + p.path.removeprefix("$.fulfillment"), p.message)
                for p in model_problems(CreateFulfillmentRequest, request["body"])
            ]
        elif request["path"] == ADD_PAYMENTS[1]:
            refuser = "Add Payments"
            found = model_problems(AddPaymentsRequest, request["body"])
        else:
            found = []
        problems.extend(Problem(p.path, f"{refuser} would refuse it: {p.message}") for p in found)
    return problems


def counter_request(highest: int) -> dict[str, Any]:
    """Set Order Number Counter: the site's next order gets the number after the highest imported."""
    counter = str(highest + 1)
    # The counter in the ref: a later plan that moves the counter on is a new request, not one already sent.
    return {
        "ref": {"request": "order-number-counter", "counter": counter},
        "method": SET_ORDER_NUMBER_COUNTER[0],
        "path": SET_ORDER_NUMBER_COUNTER[1],
        "body": {"counter": counter},
    }
