"""A database reached by URL, and the table whose JSON column a run reads: checked before anything is
written (the table, the column and the key exist; the key can paginate), then read in keyset-paginated
pages ordered by the key, each page a short query of its own so no cursor or lock is held between them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from ..outfiles import UsageError


class SqlError(Exception):
    """The database failed while the run worked (exit 1); ``str()`` is the message a user sees."""


def reason(exc: BaseException) -> str:
    """The driver's own words for a database error, on one line, without SQLAlchemy's appendix."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return " ".join(text.split("\n(Background on this error")[0].split())


def parse_url(text: str, what: str) -> URL:
    """A SQLAlchemy URL; a value without ``://`` is a SQLite file. PostgreSQL goes through psycopg (v3)."""
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        url = make_url(text)
    except sa.exc.ArgumentError:
        raise UsageError(f"{what} {text!r}: not a database URL (e.g. sqlite:///orders.db, postgresql://user@host/db)") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def connect(text: str, what: str, must_exist: bool) -> Engine:
    """An engine for ``text``, with one connection tried at once so a bad URL, a missing driver or an
    unreachable server is a usage error before the run starts. No pool: a connection lives for one page or
    one chunk's transaction, so none is open when worker processes are forked."""
    url = parse_url(text, what)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and must_exist and database not in ("", ":memory:") and not os.path.isfile(database):
        raise UsageError(f"{what} {shown(url)}: no such SQLite database file")
    try:
        engine = sa.create_engine(url, poolclass=NullPool)
    except sa.exc.NoSuchModuleError:
        raise UsageError(f"{what} {shown(url)}: unknown kind of database {url.drivername!r}") from None
    except ImportError as exc:
        raise UsageError(f"{what} {shown(url)}: its driver is not installed ({exc}): pip install 'orders-migrate[sql]'") from None
    try:
        with engine.connect():
            pass
    except sa.exc.SQLAlchemyError as exc:
        raise UsageError(f"{what} {shown(url)}: cannot connect: {reason(exc)}") from None
    return engine


def reflect(engine: Engine, name: str, what: str) -> sa.Table | None:
    """The table ``name`` (``schema.name`` for another schema) as the database has it, or None."""
    schema, _, table = name.rpartition(".")
    try:
        return sa.Table(table, sa.MetaData(), schema=schema or None, autoload_with=engine)
    except sa.exc.NoSuchTableError:
        return None
    except sa.exc.SQLAlchemyError as exc:
        raise UsageError(f"{what} {name}: cannot read its definition: {reason(exc)}") from None


def key_json(value: Any) -> int | str:
    """A key as JSON: integers as they are, anything else (text, a UUID, a date) as its text."""
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


@dataclass(slots=True)
class Row:
    """One source row: its key, its number in key order from 1, and its column's JSON as bytes."""

    key: Any
    position: int
    data: bytes


class SqlSource:
    """The JSON (text, JSON or JSONB) column ``column`` of ``table``, read in order of ``key``."""

    def __init__(self, engine: Engine, table: str, column: str, key: str):
        found = reflect(engine, table, "--table")
        if found is None:
            raise UsageError(f"--table {table}: no such table in {shown(engine.url)}")
        self.engine, self.name, self.table = engine, table, found
        names = ", ".join(found.columns.keys())
        for option, col in (("--column", column), ("--key", key)):
            if col not in found.columns:
                raise UsageError(f"{option} {col}: {table} has no such column (it has {names})")
        if column == key:
            raise UsageError(f"--column and --key both name {column}: the key must be another column")
        self.key: sa.Column[Any] = found.columns[key]
        # The database's JSON types come back parsed by the driver (as floats, repeated keys merged): read
        # the text instead, which the strict reader parses as a file's line would be.
        self.column = sa.cast(found.columns[column], sa.Text)
        self._check_key()

    def _check_key(self) -> None:
        """Keyset pagination skips or repeats rows unless every row has its own, non-NULL key."""
        table, key = self.table, self.key
        if key.nullable:
            with self.engine.connect() as conn:
                nulls = conn.execute(sa.select(sa.func.count()).select_from(table).where(key.is_(None))).scalar_one()
            if nulls:
                raise UsageError(
                    f"--key {key.name}: {nulls} row(s) of {self.name} have no key (NULL): name a column every row has"
                )
        if not _declared_unique(table, key.name):
            query = sa.select(key).group_by(key).having(sa.func.count() > 1).limit(1)
            with self.engine.connect() as conn:
                twice = conn.execute(query).first()
            if twice is not None:
                raise UsageError(
                    f"--key {key.name}: {self.name} has several rows with the key {twice[0]!r}: name a unique column"
                )

    def count_after(self, after: Any | None) -> int:
        query = sa.select(sa.func.count()).select_from(self.table)
        if after is not None:
            query = query.where(self.key > after)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def pages(self, after: Any | None, first_position: int, size: int) -> Iterator[list[Row]]:
        """Every row after the key ``after`` (None: from the first), ``size`` rows a page, numbered on from
        ``first_position``."""
        position = first_position
        while True:
            query = sa.select(self.key, self.column).order_by(self.key).limit(size)
            if after is not None:
                query = query.where(self.key > after)
            try:
                with self.engine.connect() as conn:
                    fetched = conn.execute(query).all()
            except sa.exc.SQLAlchemyError as exc:
                raise SqlError(f"{self.name}: cannot read: {reason(exc)}") from None
            if not fetched:
                return
            page = []
            for key, value in fetched:
                page.append(Row(key, position, _as_bytes(value)))
                position += 1
            yield page
            if len(fetched) < size:
                return
            after = fetched[-1][0]


def _as_bytes(value: object) -> bytes:
    if value is None:
        return b""  # the reader says: empty input, expected a JSON order
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return orjson.dumps(value)


def _declared_unique(table: sa.Table, key: str) -> bool:
    if [c.name for c in table.primary_key.columns] == [key]:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and [c.name for c in constraint.columns] == [key]:
            return True
    return any(index.unique and [c.name for c in index.columns] == [key] for index in table.indexes)
