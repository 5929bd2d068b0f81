"""What both wire shapes share: the base model, decimal strings and ISO date-times.

The models describe JSON as it travels (REST), so validation is strict: a number is not a string,
``"5"`` is not an integer and ``true`` is not a number. Every field is optional and nullable because
Wix marks almost every field optional and real stored orders carry ``null`` where the types say
nothing about it (``shipmentDetails: null`` on pickup orders). Unknown fields are allowed: Wix adds
fields over time, and the converter's report already lists every input field it did not carry.
"""

from __future__ import annotations

from decimal import Decimal as _Decimal
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

DECIMAL_PATTERN: Final = r"^-?[0-9]+(\.[0-9]+)?$"
AMOUNT_PATTERN: Final = r"^[0-9]+(\.[0-9]+)?$"
DATE_TIME_PATTERN: Final = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)

# Error messages name the form a pattern stands for, not the regular expression.
PATTERN_NAMES: Final[dict[str, str]] = {
    DECIMAL_PATTERN: 'a decimal string such as "10.50"',
    AMOUNT_PATTERN: 'a non-negative decimal string such as "10.50"',
    DATE_TIME_PATTERN: 'an ISO 8601 date-time string such as "2023-03-07T10:24:03.380Z"',
}

Decimal = Annotated[str, Field(pattern=DECIMAL_PATTERN)]
"""Stores money and weights: a decimal string in any of its stored forms ("130.00", "10.0", "0")."""

Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN)]
"""eCommerce ``Price.amount``: Wix's decimalValue options are gte 0."""

DateTime = Annotated[str, Field(pattern=DATE_TIME_PATTERN, json_schema_extra={"format": "date-time"})]
"""The types say ``Date``; on the wire a date is an ISO 8601 string."""


def _number(value: Any) -> Any:
    # Velo input is read with Decimal for every JSON fraction, so a converted order may hold a Decimal
    # where its JSON has a number; anything else is left for the strict check to judge.
    if isinstance(value, _Decimal) and value.is_finite():
        return float(value)
    return value


Number = Annotated[float, BeforeValidator(_number)]
"""A JSON number (``physicalProperties.weight``): an integer or a fraction, never a string."""


class WireModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=False)
