"""``orders-migrate explain``: the ledger of one record's conversion, as text or JSON."""

from __future__ import annotations

import io
import os
import sys
from typing import IO

import orjson

from .engine import Plan
from .explain import explain_order
from .outfiles import display_name, write_out
from .reader import ReadError, Record, read_bytes, read_records
from .report import ConversionError
from .route import route

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_SIGPIPE = 0, 1, 2, 141


def run_explain(
    file: str,
    *,
    path: str | None = None,
    fmt: str = "text",
    record: int = 1,
    locale: str = "en_US",
    kind: str | None = None,
    plan: Plan | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Explain record ``record`` (from 1) of ``file`` (an order, or a webhook body: ``kind`` names one the
    body alone cannot tell): every output leaf with the row and inputs it came from, every non-empty input
    leaf with its fate; ``path`` narrows it to one field."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    source = "<stdin>" if file == "-" else display_name(file)
    if file != "-" and not os.path.exists(file):
        err.write(f"orders-migrate: {source}: no such file\n")
        return EXIT_USAGE
    try:
        data = read_bytes(file)
    except OSError as exc:
        err.write(f"{source}::$: cannot read: {exc.strerror or exc}\n")
        return EXIT_BAD_INPUT
    found = list(read_records(file, data, kind if kind != "order" else None, source=source, plan=plan))
    for item in found:
        if isinstance(item, ReadError):
            err.write(f"{item.where()}::{item.problem.path}: {item.problem.message}\n")
            return EXIT_BAD_INPUT
    records = [r for r in found if isinstance(r, Record)]
    if not 1 <= record <= len(records):
        err.write(f"orders-migrate: --record {record}: {source} holds {len(records)} record(s)\n")
        return EXIT_USAGE
    rec = records[record - 1]
    where = f"{rec.where()}::" + ("" if rec.prefix == "$" else rec.prefix)
    routed = route(rec.payload, plan, kind)
    if routed.kind == "jwt":
        err.write(f"{where}$: explain reads the body Wix signed, not the JWT: decode it first (convert does)\n")
        return EXIT_BAD_INPUT
    try:
        if routed.event:
            from .explain_webhooks import explain_webhook

            ledger = explain_webhook(rec.payload, plan=plan, locale=locale, kind=kind if kind != "order" else None)
        else:
            ledger = explain_order(rec.payload, plan=plan, locale=locale)
        ledger = ledger.rerooted(rec.prefix)
    except ConversionError as exc:
        for p in exc.prefixed(rec.prefix).problems:
            err.write(f"{rec.where()}::{p.path}: {p.message}\n")
        return EXIT_BAD_INPUT
    if path is not None:
        ledger = ledger.narrowed(path)
        if not ledger.outputs and not ledger.inputs:
            err.write(f"{rec.where()}::{path}: no input or output leaf at this path\n")
            return EXIT_BAD_INPUT
    if fmt == "json":
        body = orjson.dumps(ledger.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    else:
        text = io.StringIO()
        ledger.write_text(text)
        body = text.getvalue().encode("utf-8")
    return EXIT_OK if write_out(out, body, ours=stdout is None) else EXIT_SIGPIPE
