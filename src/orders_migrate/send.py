"""Send an import plan to a Wix site, once: every result goes to an append-only log first.

The log (NDJSON, each entry fsync'd before the next request) is the run's memory: a request whose
result is logged is never sent again, so a second run, or a run after kill -9, sends only what is
left. A request is logged as ``sending`` before it goes out; one with no result after that was in
flight when the run died and may or may not have reached Wix: it is not sent again unless the user
checks and asks (``retry_failed``), because a second import would make a second order. Imports'
results hold the crosswalk (Stores order id -> new order id) that fills the ``{orderId}`` of the
order's later requests and that ``undo`` deletes.

Requests go only to ``base_url`` (http.client to that host, no redirects, no proxies), with the token
as the ``Authorization`` header; the token is never written anywhere.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path as FsPath
from typing import IO, Any, Final
from urllib.parse import quote, urlsplit

import orjson

from .importplan import BULK_DELETE_IMPORTED_ORDERS, IMPORT_ORDER, ORDER_ID

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # as a shell reports a run stopped by Ctrl-C
METHODS: Final = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_DELETE_IDS: Final = 1000  # BulkDeleteImportedOrdersRequest.orderIds: @maxSize
MAX_ATTEMPTS: Final = 6
BACKOFF_BASE: Final = 1.0  # seconds before the first retry; doubled for each one after
BACKOFF_CAP: Final = 60.0
RETRY_AFTER_CAP: Final = 300.0
LOGGED_RESPONSE_CHARS: Final = 20_000
ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
# Test hook: the run kills itself with SIGKILL once it has logged this many results, so a test can stop
# it at an exact point and check that the next run finishes the work.
KILL_AFTER_ENV: Final = "ORDERS_MIGRATE_SEND_KILL_AFTER"


class PlanError(Exception):
    """A plan line that cannot be sent: ``plan:line: message``."""


class UsageError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Request:
    line: int
    ref: dict[str, Any]
    method: str
    path: str
    body: Any

    @property
    def key(self) -> str:
        """What makes the request the same one in another run: the Stores order and the request's place
        in it when the order has an id, so a re-made plan whose lines moved (a bad record removed from
        an export) still sends nothing twice; the whole ref otherwise."""
        stores_id = self.ref.get("storesOrderId")
        if isinstance(stores_id, str):
            return ref_key({"storesOrderId": stores_id, "request": self.ref.get("request")})
        return ref_key(self.ref)

    @property
    def group(self) -> str:
        """The order the request belongs to: its key without its place in the order."""
        stores_id = self.ref.get("storesOrderId")
        if isinstance(stores_id, str):
            return ref_key({"storesOrderId": stores_id})
        return ref_key({k: v for k, v in self.ref.items() if k != "request"})

    @property
    def is_import(self) -> bool:
        return (self.method, self.path) == IMPORT_ORDER

    @property
    def needs_order_id(self) -> bool:
        return ORDER_ID in self.path or _holds(self.body, ORDER_ID)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def ref_key(ref: dict[str, Any]) -> str:
    return orjson.dumps(ref, option=orjson.OPT_SORT_KEYS).decode()


def _holds(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return value == text
    if isinstance(value, dict):
        return any(_holds(v, text) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, text) for v in value)
    return False


def _fill(value: Any, order_id: str) -> Any:
    if isinstance(value, str):
        return order_id if value == ORDER_ID else value
    if isinstance(value, dict):
        return {k: _fill(v, order_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, order_id) for v in value]
    return value


# ---- the plan ----------------------------------------------------------------------------------------


def check_path(path: Any) -> str | None:
    """Why a plan's path cannot be sent to the base URL (None: it can): only paths on that host."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        return "the path must start with a single '/': a plan names paths on --base-url, never another host"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "an absolute URL: a plan names paths on --base-url, never another host"
    if any(ch in path for ch in "\\ \t\r\n#") or any(ord(ch) < 0x20 for ch in path):
        return "the path holds a character a request path cannot"
    if ".." in path.split("/"):
        return "the path climbs out of the API with '..'"
    return None


def load_plan(name: str) -> list[Request]:
    """Every request of a plan, checked before anything is sent."""
    try:
        data = FsPath(name).read_bytes()
    except OSError as exc:
        raise PlanError(f"{name}: cannot read: {exc.strerror or exc}") from None
    requests: list[Request] = []
    keys: dict[str, int] = {}
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise PlanError(f"{name}:{n}: not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("ref"), dict):
            raise PlanError(f"{name}:{n}: expected a request {{ref, method, path, body}} with an object ref")
        method = doc.get("method")
        if method not in METHODS:
            raise PlanError(f"{name}:{n}: $.method: expected one of {', '.join(sorted(METHODS))}, got {method!r}")
        why = check_path(doc.get("path"))
        if why is not None:
            raise PlanError(f"{name}:{n}: $.path: {why}")
        request = Request(n, doc["ref"], method, doc["path"], doc.get("body"))
        if request.key in keys:
            raise PlanError(f"{name}:{n}: $.ref: the same request as line {keys[request.key]}: each is sent once")
        keys[request.key] = n
        requests.append(request)
    return requests


# ---- the log -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class LogState:
    """What earlier runs did: results by request key, the crosswalk, and the ids already deleted."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sending: set[str] = field(default_factory=set)
    order_ids: dict[str, str] = field(default_factory=dict)  # group -> new order id
    created: list[str] = field(default_factory=list)  # new order ids, in import order
    deleted: set[str] = field(default_factory=set)


def read_log(path: FsPath) -> LogState:
    state = LogState()
    if not path.exists():
        return state
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # the torn last line of a killed run: its request has no result
        if not isinstance(entry, dict):
            continue
        event, key = entry.get("event"), entry.get("key")
        if event == "sending" and isinstance(key, str):
            state.sending.add(key)
        elif event in ("done", "failed") and isinstance(key, str):
            state.results[key] = entry
            state.sending.discard(key)
            new_id = entry.get("orderId")
            if event == "done" and isinstance(new_id, str) and isinstance(entry.get("group"), str):
                state.order_ids[entry["group"]] = new_id
                state.created.append(new_id)
        elif event == "undone" and isinstance(entry.get("orderIds"), list):
            state.deleted.update(i for i in entry["orderIds"] if isinstance(i, str))
    return state


class Log:
    """Append-only NDJSON; every entry reaches the disk before the run goes on."""

    def __init__(self, path: FsPath):
        self.path = path
        torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close(); lives as long as the run
        if torn:
            self.fh.write(b"\n")  # a killed run's half line must not glue onto the next entry
        self.results = 0
        kill_after = os.environ.get(KILL_AFTER_ENV)
        self.kill_after = int(kill_after) if kill_after and kill_after.isdigit() else None

    def write(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"), **entry}
        self.fh.write(orjson.dumps(entry) + b"\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())
        if entry["event"] in ("done", "failed"):
            self.results += 1
            if self.kill_after is not None and self.results >= self.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

    def close(self) -> None:
        self.fh.close()


# ---- HTTP ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    scheme: str
    host: str
    port: int | None
    prefix: str

    @classmethod
    def parse(cls, base_url: str) -> Site:
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise UsageError(f"--base-url {base_url!r}: expected https://HOST (e.g. https://www.wixapis.com)")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise UsageError(f"--base-url {base_url!r}: plain http only to this machine; the token must travel over https")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise UsageError(f"--base-url {base_url!r}: no query, fragment or credentials in the base URL")
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--base-url {base_url!r}: not a valid port") from None
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    def url(self, path: str) -> str:
        port = f":{self.port}" if self.port is not None else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}{self.prefix}{path}"


Transport = Callable[[str, str, bytes | None, dict[str, str]], Response]


def http_transport(site: Site, timeout: float = 60.0) -> Transport:
    """One request to ``site`` by http.client: no redirect is followed, no proxy is used."""

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        conn_type = HTTPSConnection if site.scheme == "https" else HTTPConnection
        conn = conn_type(site.host, site.port, timeout=timeout)
        try:
            conn.request(method, site.prefix + path, body=body, headers=headers)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    return send


class RateLimit:
    """At most ``rate`` request starts a second, retries included."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


def retry_after(headers: dict[str, str], now: float) -> float | None:
    """Seconds the server asked to wait: ``Retry-After`` as seconds or as an HTTP date."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return min(max(0.0, moment.timestamp() - now), RETRY_AFTER_CAP)


def _decoded(body: bytes) -> Any:
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return body[:LOGGED_RESPONSE_CHARS].decode("utf-8", "replace")


@dataclass(slots=True)
class Outcome:
    ok: bool
    status: int | None
    response: Any
    attempts: int
    error: str | None = None


@dataclass(slots=True)
class Sender:
    transport: Transport
    headers: dict[str, str]
    limit: RateLimit
    sleep: Callable[[float], None]
    wall: Callable[[], float] = time.time
    max_attempts: int = MAX_ATTEMPTS

    def send(self, method: str, path: str, body: Any) -> Outcome:
        """One request, retried on 429, 5xx and lost connections with exponential backoff."""
        data = orjson.dumps(body) if body is not None else None
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        status: int | None = None
        response: Any = None
        error: str | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.limit.wait()
            wait: float | None = None
            try:
                resp = self.transport(method, path, data, headers)
            except (OSError, HTTPException) as exc:
                status, response, error = None, None, f"{type(exc).__name__}: {exc}"
            else:
                status, response, error = resp.status, _decoded(resp.body), None
                if 200 <= resp.status < 300:
                    return Outcome(True, status, response, attempt)
                if resp.status != 429 and resp.status < 500:
                    return Outcome(False, status, response, attempt)
                wait = retry_after(resp.headers, self.wall())
            if attempt < self.max_attempts:
                self.sleep(wait if wait is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        return Outcome(False, status, response, self.max_attempts, error)


# ---- the command ---------------------------------------------------------------------------------------


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
                path, body = req.path.replace(ORDER_ID, quote(order_id, safe="")), _fill(req.body, order_id)
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
    except UsageError as exc:
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
    finally:
        if log is not None:
            log.close()
    verb = "would send" if dry_run else "sent"
    out.write(
        f"orders-migrate send: {verb} {tally.sent} request(s); {tally.done_before} done in an earlier run; "
        f"{tally.failed} failed; {tally.failed_before} failed in an earlier run (--retry-failed sends them again); "
        f"{tally.skipped} skipped (their order was not imported); {tally.in_doubt} in doubt\n"
    )
    return EXIT_FAILED if tally.failed or tally.failed_before or tally.skipped or tally.in_doubt else EXIT_OK
