"""Money: Decimal amounts in, eCommerce ``Price`` objects out. No float touches an amount."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import get_currency_precision, get_currency_symbol, list_currencies

_DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")

DEFAULT_LOCALE = "en_US"


class MoneyError(ValueError):
    pass


# Amounts repeat across orders ("0", "0.00", the same prices): each text is parsed once. A memo of a
# pure function, bounded; shared by threads safely (a lost entry is only parsed again).
_PARSED: dict[str, tuple[str, Decimal]] = {}
PARSED = _PARSED  # generated code reads it directly: an amount text parsed before, without a call
_MEMO_SIZE = 1 << 14
_MEMO_TEXT = 40  # the longest amount text the memos keep (more digits than any shop's amount)


def parse_amount(value: Any) -> tuple[str, Decimal]:
    """The amount's own text (kept when copied) and its Decimal value.

    Stores writes money as decimal strings in mixed forms ("130.00", "10.0", "0"). A JSON float is
    refused: it has already lost the digits the shop stored.
    """
    if value.__class__ is str:
        parsed = _PARSED.get(value)
        if parsed is not None:
            return parsed
        if not _DECIMAL_RE.fullmatch(value):
            raise MoneyError(f'expected a decimal amount such as "10.50", got {value!r}')
        parsed = (value, Decimal(value))
        if len(value) <= _MEMO_TEXT:  # a hostile batch of huge numbers is parsed, not kept
            if len(_PARSED) >= _MEMO_SIZE:
                _PARSED.clear()
            _PARSED[value] = parsed
        return parsed
    if isinstance(value, str):
        if not _DECIMAL_RE.fullmatch(value):
            raise MoneyError(f'expected a decimal amount such as "10.50", got {value!r}')
        return str(value), Decimal(value)
    if isinstance(value, bool):
        raise MoneyError(f"expected a decimal amount, got {str(value).lower()}")
    if isinstance(value, int):
        if -_INT_BOUND < value < _INT_BOUND:
            return str(value), Decimal(value)
        raise MoneyError(f"the amount has more than {_MAX_DIGITS} digits before the point: not an amount")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"expected a finite amount, got {value}")
        _check_size(value)
        return format(value, "f"), value
    if isinstance(value, float):
        raise MoneyError(f"expected a decimal string, got the JSON number {value!r} (a float cannot carry money exactly)")
    raise MoneyError(f"expected a decimal amount, got {type(value).__name__}")


def amount_value(value: Any) -> Decimal:
    """``parse_amount(value)[1]`` without the text: for sums, where only the value counts."""
    if value.__class__ is int:
        return Decimal(value)
    if value.__class__ is Decimal and value.is_finite() and -_MAX_DIGITS < value.adjusted() < _MAX_DIGITS:
        return value
    return parse_amount(value)[1]


# An exact number read from JSON may be 1e999999999999999999: a Decimal holds it, but written out as an
# amount it would be that many digits. No shop's amount comes near this bound.
_MAX_DIGITS = 1000
_INT_BOUND = 10**_MAX_DIGITS  # an integer amount below it in size has fewer digits than the bound


def _check_size(value: Decimal) -> None:
    if not -_MAX_DIGITS < value.adjusted() < _MAX_DIGITS:
        raise MoneyError(f"the amount {value} has more than {_MAX_DIGITS} digits before or after the point: not an amount")


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: Any) -> bool:
    """An ISO 4217 code Babel knows ("USD"); "usd" or "ZZZ" would format amounts wrongly."""
    return isinstance(code, str) and code in _known_currencies()


# Rounding of amounts with fewer than 40 integer digits: enough precision for every digit they have.
_ROUNDING = Context(prec=80, rounding=ROUND_HALF_EVEN)


class Formatter:
    """A currency formatter with a memo of the texts it has formatted: an order formats the same few
    amounts many times ("0.00", a price and its twin), and so do the orders of one shop."""

    __slots__ = ("fmt", "plain", "memo")

    def __init__(self, fmt: Callable[[Decimal], str], plain: Callable[[str], str | None] | None = None):
        self.fmt = fmt
        self.plain = plain  # the same result straight from a plain text ("12.50"), or None
        self.memo: dict[str, str] = {}

    def __call__(self, amount: Decimal) -> str:
        return self.fmt(amount)

    def text(self, text: str, amount: Decimal) -> str:
        """``amount`` formatted, where ``text`` is the amount's own decimal text."""
        formatted = self.memo.get(text)
        if formatted is None:
            formatted = (self.plain(text) if self.plain is not None else None) or self.fmt(amount)
            # Never a text with a sign: generated code takes an amount found here for one not below zero
            # (engine/ops/money.py), whose pattern need not be checked again (engine/validity.py).
            if len(text) <= _MEMO_TEXT and not text.startswith("-"):
                if len(self.memo) >= _MEMO_SIZE:
                    self.memo.clear()
                self.memo[text] = formatted
        return formatted

    def of_text(self, text: str) -> str | None:
        """``text`` formatted when it is a plain amount text ("12.5", "7"), without making a Decimal of
        it; None for any other text (negative, more digits than the currency has, not an amount)."""
        formatted = self.memo.get(text)
        if formatted is not None or self.plain is None or not _DECIMAL_RE.fullmatch(text):
            return formatted
        formatted = self.plain(text)
        if formatted is not None and len(text) <= _MEMO_TEXT:
            if len(self.memo) >= _MEMO_SIZE:
                self.memo.clear()
            self.memo[text] = formatted
        return formatted


@lru_cache(maxsize=256)
def formatter(currency: str | None, locale: str = DEFAULT_LOCALE) -> Formatter | None:
    return Formatter(*_formatter(currency, locale)) if currency else None


def _formatter(currency: str, locale: str) -> tuple[Callable[[Decimal], str], Callable[[str], str | None] | None]:
    """One formatter per currency and locale, built once from Babel's data.

    Babel's own format_currency costs ~20 us a call and an order holds 15 to 25 amounts, so the
    pattern, symbols and grouping are read from Babel's locale data here, once, and applied by a few
    string operations. Locales whose digits are not Latin use Babel's own formatting.
    """
    loc = Locale.parse(locale)
    pattern = loc.currency_formats["standard"]
    numbering = getattr(loc, "default_numbering_system", "latn")
    if numbering != "latn":
        return _babel_formatter(currency, loc), None
    symbols = loc.number_symbols
    symbols = symbols.get(numbering, symbols) if "decimal" not in symbols else symbols
    decimal_sym, group_sym = str(symbols["decimal"]), str(symbols["group"])
    symbol = str(get_currency_symbol(currency, loc))
    quantum = Decimal(1).scaleb(-get_currency_precision(currency))
    (pos_prefix, neg_prefix), (pos_suffix, neg_suffix) = (tuple(map(str, pattern.prefix)), tuple(map(str, pattern.suffix)))
    pos_prefix, neg_prefix = pos_prefix.replace("¤", symbol), neg_prefix.replace("¤", symbol)
    pos_suffix, neg_suffix = pos_suffix.replace("¤", symbol), neg_suffix.replace("¤", symbol)
    primary, secondary = pattern.grouping

    def grouped(whole: str) -> str:
        """The integer digits with the locale's grouping (1234567 -> 1,234,567; en_IN 12,34,567)."""
        if len(whole) <= primary:
            return whole
        head, tail = whole[:-primary], whole[-primary:]
        groups = []
        while len(head) > secondary:
            groups.append(head[-secondary:])
            head = head[:-secondary]
        return group_sym.join([head, *reversed(groups), tail])

    def fmt(amount: Decimal) -> str:
        if amount.adjusted() < 40:  # every amount a shop has: a shared context, no context manager
            rounded = amount.quantize(quantum, context=_ROUNDING)
        else:
            with localcontext() as ctx:
                ctx.prec = amount.adjusted() + 40  # huge amounts keep every digit
                rounded = amount.quantize(quantum, rounding=ROUND_HALF_EVEN)
        negative = rounded.is_signed()  # as Babel: -0.004 shows as -$0.00
        whole, _, frac = format(rounded.copy_abs(), "f").partition(".")  # abs() would round to 28 digits
        number = grouped(whole) + (decimal_sym + frac if frac else "")
        return (neg_prefix + number + neg_suffix) if negative else (pos_prefix + number + pos_suffix)

    digits = get_currency_precision(currency)

    def plain(text: str) -> str | None:
        """``fmt(Decimal(text))`` for a non-negative text with at most the currency's minor digits
        ("12.5", "012.50", "7"): nothing to round, so the digits are only grouped and padded."""
        whole, _, frac = text.partition(".")
        if len(frac) > digits or not whole.isdigit() or not whole.isascii() or (frac and not (frac.isdigit() and frac.isascii())):
            return None
        whole = whole.lstrip("0") or "0"
        if len(whole) > primary:  # most amounts have no group separator: no call for them
            whole = grouped(whole)
        if digits:
            return pos_prefix + whole + decimal_sym + frac.ljust(digits, "0") + pos_suffix
        return pos_prefix + whole + pos_suffix

    return fmt, plain


def _babel_formatter(currency: str, loc: Locale) -> Callable[[Decimal], str]:
    pattern = loc.currency_formats["standard"]

    def fmt(amount: Decimal) -> str:
        try:
            return str(pattern.apply(amount, loc, currency=currency, currency_digits=True))
        except InvalidOperation:  # beyond Babel's decimal precision
            return f"{amount} {currency}"

    return fmt


@lru_cache(maxsize=256)
def minor_unit_exponent(currency: str | None) -> Decimal | None:
    """``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY; None when the currency is unknown."""
    if not currency:
        return None
    return Decimal(1).scaleb(-get_currency_precision(currency))


def computed_text(amount: Decimal, currency: str | None) -> str:
    """A computed amount is written with the currency's minor units."""
    return computed(amount, currency)[0]


def computed(amount: Decimal, currency: str | None) -> tuple[str, Decimal]:
    """A computed amount with the currency's minor units: its text and its value."""
    quantum = _QUANTA.get(currency)
    if quantum is None:
        quantum = _QUANTA[currency] = _quantum(currency)
    exp, spelled = quantum
    if exp is not None:
        try:
            rounded = amount.quantize(exp)
        except InvalidOperation:  # beyond Decimal precision: keep it as it is
            return format(amount, "f"), amount
        return (str(rounded) if spelled else format(rounded, "f")), rounded
    return format(amount, "f"), amount


# By currency: its minor-unit exponent, and whether str() spells an amount quantized to it as format "f"
# does (an exponent of 0 to -6: every currency's), at a third of its cost. Idempotent, so safe to share.
_QUANTA: dict[str | None, tuple[Decimal | None, bool]] = {}


def _quantum(currency: str | None) -> tuple[Decimal | None, bool]:
    exp = minor_unit_exponent(currency)
    exponent = exp.as_tuple().exponent if exp is not None else 0
    return exp, isinstance(exponent, int) and -6 <= exponent <= 0


def price(text: str, amount: Decimal, fmt: Formatter | None) -> dict[str, str]:
    if fmt is None:
        return {"amount": text}
    return {"amount": text, "formattedAmount": fmt.text(text, amount)}
