"""Money formatting: our prebuilt formatter agrees with Babel's format_currency, digit for digit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_migrate.money import MoneyError, computed_text, formatter, parse_amount

LOCALES = ["en_US", "de_DE", "fr_FR", "en_IN", "ja_JP", "he_IL", "pt_BR", "de_CH", "ar_EG", "sv_SE"]
CURRENCIES = ["USD", "EUR", "JPY", "ILS", "INR", "KWD", "BRL", "CHF", "PHP"]


@settings(max_examples=400, deadline=None)
@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(LOCALES),
    st.sampled_from(CURRENCIES),
)
def test_formatter_matches_babel(amount: Decimal, locale: str, currency: str) -> None:
    fmt = formatter(currency, locale)
    assert fmt is not None
    assert fmt(amount) == format_currency(amount, currency, locale=locale)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**13),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=2),
    st.sampled_from(LOCALES),
    st.sampled_from(CURRENCIES),
)
def test_amount_texts_format_as_babel_does(whole: int, places: int, zeros: int, locale: str, currency: str) -> None:
    # The formatter's short cut for a text with no digit to round ("12.5", "0012.50") and its memo.
    text = "0" * zeros + str(whole) + ("." + str(whole % 10**places).zfill(places) if places else "")
    fmt = formatter(currency, locale)
    assert fmt is not None
    expected = format_currency(Decimal(text), currency, locale=locale)
    assert fmt.text(text, Decimal(text)) == expected
    assert fmt.text(text, Decimal(text)) == expected  # from the memo


def test_huge_amounts_keep_every_digit() -> None:
    fmt = formatter("USD", "en_US")
    assert fmt is not None
    assert fmt(Decimal("1E+40")) == "$10," + ",".join(["000"] * 13) + ".00"


def test_parse_amount_keeps_the_text() -> None:
    assert parse_amount("10.0") == ("10.0", Decimal("10.0"))
    assert parse_amount(7) == ("7", Decimal(7))
    assert parse_amount(Decimal("1E+3")) == ("1000", Decimal("1E+3"))
    with pytest.raises(MoneyError):
        parse_amount(1.5)
    with pytest.raises(MoneyError):
        parse_amount(True)


@pytest.mark.parametrize("currency,expected", [("USD", "10.00"), ("JPY", "10"), ("KWD", "10.000"), (None, "10")])
def test_computed_amounts_use_minor_units(currency: str | None, expected: str) -> None:
    assert computed_text(Decimal("10"), currency) == expected
