"""The site requests go to: ``--base-url`` checked (https, or http to this machine only), one request by
http.client (no redirects, no proxies), at most ``rate`` request starts a second, and retries on 429, 5xx
and lost connections with exponential backoff or the server's ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_ATTEMPTS: Final = 6
BACKOFF_BASE: Final = 1.0  # seconds before the first retry; doubled for each one after
BACKOFF_CAP: Final = 60.0
RETRY_AFTER_CAP: Final = 300.0
LOGGED_RESPONSE_CHARS: Final = 20_000


class UsageError(Exception):
    """An option ``send`` cannot run with (the base URL, the rate, the token): exit 2."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


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
