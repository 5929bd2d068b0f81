"""The front door of the query translator: read a saved Stores Query Orders request, translate it into an
eCommerce Search Orders request (``QueryTranslation``: the body and its report), and write the report.

``POST stores/v2/orders/query`` takes ``{"query": {"filter": "<JSON>", "sort": "<JSON>", "paging": {...}}}``
(seed 004, Filter and Sort); ``POST ecom/v1/orders/search`` takes ``{"search": {"filter": {...}, "sort":
[{"fieldName", "order"}], "cursorPaging": {"limit"}}}`` (``CursorSearch`` in ``@wix/auto_sdk_ecom_orders``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import orjson

from ..jsonio import loads
from ..report import ConversionError, Entry, Problem, describe
from .fields import QueryField, default_query_fields
from .filter import walk_filter
from .paging import cursor_paging
from .sort import search_sort
from .tree import FALSE, TRUE, Const, Node, render
from .values import at_key, lone_surrogates, plain
from .walk import Walk

# Not exact: an aliased value is searched as the documented one, which orders that held it in Stores match too.
STRICT_KINDS = frozenset({"approximated", "dropped", "unknown_value", "aliased"})
PASS_THROUGH_NESTING = 200  # an eCommerce body sent back as it came (orjson writes at most 255 levels)
MATCHES_TEXT = {
    "more": "the search can match more orders than the Stores query (it misses none)",
    "fewer": "the search can match fewer orders than the Stores query (it adds none)",
    "more and fewer": "the search can both match orders the Stores query did not and miss orders it matched",
}


@dataclass(frozen=True, slots=True)
class QueryTranslation:
    """``request`` is the eCommerce Search Orders body; ``entries`` say what is not exactly the same.

    ``matches`` says how the orders the search finds compare with the Stores query's: ``same``, ``more``
    (extra orders, none missed), ``fewer`` (orders missed, none extra) or ``more and fewer``."""

    request: dict[str, Any]
    entries: tuple[Entry, ...]
    source: str | None = None
    matches: str = "same"

    @property
    def exact(self) -> bool:
        return not any(e.kind in STRICT_KINDS for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"payloadKind": "stores_query"}
        if self.source is not None:
            out["source"] = self.source
        out["exact"] = self.exact
        out["matches"] = self.matches
        out["entries"] = [e.to_dict() for e in self.entries]
        return out


def load_query(data: bytes) -> Any:
    """Parse a request body strictly (a repeated key, NaN or bad UTF-8 is an error); bad JSON is a
    ConversionError at ``$``."""
    if not data.strip():
        raise ConversionError([Problem("$", "empty input: expected a Stores Query Orders request body")])
    try:
        return loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem("$", f"not valid JSON: {exc}")]) from None


def translate_query(
    stores_request: Any, source: str | None = None, fields: Mapping[str, QueryField] | None = None
) -> QueryTranslation:
    """Translate ``{"query": {filter, sort, paging}}`` into ``{"search": {filter, sort, cursorPaging}}``.

    ``filter`` and ``sort`` may be JSON strings (as Stores took them) or already parsed. Bad input raises
    ``ConversionError`` with every problem and its ``$.path``; an eCommerce search body passes through.
    """
    return translate_traced(stores_request, source, fields)[0]


def translate_traced(
    stores_request: Any, source: str | None = None, fields: Mapping[str, QueryField] | None = None
) -> tuple[QueryTranslation, Node, Walk]:
    """``translate_query``, with the condition tree the filter became (each ``Cond`` names its Stores path
    and row) and the walk (its sort fields' Stores paths): what explain reads."""
    walk = Walk(fields if fields is not None else default_query_fields())
    if not isinstance(stores_request, dict):
        raise ConversionError([Problem("$", f"expected a request body object, got {describe(stores_request)}")])
    broken = lone_surrogates(stores_request, "$")
    if broken:
        raise ConversionError(broken)
    if "query" not in stores_request and isinstance(stores_request.get("search"), dict):
        body = plain(stores_request, "$", walk.problems, PASS_THROUGH_NESTING)
        if walk.problems:
            raise ConversionError(walk.problems)
        entry = Entry("passed_through", "$", "already an eCommerce Search Orders request; passed through unchanged")
        return QueryTranslation(body, (entry,), source), TRUE, walk
    if "query" not in stores_request:
        raise ConversionError([Problem("$", 'expected {"query": {"filter", "sort", "paging"}}, a Stores Query Orders body')])
    for key in stores_request:
        if key != "query":
            walk.report("dropped", at_key("$", key), "not part of a Stores Query Orders body; left out")
    query = stores_request["query"] if stores_request["query"] is not None else {}
    if not isinstance(query, dict):
        raise ConversionError([Problem("$.query", f"expected an object, got {describe(query)}")])
    search: dict[str, Any] = {}
    raw_filter = walk.parsed(query.get("filter"), "$.query.filter", dict, "a filter object")
    node = walk_filter(walk, raw_filter, "$.query.filter", positive=True) if raw_filter else TRUE
    if node == FALSE:
        walk.problem("$.query.filter", "matches no order (it negates a filter that matches every order, such as {})")
    elif not isinstance(node, Const):
        search["filter"] = render(node)
    sort = search_sort(walk, query.get("sort"), "$.query.sort")
    if sort:
        search["sort"] = sort
    paging = cursor_paging(walk, query.get("paging"), "$.query.paging")
    if paging:
        search["cursorPaging"] = paging
    for key in query:
        if key not in ("filter", "sort", "paging"):
            walk.report("dropped", at_key("$.query", key), "Stores Query Orders takes filter, sort and paging only; left out")
    if walk.problems:
        raise ConversionError(walk.problems)
    return QueryTranslation({"search": search}, walk.entries, source, walk.matches()), node, walk


def query_report_text(translation: QueryTranslation, stream: IO[str]) -> None:
    """One line of summary, then one line per entry: kind, Stores path, why, and the row it follows."""
    counts: dict[str, int] = {}
    for e in translation.entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    verdict = "translated exactly" if translation.exact else "NOT exact"
    title = f"{translation.source or '<query>'}: Stores Query Orders -> eCommerce Search Orders: {verdict}"
    effect = MATCHES_TEXT.get(translation.matches)
    stream.write(f"{title}{f' ({summary})' if summary else ''}{f'; {effect}' if effect else ''}\n")
    for e in translation.entries:
        row = f" [{e.row}]" if e.row else ""
        stream.write(f"  {e.kind:<14} {e.path}: {e.message}{row}\n")
