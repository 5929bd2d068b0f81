"""The requests an import plan sends, as the published types describe them.

Written from ``@wix/auto_sdk_ecom_orders@1.0.300`` (``ImportOrderRequest``, ``SetOrderNumberCounterRequest``,
``BulkDeleteImportedOrdersRequest`` in ``build/cjs/meta.d.ts``; the ``importOrder`` signature's required
paths), ``@wix/auto_sdk_ecom_order-fulfillments@1.0.65`` (``CreateFulfillmentRequest``) and
``@wix/auto_sdk_ecom_order-transactions@1.0.108`` (``AddPaymentsRequest``). The order
model is the eCommerce one with Import Order's required fields made required; an order to import has
no ``id`` (an id would overwrite an imported order) and no ``imported`` flag (Import Order sets it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .common import Amount, DateTime, Decimal, WireModel
from .companions import TransactionPaymentStatus, TransactionStatus
from .ecom import (
    AddressWithContact,
    CatalogReference,
    ChannelInfo,
    CurrencyConversionDetails,
    EcomOrder,
    FullAddressContactDetails,
    ItemType,
    OrderLineItem,
    OrderStatus,
    PaymentStatus,
    Price,
    PriceSummary,
    TranslatableString,
)


class ImportCatalogReference(CatalogReference):
    catalogItemId: Annotated[str, Field(min_length=1)]
    appId: Annotated[str, Field(min_length=1)]


class ImportProductName(TranslatableString):
    original: Annotated[str, Field(min_length=1)]


class ImportLineItem(OrderLineItem):
    productName: ImportProductName
    catalogReference: ImportCatalogReference
    quantity: Annotated[int, Field(ge=1, le=100000)]
    itemType: ItemType
    price: Price


class ImportBillingInfo(AddressWithContact):
    contactDetails: FullAddressContactDetails


class ImportConversionDetails(CurrencyConversionDetails):
    originalCurrency: str
    conversionRate: Decimal


class ImportOrder(EcomOrder):
    id: None = None
    imported: None = None
    # Narrowing a field's type is what makes it required here; mypy holds lists invariant.
    lineItems: Annotated[list[ImportLineItem], Field(min_length=1, max_length=300)]  # type: ignore[assignment]
    billingInfo: ImportBillingInfo
    channelInfo: ChannelInfo
    currencyConversionDetails: ImportConversionDetails | None = None
    paymentStatus: PaymentStatus
    priceSummary: PriceSummary
    status: OrderStatus


class ImportOrderRequest(WireModel):
    order: ImportOrder


class SetOrderNumberCounterRequest(WireModel):
    counter: Annotated[str, Field(pattern=r"^[0-9]+$")]
    allowLowerCounter: bool | None = None


class BulkDeleteImportedOrdersRequest(WireModel):
    orderIds: Annotated[list[str], Field(min_length=1, max_length=1000)]


class FulfillmentLineItem(WireModel):
    id: Annotated[str, Field(min_length=1)]
    quantity: Annotated[int, Field(ge=1, le=100000)] | None = None


class FulfillmentTrackingInfo(WireModel):
    trackingNumber: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    shippingProvider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    trackingLink: str | None = None


class NewFulfillment(WireModel):
    id: None = None
    createdDate: None = None
    lineItems: Annotated[list[FulfillmentLineItem], Field(min_length=1, max_length=300)]
    trackingInfo: FulfillmentTrackingInfo | None = None
    status: str | None = None
    completed: bool | None = None


class CreateFulfillmentRequest(WireModel):
    orderId: Annotated[str, Field(min_length=1)]
    fulfillment: NewFulfillment


# Order Transactions (``@wix/auto_sdk_ecom_order-transactions@1.0.108``): ``AddPaymentsRequest`` and
# the ``addPayments`` signature's required paths (orderId, payments, payments.amount, one of the
# payment-details kinds). A payment to add has no id and no updatedDate: Wix gives them.
class PaymentAmount(WireModel):
    amount: Amount


class PaymentMethodName(WireModel):
    buyerLanguageName: Annotated[str, Field(max_length=150)] | None = None
    siteLanguageName: Annotated[str, Field(max_length=150)] | None = None


class RegularPaymentDetails(WireModel):
    paymentOrderId: Annotated[str, Field(max_length=100)] | None = None
    gatewayTransactionId: Annotated[str, Field(max_length=100)] | None = None
    paymentMethod: Annotated[str, Field(max_length=150)] | None = None  # deprecated: paymentMethodName
    paymentMethodName: PaymentMethodName | None = None
    providerTransactionId: Annotated[str, Field(max_length=100)] | None = None
    offlinePayment: bool | None = None
    status: TransactionStatus | None = None
    savedPaymentMethod: bool | None = None


class GiftCardPaymentDetails(WireModel):
    giftCardPaymentId: Annotated[str, Field(max_length=100)] | None = None
    appId: str | None = None
    obfuscatedCode: Annotated[str, Field(max_length=30)] | None = None


class NewPayment(WireModel):
    id: None = None
    updatedDate: None = None
    amount: PaymentAmount
    regularPaymentDetails: RegularPaymentDetails | None = None
    giftcardPaymentDetails: GiftCardPaymentDetails | None = None
    createdDate: DateTime | None = None
    refundDisabled: bool | None = None
    status: TransactionPaymentStatus | None = None

    @model_validator(mode="after")
    def _one_kind_of_details(self) -> NewPayment:
        kinds = [
            k
            for k in ("regularPaymentDetails", "giftcardPaymentDetails", "membershipPaymentDetails")
            if getattr(self, k, None) is not None
        ]
        if len(kinds) != 1:
            raise ValueError(f"a payment takes exactly one of regular, gift-card or membership details, got {len(kinds)}")
        return self


class AddPaymentsRequest(WireModel):
    orderId: Annotated[str, Field(min_length=1)]
    payments: Annotated[list[NewPayment], Field(min_length=1, max_length=50)]
