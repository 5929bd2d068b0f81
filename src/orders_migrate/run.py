"""The commands behind the CLI: each takes plain arguments and returns an exit code (0, 1)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path as FsPath
from typing import IO

import orjson

from .convert import Conversion, convert_order
from .plan import default_plan
from .query import load_query, query_report_text, translate_query
from .reader import ReadError, Record, read_bytes, read_records
from .render import mappings_markdown, report_json, report_text
from .report import ConversionError, Report
from .webhooks import convert_webhook, detect_webhook, is_ecom_event, is_jwt

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


def _error(stream: IO[str], where: str, path: str, message: str) -> None:
    stream.write(f"{where}::{path}: {message}\n")


def run_convert(
    files: list[str],
    output: str | None = None,
    report: str = "text",
    report_out: str | None = None,
    fmt: str = "auto",
    locale: str = "en_US",
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
) -> int:
    """Convert every record of every input; keep going past bad records; exit 1 if any failed.

    Every converted order is validated against the eCommerce model (``invalid`` report entries); with
    ``strict`` a record whose input or output fails its schema is a failed record instead."""
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    conversions: list[Conversion] = []
    failed = 0
    for name in files:
        try:
            data = read_bytes(name)
        except OSError as exc:
            _error(err, name, "$", f"cannot read: {exc.strerror or exc}")
            failed += 1
            continue
        for rec in read_records(name, data, kind):
            if isinstance(rec, ReadError):
                _error(err, rec.where(), rec.problem.path, rec.problem.message)
                failed += 1
                continue
            try:
                conversions.append(_convert(rec, locale, strict, kind, public_key))
            except ConversionError as exc:
                failed += 1
                for p in exc.prefixed(rec.prefix).problems:
                    _error(err, rec.where(), p.path, p.message)
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
                failed += 1
                _error(err, rec.where(), rec.prefix, f"internal error, please report it: {type(exc).__name__}: {exc}")
    single = fmt == "json" or (fmt == "auto" and len(conversions) == 1 and failed == 0)
    body = _dump([c.order for c in conversions], single)
    if output:
        _atomic_write(FsPath(output), body)
    else:
        out_stream.write(body)
        out_stream.flush()
    reports = [c.report for c in conversions]
    if report_out:
        _atomic_write(FsPath(report_out), report_json(reports))
    if report == "json" and reports:
        err.write(report_json(reports).decode())
    elif report == "text" and reports:
        report_text(reports, err)
    if failed:
        err.write(f"{failed} record(s) failed, {len(conversions)} converted\n")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _convert(
    rec: Record, locale: str, strict: bool = False, kind: str | None = None, public_key: str | None = None
) -> Conversion:
    """One record: a webhook body (named by ``kind``, its JWT eventType or its shape) becomes its
    eCommerce event; anything else is converted as an order."""
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    payload = rec.payload
    if (
        kind not in (None, "order")
        or is_jwt(payload)
        or is_ecom_event(payload)
        or detect_webhook(payload, default_plan().webhooks)
    ):
        return convert_webhook(
            payload, kind=kind if kind != "order" else None, public_key=public_key, locale=locale, source=source
        )
    conversion = convert_order(payload, locale=locale, source=source, validate=True)
    if strict:
        from .models.validate import strict_problems

        problems = strict_problems(rec.payload, conversion.report)
        if problems:
            raise ConversionError(problems)
    return conversion


def _decimal(value: object) -> object:
    """Non-money numbers read as Decimal (Velo input) are written back as JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _dump(orders: list[dict[str, object]], single: bool) -> bytes:
    if single and len(orders) == 1:
        return orjson.dumps(orders[0], default=_decimal, option=orjson.OPT_INDENT_2) + b"\n"
    if single:
        return orjson.dumps(orders, default=_decimal, option=orjson.OPT_INDENT_2) + b"\n"
    return b"".join(orjson.dumps(o, default=_decimal) + b"\n" for o in orders)


def _atomic_write(path: FsPath, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def run_mappings(stream: IO[str] | None = None) -> int:
    (stream or sys.stdout).write(mappings_markdown(default_plan().table))
    return EXIT_OK


def run_schema(name: str, stream: IO[str] | None = None) -> int:
    """Print the JSON Schema of the Stores (input) or eCommerce (output) order model."""
    from .models.validate import MODELS, json_schema

    if name not in MODELS:
        sys.stderr.write(f"orders-migrate: unknown schema {name!r}: expected one of {', '.join(MODELS)}\n")
        return EXIT_USAGE
    text = orjson.dumps(json_schema(name), option=orjson.OPT_INDENT_2).decode()
    (stream or sys.stdout).write(text + "\n")
    return EXIT_OK


def run_check(files: list[str], fix: bool = False, locale: str = "en_US", stream: IO[str] | None = None) -> int:
    """Exit 1 when a file holds Stores orders or invalid eCommerce orders (or when ``fix`` rewrote one)."""
    from .check import check_file, iter_files, summary

    out = stream or sys.stdout
    results = []
    for name in iter_files(files):
        result = check_file(name, fix=fix, locale=locale)
        results.append(result)
        for finding in result.findings:
            out.write(f"{finding}\n")
        if result.fixed:
            out.write(f"{name}: fixed: {result.converted} Stores order(s) or webhook(s) converted\n")
    failed = any(r.findings or r.fixed for r in results)
    if failed:
        out.write(f"orders-migrate check: {summary(results)}\n")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_query(
    file: str,
    output: str | None = None,
    report: str = "text",
    strict: bool = False,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Translate one saved Stores Query Orders body into an eCommerce Search Orders body; report on stderr."""
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    source = "<stdin>" if file == "-" else file
    try:
        data = read_bytes(file)
    except OSError as exc:
        _error(err, source, "$", f"cannot read: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    try:
        translation = translate_query(load_query(data), source)
    except ConversionError as exc:
        for p in exc.problems:
            _error(err, source, p.path, p.message)
        return EXIT_BAD_INPUT
    body = orjson.dumps(translation.request, option=orjson.OPT_INDENT_2) + b"\n"
    if output:
        _atomic_write(FsPath(output), body)
    else:
        out_stream.write(body)
        out_stream.flush()
    if report == "json":
        err.write(orjson.dumps(translation.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif report == "text":
        query_report_text(translation, err)
    if strict and not translation.exact:
        err.write("orders-migrate query --strict: the translation is not exact (see the report)\n")
        return EXIT_BAD_INPUT
    return EXIT_OK


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_USAGE",
    "Report",
    "run_check",
    "run_convert",
    "run_mappings",
    "run_query",
    "run_schema",
]
