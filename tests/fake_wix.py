"""A fake of the Wix endpoints an import plan uses, on 127.0.0.1, for tests: it checks what the published
types require of each request and answers in the shape of their responses, with faults on demand.

Its checks are written apart from the planner's own, so a test holds the plan to a second reading of
the types (``@wix/auto_sdk_ecom_orders@1.0.300``, ``@wix/auto_sdk_ecom_order-fulfillments@1.0.65``,
``@wix/auto_sdk_ecom_order-transactions@1.0.108``: the ``addPayments`` signature's required paths).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

IMPORT_REQUIRED = (
    ("billingInfo", "contactDetails"),
    ("channelInfo",),
    ("lineItems",),
    ("paymentStatus",),
    ("priceSummary",),
    ("status",),
)
LINE_ITEM_REQUIRED = (
    ("catalogReference", "appId"),
    ("catalogReference", "catalogItemId"),
    ("itemType",),
    ("price",),
    ("productName", "original"),
    ("quantity",),
)
FULFILLMENT_PATH = re.compile(r"^/ecom/v1/fulfillments/orders/([^/]+)/create-fulfillment$")
PAYMENT_PATH = re.compile(r"^/ecom/v1/payments/orders/([^/]+)/add-payment$")
PAYMENT_DETAILS = ("regularPaymentDetails", "giftcardPaymentDetails", "membershipPaymentDetails")
AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def _has(obj: Any, keys: tuple[str, ...]) -> bool:
    for key in keys:
        if not isinstance(obj, dict) or obj.get(key) in (None, "", {}, []):
            return False
        obj = obj[key]
    return True


@dataclass
class FakeWix:
    token: str
    # Faults: answer the n-th Import Order request (1-based) with 429 (and this Retry-After) or 500, once.
    throttle_import: int | None = None
    retry_after: str = "1"
    error_import: int | None = None
    refuse_numbers: set[str] = field(default_factory=set)  # imports of these order numbers get a 400
    # Hold the n-th Import Order request unanswered (and never store it) until ``release`` is set, so a
    # test can kill the sender while a request is in flight.
    hold_import: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    fulfillments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    payments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counter: str | None = None
    deleted: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    imports_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, auth: str | None, body: Any) -> tuple[int, dict[str, str], Any]:
        if path == "/ecom/v1/orders/import" and self.hold_import is not None:
            with self.lock:
                hold = self.imports_seen + 1 == self.hold_import
                if hold:
                    self.hold_import = None
                    self.requests.append((method, path))
            if hold:
                self.held.set()
                self.release.wait(60)
                return 503, {}, {"message": "the request was lost"}
        with self.lock:
            self.requests.append((method, path))
            self.authorizations.append(auth)
            if auth != self.token:
                return 401, {}, {"message": "unauthorized"}
            if method != "POST" or not isinstance(body, dict):
                return 400, {}, {"message": "expected a POST with a JSON object"}
            if path == "/ecom/v1/orders/import":
                return self._import(body)
            if path == "/ecom/v1/orders/import/set-order-number-counter":
                counter = body.get("counter")
                if not isinstance(counter, str) or not counter.isdigit():
                    return 400, {}, {"message": "counter is required"}
                old, self.counter = self.counter or "10000", counter
                return 200, {}, {"oldCounter": old, "newCounter": counter}
            if path == "/ecom/v1/orders/import/bulk-delete-imported-orders":
                ids = body.get("orderIds")
                if not isinstance(ids, list) or not 1 <= len(ids) <= 1000:
                    return 400, {}, {"message": "orderIds: 1 to 1000 ids"}
                for order_id in ids:
                    if self.orders.pop(order_id, None) is not None:
                        self.deleted.append(order_id)
                        self.fulfillments.pop(order_id, None)
                        self.payments.pop(order_id, None)
                return 200, {}, {"jobId": str(uuid.uuid4())}
            match = FULFILLMENT_PATH.match(path)
            if match:
                return self._fulfillment(match.group(1), body)
            match = PAYMENT_PATH.match(path)
            if match:
                return self._add_payments(match.group(1), body)
            return 404, {}, {"message": f"no such endpoint {path}"}

    def _import(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        self.imports_seen += 1
        if self.throttle_import == self.imports_seen:
            self.throttle_import = None
            self.imports_seen -= 1
            return 429, {"Retry-After": self.retry_after}, {"message": "too many requests"}
        if self.error_import == self.imports_seen:
            self.error_import = None
            self.imports_seen -= 1
            return 500, {}, {"message": "internal error"}
        order = body.get("order")
        if not isinstance(order, dict):
            return 400, {}, {"message": "order is required"}
        missing = [".".join(keys) for keys in IMPORT_REQUIRED if not _has(order, keys)]
        for n, item in enumerate(order.get("lineItems") or []):
            missing += [f"lineItems[{n}]." + ".".join(keys) for keys in LINE_ITEM_REQUIRED if not _has(item, keys)]
        if missing:
            return 400, {}, {"message": "missing required fields", "details": {"validationError": {"fieldViolations": missing}}}
        if "id" in order:
            return 400, {}, {"message": "CANNOT_OVERWRITE_NON_IMPORTED_ORDER"}
        if order.get("number") in self.refuse_numbers:
            return 400, {}, {"message": "refused by the test", "number": order.get("number")}
        new_id = str(uuid.uuid4())
        stored = {**order, "id": new_id, "imported": True}
        self.orders[new_id] = stored
        return 200, {}, {"order": stored}

    def _fulfillment(self, order_id: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if order_id not in self.orders:
            return 404, {}, {"message": f"no order {order_id}"}
        if body.get("orderId") != order_id:
            return 400, {}, {"message": "orderId in the body differs from the path"}
        fulfillment = body.get("fulfillment")
        items = fulfillment.get("lineItems") if isinstance(fulfillment, dict) else None
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("id") for i in items):
            return 400, {}, {"message": "fulfillment.lineItems[].id is required"}
        new_id = str(uuid.uuid4())
        self.fulfillments.setdefault(order_id, []).append({**fulfillment, "id": new_id})
        return (
            200,
            {},
            {
                "orderWithFulfillments": {"orderId": order_id, "fulfillments": self.fulfillments[order_id]},
                "fulfillmentId": new_id,
            },
        )

    def _add_payments(self, order_id: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if order_id not in self.orders:
            return 404, {}, {"message": f"no order {order_id}"}
        if body.get("orderId") != order_id:
            return 400, {}, {"message": "orderId in the body differs from the path"}
        payments = body.get("payments")
        if not isinstance(payments, list) or not 1 <= len(payments) <= 50:
            return 400, {}, {"message": "payments: 1 to 50 payments"}
        violations = []
        for n, payment in enumerate(payments):
            if not isinstance(payment, dict):
                violations.append(f"payments[{n}]")
                continue
            amount = payment.get("amount")
            if not isinstance(amount, dict) or not isinstance(amount.get("amount"), str) or not AMOUNT.match(amount["amount"]):
                violations.append(f"payments[{n}].amount")
            if sum(isinstance(payment.get(kind), dict) for kind in PAYMENT_DETAILS) != 1:
                violations.append(f"payments[{n}].paymentDetails")
            if "id" in payment:
                violations.append(f"payments[{n}].id (read-only)")
        if violations:
            return 400, {}, {"message": "invalid payments", "details": {"validationError": {"fieldViolations": violations}}}
        added = [{**payment, "id": str(uuid.uuid4())} for payment in payments]
        self.payments.setdefault(order_id, []).extend(added)
        return (
            200,
            {},
            {
                "orderTransactions": {"orderId": order_id, "payments": self.payments[order_id], "refunds": []},
                "paymentsIds": [payment["id"] for payment in added],
            },
        )


def _handler(fake: FakeWix) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, headers, answer = fake.handle("POST", self.path, self.headers.get("Authorization"), body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            pass

    return Handler


@contextmanager
def serve(fake: FakeWix) -> Iterator[str]:
    """Run ``fake`` on 127.0.0.1 (a free port) for the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
