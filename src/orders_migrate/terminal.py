"""What a batch shows on a terminal: the progress bar and the closing summary as a table. Imported only
when the stream is one, so a run off a terminal (a pipe, CI, a cron job) never loads rich."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable
from rich.text import Text

from .progress import Stats, crosswalk_counts


def print_summary_table(stats: Stats, stream: IO[str], rejects: str | None = None, versions: str | None = None) -> None:
    """The closing summary as a table."""
    console = Console(file=stream, soft_wrap=True)
    table = RichTable(title="orders-migrate convert", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records in", str(stats.records))
    table.add_row("converted", str(stats.converted))
    table.add_row("rejected" + (f" ({rejects})" if rejects and stats.failed else ""), str(stats.failed))
    if stats.filtered:
        table.add_row("left out by --filter", str(stats.filtered))
    for what, n in crosswalk_counts(stats):
        table.add_row(what, str(n))
    for kind, n in sorted(stats.kinds.items()):
        table.add_row(f"report entries: {kind}", str(n))
    for api, n in sorted(stats.fetch.items()):
        table.add_row(f"orders to fetch from {api}", str(n))
    if versions:
        table.caption = f"written with: {versions}"
    console.print(table)


class _RecordRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        records = int(task.fields.get("records", 0))
        rate = records / elapsed if elapsed > 0 else 0.0
        return Text(f"{records:,} records, {rate:,.0f}/s")


class RichProgress:
    """On a terminal: a bar by input bytes (its ETA), records and records/s; text is printed above it."""

    def __init__(self, stream: IO[str], total_bytes: int | None, done_bytes: int = 0):
        self.console = Console(file=stream)
        self.progress = Progress(
            TextColumn("converting"),
            BarColumn(),
            TaskProgressColumn(),
            _RecordRate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("convert", total=total_bytes or None, completed=done_bytes, records=0)
        self.progress.start()

    def update(self, done_bytes: int, records: int) -> None:
        self.progress.update(self.task, completed=done_bytes, records=records)

    def write(self, text: str) -> None:
        self.console.print(Text(text), end="", soft_wrap=True)

    def close(self) -> None:
        self.progress.stop()
