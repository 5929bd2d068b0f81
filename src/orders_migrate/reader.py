"""Read input files into records, each named by file, line and JSON path for error messages."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import IO, TYPE_CHECKING, Any

import orjson

from .jsonio import describe_error, loads
from .report import Entry, Problem, Report
from .route import JWT_RE, Route, document_records

if TYPE_CHECKING:
    from .engine import Plan

NDJSON_SUFFIXES = frozenset({".ndjson", ".jsonl"})


@dataclass(frozen=True, slots=True)
class Record:
    """One payload to convert, and where it came from."""

    source: str  # file name, or "<stdin>"
    line: int | None  # NDJSON line number
    prefix: str  # JSON path of the record inside its document, e.g. "$.orders[3]"
    payload: Any
    routed: Route | None = None  # what the reader found the record is (same kind and table), when it looked

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True, slots=True)
class ReadError:
    source: str
    line: int | None
    problem: Problem

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a document holds beside its records (a Query Orders response's paging): nothing to convert,
    but every leaf of the input ends in the output or the report, so its report says why not carried."""

    source: str
    line: int | None
    entries: tuple[Entry, ...]

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def report(self) -> Report:
        return Report("query_orders_response", source=self.where(), entries=list(self.entries))


Read = Record | ReadError | Envelope  # what a reader yields


def _document(source: str, line: int | None, doc: Any, kind: str | None, plan: Plan | None) -> Iterator[Read]:
    inside, envelope = document_records(doc, kind, plan)
    for prefix, payload, routed in inside:
        yield Record(source, line, prefix, payload, routed)
    if envelope:
        yield Envelope(source, line, tuple(envelope))


def read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return FsPath(name).read_bytes()


def read_input(name: str, source: str, err: IO[str]) -> bytes | int:
    """A one-file command's input as read, or its exit code after one line saying why not: a missing file
    is a usage error (2), one that cannot be read a bad input (1)."""
    if name != "-" and not os.path.exists(name):
        err.write(f"orders-migrate: {source}: no such file\n")
        return 2
    try:
        return read_bytes(name)
    except OSError as exc:
        err.write(f"{source}::$: cannot read: {exc.strerror or exc}\n")
        return 1


def looks_like_ndjson(data: bytes) -> bool:
    """Several JSON objects one per line, in a file that is not one JSON document: NDJSON even without the
    suffix. A document cut short (a pretty-printed file half copied) is not: its first line is no object."""
    if data.count(b"\n") < 2 or not data.lstrip().startswith(b"{"):
        return False
    try:
        orjson.loads(data.lstrip().split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return False
    return True


def read_records(
    name: str, data: bytes, kind: str | None = None, source: str | None = None, plan: Plan | None = None
) -> Iterator[Read]:
    """Every record of one input: a JSON document (order, Query Orders response, array, webhook body),
    NDJSON, or a stored webhook JWT. ``kind`` names the webhook when the body alone cannot tell;
    ``source`` is the name messages give the input (default: ``name``)."""
    if source is None:
        source = "<stdin>" if name == "-" else name
    if FsPath(name).suffix.lower() in NDJSON_SUFFIXES:
        yield from _ndjson(source, data, kind, plan)
        return
    stripped = data.strip()
    if not stripped:
        yield ReadError(source, None, Problem("$", "empty input: expected a JSON order"))
        return
    if JWT_RE.fullmatch(stripped.decode("ascii", "replace")):
        yield Record(source, None, "$", stripped.decode("ascii"))
        return
    try:
        doc = loads(data)
    except orjson.JSONDecodeError as exc:
        if looks_like_ndjson(data):
            yield from _ndjson(source, data, kind, plan)
            return
        yield ReadError(source, None, Problem("$", describe_error(exc, data)))
        return
    yield from _document(source, None, doc, kind, plan)


def _ndjson(source: str, data: bytes, kind: str | None, plan: Plan | None = None) -> Iterator[Read]:
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield from read_line(source, n, line, kind, plan)


def read_line(source: str, n: int, line: bytes, kind: str | None = None, plan: Plan | None = None) -> Iterator[Read]:
    """The records of line ``n`` of an NDJSON input (a streaming reader hands lines over one at a time)."""
    try:
        doc = loads(line)
    except orjson.JSONDecodeError as exc:
        yield ReadError(source, n, Problem("$", _line_error(exc, line)))
        return
    yield from _document(source, n, doc, kind, plan)


def _line_error(exc: orjson.JSONDecodeError, line: bytes) -> str:
    """The parse error of a line as the line's own text places it: without its newline, which would put a
    line cut short at "line 2 column 1" (as ``check`` does). Parsed again only for a line that failed."""
    text = line.rstrip(b"\r\n")
    if text != line:
        try:
            loads(text)
        except orjson.JSONDecodeError as within:
            exc = within
    return describe_error(exc, line)
