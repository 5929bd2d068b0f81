"""``orders-migrate diff-mappings OLD NEW FILE...``: what an edit of the mapping table changes, on real records.

Every record of the files is converted with both tables: an order with its companions, a webhook body as
its event. Each output leaf or report entry that differs is
put down to the row that wrote it (the ledger of ``explain``, under the table that has the leaf), so a
reviewer sees per row how many records the edit changes and a few examples with the old and new values;
exit 1 when anything changed, so a table edit can be held up in CI before it is used.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import IO, Any

import orjson

from .engine import Plan, plan_from_file
from .engine.table import MappingError
from .explain import explain_order, leaves_of
from .jsonio import dumps
from .paths import render_steps
from .reader import ReadError, Record, read_bytes, read_records
from .report import ConversionError, describe
from .route import route

EXIT_OK, EXIT_CHANGED, EXIT_USAGE = 0, 1, 2
EXAMPLES = 3  # examples shown per row


@dataclass(slots=True)
class RowChange:
    row: str
    records: set[str] = field(default_factory=set)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def note(self, record: str, path: str, old: Any, new: Any) -> None:
        self.records.add(record)
        if len(self.examples) < EXAMPLES:
            self.examples.append({"record": record, "path": path, "old": old, "new": new})


@dataclass(slots=True)
class TableDiff:
    records: int = 0
    changed: set[str] = field(default_factory=set)
    rows: dict[str, RowChange] = field(default_factory=dict)

    def change(self, row: str | None, record: str, path: str, old: Any, new: Any) -> None:
        self.changed.add(record)
        key = row or "(no row)"
        self.rows.setdefault(key, RowChange(key)).note(record, path, old, new)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "changed": len(self.changed),
            "rows": [
                {"row": c.row, "records": len(c.records), "examples": c.examples}
                for c in sorted(self.rows.values(), key=lambda c: (-len(c.records), c.row))
            ],
        }

    def write_text(self, stream: IO[str]) -> None:
        stream.write(f"{len(self.changed)} of {self.records} records change\n")
        for c in sorted(self.rows.values(), key=lambda c: (-len(c.records), c.row)):
            stream.write(f"\nrow {c.row}: {len(c.records)} record(s)\n")
            for ex in c.examples:
                stream.write(f"  {ex['record']}::{ex['path']}: {_show(ex['old'])} -> {_show(ex['new'])}\n")


_ABSENT = "(absent)"


def _show(value: Any) -> str:
    return value if value == _ABSENT else describe(value)


def diff_tables(old: Plan, new: Plan, records: Iterator[Record], locale: str = "en_US") -> TableDiff:
    """Every record under both tables: an order with its companions (so an edit of their rows shows), a
    webhook body as its event."""
    diff = TableDiff()
    for rec in records:
        name = rec.where() + ("" if rec.prefix == "$" else f"::{rec.prefix}")
        diff.records += 1
        event = route(rec.payload, new).event
        before, after = _outcome(rec.payload, old, locale, event), _outcome(rec.payload, new, locale, event)
        if before == after:
            continue
        if isinstance(before, str) or isinstance(after, str):  # converted under one table only, or errors differ
            outcome = before if isinstance(before, str) else "converted"
            diff.change("(the record's errors)", name, "$", outcome, after if isinstance(after, str) else "converted")
            continue
        (old_out, old_report, old_kind), (new_out, new_report, new_kind) = before, after
        owners: dict[str, str | None] = {}
        if not event:
            # A leaf is the row's that writes it under the new table, or under the old one when it is gone.
            owners = _owners(rec.payload, old, locale) | {k: v for k, v in _owners(rec.payload, new, locale).items() if v}
        for path in sorted(set(old_out) | set(new_out)):
            was, now = old_out.get(path, _ABSENT), new_out.get(path, _ABSENT)
            if was != now:
                diff.change(owners.get(path) or _section_of(path, new_kind or old_kind), name, path, was, now)
        for key in sorted(set(old_report) | set(new_report)):
            was, now = old_report.get(key, _ABSENT), new_report.get(key, _ABSENT)
            if was != now:
                row = (now if now != _ABSENT else was)[1]
                message_was = was if was == _ABSENT else was[0]
                diff.change(row, name, f"report {key[1]} ({key[0]})", message_was, now if now == _ABSENT else now[0])
    return diff


Outcome = tuple[dict[str, Any], dict[tuple[str, str], tuple[str, str | None]], str]


def _outcome(payload: Any, plan: Plan, locale: str, event: bool) -> Outcome | str:
    """The output leaves by path (a companion's under its name), the report entries by (kind, path) and
    the payload kind; or the errors as one text."""
    try:
        if event:
            from .webhooks import convert_parsed_webhook

            conversion = convert_parsed_webhook(payload, locale=locale, plan=plan)
        else:
            conversion = plan.convert(payload, locale=locale, companions=True)
    except ConversionError as exc:
        return "; ".join(f"{p.path}: {p.message}" for p in exc.problems)
    leaves = {render_steps(steps): value for steps, value in leaves_of(conversion.order)}
    for companion, doc in conversion.companions.items():
        leaves.update({f"{companion}:{render_steps(steps)}": value for steps, value in leaves_of(doc)})
    entries = {(e.kind, e.path): (e.message, e.row) for e in conversion.report.entries}
    return leaves, entries, conversion.report.payload_kind


def _section_of(path: str, payload_kind: str) -> str:
    """Whose rows wrote a leaf the order's ledger does not own: a companion's, or a webhook's."""
    if ":" in path.split("$", 1)[0]:
        return f"(the {path.split(':', 1)[0]} rows)"
    if payload_kind.startswith("stores_webhook:"):
        return f"webhook {payload_kind.split(':', 1)[1]}"
    return "(no row)"


def _owners(payload: Any, plan: Plan, locale: str) -> dict[str, str | None]:
    return {o.path: o.row for o in explain_order(payload, plan=plan, locale=locale).outputs}


def _inputs(names: list[str], err: IO[str]) -> Iterator[Record] | None:
    files: list[str] = []
    for name in names:
        if os.path.isdir(name):
            files.extend(str(p) for p in sorted(FsPath(name).rglob("*")) if p.suffix.lower() in (".json", ".ndjson", ".jsonl"))
        elif os.path.exists(name):
            files.append(name)
        else:
            err.write(f"orders-migrate: {name}: no such file\n")
            return None

    def records() -> Iterator[Record]:
        for name in files:
            for item in read_records(name, read_bytes(name)):
                if isinstance(item, ReadError):
                    err.write(f"{item.where()}::{item.problem.path}: {item.problem.message} (skipped)\n")
                elif isinstance(item, Record):  # a document's envelope converts to nothing under any table
                    yield item

    return records()


def run_diff_mappings(
    old: str,
    new: str,
    files: list[str],
    *,
    fmt: str = "text",
    locale: str = "en_US",
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    try:
        plans = [plan_from_file(old), plan_from_file(new)]
    except MappingError as exc:
        err.write(f"orders-migrate: {exc}\n")
        return EXIT_USAGE
    except OSError as exc:
        err.write(f"orders-migrate: cannot read the mapping table {exc.filename}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    records = _inputs(files, err)
    if records is None:
        return EXIT_USAGE
    diff = diff_tables(plans[0], plans[1], records, locale)
    if fmt == "json":
        body = dumps(diff.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"  # exact numbers, as read
    else:
        text = io.StringIO()
        diff.write_text(text)
        body = text.getvalue().encode("utf-8")
    out.write(body)
    out.flush()
    return EXIT_CHANGED if diff.changed else EXIT_OK
