"""What a batch run shows while it works and when it ends: a progress bar on a terminal (silent otherwise),
the run's counts, and the closing summary (a rich table on a terminal, plain text otherwise)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from .report import Report


@dataclass(slots=True)
class Stats:
    """Counts of a run (or of one chunk of it); kept in the checkpoint so a resumed run sums the whole job."""

    records: int = 0
    converted: int = 0
    failed: int = 0
    filtered: int = 0  # Stores orders --filter left out
    # The crosswalk's: identical copies left out, older versions left out, orders --state knows unchanged
    # (left out), and orders converted although another order has their number.
    duplicates: int = 0
    superseded: int = 0
    unchanged: int = 0
    numbers: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    fetch: dict[str, int] = field(default_factory=dict)  # orders with fields to fetch, by API: the calls to plan

    def add(self, other: Stats) -> None:
        self.records += other.records
        self.converted += other.converted
        self.failed += other.failed
        self.filtered += other.filtered
        self.duplicates += other.duplicates
        self.superseded += other.superseded
        self.unchanged += other.unchanged
        self.numbers += other.numbers
        for mine, theirs in ((self.kinds, other.kinds), (self.fetch, other.fetch)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    def count_crosswalk(self, reason: str) -> None:
        """One record the crosswalk left out or reported, under its reason (a counter's name)."""
        if reason in ("duplicates", "superseded", "unchanged", "numbers"):
            setattr(self, reason, getattr(self, reason) + 1)

    def count_report(self, report: Report) -> None:
        apis = set()
        for e in report.entries:
            self.kinds[e.kind] = self.kinds.get(e.kind, 0) + 1
            if e.fetch is not None:
                apis.add(e.fetch.get("api", "?"))
        for api in apis:  # one call per order and API, however many of its fields that call returns
            self.fetch[api] = self.fetch.get(api, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "converted": self.converted,
            "failed": self.failed,
            "filtered": self.filtered,
            "duplicates": self.duplicates,
            "superseded": self.superseded,
            "unchanged": self.unchanged,
            "numbers": self.numbers,
            "kinds": self.kinds,
            "fetch": self.fetch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        stats = cls(data["records"], data["converted"], data["failed"], data.get("filtered", 0))
        stats.kinds, stats.fetch = dict(data["kinds"]), dict(data["fetch"])
        for name in ("duplicates", "superseded", "unchanged", "numbers"):
            setattr(stats, name, int(data.get(name, 0)))
        return stats


def report_title(report: Report) -> str:
    if report.payload_kind == "query_orders_response":  # no order: the document around its orders
        return f"{report.source or ''}: the Query Orders response itself"
    dialect = f" ({report.dialect})" if report.dialect else ""
    return f"{report.source or ''} order {report.order_id or '(no id)'}: {report.payload_kind}{dialect}"


def report_plain(report: Report) -> str:
    """One order's report as text off a terminal (``render.report_text`` on a pipe or a file, and a batch's
    workers), written as it is: no rich Console, which costs as much as the conversion and would read
    emoji codes in the user's data."""
    title = report_title(report)
    if not report.entries:
        return f"{title}: every field carried\n"
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts().items()))
    lines = [f"{title}: {counts}\n"]
    for e in report.entries:
        row = f" [{e.row}]" if e.row else ""
        lines.append(f"  {e.kind:<14} {e.path}: {e.message}{row}\n")
    return "".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_text(stats: Stats, rejects: str | None = None, versions: str | None = None) -> str:
    where = f" (see {rejects})" if rejects and stats.failed else ""
    lines = [
        f"orders-migrate convert: {_plural(stats.records, 'record')} in, {stats.converted} converted, "
        f"{stats.failed} rejected{where}"
        + (f", {stats.filtered} left out by --filter" if stats.filtered else "")
        + "".join(f", {n} {what}" for what, n in crosswalk_counts(stats, counted=True))
        + "\n"
    ]
    if stats.kinds:
        lines.append("  report entries: " + ", ".join(f"{n} {k}" for k, n in sorted(stats.kinds.items())) + "\n")
    if stats.fetch:
        calls = ", ".join(f"{_plural(n, 'order')} from {api}" for api, n in sorted(stats.fetch.items()))
        lines.append(f"  to fetch: {calls}\n")
    if versions:
        lines.append(f"  written with: {versions}\n")
    return "".join(lines)


def crosswalk_counts(stats: Stats, counted: bool = False) -> list[tuple[str, int]]:
    """What the crosswalk did, as the summary words it (only what happened): as a table's headings, or
    ``counted`` after its number ("1 older version left out")."""
    counts = [
        ("identical duplicates left out", "identical duplicate left out", stats.duplicates),
        ("older versions left out", "older version left out", stats.superseded),
        ("unchanged orders skipped (--state)", "unchanged order skipped (--state)", stats.unchanged),
        ("orders with another order's number", "order with another order's number", stats.numbers),
    ]
    return [(one if counted and n == 1 else many, n) for many, one, n in counts if n]


def print_summary(stats: Stats, stream: IO[str], rejects: str | None = None, versions: str | None = None) -> None:
    """The closing summary: a rich table on a terminal, plain text otherwise."""
    if not _isatty(stream):
        stream.write(summary_text(stats, rejects, versions))
        return
    from .terminal import print_summary_table  # rich is imported only for a terminal

    print_summary_table(stats, stream, rejects, versions)


class BatchProgress(Protocol):
    def update(self, done_bytes: int, records: int) -> None: ...

    def write(self, text: str) -> None: ...

    def close(self) -> None: ...


class QuietProgress:
    """Off a terminal: no bar, text goes straight to the stream."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def update(self, done_bytes: int, records: int) -> None:
        pass

    def write(self, text: str) -> None:
        self.stream.write(text)

    def close(self) -> None:
        self.stream.flush()


def _isatty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


def make_progress(stream: IO[str], total_bytes: int | None, done_bytes: int = 0, enabled: bool = True) -> BatchProgress:
    """A rich bar when ``stream`` is a terminal (and the run wants one), else a silent pass-through."""
    if enabled and _isatty(stream):
        from .terminal import RichProgress  # rich is imported only for a terminal

        return RichProgress(stream, total_bytes, done_bytes)
    return QuietProgress(stream)
