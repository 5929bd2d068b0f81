"""``orders-migrate requests FILE``: every stored Stores request of a file translated, in order, into the
eCommerce requests of its route (NDJSON, one ``{"ref", "method", "path", "body"}`` a line, as a plan
holds them), with a report per request; a request that cannot be translated (no route, a bad body) is
named with its place in the file and the rest go on (exit 1).
"""

from __future__ import annotations

import sys
from typing import IO, Any

import orjson

from ..batch.chunks import write_decimal
from ..engine import Plan, default_plan
from ..money import DEFAULT_LOCALE
from ..outfiles import WriteError, display_name, write_atomically
from ..reader import read_input
from ..render import report_json, report_text
from ..report import ConversionError, Entry, Problem, Report
from .convert import OPS, Call
from .records import BadRecord, StoredRequest, read_requests
from .routes import Route, compile_routes, find_route, request_path

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
PAYLOAD_KIND = "stores_request"


def _ref(stored: StoredRequest, order_id: str | None, request: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"source": stored.source}
    if stored.line is not None:
        ref["line"] = stored.line
    ref["record"] = stored.prefix
    if order_id is not None:
        ref["storesOrderId"] = order_id
    ref["request"] = request
    return ref


def translate(stored: StoredRequest, routes: tuple[Route, ...], plan: Plan, locale: str) -> tuple[list[dict[str, Any]], Report]:
    """One stored request's eCommerce requests and its report. Raises ``ConversionError`` with paths in
    the record (``$.body...``, ``$.path``)."""
    path, query = request_path(stored.target)
    found = find_route(routes, stored.method, path)
    if found is None:
        known = "; ".join(f"{r.stores.method} {r.stores.path}" for r in routes)
        raise ConversionError(
            [Problem("$.path", f"no route for {stored.method} {path} in the table's requests section (it has: {known})")]
        )
    route, params = found
    built = OPS[route.op](Call(stored.body, params, plan, locale, stored.name()))
    out = []
    for k, (index, body) in enumerate(built.requests):
        endpoint = route.ecom[index]
        out.append(
            {
                "ref": _ref(stored, built.order_id, f"{route.id}[{k}]"),
                "method": endpoint.method,
                "path": endpoint.fill(params),
                "body": body,
            }
        )
    report = Report(PAYLOAD_KIND, built.order_id, stored.name(), built.entries)
    if query:
        report.entries.append(
            Entry("dropped", "$.path", f"the query string {query!r} is not part of the route; left out", "requests")
        )
    return out, report


def run_requests(
    file: str,
    output: str | None = None,
    report: str = "text",
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    plan = plan or default_plan()
    source = "<stdin>" if file == "-" else display_name(file)
    data = read_input(file, source, err)
    if isinstance(data, int):
        return data
    routes = compile_routes(plan.table, frozenset(OPS))
    lines: list[bytes] = []
    reports: list[Report] = []
    failed = translated = 0
    for stored in read_requests(file, data, source):
        if isinstance(stored, BadRecord):
            failed += 1
            err.write(f"{stored.where()}::{stored.problem.path}: {stored.problem.message}\n")
            continue
        try:
            requests, rep = translate(stored, routes, plan, locale)
        except ConversionError as exc:
            failed += 1
            for p in exc.problems:
                where = stored.path_of(p.path) if p.path.startswith("$.body") else stored.prefix + p.path[1:]
                err.write(f"{stored.where()}::{where}: {p.message}\n")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
            failed += 1
            err.write(f"{stored.where()}::{stored.prefix}: internal error, please report it: {type(exc).__name__}: {exc}\n")
            continue
        translated += 1
        reports.append(rep)
        lines.extend(orjson.dumps(r, default=write_decimal) + b"\n" for r in requests)
    body = b"".join(lines)
    try:
        if output and output != "-":
            write_atomically(output, body)
        else:
            out_stream.write(body)
            out_stream.flush()
    except WriteError as exc:
        err.write(f"orders-migrate requests: cannot write {exc}\n")
        return EXIT_BAD_INPUT
    if report == "json" and reports:
        err.write(report_json(reports).decode())
    elif report == "text":
        report_text(reports, err)
    err.write(
        f"orders-migrate requests: {translated} stored request(s) translated into {len(lines)} eCommerce request(s); {failed} rejected\n"
    )
    return EXIT_BAD_INPUT if failed else EXIT_OK
