"""``orders-migrate import-plan``: every record of every input planned, in input order, into the plan (one
request a line, then the order number counter); each order that cannot be imported reported with its
problems and written to the rejects; the same order twice planned once. The files are written whole.
"""

from __future__ import annotations

import sys
from typing import IO, Any

import orjson

from ..batch.chunks import write_decimal
from ..engine import Plan
from ..money import DEFAULT_LOCALE
from ..outfiles import UsageError, WriteError, display_name, refuse_overwrites, write_atomically, write_out
from ..reader import Envelope, ReadError, Record, read_bytes, read_records
from ..report import ConversionError, Problem, under
from ..sources import Input, expand_inputs, not_there
from .payments import ADD_PAYMENTS
from .requests import CREATE_FULFILLMENT, MAX_ORDER_NUMBER_COUNTER, Rejected, counter_request, plan_record

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_SIGPIPE = 0, 1, 2, 141


def _dumps(doc: Any) -> bytes:
    return orjson.dumps(doc, default=write_decimal)


def _reject_line(rec: Record | ReadError, problems: list[Problem], stores_id: str | None) -> bytes:
    doc: dict[str, Any] = {"source": rec.source, "line": rec.line}
    if isinstance(rec, Record):
        doc["path"] = rec.prefix
        if stores_id is not None:
            doc["storesOrderId"] = stores_id
    doc["errors"] = [{"path": p.path, "message": p.message} for p in problems]
    if isinstance(rec, Record):
        doc["record"] = rec.payload
    try:
        return _dumps(doc)
    except (orjson.JSONEncodeError, TypeError):
        doc["record"] = None  # e.g. an integer beyond 64 bits: the errors still say where the record is
        return _dumps(doc)


def _in_body(path: str) -> bool:
    """A path in the Import Order body (``$.order...``), not in the record (``$.orderTransactions...``)."""
    return path == "$.order" or path.startswith(("$.order.", "$.order["))


def _stores_id(rec: Record) -> str | None:
    payload = rec.payload
    if isinstance(payload, dict) and isinstance(payload.get("order"), dict):
        payload = payload["order"]  # a record `convert --companions` wrote: the order keeps its Stores id
    if isinstance(payload, dict):
        for key in ("id", "_id"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    return None


def _refuse_usage(inputs: list[Input], output: str, rejects: str | None, report_out: str | None) -> None:
    """What ``convert`` refuses before anything is written (exit 2): an input that is not there, and an
    output that is an input or another output (``-o order.json`` replaced the stored order with its plan)."""
    for inp in inputs:
        missing = not_there(inp)
        if missing is not None:
            raise UsageError(missing)
    named = [("-o", output), ("--rejects", rejects), ("--report-out", report_out)]
    refuse_overwrites([i.name for i in inputs], [(f"{flag} {display_name(path)}", path) for flag, path in named if path])


def run_import_plan(
    files: list[str],
    output: str,
    rejects: str | None = None,
    report_out: str | None = None,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Plan every order of every input into ``output``; a bad order is reported (and written to
    ``rejects``) and the rest are planned; exit 1 if any was rejected."""
    err = stderr if stderr is not None else sys.stderr
    lines: list[bytes] = []
    reject_lines: list[bytes] = []
    report_lines: list[bytes] = []
    seen: dict[str, str] = {}
    highest: int | None = None
    orders = requests = fulfillments = payments = refunds = 0
    failed = 0

    def reject(rec: Record | ReadError, problems: list[Problem], stores_id: str | None, in_record: bool = False) -> None:
        nonlocal failed
        failed += 1
        where = rec.where()
        prefix = rec.prefix if isinstance(rec, Record) else "$"
        for p in problems:
            if prefix == "$":
                err.write(f"{where}::{p.path}: {p.message}\n")
            elif not in_record and _in_body(p.path):  # a path in the request body: the record is named first
                err.write(f"{where}::{prefix}: {p.path}: {p.message}\n")
            else:
                in_file = p.rerooted(under(prefix))
                err.write(f"{where}::{in_file.path}: {in_file.message}\n")
        reject_lines.append(_reject_line(rec, problems, stores_id) + b"\n")

    inputs = expand_inputs(files, exclude=None)
    try:
        _refuse_usage(inputs, output, rejects, report_out)
    except UsageError as exc:
        err.write(f"orders-migrate: {exc}\n")
        return EXIT_USAGE
    for inp in inputs:
        try:
            data = read_bytes(inp.name)
        except OSError as exc:
            failed += 1
            err.write(f"{inp.source}::$: cannot read: {exc.strerror or exc}\n")
            continue
        for rec in read_records(inp.name, data):
            if isinstance(rec, ReadError):
                reject(rec, [rec.problem], None)
                continue
            if isinstance(rec, Envelope):  # no order: what the document holds beside them, and why not carried
                if report_out is not None:
                    report_lines.append(_dumps({"report": rec.report().to_dict()}) + b"\n")
                continue
            stores_id = _stores_id(rec)
            try:
                planned = plan_record(rec, plan, locale)
            except Rejected as exc:
                reject(rec, exc.problems, stores_id, exc.in_record)
                continue
            except ConversionError as exc:
                reject(rec, exc.problems, stores_id)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
                reject(rec, [Problem("$", f"internal error, please report it: {type(exc).__name__}: {exc}")], stores_id)
                continue
            key = planned.conversion.report.order_id
            if key is not None and key in seen:
                message = f"the same order as {seen[key]}, planned once: a second import would make a second order"
                reject(rec, [Problem(f"{planned.order_at}.id", message)], stores_id, in_record=True)
                continue
            if key is not None:
                seen[key] = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
            orders += 1
            for request in planned.requests:
                lines.append(_dumps(request) + b"\n")
                requests += 1
                if request["path"] == CREATE_FULFILLMENT[1]:
                    fulfillments += 1
                elif request["path"] == ADD_PAYMENTS[1]:
                    payments += 1
            refunds += planned.refunds
            if planned.number is not None:
                highest = planned.number if highest is None else max(highest, planned.number)
            if report_out is not None:
                report = planned.conversion.report.to_dict()
                report["entries"].extend(e.to_dict() for e in planned.entries)
                report_lines.append(_dumps({"ref": planned.ref, "report": report}) + b"\n")
    if highest is not None and highest < MAX_ORDER_NUMBER_COUNTER:
        lines.append(_dumps(counter_request(highest)) + b"\n")
        requests += 1
    elif highest is not None:
        err.write(
            f"orders-migrate import-plan: the highest order number {highest} leaves no counter to set (at most {MAX_ORDER_NUMBER_COUNTER})\n"
        )
    for name, chunks in ((output, lines), (rejects, reject_lines), (report_out, report_lines)):
        if name is None:
            continue
        try:
            if name == "-" and chunks is lines:  # -o - is stdout, as for convert
                if not write_out(sys.stdout.buffer, b"".join(chunks), ours=True):
                    return EXIT_SIGPIPE  # its reader stopped (| head): quietly, as other Unix tools do
            else:
                write_atomically(name, b"".join(chunks))
        except OSError as exc:
            err.write(f"orders-migrate import-plan: cannot write <stdout>: {exc.strerror or exc}\n")
            return EXIT_BAD_INPUT
        except WriteError as exc:
            err.write(f"orders-migrate import-plan: cannot write {exc}\n")
            return EXIT_BAD_INPUT
    err.write(
        f"orders-migrate import-plan: {orders} order(s) planned in {requests} request(s) "
        f"({orders} import(s), {payments} add-payment(s), {fulfillments} fulfillment(s), "
        f"{requests - orders - payments - fulfillments} other); {failed} rejected\n"
    )
    if refunds:
        err.write(
            f"orders-migrate import-plan: {refunds} stored refund(s) not planned: Order Transactions publishes no "
            "method that adds a refund (each is in the report; the imported orders' balanceSummary keeps the refunded totals)\n"
        )
    return EXIT_BAD_INPUT if failed else EXIT_OK
