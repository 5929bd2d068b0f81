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
from ..engine.apply import written_with_companions
from ..engine.companions import contradictions
from ..engine.detect import detect_kind
from ..engine.table import COMPANION_SECTIONS
from ..money import DEFAULT_LOCALE
from ..paths import get, parse, render_steps
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
# Where a record holds the fulfillments: a Stores order's own, or the orderWithFulfillments beside the
# eCommerce order `convert --companions` wrote.
STORES_FULFILLMENTS: Final = "$.fulfillments"
WRITTEN_FULFILLMENTS: Final = "$.orderWithFulfillments.fulfillments"
# A bare eCommerce order with one of these payment statuses has no payment import-plan could add (as for
# the Stores order: Add Payments needs an amount, and an unpaid or partly paid order records none), and
# with a fulfillment status outside FULFILLED no fulfillment it must have had.
NO_PAYMENT_TO_PLAN: Final = ("NOT_PAID", "PARTIALLY_PAID")
FULFILLED: Final = ("FULFILLED", "PARTIALLY_FULFILLED")
BARE_ORDER: Final = (
    "an eCommerce order ({status}) without the {companion} its {what} are planned from: planning its import "
    "alone would lose them; plan the Stores order it was converted from, or the record `convert --companions` "
    'writes for it ({{"order": ..., "orderTransactions": ..., "orderWithFulfillments": ...}})'
)
NO_FULFILLMENT_BESIDE: Final = (
    "no fulfillment planned: the order is {status} and no orderWithFulfillments is beside it (`convert "
    "--companions` writes none for a Stores order that holds no fulfillment); if it had fulfillments, plan "
    "the Stores order it was converted from"
)
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
    order_at: str = "$"  # where the record holds the order: "$.order" in one `convert --companions` wrote


class Rejected(Exception):
    """An order that cannot be planned: every problem, each at its path in the request or the record
    (``in_record``: every path is one in the record, as in a record ``convert --companions`` wrote, whose
    ``$.order`` is the Import Order body's)."""

    def __init__(self, problems: list[Problem], *, in_record: bool = False):
        self.problems = problems
        self.in_record = in_record
        super().__init__("; ".join(str(p) for p in problems))


def import_body(order: dict[str, Any], *, at: str = "$") -> tuple[dict[str, Any], list[Entry]]:
    """The Import Order request for a converted order, and a report entry for each field left out (at
    its path below ``at``, where the order is in the record)."""
    body = {k: v for k, v in order.items() if k not in LEFT_OUT}
    entries = [
        Entry("dropped", f"{at}.{key}", f"left out of Import Order: {LEFT_OUT[key]}", "import-plan")
        for key in order
        if key in LEFT_OUT and present(order[key])
    ]
    return {"order": body}, entries


def _fulfillment_body(raw: Any, n: int, plan: Plan, locale: str) -> tuple[dict[str, Any], list[Entry], list[Problem]]:
    """A stored Stores fulfillment as the Create Fulfillment request, converted by the fulfillment rows."""
    where = f"{STORES_FULFILLMENTS}[{n}]"
    if not isinstance(raw, dict):
        return {}, [], [Problem(where, f"expected a fulfillment object, got {describe(raw)}")]
    try:
        out, entries = plan.fulfillment.convert(raw, prefix=where, locale=locale, currency=None)
    except ConversionError as exc:
        return {}, [], exc.problems
    return _fulfillment_request(out, where, entries, written=False)


def _written_fulfillment_body(raw: Any, n: int) -> tuple[dict[str, Any], list[Entry], list[Problem]]:
    """A fulfillment of the orderWithFulfillments ``convert --companions`` wrote: already converted by the
    same rows, so the request is the one its Stores fulfillment gives."""
    where = f"{WRITTEN_FULFILLMENTS}[{n}]"
    if not isinstance(raw, dict):
        return {}, [], [Problem(where, f"expected a fulfillment object, got {describe(raw)}")]
    return _fulfillment_request(dict(raw), where, [], written=True)


def _fulfillment_request(
    out: dict[str, Any], where: str, entries: list[Entry], *, written: bool
) -> tuple[dict[str, Any], list[Entry], list[Problem]]:
    # A stored Stores fulfillment names its line items by index; a converted one by the id the index gave.
    add_to = (
        "the fulfillment (each with its line item's id)"
        if written
        else "the stored fulfillment (each with its line item's index)"
    )
    id_from = "id" if written else "index"
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
                f"add them to {add_to}, or remove the fulfillment",
            )
        )
    else:
        for k, item in enumerate(items):
            if not isinstance(item, dict) or not present(item.get("id")):
                problems.append(
                    Problem(
                        f"{where}.lineItems[{k}].{id_from}",
                        "Create Fulfillment requires each line item's id" + ("" if written else " (from its index)"),
                    )
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
    """One record's requests. Raises ``Rejected`` (or ``ConversionError``) with every problem found.

    The record is a stored Stores order, or what ``convert --companions`` wrote for one (the eCommerce
    order with its orderTransactions and orderWithFulfillments): both give the same requests. A bare
    eCommerce order is planned only when it says it has no payment and no fulfillment to carry."""
    plan = plan or default_plan()
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    stores_order = _stores_order(rec.payload, plan)
    # `convert --companions` writes {"order": ...} alone for an order with nothing for a companion; the
    # reader takes such a document for a Get Order response, but an element of a JSON array stays whole.
    alone = rec.prefix.endswith(".order")
    order_at = "$"  # where the record holds the order
    if isinstance(stores_order, dict) and set(stores_order) == {"order"} and isinstance(stores_order["order"], dict):
        stores_order, alone, order_at = stores_order["order"], True, "$.order"
    written = isinstance(stores_order, dict) and written_with_companions(stores_order, plan)
    if written:
        order_at = "$.order"
    elif isinstance(stores_order, dict):
        _refuse_other_order_records(stores_order, plan)
    # With its companions: the payments come from its Order Transactions, and the report then says what
    # of them the plan carries instead of sending the user to fetch them.
    conversion = convert_order(stores_order, locale=locale, plan=plan, source=source, companions=True)
    order = conversion.order
    problems: list[Problem] = []
    entries: list[Entry] = []
    if written:
        problems = _written_problems(stores_order)
    elif conversion.report.payload_kind == "ecom_order":
        problems, entries = _bare_problems(order, alone, order_at)
    if problems:
        raise Rejected(problems, in_record=True)
    stores_id = conversion.report.order_id
    problems = check_import(order)
    body, left_out = import_body(order, at=order_at)
    entries.extend(left_out)
    ref = _ref(rec, stores_id, "import")
    requests: list[dict[str, Any]] = [{"ref": ref, "method": IMPORT_ORDER[0], "path": IMPORT_ORDER[1], "body": body}]
    payments = payment_requests(conversion, order if written else stores_order, written=written)
    for n, (method, path, pay) in enumerate(payments.requests):
        requests.append({"ref": _ref(rec, stores_id, f"payment[{n}]"), "method": method, "path": path, "body": pay})
    entries.extend(payments.entries)
    if written:
        raw_fulfillments = get(conversion.companions, parse("orderWithFulfillments.fulfillments"))
    else:
        raw_fulfillments = stores_order.get("fulfillments") if isinstance(stores_order, dict) else None
    if isinstance(raw_fulfillments, list):
        for n, raw in enumerate(raw_fulfillments):
            fbody, found, bad = _written_fulfillment_body(raw, n) if written else _fulfillment_body(raw, n, plan, locale)
            entries.extend(found)
            problems.extend(bad)
            path = CREATE_FULFILLMENT[1]
            requests.append(
                {"ref": _ref(rec, stores_id, f"fulfillment[{n}]"), "method": CREATE_FULFILLMENT[0], "path": path, "body": fbody}
            )
    if not problems:
        problems = _model_problems(requests, WRITTEN_FULFILLMENTS if written else STORES_FULFILLMENTS)
    if problems:
        raise Rejected(problems, in_record=written)
    number = order.get("number")
    return PlannedOrder(
        ref,
        requests,
        int(number) if isinstance(number, str) and number.isdigit() else None,
        conversion,
        entries,
        payments.refunds,
        order_at,
    )


def _refuse_other_order_records(record: dict[str, Any], plan: Plan) -> None:
    """An order beside keys, not itself an order, that is not what ``convert --companions`` writes: said
    as such (converting it would only say it is no Stores order)."""
    order = record.get("order")
    if not isinstance(order, dict) or detect_kind(record, plan.table) != "unknown":
        return
    others = sorted(set(record) - {"order"} - set(COMPANION_SECTIONS))
    if others:
        message = (
            "not a companion: a record of an order and its companions holds only order, "
            f"{', '.join(COMPANION_SECTIONS)}; plan the order alone"
        )
        raise Rejected([Problem(render_steps((key,)), message) for key in others], in_record=True)
    if detect_kind(order, plan.table) == "stores_order":
        message = (
            "a Stores order beside companions: import-plan builds the companions from the Stores order itself; "
            "plan the Stores order alone, or what `convert --companions` writes for it"
        )
        raise Rejected([Problem("$.order", message)], in_record=True)


def _written_problems(record: dict[str, Any]) -> list[Problem]:
    """What makes a record ``convert --companions`` wrote no plan: a companion its schema refuses, or one
    that names another order or a line item the order lacks (its payments or fulfillments would land on
    the wrong order, or Wix would refuse them after the order is imported)."""
    from ..models.validate import COMPANION_NAMES, validate_companion  # the models: built on first use

    problems = [
        Problem(f"$.{name}{p.path[1:]}", f"not a valid {name}: {p.message}")
        for name in COMPANION_NAMES
        if name in record
        for p in validate_companion(name, record[name])
    ]
    return problems + contradictions(record, COMPANION_NAMES)


def _bare_problems(order: dict[str, Any], alone: bool, at: str) -> tuple[list[Problem], list[Entry]]:
    """What a bare eCommerce order says it had that import-plan would plan from a companion it lacks: an
    order alone cannot give its payments or fulfillments, and planning its import alone would lose them.

    ``alone``: the order was ``{"order": ...}``, as ``convert --companions`` writes an order with nothing
    for a companion. A paid Stores order always gives a payment to plan, so a paid order is refused still;
    but a fulfilled Stores order may hold no fulfillment (and then plans none), so a fulfilled one is
    planned, and its report says that no fulfillment is. ``at``: where the record holds the order."""
    problems: list[Problem] = []
    entries: list[Entry] = []
    status = order.get("paymentStatus")
    if isinstance(status, str) and status not in NO_PAYMENT_TO_PLAN:
        problems.append(
            Problem(f"{at}.paymentStatus", BARE_ORDER.format(status=status, companion="orderTransactions", what="payments"))
        )
    status = order.get("fulfillmentStatus")
    if isinstance(status, str) and status in FULFILLED and alone:
        entries.append(
            Entry("not_derivable", f"{at}.fulfillmentStatus", NO_FULFILLMENT_BESIDE.format(status=status), "import-plan")
        )
    elif isinstance(status, str) and status in FULFILLED:
        problems.append(
            Problem(
                f"{at}.fulfillmentStatus",
                BARE_ORDER.format(status=status, companion="orderWithFulfillments", what="fulfillments"),
            )
        )
    return problems, entries


def _model_problems(requests: list[dict[str, Any]], fulfillments_at: str) -> list[Problem]:
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
                Problem(f"{fulfillments_at}[{n}]" + p.path.removeprefix("$.fulfillment"), p.message)
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
