"""The record a SQL run keeps beside its target table, ``T2_run``: the command and the data versions the
run was started with, so ``--resume`` refuses to add rows shaped otherwise (another locale, table or
Babel) to the rows already written, as a file run's checkpoint refuses it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..batch.checkpoint import command_options
from ..batch.config import BatchConfig
from ..outfiles import UsageError
from ..versions import data_versions, version_changes
from .source import reason

if TYPE_CHECKING:
    from .run import SqlJob

COMMAND, VERSIONS = "command", "versions"


def run_record(cfg: BatchConfig, job: SqlJob) -> dict[str, str]:
    """What the run records: its options (those of a file run that shape the output, and the SQL ones) and
    the versions that shape the bytes, each as JSON text."""
    command = {k: v for k, v in command_options(cfg).items() if k not in ("-o", "--format", "--report-out")}
    command.update({"--table": job.table, "--column": job.column, "--key": job.key, "--to-table": job.to_table})
    versions = data_versions(cfg.plan.table.text if cfg.plan is not None else None)
    return {COMMAND: orjson.dumps(command).decode(), VERSIONS: orjson.dumps(versions).decode()}


class RunRecord:
    """The ``name``/``value`` rows of ``T2_run``."""

    def __init__(self, engine: Engine, to_table: str):
        schema, _, table = f"{to_table}_run".rpartition(".")
        self.engine, self.name = engine, f"{to_table}_run"
        self.table = sa.Table(
            table,
            sa.MetaData(),
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            schema=schema or None,
        )

    def write(self, record: dict[str, str]) -> None:
        """A run starting at the first row: its record replaces any other."""
        try:
            self.table.create(self.engine, checkfirst=True)
            with self.engine.begin() as conn:
                conn.execute(sa.delete(self.table))
                conn.execute(sa.insert(self.table), [{"name": k, "value": v} for k, v in record.items()])
        except sa.exc.SQLAlchemyError as exc:
            raise UsageError(f"{self.name}: cannot write the run's record: {reason(exc)}") from None

    def check(self, record: dict[str, str], target: str) -> None:
        """A resumed run: refused unless it was asked what the run that wrote ``target`` was asked."""
        try:
            with self.engine.connect() as conn:
                kept = {name: value for name, value in conn.execute(sa.select(self.table.c.name, self.table.c.value))}
        except sa.exc.SQLAlchemyError:
            kept = {}
        if set(kept) != set(record):
            raise UsageError(f"cannot resume: {self.name}, which says how {target} was written, is missing or incomplete")
        changed = version_changes(orjson.loads(kept[VERSIONS]), orjson.loads(record[VERSIONS]))
        if changed:
            raise UsageError(
                f"cannot resume: {target} was written under other versions ({'; '.join(changed)}); drop it to start over"
            )
        then, now = orjson.loads(kept[COMMAND]), orjson.loads(record[COMMAND])
        differ = [name for name in now if then.get(name) != now[name]]
        if differ:
            raise UsageError(
                f"cannot resume: {target} was written by a different command ({', '.join(differ)} {'differ' if len(differ) > 1 else 'differs'}); drop it to start over"
            )
