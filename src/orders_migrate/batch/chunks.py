"""The worker side of a batch: chunks of input items, and each record of a chunk parsed, converted and
serialised to the bytes the parent writes. A bad record is a failed ``Result``, never an exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

import orjson

from ..convert import Conversion
from ..convert import convert_parsed_order as convert_order  # records arrive parsed: never a text to parse again
from ..engine import Plan
from ..jsonio import dumps, number_text
from ..money import DEFAULT_LOCALE
from ..order_filter import OrderFilter
from ..progress import Stats, report_plain
from ..reader import Envelope, ReadError, Record, read_line, read_records
from ..report import ConversionError, Problem, Validation
from ..route import route
from ..sources import END, LINE, Item
from ..webhooks import convert_parsed_webhook as convert_webhook  # as above
from ..webhooks import refuse_unsigned
from .crosswalk import DROP, Mark, identify


def convert_record(
    rec: Record,
    locale: str,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
    validate: Validation = True,
    plan: Plan | None = None,
    companions: bool = False,
) -> Conversion:
    """One record: a webhook body (named by ``kind``, its JWT eventType or its shape) becomes its
    eCommerce event; anything else is converted as an order (checked against the eCommerce model
    when ``validate`` or ``strict``), by ``plan`` (the shipped table's by default); an order with its
    ``companions``."""
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    payload = rec.payload
    refuse_unsigned(payload, public_key)
    routed = rec.routed or route(payload, plan, kind)
    if routed.event:
        # The body's webhook as the router recognised it, so the converter need not look again.
        named = routed.webhook.id if routed.webhook is not None else kind if kind != "order" else None
        return convert_webhook(payload, kind=named, public_key=public_key, locale=locale, source=source, plan=plan)
    conversion = convert_order(
        payload, locale=locale, source=source, validate="audit" if strict else validate, plan=plan, companions=companions
    )
    if strict:
        from ..models.validate import strict_problems

        problems = strict_problems(rec.payload, conversion.report)
        if problems:
            raise ConversionError(problems)
    return conversion


def write_decimal(value: object) -> object:
    """An orjson ``default``: numbers read as Decimal are written back as the JSON numbers they were read as."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(number_text(value))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def json_exact(value: object) -> bytes:
    """JSON for any value the reader can produce, where orjson refuses it: an integer beyond 64 bits, a
    lone surrogate from a ``\\ud800`` escape, nesting deeper than orjson allows. Decimals are written
    digit for digit. Iterative, so any depth the reader accepted can be written back."""
    out: list[str] = []
    stack: list[object] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Token):
            out.append(v.text)
        elif isinstance(v, dict):
            stack.append(_Token("}"))
            pairs = list(v.items())
            for i in range(len(pairs) - 1, -1, -1):
                stack.append(pairs[i][1])
                stack.append(_Token(("," if i else "") + json.dumps(str(pairs[i][0])) + ":"))
            out.append("{")
        elif isinstance(v, (list, tuple)):
            stack.append(_Token("]"))
            for i in range(len(v) - 1, -1, -1):
                stack.append(v[i])
                if i:
                    stack.append(_Token(","))
            out.append("[")
        elif v is None or isinstance(v, bool):
            out.append(json.dumps(v))
        elif isinstance(v, int):
            out.append(str(int(v)))
        elif isinstance(v, Decimal):
            out.append(str(v))
        elif isinstance(v, float):
            out.append(json.dumps(v))
        else:
            out.append(json.dumps(str(v)))
    return "".join(out).encode()


@dataclass(frozen=True, slots=True)
class Options:
    """What a worker needs to know, besides the items."""

    locale: str = DEFAULT_LOCALE
    strict: bool = False
    kind: str | None = None
    public_key: str | None = None
    reports: bool = False  # each order's report as compact JSON
    text: bool = False  # each order's report as plain text
    rejects: bool = False  # a rejects-file line for each failed record
    validate: Validation = True  # check each converted order against the eCommerce model
    plan: Plan | None = None  # a user's own table (pickled as its text); None: the shipped one
    failures: bool = False  # each failed record as a JSON object (for --report json)
    order_filter: OrderFilter | None = None  # --filter: a Stores order it does not match is left out
    companions: bool = False  # an order is written as {"order", "orderWithFulfillments", "orderTransactions"}
    identities: bool = False  # each converted order's id and content digest, for the --state journal


@dataclass(slots=True)
class Result:
    """One record's outcome, or (``end``) the end of input number ``input``."""

    input: int
    out: bytes | None = None
    report: bytes | None = None
    text: str = ""
    errors: str = ""
    reject: bytes | None = None
    failure: bytes | None = None  # the errors as one JSON object (--report json)
    end: bool = False
    left_out: bool = False  # a Stores order --filter did not match, or one the crosswalk left out
    envelope: bool = False  # no record: the report of what its document holds beside them (reader.Envelope)
    notice: tuple[str, int | None, str, str] | None = None  # the crosswalk's word on it: source, line, path, message
    identity: tuple[str, str, str | None] | None = None  # a converted order's id, content digest and number (Options.identities)


@dataclass(slots=True)
class ChunkResult:
    results: list[Result] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)


def convert_chunk(items: list[Item], opts: Options) -> ChunkResult:
    """Parse, convert and serialise every record of ``items``; a bad record is a failed ``Result``, never
    an exception, so one bad order cannot stop a batch."""
    chunk = ChunkResult()
    for item in items:
        if item.kind == END:
            chunk.results.append(Result(item.input, end=True))
            continue
        if item.error is not None:
            _fail(chunk, opts, item, item.source, None, "$", None, [Problem("$", item.error)])
            continue
        if item.kind == LINE:
            assert item.data is not None and item.line is not None
            records = read_line(item.source, item.line, item.data, opts.kind, opts.plan)
        else:
            try:
                data = item.data if item.data is not None else FsPath(item.path or "").read_bytes()
            except OSError as exc:
                _fail(chunk, opts, item, item.source, None, "$", None, [Problem("$", f"cannot read: {exc.strerror or exc}")])
                continue
            records = read_records(item.path if item.path is not None else "-", data, opts.kind, item.source, opts.plan)
        try:
            for rec in records:
                if isinstance(rec, ReadError):
                    _fail(chunk, opts, item, rec.where(), rec.line, "$", None, [rec.problem])
                elif isinstance(rec, Envelope):
                    _envelope(chunk, opts, item, rec)
                else:
                    _convert_one(chunk, opts, item, rec)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the batch or show a traceback
            where = f"{item.source}:{item.line}" if item.line is not None else item.source
            problem = Problem("$", f"internal error, please report it: {type(exc).__name__}: {exc}")
            _fail(chunk, opts, item, where, item.line, "$", None, [problem])
    return chunk


def _envelope(chunk: ChunkResult, opts: Options, item: Item, envelope: Envelope) -> None:
    """A report of its own for what a document holds beside its records: no record, nothing written but it."""
    report = envelope.report()
    chunk.stats.count_report(report)
    result = Result(item.input, envelope=True)
    if opts.reports:
        result.report = orjson.dumps(report.to_dict())
    if opts.text:
        result.text = report_plain(report)
    chunk.results.append(result)


def _convert_one(chunk: ChunkResult, opts: Options, item: Item, rec: Record) -> None:
    mark: Mark | None = item.marks.get(rec.prefix) if item.marks else None
    notice = (item.source, rec.line, rec.prefix, mark.message) if mark is not None and mark.message else None
    if mark is not None and mark.action == DROP:
        chunk.stats.records += 1
        chunk.stats.count_crosswalk(mark.reason)
        chunk.results.append(Result(item.input, left_out=True, notice=notice))
        return
    if opts.order_filter is not None and _left_out(opts, rec):
        chunk.stats.records += 1
        chunk.stats.filtered += 1
        chunk.results.append(Result(item.input, left_out=True))
        return
    # Taken before converting, from the record as read: the digest the first pass took of it.
    identity = identify(rec.payload, opts.plan, opts.kind) if opts.identities else None
    try:
        conv = convert_record(
            rec, opts.locale, opts.strict, opts.kind, opts.public_key, opts.validate, opts.plan, opts.companions
        )
        # Only an order is written with its companions (a converted one, or one that came with them, as
        # --companions wrote it): an event already holds what it carries, and a bare eCommerce order
        # passes through as it came.
        written = (
            {"order": conv.order, **conv.companions}
            if opts.companions and (conv.report.payload_kind == "stores_order" or conv.companions)
            else conv.order
        )
        out = dumps(written, option=orjson.OPT_INDENT_2 if item.pretty else 0)  # every number as it was read
    except ConversionError as exc:
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, exc.prefixed(rec.prefix).problems)
        return
    except orjson.JSONEncodeError as exc:
        problem = Problem(rec.prefix, f"cannot write the converted record as JSON: {exc}")
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, [problem])
        return
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
        problem = Problem(rec.prefix, f"internal error, please report it: {type(exc).__name__}: {exc}")
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, [problem])
        return
    result = Result(
        item.input, out=out, identity=(identity.id, identity.digest, identity.number) if identity is not None else None
    )
    if notice is not None:
        result.notice = notice
        chunk.stats.count_crosswalk(mark.reason if mark is not None else "")
    if opts.reports:
        result.report = orjson.dumps(conv.report.to_dict())
    if opts.text:
        result.text = report_plain(conv.report)
    chunk.stats.records += 1
    chunk.stats.converted += 1
    chunk.stats.count_report(conv.report)
    chunk.results.append(result)


def _left_out(opts: Options, rec: Record) -> bool:
    # The filter speaks of Stores orders: an eCommerce order, a webhook body or a bad record passes to the
    # converter, which says what it is.
    assert opts.order_filter is not None
    payload = rec.payload
    if not isinstance(payload, dict) or route(payload, opts.plan, opts.kind).kind != "stores_order":
        return False
    try:
        return not opts.order_filter.matches(payload, opts.plan)
    except Exception:  # noqa: BLE001 - an order the filter cannot read is converted, and reports its own problem
        return False


def _fail(
    chunk: ChunkResult,
    opts: Options,
    item: Item,
    where: str,
    line: int | None,
    prefix: str,
    rec: Record | None,
    problems: list[Problem],
) -> None:
    result = Result(item.input, errors="".join(f"{where}::{p.path}: {p.message}\n" for p in problems))
    if opts.rejects:
        result.reject = _reject_line(item, line, prefix, rec, problems)
    if opts.failures:
        result.failure = failure_json(item.source, line, prefix, problems)
    chunk.stats.records += 1
    chunk.stats.failed += 1
    chunk.results.append(result)


def failure_json(source: str, line: int | None, path: str, problems: list[Problem]) -> bytes:
    """A failed record as one object of a ``--report json`` document: where it is and every problem (paths
    in the input document). ``requests --report json`` writes its failures with it too."""
    doc = {
        "source": source,
        "line": line,
        "path": path,
        "errors": [{"path": p.path, "message": p.message} for p in problems],
    }
    try:
        return orjson.dumps(doc)
    except TypeError:  # a lone surrogate quoted in a message
        return json_exact(doc)


def _reject_line(item: Item, line: int | None, prefix: str, rec: Record | None, problems: list[Problem]) -> bytes:
    """The rejects-file line: where the record was, every problem with its ``$.path``, and the record as it
    was read (an NDJSON line that is not JSON is kept as ``raw`` text)."""
    doc: dict[str, Any] = {
        "source": item.source,
        "line": line,
        "path": prefix,
        "errors": [{"path": p.path, "message": p.message} for p in problems],
    }
    fragment = getattr(orjson, "Fragment", None)
    if rec is None:
        if item.kind == LINE and item.data is not None:
            doc["raw"] = item.data.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
        else:
            doc["record"] = None
    elif item.kind == LINE and prefix == "$" and item.data is not None and fragment is not None:
        doc["record"] = fragment(item.data.strip())  # the line as it was, byte for byte
    else:
        doc["record"] = rec.payload
    try:
        return dumps(doc)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, nesting deeper than orjson writes
        if rec is not None:
            doc["record"] = rec.payload
        return json_exact(doc)


def chunked(items: Iterator[Item], max_records: int, max_bytes: int) -> Iterator[list[Item]]:
    """Items in chunks of at most ``max_records`` records or about ``max_bytes`` bytes. An ``END`` item joins
    the chunk before it, so a checkpoint never falls between a document and the end of its input."""
    chunk: list[Item] = []
    records = size = 0
    for item in items:
        if item.kind != END and chunk and (records >= max_records or size >= max_bytes):
            yield chunk
            chunk, records, size = [], 0, 0
        chunk.append(item)
        if item.kind != END:
            records += 1
            size += item.size
    if chunk:
        yield chunk
