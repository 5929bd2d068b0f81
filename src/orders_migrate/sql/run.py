"""``convert --from-sql URL --table T --column C --key K -o URL --to-table T2``: every row of a table's
JSON column converted by the file batch's own chunks and workers, written one row per order, one
transaction per chunk; stderr (errors, reports, progress, summary) as a file run writes it."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import orjson

from ..batch.chunks import ChunkResult, Options, Result
from ..batch.config import EXIT_BAD_INPUT, EXIT_SIGINT, EXIT_SIGTERM, EXIT_USAGE, BatchConfig
from ..batch.driver import Terminated
from ..batch.outputs import Outputs
from ..batch.summary import close_run
from ..batch.workers import ordered_map
from ..jsonio import dumps, loads
from ..outfiles import UsageError, WriteError
from ..progress import Stats, make_progress
from ..sources import DOC, Item, Position

if TYPE_CHECKING:  # SQLAlchemy is imported when a run starts, so a missing extra is a usage error
    from .sink import RejectsFile, ResumePoint, SqlSink
    from .source import Row, SqlSource


@dataclass(frozen=True)
class SqlJob:
    """Where a SQL run reads and writes; ``rejects_file`` instead of the rejects table ``T2_rejects``."""

    source_url: str
    table: str
    column: str
    key: str
    target_url: str
    to_table: str
    rejects_file: str | None = None

    @property
    def rejects_table(self) -> str | None:
        return None if self.rejects_file is not None else f"{self.to_table}_rejects"


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def run_sql(job: SqlJob, cfg: BatchConfig, stdout: IO[bytes] | None = None, stderr: IO[str] | None = None) -> int:
    """Run one SQL ``convert``; its exit code (0 all converted, 1 a record failed or the database failed
    part-way, 2 a usage error, 130/143 interrupted): committed chunks stay, ``--resume`` continues."""
    err = stderr if stderr is not None else sys.stderr
    outputs = Outputs(cfg, stdout if stdout is not None else sys.stdout.buffer, err)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    hint = ""
    try:
        try:
            from sqlalchemy.exc import SQLAlchemyError

            from .record import RunRecord, run_record
            from .sink import RejectsFile, SqlSink
            from .source import SqlError, SqlSource, connect, reason
        except ImportError as exc:
            raise UsageError(f"--from-sql needs SQLAlchemy ({exc}): pip install 'orders-migrate[sql]'") from None
        try:
            source = SqlSource(connect(job.source_url, "--from-sql", must_exist=True), job.table, job.column, job.key)
            same = job.target_url == job.source_url
            engine = source.engine if same else connect(job.target_url, "-o", must_exist=False)
            if same and job.to_table in (job.table, job.rejects_table):
                raise UsageError(f"--to-table {job.to_table}: it is the table being read")
            sink = SqlSink(engine, job.to_table, source.key, cfg.companions, job.rejects_table)
            point = sink.prepare(cfg.resume)
            record = RunRecord(engine, job.to_table)
            if point is None:
                record.write(run_record(cfg, job))
            else:
                record.check(run_record(cfg, job), job.to_table)
            if cfg.resume and point is None:
                outputs.note(f"nothing to resume in {job.to_table}: starting at the first row")
            elif point is not None:
                outputs.note(
                    f"resuming after {job.table} row {point.position} ({job.key} {point.key!r}): {point.orders} order(s) already in {job.to_table}"
                )
            rejects = RejectsFile(job.rejects_file, point is not None) if job.rejects_file is not None else None
            hint = " (the committed chunks are kept: run it again with --resume to continue)"
            try:
                return _convert(source, sink, rejects, point, cfg, outputs)
            finally:
                if rejects is not None:
                    rejects.close()
        except SqlError as exc:
            outputs.fail(f"{exc}{hint}")
            return EXIT_BAD_INPUT
        except SQLAlchemyError as exc:  # a query of the checks before the run, refused by the database
            outputs.fail(f"{job.table} -> {job.to_table}: the database failed: {reason(exc)}{hint}")
            return EXIT_BAD_INPUT
    except UsageError as exc:
        outputs.fail(str(exc))
        return EXIT_USAGE
    except BrokenProcessPool as exc:
        outputs.fail(f"a worker process died: {exc}{hint}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        outputs.fail(f"{'terminated' if isinstance(exc, Terminated) else 'interrupted'}{hint}")
        return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    except WriteError as exc:
        outputs.fail(f"{exc}{hint}")
        return EXIT_BAD_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _convert(
    source: SqlSource, sink: SqlSink, rejects: RejectsFile | None, point: ResumePoint | None, cfg: BatchConfig, outputs: Outputs
) -> int:
    opts = Options(
        cfg.locale,
        cfg.strict,
        cfg.kind,
        cfg.public_key,
        reports=True,  # the target's report column
        text=cfg.report == "text",
        failures=True,  # each failure as a JSON object: the rejects' errors
        validate=cfg.validate,
        plan=cfg.plan,
        order_filter=cfg.order_filter,
        companions=cfg.companions,
    )
    after = point.key if point is not None else None
    pages: deque[list[Row]] = deque()  # the rows of each chunk in flight, in order, as ordered_map returns them

    def chunks() -> Iterator[list[Item]]:
        for page in source.pages(after, point.position + 1 if point is not None else 1, cfg.chunk_records):
            pages.append(page)
            yield [
                Item(DOC, i, f"{source.name}:{row.key}", Position(), data=row.data, size=len(row.data))
                for i, row in enumerate(page)
            ]

    stats = Stats()
    total = source.count_after(after) if _isatty(outputs.stderr) else None
    stack = contextlib.ExitStack()
    done = 0
    try:
        results = ordered_map(chunks(), opts, cfg.jobs, stack)
        outputs.progress = make_progress(outputs.stderr, total, 0)
        for _, result in results:
            page = pages.popleft()
            _write_chunk(page, result, sink, rejects, cfg, outputs)
            stats.add(result.stats)
            done += len(page)
            outputs.progress.update(done, stats.records)
    finally:
        stack.close()
        outputs.progress.close()
    return close_run(outputs, stats, cfg)


def _write_chunk(
    page: list[Row], result: ChunkResult, sink: SqlSink, rejects: RejectsFile | None, cfg: BatchConfig, outputs: Outputs
) -> None:
    from .sink import ORDER, POSITION, RECORD, REJECT, REPORT
    from .source import key_json

    orders: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    lines: dict[bytes, list[bytes]] = {}
    for r in result.results:
        row = page[r.input]
        if r.out is not None:
            assert r.report is not None
            order = {sink.key: row.key, POSITION: row.position, ORDER: r.out.decode(), REPORT: r.report.decode()}
            if cfg.companions:
                order.update(_companions(r))
            orders.append(order)
        elif r.failure is not None:
            text = row.data.decode("utf-8", "backslashreplace")  # a BLOB that is not UTF-8 stays readable
            failed.append({sink.key: row.key, POSITION: row.position, REJECT: r.failure.decode(), RECORD: text})
            if rejects is not None:
                key = orjson.dumps(key_json(row.key))
                head = b'{"key":' + key + b',"position":' + str(row.position).encode() + b","
                lines.setdefault(key, []).append(head + r.failure[1:-1] + b',"text":' + dumps(text) + b"}")

    def before_commit() -> None:
        if rejects is not None and lines:
            for key, written in lines.items():
                rejects.add(key, written)
            rejects.sync()  # on disk before the rows that say this chunk is done
        for r in result.results:
            outputs.take(r)  # errors and reports on stderr; the test hook kills the run here, uncommitted

    sink.write(orders, failed, before_commit)


def _companions(r: Result) -> dict[str, Any]:
    """With --companions a converted Stores order came out as {"order", "orderWithFulfillments",
    "orderTransactions"}: each in its own column, the order written as it is without companions."""
    from .sink import COMPANIONS, ORDER

    assert r.out is not None and r.report is not None
    columns: dict[str, Any] = dict.fromkeys(COMPANIONS.values())
    if orjson.loads(r.report).get("payloadKind") != "stores_order":
        return columns  # an event or an eCommerce order passes as it came, alone
    doc = loads(r.out)
    columns[ORDER] = dumps(doc["order"]).decode()
    for name, column in COMPANIONS.items():
        if name in doc:
            columns[column] = dumps(doc[name]).decode()
    return columns


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())
