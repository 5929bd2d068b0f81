"""``orders-migrate explain``: the ledger of one record's conversion, as text or JSON."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import IO, Any

import orjson

from .engine import Plan, default_plan
from .engine.apply import written_with_companions
from .explain import explain_order
from .explain_ledger import Ledger
from .outfiles import display_name, write_out
from .reader import Envelope, Read, ReadError, Record, read_input, read_records
from .report import ConversionError, Problem
from .route import route
from .webhooks import refuse_unsigned

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_SIGPIPE = 0, 1, 2, 141
QUERY = "query"  # --kind for a saved Stores Query Orders request
UNKNOWN = (
    "not a record explain reads: a Stores order (REST or Velo), a Stores webhook body or the JWT Wix delivered, "
    'an eCommerce order or event, or a saved Stores Query Orders request ({"query": ...}); --kind names one'
)


def explain_record(
    payload: Any,
    *,
    kind: str | None = None,
    public_key: str | None = None,
    plan: Plan | None = None,
    locale: str = "en_US",
    companions: bool = False,
) -> Ledger:
    """The ledger of one parsed record, routed as convert routes it (a saved query as the query command
    reads it); ``companions`` as for ``convert --companions`` (an order's payments, refunds and
    fulfillments put down in its companions; a webhook's event is the same either way). Raises
    ``ConversionError`` for a record that cannot be explained."""
    if kind == QUERY or kind is None and is_query(payload, plan):
        from .explain_query import explain_query

        return explain_query(payload, plan=plan)
    if kind in (None, "order") and isinstance(payload, dict) and written_with_companions(payload, plan or default_plan()):
        # What convert --companions wrote: convert passes it through, and so it is explained.
        return explain_order(payload, plan=plan, locale=locale, companions=companions)
    refuse_unsigned(payload, public_key)
    routed = route(payload, plan, kind)
    if routed.event:
        from .explain_webhooks import explain_webhook

        named = routed.webhook.id if routed.webhook is not None else kind if kind != "order" else None
        return explain_webhook(payload, plan=plan, locale=locale, kind=named, public_key=public_key)
    if routed.kind == "unknown":
        raise ConversionError([Problem("$", UNKNOWN)])
    return explain_order(payload, plan=plan, locale=locale, companions=companions)


def is_query(payload: Any, plan: Plan | None = None) -> bool:
    """A Stores Query Orders request ({"query": ...}), or the Search Orders body one becomes, as saved."""
    if not isinstance(payload, dict) or route(payload, plan).kind != "unknown":
        return False
    return "query" in payload or set(payload) == {"search"} and isinstance(payload["search"], dict)


def _nth_record(found: Iterable[Read], n: int) -> Record | ReadError | int:
    """Record ``n`` (from 1), parsing no line of NDJSON past it: a bad line elsewhere in a big export must
    not stop the explanation of a good one. A bad line is one record, its error; a document that does not
    parse at all is its error whichever record is asked for. An int: how many records there are, fewer."""
    count = 0
    for item in found:
        if isinstance(item, Envelope):
            continue  # not a record: what a document holds beside them (a Query Orders response's paging)
        if isinstance(item, ReadError) and item.line is None:
            return item
        count += 1
        if count == n:
            return item
    return count


def run_explain(
    file: str,
    *,
    path: str | None = None,
    fmt: str = "text",
    record: int = 1,
    locale: str = "en_US",
    kind: str | None = None,
    public_key: str | None = None,
    companions: bool = False,
    plan: Plan | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Explain record ``record`` (from 1) of ``file`` (an order, a webhook body or the JWT Wix delivered,
    a saved Stores Query Orders request: ``kind`` names one the record alone cannot tell; ``public_key``
    verifies a JWT as for convert; ``companions`` as for convert --companions): every output leaf with the
    row and inputs it came from, every non-empty input leaf with its fate; ``path`` narrows it to one field."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    source = "<stdin>" if file == "-" else display_name(file)
    kinds = ("order", QUERY, *(spec.id for spec in (plan or default_plan()).webhooks))
    if kind is not None and kind not in kinds:
        err.write(f"orders-migrate: --kind {kind}: not a kind explain reads (one of {', '.join(kinds)})\n")
        return EXIT_USAGE
    data = read_input(file, source, err)
    if isinstance(data, int):
        return data
    found = _nth_record(
        read_records(file, data, kind if kind not in ("order", QUERY) else None, source=source, plan=plan), record
    )
    if isinstance(found, int):
        err.write(f"orders-migrate: --record {record}: {source} holds {found} record(s)\n")
        return EXIT_USAGE
    if isinstance(found, ReadError):
        err.write(f"{found.where()}::{found.problem.path}: {found.problem.message}\n")
        return EXIT_BAD_INPUT
    rec = found
    try:
        ledger = explain_record(
            rec.payload, kind=kind, public_key=public_key, plan=plan, locale=locale, companions=companions
        ).rerooted(rec.prefix)
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
