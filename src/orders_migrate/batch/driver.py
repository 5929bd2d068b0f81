"""One ``convert`` run from start to end: its files laid out and locked, the checkpoint loaded when
resuming, chunks converted (by worker processes with ``jobs`` > 1) and written in input order, a
checkpoint committed at its cadence, at the end and when the run is stopped, then the summary. And
``run_batch``, which turns every way a run can end into its exit code and one message."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import IO, Any

from ..outfiles import RunLock, StdoutClosed, UsageError, WriteError, display_name, is_stream, quiet_stdout
from ..progress import Stats, make_progress
from ..sinks import StreamSink
from ..sources import Item, Position, input_size, read_items
from .checkpoint import Cadence, Checkpoint, Mark
from .chunks import ChunkResult, Options, chunked
from .config import CHECKPOINT_FILES, EXIT_BAD_INPUT, EXIT_SIGINT, EXIT_SIGPIPE, EXIT_SIGTERM, EXIT_USAGE, BatchConfig
from .crosswalk import Crosswalk, decide, scan
from .layout import Layout
from .outputs import Outputs
from .state import RunState
from .summary import close_run
from .workers import ordered_map


class Terminated(KeyboardInterrupt):
    """SIGTERM: stopped like Ctrl-C, so files are closed, the lock freed and the checkpoint kept."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


class Run:
    """One ``convert`` run over many inputs: reading, converting in order, writing, checkpointing."""

    def __init__(self, cfg: BatchConfig, stdout: IO[bytes], stderr: IO[str]):
        self.cfg = cfg
        self.outputs = Outputs(cfg, stdout, stderr)
        self.stats = Stats()
        self.checkpoint: Checkpoint | None = None
        self.locks: list[RunLock] = []
        self.mark: Mark | None = None  # where the last whole chunk left the run, until a checkpoint records it
        self.committing = False
        self.run_state: RunState | None = None

    def execute(self) -> int:
        layout = Layout(self.cfg)
        if layout.checkpoint is not None:
            self.checkpoint = Checkpoint(layout.checkpoint, self.cfg, layout.inputs)
        try:
            self.lock(layout)
            return self._execute(layout)
        finally:
            self.unlock()

    def lock(self, layout: Layout) -> None:
        """Every output's lock, taken before anything is written."""
        for lock_path, what in layout.guarded():
            try:
                lock_path.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError:  # a part of the folder's path is a file
                raise WriteError(what, os.strerror(errno.ENOTDIR)) from None
            except OSError as exc:
                raise WriteError(what, exc) from None
            lock = RunLock(lock_path, what, self.outputs.note)
            lock.acquire()
            self.locks.append(lock)

    def unlock(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks.clear()

    def resumable(self) -> bool:
        return self.checkpoint is not None and self.checkpoint.exists()

    def _execute(self, layout: Layout) -> int:
        cfg, outputs, inputs = self.cfg, self.outputs, layout.inputs
        state = self.checkpoint.load(outputs.note) if self.checkpoint is not None else None
        if state is not None:
            self.stats = Stats.from_dict(state["stats"])
        start = Position(*state["position"]) if state else Position()
        if state is None and self.checkpoint is not None:
            layout.clear_partials()
        crosswalk = self._crosswalk(layout, state)
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
            order_filter=cfg.order_filter,
            companions=cfg.companions,
            identities=self.run_state is not None,
        )
        sizes = [input_size(i) for i in inputs]
        base = [0]
        for size in sizes:
            base.append(base[-1] + size)
        if start.input < len(inputs) and start.offset > sizes[start.input]:
            raise UsageError(f"cannot resume: {inputs[start.input].source} is shorter than when the checkpoint was written")
        stdout_tty = layout.out_dir is None and not cfg.output and _isatty(outputs.stdout)
        total = base[-1] if all(i.name != "-" for i in inputs) else None
        stack = contextlib.ExitStack()
        finished = False
        try:
            outputs.open(layout, state)
            if not (state and state.get("done")):
                items = read_items(inputs, start, layout.pretty())
                chunks = chunked(crosswalk.annotate(items) if crosswalk else items, cfg.chunk_records, cfg.chunk_bytes)
                results = ordered_map(chunks, opts, cfg.jobs, stack)
                done_bytes = base[min(start.input, len(inputs))] + start.offset
                outputs.progress = make_progress(outputs.stderr, total, done_bytes, enabled=not stdout_tty)
                position = self._convert(results, start, base)
                if self.checkpoint is not None:
                    self._commit(self._mark(position), done=True)
            self._finish()
            finished = True
        except (KeyboardInterrupt, BrokenProcessPool):
            self._commit_on_stop()
            raise
        finally:
            stack.close()
            outputs.progress.close()
            outputs.close(keep=finished or self.resumable())
        return close_run(outputs, self.stats, cfg)

    def _crosswalk(self, layout: Layout, state: dict[str, Any] | None) -> Crosswalk | None:
        """The first pass over the inputs and its decisions (``--crosswalk``, ``--state``), checked against
        the checkpoint's when resuming; None when the run has none, or had finished converting."""
        cfg = self.cfg
        done = bool(state and state.get("done"))
        known: dict[str, str] | None = None  # what --state knows converted already; None: nothing to skip
        if layout.state_path is not None:
            self.run_state = RunState(layout.state_path, cfg)
            # A run resumed only to finish has said its notes already.
            known = self.run_state.load(self.outputs.note if not done else lambda text: None)
        if done or not (cfg.crosswalk or self.run_state is not None):
            return None
        streamed = [i.name for i in layout.inputs if i.name == "-" or is_stream(i.name)]
        if streamed:  # read once, so never in the first pass: say so rather than let the flag look applied
            shown = "stdin" if streamed[0] == "-" else streamed[0]
            self.outputs.note(f"{shown} streams once: its orders are converted without the crosswalk (--crosswalk, --state)")
        numbers = self.run_state.numbers if self.run_state is not None else None
        crosswalk = decide(layout.inputs, scan(layout.inputs, cfg.plan, cfg.kind), known, numbers)
        if self.checkpoint is not None:
            if state is not None:
                self.checkpoint.check_crosswalk(state, crosswalk.digest)
            self.checkpoint.crosswalk = crosswalk.digest
        return crosswalk

    def _convert(self, results: Iterator[tuple[list[Item], ChunkResult]], start: Position, base: list[int]) -> Position:
        """Write every chunk's results as they come, in input order; where the input ends."""
        outputs = self.outputs
        cadence = Cadence(self.cfg.checkpoint_bytes, self.cfg.checkpoint_seconds)
        position = start
        for chunk, result in results:
            for r in result.results:
                outputs.take(r)
            self.stats.add(result.stats)
            position = chunk[-1].after
            if self.checkpoint is not None:
                self.mark = self._mark(position)
                folder = outputs.folder
                if cadence.due(sum(item.size for item in chunk)) or (
                    folder is not None and len(folder.pending) >= CHECKPOINT_FILES
                ):
                    self._commit(self.mark)
                    cadence.restart()
                    if folder is not None:
                        folder.finish_pending()  # renamed only now that a checkpoint says they are done
            outputs.progress.update(base[min(position.input, len(base) - 1)] + position.offset, self.stats.records)
            if isinstance(outputs.output, StreamSink):
                outputs.flush_stdout()  # a pipeline reading our stdout gets each chunk as it is done
        return position

    def _mark(self, position: Position) -> Mark:
        stats: dict[str, Any] = self.stats.to_dict()
        # Copies: the run's counts move on with the next chunk, the mark stays where it was taken.
        stats.update(kinds=dict(stats["kinds"]), fetch=dict(stats["fetch"]))
        return Mark(position, stats, self.outputs.state())

    def _commit(self, mark: Mark, done: bool = False) -> None:
        """Fsync every partial file, then record how far they go: the commit point of the run."""
        assert self.checkpoint is not None
        self.committing = True
        self.outputs.sync()
        self.checkpoint.write(mark, done)
        self.committing = False
        self.mark = None

    def _commit_on_stop(self) -> None:
        """Ctrl-C, SIGTERM or a dead worker stopped the run between two checkpoints: commit where the last
        whole chunk left it (the partial files may hold more; a resumed run cuts that off). Not when the
        stop came in the middle of a commit, whose input digests may be half-advanced: the checkpoint
        before it stands. Nor when the files cannot be written: the error the user sees is the first."""
        if self.mark is None or self.committing or self.checkpoint is None:
            return
        with contextlib.suppress(WriteError):
            self._commit(self.mark)

    def _finish(self) -> None:
        single_ok = self.stats.converted == 1 and self.stats.failed == 0
        for lock in self.locks:
            if not lock.ours():
                raise WriteError(lock.path, "the lock was removed while the run held it; outputs left unfinished")
        self.outputs.finish(single_ok)
        if self.run_state is not None:
            # Only now that every output is in place does the state claim the orders they hold.
            journal = self.outputs.journal_bytes()
            if journal is not None:
                self.run_state.write(journal)
                self.outputs.drop_journal()
        if self.checkpoint is not None:
            self.checkpoint.remove()
        self.outputs.flush_stdout()


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


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
        run.outputs.fail(str(exc))
        return EXIT_USAGE
    except (StdoutClosed, BrokenPipeError):
        if stdout is None:
            quiet_stdout()
        return EXIT_SIGPIPE
    except BrokenProcessPool as exc:
        run.outputs.fail(f"a worker process died: {exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        run.outputs.fail(f"{'terminated' if isinstance(exc, Terminated) else 'interrupted'}{_resume_hint(run)}")
        return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    except WriteError as exc:
        run.outputs.fail(f"{exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{display_name(str(exc.filename))}: " if exc.filename else ""
        run.outputs.fail(f"{where}{exc.strerror or exc}{_resume_hint(run)}")
        return EXIT_BAD_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _resume_hint(run: Run) -> str:
    if run.resumable():
        return " (the partial files and checkpoint are kept: run it again with --resume to continue)"
    return ""
