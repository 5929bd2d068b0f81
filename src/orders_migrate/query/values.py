"""Values as the Search API takes them: text that UTF-8 can carry, numbers a JSON number can hold, nesting
within bounds, and a Stores field's value converted by its row's rule (epoch milliseconds, integer as text,
the value's type).

Each check records a ``Problem`` at the value's ``$.path`` and answers ``BAD``, so that every problem in a
request is reported at once.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ..engine.context import TYPES as _TYPES
from ..jsonio import number_text
from ..paths import index_step, key_step
from ..report import Problem, describe
from .fields import QueryField

LIST_OPERATORS = frozenset({"$hasSome", "$hasAll"})  # Stores operators that take an array of values
MAX_NESTING = 32  # $and/$or/$not levels in a filter, and levels inside a value sent unchanged
_INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson writes as a JSON integer
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def at_key(path: str, key: str) -> str:
    return path + key_step(key)


def at_index(path: str, n: int) -> str:
    return path + index_step(n)


def _is_text(value: str) -> bool:
    """False for a string holding a lone UTF-16 surrogate (JSON's "\\ud800"), which no UTF-8 text can carry."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate(value: str) -> str:
    return next(json.dumps(ch)[1:-1] for ch in value if "\ud800" <= ch <= "\udfff")


def lone_surrogates(value: Any, path: str) -> list[Problem]:
    """Every string or key that holds a lone surrogate, by path (without recursion: input may nest deeply)."""
    found: list[Problem] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str) and not _is_text(item):
            found.append(Problem(where, f"holds a lone surrogate ({_surrogate(item)}), which is not valid Unicode"))
        elif isinstance(item, dict):
            children: list[tuple[Any, str]] = []
            for key, child in item.items():
                at = at_key(where, key) if isinstance(key, str) else at_index(where, key)
                if isinstance(key, str) and not _is_text(key):
                    found.append(Problem(at, f"key holds a lone surrogate ({_surrogate(key)}), which is not valid Unicode"))
                children.append((child, at))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(child, at_index(where, n)) for n, child in enumerate(item)]))
    return found


class _Bad:
    """A value that could not be converted; its problem is already recorded."""


BAD = _Bad()


def plain(value: Any, path: str, problems: list[Problem], limit: int = MAX_NESTING) -> Any:
    """``value`` as it is sent: a Decimal (the strict reader's fractions) stays exact, written as it was read
    (``jsonio.dumps``); a number beyond what a double or a 64-bit integer holds, which the Search API cannot
    take, or nesting deeper than ``limit``, is a problem."""
    return _plain(value, path, problems, limit, limit)


def _plain(value: Any, path: str, problems: list[Problem], depth: int, limit: int) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite() or not math.isfinite(float(value)):
            problems.append(Problem(path, f"{number_text(value)} is too large for a JSON number"))
            return BAD
        return value
    if isinstance(value, int) and not isinstance(value, bool) and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        problems.append(Problem(path, f"{value} is outside the 64-bit integer range of a JSON number"))
        return BAD
    if isinstance(value, (dict, list)):
        if depth <= 0:
            problems.append(Problem(path, f"nested more than {limit} levels deep"))
            return BAD
        if isinstance(value, dict):
            out = {k: _plain(v, at_key(path, k), problems, depth - 1, limit) for k, v in value.items()}
            return BAD if any(v is BAD for v in out.values()) else out
        items = [_plain(v, at_index(path, n), problems, depth - 1, limit) for n, v in enumerate(value)]
        return BAD if any(v is BAD for v in items) else items
    return value


def field_values(qf: QueryField, op: str, value: Any, path: str, problems: list[Problem]) -> Any:
    """The value(s) of one Stores operator as the eCommerce field holds them (an array for $hasSome/$hasAll)."""
    if op not in LIST_OPERATORS:
        return field_value(qf, value, path, problems)
    out = [field_value(qf, v, at_index(path, n), problems) for n, v in enumerate(value)]
    return BAD if any(v is BAD for v in out) else out


def field_value(qf: QueryField, value: Any, path: str, problems: list[Problem]) -> Any:
    if value is None:
        return None
    if qf.value == "epoch_millis":
        return _date(value, path, problems)
    if qf.value == "to_string":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return value
        hint = " (only the ASCII digits 0-9)" if isinstance(value, str) and value.isdigit() else ""
        problems.append(Problem(path, f"expected an integer, got {describe(value)}{hint}"))
        return BAD
    check = _TYPES.get(qf.value_type or "")
    if check is not None and not check[0](value):
        problems.append(Problem(path, f"expected {check[1]}, got {describe(value)}"))
        return BAD
    return value


def _date(value: Any, path: str, problems: list[Problem]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            moment = _EPOCH + timedelta(milliseconds=value)
        except OverflowError:
            problems.append(Problem(path, f"{value} epoch milliseconds is outside the years 1-9999"))
            return BAD
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return value
    problems.append(Problem(path, f"expected a date as epoch milliseconds or an ISO-8601 date-time, got {describe(value)}"))
    return BAD
