"""The Wix eCommerce order (``ecom/v1/orders``) as it travels over REST: what the converter writes.

Written from the published types of ``@wix/auto_sdk_ecom_orders@1.0.300`` (``build/cjs/meta.d.ts``):
field names, optionality, enum spellings and the size limits that decide whether Wix accepts an order.
Money is a ``Price`` object whose ``amount`` is a decimal string; ``number`` is a string;
``physicalProperties.weight`` is a JSON number; dates are ISO strings; ``customFields[].value`` is any
JSON value. Formats Wix checks server-side (GUID, COUNTRY, EMAIL) are left out: stored orders carry ids
and codes Wix itself once accepted, and a shape check must not reject them.

Why one module over the ~400-line guide: it holds no logic, only the declarations of one published type
(the Order and every type it reaches), a quarter of its lines enum spellings. Split by section (line items,
totals, addresses, the order), the parts every section shares (``Price``, ``TranslatableString``, the tax
details, ``JurisdictionType``) would sit apart from all of them, and checking a field against the
published type would mean moving between files; read whole, each model is above the models using it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import Amount, DateTime, Decimal, Number, WireModel

PaymentStatus = Literal[
    "UNSPECIFIED",
    "NOT_PAID",
    "PAID",
    "PARTIALLY_REFUNDED",
    "FULLY_REFUNDED",
    "PENDING",
    "PARTIALLY_PAID",
    "PENDING_MERCHANT",
    "CANCELED",
    "DECLINED",
]
FulfillmentStatus = Literal["NOT_FULFILLED", "FULFILLED", "PARTIALLY_FULFILLED"]
WeightUnit = Literal["UNSPECIFIED_WEIGHT_UNIT", "KG", "LB"]
OrderStatus = Literal["INITIALIZED", "APPROVED", "CANCELED", "PENDING", "REJECTED"]
VatType = Literal["UNSPECIFIED", "CPF", "CNPJ"]
ItemTypePreset = Literal["UNRECOGNISED", "PHYSICAL", "DIGITAL", "GIFT_CARD", "SERVICE"]
DescriptionLineType = Literal["UNRECOGNISED", "PLAIN_TEXT", "COLOR"]
PaymentOptionType = Literal[
    "FULL_PAYMENT_ONLINE",
    "FULL_PAYMENT_OFFLINE",
    "MEMBERSHIP",
    "DEPOSIT_ONLINE",
    "MEMBERSHIP_OFFLINE",
    "MEMBERSHIP_ONLINE_WITH_OFFLINE_REMAINDER",
]
JurisdictionType = Literal["UNDEFINED", "COUNTRY", "STATE", "COUNTY", "CITY", "SPECIAL"]
SubscriptionFrequency = Literal["UNDEFINED", "DAY", "WEEK", "MONTH", "YEAR"]
TaxableAddressType = Literal["BUSINESS", "BILLING", "SHIPPING"]
MeasurementUnit = Literal[
    "UNSPECIFIED",
    "ML",
    "CL",
    "L",
    "CBM",
    "MG",
    "G",
    "KG",
    "MM",
    "CM",
    "M",
    "SQM",
    "OZ",
    "LB",
    "FLOZ",
    "PT",
    "QT",
    "GAL",
    "IN",
    "FT",
    "YD",
    "SQFT",
]
PickupMethod = Literal["STORE_PICKUP", "PICKUP_POINT"]
DiscountType = Literal["GLOBAL", "SPECIFIC_ITEMS", "SHIPPING"]
DiscountReason = Literal["UNSPECIFIED", "EXCHANGED_ITEMS", "BILLING_ADJUSTMENT"]
ActivityType = Literal[
    "ORDER_REFUNDED",
    "ORDER_PLACED",
    "ORDER_PAID",
    "ORDER_FULFILLED",
    "ORDER_NOT_FULFILLED",
    "ORDER_CANCELED",
    "DOWNLOAD_LINK_SENT",
    "TRACKING_NUMBER_ADDED",
    "TRACKING_NUMBER_EDITED",
    "TRACKING_LINK_ADDED",
    "SHIPPING_CONFIRMATION_EMAIL_SENT",
    "INVOICE_ADDED",
    "INVOICE_REMOVED",
    "INVOICE_SENT",
    "FULFILLER_EMAIL_SENT",
    "SHIPPING_ADDRESS_EDITED",
    "EMAIL_EDITED",
    "PICKUP_READY_EMAIL_SENT",
    "CUSTOM_ACTIVITY",
    "MERCHANT_COMMENT",
    "ORDER_PARTIALLY_PAID",
    "DRAFT_ORDER_CHANGES_APPLIED",
    "SAVED_PAYMENT_METHOD",
    "AUTHORIZED_PAYMENT_CREATED",
    "AUTHORIZED_PAYMENT_CAPTURED",
    "AUTHORIZED_PAYMENT_VOIDED",
    "REFUND_INITIATED",
    "PAYMENT_REFUNDED",
    "PAYMENT_REFUND_FAILED",
    "REFUNDED_AS_STORE_CREDIT",
    "PAYMENT_PENDING",
    "PAYMENT_CANCELED",
    "PAYMENT_DECLINED",
    "ORDER_PENDING",
    "ORDER_REJECTED",
    "RECEIPT_CREATED",
    "RECEIPT_SENT",
    "CHARGEBACK_CREATED",
    "CHARGEBACK_REVERSED",
]
# The newer activityType enum is the same set without CUSTOM_ACTIVITY.
OrderActivityType = Literal[
    "ORDER_PLACED",
    "ORDER_PAID",
    "ORDER_FULFILLED",
    "ORDER_NOT_FULFILLED",
    "ORDER_CANCELED",
    "DOWNLOAD_LINK_SENT",
    "TRACKING_NUMBER_ADDED",
    "TRACKING_NUMBER_EDITED",
    "TRACKING_LINK_ADDED",
    "SHIPPING_CONFIRMATION_EMAIL_SENT",
    "INVOICE_ADDED",
    "INVOICE_REMOVED",
    "INVOICE_SENT",
    "FULFILLER_EMAIL_SENT",
    "SHIPPING_ADDRESS_EDITED",
    "EMAIL_EDITED",
    "PICKUP_READY_EMAIL_SENT",
    "MERCHANT_COMMENT",
    "ORDER_PARTIALLY_PAID",
    "DRAFT_ORDER_CHANGES_APPLIED",
    "SAVED_PAYMENT_METHOD",
    "AUTHORIZED_PAYMENT_CREATED",
    "AUTHORIZED_PAYMENT_CAPTURED",
    "AUTHORIZED_PAYMENT_VOIDED",
    "REFUND_INITIATED",
    "PAYMENT_REFUNDED",
    "PAYMENT_REFUND_FAILED",
    "REFUNDED_AS_STORE_CREDIT",
    "PAYMENT_PENDING",
    "PAYMENT_CANCELED",
    "PAYMENT_DECLINED",
    "ORDER_PENDING",
    "ORDER_REJECTED",
    "RECEIPT_CREATED",
    "RECEIPT_SENT",
    "CHARGEBACK_CREATED",
    "CHARGEBACK_REVERSED",
    "ORDER_REFUNDED",
]
AttributionSource = Literal["UNSPECIFIED", "FACEBOOK_ADS"]
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
    "CLASS_PASS",
    "GLOBAL_E",
    "FACEBOOK",
    "ETSY",
    "TIKTOK",
    "FAIRE_COM",
    "PAYPAL_AGENTIC_CHECKOUT",
    "STRIPE_AGENTIC_CHECKOUT",
]
AdditionalFeeSource = Literal["SERVICE_PLUGIN", "ITEM", "MANUAL", "SHIPPING", "PLATFORM"]
ChargeType = Literal["PASS_ON", "ABSORBED"]


class Price(WireModel):
    amount: Amount | None = None
    formattedAmount: str | None = None


class SignedPrice(WireModel):
    """Balances and cash rounding: the only money Wix lets go below zero."""

    amount: Decimal | None = None
    formattedAmount: str | None = None


class TranslatableString(WireModel):
    original: str | None = None
    translated: str | None = None


class Color(WireModel):
    original: str | None = None
    translated: str | None = None
    code: str | None = None


class CatalogReference(WireModel):
    catalogItemId: str | None = None
    appId: str | None = None
    options: dict[str, Any] | None = None


class DescriptionLine(WireModel):
    plainText: TranslatableString | None = None
    plainTextValue: TranslatableString | None = None  # the older name of plainText, which Wix still returns
    colorInfo: Color | None = None
    name: TranslatableString | None = None
    # Not a field of the published interface, but Wix's REST responses carry it and its enum is published.
    lineType: DescriptionLineType | None = None


class Image(WireModel):
    id: str | None = None
    url: str | None = None
    height: int | None = None
    width: int | None = None
    altText: str | None = None
    filename: str | None = None


class PhysicalProperties(WireModel):
    weight: Number | None = None
    sku: str | None = None
    shippable: bool | None = None


class ItemType(WireModel):
    preset: ItemTypePreset | None = None
    custom: str | None = None


class ItemTaxFullDetails(WireModel):
    taxableAmount: Price | None = None
    taxRate: Decimal | None = None
    totalTax: Price | None = None


class LineItemTaxBreakdown(WireModel):
    jurisdiction: str | None = None
    rate: Decimal | None = None
    taxAmount: Price | None = None
    taxType: str | None = None
    taxName: str | None = None
    jurisdictionType: JurisdictionType | None = None
    nonTaxableAmount: Price | None = None
    taxableAmount: Price | None = None


class LineItemTaxInfo(WireModel):
    taxAmount: Price | None = None
    taxableAmount: Price | None = None
    taxRate: Decimal | None = None
    taxGroupId: str | None = None
    taxIncludedInPrice: bool | None = None
    taxBreakdown: list[LineItemTaxBreakdown] | None = None


class DigitalFile(WireModel):
    fileId: str | None = None
    link: str | None = None
    expirationDate: DateTime | None = None


class FreeTrialPeriod(WireModel):
    frequency: SubscriptionFrequency | None = None
    interval: int | None = None


class SubscriptionSettings(WireModel):
    frequency: SubscriptionFrequency | None = None
    interval: int | None = None
    autoRenewal: bool | None = None
    billingCycles: int | None = None
    enableCustomerCancellation: bool | None = None
    freeTrialPeriod: FreeTrialPeriod | None = None


class SubscriptionInfo(WireModel):
    id: str | None = None
    cycleNumber: int | None = None
    subscriptionOptionTitle: str | None = None
    subscriptionOptionDescription: str | None = None
    subscriptionSettings: SubscriptionSettings | None = None
    chargesDescription: str | None = None


class LocationAndQuantity(WireModel):
    id: str | None = None
    appId: str | None = None
    quantity: int | None = None
    name: str | None = None


class TaxableAddress(WireModel):
    addressType: TaxableAddressType | None = None


class DecimalQuantity(WireModel):
    measurementUnit: MeasurementUnit | None = None
    otherUnit: str | None = None
    value: Decimal | None = None
    description: TranslatableString | None = None


class ExtendedFields(WireModel):
    namespaces: dict[str, dict[str, Any]] | None = None


class ItemModifier(WireModel):
    id: str | None = None
    quantity: int | None = None
    label: TranslatableString | None = None
    details: TranslatableString | None = None
    price: Price | None = None


class ModifierGroup(WireModel):
    id: str | None = None
    name: TranslatableString | None = None
    modifiers: list[ItemModifier] | None = None


class OrderLineItem(WireModel):
    id: str | None = None
    productName: TranslatableString | None = None
    catalogReference: CatalogReference | None = None
    quantity: Annotated[int, Field(ge=1, le=100000)] | None = None
    totalDiscount: Price | None = None
    descriptionLines: Annotated[list[DescriptionLine], Field(max_length=20)] | None = None
    image: Image | None = None
    physicalProperties: PhysicalProperties | None = None
    itemType: ItemType | None = None
    fulfillerId: str | None = None
    refundQuantity: int | None = None
    restockQuantity: int | None = None
    price: Price | None = None
    priceBeforeDiscounts: Price | None = None
    totalPriceBeforeTax: Price | None = None
    totalPriceAfterTax: Price | None = None
    paymentOption: PaymentOptionType | None = None
    taxDetails: ItemTaxFullDetails | None = None
    taxInfo: LineItemTaxInfo | None = None
    digitalFile: DigitalFile | None = None
    subscriptionInfo: SubscriptionInfo | None = None
    priceDescription: TranslatableString | None = None
    depositAmount: Price | None = None
    locations: list[LocationAndQuantity] | None = None
    lineItemPrice: Price | None = None
    taxableAddress: TaxableAddress | None = None
    priceUndetermined: bool | None = None
    fixedQuantity: bool | None = None
    decimalQuantity: DecimalQuantity | None = None
    extendedFields: ExtendedFields | None = None
    modifierGroups: list[ModifierGroup] | None = None


class BuyerInfo(WireModel):
    visitorId: str | None = None
    memberId: str | None = None
    contactId: str | None = None
    email: str | None = None


class CurrencyConversionDetails(WireModel):
    originalCurrency: str | None = None
    conversionRate: Decimal | None = None


class PriceSummary(WireModel):
    subtotal: Price | None = None
    shipping: Price | None = None
    tax: Price | None = None
    discount: Price | None = None
    total: Price | None = None
    totalPrice: Price | None = None  # the older name of total, which Wix still returns
    # Not fields of the published interface, but Wix's REST responses carry them beside total.
    totalWithGiftCard: Price | None = None
    totalWithoutGiftCard: Price | None = None
    totalAdditionalFees: Price | None = None


class StreetAddress(WireModel):
    number: str | None = None
    name: str | None = None


class AddressLocation(WireModel):
    latitude: Number | None = None
    longitude: Number | None = None


class Address(WireModel):
    country: str | None = None
    subdivision: str | None = None
    city: str | None = None
    postalCode: str | None = None
    streetAddress: StreetAddress | None = None
    addressLine: str | None = None
    addressLine2: str | None = None
    geocode: AddressLocation | None = None
    countryFullname: str | None = None
    subdivisionFullname: str | None = None


class VatId(WireModel):
    id: str | None = None
    type: VatType | None = None


class FullAddressContactDetails(WireModel):
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None
    company: str | None = None
    vatId: VatId | None = None


class AddressWithContact(WireModel):
    address: Address | None = None
    contactDetails: FullAddressContactDetails | None = None


class PickupAddress(WireModel):
    country: str | None = None
    subdivision: str | None = None
    city: str | None = None
    postalCode: str | None = None
    streetAddress: StreetAddress | None = None
    addressLine: str | None = None
    addressLine2: str | None = None
    countryFullname: str | None = None
    subdivisionFullname: str | None = None


class PickupDetails(WireModel):
    address: PickupAddress | None = None
    pickupMethod: PickupMethod | None = None


class DeliveryTimeSlot(WireModel):
    from_: DateTime | None = Field(default=None, alias="from")
    to: DateTime | None = None


class DeliveryLogistics(WireModel):
    shippingDestination: AddressWithContact | None = None
    pickupDetails: PickupDetails | None = None
    deliveryTime: str | None = None
    instructions: str | None = None
    deliverByDate: DateTime | None = None
    deliveryTimeSlot: DeliveryTimeSlot | None = None


class ShippingPrice(WireModel):
    price: Price | None = None
    totalPriceBeforeTax: Price | None = None
    totalPriceAfterTax: Price | None = None
    taxDetails: ItemTaxFullDetails | None = None
    taxInfo: LineItemTaxInfo | None = None
    discount: Price | None = None


class ShippingRegion(WireModel):
    name: str | None = None


class ShippingInformation(WireModel):
    carrierId: str | None = None
    code: str | None = None
    title: str | None = None
    logistics: DeliveryLogistics | None = None
    cost: ShippingPrice | None = None
    region: ShippingRegion | None = None


class TaxSummary(WireModel):
    totalTax: Price | None = None


class OrderTaxBreakdown(WireModel):
    taxName: str | None = None
    taxType: str | None = None
    jurisdiction: str | None = None
    jurisdictionType: JurisdictionType | None = None
    rate: Decimal | None = None
    aggregatedTaxAmount: Price | None = None


class OrderTaxInfo(WireModel):
    totalTax: Price | None = None
    taxBreakdown: list[OrderTaxBreakdown] | None = None
    taxExempt: bool | None = None


class Coupon(WireModel):
    id: str | None = None
    code: str | None = None
    name: str | None = None
    amount: Price | None = None


class MerchantDiscount(WireModel):
    discountReason: DiscountReason | None = None
    description: str | None = None
    amount: Price | None = None


class DiscountRule(WireModel):
    id: str | None = None
    name: TranslatableString | None = None
    amount: Price | None = None


class LineItemDiscount(WireModel):
    id: str | None = None
    totalDiscount: Price | None = None


class AppliedDiscount(WireModel):
    coupon: Coupon | None = None
    merchantDiscount: MerchantDiscount | None = None
    discountRule: DiscountRule | None = None
    discountType: DiscountType | None = None
    lineItemIds: list[str] | None = None
    id: str | None = None
    lineItemDiscounts: list[LineItemDiscount] | None = None


class MerchantComment(WireModel):
    message: str | None = None


class OrderRefunded(WireModel):
    manual: bool | None = None
    amount: Price | None = None
    reason: str | None = None


class Activity(WireModel):
    """An order activity. Of its many content variants only the two common ones are checked; the rest pass as they come."""

    id: str | None = None
    authorEmail: str | None = None
    createdDate: DateTime | None = None
    type: ActivityType | None = None
    activityType: OrderActivityType | None = None
    merchantComment: MerchantComment | None = None
    orderRefunded: OrderRefunded | None = None


class CreatedBy(WireModel):
    userId: str | None = None
    memberId: str | None = None
    visitorId: str | None = None
    appId: str | None = None


class ChannelInfo(WireModel):
    type: ChannelType | None = None
    externalOrderId: str | None = None
    externalOrderUrl: str | None = None


class CustomField(WireModel):
    value: Any = None
    title: str | None = None
    translatedTitle: str | None = None


class BalanceSummary(WireModel):
    balance: SignedPrice | None = None
    paid: Price | None = None
    refunded: Price | None = None
    authorized: Price | None = None
    pendingRefund: Price | None = None
    pending: Price | None = None
    chargeback: Price | None = None
    chargebackReversal: Price | None = None
    platformFees: Price | None = None
    totalMinusPlatformFees: Price | None = None
    cashRoundingAdjustment: SignedPrice | None = None


class AdditionalFee(WireModel):
    code: str | None = None
    name: str | None = None
    price: Price | None = None
    taxDetails: ItemTaxFullDetails | None = None
    taxInfo: LineItemTaxInfo | None = None
    providerAppId: str | None = None
    priceBeforeTax: Price | None = None
    priceAfterTax: Price | None = None
    id: str | None = None
    lineItemIds: list[str] | None = None
    source: AdditionalFeeSource | None = None
    taxableAddress: TaxableAddress | None = None


class TagList(WireModel):
    tagIds: list[str] | None = None


class Tags(WireModel):
    privateTags: TagList | None = None
    tags: TagList | None = None


class Location(WireModel):
    id: str | None = None
    name: str | None = None


class PlatformFee(WireModel):
    name: TranslatableString | None = None
    amount: Price | None = None
    lineItemId: str | None = None
    chargeType: ChargeType | None = None
    percentageRate: Decimal | None = None


class PlatformFeeSummary(WireModel):
    total: Price | None = None
    totalPassOn: Price | None = None
    totalAbsorbed: Price | None = None
    fees: list[PlatformFee] | None = None


class EcomOrder(WireModel):
    """A Wix eCommerce order (ecom/v1), REST wire shape."""

    id: str | None = None
    number: str | None = None
    createdDate: DateTime | None = None
    updatedDate: DateTime | None = None
    lineItems: Annotated[list[OrderLineItem], Field(min_length=1, max_length=300)] | None = None
    buyerInfo: BuyerInfo | None = None
    paymentStatus: PaymentStatus | None = None
    fulfillmentStatus: FulfillmentStatus | None = None
    buyerLanguage: str | None = None
    weightUnit: WeightUnit | None = None
    currency: str | None = None
    currencyConversionDetails: CurrencyConversionDetails | None = None
    taxIncludedInPrices: bool | None = None
    siteLanguage: str | None = None
    priceSummary: PriceSummary | None = None
    billingInfo: AddressWithContact | None = None
    shippingInfo: ShippingInformation | None = None
    buyerNote: str | None = None
    status: OrderStatus | None = None
    archived: bool | None = None
    taxSummary: TaxSummary | None = None
    taxInfo: OrderTaxInfo | None = None
    appliedDiscounts: Annotated[list[AppliedDiscount], Field(max_length=320)] | None = None
    activities: Annotated[list[Activity], Field(max_length=1000)] | None = None
    attributionSource: AttributionSource | None = None
    createdBy: CreatedBy | None = None
    channelInfo: ChannelInfo | None = None
    seenByAHuman: bool | None = None
    checkoutId: str | None = None
    customFields: list[CustomField] | None = None
    balanceSummary: BalanceSummary | None = None
    additionalFees: Annotated[list[AdditionalFee], Field(max_length=100)] | None = None
    extendedFields: ExtendedFields | None = None
    purchaseFlowId: str | None = None
    recipientInfo: AddressWithContact | None = None
    tags: Tags | None = None
    purchasedDate: DateTime | None = None
    businessLocation: Location | None = None
    payAfterFreeTrial: PriceSummary | None = None
    platformFeeSummary: PlatformFeeSummary | None = None
    imported: bool | None = None
