"""Worker processes for a batch: started warm, stopped with their parent, fed chunks and giving results
back in input order with a bounded number of chunks in flight."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import Connection

from ..engine import default_plan
from ..sources import Item
from .chunks import ChunkResult, Options, convert_chunk


def _warm(models: bool = True) -> None:
    """Build what every conversion needs (the plan, and the eCommerce models when outputs are validated)
    once, before the first order."""
    plan = default_plan()
    if models:
        from ..models.validate import invalid_entries

        plan.validity()
        invalid_entries({})  # the full schema: an eCommerce order passed through, an audit


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
            ctx.set_forkserver_preload(["orders_migrate.batch.workers"])
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
    workers = Workers(jobs, models=bool(opts.validate or opts.strict))
    stack.callback(workers.close)
    return workers.map(_prepend([first, second], chunks), opts, window)


def _prepend(head: list[list[Item]], rest: Iterator[list[Item]]) -> Iterator[list[Item]]:
    yield from head
    yield from rest
