"""Batch conversion at scale: inputs streamed in chunks, chunks converted by worker processes and written
back in input order, outputs built in partial files that a checkpoint commits after every chunk, so a run
killed part-way continues with ``resume=True`` and ends byte for byte as an uninterrupted run would.

Workers parse, convert and serialise; the parent only reads lines, writes bytes and keeps the checkpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path as FsPath
from typing import IO, Any

import orjson

from .convert import Conversion
from .convert import convert_parsed_order as convert_order  # records arrive parsed: never a text to parse again
from .money import DEFAULT_LOCALE
from .plan import default_plan
from .progress import BatchProgress, Stats, make_progress, print_summary, report_plain
from .reader import ReadError, Record, read_line, read_records
from .render import report_text
from .report import ConversionError, Entry, Problem, Report
from .sinks import AUTO, JSON, LINES, FileSink, StreamSink, partial_path, pretty
from .sources import END, LINE, Item, Position, expand_inputs, input_size, is_ndjson_name, read_items
from .webhooks import convert_parsed_webhook as convert_webhook  # as above
from .webhooks import detect_webhook, is_ecom_event, is_jwt

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
CHECKPOINT_VERSION = 1
CHUNK_RECORDS = 256
CHUNK_BYTES = 1 << 20
# Test hook: the parent kills itself with SIGKILL once it has written this many records (after writing
# them, before its next checkpoint), so a test can crash a run at an exact, repeatable point.
KILL_AFTER_ENV = "ORDERS_MIGRATE_KILL_AFTER"


# ---- one record, in a worker ------------------------------------------------------------------------


def convert_record(
    rec: Record,
    locale: str,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
    validate: bool = True,
) -> Conversion:
    """One record: a webhook body (named by ``kind``, its JWT eventType or its shape) becomes its
    eCommerce event; anything else is converted as an order (checked against the eCommerce model
    when ``validate`` or ``strict``)."""
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    payload = rec.payload
    if (
        kind not in (None, "order")
        or is_jwt(payload)
        or is_ecom_event(payload)
        or detect_webhook(payload, default_plan().webhooks)
    ):
        return convert_webhook(
            payload, kind=kind if kind != "order" else None, public_key=public_key, locale=locale, source=source
        )
    conversion = convert_order(payload, locale=locale, source=source, validate=validate or strict)
    if strict:
        from .models.validate import strict_problems

        problems = strict_problems(rec.payload, conversion.report)
        if problems:
            raise ConversionError(problems)
    return conversion


def write_decimal(value: object) -> object:
    """Non-money numbers read as Decimal (Velo input) are written back as JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _exact_decimal(value: object) -> object:
    # A rejected record is written back digit for digit: it is the user's own data.
    if isinstance(value, Decimal):
        fragment = getattr(orjson, "Fragment", None)
        return fragment(str(value)) if fragment is not None else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@dataclass(frozen=True, slots=True)
class Options:
    """What a worker needs to know, besides the items."""

    locale: str = DEFAULT_LOCALE
    strict: bool = False
    kind: str | None = None
    public_key: str | None = None
    reports: bool = False  # each order's report as compact JSON
    text: bool = False  # each order's report as plain text
    rejects: bool = False  # a rejects-file line for each failed record
    validate: bool = True  # check each converted order against the eCommerce model


@dataclass(slots=True)
class Result:
    """One record's outcome, or (``end``) the end of input number ``input``."""

    input: int
    out: bytes | None = None
    report: bytes | None = None
    text: str = ""
    errors: str = ""
    reject: bytes | None = None
    end: bool = False


@dataclass(slots=True)
class ChunkResult:
    results: list[Result] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)


def convert_chunk(items: list[Item], opts: Options) -> ChunkResult:
    """Parse, convert and serialise every record of ``items``; a bad record is a failed ``Result``, never
    an exception, so one bad order cannot stop a batch."""
    chunk = ChunkResult()
    for item in items:
        if item.kind == END:
            chunk.results.append(Result(item.input, end=True))
            continue
        if item.error is not None:
            _fail(chunk, opts, item, item.source, None, "$", None, [Problem("$", item.error)])
            continue
        if item.kind == LINE:
            assert item.data is not None and item.line is not None
            records = read_line(item.source, item.line, item.data, opts.kind)
        else:
            try:
                data = item.data if item.data is not None else FsPath(item.path or "").read_bytes()
            except OSError as exc:
                _fail(chunk, opts, item, item.source, None, "$", None, [Problem("$", f"cannot read: {exc.strerror or exc}")])
                continue
            records = read_records(item.path if item.path is not None else "-", data, opts.kind)
        try:
            for rec in records:
                if isinstance(rec, ReadError):
                    _fail(chunk, opts, item, rec.where(), rec.line, "$", None, [rec.problem])
                else:
                    _convert_one(chunk, opts, item, rec)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the batch or show a traceback
            where = f"{item.source}:{item.line}" if item.line is not None else item.source
            problem = Problem("$", f"internal error, please report it: {type(exc).__name__}: {exc}")
            _fail(chunk, opts, item, where, item.line, "$", None, [problem])
    return chunk


def _convert_one(chunk: ChunkResult, opts: Options, item: Item, rec: Record) -> None:
    try:
        conv = convert_record(rec, opts.locale, opts.strict, opts.kind, opts.public_key, opts.validate)
        out = orjson.dumps(conv.order, default=write_decimal, option=orjson.OPT_INDENT_2 if item.pretty else 0)
    except ConversionError as exc:
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, exc.prefixed(rec.prefix).problems)
        return
    except orjson.JSONEncodeError as exc:
        problem = Problem(rec.prefix, f"cannot write the converted record as JSON: {exc}")
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, [problem])
        return
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch or show a traceback
        problem = Problem(rec.prefix, f"internal error, please report it: {type(exc).__name__}: {exc}")
        _fail(chunk, opts, item, rec.where(), rec.line, rec.prefix, rec, [problem])
        return
    result = Result(item.input, out=out)
    if opts.reports:
        result.report = orjson.dumps(conv.report.to_dict())
    if opts.text:
        result.text = report_plain(conv.report)
    chunk.stats.records += 1
    chunk.stats.converted += 1
    chunk.stats.count_report(conv.report)
    chunk.results.append(result)


def _fail(
    chunk: ChunkResult,
    opts: Options,
    item: Item,
    where: str,
    line: int | None,
    prefix: str,
    rec: Record | None,
    problems: list[Problem],
) -> None:
    result = Result(item.input, errors="".join(f"{where}::{p.path}: {p.message}\n" for p in problems))
    if opts.rejects:
        result.reject = _reject_line(item, line, prefix, rec, problems)
    chunk.stats.records += 1
    chunk.stats.failed += 1
    chunk.results.append(result)


def _reject_line(item: Item, line: int | None, prefix: str, rec: Record | None, problems: list[Problem]) -> bytes:
    """The rejects-file line: where the record was, every problem with its ``$.path``, and the record as it
    was read (an NDJSON line that is not JSON is kept as ``raw`` text)."""
    doc: dict[str, Any] = {
        "source": item.source,
        "line": line,
        "path": prefix,
        "errors": [{"path": p.path, "message": p.message} for p in problems],
    }
    fragment = getattr(orjson, "Fragment", None)
    if rec is None:
        if item.kind == LINE and item.data is not None:
            doc["raw"] = item.data.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
        else:
            doc["record"] = None
    elif item.kind == LINE and prefix == "$" and item.data is not None and fragment is not None:
        doc["record"] = fragment(item.data.strip())  # the line as it was, byte for byte
    else:
        doc["record"] = rec.payload
    try:
        return orjson.dumps(doc, default=_exact_decimal)
    except orjson.JSONEncodeError:
        doc["record"] = None  # e.g. an integer beyond 64 bits: the errors still say where the record is
        return orjson.dumps(doc)


# ---- chunks and workers -----------------------------------------------------------------------------


def chunked(items: Iterator[Item], max_records: int, max_bytes: int) -> Iterator[list[Item]]:
    """Items in chunks of at most ``max_records`` records or about ``max_bytes`` bytes. An ``END`` item joins
    the chunk before it, so a checkpoint never falls between a document and the end of its input."""
    chunk: list[Item] = []
    records = size = 0
    for item in items:
        if item.kind != END and chunk and (records >= max_records or size >= max_bytes):
            yield chunk
            chunk, records, size = [], 0, 0
        chunk.append(item)
        if item.kind != END:
            records += 1
            size += item.size
    if chunk:
        yield chunk


def _warm(models: bool = True) -> None:
    """Build what every conversion needs (the plan, and the eCommerce models when outputs are validated)
    once, before the first order."""
    default_plan()
    if models:
        from .models.validate import invalid_entries

        invalid_entries({})


def _worker_init(parent_alive: Connection, inherited: int | None, models: bool = True) -> None:
    """Start a worker that exits as soon as the parent is gone: a parent killed with SIGKILL cannot stop
    its workers, which would otherwise wait on the task queue forever. ``inherited``: the parent's end of
    that pipe, which a forked worker holds too and must close, or it would keep the pipe open itself."""
    if inherited is not None:
        os.close(inherited)
    # Ctrl-C reaches the whole process group: the parent stops the pool and says how to resume.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), daemon=True).start()
    _warm(models)


def _exit_with_parent(parent_alive: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        parent_alive.recv()  # the parent never sends: this returns (EOF) when its end closes
    os._exit(1)


def _started() -> None:
    """A first task: submitting it makes the pool start its workers."""


class Workers:
    """Worker processes converting chunks. On Linux they are forked from a warmed-up parent, so they start
    with the plan and models built; they are started at once, while the parent runs a single thread (fork
    with threads can deadlock), i.e. before any progress bar. Elsewhere, or in a threaded program calling
    us as a library: forkserver (or spawn)."""

    def __init__(self, jobs: int, models: bool = True):
        methods = multiprocessing.get_all_start_methods()
        if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
            ctx: multiprocessing.context.BaseContext = multiprocessing.get_context("fork")
            _warm(models)
        elif "forkserver" in methods:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["orders_migrate.batch"])
        else:
            ctx = multiprocessing.get_context("spawn")
        self.alive_r, self.alive_w = ctx.Pipe(duplex=False)
        inherited = self.alive_w.fileno() if ctx.get_start_method() == "fork" else None
        self.pool = ProcessPoolExecutor(
            jobs, mp_context=ctx, initializer=_worker_init, initargs=(self.alive_r, inherited, models)
        )
        self.pool.submit(_started)
        self.jobs = jobs

    def map(
        self, chunks: Iterator[list[Item]], opts: Options, window: int | None = None
    ) -> Iterator[tuple[list[Item], ChunkResult]]:
        """``convert_chunk`` over ``chunks``, results in input order, at most ``window`` chunks in flight so
        memory stays flat on any input size."""
        limit = window or self.jobs * 2
        pending: deque[tuple[list[Item], Future[ChunkResult]]] = deque()
        for chunk in chunks:
            pending.append((chunk, self.pool.submit(convert_chunk, chunk, opts)))
            if len(pending) >= limit:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.alive_w.close()
        self.alive_r.close()


def ordered_map(
    chunks: Iterator[list[Item]], opts: Options, jobs: int, stack: contextlib.ExitStack, window: int | None = None
) -> Iterator[tuple[list[Item], ChunkResult]]:
    """``convert_chunk`` over ``chunks``, results in input order: in this process, or with ``jobs`` > 1 and
    more than one chunk in that many worker processes, started before this returns and stopped by ``stack``."""
    first = next(chunks, None)
    second = next(chunks, None) if jobs > 1 and first is not None else None
    if first is None or second is None:
        return ((chunk, convert_chunk(chunk, opts)) for chunk in _prepend([first] if first is not None else [], chunks))
    workers = Workers(jobs, models=opts.validate or opts.strict)
    stack.callback(workers.close)
    return workers.map(_prepend([first, second], chunks), opts, window)


def _prepend(head: list[list[Item]], rest: Iterator[list[Item]]) -> Iterator[list[Item]]:
    yield from head
    yield from rest


# ---- the run ----------------------------------------------------------------------------------------


class UsageError(Exception):
    """A command that cannot run as given (exit 2)."""


@dataclass
class BatchConfig:
    files: list[str]
    output: str | None = None
    report: str = "text"
    report_out: str | None = None
    fmt: str = "auto"
    locale: str = DEFAULT_LOCALE
    strict: bool = False
    kind: str | None = None
    public_key: str | None = None
    rejects: str | None = None
    jobs: int = 1
    resume: bool = False
    chunk_records: int = CHUNK_RECORDS
    chunk_bytes: int = CHUNK_BYTES
    validate: bool = True


class FolderOutput:
    """One output file per input, mirroring the inputs' names inside the output folder."""

    def __init__(self, targets: list[FsPath], modes: list[str]):
        self.targets, self.modes = targets, modes
        self.current: tuple[int, FileSink] | None = None
        self.pending: list[tuple[int, FileSink]] = []
        self.failed: set[int] = set()  # inputs with a failed record, in this run

    def _sink(self, index: int) -> FileSink:
        if self.current is None or self.current[0] != index:
            self.current = (index, FileSink(self.targets[index], self.modes[index]))
        return self.current[1]

    def add(self, index: int, item: bytes) -> None:
        self._sink(index).add(item)

    def end(self, index: int) -> None:
        if (self.current is None or self.current[0] != index) and index in self.failed:
            return  # nothing of this input converted: no output file, the errors say why
        self.pending.append((index, self._sink(index)))
        self.current = None

    def flush(self, sync: bool) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.flush(sync)

    def state(self) -> dict[str, Any]:
        current = None if self.current is None else {"input": self.current[0], **self.current[1].state()}
        return {"current": current, "pending": [{"input": i, **s.state()} for i, s in self.pending]}

    def restore(self, state: dict[str, Any]) -> None:
        for entry in state["pending"]:
            target = self.targets[entry["input"]]
            if partial_path(target).exists():
                FileSink(target, self.modes[entry["input"]], entry).finish(single_ok=False)
        current = state["current"]
        if current is not None:
            index = current["input"]
            if not partial_path(self.targets[index]).exists():
                raise UsageError(f"cannot resume: {partial_path(self.targets[index])} is missing")
            _check_partial(self.targets[index], current)
            self.current = (index, FileSink(self.targets[index], self.modes[index], current))

    def finish_pending(self) -> None:
        for _, sink in self.pending:
            sink.finish(single_ok=False)
        self.pending.clear()

    def close(self) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.close()


def _check_partial(target: FsPath, state: dict[str, Any]) -> None:
    if partial_path(target).stat().st_size < int(state["size"]):
        raise UsageError(f"cannot resume: {partial_path(target)} is shorter than its checkpoint says")


class Run:
    """One ``convert`` run over many inputs: reading, converting in order, writing, checkpointing."""

    def __init__(self, cfg: BatchConfig, stdout: IO[bytes], stderr: IO[str]):
        self.cfg, self.stdout, self.stderr = cfg, stdout, stderr
        self.stats = Stats()
        self.folder: FolderOutput | None = None
        self.output: FileSink | StreamSink | None = None
        self.rejects: FileSink | None = None
        self.reports: FileSink | None = None
        self.json_reports: StreamSink | None = None
        self.held_report: tuple[str, bytes] | None = None  # the first order's report, until a second shows up
        self.reported = 0
        self.written = 0
        kill = os.environ.get(KILL_AFTER_ENV, "")
        self.kill_after = int(kill) if kill.isdigit() else 0
        self.progress: BatchProgress = make_progress(stderr, None, enabled=False)
        self.checkpoint: FsPath | None = None

    # -- set-up

    def plan(self) -> None:
        cfg = self.cfg
        out = cfg.output
        self.out_dir = FsPath(out) if out and (out.endswith(("/", os.sep)) or FsPath(out).is_dir()) else None
        self.inputs = expand_inputs(cfg.files, exclude=self.out_dir)
        if cfg.resume and not out:
            raise UsageError("--resume needs --output: a run to stdout cannot be resumed")
        if cfg.resume and any(i.name == "-" for i in self.inputs):
            raise UsageError("--resume cannot read stdin again: name the input file")
        if self.out_dir is not None:
            if any(i.name == "-" for i in self.inputs):
                raise UsageError("an output folder needs named input files, not stdin")
            self.targets = [self.out_dir / i.rel for i in self.inputs]
            seen: dict[FsPath, str] = {}
            for inp, target in zip(self.inputs, self.targets, strict=True):
                if target in seen:
                    raise UsageError(f"{inp.name} and {seen[target]} would both be written to {target}")
                seen[target] = inp.name
            self.checkpoint = self.out_dir / ".orders-migrate.checkpoint"
        elif out:
            self.checkpoint = FsPath(out).with_name(f".{FsPath(out).name}.checkpoint")
        else:
            self.checkpoint = None

    def fingerprint(self) -> str:
        cfg = self.cfg
        key = hashlib.sha256(cfg.public_key.encode()).hexdigest() if cfg.public_key else None
        doc = [
            CHECKPOINT_VERSION,
            [i.name for i in self.inputs],
            cfg.output,
            cfg.fmt,
            cfg.locale,
            cfg.strict,
            cfg.validate,
            cfg.kind,
            key,
            cfg.report_out,
            cfg.rejects,
        ]
        return hashlib.sha256(orjson.dumps(doc)).hexdigest()

    def _doc_mode(self, index: int) -> str:
        """Folder output mirrors each input: NDJSON stays NDJSON, a JSON document stays one."""
        if self.cfg.fmt == "ndjson":
            return LINES
        if self.cfg.fmt == "json":
            return JSON
        return LINES if is_ndjson_name(self.inputs[index].name) else JSON

    def open_sinks(self, state: dict[str, Any] | None) -> None:
        cfg = self.cfg
        sinks = state["sinks"] if state else {}
        done = bool(state and state.get("done"))
        if self.out_dir is not None:
            # A sniffed NDJSON file without the suffix counts as a document here: its name says JSON.
            self.folder = FolderOutput(self.targets, [self._doc_mode(i) for i in range(len(self.inputs))])
            if state:
                self.folder.restore(sinks["output"])
        else:
            mode = {"ndjson": LINES, "json": JSON}.get(cfg.fmt, AUTO)
            if cfg.output:
                self.output = self._file_sink(FsPath(cfg.output), mode, sinks.get("output"), state is not None, done)
            else:
                self.output = StreamSink(self._write_stdout, mode)
        if cfg.rejects:
            self.rejects = self._file_sink(FsPath(cfg.rejects), LINES, sinks.get("rejects"), state is not None, done)
        if cfg.report_out:
            self.reports = self._file_sink(FsPath(cfg.report_out), AUTO, sinks.get("reports"), state is not None, done)
        if cfg.report == "json":
            self.json_reports = StreamSink(lambda b: self.progress.write(b.decode()), JSON)

    def _file_sink(self, target: FsPath, mode: str, state: dict[str, Any] | None, resuming: bool, done: bool) -> FileSink | None:
        if not resuming:
            return FileSink(target, mode)
        if state is not None and partial_path(target).exists():
            _check_partial(target, state)
            return FileSink(target, mode, state)
        if done:
            return None  # the run was finishing when it stopped, and this file was already renamed
        raise UsageError(f"cannot resume: {partial_path(target)} is missing")

    def _write_stdout(self, data: bytes) -> None:
        self.stdout.write(data)

    def _file_sinks(self) -> list[FileSink]:
        return [s for s in (self.output, self.rejects, self.reports) if isinstance(s, FileSink)]

    # -- checkpoint

    def load_checkpoint(self) -> dict[str, Any] | None:
        if self.checkpoint is None or not self.checkpoint.exists():
            return None
        if not self.cfg.resume:
            self.stderr.write(f"orders-migrate: starting over; {self.checkpoint} was left by an unfinished run (use --resume)\n")
            self.checkpoint.unlink()
            return None
        try:
            state: dict[str, Any] = orjson.loads(self.checkpoint.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise UsageError(f"cannot resume: {self.checkpoint} is unreadable ({exc})") from None
        if state.get("fingerprint") != self.fingerprint():
            raise UsageError(
                f"cannot resume: {self.checkpoint} was written by a different command (inputs or options differ); "
                "run it again without --resume to start over"
            )
        return state

    def commit(self, position: Position, done: bool = False) -> None:
        """Flush every partial file, then record how far they go: the commit point of the run."""
        if self.checkpoint is None:
            return
        for sink in self._file_sinks():
            sink.flush(sync=True)
        if self.folder is not None:
            self.folder.flush(sync=True)
        sinks: dict[str, Any] = {}
        if self.folder is not None:
            sinks["output"] = self.folder.state()
        elif isinstance(self.output, FileSink):
            sinks["output"] = self.output.state()
        if self.rejects is not None:
            sinks["rejects"] = self.rejects.state()
        if self.reports is not None:
            sinks["reports"] = self.reports.state()
        state = {
            "version": CHECKPOINT_VERSION,
            "fingerprint": self.fingerprint(),
            "position": [position.input, position.offset, position.line],
            "done": done,
            "stats": self.stats.to_dict(),
            "sinks": sinks,
        }
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.checkpoint)

    # -- results

    def take(self, result: Result) -> None:
        if result.end:
            if self.folder is not None:
                self.folder.end(result.input)
            return
        if result.errors:
            self.progress.write(result.errors)
            if self.folder is not None:
                self.folder.failed.add(result.input)
        if result.reject is not None and self.rejects is not None:
            self.rejects.add(result.reject)
        if result.out is None:
            return
        if self.folder is not None:
            self.folder.add(result.input, result.out)
        elif self.output is not None:
            self.output.add(result.out)
        if result.report is not None:
            if self.reports is not None:
                self.reports.add(result.report)
            if self.json_reports is not None:
                self.json_reports.add(pretty(result.report).rstrip(b"\n"))
        if self.cfg.report == "text":
            self._text_report(result)
        self.written += 1
        if self.kill_after and self.written >= self.kill_after:
            self._die()

    def _text_report(self, result: Result) -> None:
        self.reported += 1
        if self.reported == 1:
            self.held_report = (result.text, result.report or b"{}")
            return
        if self.held_report is not None:
            self.progress.write(self.held_report[0])
            self.held_report = None
        self.progress.write(result.text)

    def _die(self) -> None:
        for sink in self._file_sinks():
            sink.flush()
        if self.folder is not None:
            self.folder.flush(sync=False)
        self.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    # -- the whole run

    def execute(self) -> int:
        self.plan()
        state = self.load_checkpoint()
        if state is not None:
            self.stats = Stats.from_dict(state["stats"])
        start = Position(*state["position"]) if state else Position()
        if state is None and self.checkpoint is not None:
            self._clear_partials()
        self.open_sinks(state)
        cfg = self.cfg
        opts = Options(
            cfg.locale,
            cfg.strict,
            cfg.kind,
            cfg.public_key,
            reports=cfg.report in ("text", "json") or cfg.report_out is not None,
            text=cfg.report == "text",
            rejects=cfg.rejects is not None,
            validate=cfg.validate,
        )
        sizes = [input_size(i) for i in self.inputs]
        base = [0]
        for size in sizes:
            base.append(base[-1] + size)
        self._check_resume_position(start, sizes)
        stdout_tty = self.out_dir is None and not cfg.output and _isatty(self.stdout)
        total = base[-1] if all(i.name != "-" for i in self.inputs) else None
        done_bytes = base[min(start.input, len(self.inputs))] + start.offset
        stack = contextlib.ExitStack()
        try:
            if not (state and state.get("done")):
                items = read_items(self.inputs, start, self._pretty())
                chunks = chunked(items, cfg.chunk_records, cfg.chunk_bytes)
                results = ordered_map(chunks, opts, cfg.jobs, stack)
                self.progress = make_progress(self.stderr, total, done_bytes, enabled=not stdout_tty)
                position = start
                for chunk, result in results:
                    for r in result.results:
                        self.take(r)
                    self.stats.add(result.stats)
                    position = chunk[-1].after
                    self.commit(position)
                    if self.folder is not None:
                        self.folder.finish_pending()
                    self.progress.update(base[min(position.input, len(self.inputs))] + position.offset, self.stats.records)
                    if isinstance(self.output, StreamSink):
                        self.stdout.flush()  # a pipeline reading our stdout gets each chunk as it is done
                self.commit(position, done=True)
            self._finish()
        finally:
            stack.close()
            self.progress.close()
            self._close_files()
        return self._close()

    def _pretty(self) -> list[bool]:
        """Which inputs' orders go to a JSON document (indented) rather than to NDJSON lines."""
        if self.out_dir is not None:
            return [self._doc_mode(i) == JSON for i in range(len(self.inputs))]
        return [self.cfg.fmt == "json"] * len(self.inputs)

    def _check_resume_position(self, start: Position, sizes: list[int]) -> None:
        if start.input < len(self.inputs) and start.offset > sizes[start.input]:
            raise UsageError(f"cannot resume: {self.inputs[start.input].name} is shorter than when the checkpoint was written")

    def _clear_partials(self) -> None:
        """A fresh run: partial files of an abandoned earlier run are stale."""
        names = [self.cfg.rejects, self.cfg.report_out, None if self.out_dir is not None else self.cfg.output]
        targets = [FsPath(n) for n in names if n] + (self.targets if self.out_dir is not None else [])
        for target in targets:
            partial_path(target).unlink(missing_ok=True)

    def _close_files(self) -> None:
        """After an error: close what is open, leaving partial files and checkpoint for --resume."""
        for sink in self._file_sinks():
            sink.close()
        if self.folder is not None:
            self.folder.close()

    def _finish(self) -> None:
        single_ok = self.stats.converted == 1 and self.stats.failed == 0
        if self.folder is not None:
            self.folder.finish_pending()
        if self.output is not None:
            self.output.finish(single_ok)
        if self.rejects is not None:
            self.rejects.finish(single_ok=False)
        if self.reports is not None:
            self.reports.finish(single_ok=True)
        if self.checkpoint is not None:
            self.checkpoint.unlink(missing_ok=True)
        self.stdout.flush()

    def _close(self) -> int:
        err = self.stderr
        if self.json_reports is not None and self.json_reports.count:
            self.json_reports.finish(single_ok=True)
        if self.held_report is not None:
            report_text([_report_from_dict(orjson.loads(self.held_report[1]))], err)
        stats = self.stats
        if stats.records > 1 and self.cfg.report != "json":
            print_summary(stats, err, self.cfg.rejects)
        if stats.failed:
            err.write(f"{stats.failed} record(s) failed, {stats.converted} converted\n")
        err.flush()
        return EXIT_BAD_INPUT if stats.failed else EXIT_OK


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


def _report_from_dict(doc: dict[str, Any]) -> Report:
    entries = [Entry(e["kind"], e["path"], e["message"], e.get("row"), e.get("fetch")) for e in doc.get("entries", [])]
    return Report(doc["payloadKind"], doc.get("orderId"), doc.get("source"), entries, doc.get("dialect"), doc.get("verified"))


def run_batch(cfg: BatchConfig, stdout: IO[bytes] | None = None, stderr: IO[str] | None = None) -> int:
    """Run one ``convert``; return its exit code (0 all converted, 1 a record failed, 2 a usage error)."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    run = Run(cfg, out, err)
    try:
        return run.execute()
    except UsageError as exc:
        err.write(f"orders-migrate: {exc}\n")
        return EXIT_USAGE
    except BrokenProcessPool as exc:
        hint = " (run it again with --resume to continue)" if run.checkpoint is not None and run.checkpoint.exists() else ""
        err.write(f"orders-migrate: a worker process died: {exc}{hint}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        hint = " (run it again with --resume to continue)" if run.checkpoint is not None and run.checkpoint.exists() else ""
        err.write(f"orders-migrate: interrupted{hint}\n")
        return 130
    except OSError as exc:
        err.write(f"orders-migrate: {exc.filename or ''}: {exc.strerror or exc}\n")
        return EXIT_BAD_INPUT


__all__ = [
    "BatchConfig",
    "Options",
    "Result",
    "convert_chunk",
    "convert_record",
    "ordered_map",
    "run_batch",
    "write_decimal",
]
