"""The Wix Stores order (``stores/v2/orders``) as it travels over REST: what the converter reads.

Written from the published types of ``@wix/stores@1.0.102`` (``stores-v2-orders.types.d.ts``): field
names, optionality and enum spellings follow them. Money and weights are decimal strings, ``number`` is
an integer, dates are ISO strings. Values seen in real shops but outside the enums (``EMPLOYEE``,
``NON-MEMBER``, ``VIDEO``) fail validation on purpose: the converter reports them, ``--strict`` refuses them.
"""

from __future__ import annotations

from typing import Any, Literal

from .common import DateTime, Decimal, WireModel

IdentityType = Literal["UNSPECIFIED_IDENTITY_TYPE", "MEMBER", "CONTACT"]
WeightUnit = Literal["UNSPECIFIED_WEIGHT_UNIT", "KG", "LB"]
VatType = Literal["UNSPECIFIED_TAX_TYPE", "CPF", "CNPJ"]
PaymentStatus = Literal[
    "UNSPECIFIED_PAYMENT_STATUS", "PENDING", "NOT_PAID", "PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED", "PARTIALLY_PAID"
]
FulfillmentStatus = Literal["NOT_FULFILLED", "FULFILLED", "CANCELED", "PARTIALLY_FULFILLED"]
LineItemType = Literal["UNSPECIFIED_LINE_ITEM_TYPE", "PHYSICAL", "DIGITAL", "CUSTOM_AMOUNT_ITEM"]
MediaItemType = Literal["UNSPECIFIED_MEDIA_TYPE_ITEM", "IMAGE"]
ActivityType = Literal[
    "UNSPECIFIED_ORDER_HISTORY_ITEM_TYPE",
    "MERCHANT_COMMENT",
    "ORDER_PLACED",
    "ORDER_PAID",
    "ORDER_FULFILLED",
    "ORDER_NOT_FULFILLED",
    "DOWNLOAD_LINK_SENT",
    "PICKUP_READY_EMAIL_SENT",
    "TRACKING_NUMBER_ADDED",
    "TRACKING_NUMBER_EDITED",
    "TRACKING_LINK_WAS_SET",
    "SHIPPING_CONFIRMATION_EMAIL_SENT",
    "INVOICE_WAS_SET",
    "INVOICE_WAS_REMOVED",
    "INVOICE_WAS_SENT",
    "FULFILLER_EMAIL_SENT",
    "SHIPPING_ADDRESS_EDITED",
    "EMAIL_EDITED",
    "ORDER_PARTIALLY_PAID",
]
InvoiceSource = Literal["UNSPECIFIED_INVOICE_SOURCE", "WIX"]
ChannelType = Literal[
    "UNSPECIFIED",
    "WEB",
    "POS",
    "EBAY",
    "AMAZON",
    "OTHER_PLATFORM",
    "WIX_APP_STORE",
    "WIX_INVOICES",
    "BACKOFFICE_MERCHANT",
    "WISH",
]
EnteredByIdentityType = Literal["USER", "MEMBER", "CONTACT", "APP"]
SubscriptionFrequency = Literal["UNDEFINED", "DAY", "WEEK", "MONTH", "YEAR"]


class BuyerInfo(WireModel):
    id: str | None = None
    type: IdentityType | None = None
    identityType: IdentityType | None = None
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None
    email: str | None = None


class Totals(WireModel):
    subtotal: Decimal | None = None
    shipping: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    total: Decimal | None = None
    weight: Decimal | None = None
    quantity: int | None = None
    refund: Decimal | None = None
    giftCard: Decimal | None = None


class FullName(WireModel):
    firstName: str | None = None
    lastName: str | None = None


class Street(WireModel):
    number: str | None = None
    name: str | None = None


class VatId(WireModel):
    number: str | None = None
    type: VatType | None = None


class Address(WireModel):
    fullName: FullName | None = None
    country: str | None = None
    subdivision: str | None = None
    city: str | None = None
    zipCode: str | None = None
    phone: str | None = None
    company: str | None = None
    email: str | None = None
    addressLine1: str | None = None
    addressLine2: str | None = None
    street: Street | None = None
    vatId: VatId | None = None


class BillingInfo(WireModel):
    paymentMethod: str | None = None
    externalTransactionId: str | None = None
    paymentProviderTransactionId: str | None = None
    paymentGatewayTransactionId: str | None = None
    address: Address | None = None
    paidDate: DateTime | None = None
    refundableByPaymentProvider: bool | None = None


class TrackingInfo(WireModel):
    trackingNumber: str | None = None
    shippingProvider: str | None = None
    trackingLink: str | None = None


class ShippingPriceData(WireModel):
    taxIncludedInPrice: bool | None = None
    price: Decimal | None = None


class ShipmentDetails(WireModel):
    address: Address | None = None
    trackingInfo: TrackingInfo | None = None
    discount: Decimal | None = None
    tax: Decimal | None = None
    priceData: ShippingPriceData | None = None


class PickupAddress(WireModel):
    country: str | None = None
    subdivision: str | None = None
    addressLine1: str | None = None
    city: str | None = None
    zipCode: str | None = None


class BuyerDetails(WireModel):
    fullName: FullName | None = None
    email: str | None = None
    phone: str | None = None


class PickupDetails(WireModel):
    pickupAddress: PickupAddress | None = None
    buyerDetails: BuyerDetails | None = None
    pickupInstructions: str | None = None


class ShippingInfo(WireModel):
    deliveryOption: str | None = None
    estimatedDeliveryTime: str | None = None
    deliverByDate: DateTime | None = None
    shippingRegion: str | None = None
    code: str | None = None
    shipmentDetails: ShipmentDetails | None = None
    pickupDetails: PickupDetails | None = None


class OptionSelection(WireModel):
    option: str | None = None
    selection: str | None = None


class CustomTextFieldSelection(WireModel):
    title: str | None = None
    value: str | None = None


class MediaItem(WireModel):
    mediaType: MediaItemType | None = None
    url: str | None = None
    width: int | None = None
    height: int | None = None
    mediaId: str | None = None
    id: str | None = None
    externalImageUrl: str | None = None
    altText: str | None = None


class LineItemPriceData(WireModel):
    taxIncludedInPrice: bool | None = None
    price: Decimal | None = None
    totalPrice: Decimal | None = None


class LineItem(WireModel):
    index: int | None = None
    quantity: int | None = None
    price: Decimal | None = None
    name: str | None = None
    translatedName: str | None = None
    productId: str | None = None
    totalPrice: Decimal | None = None
    lineItemType: LineItemType | None = None
    options: list[OptionSelection] | None = None
    customTextFields: list[CustomTextFieldSelection] | None = None
    weight: Decimal | None = None
    mediaItem: MediaItem | None = None
    sku: str | None = None
    notes: str | None = None
    variantId: str | None = None
    fulfillerId: str | None = None
    discount: Decimal | None = None
    tax: Decimal | None = None
    taxIncludedInPrice: bool | None = None
    taxGroupId: str | None = None
    priceData: LineItemPriceData | None = None


class Activity(WireModel):
    type: ActivityType | None = None
    author: str | None = None
    message: str | None = None
    timestamp: DateTime | None = None


class InvoiceInfo(WireModel):
    id: str | None = None
    source: InvoiceSource | None = None


class FulfillmentLineItem(WireModel):
    index: int | None = None
    quantity: int | None = None


class FulfillmentTrackingInfo(WireModel):
    trackingNumber: str | None = None
    shippingProvider: str | None = None
    trackingLink: str | None = None


class Fulfillment(WireModel):
    id: str | None = None
    dateCreated: DateTime | None = None
    lineItems: list[FulfillmentLineItem] | None = None
    trackingInfo: FulfillmentTrackingInfo | None = None


class AppliedCoupon(WireModel):
    couponId: str | None = None
    name: str | None = None
    code: str | None = None


class Discount(WireModel):
    value: Decimal | None = None
    appliedCoupon: AppliedCoupon | None = None


class CustomField(WireModel):
    # A string on REST, {"stringValue": ...} in the protobuf view some stores saved; the converter reads both.
    value: Any = None
    title: str | None = None
    translatedTitle: str | None = None


class ChannelInfo(WireModel):
    type: ChannelType | None = None
    externalOrderId: str | None = None
    externalOrderUrl: str | None = None


class EnteredBy(WireModel):
    id: str | None = None
    identityType: EnteredByIdentityType | None = None


class SubscriptionSettings(WireModel):
    frequency: SubscriptionFrequency | None = None
    autoRenewal: bool | None = None
    billingCycles: int | None = None


class SubscriptionOptionInfo(WireModel):
    title: str | None = None
    description: str | None = None


class SubscriptionInfo(WireModel):
    id: str | None = None
    cycleNumber: int | None = None
    subscriptionSettings: SubscriptionSettings | None = None
    subscriptionOptionInfo: SubscriptionOptionInfo | None = None


class Refund(WireModel):
    dateCreated: DateTime | None = None
    amount: Decimal | None = None
    reason: str | None = None
    paymentProviderTransactionId: str | None = None
    id: str | None = None
    externalRefund: bool | None = None


class StoresOrder(WireModel):
    """A Wix Stores order (stores/v2), REST wire shape."""

    id: str | None = None
    number: int | None = None
    dateCreated: DateTime | None = None
    buyerInfo: BuyerInfo | None = None
    currency: str | None = None
    weightUnit: WeightUnit | None = None
    totals: Totals | None = None
    billingInfo: BillingInfo | None = None
    shippingInfo: ShippingInfo | None = None
    buyerNote: str | None = None
    read: bool | None = None
    archived: bool | None = None
    paymentStatus: PaymentStatus | None = None
    fulfillmentStatus: FulfillmentStatus | None = None
    lineItems: list[LineItem] | None = None
    activities: list[Activity] | None = None
    invoiceInfo: InvoiceInfo | None = None
    fulfillments: list[Fulfillment] | None = None
    discount: Discount | None = None
    customField: CustomField | None = None
    cartId: str | None = None
    buyerLanguage: str | None = None
    channelInfo: ChannelInfo | None = None
    enteredBy: EnteredBy | None = None
    lastUpdated: DateTime | None = None
    subscriptionInfo: SubscriptionInfo | None = None
    numericId: str | None = None
    refunds: list[Refund] | None = None
