"""Money formatting: held to the reviewed table of formattedAmount texts, and to Babel's own format_currency."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import babel
import pytest
from babel.core import get_cldr_version
from babel.numbers import format_currency, get_group_symbol
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from orders_migrate import ConversionError, convert_order
from orders_migrate.money import MoneyError, computed, computed_text, formatter, minor_unit_exponent, parse_amount

# The texts the project stands behind: written once by fixtures/money/regenerate.py from the pinned
# Babel and reviewed. A migration's formattedAmount must not change with the day it was installed.
TABLE: dict[str, Any] = json.loads((FIXTURES / "money" / "formatted_amounts.json").read_text(encoding="utf-8"))
CASES = [(c["locale"], c["currency"], c["amount"], c["text"]) for c in TABLE["cases"]]

LOCALES = ["en_US", "de_DE", "fr_FR", "en_IN", "ja_JP", "he_IL", "pt_BR", "de_CH", "ar_EG", "sv_SE"]
CURRENCIES = ["USD", "EUR", "JPY", "ILS", "INR", "KWD", "BRL", "CHF", "PHP"]


def test_the_reviewed_table_came_from_the_pinned_babel() -> None:
    """The table was written with Babel 2.19.0 (CLDR 49), the version pyproject.toml pins. Another Babel
    means other CLDR data and other formattedAmount texts: regenerate the table and review every change."""
    assert (TABLE["babel"], TABLE["cldr"]) == ("2.19.0", "49")
    assert (babel.__version__, str(get_cldr_version())) == (TABLE["babel"], TABLE["cldr"])


@pytest.mark.parametrize("locale,currency,amount,text", CASES)
def test_formatter_writes_the_reviewed_texts(locale: str, currency: str, amount: str, text: str) -> None:
    fmt = formatter(currency, locale)
    assert fmt is not None
    assert fmt(Decimal(amount)) == text
    assert fmt.text(amount, Decimal(amount)) == text  # the short cut for texts with nothing to round


def test_the_table_differs_from_babel_only_where_babel_drops_an_apostrophe_grouping() -> None:
    """Babel 2.19 reads CLDR 49's ASCII apostrophe group symbol (de_CH, fr_CH, it_CH) as a quote in its
    own pattern code: two of them quote the digits between, and 1'234'567.89 prints as 1234567.89. The
    table keeps CLDR's grouping."""
    differing = [c for c in TABLE["cases"] if "babel" in c]
    assert {c["locale"] for c in differing} == {"de_CH", "fr_CH", "it_CH"}
    for c in differing:
        assert get_group_symbol(c["locale"]) == "'"
        assert c["text"].replace("'", "") == c["babel"].replace("'", "")


def babel_as_we_format(amount: Decimal, currency: str, locale: str) -> str:
    """Babel's text; for an apostrophe group symbol, ours once every other character is Babel's."""
    text = format_currency(amount, currency, locale=locale)
    if get_group_symbol(locale) != "'":
        return text
    ours = formatter(currency, locale)
    assert ours is not None
    mine = ours(amount)
    assert mine.replace("'", "") == text.replace("'", "")
    return mine


@settings(max_examples=400, deadline=None)
@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(LOCALES),
    st.sampled_from(CURRENCIES),
)
def test_formatter_matches_babel(amount: Decimal, locale: str, currency: str) -> None:
    fmt = formatter(currency, locale)
    assert fmt is not None
    assert fmt(amount) == babel_as_we_format(amount, currency, locale)


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
    expected = babel_as_we_format(Decimal(text), currency, locale)
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


@pytest.mark.parametrize("text", ["1e999999999999999999", "1e-999999999999999999", "-1E+5000"])
def test_an_exact_number_too_long_to_write_is_refused_not_a_crash(text: str) -> None:
    """A Decimal holds 1e999999999999999999; written out it would be that many digits (a MemoryError)."""
    with pytest.raises(MoneyError, match="more than 1000 digits"):
        parse_amount(Decimal(text))
    order = json.loads((FIXTURES / "stores" / "velo_order_paid.json").read_text(encoding="utf-8"), parse_float=Decimal)
    order["totals"]["subtotal"] = Decimal(text)
    with pytest.raises(ConversionError) as exc:
        convert_order(order)
    assert [p.path for p in exc.value.problems] == ["$.totals.subtotal"]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["USD", "JPY", "EUR", "INR", "BHD"]),
    st.sampled_from(["en_US", "de_DE", "hi_IN", "fr_CH"]),
    st.one_of(
        st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,5})?", fullmatch=True),
        st.sampled_from(["12.", ".5", "+5", " 5", "٣", "1e3", "", "-0.00", "0012.50"]),
    ),
)
def test_a_plain_text_formats_as_its_decimal_does(currency: str, locale: str, text: str) -> None:
    # of_text skips making a Decimal of a stored amount: it must give what the Decimal path gives, or None.
    from orders_migrate.money import _DECIMAL_RE, Formatter, _formatter

    fresh = Formatter(*_formatter(currency, locale))  # empty memos on both sides
    formatted = fresh.of_text(text)
    if formatted is None:
        return
    assert _DECIMAL_RE.fullmatch(text)
    assert formatted == Formatter(*_formatter(currency, locale)).text(text, Decimal(text))


@settings(max_examples=300)
@given(
    st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from([Decimal("-0"), Decimal("1E+40"), Decimal("1E-9")]),
    st.sampled_from([None, "USD", "JPY", "KWD", "CLF", "BHD", "ZZZ"]),
)
def test_a_computed_amount_is_spelled_as_format_f_spells_it(amount: Decimal, currency: str | None) -> None:
    # computed() spells a quantized amount with str(), cheaper than format "f": the two must agree.
    text, value = computed(amount, currency)
    assert text == format(value, "f")
    exp = minor_unit_exponent(currency)
    if exp is not None and value.adjusted() < 20:
        assert value == amount.quantize(exp)


def test_the_formatting_memo_keeps_no_amount_with_a_sign() -> None:
    # Generated code takes a text found in the memo for an amount not below zero (engine/ops/money.py).
    fmt = formatter("USD", "en_US")
    assert fmt is not None
    assert fmt.text("-5.25", Decimal("-5.25")) == "-$5.25" and "-5.25" not in fmt.memo
    assert fmt.text("5.25", Decimal("5.25")) == "$5.25" and fmt.memo["5.25"] == "$5.25"
