"""SQL tables as a source and a sink: a table of thousands of stored orders converted into another table,
killed with SIGKILL part-way, resumed, and held to the bytes of a file run of the same records, on SQLite
and on a real PostgreSQL server (.ci/run starts one: .ci/postgres.sh)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from conftest import ROOT
from orders_migrate.sql.command import run_sql_convert
from test_batch import orders

PG_ENV = "ORDERS_MIGRATE_TEST_PG_URL"
CORPUS = 2000
CHUNK = 150
# Rows the converter must reject, by key: not JSON, NULL, and an order whose line items are not a list.
BAD = {17: "not json", 905: None, 1600: '{"lineItems": "none", "totals": {}}'}


def _ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _records() -> list[tuple[int, str | None]]:
    rows: list[tuple[int, str | None]] = [(n + 1, json.dumps(o)) for n, o in enumerate(orders(CORPUS))]
    for key, text in BAD.items():
        rows.insert(key - 1, (key, text))
    # Keys with gaps, and one record far beyond the rest: pages follow the key, not a row count.
    return [(key * 3 if key < CORPUS else key * 1000, text) for key, (_, text) in enumerate(rows, start=1)]


RECORDS = _records()
BAD_KEYS = [position * 3 for position in sorted(BAD)]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def file_run(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """What `convert -o out.ndjson` writes for the same records, one line each (a NULL is an empty line,
    which a file run skips: the SQL run rejects it, as it rejects every other bad row)."""
    work = tmp_path_factory.mktemp("file-run")
    src = work / "in.ndjson"
    src.write_text("".join(f"{text}\n" for _, text in RECORDS if text is not None))
    done = cli("convert", str(src), "-o", str(work / "out.ndjson"), "--report", "none", "--no-validate", "--jobs", "1")
    assert done.returncode == 1, done.stderr  # the two bad lines
    lines = (work / "out.ndjson").read_bytes().splitlines()
    assert len(lines) == CORPUS
    return lines


def _pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if _ci():
            pytest.fail(f"CI runs the PostgreSQL tests: {PG_ENV} is not set (.ci/run starts a server with .ci/postgres.sh)")
        pytest.skip(f'no PostgreSQL server: eval "$(bash .ci/postgres.sh start)" sets {PG_ENV}')
    return url


@contextmanager
def pg_database() -> Iterator[str]:
    """The URL of a database of its own on the test server, dropped afterwards."""
    base = sa.make_url(_pg_url()).set(drivername="postgresql+psycopg")
    name = f"om_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a database of its own on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orders.db'}"
        return
    with pg_database() as url:
        yield url


def engine(url: str) -> sa.Engine:
    u = sa.make_url(url)
    return sa.create_engine(
        u.set(drivername="postgresql+psycopg") if u.drivername == "postgresql" else u, poolclass=sa.pool.NullPool
    )


def load(url: str, records: list[tuple[int, str | None]], kind: str = "text", table: str = "bodies") -> None:
    """The stored bodies: the key and the JSON column (``kind``: text, json or jsonb)."""
    eng = engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, body {kind}, note TEXT)"))
        cast = f"CAST(:body AS {kind})" if eng.dialect.name == "postgresql" else ":body"
        insert = f"INSERT INTO {table} (id, body) VALUES (:id, {cast})"  # noqa: S608 - the test's own names
        conn.execute(sa.text(insert), [{"id": k, "body": t} for k, t in records])


def rows(url: str, query: str) -> list[Any]:
    with engine(url).connect() as conn:
        return list(conn.execute(sa.text(query)).all())


def sql_args(url: str, *extra: str) -> list[str]:
    return ["convert", "--from-sql", url, "--table", "bodies", "--column", "body", "--key", "id", "-o", url, "--to-table", "converted", "--report", "none", "--no-validate", *extra]  # fmt: skip


def in_process(*args: str, **options: Any) -> tuple[int, str]:
    """A SQL run in this process (its exit code and stderr): for what needs no kill."""
    err = io.StringIO()
    source, table, column, key, out, to_table = args
    code = run_sql_convert(source, table, column, key, out, to_table, jobs=1, stderr=err, **options)
    return code, err.getvalue()


# ---- the done-when: killed, resumed, every order once, the file run's bytes ------------------------------


def test_a_run_killed_with_sigkill_and_resumed_holds_every_order_once_as_a_file_run_writes_it(
    database: str, file_run: list[bytes]
) -> None:
    load(database, RECORDS)
    # The hidden test hook: SIGKILL once 1000 orders are written, inside the transaction of their chunk.
    killed = cli(*sql_args(database, "--chunk-size", str(CHUNK), "--jobs", "2"), env={"ORDERS_MIGRATE_KILL_AFTER": "1000"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (committed,) = rows(database, "SELECT count(*) FROM converted")[0]
    (rejected,) = rows(database, "SELECT count(*) FROM converted_rejects")[0]
    assert 0 < committed < 1000 and rejected == 1  # the key-17 row's chunk is committed, the 1000th's is not
    assert (committed + rejected) % CHUNK == 0  # whole chunks only: the killed one was rolled back

    resumed = cli(*sql_args(database, "--chunk-size", str(CHUNK), "--jobs", "1", "--resume"))
    assert resumed.returncode == 1, resumed.stderr  # the bad rows
    assert "resuming after bodies row" in resumed.stderr
    assert "Traceback" not in resumed.stderr
    written = rows(database, "SELECT id, position, ecom_order, report FROM converted ORDER BY position")
    assert [o.encode() for _, _, o, _ in written] == file_run  # every order once, in key order, the same bytes
    keys = [k for k, _ in RECORDS]
    assert sorted([k for k, *_ in written] + BAD_KEYS) == sorted(keys)
    assert [p for _, p, _, _ in written] == [keys.index(k) + 1 for k, *_ in written]
    assert json.loads(written[0][3])["payloadKind"] == "stores_order"
    rejects = rows(database, "SELECT id, reject, record FROM converted_rejects ORDER BY position")
    assert [k for k, _, _ in rejects] == BAD_KEYS
    assert [json.loads(r)["errors"][0]["message"] for _, r, _ in rejects] == [
        "not valid JSON: Expecting value: line 1 column 1 (char 0)",
        "empty input: expected a JSON order",
        "expected an array, got 'none'",
    ]
    assert [t for _, _, t in rejects] == ["not json", "", BAD[1600]]
    assert f"bodies:{BAD_KEYS[0]}::$: not valid JSON" in killed.stderr + resumed.stderr


def test_a_run_killed_from_outside_resumes_to_the_same_table(tmp_path: Path, file_run: list[bytes]) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    load(url, RECORDS)
    run = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "orders_migrate", *sql_args(url, "--chunk-size", "50", "--jobs", "1")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
        try:
            if rows(url, "SELECT count(*) FROM converted")[0][0] >= 200:
                break
        except sa.exc.OperationalError:  # the table is not created yet, or is locked by a commit
            continue
    run.send_signal(signal.SIGKILL)
    assert run.wait(timeout=60) == -signal.SIGKILL
    assert rows(url, "SELECT count(*) FROM converted")[0][0] < CORPUS
    assert cli(*sql_args(url, "--resume")).returncode == 1
    assert [r[0].encode() for r in rows(url, "SELECT ecom_order FROM converted ORDER BY position")] == file_run


# ---- rejects to a file, companions, column types ----------------------------------------------------------


def small(n: int, bad: dict[int, str | None]) -> list[tuple[int, str | None]]:
    records: list[tuple[int, str | None]] = [(k, json.dumps(o)) for k, o in enumerate(orders(n), start=1)]
    return [(k, bad.get(k, text)) for k, text in records]


def file_lines(tmp_path: Path, records: list[tuple[int, str | None]], *options: str) -> list[bytes]:
    from orders_migrate.run import run_convert

    src, out = tmp_path / "in.ndjson", tmp_path / "out.ndjson"
    src.write_text("".join(f"{t}\n" for _, t in records if t is not None))
    run_convert([str(src)], str(out), report="none", jobs=1, stderr=io.StringIO(), **dict.fromkeys(options, True))
    return out.read_bytes().splitlines()


def test_rejects_to_a_file_are_written_once_across_a_kill_inside_their_chunk(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    bad = {10: "[1, 2", 120: '{"lineItems": 3}', 260: "not json"}
    load(url, small(300, bad))
    rejects = tmp_path / "rejects.ndjson"
    args = [*sql_args(url, "--chunk-size", "50", "--jobs", "1", "--rejects", str(rejects))]
    # Killed in the chunk of rows 101-150, after its reject (row 120) went to the file, before its commit.
    killed = cli(*args, env={"ORDERS_MIGRATE_KILL_AFTER": "110"})
    assert killed.returncode == -signal.SIGKILL
    assert [json.loads(line)["key"] for line in rejects.read_text().splitlines()] == [10, 120]
    assert rows(url, "SELECT count(*) FROM converted")[0][0] == 99
    assert not sa.inspect(engine(url)).has_table("converted_rejects")
    resumed = cli(*args, "--resume")
    assert resumed.returncode == 1, resumed.stderr
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["key"], r["position"], r["text"]) for r in lines] == [(k, k, bad[k]) for k in (10, 120, 260)]
    assert lines[1]["errors"] == [{"path": "$.lineItems", "message": "expected an array, got 3"}]
    assert f"(see {rejects})" in resumed.stderr
    assert [r[0] for r in rows(url, "SELECT id FROM converted ORDER BY position")] == [k for k in range(1, 301) if k not in bad]


def test_companions_get_columns_of_their_own_and_the_order_keeps_its_bytes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    records = small(40, {})
    load(url, records)
    code, err = in_process(url, "bodies", "body", "id", url, "converted", report="none", companions=True)
    assert code == 0, err
    written = rows(url, "SELECT ecom_order, order_with_fulfillments, order_transactions FROM converted ORDER BY position")
    assert [o.encode() for o, _, _ in written] == file_lines(tmp_path, records)
    (tmp_path / "with").mkdir()
    wrapped = [json.loads(line) for line in file_lines(tmp_path / "with", records, "companions")]
    assert [json.loads(f) if f else None for _, f, _ in written] == [w.get("orderWithFulfillments") for w in wrapped]
    assert [json.loads(t) if t else None for _, _, t in written] == [w.get("orderTransactions") for w in wrapped]
    assert any(f for _, f, _ in written) and any(t for _, _, t in written)
    # The table was written with companions: a run without them may not continue it.
    code, err = in_process(url, "bodies", "body", "id", url, "converted", report="none", resume=True)
    assert code == 2 and "is not the table this run writes" in err


@pytest.mark.parametrize("kind", ["json", "jsonb", "text"])
def test_every_json_column_type_of_postgresql_is_read_as_its_text(kind: str, tmp_path: Path) -> None:
    records = small(30, {5: '{"lineItems": 3}'})
    with pg_database() as url:
        load(url, records, kind=kind)
        code, err = in_process(url, "bodies", "body", "id", url, "converted", report="none")
        assert code == 1 and "bodies:5::$.lineItems: expected an array, got 3" in err
        # jsonb stored its own text (keys reordered, spaces): a file of that text converts to the same bytes.
        stored = rows(url, "SELECT id, CAST(body AS text) FROM bodies ORDER BY id")
        assert [(k, t) for k, t in stored] != records if kind == "jsonb" else [(k, t) for k, t in stored] == records
        written = rows(url, "SELECT ecom_order FROM converted ORDER BY position")
        assert [o.encode() for (o,) in written] == file_lines(tmp_path, stored)


def test_report_json_is_one_document_on_stderr(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    load(url, small(5, {3: "oops"}))
    code, err = in_process(url, "bodies", "body", "id", url, "converted", report="json")
    doc = json.loads(err)
    assert code == 1
    assert [d.get("payloadKind") or d["errors"][0]["message"][:14] for d in doc] == [
        "stores_order",
        "stores_order",
        "not valid JSON",
        "stores_order",
        "stores_order",
    ]


# ---- what a SQL run refuses: exit 2, one line, no traceback ------------------------------------------------


def test_a_bad_url_a_missing_table_or_column_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "orders.db"
    url = f"sqlite:///{db}"
    load(url, small(3, {}))
    out = f"sqlite:///{tmp_path / 'out.db'}"
    cases = {
        ("nonsense://x", "bodies", "body", "id"): "--from-sql nonsense://x: unknown kind of database 'nonsense'",
        ("sqlite://", "bodies", "body", "id"): "--table bodies: no such table in sqlite://",
        (f"sqlite:///{tmp_path / 'none.db'}", "bodies", "body", "id"): "no such SQLite database file",
        (url, "missing", "body", "id"): "--table missing: no such table in",
        (url, "bodies", "payload", "id"): "--column payload: bodies has no such column (it has id, body, note)",
        (url, "bodies", "body", "pk"): "--key pk: bodies has no such column",
        (url, "bodies", "body", "body"): "--column and --key both name body",
        (url, "bodies", "body", "note"): "--key note: 3 row(s) of bodies have no key (NULL)",
    }
    for (source, table, column, key), message in cases.items():
        code, err = in_process(source, table, column, key, out, "converted")
        assert code == 2 and message in err and "Traceback" not in err, (source, err)
    done = cli("convert", "--from-sql", "postgresql://nobody@127.0.0.1:9/none", "--table", "t", "--column", "c", "--key", "k", "-o", out, "--to-table", "x")  # fmt: skip
    assert done.returncode == 2 and "cannot connect" in done.stderr and "Traceback" not in done.stderr


def test_a_key_that_is_not_unique_cannot_paginate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    with engine(url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE bodies (shop INTEGER, body TEXT)"))
        conn.execute(sa.text("INSERT INTO bodies VALUES (1, '{}'), (2, '{}'), (2, '{}')"))
    code, err = in_process(url, "bodies", "body", "shop", url, "converted")
    assert code == 2 and "several rows with the key 2: name a unique column" in err


def test_a_target_that_holds_rows_needs_resume_and_a_foreign_table_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    load(url, small(4, {}))
    assert in_process(url, "bodies", "body", "id", url, "converted")[0] == 0
    code, err = in_process(url, "bodies", "body", "id", url, "converted")
    assert code == 2 and "converted already holds rows of a run: --resume continues it" in err
    assert "to start over, drop converted, converted_rejects and converted_run" in err
    code, err = in_process(url, "bodies", "body", "id", url, "converted", resume=True, report="none")
    assert code == 0 and "resuming after bodies row 4 (id 4): 4 order(s) already in converted" in err
    assert rows(url, "SELECT count(*) FROM converted") == [(4,)]
    # The rows were written in en_US, validated: another locale or --no-validate would mix two shapes.
    code, err = in_process(url, "bodies", "body", "id", url, "converted", resume=True, locale="de_CH", validate=False)
    assert code == 2 and "written by a different command (--locale, --validate differ)" in err
    with engine(url).begin() as conn:
        conn.execute(
            sa.text("""UPDATE converted_run SET value = replace(value, '"babel":"', '"babel":"0.') WHERE name = 'versions'""")
        )
    code, err = in_process(url, "bodies", "body", "id", url, "converted", resume=True)
    assert code == 2 and "converted was written under other versions (babel 0.2.19.0 -> 2.19.0)" in err
    code, err = in_process(url, "bodies", "body", "id", url, "bodies")
    assert code == 2 and "it is the table being read" in err
    with engine(url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE theirs (id INTEGER, payload TEXT)"))
    code, err = in_process(url, "bodies", "body", "id", url, "theirs")
    assert code == 2 and "theirs exists but is not the table this run writes" in err
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, err = in_process(url, "bodies", "body", "id", fresh, "converted", resume=True, report="none")
    assert code == 0 and "nothing to resume in converted" in err


def test_the_command_line_says_what_a_sql_run_needs_and_refuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    done = cli("convert", "--from-sql", url, "--table", "t", "--column", "c", "--key", "k")
    assert done.returncode == 2 and "a SQL run needs -o, --to-table" in done.stderr
    done = cli("convert", "in.ndjson", "--from-sql", url, "--table", "t", "--column", "c", "--key", "k", "-o", url, "--to-table", "x", "--report-out", "r.ndjson")  # fmt: skip
    assert done.returncode == 2 and "a SQL run takes no FILES, --report-out" in done.stderr
    done = cli("convert")
    assert done.returncode == 2 and "give the files to convert, or --from-sql" in done.stderr


def test_a_row_holding_several_orders_gives_a_target_row_each_with_its_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    two = orders(3)
    load(url, [(1, json.dumps(two[0])), (2, json.dumps({"orders": two[1:]})), (3, json.dumps([two[0], {"lineItems": 1}]))])
    code, err = in_process(url, "bodies", "body", "id", url, "converted", report="none")
    assert code == 1 and "bodies:3::$[1].lineItems: expected an array, got 1" in err
    assert [(k, p) for k, p in rows(url, "SELECT id, position FROM converted ORDER BY position, rowid")] == [
        (1, 1),
        (2, 2),
        (2, 2),
        (3, 3),
    ]
    assert rows(url, "SELECT id, position FROM converted_rejects") == [(3, 3)]
