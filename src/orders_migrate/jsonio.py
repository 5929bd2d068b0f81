"""Strict JSON reading and exact writing, shared by every command: exact decimals, no duplicate keys, no NaN.

A JSON number that is copied through keeps its text: a fraction or exponent is read as a ``Decimal``
(a ``Number`` when Decimal would spell it differently, ``1e400`` or ``1E2``) and ``dumps`` writes it back
as it was read, as it does integers beyond the 64 bits orjson writes.

Two parsers give one answer. ``strict_loads`` is the standard library's parser with hooks: numbers through
``_number``, a repeated key, NaN or bad UTF-8 is an error in our words. It costs about three times orjson,
so ``loads`` first reads with msgspec (its fractions through the same ``_number``) and keeps that value only
when cheap checks prove the strict parser would return the same; anything else, every error included, is
read again by the strict parser, which alone words the errors.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import orjson

from .report import ConversionError, Problem


class JSONError(orjson.JSONDecodeError):
    """A JSON parse error whose text is only our message (no second "line 1 column 1" suffix)."""

    def __init__(self, message: str):
        super().__init__(message, "", 0)

    def __str__(self) -> str:
        return str(self.msg)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_LONG_EXPONENT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]{18,}")


def _too_large(text: str) -> str:
    """The number no Decimal holds (its exponent has 18 digits or more), for the message."""
    for match in _LONG_EXPONENT.finditer(text):
        try:
            Decimal(match.group())
        except InvalidOperation:
            number = match.group()
            return number if len(number) <= 40 else number[:37] + "..."
    return "with the longest exponent"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}: one of its values would be silently lost")
            seen.add(key)
    return obj


class Number(Decimal):
    """A JSON number whose text Decimal does not keep (``1e400`` is ``Decimal('1E+400')``): it remembers it."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Number:
        self = super().__new__(cls, text)
        self.text = text
        return self

    def __reduce__(self) -> tuple[type[Number], tuple[str]]:
        return Number, (self.text,)

    def __str__(self) -> str:
        return self.text  # messages quote the number as the user wrote it


def _number(text: str, _decimal: type[Decimal] = Decimal) -> Decimal:
    value = _decimal(text)
    # Most fractions ("10.50") read back as the same text: only the others pay for a Number.
    return value if value.__str__() == text else Number(text)


def number_text(value: Decimal) -> str:
    """The JSON text of an exact number: as it was read, or Decimal's own spelling of a computed one."""
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


_INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson writes as a JSON integer
_MARK = "\x00#"  # json writes it as \u0000#: a placeholder no number can be confused with


def _exact(obj: Any) -> Any:
    if isinstance(obj, Decimal) and obj.is_finite():
        return orjson.Fragment(number_text(obj))
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def dumps(value: Any, option: int = 0) -> bytes:
    """``orjson.dumps`` that writes every exact number (a Decimal, an integer beyond 64 bits) digit for
    digit, as it was read. Raises ``orjson.JSONEncodeError`` for what JSON cannot hold (NaN, a type)."""
    try:
        return orjson.dumps(value, default=_exact, option=option)
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):
            raise
        return orjson.dumps(_wrap_big_ints(value), default=_exact, option=option)


def _wrap_big_ints(value: Any) -> Any:
    """A copy of ``value`` with each integer orjson cannot write as its text."""
    if isinstance(value, dict):
        return {k: _wrap_big_ints(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wrap_big_ints(v) for v in value]
    if value.__class__ is int and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        return orjson.Fragment(str(value))
    return value


class _HasNumber(Exception):
    """Raised by the plain encoder at the first value JSON has no type for: the placeholder way is taken."""


def _no_default(obj: Any) -> Any:
    raise _HasNumber


@functools.lru_cache(maxsize=16)
def _plain_encoder(options: tuple[tuple[str, Any], ...]) -> json.JSONEncoder:
    # json.dumps with options builds an encoder each call: most values (a kept invoiceInfo) hold no
    # exact number, and one encoder per layout serves them all (it keeps no state between calls).
    return json.JSONEncoder(default=_no_default, **dict(options))


def json_dumps_exact(value: Any, **options: Any) -> str:
    """``json.dumps(value, **options)`` (the stdlib's, for layouts orjson cannot write) with each exact
    number written as its text. json cannot write a number from text either: ``default`` writes a
    placeholder string no number can be confused with, and each is then replaced by the number's text."""
    try:
        encoder = _plain_encoder(tuple(sorted(options.items())))
    except TypeError:  # an option that is no dict key (separators as a list): json.dumps takes it still
        encoder = None
    if encoder is not None:
        try:
            return encoder.encode(value)
        except _HasNumber:
            pass  # a Decimal (or a value of no JSON type, which the way below refuses in json's words)
    numbers: list[str] = []
    mark = _MARK

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal) and obj.is_finite():
            numbers.append(number_text(obj))
            return f"{mark}{len(numbers) - 1}"
        if isinstance(obj, Decimal) and options.get("allow_nan", True):
            # As json.dumps writes a float NaN or infinity (only a caller in Python can pass either).
            numbers.append("NaN" if obj.is_nan() else "-Infinity" if obj.is_signed() else "Infinity")
            return f"{mark}{len(numbers) - 1}"
        raise TypeError(f"cannot write {type(obj).__name__} as JSON")

    out = json.dumps(value, default=default, **options)
    while numbers:
        restored = _restore(out, numbers, mark)
        if restored is not None:
            return restored
        # A string of the input holds the placeholder itself: a longer one cannot collide with it.
        mark = "\x00" + mark
        numbers.clear()
        out = json.dumps(value, default=default, **options)
    return out


def _restore(out: str, numbers: list[str], mark: str) -> str | None:
    pattern = re.compile('"' + re.escape(json.dumps(mark)[1:-1]) + r'(\d+)"')
    found = pattern.findall(out)
    if [int(n) for n in found] != list(range(len(numbers))):
        return None
    texts = iter(numbers)
    return pattern.sub(lambda _: next(texts), out)


@contextmanager
def _our_errors(data: bytes | str) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        raise JSONError(f"invalid UTF-8 at byte {exc.start}") from None
    except RecursionError:
        raise JSONError("nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise JSONError(str(exc)) from None
    except InvalidOperation:  # Decimal's own limit, such as 1e99999999999999999999
        raise JSONError(f"the number {_too_large(_text(data))} is too large to read exactly") from None


def _text(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8")


def strict_loads(data: bytes | str) -> Any:
    """The reference parser: what ``loads`` returns or raises, at about three times its cost."""
    with _our_errors(data):
        return json.loads(_text(data), parse_float=_number, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def loads(data: bytes | str) -> Any:
    """Parse JSON strictly: numbers with a fraction or an exponent become Decimal (digit for digit: a Velo
    price 30.10 stays ``Decimal("30.10")``), a repeated key, NaN or bad UTF-8 is an error rather than a
    silent choice. Bytes are UTF-8; text is taken as it is. Raises ``orjson.JSONDecodeError``."""
    value = _DEEPER(_MARGIN, data)
    if value is not _UNPROVEN:
        return value
    # strict_loads spelled out, not called: one frame less, so it gives up at the same nesting as it always has.
    with _our_errors(data):
        return json.loads(_text(data), parse_float=_number, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def describe_error(exc: orjson.JSONDecodeError, data: bytes | str) -> str:
    """The problem of a record that does not parse, naming a byte order mark plainly (some editors write one)."""
    if data.startswith(b"\xef\xbb\xbf") if isinstance(data, bytes) else data.startswith("\ufeff"):
        return "not valid JSON: the file starts with a UTF-8 byte order mark"
    return f"not valid JSON: {exc}"


def load_record(data: bytes | str, expected: str) -> Any:
    """``loads`` for the front door: an empty or broken text is a ``ConversionError`` at ``$``."""
    if not data.strip():
        raise ConversionError([Problem("$", f"empty input: expected {expected}")])
    try:
        return loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem("$", describe_error(exc, data))]) from None


# ---- the fast path -------------------------------------------------------------------------------------

_DECODER = msgspec.json.Decoder(float_hook=_number)
_ENCODE = msgspec.json.Encoder(decimal_format="number").encode  # numbers as the text wrote them
_UNPROVEN: Any = object()


def _proven(data: bytes | str) -> Any:
    """msgspec's value of ``data`` when the strict parser is sure to return the same, else ``_UNPROVEN``.

    msgspec refuses what the strict parser refuses (NaN, bad UTF-8, a BOM, control characters, more integer
    digits than Python allows) and gives the same values (big integers as int, 1e400 as Number("1e400"),
    "1.10" as Decimal("1.10")), save two things. It refuses lone surrogates ("\\ud800"), which the strict
    parser keeps: refusals go to the strict parser anyway. And it keeps the last of repeated keys, which
    the re-encoded value shows in one of two ways:

    - it is the text itself, byte for byte (a compact text written as msgspec and orjson write): then the
      text has no repeated key, since the encoding of a dict has none;
    - else the colons are counted. Each colon of a JSON text follows a key or sits in a string, written as
      ":" or as "\\u003a" / "\\u003A". The encoding writes every colon plainly and has one per key kept,
      so its count equals the text's exactly when no key was dropped (a dropped key takes at least its own
      colon with it), and a miscounted escape ("\\\\u003a" is no colon) can only make the counts differ.
    """
    try:
        value = _DECODER.decode(data)
        encoded = _ENCODE(value)
    except Exception:  # the strict parser reads it again and words the problem
        return _UNPROVEN
    if isinstance(data, str):
        if encoded == data.encode("utf-8"):
            return value
        colons = data.count(":")
        if "\\" in data:
            colons += data.count("\\u003a") + data.count("\\u003A")
    else:
        if encoded == data:
            return value
        colons = data.count(b":")
        if b"\\" in data:  # a one-byte search is fast; most texts have no escape at all
            colons += data.count(b"\\u003a") + data.count(b"\\u003A")
    return value if encoded.count(b":") == colons else _UNPROVEN


# Both parsers stop at Python's recursion limit, the strict one a few levels earlier (its Python frames and
# hooks), so a text nested to within those levels of the limit would parse fast and fail strictly. The fast
# path therefore runs _MARGIN calls deeper: each goes through functools.partial, a C call, which spends the
# stack budget both parsers count on every Python version (the Python frames alone do not on 3.12+).
_MARGIN = 8


def _deeper(levels: int, data: bytes | str) -> Any:
    return _DEEPER(levels - 1, data) if levels else _proven(data)


_DEEPER = functools.partial(_deeper)
