"""Stored Stores orders -> a plan of eCommerce requests that put them into a Wix site.

A plan is NDJSON, one request a line, ``{"ref", "method", "path", "body"}``, in the order to send it:
per order an Import Order request, its payments (see ``payment_requests``) and its fulfillments, whose
path and body hold ``{orderId}`` for the id the import returns; at the end one Set Order Number
Counter request. ``ref`` names the record the request comes from (file, line, JSON path, Stores order
id) and the request's place in it, so a log of responses ties back to the input.

What Import Order requires, and which fields of the order it does not take, are read from the
published types (``@wix/auto_sdk_ecom_orders@1.0.300``: the ``importOrder`` signature and its
``@requiredField`` tags; ``@wix/auto_sdk_ecom_order-fulfillments@1.0.65`` for Create Fulfillment).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import IO, Any, Final

import orjson

from .batch.chunks import write_decimal
from .convert import Conversion, convert_order
from .money import DEFAULT_LOCALE, formatter
from .ops import Ctx, describe
from .paths import get
from .plan import Plan, default_plan
from .reader import ReadError, Record, read_bytes, read_records
from .report import ConversionError, Entry, Problem
from .sources import expand_inputs
from .webhooks import decode_delivery, detect_webhook, is_ecom_event, is_jwt

EXIT_OK, EXIT_BAD_INPUT = 0, 1

IMPORT_ORDER: Final = ("POST", "/ecom/v1/orders/import")
SET_ORDER_NUMBER_COUNTER: Final = ("POST", "/ecom/v1/orders/import/set-order-number-counter")
BULK_DELETE_IMPORTED_ORDERS: Final = ("POST", "/ecom/v1/orders/import/bulk-delete-imported-orders")
CREATE_FULFILLMENT: Final = ("POST", "/ecom/v1/fulfillments/orders/{orderId}/create-fulfillment")
ORDER_ID: Final = "{orderId}"  # filled by `send` from the import's response (order.id)
MAX_ORDER_NUMBER_COUNTER: Final = 999_999_999  # SetOrderNumberCounterRequest.counter: @max

# The importOrder signature's required paths (`[]`: every line item). Its conversion-details paths
# apply to an order that has conversion details: createOrder names the same two, and a single-currency
# order has none to give.
REQUIRED: Final[tuple[str, ...]] = (
    "billingInfo.contactDetails",
    "channelInfo",
    "lineItems",
    "lineItems[].catalogReference.appId",
    "lineItems[].catalogReference.catalogItemId",
    "lineItems[].itemType",
    "lineItems[].price",
    "lineItems[].productName",
    "lineItems[].productName.original",
    "lineItems[].quantity",
    "paymentStatus",
    "priceSummary",
    "status",
)
REQUIRED_WHEN_PRESENT: Final[dict[str, tuple[str, ...]]] = {
    "currencyConversionDetails": ("currencyConversionDetails.conversionRate", "currencyConversionDetails.originalCurrency"),
}

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

# What the user can do when the stored order lacks what a required path is converted from.
MISSING_HELP: Final[dict[str, str]] = {
    "billingInfo.contactDetails": "the stored billingInfo has no name, phone, company or VAT id to give it; add the buyer's "
    "name to the stored billingInfo",
    "channelInfo": "the stored order names no sales channel; add channelInfo.type (WEB, POS, ...) to it if you know it",
    "lineItems": "the stored order has no line items",
    "lineItems[].catalogReference.appId": "the stored line item has no productId; set it to the product in the site's catalog",
    "lineItems[].catalogReference.catalogItemId": "the stored line item has no productId; set it to the product in the site's catalog",
    "lineItems[].itemType": "the stored line item has no lineItemType; add it (PHYSICAL, DIGITAL, ...)",
    "lineItems[].price": "the stored line item has no priceData.price",
    "lineItems[].productName": "the stored line item has no name",
    "lineItems[].productName.original": "the stored line item has no name",
    "lineItems[].quantity": "the stored line item has no quantity",
    "paymentStatus": "the stored order has no paymentStatus",
    "priceSummary": "the stored order has no totals",
    "status": "the stored order has no paymentStatus or fulfillmentStatus to derive it from",
}

CUSTOM_AMOUNT_HELP: Final = (
    "a custom-amount item has no catalog item, and Import Order needs one: create a product for it in the "
    "site's catalog and set the stored line item's productId to it (its catalogReference then names it), "
    "or leave this order out of the import"
)


@dataclass(slots=True)
class PlannedOrder:
    """One order's requests, and the report of what its import leaves out."""

    ref: dict[str, Any]
    requests: list[dict[str, Any]]
    number: int | None
    conversion: Conversion
    entries: list[Entry] = field(default_factory=list)


class Rejected(Exception):
    """An order that cannot be planned: every problem, each at its path in the request or the record."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


# ---- checks ------------------------------------------------------------------------------------------


def _present(value: Any) -> bool:
    return value is not None and value != {} and value != [] and value != ""


def _missing(root: Any, dotted: str) -> Iterator[str]:
    """The rendered paths below ``root`` where ``dotted`` has no value (``[]`` fans out over a list)."""

    def walk(node: Any, parts: list[str], where: str) -> Iterator[str]:
        if not parts:
            return
        head, rest = parts[0], parts[1:]
        each = head.endswith("[]")
        key = head[:-2] if each else head
        value = node.get(key) if isinstance(node, dict) else None
        here = f"{where}.{key}"
        if not _present(value):
            # The whole required path, so the message names the leaf the user must supply.
            yield ".".join([here, *(part.removesuffix("[]") for part in rest)])
            return
        if each:
            if isinstance(value, list):
                for n, item in enumerate(value):
                    yield from walk(item, rest, f"{here}[{n}]")
        else:
            yield from walk(value, rest, here)

    yield from walk(root, dotted.split("."), "$.order")


def check_import(order: dict[str, Any]) -> list[Problem]:
    """Problems of an Import Order body: each required path it lacks (``$.order....``), with what to do."""
    seen: dict[str, None] = {}
    for dotted in REQUIRED:
        for path in _missing(order, dotted):
            seen.setdefault(path)
    for parent, paths in REQUIRED_WHEN_PRESENT.items():
        if parent in order and order[parent] is not None:
            for dotted in paths:
                for path in _missing(order, dotted):
                    seen.setdefault(path)
    raw_items = order.get("lineItems")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    problems = []
    for path in seen:
        generic = re.sub(r"\[[0-9]+\]", "[]", path.removeprefix("$.order."))
        message = f"required by Import Order, missing: {MISSING_HELP.get(generic, 'the stored order holds no value for it')}"
        if ".catalogReference" in path and path.startswith("$.order.lineItems["):
            n = int(path[len("$.order.lineItems[") : path.index("]")])
            item = items[n] if n < len(items) and isinstance(items[n], dict) else {}
            if (item.get("itemType") or {}).get("custom") == "CUSTOM_AMOUNT_ITEM":
                message = f"required by Import Order, missing: {CUSTOM_AMOUNT_HELP}"
        problems.append(Problem(path, message))
    return problems


# ---- requests ----------------------------------------------------------------------------------------


def import_body(order: dict[str, Any]) -> tuple[dict[str, Any], list[Entry]]:
    """The Import Order request for a converted order, and a report entry for each field left out."""
    body = {k: v for k, v in order.items() if k not in LEFT_OUT}
    entries = [
        Entry("dropped", f"$.{key}", f"left out of Import Order: {LEFT_OUT[key]}", "import-plan")
        for key in order
        if key in LEFT_OUT and _present(order[key])
    ]
    return {"order": body}, entries


def _fulfillment_body(raw: Any, n: int, plan: Plan, locale: str) -> tuple[dict[str, Any], list[Entry], list[Problem]]:
    where = f"$.fulfillments[{n}]"
    if not isinstance(raw, dict):
        return {}, [], [Problem(where, f"expected a fulfillment object, got {describe(raw)}")]
    out: dict[str, Any] = {}
    ctx = Ctx(formatter(None, locale), None, out)
    plan.fulfillment.apply(raw, ctx, out)
    plan.fulfillment.walk(raw, ctx.entries)
    problems = [Problem(where + p.path[1:], p.message) for p in ctx.problems]
    entries = [e.with_path(where + e.path[1:]) for e in ctx.entries]
    for key, why in FULFILLMENT_LEFT_OUT.items():
        if _present(out.pop(key, None)):
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
            if not isinstance(item, dict) or not _present(item.get("id")):
                problems.append(
                    Problem(f"{where}.lineItems[{k}].index", "Create Fulfillment requires each line item's id (from its index)")
                )
    return {"orderId": ORDER_ID, "fulfillment": out}, entries, problems


def payment_requests(conversion: Conversion, stores_order: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The add-payment requests (``POST /ecom/v1/payments/orders/{orderId}/add-payment``) of one order,
    as ``(method, path, body)``, to send after its import.

    The hook for the companions feature (Order Transactions from the stored billingInfo, gift card and
    refunds): until that lands no payment is planned, and each order's report says so.
    """
    return []


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
    conversion = convert_order(stores_order, locale=locale, plan=plan, source=source)
    order = conversion.order
    stores_id = conversion.report.order_id
    problems = check_import(order)
    body, entries = import_body(order)
    ref = _ref(rec, stores_id, "import")
    requests: list[dict[str, Any]] = [{"ref": ref, "method": IMPORT_ORDER[0], "path": IMPORT_ORDER[1], "body": body}]
    payments = payment_requests(conversion, stores_order)
    for n, (method, path, pay) in enumerate(payments):
        requests.append({"ref": _ref(rec, stores_id, f"payment[{n}]"), "method": method, "path": path, "body": pay})
    if not payments:
        entries.append(
            Entry(
                "fetch",
                "$",
                "no payment is planned for this order: add-payment requests come with the companions feature",
                "import-plan",
            )
        )
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
    )


def _model_problems(requests: list[dict[str, Any]]) -> list[Problem]:
    """What the request models refuse beyond a missing field (a value outside an enum, a size limit):
    Wix would refuse the request, so the order is rejected now rather than failing half-imported."""
    # Imported on first use: building the pydantic models is most of the package's import time.
    from .models.importing import CreateFulfillmentRequest, ImportOrderRequest
    from .models.validate import model_problems

    problems: list[Problem] = []
    for request in requests:
        if request["path"] == IMPORT_ORDER[1]:
            found = model_problems(ImportOrderRequest, request["body"])
        elif request["path"] == CREATE_FULFILLMENT[1]:
            n = request["ref"]["request"].removeprefix("fulfillment[").removesuffix("]")
            found = [
                Problem(f"$.fulfillments[{n}]" + p.path.removeprefix("$.fulfillment"), p.message)
                for p in model_problems(CreateFulfillmentRequest, request["body"])
            ]
        else:
            found = []
        problems.extend(Problem(p.path, f"Import Order would refuse it: {p.message}") for p in found)
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


# ---- the command -------------------------------------------------------------------------------------


def _dumps(doc: Any) -> bytes:
    return orjson.dumps(doc, default=write_decimal)


def _reject_line(rec: Record | ReadError, problems: list[Problem], stores_id: str | None) -> bytes:
    doc: dict[str, Any] = {"source": rec.source, "line": rec.line}
    if isinstance(rec, Record):
        doc["path"] = rec.prefix
        if stores_id is not None:
            doc["storesOrderId"] = stores_id
    doc["errors"] = [{"path": p.path, "message": p.message} for p in problems]
    if isinstance(rec, Record):
        doc["record"] = rec.payload
    try:
        return _dumps(doc)
    except (orjson.JSONEncodeError, TypeError):
        doc["record"] = None  # e.g. an integer beyond 64 bits: the errors still say where the record is
        return _dumps(doc)


def _stores_id(rec: Record) -> str | None:
    payload = rec.payload
    if isinstance(payload, dict):
        for key in ("id", "_id"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    return None


def _atomic_write(path: FsPath, chunks: list[bytes]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.writelines(chunks)
    tmp.replace(path)


def run_import_plan(
    files: list[str],
    output: str,
    rejects: str | None = None,
    report_out: str | None = None,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Plan every order of every input into ``output``; a bad order is reported (and written to
    ``rejects``) and the rest are planned; exit 1 if any was rejected."""
    err = stderr if stderr is not None else sys.stderr
    lines: list[bytes] = []
    reject_lines: list[bytes] = []
    report_lines: list[bytes] = []
    seen: dict[str, str] = {}
    highest: int | None = None
    orders = requests = fulfillments = 0
    failed = 0

    def reject(rec: Record | ReadError, problems: list[Problem], stores_id: str | None) -> None:
        nonlocal failed
        failed += 1
        where = rec.where()
        prefix = rec.prefix if isinstance(rec, Record) else "$"
        for p in problems:
            if prefix == "$":
                err.write(f"{where}::{p.path}: {p.message}\n")
            elif p.path.startswith("$.order"):  # a path in the request body: the record is named first
                err.write(f"{where}::{prefix}: {p.path}: {p.message}\n")
            else:
                err.write(f"{where}::{prefix}{p.path[1:]}: {p.message}\n")
        reject_lines.append(_reject_line(rec, problems, stores_id) + b"\n")

    for inp in expand_inputs(files, exclude=None):
        try:
            data = read_bytes(inp.name)
        except OSError as exc:
            failed += 1
            err.write(f"{inp.source}::$: cannot read: {exc.strerror or exc}\n")
            continue
        for rec in read_records(inp.name, data):
            if isinstance(rec, ReadError):
                reject(rec, [rec.problem], None)
                continue
            stores_id = _stores_id(rec)
            try:
                planned = plan_record(rec, plan, locale)
            except (Rejected, ConversionError) as exc:
                reject(rec, exc.problems, stores_id)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
                reject(rec, [Problem("$", f"internal error, please report it: {type(exc).__name__}: {exc}")], stores_id)
                continue
            key = planned.conversion.report.order_id
            if key is not None and key in seen:
                message = f"the same order as {seen[key]}, planned once: a second import would make a second order"
                reject(rec, [Problem("$.id", message)], stores_id)
                continue
            if key is not None:
                seen[key] = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
            orders += 1
            for request in planned.requests:
                lines.append(_dumps(request) + b"\n")
                requests += 1
                if request["path"] == CREATE_FULFILLMENT[1]:
                    fulfillments += 1
            if planned.number is not None:
                highest = planned.number if highest is None else max(highest, planned.number)
            if report_out is not None:
                report = planned.conversion.report.to_dict()
                report["entries"].extend(e.to_dict() for e in planned.entries)
                report_lines.append(_dumps({"ref": planned.ref, "report": report}) + b"\n")
    if highest is not None and highest < MAX_ORDER_NUMBER_COUNTER:
        lines.append(_dumps(counter_request(highest)) + b"\n")
        requests += 1
    elif highest is not None:
        err.write(
            f"orders-migrate import-plan: the highest order number {highest} leaves no counter to set (at most {MAX_ORDER_NUMBER_COUNTER})\n"
        )
    for name, chunks in ((output, lines), (rejects, reject_lines), (report_out, report_lines)):
        if name is None:
            continue
        try:
            _atomic_write(FsPath(name), chunks)
        except OSError as exc:
            err.write(f"orders-migrate import-plan: cannot write {name}: {exc.strerror or exc}\n")
            return EXIT_BAD_INPUT
    err.write(
        f"orders-migrate import-plan: {orders} order(s) planned in {requests} request(s) "
        f"({orders} import(s), {fulfillments} fulfillment(s), {requests - orders - fulfillments} other); "
        f"{failed} rejected\n"
    )
    return EXIT_BAD_INPUT if failed else EXIT_OK
