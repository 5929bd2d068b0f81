"""Where a SQL run writes: the target table (one row per order), the rejects table or file, and where a
resumed run starts. A chunk's rows go in one transaction, so the committed rows are the checkpoint."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..outfiles import UsageError, WriteError, display_name
from .source import SqlError, reason, reflect

POSITION, ORDER, REPORT = "position", "ecom_order", "report"
WITH_FULFILLMENTS, TRANSACTIONS = "order_with_fulfillments", "order_transactions"
REJECT, RECORD = "reject", "record"
COMPANIONS = {"orderWithFulfillments": WITH_FULFILLMENTS, "orderTransactions": TRANSACTIONS}


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """The last source row a committed chunk wrote (to the target or the rejects table)."""

    position: int
    key: Any
    orders: int  # rows already in the target table


def _key_column(key: sa.Column[Any]) -> sa.Column[Any]:
    try:
        kind: sa.types.TypeEngine[Any] = key.type.as_generic()
    except NotImplementedError:
        kind = sa.Text()
    return sa.Column(key.name, kind, nullable=False)


def target_table(name: str, key: sa.Column[Any], companions: bool) -> sa.Table:
    """The key, the row's position in the source's key order, the order and its report as JSON text; with
    ``companions`` the order's payments and fulfillments (NULL when it has none)."""
    schema, _, table = name.rpartition(".")
    columns = [
        _key_column(key),
        sa.Column(POSITION, sa.BigInteger, nullable=False, index=True),
        sa.Column(ORDER, sa.Text, nullable=False),
        sa.Column(REPORT, sa.Text, nullable=False),
    ]
    if companions:
        columns += [sa.Column(WITH_FULFILLMENTS, sa.Text), sa.Column(TRANSACTIONS, sa.Text)]
    return sa.Table(table, sa.MetaData(), *columns, schema=schema or None)


def rejects_table(name: str, key: sa.Column[Any]) -> sa.Table:
    """The key and position of each failed record, why it failed (the rejects-file object: source, path,
    errors) and the row's text as it was read."""
    schema, _, table = name.rpartition(".")
    return sa.Table(
        table,
        sa.MetaData(),
        _key_column(key),
        sa.Column(POSITION, sa.BigInteger, nullable=False, index=True),
        sa.Column(REJECT, sa.Text, nullable=False),
        sa.Column(RECORD, sa.Text, nullable=False),
        schema=schema or None,
    )


class SqlSink:
    """The target table and, unless rejects go to a file, the rejects table, in one database."""

    def __init__(self, engine: Engine, name: str, key: sa.Column[Any], companions: bool, rejects: str | None):
        if key.name in (POSITION, ORDER, REPORT, WITH_FULFILLMENTS, TRANSACTIONS, REJECT, RECORD):
            raise UsageError(f"--key {key.name}: the target table has a column of that name; rename the key in a view")
        self.engine, self.name = engine, name
        self.target = target_table(name, key, companions)
        self.rejects = rejects_table(rejects, key) if rejects is not None else None
        self.rejects_name = rejects
        self.key = key.name

    def prepare(self, resume: bool) -> ResumePoint | None:
        """Create the tables that are missing; refuse a table that is not ours or (without ``resume``) not
        empty; the point to resume from, or None to start at the first row."""
        tables = [t for t in (self.target, self.rejects) if t is not None]
        held = 0
        for table, name in zip(tables, (self.name, self.rejects_name), strict=False):
            assert name is not None
            found = reflect(self.engine, name, "--to-table")
            if found is None:
                continue
            want, have = set(table.columns.keys()), set(found.columns.keys())
            if want - have or (table is self.target and {WITH_FULFILLMENTS, TRANSACTIONS} & (have - want)):
                raise UsageError(
                    f"{name} exists but is not the table this run writes (it has {', '.join(sorted(have))}; "
                    f"this run writes {', '.join(sorted(want))}{'' if table is not self.target else '; --companions adds ' + WITH_FULFILLMENTS + ' and ' + TRANSACTIONS})"
                )
            held += self._count(table)
        if held and not resume:
            raise UsageError(
                f"{self.name} already holds rows of a run: --resume continues it; to start over, drop {self.name}"
                + (f", {self.rejects_name}" if self.rejects_name else "")
                + f" and {self.name}_run"  # the run's record (record.py), which a new run would be checked against
            )
        try:
            for table in tables:
                table.create(self.engine, checkfirst=True)
        except sa.exc.SQLAlchemyError as exc:
            raise UsageError(f"--to-table {self.name}: cannot create it: {reason(exc)}") from None
        return self._resume_point() if held else None

    def _count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def _resume_point(self) -> ResumePoint | None:
        best: tuple[int, Any] | None = None
        with self.engine.connect() as conn:
            for table in (self.target, self.rejects):
                if table is None:
                    continue
                position = table.columns[POSITION]
                row = conn.execute(sa.select(position, table.columns[self.key]).order_by(position.desc()).limit(1)).first()
                if row is not None and (best is None or row[0] > best[0]):
                    best = (int(row[0]), row[1])
            orders = int(conn.execute(sa.select(sa.func.count()).select_from(self.target)).scalar_one())
        return ResumePoint(best[0], best[1], orders) if best is not None else None

    def write(self, orders: list[dict[str, Any]], rejects: list[dict[str, Any]], before_commit: Callable[[], None]) -> None:
        """One chunk in one transaction: every row of it is committed, or none."""
        try:
            with self.engine.begin() as conn:
                if orders:
                    conn.execute(sa.insert(self.target), orders)
                if rejects and self.rejects is not None:
                    conn.execute(sa.insert(self.rejects), rejects)
                before_commit()
        except sa.exc.SQLAlchemyError as exc:
            raise SqlError(f"{self.name}: cannot write: {reason(exc)}") from None


class RejectsFile:
    """``--rejects FILE`` beside a SQL target: one line a failed record, written and fsync'd before the
    chunk's transaction commits. A resumed run converts the rows after the last committed one again: the
    lines of keys already in the file (a chunk that was written here but not committed) are not repeated."""

    def __init__(self, path: str, resume: bool):
        self.path = path
        self.seen: set[bytes] = set()
        try:
            if resume and os.path.exists(path):
                self._read_back()
                self.stream: IO[bytes] = open(path, "ab")  # noqa: SIM115 - closed by close()
            else:
                self.stream = open(path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise WriteError(path, exc) from None

    def _read_back(self) -> None:
        with open(self.path, "rb+") as f:
            data = f.read()
            whole = data.rfind(b"\n") + 1  # a line cut short by the kill goes; it is written again
            f.truncate(whole)
        for line in data[:whole].splitlines():
            try:
                self.seen.add(orjson.dumps(orjson.loads(line)["key"]))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise UsageError(f"cannot resume: {display_name(self.path)} holds a line that is not a rejected row") from None

    def add(self, key: bytes, lines: list[bytes]) -> None:
        if key not in self.seen:
            self.stream.write(b"".join(line + b"\n" for line in lines))

    def sync(self) -> None:
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
        except OSError as exc:
            raise WriteError(self.path, exc) from None

    def close(self) -> None:
        self.stream.close()
