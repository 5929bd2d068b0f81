"""What the models share that needs no pydantic: the patterns of decimal strings and date-times, their
names in error messages, and the coercion of a JSON number. The recorded schemas (``recorded``) refer to
these, so validating with them imports no model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

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


def number(value: Any) -> Any:
    # Velo input is read with Decimal for every JSON fraction, so a converted order may hold a Decimal
    # where its JSON has a number; anything else is left for the strict check to judge.
    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    return value
