"""The table's ``requests`` section compiled into routes: which stored Stores request (method and path
template) becomes which eCommerce requests, and the named operation that builds their bodies. A request
no route matches has no translation: the table is the only place a route exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from ..engine.table import MappingError, Table

METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_PARAM: Final = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")
# The id a created order gets: an eCommerce path may name it with no Stores value to fill it.
CREATED_ORDER_ID: Final = "orderId"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str  # a template: {name} filled from the Stores path

    def fill(self, params: Mapping[str, str]) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            return quote(params[name], safe="") if name in params else m.group(0)

        return _PARAM.sub(one, self.path)


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    stores: Endpoint
    op: str
    ecom: tuple[Endpoint, ...]
    pattern: re.Pattern[str]
    params: tuple[str, ...]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.stores.method:
            return None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in zip(self.params, found.groups(), strict=True)}


def _endpoint(text: Any, table: Table, raw: Mapping[str, Any], what: str) -> Endpoint:
    parts = text.split(" ") if isinstance(text, str) else []
    if len(parts) != 2 or parts[0] not in METHODS or not parts[1].startswith("/"):
        raise MappingError(table.source, raw.get("__line__"), raw.get("id"), f"{what} must be 'METHOD /path', got {text!r}")
    return Endpoint(parts[0], parts[1])


def compile_routes(table: Table, ops: frozenset[str]) -> tuple[Route, ...]:
    """Every route of the table, checked: its op is one of ``ops``, and each eCommerce path names only
    the Stores path's parameters (or the created order's id)."""
    routes = []
    for raw in table.requests:
        stores = _endpoint(raw.get("stores"), table, raw, "'stores'")
        ecom_raw = raw.get("ecom")
        if not isinstance(ecom_raw, list) or not ecom_raw:
            raise MappingError(table.source, raw.get("__line__"), raw["id"], "'ecom' must list the eCommerce requests")
        ecom = tuple(_endpoint(e, table, raw, "each of 'ecom'") for e in ecom_raw)
        op = raw.get("op")
        if op not in ops:
            raise MappingError(
                table.source, raw.get("__line__"), raw["id"], f"unknown op {op!r} (one of {', '.join(sorted(ops))})"
            )
        params = tuple(_PARAM.findall(stores.path))
        for endpoint in ecom:
            for name in _PARAM.findall(endpoint.path):
                if name not in params and name != CREATED_ORDER_ID:
                    raise MappingError(
                        table.source,
                        raw.get("__line__"),
                        raw["id"],
                        f"{endpoint.path} names {{{name}}}, which {stores.path} does not give",
                    )
        regex = "".join(
            "([^/]+)" if _PARAM.fullmatch(part) else re.escape(part)
            for part in re.split(r"(\{[A-Za-z][A-Za-z0-9]*\})", stores.path)
            if part
        )
        routes.append(Route(raw["id"], stores, str(op), ecom, re.compile(regex), params))
    return tuple(routes)


def request_path(target: str) -> tuple[str, str]:
    """A stored request's URL or path as (path, query): the host, if any, is not part of the route."""
    parts = urlsplit(target)
    path = parts.path.rstrip("/") or "/"
    return path, parts.query


def find_route(routes: tuple[Route, ...], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        params = route.match(method, path)
        if params is not None:
            return route, params
    return None
