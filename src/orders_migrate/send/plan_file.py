"""A plan as ``send`` reads it: NDJSON requests ``{ref, method, path, body}``, each checked before anything
is sent (a known method, a path on --base-url only, each request once), and what makes a request the same
one in another run (its key) and the order it belongs to (its group).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from ..importplan.requests import IMPORT_ORDER, ORDER_ID

METHODS: Final = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


class PlanError(Exception):
    """A plan line that cannot be sent: ``plan:line: message``."""


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


def fill_order_id(value: Any, order_id: str) -> Any:
    if isinstance(value, str):
        return order_id if value == ORDER_ID else value
    if isinstance(value, dict):
        return {k: fill_order_id(v, order_id) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_order_id(v, order_id) for v in value]
    return value


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
