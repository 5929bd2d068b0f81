"""Strict JSON reading and exact writing, shared by every command: exact decimals, no duplicate keys, no NaN.

A JSON number that is copied through keeps its text: a fraction or exponent is read as a ``Decimal``
(a ``Number`` when Decimal would spell it differently, ``1e400`` or ``1E2``) and ``dumps`` writes it back
as it was read, as it does integers beyond the 64 bits orjson writes.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import orjson


class JSONError(orjson.JSONDecodeError):
    """A JSON parse error whose text is only our message (no second "line 1 column 1" suffix)."""

    def __init__(self, message: str):
        super().__init__(message, "", 0)

    def __str__(self) -> str:
        return str(self.msg)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


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


def json_dumps_exact(value: Any, **options: Any) -> str:
    """``json.dumps(value, **options)`` (the stdlib's, for layouts orjson cannot write) with each exact
    number written as its text. json cannot write a number from text either: ``default`` writes a
    placeholder string no number can be confused with, and each is then replaced by the number's text."""
    numbers: list[str] = []
    mark = _MARK

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal) and obj.is_finite():
            numbers.append(number_text(obj))
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


def loads(data: bytes) -> Any:
    """Parse JSON strictly: numbers with a fraction become Decimal (digit for digit, as Velo money
    needs), a repeated key or NaN is an error rather than a silent choice."""
    try:
        return json.loads(
            data.decode("utf-8"), parse_float=_number, parse_constant=_reject_constant, object_pairs_hook=_unique_keys
        )
    except UnicodeDecodeError as exc:
        raise JSONError(f"invalid UTF-8 at byte {exc.start}") from None
    except RecursionError:
        raise JSONError("nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise JSONError(str(exc)) from None
