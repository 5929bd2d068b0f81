"""``orders-migrate requests FILE``: every stored Stores request of a file translated, in order, into the
eCommerce requests of its route (NDJSON, one ``{"ref", "method", "path", "body"}`` a line, as a plan
holds them), with a report per request; a request that cannot be translated (no route, a bad body) is
named with its place in the file and the rest go on (exit 1).
"""

from __future__ import annotations

import functools
import sys
from typing import IO, Any

import orjson

from ..batch.chunks import failure_json, write_decimal
from ..engine import Plan, default_plan
from ..money import DEFAULT_LOCALE
from ..outfiles import UsageError, WriteError, display_name, refuse_overwrites, write_atomically
from ..paths import key_step
from ..reader import read_input
from ..render import report_text
from ..report import ConversionError, Entry, Problem, Report, describe
from ..sinks import JSON, StreamSink, pretty
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
    for key, value in stored.extra:
        report.entries.append(
            Entry(
                "dropped",
                "$" + key_step(key),  # in the record, as $.path and $.body... are
                f"not part of a stored request {{method, path, body}} ({describe(value)}); left out",
                "requests",
            )
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
    if output and output != "-":
        try:  # before anything is written: -o on the input replaced the stored requests with their translation
            refuse_overwrites([file], [(f"-o {display_name(output)}", output)])
        except UsageError as exc:
            err.write(f"orders-migrate: {exc}\n")
            return EXIT_USAGE
    routes = compile_routes(plan.table, frozenset(OPS))

    def to_stderr(text: bytes) -> None:
        err.write(text.decode())

    # --report json: every report and failed record in input order as one JSON document, as convert writes it.
    document = StreamSink(to_stderr, JSON) if report == "json" else None
    lines: list[bytes] = []
    reports: list[Report] = []
    failed = translated = 0

    def fail(record: StoredRequest | BadRecord, problems: list[Problem]) -> None:
        nonlocal failed
        failed += 1
        if document is not None:
            document.add(pretty(failure_json(record.source, record.line, record.prefix, problems)).rstrip(b"\n"))
        else:
            err.writelines(f"{record.where()}::{p.path}: {p.message}\n" for p in problems)

    for stored in read_requests(file, data, source):
        if isinstance(stored, BadRecord):
            fail(stored, [stored.problem])
            continue
        try:
            requests, rep = translate(stored, routes, plan, locale)
        except ConversionError as exc:
            fail(stored, exc.rerooted(functools.partial(_in_file, stored), functools.partial(_said, stored)).problems)
            continue
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
            fail(stored, [Problem(stored.prefix, f"internal error, please report it: {type(exc).__name__}: {exc}")])
            continue
        translated += 1
        if document is not None:
            document.add(pretty(orjson.dumps(rep.to_dict())).rstrip(b"\n"))
        else:
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
        message = f"orders-migrate requests: cannot write {exc}"
        if document is not None and document.count:
            document.add(orjson.dumps({"error": message}))
            document.finish(single_ok=True)
        else:
            err.write(message + "\n")
        return EXIT_BAD_INPUT
    if document is not None:
        if document.count:  # no summary line: the document holds every outcome and the exit code says it
            document.finish(single_ok=True)
        return EXIT_BAD_INPUT if failed else EXIT_OK
    if report == "text":
        report_text(reports, err)
    err.write(
        f"orders-migrate requests: {translated} stored request(s) translated into {len(lines)} eCommerce request(s); {failed} rejected\n"
    )
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _in_file(stored: StoredRequest, path: str) -> str:
    """A problem's path in a record (``$.body...``, ``$.path``) as a path in the user's file."""
    return stored.path_of(path) if path.startswith("$.body") else stored.prefix + path[1:]


def _said(stored: StoredRequest, path: str) -> str:
    """A place a problem's message names (``$.body...``), as its reader finds it beside the problem's path."""
    return stored.said_of(path) if path.startswith("$.body") else stored.prefix + path[1:]
