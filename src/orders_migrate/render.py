"""Reporters: the conversion report as text (a rich table on a terminal) and the table as Markdown."""

from __future__ import annotations

from typing import IO, Any

from .engine.table import Row, Table
from .progress import report_plain, report_title
from .report import Report


def report_text(reports: list[Report], stream: IO[str]) -> None:
    """Each report as text: a table on a terminal, else a line an entry, written as they are (paths and
    messages quote the user's data, which no markup or emoji code may change)."""
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        _report_tables(reports, stream)  # rich is imported only here: a pipe or a file never needs it
        return
    for report in reports:
        stream.write(report_plain(report))


def _report_tables(reports: list[Report], stream: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    console = Console(file=stream, soft_wrap=True)
    for report in reports:
        if not report.entries:
            console.print(f"{report_title(report)}: every field carried", markup=False, highlight=False, emoji=False)
            continue
        table = RichTable(title=Text(report_title(report)), show_lines=False)
        for col in ("kind", "path", "why", "row"):
            table.add_column(col, overflow="fold")
        for e in report.entries:
            # Text cells: rich reads no markup or emoji codes in the user's data.
            table.add_row(*(Text(cell) for cell in (e.kind, e.path, e.message, e.row or "")))
        console.print(table)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _paths(row: Row, kind: str) -> str:
    groups = row.reads if kind == "reads" else row.writes
    parts = []
    for role, paths in groups.items():
        names = " / ".join(f"`{p.text}`" for p in paths)
        parts.append(names if role == "value" else f"{role}: {names}")
    return "<br>".join(parts)


def mappings_markdown(table: Table) -> str:
    """The mapping table as Markdown, generated from mappings.yaml so the docs never drift from the rules."""
    lines: list[str] = []
    for rows, title in (
        (table.order, "Order object"),
        (table.address, "Address object (applied at every address: billing, shipment, pickup)"),
        (table.checks, "Input rules (the Stores API's own rules, reported)"),
        (table.fulfillment, "Fulfillment (one Stores fulfillment: webhooks and companions)"),
        (table.refund, "Refund (one Stores refund: webhooks and companions)"),
        (table.order_fulfillments, "OrderWithFulfillments (companion)"),
        (table.order_transactions, "OrderTransactions (companion)"),
        (table.velo, "Velo orders (rewritten into the REST shape before the order rows run)"),
    ):
        if not rows:
            continue
        lines.append(f"## {title}: {len(rows)} rows\n")
        lines.append("| id | Stores (reads) | eCommerce (writes) | operation | note |")
        lines.append("|---|---|---|---|---|")
        for row in rows:
            op = row.op
            fetch: Any = row.params.get("fetch")
            if isinstance(fetch, dict):
                op += f" ({fetch.get('api')})"
            reads, writes = _cell(_paths(row, "reads")), _cell(_paths(row, "writes")) or "-"
            when = "".join(f"<br>{_cell(c)}" for c in (*_conditions(row), *_value_map(row)))
            lines.append(f"| `{row.id}` | {reads} | {writes} | {_cell(op)}{when} | {_cell(row.note)} |")
        lines.append("")
    if table.webhooks:
        lines.append(f"## Webhooks: {len(table.webhooks)} Stores webhooks\n")
        lines.append("| id | Stores webhook | eCommerce event | note |")
        lines.append("|---|---|---|---|")
        for hook in table.webhooks:
            event = hook.get("event") or {}
            target = f"`{event.get('fqdn')}` / `{event.get('slug')}`, `{event.get('container')}`"
            lines.append(
                f"| `{hook.get('id')}` | {_cell(str(hook.get('stores', '')))} | {target} | {_cell(str(hook.get('note', '')))} |"
            )
        lines.append("")
    if table.aliases:
        lines.extend(_aliases_markdown(table))
    return "\n".join(lines)


def _conditions(row: Row) -> list[str]:
    """When the row runs, as the table says it: each condition on the input and on what earlier rows wrote."""
    found = [
        f"{key} `{path.text}`" for key, path in (("if_present", row.if_present), ("unless_present", row.unless_present)) if path
    ]
    for key, conds in (("when", row.when), ("unless", row.unless)):
        found.extend(
            f"{key} `{path.text}` in {', '.join('~' if v is None else str(v) for v in values)}" for path, values in conds
        )
    found.extend(
        f"{key} `{path.text}`" for key, path in (("if_written", row.if_written), ("unless_written", row.unless_written)) if path
    )
    return found


def _value_map(row: Row) -> list[str]:
    """An ``enum`` row's map, as the table writes it: each value that changes, then those kept as they are
    (a value the map writes as ``~`` is written by no value: another row carries it)."""
    mapping: Any = row.params.get("map")
    if not isinstance(mapping, dict):
        return []
    pairs = [(k, v) for k, v in mapping.items() if k != "__line__"]  # the loader's line number, not a value
    changed = [f"`{k}` -> {'~' if v is None else f'`{_shown(v)}`'}" for k, v in pairs if v != k]
    kept = [f"`{k}`" for k, v in pairs if v == k]
    found = [f"map {', '.join(changed)}"] if changed else []
    if kept:
        found.append(f"{'kept' if changed else 'map keeps'} {', '.join(kept)}")
    return found


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items() if k != "__line__") + "}"
    return str(value)


def _aliases_markdown(table: Table) -> list[str]:
    """The ``aliases`` section: each undocumented value and the documented one it is converted as (a table
    without aliases, the shipped one, has no such section)."""
    pairs = [
        (str(alias.get("path")), str(seen), str(meant))
        for alias in table.aliases
        for seen, meant in (alias.get("values") or {}).items()
        if seen != "__line__"  # the loader's line number, not a value
    ]
    lines = [f"## Aliases: {len(pairs)} undocumented values (converted as the documented Stores value, reported `aliased`)\n"]
    lines.append("| Stores field | value seen | converted as |")
    lines.append("|---|---|---|")
    lines.extend(f"| `{_cell(path)}` | `{_cell(seen)}` | `{_cell(meant)}` |" for path, seen, meant in pairs)
    lines.append("")
    return lines
