"""What a ``convert`` run is asked to do, its chunk sizes, and its exit codes."""

from __future__ import annotations

from dataclasses import dataclass

from ..money import DEFAULT_LOCALE
from ..plan import Plan

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
EXIT_SIGPIPE, EXIT_SIGINT, EXIT_SIGTERM = 141, 130, 143
# A chunk is what a worker converts in one go and the parent writes in one go.
CHUNK_RECORDS = 256
CHUNK_BYTES = 1 << 20
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
    validate: bool = True
    plan: Plan | None = None  # --mappings: a user's own table
    quiet: bool = False  # only the errors of failed records on stderr
