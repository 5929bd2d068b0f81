"""Money: Decimal amounts in, eCommerce ``Price`` objects out. No float touches an amount."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import get_currency_precision

_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")

DEFAULT_LOCALE = "en_US"


class MoneyError(ValueError):
    pass


def parse_amount(value: Any) -> tuple[str, Decimal]:
    """The amount's own text (kept when copied) and its Decimal value.

    Stores writes money as decimal strings in mixed forms ("130.00", "10.0", "0"). A JSON float is
    refused: it has already lost the digits the shop stored.
    """
    if isinstance(value, str):
        if not _DECIMAL_RE.match(value):
            raise MoneyError(f'expected a decimal amount such as "10.50", got {value!r}')
        return value, Decimal(value)
    if isinstance(value, bool):
        raise MoneyError(f"expected a decimal amount, got {str(value).lower()}")
    if isinstance(value, int):
        return str(value), Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"expected a finite amount, got {value}")
        return str(value), value
    if isinstance(value, float):
        raise MoneyError(f"expected a decimal string, got the JSON number {value!r} (a float cannot carry money exactly)")
    raise MoneyError(f"expected a decimal amount, got {type(value).__name__}")


@lru_cache(maxsize=256)
def formatter(currency: str | None, locale: str = DEFAULT_LOCALE) -> Callable[[Decimal], str] | None:
    """One formatter per currency and locale, built once from Babel's data (format_currency is slow)."""
    if not currency:
        return None
    loc = Locale.parse(locale)
    pattern = loc.currency_formats["standard"]

    def fmt(amount: Decimal) -> str:
        return str(pattern.apply(amount, loc, currency=currency, currency_digits=True))

    return fmt


@lru_cache(maxsize=256)
def minor_unit_exponent(currency: str | None) -> Decimal | None:
    """``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY; None when the currency is unknown."""
    if not currency:
        return None
    return Decimal(1).scaleb(-get_currency_precision(currency))


def computed_text(amount: Decimal, currency: str | None) -> str:
    """A computed amount is written with the currency's minor units."""
    exp = minor_unit_exponent(currency)
    if exp is not None:
        with contextlib.suppress(InvalidOperation):  # beyond Decimal precision: keep it as it is
            amount = amount.quantize(exp)
    return format(amount, "f")


def price(text: str, amount: Decimal, fmt: Callable[[Decimal], str] | None) -> dict[str, str]:
    if fmt is None:
        return {"amount": text}
    return {"amount": text, "formattedAmount": fmt(amount)}
