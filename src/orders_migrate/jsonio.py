"""Strict JSON reading, shared by every command: exact decimals, no duplicate keys, no NaN."""

from __future__ import annotations

import json
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


def loads(data: bytes) -> Any:
    """Parse JSON strictly: numbers with a fraction become Decimal (digit for digit, as Velo money
    needs), a repeated key or NaN is an error rather than a silent choice."""
    try:
        return json.loads(
            data.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique_keys
        )
    except UnicodeDecodeError as exc:
        raise JSONError(f"invalid UTF-8 at byte {exc.start}") from None
    except RecursionError:
        raise JSONError("nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise JSONError(str(exc)) from None
