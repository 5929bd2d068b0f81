"""The commands behind the CLI: each takes plain arguments and returns an exit code (0, 1)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path as FsPath
from typing import IO

import orjson

from .convert import Conversion, convert_order
from .plan import default_plan
from .reader import ReadError, Record, read_bytes, read_records
from .render import mappings_markdown, report_json, report_text
from .report import ConversionError, Report

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
) -> int:
    """Convert every record of every input; keep going past bad records; exit 1 if any failed."""
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    plan = default_plan()
    conversions: list[Conversion] = []
    failed = 0
    for name in files:
        try:
            data = read_bytes(name)
        except OSError as exc:
            _error(err, name, "$", f"cannot read: {exc.strerror or exc}")
            failed += 1
            continue
        for rec in read_records(name, data):
            if isinstance(rec, ReadError):
                _error(err, rec.where(), rec.problem.path, rec.problem.message)
                failed += 1
                continue
            try:
                conversions.append(_convert(rec, plan, locale))
            except ConversionError as exc:
                failed += 1
                for p in exc.prefixed(rec.prefix).problems:
                    _error(err, rec.where(), p.path, p.message)
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


def _convert(rec: Record, plan: object, locale: str) -> Conversion:
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    return convert_order(rec.payload, locale=locale, source=source)


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


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_USAGE", "Report", "run_convert", "run_mappings"]
