"""The companion objects a migrated order is stored with, as the converter writes them (REST wire names).

Written from the published types of ``@wix/auto_sdk_ecom_order-fulfillments@1.0.65`` (``OrderWithFulfillments``)
and ``@wix/auto_sdk_ecom_order-transactions@1.0.108`` (``OrderTransactions``), for the fields the converter
writes and the ones beside them a stored companion may hold. A payment's and a refund transaction's
statuses are the published enums (the table writes the first from the order's paymentStatus); a
fulfillment's status, which the converter never writes, stays a string: the shape is checked, not a
spelling this project has no table of.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import DateTime, WireModel
from .ecom import Price

# regularPaymentDetails.status (deprecated): TransactionStatus of the published type.
TransactionStatus = Literal[
    "UNDEFINED",
    "APPROVED",
    "PENDING",
    "PENDING_MERCHANT",
    "CANCELED",
    "DECLINED",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "AUTHORIZED",
    "VOIDED",
]


# Payment.status, which replaces the deprecated regularPaymentDetails.status: the same values less UNDEFINED.
TransactionPaymentStatus = Literal[
    "APPROVED",
    "PENDING",
    "PENDING_MERCHANT",
    "CANCELED",
    "DECLINED",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "AUTHORIZED",
    "VOIDED",
]

# RefundTransaction.refundStatus: RefundStatus of the published type.
RefundStatus = Literal["PENDING", "SUCCEEDED", "FAILED", "SCHEDULED", "STARTED"]


class FulfillmentLineItem(WireModel):
    id: str | None = None
    quantity: Annotated[int, Field(ge=1, le=100000)] | None = None


class FulfillmentTrackingInfo(WireModel):
    trackingNumber: str | None = None
    shippingProvider: str | None = None
    trackingLink: str | None = None


class Fulfillment(WireModel):
    id: str | None = None
    createdDate: DateTime | None = None
    lineItems: list[FulfillmentLineItem] | None = None
    trackingInfo: FulfillmentTrackingInfo | None = None
    status: str | None = None
    completed: bool | None = None


class OrderWithFulfillments(WireModel):
    orderId: str | None = None
    fulfillments: list[Fulfillment] | None = None


class PaymentMethodName(WireModel):
    buyerLanguageName: str | None = None
    siteLanguageName: str | None = None


class RegularPaymentDetails(WireModel):
    # Deprecated (@replacedBy paymentMethodName, and status by Payment.status), both past their removal
    # dates; the converter no longer writes them, but a companion stored earlier may hold them.
    paymentMethod: str | None = None
    paymentMethodName: PaymentMethodName | None = None
    providerTransactionId: str | None = None
    gatewayTransactionId: str | None = None
    status: TransactionStatus | None = None
    offlinePayment: bool | None = None


class GiftCardPaymentDetails(WireModel):
    giftCardPaymentId: str | None = None
    giftCardId: str | None = None
    appId: str | None = None
    voided: bool | None = None


class Payment(WireModel):
    id: str | None = None
    createdDate: DateTime | None = None
    updatedDate: DateTime | None = None
    amount: Price | None = None
    refundDisabled: bool | None = None
    status: TransactionPaymentStatus | None = None
    regularPaymentDetails: RegularPaymentDetails | None = None
    giftcardPaymentDetails: GiftCardPaymentDetails | None = None


class RefundTransaction(WireModel):
    paymentId: str | None = None
    amount: Price | None = None
    refundStatus: RefundStatus | None = None
    providerRefundId: str | None = None
    externalRefund: bool | None = None


class RefundDetails(WireModel):
    reason: str | None = None
    shippingIncluded: bool | None = None


class Refund(WireModel):
    id: str | None = None
    createdDate: DateTime | None = None
    transactions: list[RefundTransaction] | None = None
    details: RefundDetails | None = None


class OrderTransactions(WireModel):
    orderId: str | None = None
    payments: list[Payment] | None = None
    refunds: list[Refund] | None = None
