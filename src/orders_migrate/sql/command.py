"""The ``convert --from-sql`` command line checked and turned into a run: what a SQL run needs, what it
cannot take (files, --report-out, --format), then ``run.run_sql``."""

from __future__ import annotations

import sys
from typing import IO

from ..batch.config import CHUNK_RECORDS, EXIT_USAGE, BatchConfig
from ..engine import Plan
from ..order_filter import OrderFilter
from ..report import Validation
from .run import SqlJob, run_sql


def run_sql_convert(
    from_sql: str | None,
    table: str | None,
    column: str | None,
    key: str | None,
    output: str | None,
    to_table: str | None,
    *,
    files: list[str] | None = None,
    report: str = "auto",
    report_out: str | None = None,
    fmt: str = "auto",
    locale: str = "en_US",
    strict: bool = False,
    validate: Validation = True,
    kind: str | None = None,
    public_key: str | None = None,
    rejects: str | None = None,
    jobs: int | None = None,
    resume: bool = False,
    chunk_records: int = CHUNK_RECORDS,
    plan: Plan | None = None,
    quiet: bool = False,
    order_filter: OrderFilter | None = None,
    companions: bool = False,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Convert the ``column`` of every row of ``table`` (in the ``from_sql`` database) in order of ``key``
    into the table ``to_table`` of the ``output`` database; ``rejects`` a file instead of the rejects
    table ``TO_TABLE_rejects``. The other options are those of a file run."""
    err = stderr if stderr is not None else sys.stderr
    given = {"--from-sql": from_sql, "--table": table, "--column": column, "--key": key, "-o": output, "--to-table": to_table}
    missing = [name for name, value in given.items() if not value]
    refused = [name for name, value in (("FILES", files), ("--report-out", report_out), ("--format", fmt != "auto")) if value]
    problem = None
    if missing:
        problem = f"a SQL run needs {', '.join(missing)} ({' '.join(f'{n} ...' for n in given)})"
    elif refused:
        problem = f"a SQL run takes no {', '.join(refused)}: the orders and their reports go to --to-table"
    if problem is not None:
        err.write(f"orders-migrate: {problem}\n")
        return EXIT_USAGE
    assert from_sql and table and column and key and output and to_table
    from ..run import default_jobs

    cfg = BatchConfig(
        [],
        None,
        "none" if quiet else report,
        None,
        "auto",
        locale,
        strict,
        kind,
        public_key,
        rejects=rejects if rejects is not None else f"{to_table}_rejects",  # the summary's "see ..."
        jobs=jobs if jobs is not None else default_jobs(),
        resume=resume,
        chunk_records=chunk_records,
        validate=validate,
        plan=plan,
        quiet=quiet,
        order_filter=order_filter,
        companions=companions,
    )
    job = SqlJob(from_sql, table, column, key, output, to_table, rejects)
    return run_sql(job, cfg, stdout, stderr)
