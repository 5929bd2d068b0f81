"""The Stores sort (``[{field: "asc"|"desc"}]``, as JSON text or parsed) as the eCommerce ``sort`` list."""

from __future__ import annotations

from typing import Any

from ..report import describe
from .values import at_index, at_key
from .walk import Walk

SORT_MAX = 4  # CursorSearch.sort: @maxSize 4


def search_sort(walk: Walk, raw: Any, path: str) -> list[dict[str, str]]:
    items = walk.parsed(raw, path, list, "an array of {field: 'asc'|'desc'} objects")
    out: list[dict[str, str]] = []
    for n, item in enumerate(items or []):
        where = at_index(path, n)
        if not isinstance(item, dict) or not item:
            walk.problem(where, f"expected {{field: 'asc'|'desc'}}, got {describe(item)}")
            continue
        for name, direction in item.items():
            order = direction.upper() if isinstance(direction, str) else None
            if order not in ("ASC", "DESC"):
                walk.problem(at_key(where, name), f"sort order must be 'asc' or 'desc', got {describe(direction)}")
                continue
            entry = _sort_field(walk, name, order, at_key(where, name))
            if entry is not None:
                out.append(entry)
                walk.sorted_from.append((at_key(where, name), walk.fields[name].row))
    for extra in out[SORT_MAX:]:
        walk.report(
            "dropped", path, f"eCommerce Search Orders sorts by at most {SORT_MAX} fields; {extra['fieldName']} is left out"
        )
    del walk.sorted_from[SORT_MAX:]
    return out[:SORT_MAX]


def _sort_field(walk: Walk, name: str, order: str, path: str) -> dict[str, str] | None:
    qf = walk.fields.get(name)
    if qf is None:
        walk.report("dropped", path, f"no mapping row gives Stores {name!r} an eCommerce search field; not sorted")
        return None
    if qf.shape in ("split", "parts"):
        fields = ", ".join(t.field for t in qf.targets)
        walk.report("dropped", path, f"Stores {name} became several eCommerce fields ({fields}); not sorted", qf.row)
        return None
    target = qf.targets[0]
    if not target.capability.sortable:
        walk.report("dropped", path, f"eCommerce Search Orders cannot sort on {target.field}; not sorted", qf.row)
        return None
    if qf.value == "to_string":
        walk.report(
            "approximated",
            path,
            f"Stores sorted {name} as an integer; eCommerce {target.field} is a string (row {qf.row}): text order "
            "agrees with numeric order only between numbers with the same count of digits",
            qf.row,
        )
    for d in qf.moved_out():
        walk.report(
            "approximated",
            path,
            f"Stores {name} {d.value} is eCommerce {d.target.field} {d.becomes} (row {d.row}): those orders sort by "
            f"their eCommerce {target.field} instead",
            qf.row,
        )
    return {"fieldName": target.field, "order": order}
