"""What both wire shapes share: the base model, decimal strings and ISO date-times.

The models describe JSON as it travels (REST), so validation is strict: a number is not a string,
``"5"`` is not an integer and ``true`` is not a number. Every field is optional and nullable because
Wix marks almost every field optional and real stored orders carry ``null`` where the types say
nothing about it (``shipmentDetails: null`` on pickup orders). Unknown fields are allowed: Wix adds
fields over time, and the converter's report already lists every input field it did not carry.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .plain import AMOUNT_PATTERN, DATE_TIME_PATTERN, DECIMAL_PATTERN, PATTERN_NAMES, number

__all__ = [
    "AMOUNT_PATTERN",
    "DATE_TIME_PATTERN",
    "DECIMAL_PATTERN",
    "PATTERN_NAMES",
    "Amount",
    "DateTime",
    "Decimal",
    "Number",
    "WireModel",
]

Decimal = Annotated[str, Field(pattern=DECIMAL_PATTERN)]
"""Stores money and weights: a decimal string in any of its stored forms ("130.00", "10.0", "0")."""

Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN)]
"""eCommerce ``Price.amount``: Wix's decimalValue options are gte 0."""

DateTime = Annotated[str, Field(pattern=DATE_TIME_PATTERN, json_schema_extra={"format": "date-time"})]
"""The types say ``Date``; on the wire a date is an ISO 8601 string."""


Number = Annotated[float, BeforeValidator(number)]
"""A JSON number (``physicalProperties.weight``): an integer or a fraction, never a string."""


class WireModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=False)
