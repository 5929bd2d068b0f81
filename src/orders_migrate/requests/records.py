"""Stored Stores requests as they are kept: NDJSON or a JSON array of ``{"method", "path", "body"}``
(``url`` for ``path`` too), one such object, or a HAR file, whose ``log.entries[].request`` holds the
method, the URL and the body as text (``postData.text``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import orjson

from ..jsonio import describe_error, loads
from ..paths import is_empty
from ..reader import NDJSON_SUFFIXES, looks_like_ndjson
from ..report import Problem, describe


@dataclass(frozen=True, slots=True)
class StoredRequest:
    source: str
    line: int | None  # NDJSON line number
    prefix: str  # where the record is in its document: "$", "$[3]", "$.log.entries[3].request"
    method: str
    target: str  # the path, or the whole URL a HAR file holds
    body: Any  # None when the request has none
    in_text: bool  # the body was JSON text inside the record (HAR postData.text)
    # The record's non-empty keys besides method, path (or url) and body, as (key, value): a stored record
    # may keep more than the request (headers, a send time), which the report names rather than loses.
    # A HAR entry's other parts (headers, cookies, the response) are its format's, not named.
    extra: tuple[tuple[str, Any], ...] = ()

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def path_of(self, body_path: str) -> str:
        """A path in the body (``$.body.order.x``) as a path in the user's file."""
        if self.in_text:
            inner = "$" + body_path.removeprefix("$.body")
            return f"{self.prefix}.postData.text: {inner}"
        return self.prefix + body_path[1:]

    def said_of(self, body_path: str) -> str:
        """A place a problem's message names, as read beside the problem's own path: in a body held as
        JSON text, its path in that text (the problem's path already says which text)."""
        return "$" + body_path.removeprefix("$.body") if self.in_text else self.path_of(body_path)

    def name(self) -> str:
        """The record as messages and reports name it."""
        return self.where() if self.prefix == "$" else f"{self.where()}::{self.prefix}"


@dataclass(frozen=True, slots=True)
class BadRecord:
    source: str
    line: int | None
    problem: Problem
    prefix: str = "$"  # the record the problem is in, as StoredRequest.prefix

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


def _parse(data: bytes | str, where: str) -> tuple[Any, Problem | None]:
    try:
        return loads(data), None
    except orjson.JSONDecodeError as exc:
        return None, Problem(where, describe_error(exc, data))


def _stored(source: str, line: int | None, prefix: str, raw: Any) -> StoredRequest | BadRecord:
    if not isinstance(raw, dict):
        return BadRecord(
            source, line, Problem(prefix, f'expected a stored request {{"method", "path", "body"}}, got {describe(raw)}'), prefix
        )
    method = raw.get("method")
    if not isinstance(method, str) or not method:
        return BadRecord(source, line, Problem(f"{prefix}.method", f"expected the HTTP method, {_got(raw, 'method')}"), prefix)
    key = "path" if "path" in raw else "url"
    target = raw.get(key)
    if not isinstance(target, str) or not target:
        return BadRecord(source, line, Problem(f"{prefix}.path", f"expected the request's path, {_got(raw, key)}"), prefix)
    extra = tuple((k, v) for k, v in raw.items() if k not in ("method", key, "body") and not is_empty(v))
    return StoredRequest(source, line, prefix, method.upper(), target, raw.get("body"), False, extra)


def _got(raw: dict[str, Any], key: str) -> str:
    """What a stored request holds where it should hold ``key``: absent is not null."""
    return f"got {describe(raw[key])}" if key in raw else "but the record has none"


def _har(source: str, n: int, entry: Any) -> StoredRequest | BadRecord:
    prefix = f"$.log.entries[{n}].request"
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict):
        return BadRecord(source, None, Problem(prefix, f"expected the entry's request, got {describe(request)}"), prefix)
    stored = _stored(source, None, prefix, {"method": request.get("method"), "url": request.get("url")})
    if isinstance(stored, BadRecord):
        return stored
    post = request.get("postData")
    text = post.get("text") if isinstance(post, dict) else None
    if text is None or text == "":
        return StoredRequest(source, None, prefix, stored.method, stored.target, None, True)
    if not isinstance(text, str):
        return BadRecord(
            source, None, Problem(f"{prefix}.postData.text", f"expected the body as text, got {describe(text)}"), prefix
        )
    body, problem = _parse(text, f"{prefix}.postData.text")
    if problem is not None:
        return BadRecord(source, None, problem, prefix)
    return StoredRequest(source, None, prefix, stored.method, stored.target, body, True)


def _lines(source: str, data: bytes) -> Iterator[StoredRequest | BadRecord]:
    for n, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        doc, problem = _parse(line, "$")
        yield BadRecord(source, n, problem) if problem is not None else _stored(source, n, "$", doc)


def read_requests(name: str, data: bytes, source: str) -> Iterator[StoredRequest | BadRecord]:
    """Every stored request of one input, in order; a bad record is a ``BadRecord`` naming where it is."""
    if FsPath(name).suffix.lower() in NDJSON_SUFFIXES:
        yield from _lines(source, data)
        return
    if not data.strip():
        yield BadRecord(source, None, Problem("$", "empty input: expected stored Stores requests"))
        return
    doc, problem = _parse(data, "$")
    if problem is not None:
        if looks_like_ndjson(data):  # judged as every other command judges a file
            yield from _lines(source, data)
        else:
            yield BadRecord(source, None, problem)
        return
    if isinstance(doc, list):
        for n, item in enumerate(doc):
            yield _stored(source, None, f"$[{n}]", item)
    elif isinstance(doc, dict) and isinstance(doc.get("log"), dict):
        entries = doc["log"].get("entries")
        if not isinstance(entries, list):
            yield BadRecord(source, None, Problem("$.log.entries", f"expected a HAR file's entries, got {describe(entries)}"))
            return
        for n, entry in enumerate(entries):
            yield _har(source, n, entry)
    else:
        yield _stored(source, None, "$", doc)
