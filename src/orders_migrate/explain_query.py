"""Explain a saved Stores Query Orders request: which leaf of its filter, sort and paging went to which
leaf of the eCommerce Search Orders request, by which rule, and which were reported instead.

A condition names the mapping row of its field (the row ``query/fields.py`` found its eCommerce field
in, e.g. ``payment-status``); what no mapping row decides is put down to the translator's own rules,
named below. The filter and sort a request holds as JSON text (as Stores took them) are explained as the
values inside that text, at the paths the query report uses (``$.query.filter.paymentStatus``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .engine import Plan
from .explain import leaves_of, passed_through
from .explain_ledger import InputLeaf, Ledger, OutputLeaf
from .paths import is_empty, parse_rendered, render_steps
from .query.fields import build_query_fields, default_query_fields
from .query.paging import LIMIT_MAX
from .query.translate import translate_traced
from .query.tree import AllOf, AnyOf, Cond, Const, Node, Not, merge, render
from .query.walk import Walk
from .report import Entry

Steps = tuple[str | int, ...]

# The translator's own rules, named where no mapping row decides (query/*.py).
REQUEST_RULE = "query-request"  # translate.py: the Search Orders body; with nothing in it, every order
PAGING_RULE = "query-paging"  # paging.py: limit -> cursorPaging.limit (at most 100); an offset of 0 skips nothing
LOGIC_RULE = "query-logic"  # filter.py, walk.py: $and/$or/$not, and a condition folded away by another that decides
FIELD_RULE = "query-field"  # filter.py: a filter on a Stores field no mapping row gives an eCommerce search field
SORT_RULE = "query-sort"  # sort.py: a sort on such a field, or past the fields Search Orders sorts by
QUERY_RULES = frozenset({REQUEST_RULE, PAGING_RULE, LOGIC_RULE, FIELD_RULE, SORT_RULE})


def explain_query(request: Any, *, plan: Plan | None = None) -> Ledger:
    """The ledger of translating one Stores Query Orders request (a parsed dict) into Search Orders.
    Raises ``ConversionError`` as ``translate_query`` does for a request that cannot be translated."""
    fields = default_query_fields() if plan is None else build_query_fields(plan.table)
    translation, node, walk = translate_traced(request, fields=fields)
    if any(e.kind == "passed_through" for e in translation.entries):
        return passed_through(request)
    doc = _as_read(request, walk)
    conds = dict(_trace(node, ("search", "filter")))
    ledger = Ledger()
    for steps, value in leaves_of(translation.request):
        ledger.outputs.append(_output(steps, value, doc, conds, walk))
    carried = ledger.rows_by_input()
    entries = translation.entries
    for steps, value in leaves_of(doc):
        if is_empty(value):
            continue
        path = render_steps(steps)
        dropped = any(e.path == path and e.kind == "dropped" for e in entries)
        entry = _covering(entries, path)
        if path in carried and not dropped:
            ledger.inputs.append(InputLeaf(path, "output", tuple(carried[path])).with_alias(entries))
        elif entry is not None:
            ledger.inputs.append(InputLeaf(path, "report", (), entry.kind, entry.row or _rule_at(steps)))
        else:
            # Read and decided nothing: an offset of 0, or a condition another made moot ({"$or": [{}, ...]}).
            rule = PAGING_RULE if steps[:2] == ("query", "paging") else LOGIC_RULE
            ledger.inputs.append(InputLeaf(path, "consumed", (rule,)))
    return ledger


def _rule_at(steps: Steps) -> str:
    """The translator's rule that reported a leaf no mapping row decides (an offset, a key Stores did not take)."""
    part = steps[1] if len(steps) > 1 and steps[0] == "query" else None
    return {"paging": PAGING_RULE, "sort": SORT_RULE, "filter": FIELD_RULE}.get(str(part), REQUEST_RULE)


def _as_read(request: dict[str, Any], walk: Walk) -> dict[str, Any]:
    """The request with its filter and sort as the values their JSON text holds."""
    query = request.get("query")
    if not isinstance(query, dict):
        return request
    read = dict(query)
    for key, kind, what in (("filter", dict, "a filter object"), ("sort", list, "a sort array")):
        if isinstance(read.get(key), str):
            parsed = walk.parsed(read[key], f"$.query.{key}", kind, what)
            if parsed is not None:
                read[key] = parsed
    return {**request, "query": read}


def _trace(node: Node, at: Steps) -> Iterator[tuple[Steps, Cond]]:
    """Each condition of the tree with the steps of its field (or operator) in the rendered filter: the
    walk of ``tree.render``, merging an implicit AND's clauses where render does."""
    if isinstance(node, Cond):
        plain = node.short and node.op == "$eq" and not isinstance(node.value, dict)
        yield ((*at, node.field) if plain else (*at, node.field, node.op)), node
    elif isinstance(node, Not):
        yield from _trace(node.item, (*at, "$not"))
    elif isinstance(node, AnyOf):
        for n, item in enumerate(node.items):
            yield from _trace(item, (*at, "$or", n))
    elif isinstance(node, AllOf):
        whole = not node.explicit and merge([render(i) for i in node.items]) is not None
        for n, item in enumerate(node.items):
            yield from _trace(item, at if whole else (*at, "$and", n))
    else:
        assert isinstance(node, Const)  # a constant is only ever the whole filter, which is then left out


def _output(steps: Steps, value: Any, doc: Any, conds: dict[Steps, Cond], walk: Walk) -> OutputLeaf:
    path = render_steps(steps)
    if steps[:2] == ("search", "filter"):
        for cut in range(len(steps), 1, -1):
            cond = conds.get(steps[:cut])
            if cond is not None:
                return OutputLeaf(path, cond.row, cond.op, _cond_inputs(cond, steps[cut:], doc))
    elif steps[:2] == ("search", "sort") and len(steps) == 4 and isinstance(steps[2], int):
        source, row = walk.sorted_from[steps[2]]
        return OutputLeaf(path, row, "sort", (source,))
    elif steps == ("search", "cursorPaging", "limit"):
        note = f"at most {LIMIT_MAX} a page" if value == LIMIT_MAX else None
        return OutputLeaf(path, PAGING_RULE, "limit", ("$.query.paging.limit",), note)
    elif steps == ("search",):
        return OutputLeaf(path, REQUEST_RULE, None, (), "no condition, sort or paging: every order")
    return OutputLeaf(path, None, None, (), "no rule writes here")


def _cond_inputs(cond: Cond, tail: Steps, doc: Any) -> tuple[str, ...]:
    """The leaves of the Stores request a condition's value came from: the one at the same index when the
    value is a list as long as the Stores one, else every leaf of the Stores value."""
    steps: Steps = parse_rendered(cond.source)
    source = _at(doc, steps)
    paired = isinstance(source, list) and isinstance(cond.value, list) and len(source) == len(cond.value)
    if tail and isinstance(tail[0], int) and paired:
        steps, source = (*steps, tail[0]), source[tail[0]]
    return tuple(render_steps((*steps, *s)) for s, v in leaves_of(source) if not is_empty(v))


def _at(doc: Any, steps: Steps) -> Any:
    for step in steps:
        if isinstance(step, int) and isinstance(doc, list) and 0 <= step < len(doc):
            doc = doc[step]
        elif not (isinstance(step, str) and isinstance(doc, dict) and step in doc):
            return None
        else:
            doc = doc[step]
    return doc


def _covering(entries: tuple[Entry, ...], path: str) -> Entry | None:
    """The deepest report entry at ``path`` or at an object or list holding it."""
    best: Entry | None = None
    for e in entries:
        if (path == e.path or path.startswith((e.path + ".", e.path + "["))) and (best is None or len(e.path) > len(best.path)):
            best = e
    return best
