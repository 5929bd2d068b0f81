"""``orders-migrate send``: the plan's requests that are left, in order, each logged as ``sending`` before it
goes and with its result after; the crosswalk fills the ``{orderId}`` of an order's later requests; ``undo``
deletes the orders a log imported. See the package docstring for what the log guarantees.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import IO, Any, Final
from urllib.parse import quote

import orjson

from ..importplan.requests import BULK_DELETE_IMPORTED_ORDERS, ORDER_ID
from ..outfiles import UsageError as OutputUsageError
from ..outfiles import display_name, quiet_stdout, refuse_overwrites
from .client import RateLimit, Sender, Site, Transport, UsageError, http_transport
from .log import Log, LogState, read_log
from .plan_file import PlanError, Request, fill_order_id, load_plan, ref_key

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # as a shell reports a run stopped by Ctrl-C
EXIT_SIGPIPE = 141  # as a shell reports a run whose reader stopped
MAX_DELETE_IDS: Final = 1000  # BulkDeleteImportedOrdersRequest.orderIds: @maxSize
ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")


@dataclass(slots=True)
class Tally:
    sent: int = 0
    done_before: int = 0
    failed_before: int = 0
    failed: int = 0
    skipped: int = 0
    in_doubt: int = 0


def _new_order_id(response: Any) -> str | None:
    order = response.get("order") if isinstance(response, dict) else None
    new_id = order.get("id") if isinstance(order, dict) else None
    return new_id if isinstance(new_id, str) and ID_RE.fullmatch(new_id) else None


def _send_plan(
    requests: list[Request], state: LogState, log: Log | None, sender: Sender | None, out: IO[str], site: Site, retry: bool
) -> Tally:
    tally = Tally()
    for req in requests:
        earlier = state.results.get(req.key)
        if earlier is not None and earlier.get("event") == "done":
            tally.done_before += 1
            continue
        if earlier is not None and not retry:
            tally.failed_before += 1
            continue
        if req.key in state.sending and not retry:
            tally.in_doubt += 1
            out.write(
                f"in doubt, not sent again: {req.method} {req.path} ({ref_key(req.ref)}) was in flight when an "
                "earlier run stopped; check the site, then run with --retry-failed to send it\n"
            )
            continue
        path, body = req.path, req.body
        if req.needs_order_id:
            order_id = state.order_ids.get(req.group)
            if order_id is None:
                tally.skipped += 1
                if log is not None:
                    log.write({"event": "skipped", "key": req.key, "ref": req.ref, "reason": "its order was not imported"})
                else:
                    out.write(
                        f"would send after its order's import: {req.method} {site.url(req.path)} {orjson.dumps(req.body).decode()}\n"
                    )
                continue
            if order_id != ORDER_ID:  # a dry run shows an import it has not sent by its placeholder
                path, body = req.path.replace(ORDER_ID, quote(order_id, safe="")), fill_order_id(req.body, order_id)
        if log is None or sender is None:
            out.write(f"would send: {req.method} {site.url(path)} {orjson.dumps(body).decode()}\n")
            tally.sent += 1
            if req.is_import:
                state.order_ids[req.group] = ORDER_ID  # its dependents are shown with the placeholder
            continue
        log.write({"event": "sending", "key": req.key, "ref": req.ref, "method": req.method, "path": path})
        outcome = sender.send(req.method, path, body)
        entry: dict[str, Any] = {"key": req.key, "group": req.group, "ref": req.ref, "method": req.method, "path": path}
        entry.update({"status": outcome.status, "attempts": outcome.attempts, "response": outcome.response})
        if outcome.error is not None:
            entry["error"] = outcome.error
        ok = outcome.ok
        if ok and req.is_import:
            new_id = _new_order_id(outcome.response)
            if new_id is None:
                ok = False
                entry["error"] = "the Import Order response holds no order.id"
            else:
                entry["orderId"] = new_id
                if isinstance(req.ref.get("storesOrderId"), str):
                    entry["storesOrderId"] = req.ref["storesOrderId"]
                state.order_ids[req.group] = new_id
        entry["event"] = "done" if ok else "failed"
        log.write(entry)
        state.results[req.key] = entry
        if ok:
            tally.sent += 1
        else:
            tally.failed += 1
            why = entry.get("error") or _response_message(outcome.response) or "see the log"
            out.write(f"failed: {req.method} {path} ({ref_key(req.ref)}): HTTP {outcome.status}: {why}\n")
    return tally


def _response_message(response: Any) -> str | None:
    """What Wix (or the server) said, for the screen: its message, else the body's start."""
    if isinstance(response, dict):
        message = response.get("message")
        if isinstance(message, str) and message:
            return message[:200]
    if response not in (None, "", {}):
        return str(response)[:200]
    return None


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), MAX_DELETE_IDS):
        yield ids[start : start + MAX_DELETE_IDS]


def _undo(state: LogState, log: Log | None, sender: Sender | None, out: IO[str], site: Site) -> int:
    ids = [i for i in dict.fromkeys(state.created) if i not in state.deleted]
    failed = 0
    method, path = BULK_DELETE_IMPORTED_ORDERS
    for chunk in _chunks(ids):
        body = {"orderIds": chunk}
        if log is None or sender is None:
            out.write(f"would send: {method} {site.url(path)} {orjson.dumps(body).decode()}\n")
            continue
        outcome = sender.send(method, path, body)
        event = "undone" if outcome.ok else "undo-failed"
        log.write(
            {
                "event": event,
                "method": method,
                "path": path,
                "orderIds": chunk,
                "status": outcome.status,
                "response": outcome.response,
            }
        )
        if not outcome.ok:
            failed += 1
            out.write(f"failed: {method} {path} for {len(chunk)} order(s): HTTP {outcome.status}\n")
    verb = "would delete" if log is None else "deleted"
    out.write(f"orders-migrate send --undo: {verb} {len(ids)} imported order(s) in {len(list(_chunks(ids)))} request(s)\n")
    return EXIT_FAILED if failed else EXIT_OK


def run_send(
    plan: str,
    base_url: str,
    token_env: str,
    log_path: str,
    rate: float = 5.0,
    dry_run: bool = False,
    undo: bool = False,
    retry_failed: bool = False,
    site_id: str | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send ``plan`` to ``base_url`` in order, logging every result in ``log_path``; see the module."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        site = Site.parse(base_url)
        if rate <= 0:
            raise UsageError("--rate must be above 0 requests a second")
        token = os.environ.get(token_env, "")
        if not dry_run and not token.strip():
            raise UsageError(f"--token-env {token_env}: that environment variable is not set or is empty")
        # The log is appended to: as the plan, its entries would go into the plan itself.
        refuse_overwrites([plan], [(f"--log {display_name(log_path)}", log_path)])
    except (UsageError, OutputUsageError) as exc:
        err.write(f"orders-migrate send: {exc}\n")
        return EXIT_USAGE
    try:
        requests = [] if undo else load_plan(plan)
    except PlanError as exc:
        err.write(f"orders-migrate send: {exc}\n")
        return EXIT_FAILED
    log_file = FsPath(log_path)
    headers = {"Authorization": token.strip(), "Accept": "application/json"}
    if site_id:
        headers["wix-site-id"] = site_id
    sender = None
    log = None
    try:
        state = read_log(log_file)
        if not dry_run:
            sender = Sender(transport or http_transport(site), headers, RateLimit(rate, clock, sleep), sleep)
            log = Log(log_file)
    except OSError as exc:
        err.write(f"orders-migrate send: cannot use the log {log_path}: {exc.strerror or exc}\n")
        return EXIT_FAILED
    try:
        if undo:
            return _undo(state, log, sender, out, site)
        tally = _send_plan(requests, state, log, sender, out, site, retry_failed)
    except KeyboardInterrupt:
        err.write("orders-migrate send: interrupted; every result so far is in the log: run the same command to continue\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout stopped (``| head``): stop quietly, as after Ctrl-C the log holds every result.
        if stdout is None:
            quiet_stdout()
        return EXIT_SIGPIPE
    finally:
        if log is not None:
            log.close()
    verb = "would send" if dry_run else "sent"
    try:
        out.write(
            f"orders-migrate send: {verb} {tally.sent} request(s); {tally.done_before} done in an earlier run; "
            f"{tally.failed} failed; {tally.failed_before} failed in an earlier run (--retry-failed sends them again); "
            f"{tally.skipped} skipped (their order was not imported); {tally.in_doubt} in doubt\n"
        )
        out.flush()
    except BrokenPipeError:
        if stdout is None:
            quiet_stdout()
        return EXIT_SIGPIPE
    return EXIT_FAILED if tally.failed or tally.failed_before or tally.skipped or tally.in_doubt else EXIT_OK
