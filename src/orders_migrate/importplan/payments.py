"""An order's payments as the Add Payments request (``POST /ecom/v1/payments/orders/{orderId}/add-payment``,
``AddPaymentsRequest`` in ``@wix/auto_sdk_ecom_order-transactions@1.0.108``), built from the order's
Order Transactions companion (the ``order_transactions`` rows of the table), and a report entry for each
thing of that companion the request cannot carry.

Order Transactions publishes no method that adds a refund: ``AddRefundRequest`` is declared in the types,
but no published method or endpoint takes it (the methods are addPayments, updatePayments,
updatePaymentStatus, bulkUpdatePaymentStatuses, updateRefundTransaction and the two list methods), and
Update Refund Transaction only changes a refund the site already has. So a stored refund is reported,
never planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ..engine.apply import Conversion
from ..report import Entry

ADD_PAYMENTS: Final = ("POST", "/ecom/v1/payments/orders/{orderId}/add-payment")
MAX_PAYMENTS: Final = 50  # AddPaymentsRequest.payments: @maxSize
ROW: Final = "import-plan"
DETAILS: Final = ("regularPaymentDetails", "giftcardPaymentDetails", "membershipPaymentDetails")
# Payment fields Add Payments does not take (@readonly in the published Payment and Price types).
READ_ONLY: Final = ("id", "updatedDate", "supportReceiptGeneration")
# Where in the stored order each kind of payment comes from, so a payment not planned names the user's field.
SOURCE: Final[dict[str, str]] = {"regularPaymentDetails": "$.billingInfo", "giftcardPaymentDetails": "$.totals.giftCard"}
NO_ADD_REFUND: Final = (
    "not planned: Order Transactions publishes no method that adds a refund (AddRefundRequest is declared "
    "in @wix/auto_sdk_ecom_order-transactions@1.0.108, but no endpoint takes it, and Update Refund "
    "Transaction only changes a refund the site already has); the imported order's balanceSummary keeps "
    "the refunded total, and `convert --companions` keeps the refund itself"
)


@dataclass(slots=True)
class PlannedPayments:
    """``requests`` as ``(method, path, body)``; ``entries`` for what of the companion is not sent."""

    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    refunds: int = 0  # refunds the stored order holds and the plan cannot add


def _kind(payment: dict[str, Any]) -> str | None:
    kinds = [k for k in DETAILS if k in payment]
    return kinds[0] if len(kinds) == 1 else None


def _payment_body(payment: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in payment.items() if k not in READ_ONLY}
    amount = body.get("amount")
    if isinstance(amount, dict):
        # formattedAmount is read-only in a request: Wix formats the amount itself.
        body["amount"] = {k: v for k, v in amount.items() if k != "formattedAmount"}
    return body


def payment_requests(conversion: Conversion, stores_order: dict[str, Any], *, written: bool = False) -> PlannedPayments:
    """The Add Payments request of one order (every payment that has an amount, in one request, to send
    after its import with ``{orderId}`` for the id the import returns), and an entry for each payment
    without an amount and each refund. ``written``: the record is what ``convert --companions`` wrote
    (``stores_order`` is then its eCommerce order), so an entry names the companion's payment or refund."""
    from .requests import ORDER_ID  # here: requests.py imports this module

    planned = PlannedPayments()
    transactions = conversion.companions.get("orderTransactions")
    if not isinstance(transactions, dict):
        return planned
    status = stores_order.get("paymentStatus")
    payments: list[dict[str, Any]] = []
    for n, payment in enumerate(transactions.get("payments") or []):
        kind = _kind(payment) if isinstance(payment, dict) else None
        where = f"$.orderTransactions.payments[{n}]" if written else SOURCE.get(kind or "", f"$.orderTransactions.payments[{n}]")
        if not written and isinstance(payment, dict) and kind is None and not any(k in payment for k in DETAILS):
            # The table gives the gift card's payment its kind always, and the regular one its kind with its
            # amount: a payment with no details at all is the regular one, its amount paid another way.
            where = SOURCE["regularPaymentDetails"]
        if isinstance(payment, dict) and (not isinstance(payment.get("amount"), dict) or "amount" not in payment["amount"]):
            fields = ", ".join(sorted(_leaves(payment)))
            planned.entries.append(
                Entry(
                    "dropped",
                    where,
                    f"not planned: Add Payments requires a payment's amount, and the stored order (paymentStatus "
                    f"{status}) records no amount paid this way; left out: {fields}",
                    ROW,
                )
            )
        elif kind is None:
            planned.entries.append(
                Entry("dropped", where, "not planned: Add Payments takes a payment with exactly one kind of details", ROW)
            )
        else:
            payments.append(_payment_body(payment))
    for start in range(0, len(payments), MAX_PAYMENTS):
        body = {"orderId": ORDER_ID, "payments": payments[start : start + MAX_PAYMENTS]}
        planned.requests.append((ADD_PAYMENTS[0], ADD_PAYMENTS[1], body))
    for n, _refund in enumerate(transactions.get("refunds") or []):
        planned.refunds += 1
        where = f"$.orderTransactions.refunds[{n}]" if written else f"$.refunds[{n}]"
        planned.entries.append(Entry("dropped", where, NO_ADD_REFUND, ROW))
    return planned


def _leaves(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{prefix}.{k}" if prefix else k)]
    return [prefix] if prefix else []
