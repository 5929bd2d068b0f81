"""Read input files into records, each named by file, line and JSON path for error messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

import orjson

from .convert import records
from .report import Problem

NDJSON_SUFFIXES = frozenset({".ndjson", ".jsonl"})


@dataclass(frozen=True, slots=True)
class Record:
    """One payload to convert, and where it came from."""

    source: str  # file name, or "<stdin>"
    line: int | None  # NDJSON line number
    prefix: str  # JSON path of the record inside its document, e.g. "$.orders[3]"
    payload: Any

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True, slots=True)
class ReadError:
    source: str
    line: int | None
    problem: Problem

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


def _decode_error(exc: orjson.JSONDecodeError, data: bytes) -> str:
    msg = str(exc)
    if data.startswith(b"\xef\xbb\xbf"):
        return "not valid JSON: the file starts with a UTF-8 byte order mark"
    return f"not valid JSON: {msg}"


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


def read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return FsPath(name).read_bytes()


def read_records(name: str, data: bytes) -> Iterator[Record | ReadError]:
    """Every record of one input: a JSON document (order, Query Orders response, array) or NDJSON."""
    source = "<stdin>" if name == "-" else name
    if FsPath(name).suffix.lower() in NDJSON_SUFFIXES:
        yield from _ndjson(source, data)
        return
    if not data.strip():
        yield ReadError(source, None, Problem("$", "empty input: expected a JSON order"))
        return
    try:
        doc = loads(data)
    except orjson.JSONDecodeError as exc:
        # Several JSON documents one per line are NDJSON even without the suffix.
        if data.count(b"\n") > 1 and data.lstrip().startswith(b"{"):
            first_line = data.lstrip().split(b"\n", 1)[0]
            try:
                orjson.loads(first_line)
            except orjson.JSONDecodeError:
                pass
            else:
                yield from _ndjson(source, data)
                return
        yield ReadError(source, None, Problem("$", _decode_error(exc, data)))
        return
    for prefix, payload in records(doc):
        yield Record(source, None, prefix, payload)


def _ndjson(source: str, data: bytes) -> Iterator[Record | ReadError]:
    for n, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            doc = loads(line)
        except orjson.JSONDecodeError as exc:
            yield ReadError(source, n, Problem("$", _decode_error(exc, line)))
            continue
        for prefix, payload in records(doc):
            yield Record(source, n, prefix, payload)
