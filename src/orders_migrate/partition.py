"""One partition of records, converted as a batch run converts them: for any job runner (dask, Spark,
a queue worker). The records are NDJSON lines (bytes or text, read by the strict reader) or payloads
already parsed (dicts); each comes out as the line ``convert -o out.ndjson`` writes for it, or as the
rejects-file line and the error text a batch run writes for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from .batch.chunks import Options, convert_chunk, convert_record
from .engine import Plan
from .jsonio import dumps
from .money import DEFAULT_LOCALE
from .reader import Record
from .report import ConversionError, Problem, Validation
from .sources import LINE, Item, Position


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """One record's outcome. ``line`` counts the records of the partition from ``first_line``."""

    source: str
    line: int
    order: bytes | None  # the converted record as one compact JSON line (no newline), or None
    report: bytes | None = None  # its report as compact JSON, when asked for
    reject: bytes | None = None  # the rejects-file line, when the record failed and rejects were asked for
    errors: str = ""  # `source:line::$.path: message` lines, when it failed

    @property
    def ok(self) -> bool:
        return self.order is not None


def partition_options(
    *,
    locale: str = DEFAULT_LOCALE,
    validate: Validation = True,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
    plan: Plan | None = None,
    reports: bool = False,
    rejects: bool = False,
) -> Options:
    """The options of a conversion, as a batch run's workers take them (picklable: a custom plan travels as
    its table's text and is compiled once per process)."""
    return Options(
        locale=locale,
        strict=strict,
        kind=kind,
        public_key=public_key,
        reports=reports,
        rejects=rejects,
        validate=validate,
        plan=plan,
    )


def convert_partition(
    records: Iterable[bytes | str | dict[str, object]], options: Options, source: str = "<partition>", first_line: int = 1
) -> list[PartitionResult]:
    """Convert every record of one partition; a bad record is a failed result, never an exception."""
    out: list[PartitionResult] = []
    for n, record in enumerate(records, start=first_line):
        if isinstance(record, dict):
            out.append(_convert_payload(record, options, source, n))
            continue
        data = record.encode("utf-8") if isinstance(record, str) else record
        if not data.strip():  # a blank line: nothing to convert, as in an NDJSON file
            continue
        item = Item(LINE, 0, source, Position(0, 0, n + 1), line=n, data=data, size=len(data))
        for r in convert_chunk([item], options).results:
            out.append(PartitionResult(source, n, r.out, r.report, r.reject, r.errors))
    return out


def _convert_payload(payload: dict[str, object], options: Options, source: str, n: int) -> PartitionResult:
    rec = Record(source, n, "$", payload)
    try:
        conv = convert_record(
            rec, options.locale, options.strict, options.kind, options.public_key, options.validate, options.plan
        )
        line = dumps(conv.order)  # every number as it was read, as a batch run writes it
    except ConversionError as exc:
        return _failed(options, source, n, payload, exc.problems)
    except orjson.JSONEncodeError as exc:
        return _failed(options, source, n, payload, [Problem("$", f"cannot write the converted record as JSON: {exc}")])
    report = orjson.dumps(conv.report.to_dict()) if options.reports else None
    return PartitionResult(source, n, line, report)


def _failed(options: Options, source: str, n: int, payload: object, problems: list[Problem]) -> PartitionResult:
    errors = "".join(f"{source}:{n}::{p.path}: {p.message}\n" for p in problems)
    reject = None
    if options.rejects:
        doc = {"source": source, "line": n, "path": "$", "errors": [{"path": p.path, "message": p.message} for p in problems]}
        try:
            reject = dumps({**doc, "record": payload})
        except orjson.JSONEncodeError:
            reject = orjson.dumps({**doc, "record": None})
    return PartitionResult(source, n, None, None, reject, errors)
