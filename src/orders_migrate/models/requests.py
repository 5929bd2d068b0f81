"""The eCommerce requests ``orders-migrate requests`` writes, as the published types describe them
(``@wix/auto_sdk_ecom_orders@1.0.300``: CreateOrderRequest, UpdateOrderRequest, SearchOrdersRequest;
``@wix/auto_sdk_ecom_order-fulfillments@1.0.65``: UpdateFulfillmentRequest). Create Fulfillment and Add
Payments are the import plan's (importing.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import WireModel
from .ecom import EcomOrder
from .importing import FulfillmentTrackingInfo


class CreateOrderRequest(WireModel):
    order: EcomOrder


class OrderToUpdate(EcomOrder):
    id: Annotated[str, Field(min_length=1)]  # the order the path names: required here


class UpdateOrderRequest(WireModel):
    order: OrderToUpdate


class SearchSort(WireModel):
    fieldName: Annotated[str, Field(min_length=1)]
    order: Literal["ASC", "DESC"] | None = None


class CursorPaging(WireModel):
    limit: Annotated[int, Field(ge=0, le=100)] | None = None
    cursor: str | None = None


class CursorSearch(WireModel):
    filter: dict[str, Any] | None = None
    sort: Annotated[list[SearchSort], Field(max_length=4)] | None = None
    cursorPaging: CursorPaging | None = None


class SearchOrdersRequest(WireModel):
    search: CursorSearch | None = None


class FulfillmentUpdate(WireModel):
    id: Annotated[str, Field(min_length=1)]
    trackingInfo: FulfillmentTrackingInfo | None = None


class UpdateFulfillmentRequest(WireModel):
    orderId: Annotated[str, Field(min_length=1)]
    fulfillment: FulfillmentUpdate
