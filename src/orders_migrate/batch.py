"""Batch conversion at scale: inputs streamed in chunks, chunks converted by worker processes and written
back in input order, outputs built in partial files that a checkpoint commits after every chunk, so a run
killed part-way continues with ``resume=True`` and ends byte for byte as an uninterrupted run would.

Workers parse, convert and serialise; the parent only reads lines, writes bytes and keeps the checkpoint.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
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
from .engine import Plan, default_plan
from .jsonio import dumps, number_text
from .money import DEFAULT_LOCALE
from .outfiles import (
    RunLock,
    StdoutClosed,
    UsageError,
    WriteError,
    display_name,
    is_stream,
    quiet_stdout,
    refuse_overwrites,
    write_target,
)
from .progress import BatchProgress, Stats, make_progress, print_summary, report_plain
from .reader import ReadError, Record, read_line, read_records
from .render import report_text
from .report import ConversionError, Entry, Problem, Report
from .route import route
from .sinks import AUTO, JSON, LINES, FileSink, StreamSink, partial_path, pretty
from .sources import END, GLOB_CHARS, LINE, Input, Item, Position, expand_inputs, input_size, is_ndjson_name, read_items
from .versions import data_versions, describe_versions, version_changes
from .webhooks import convert_parsed_webhook as convert_webhook  # as above
from .webhooks import refuse_unsigned

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
CHECKPOINT_VERSION = 2
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
    plan: Plan | None = None,
    companions: bool = False,
) -> Conversion:
    """One record: a webhook body (named by ``kind``, its JWT eventType or its shape) becomes its
    eCommerce event; anything else is converted as an order (checked against the eCommerce model
    when ``validate`` or ``strict``), by ``plan`` (the shipped table's by default); an order with its
    ``companions``."""
    source = rec.where() if rec.prefix == "$" else f"{rec.where()}::{rec.prefix}"
    payload = rec.payload
    refuse_unsigned(payload, public_key)
    routed = route(payload, plan, kind)
    if routed.event:
        # The body's webhook as the router recognised it, so the converter need not look again.
        named = routed.webhook.id if routed.webhook is not None else kind if kind != "order" else None
        return convert_webhook(payload, kind=named, public_key=public_key, locale=locale, source=source, plan=plan)
    conversion = convert_order(
        payload, locale=locale, source=source, validate=validate or strict, plan=plan, companions=companions
    )
    if strict:
        from .models.validate import strict_problems

        problems = strict_problems(rec.payload, conversion.report)
        if problems:
            raise ConversionError(problems)
    return conversion


def write_decimal(value: object) -> object:
    """An orjson ``default``: numbers read as Decimal are written back as the JSON numbers they were read as."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(number_text(value))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def json_exact(value: object) -> bytes:
    """JSON for any value the reader can produce, where orjson refuses it: an integer beyond 64 bits, a
    lone surrogate from a ``\\ud800`` escape, nesting deeper than orjson allows. Decimals are written
    digit for digit. Iterative, so any depth the reader accepted can be written back."""
    out: list[str] = []
    stack: list[object] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Token):
            out.append(v.text)
        elif isinstance(v, dict):
            stack.append(_Token("}"))
            pairs = list(v.items())
            for i in range(len(pairs) - 1, -1, -1):
                stack.append(pairs[i][1])
                stack.append(_Token(("," if i else "") + json.dumps(str(pairs[i][0])) + ":"))
            out.append("{")
        elif isinstance(v, (list, tuple)):
            stack.append(_Token("]"))
            for i in range(len(v) - 1, -1, -1):
                stack.append(v[i])
                if i:
                    stack.append(_Token(","))
            out.append("[")
        elif v is None or isinstance(v, bool):
            out.append(json.dumps(v))
        elif isinstance(v, int):
            out.append(str(int(v)))
        elif isinstance(v, Decimal):
            out.append(str(v))
        elif isinstance(v, float):
            out.append(json.dumps(v))
        else:
            out.append(json.dumps(str(v)))
    return "".join(out).encode()


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
    plan: Plan | None = None  # a user's own table (pickled as its text); None: the shipped one
    failures: bool = False  # each failed record as a JSON object (for --report json)
    companions: bool = False  # an order is written as {"order", "orderWithFulfillments", "orderTransactions"}


@dataclass(slots=True)
class Result:
    """One record's outcome, or (``end``) the end of input number ``input``."""

    input: int
    out: bytes | None = None
    report: bytes | None = None
    text: str = ""
    errors: str = ""
    reject: bytes | None = None
    failure: bytes | None = None  # the errors as one JSON object (--report json)
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
            records = read_records(item.path if item.path is not None else "-", data, opts.kind, item.source)
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
        conv = convert_record(
            rec, opts.locale, opts.strict, opts.kind, opts.public_key, opts.validate, opts.plan, opts.companions
        )
        # An event already holds what it carries: only an order is written with its companions.
        written = (
            {"order": conv.order, **conv.companions}
            if opts.companions and conv.report.payload_kind != "ecom_event"
            else conv.order
        )
        out = dumps(written, option=orjson.OPT_INDENT_2 if item.pretty else 0)  # every number as it was read
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
    if opts.failures:
        doc = {
            "source": item.source,
            "line": line,
            "path": prefix,
            "errors": [{"path": p.path, "message": p.message} for p in problems],
        }
        try:
            result.failure = orjson.dumps(doc)
        except TypeError:  # a lone surrogate quoted in a message
            result.failure = json_exact(doc)
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
        return dumps(doc)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, nesting deeper than orjson writes
        if rec is not None:
            doc["record"] = rec.payload
        return json_exact(doc)


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
    # Ctrl-C reaches the whole process group: the parent stops the pool and says how to resume. A forked
    # worker would inherit the parent's SIGTERM handler, which belongs to the parent's run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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


@dataclass
class BatchConfig:
    files: list[str]
    output: str | None = None
    report: str = "auto"  # auto: one order's entries, a batch's summary; text: every order's entries
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
    plan: Plan | None = None  # --mappings: a user's own table
    quiet: bool = False  # only the errors of failed records on stderr
    companions: bool = False  # each order with its companion objects (see Options.companions)


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

    def discard(self) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.discard()


def _check_partial(target: FsPath, state: dict[str, Any]) -> None:
    if partial_path(target).stat().st_size < int(state["size"]):
        raise UsageError(f"cannot resume: {display_name(str(partial_path(target)))} is shorter than its checkpoint says")


HASH_BLOCK = 1 << 20


class InputDigests:
    """What the run has read of each input, so ``--resume`` can tell whether an input changed since: its
    size and mtime, and the sha256 of its bytes up to where the checkpoint stands (all of them, for an
    input done). Bytes are hashed once, as checkpoints pass them."""

    def __init__(self, inputs: list[Input]):
        self.inputs = inputs
        self.entries: list[dict[str, Any] | None] = []  # one per input done
        self.index = self.offset = 0
        self.hash = hashlib.sha256()
        self.unreadable = False

    def advance(self, position: Position) -> None:
        while self.index < min(position.input, len(self.inputs)):
            self._read_to(None)
            self.entries.append(self._entry())
            self.index, self.offset, self.hash, self.unreadable = self.index + 1, 0, hashlib.sha256(), False
        if self.index == position.input < len(self.inputs):
            self._read_to(position.offset)

    def _read_to(self, end: int | None) -> None:
        name = self.inputs[self.index].name
        if name == "-" or self.unreadable or (end is not None and end <= self.offset):
            return
        if is_stream(name):
            self.unreadable = True  # a pipe cannot be read twice, nor resumed
            return
        try:
            f = open(name, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self.unreadable = True  # the run reported it as a failed record; nothing of it was used
            return
        with f:
            f.seek(self.offset)
            while end is None or self.offset < end:
                block = f.read(HASH_BLOCK if end is None else min(HASH_BLOCK, end - self.offset))
                if not block:
                    break
                self.hash.update(block)
                self.offset += len(block)

    def _entry(self) -> dict[str, Any] | None:
        name = self.inputs[self.index].name
        if name == "-" or self.unreadable:
            return None
        try:
            st = os.stat(name)
        except OSError:
            return None
        return {
            "name": self.inputs[self.index].source,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "read": self.offset,
            "sha256": self.hash.hexdigest(),
        }

    def state(self) -> list[dict[str, Any] | None]:
        return self.entries + ([self._entry()] if self.index < len(self.inputs) else [])

    @classmethod
    def verified(cls, inputs: list[Input], recorded: Any, position: Position) -> InputDigests:
        """The digests of a resumed run, after checking every input read so far is as the checkpoint saw
        it; ``UsageError`` names the first that changed."""
        if not isinstance(recorded, list) or len(recorded) != min(position.input + 1, len(inputs)):
            raise UsageError("cannot resume: the checkpoint does not describe its inputs; run it again without --resume")
        for inp, entry in zip(inputs, recorded, strict=False):
            if entry is None:
                continue
            try:
                st = os.stat(inp.name)
            except OSError as exc:
                raise UsageError(f"cannot resume: {inp.source} changed since the checkpoint: {exc.strerror}") from None
            if (st.st_size, st.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
                raise UsageError(
                    f"cannot resume: {inp.source} changed since the checkpoint (size {entry['size']} -> {st.st_size} "
                    "bytes, or its modification time); run it again without --resume to start over"
                )
        digests = cls(inputs)
        digests.advance(position)
        for inp, entry, now in zip(inputs, recorded, digests.state(), strict=False):
            if entry is not None and (now is None or (now["read"], now["sha256"]) != (entry["read"], entry["sha256"])):
                raise UsageError(
                    f"cannot resume: {inp.source} changed since the checkpoint: its first {entry['read']} bytes are "
                    "not the ones already converted; run it again without --resume to start over"
                )
        return digests


class Terminated(KeyboardInterrupt):
    """SIGTERM: stopped like Ctrl-C, so files are closed, the lock freed and the checkpoint kept."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


class Run:
    """One ``convert`` run over many inputs: reading, converting in order, writing, checkpointing."""

    def __init__(self, cfg: BatchConfig, stdout: IO[bytes], stderr: IO[str]):
        self.cfg, self.stdout, self.stderr = cfg, stdout, stderr
        self.stats = Stats()
        self.folder: FolderOutput | None = None
        self.output: FileSink | StreamSink | None = None
        self.rejects: FileSink | None = None
        self.reports: FileSink | None = None
        # --report json: every report, failed record and note goes into this one JSON document on stderr.
        self.json_reports: StreamSink | None = None
        if cfg.report == "json":
            self.json_reports = StreamSink(lambda b: self.progress.write(b.decode()), JSON)
        self.held_report: tuple[str, bytes] | None = None  # the first order's report, until a second shows up
        self.reported = 0
        self.written = 0
        kill = os.environ.get(KILL_AFTER_ENV, "")
        self.kill_after = int(kill) if kill.isdigit() else 0
        self.progress: BatchProgress = make_progress(stderr, None, enabled=False)
        self.checkpoint: FsPath | None = None
        self.locks: list[RunLock] = []
        self.digests: InputDigests | None = None

    # -- set-up

    def plan(self) -> None:
        cfg = self.cfg
        out = cfg.output
        self.out_dir = FsPath(out) if out and (out.endswith(("/", os.sep)) or FsPath(out).is_dir()) else None
        self.inputs = expand_inputs(cfg.files, exclude=self.out_dir)
        for inp in self.inputs:
            if inp.name != "-" and not os.path.exists(inp.name):
                what = "no file matches" if GLOB_CHARS & set(inp.name) else "no such file"
                raise UsageError(f"{inp.source}: {what}")
            if inp.name != "-" and os.path.isdir(inp.name):  # a folder with nothing to convert, like a missing file
                raise UsageError(f"{inp.source}: no .json, .ndjson or .jsonl file in this folder")
        # A device or pipe given as -o is written like stdout: straight, no checkpoint, no resume.
        self.out_stream = bool(out) and self.out_dir is None and is_stream(str(out))
        if cfg.resume and (not out or self.out_stream):
            raise UsageError("--resume needs --output: a run to stdout cannot be resumed")
        if cfg.resume and any(i.name == "-" for i in self.inputs):
            raise UsageError("--resume cannot read stdin again: name the input file")
        self.out_path = write_target(out) if out and self.out_dir is None else None
        self.rejects_path = write_target(cfg.rejects) if cfg.rejects else None
        self.reports_path = write_target(cfg.report_out) if cfg.report_out else None
        outputs: list[tuple[str, FsPath | str]] = []
        if self.out_dir is not None:
            if self.out_dir.exists() and not self.out_dir.is_dir():
                raise UsageError(f"-o {display_name(str(out))}: {display_name(str(self.out_dir))} is a file, not a folder")
            if any(i.name == "-" for i in self.inputs):
                raise UsageError("an output folder needs named input files, not stdin")
            self.targets = [write_target(self.out_dir / i.rel) for i in self.inputs]
            shown = display_name(str(out))
            outputs += [(f"-o {shown} (as {display_name(str(t))})", t) for t in self.targets]
            self.checkpoint = self.out_dir / ".orders-migrate.checkpoint"
        elif self.out_path is not None:
            outputs.append((f"-o {display_name(str(out))}", str(out)))
            self.checkpoint = None if self.out_stream else _beside(self.out_path, "checkpoint")
        else:
            self.checkpoint = None
        if cfg.rejects:
            outputs.append((f"--rejects {display_name(cfg.rejects)}", cfg.rejects))
        if cfg.report_out:
            outputs.append((f"--report-out {display_name(cfg.report_out)}", cfg.report_out))
        refuse_overwrites([i.name for i in self.inputs], outputs)
        if self.out_dir is not None:
            seen: dict[FsPath, str] = {}
            for inp, target in zip(self.inputs, self.targets, strict=True):
                if target in seen:
                    raise UsageError(f"{inp.source} and {seen[target]} would both be written to {display_name(str(target))}")
                seen[target] = inp.source

    def lock(self) -> None:
        """One lock per output (a folder has one for all of it), taken before anything is written."""
        guarded: list[tuple[FsPath, str]] = []
        if self.out_dir is not None:
            guarded.append((self.out_dir / ".orders-migrate.lock", str(self.out_dir)))
        for path in (self.out_path, self.rejects_path, self.reports_path):
            if path is not None and not is_stream(path):
                guarded.append((_beside(path, "lock"), str(path)))
        for lock_path, what in guarded:
            try:
                lock_path.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError:  # a part of the folder's path is a file
                raise WriteError(what, os.strerror(errno.ENOTDIR)) from None
            except OSError as exc:
                raise WriteError(what, exc) from None
            lock = RunLock(lock_path, what, self.note)
            lock.acquire()
            self.locks.append(lock)

    def unlock(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks.clear()

    def note(self, text: str) -> None:
        """Something the user should know that is not a record's outcome."""
        if self.json_reports is not None:
            self.json_reports.add(_json({"note": text}))
        else:
            self.stderr.write(f"orders-migrate: {text}\n")

    def fail(self, text: str) -> None:
        """The last word of a run that stopped: inside the JSON report when one was started."""
        if self.json_reports is not None and self.json_reports.count:
            self.json_reports.add(_json({"error": text}))
            self.json_reports.finish(single_ok=True)
            self.json_reports = None
        else:
            self.stderr.write(f"orders-migrate: {text}\n")
        self.stderr.flush()

    def _table_text(self) -> str | None:
        return self.cfg.plan.table.text if self.cfg.plan is not None else None

    def fingerprint(self) -> str:
        cfg = self.cfg
        key = hashlib.sha256(cfg.public_key.encode()).hexdigest() if cfg.public_key else None
        doc = [
            CHECKPOINT_VERSION,
            [i.source for i in self.inputs],
            display_name(cfg.output or ""),
            cfg.fmt,
            cfg.locale,
            cfg.strict,
            cfg.validate,
            cfg.kind,
            key,
            display_name(cfg.report_out or ""),
            display_name(cfg.rejects or ""),
        ]
        if cfg.companions:  # resuming with or without them would mix two shapes in one output
            doc.append("companions")
        if cfg.plan is not None:  # resuming with another table would mix two conversions in one output
            doc.append(hashlib.sha256(cfg.plan.table.text.encode()).hexdigest())
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
            if self.out_path is not None:
                self.output = self._file_sink(self.out_path, mode, sinks.get("output"), state is not None, done)
            else:
                self.output = StreamSink(self._write_stdout, mode)
        if self.rejects_path is not None:
            self.rejects = self._file_sink(self.rejects_path, LINES, sinks.get("rejects"), state is not None, done)
        if self.reports_path is not None:
            self.reports = self._file_sink(self.reports_path, AUTO, sinks.get("reports"), state is not None, done)

    def _file_sink(self, target: FsPath, mode: str, state: dict[str, Any] | None, resuming: bool, done: bool) -> FileSink | None:
        if not resuming or is_stream(target):
            return FileSink(target, mode)
        if state is not None and partial_path(target).exists():
            _check_partial(target, state)
            return FileSink(target, mode, state)
        if done:
            return None  # the run was finishing when it stopped, and this file was already renamed
        raise UsageError(f"cannot resume: {display_name(str(partial_path(target)))} is missing")

    def _write_stdout(self, data: bytes) -> None:
        try:
            self.stdout.write(data)
        except BrokenPipeError:
            raise StdoutClosed from None
        except OSError as exc:
            raise WriteError("<stdout>", exc) from None

    def _flush_stdout(self) -> None:
        try:
            self.stdout.flush()
        except BrokenPipeError:
            raise StdoutClosed from None
        except OSError as exc:
            raise WriteError("<stdout>", exc) from None

    def _file_sinks(self) -> list[FileSink]:
        return [s for s in (self.output, self.rejects, self.reports) if isinstance(s, FileSink)]

    # -- checkpoint

    def load_checkpoint(self) -> dict[str, Any] | None:
        if self.checkpoint is None or not self.checkpoint.exists():
            return None
        shown = display_name(str(self.checkpoint))
        if not self.cfg.resume:
            self.note(f"starting over; {shown} was left by an unfinished run (use --resume)")
            self.checkpoint.unlink()
            return None
        try:
            state: dict[str, Any] = orjson.loads(self.checkpoint.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise UsageError(f"cannot resume: {shown} is unreadable ({exc})") from None
        if state.get("version") != CHECKPOINT_VERSION:
            raise UsageError(
                f"cannot resume: {shown} was written by another version of orders-migrate; run it again without --resume"
            )
        changed = version_changes(state.get("versions") or {}, data_versions(self._table_text()))
        if changed:
            # The first part of the output was written under other data (another CLDR formats amounts
            # otherwise): resuming would mix two migrations in one file.
            raise UsageError(
                f"cannot resume: {shown} was written under other versions ({'; '.join(changed)}); "
                "run it again without --resume to start over"
            )
        if state.get("fingerprint") != self.fingerprint():
            raise UsageError(
                f"cannot resume: {shown} was written by a different command (inputs or options differ); "
                "run it again without --resume to start over"
            )
        self.digests = InputDigests.verified(self.inputs, state.get("inputs"), Position(*state["position"]))
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
        if self.digests is None:
            self.digests = InputDigests(self.inputs)
        self.digests.advance(position)
        state = {
            "version": CHECKPOINT_VERSION,
            "fingerprint": self.fingerprint(),
            "versions": data_versions(self._table_text()),
            "position": [position.input, position.offset, position.line],
            "inputs": self.digests.state(),
            "done": done,
            "stats": self.stats.to_dict(),
            "sinks": sinks,
        }
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.checkpoint)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise WriteError(self.checkpoint, exc) from None
        except BaseException:  # Ctrl-C or SIGTERM in the middle: the last checkpoint still stands
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    # -- results

    def take(self, result: Result) -> None:
        if result.end:
            if self.folder is not None:
                self.folder.end(result.input)
            return
        if result.errors:
            if self.json_reports is not None and result.failure is not None:
                self.json_reports.add(pretty(result.failure).rstrip(b"\n"))
            else:
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
        if self.cfg.report in ("text", "auto") and not self.cfg.quiet:
            self._text_report(result)
        self.written += 1
        if self.kill_after and self.written >= self.kill_after:
            self._die()

    def _text_report(self, result: Result) -> None:
        """One order's report is printed at the end (a table on a terminal); in a batch, ``text`` prints every
        order's as it comes, ``auto`` none: 9 lines an order would bury the summary and slow the run."""
        self.reported += 1
        if self.reported == 1:
            self.held_report = (result.text, result.report or b"{}")
            return
        if self.held_report is not None:
            if self.cfg.report == "text":
                self.progress.write(self.held_report[0])
            self.held_report = None
        if self.cfg.report == "text":
            self.progress.write(result.text)

    def _die(self) -> None:
        for sink in self._file_sinks():
            sink.flush()
        if self.folder is not None:
            self.folder.flush(sync=False)
        self._flush_stdout()
        os.kill(os.getpid(), signal.SIGKILL)

    # -- the whole run

    def execute(self) -> int:
        self.plan()
        try:
            self.lock()
            return self._execute()
        finally:
            self.unlock()

    def _execute(self) -> int:
        state = self.load_checkpoint()
        if state is not None:
            self.stats = Stats.from_dict(state["stats"])
        start = Position(*state["position"]) if state else Position()
        if state is None and self.checkpoint is not None:
            self._clear_partials()
        cfg = self.cfg
        opts = Options(
            cfg.locale,
            cfg.strict,
            cfg.kind,
            cfg.public_key,
            reports=(cfg.report in ("text", "json", "auto") and not cfg.quiet) or cfg.report_out is not None,
            text=cfg.report == "text",
            rejects=cfg.rejects is not None,
            validate=cfg.validate,
            plan=cfg.plan,
            failures=cfg.report == "json",
            companions=cfg.companions,
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
        finished = False
        try:
            self.open_sinks(state)
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
                        self._flush_stdout()  # a pipeline reading our stdout gets each chunk as it is done
                self.commit(position, done=True)
            self._finish()
            finished = True
        finally:
            stack.close()
            self.progress.close()
            self._close_files(keep=finished or self.resumable())
        return self._close()

    def resumable(self) -> bool:
        return self.checkpoint is not None and self.checkpoint.exists()

    def _pretty(self) -> list[bool]:
        """Which inputs' orders go to a JSON document (indented) rather than to NDJSON lines."""
        if self.out_dir is not None:
            return [self._doc_mode(i) == JSON for i in range(len(self.inputs))]
        return [self.cfg.fmt == "json"] * len(self.inputs)

    def _check_resume_position(self, start: Position, sizes: list[int]) -> None:
        if start.input < len(self.inputs) and start.offset > sizes[start.input]:
            raise UsageError(f"cannot resume: {self.inputs[start.input].source} is shorter than when the checkpoint was written")

    def _clear_partials(self) -> None:
        """A fresh run: partial files of an abandoned earlier run are stale (the lock says no run owns them)."""
        names = [self.rejects_path, self.reports_path, self.out_path]
        targets = [n for n in names if n is not None] + (self.targets if self.out_dir is not None else [])
        for target in targets:
            if not is_stream(target):
                partial_path(target).unlink(missing_ok=True)

    def _close_files(self, keep: bool) -> None:
        """After the run or an error: close what is open. Partial files stay for --resume when a checkpoint
        covers them; otherwise nothing half-written is left behind."""
        for sink in self._file_sinks():
            sink.close() if keep else sink.discard()
        if self.folder is not None:
            self.folder.close() if keep else self.folder.discard()

    def _finish(self) -> None:
        single_ok = self.stats.converted == 1 and self.stats.failed == 0
        for lock in self.locks:
            if not lock.ours():
                raise WriteError(lock.path, "the lock was removed while the run held it; outputs left unfinished")
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
            # Left only if a run was killed while writing it; every later checkpoint replaces it.
            self.checkpoint.with_name(self.checkpoint.name + ".tmp").unlink(missing_ok=True)
        self._flush_stdout()

    def _close(self) -> int:
        err = self.stderr
        if self.json_reports is not None and self.json_reports.count:
            self.json_reports.finish(single_ok=True)
            self.json_reports = None
        if self.held_report is not None:
            report_text([_report_from_dict(orjson.loads(self.held_report[1]))], err)
        stats = self.stats
        summary = stats.records > 1 and self.cfg.report != "json" and not self.cfg.quiet
        if summary:  # its first line counts the rejected records: one closing line, not two
            print_summary(stats, err, self.cfg.rejects, describe_versions(data_versions(self._table_text())))
        elif stats.failed and self.cfg.report != "json" and not self.cfg.quiet:  # the JSON document holds each failure
            err.write(f"{stats.failed} record(s) failed, {stats.converted} converted\n")
        err.flush()
        return EXIT_BAD_INPUT if stats.failed else EXIT_OK


def _beside(target: FsPath, what: str) -> FsPath:
    """The run's own file beside an output: ``.NAME.checkpoint``, ``.NAME.lock``."""
    return target.with_name(f".{target.name}.{what}")


def _json(doc: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json_exact(doc)


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


def _report_from_dict(doc: dict[str, Any]) -> Report:
    entries = [Entry(e["kind"], e["path"], e["message"], e.get("row"), e.get("fetch")) for e in doc.get("entries", [])]
    return Report(doc["payloadKind"], doc.get("orderId"), doc.get("source"), entries, doc.get("dialect"), doc.get("verified"))


EXIT_SIGPIPE, EXIT_SIGINT, EXIT_SIGTERM = 141, 130, 143


def run_batch(cfg: BatchConfig, stdout: IO[bytes] | None = None, stderr: IO[str] | None = None) -> int:
    """Run one ``convert``; return its exit code (0 all converted, 1 a record failed or an output could not
    be written, 2 a usage error, 130/143 interrupted, 141 stdout closed by its reader)."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    run = Run(cfg, out, err)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run.execute()
    except UsageError as exc:
        run.fail(str(exc))
        return EXIT_USAGE
    except (StdoutClosed, BrokenPipeError):
        if stdout is None:
            quiet_stdout()
        return EXIT_SIGPIPE
    except BrokenProcessPool as exc:
        run.fail(f"a worker process died: {exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        run.fail(f"{'terminated' if isinstance(exc, Terminated) else 'interrupted'}{_resume_hint(run)}")
        return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    except WriteError as exc:
        run.fail(f"{exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{display_name(str(exc.filename))}: " if exc.filename else ""
        run.fail(f"{where}{exc.strerror or exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _resume_hint(run: Run) -> str:
    if run.resumable():
        return " (the partial files and checkpoint are kept: run it again with --resume to continue)"
    return ""


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
