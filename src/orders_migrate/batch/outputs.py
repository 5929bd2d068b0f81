"""Where a run's results go: converted orders to stdout, a file or a folder; rejects and per-order reports
to their files; failures and notes to stderr (or into the one ``--report json`` document there). Files are
partial files until the run finishes; their sizes and counts are what a checkpoint records."""

from __future__ import annotations

import os
import signal
from pathlib import Path as FsPath
from typing import IO, Any

import orjson

from ..outfiles import StdoutClosed, UsageError, WriteError, display_name, is_stream
from ..progress import BatchProgress, make_progress
from ..sinks import AUTO, JSON, LINES, FileSink, StreamSink, partial_path, pretty
from ..sources import is_ndjson_name
from .chunks import Result, json_exact
from .config import KILL_AFTER_ENV, BatchConfig
from .folder_output import FolderOutput, check_partial
from .layout import Layout
from .state import journal_line


class Outputs:
    """The sinks of one run and what it has written to them."""

    def __init__(self, cfg: BatchConfig, stdout: IO[bytes], stderr: IO[str]):
        self.cfg, self.stdout, self.stderr = cfg, stdout, stderr
        self.folder: FolderOutput | None = None
        self.output: FileSink | StreamSink | None = None
        self.rejects: FileSink | None = None
        self.reports: FileSink | None = None
        self.journal: FileSink | None = None  # --state: the id and digest of each order converted (state.py)
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

    # -- messages

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

    # -- opening

    def open(self, layout: Layout, state: dict[str, Any] | None) -> None:
        """Open every sink: afresh, or (``state``, a checkpoint's) the partial files cut back to it."""
        cfg = self.cfg
        sinks = state["sinks"] if state else {}
        done = bool(state and state.get("done"))
        if layout.out_dir is not None:
            # A sniffed NDJSON file without the suffix counts as a document here: its name says JSON.
            self.folder = FolderOutput(layout.targets, [layout.doc_mode(i) for i in range(len(layout.inputs))])
            if state:
                self.folder.restore(sinks["output"])
        else:
            mode = {"ndjson": LINES, "json": JSON}.get(cfg.fmt, AUTO)
            if layout.out_path is not None:
                if mode == AUTO and is_ndjson_name(str(layout.out_path)):
                    mode = LINES  # out.ndjson holds one order a line, however many orders there are
                self.output = self._file_sink(layout.out_path, mode, sinks.get("output"), state is not None, done)
            else:
                self.output = StreamSink(self._write_stdout, mode)
        if layout.rejects_path is not None:
            self.rejects = self._file_sink(layout.rejects_path, LINES, sinks.get("rejects"), state is not None, done)
        if layout.reports_path is not None:
            reports_mode = LINES if is_ndjson_name(str(layout.reports_path)) else AUTO
            self.reports = self._file_sink(layout.reports_path, reports_mode, sinks.get("reports"), state is not None, done)
        if layout.journal_path is not None:
            self.journal = self._file_sink(layout.journal_path, LINES, sinks.get("journal"), state is not None, done)

    def _file_sink(self, target: FsPath, mode: str, state: dict[str, Any] | None, resuming: bool, done: bool) -> FileSink | None:
        if not resuming or is_stream(target):
            return FileSink(target, mode)
        if state is not None and partial_path(target).exists():
            check_partial(target, state)
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

    def flush_stdout(self) -> None:
        try:
            self.stdout.flush()
        except BrokenPipeError:
            raise StdoutClosed from None
        except OSError as exc:
            raise WriteError("<stdout>", exc) from None

    def file_sinks(self) -> list[FileSink]:
        return [s for s in (self.output, self.rejects, self.reports, self.journal) if isinstance(s, FileSink)]

    # -- what a checkpoint covers

    def sync(self) -> None:
        """Everything written so far on disk (fsync'd): what a checkpoint written next may count on."""
        for sink in self.file_sinks():
            sink.flush(sync=True)
        if self.folder is not None:
            self.folder.flush(sync=True)

    def state(self) -> dict[str, Any]:
        """How far each file goes, as a checkpoint records it."""
        sinks: dict[str, Any] = {}
        if self.folder is not None:
            sinks["output"] = self.folder.state()
        elif isinstance(self.output, FileSink):
            sinks["output"] = self.output.state()
        if self.rejects is not None:
            sinks["rejects"] = self.rejects.state()
        if self.reports is not None:
            sinks["reports"] = self.reports.state()
        if self.journal is not None:
            sinks["journal"] = self.journal.state()
        return sinks

    # -- results

    def take(self, result: Result) -> None:
        if result.end:
            if self.folder is not None:
                self.folder.end(result.input)
            return
        if result.notice is not None:
            self._notice(*result.notice)
        if result.envelope:
            self._envelope(result)
            return
        if result.left_out:
            if self.folder is not None:
                self.folder.left_out.add(result.input)
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
        if result.identity is not None and self.journal is not None:
            self.journal.add(journal_line(*result.identity))
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

    def _envelope(self, result: Result) -> None:
        """A document's own report (its Query Orders paging): in the reports as an order's, printed where
        ``--report text`` prints every order's; ``auto`` counts it in the summary only, as it does a batch's."""
        if result.report is not None:
            if self.reports is not None:
                self.reports.add(result.report)
            if self.json_reports is not None:
                self.json_reports.add(pretty(result.report).rstrip(b"\n"))
        if self.cfg.report == "text" and not self.cfg.quiet:
            self.progress.write(result.text)

    def _notice(self, source: str, line: int | None, path: str, message: str) -> None:
        """The crosswalk's word on a record, where its errors would be: a line, or an object of the JSON report."""
        if self.json_reports is not None:
            self.json_reports.add(_json({"source": source, "line": line, "path": path, "notice": message}))
        else:
            where = f"{source}:{line}" if line is not None else source
            self.progress.write(f"{where}::{path}: {message}\n")

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
        for sink in self.file_sinks():
            sink.flush()
        if self.folder is not None:
            self.folder.flush(sync=False)
        self.flush_stdout()
        os.kill(os.getpid(), signal.SIGKILL)

    # -- the end

    def finish(self, single_ok: bool) -> None:
        """Give every file its final shape and name."""
        if self.folder is not None:
            self.folder.finish_pending()
        if self.output is not None:
            self.output.finish(single_ok)
        if self.rejects is not None:
            self.rejects.finish(single_ok=False)
        if self.reports is not None:
            self.reports.finish(single_ok=True)

    def journal_bytes(self) -> bytes | None:
        """The journal as committed (None: no --state, or its state was already written by a run that
        was finishing when it stopped)."""
        if self.journal is None:
            return None
        self.journal.flush()
        try:
            with open(self.journal.partial, "rb") as f:
                return f.read(self.journal.size)
        except OSError as exc:
            raise WriteError(self.journal.target, exc) from None

    def drop_journal(self) -> None:
        if self.journal is not None:
            self.journal.discard()
            self.journal = None

    def close(self, keep: bool) -> None:
        """After the run or an error: close what is open. Partial files stay for --resume when a checkpoint
        covers them; otherwise nothing half-written is left behind."""
        for sink in self.file_sinks():
            sink.close() if keep else sink.discard()
        if self.folder is not None:
            self.folder.close() if keep else self.folder.discard()


def _json(doc: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json_exact(doc)
