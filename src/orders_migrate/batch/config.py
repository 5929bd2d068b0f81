"""What a ``convert`` run is asked to do, its sizes and cadences, and its exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..money import DEFAULT_LOCALE
from ..order_filter import OrderFilter
from ..report import Validation

if TYPE_CHECKING:
    from ..engine.plan import Plan

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
EXIT_SIGPIPE, EXIT_SIGINT, EXIT_SIGTERM = 141, 130, 143
# A chunk is what a worker converts in one go and the parent writes in one go.
CHUNK_RECORDS = 256
CHUNK_BYTES = 1 << 20
# A checkpoint (an fsync of every partial file, then of the state file) is committed once this much input
# has been converted or this much time has passed since the last one, whichever comes first; and at the
# end, and when the run is stopped (Ctrl-C, SIGTERM, a dead worker). A run killed with SIGKILL converts
# again at most that much on --resume, instead of paying two or more fsyncs every chunk. Tests set
# ``checkpoint_bytes`` to 0 (the hidden ``--checkpoint-bytes 0``: after every chunk) to crash and resume a
# small run at many checkpoints.
CHECKPOINT_BYTES = 8 << 20
CHECKPOINT_SECONDS = 2.0
# An output folder renames a finished file only once a checkpoint records it finished (from there, a
# resumed run can finish it again); at most this many finished files wait, each holding its file open.
CHECKPOINT_FILES = 32
# Test hook: the parent kills itself with SIGKILL once it has written this many records (after writing
# them, before its next checkpoint), so a test can crash a run at an exact, repeatable point.
KILL_AFTER_ENV = "ORDERS_MIGRATE_KILL_AFTER"


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
    checkpoint_bytes: int = CHECKPOINT_BYTES  # input between checkpoints; 0: after every chunk
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    validate: Validation = True
    plan: Plan | None = None  # --mappings: a user's own table
    quiet: bool = False  # only the errors of failed records on stderr
    order_filter: OrderFilter | None = None  # --filter: only the Stores orders it matches
    companions: bool = False  # each order with its companion objects (see chunks.Options.companions)
    crosswalk: bool = False  # one order per id across the batch, the newest (see crosswalk.py)
    state: str | None = None  # --state FILE: convert only new and changed orders (see state.py); implies crosswalk
