"""Benchmark of the SQL path beside the file path, measured in the same run: the benchmark's corpus
(benchmarks/run.py's generator) as an NDJSON file and as a SQLite table of the same records, each
converted by the CLI (`convert FILE -o out.ndjson` and `convert --from-sql ... --to-table`), alternately,
best of --repeats, in orders/s.

    python benchmarks/sql.py                   # about a minute on 2 cores
    python benchmarks/sql.py --orders 1000 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import run_cli, write_corpus  # noqa: E402 - the benchmark's own corpus and timer


def sqlite_copy(corpus: Path, db: Path) -> int:
    """The corpus as a table of stored bodies: an integer key and a JSON (text) column, one line a row."""
    lines = corpus.read_bytes().splitlines()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE bodies (id INTEGER PRIMARY KEY, body JSON NOT NULL)")
        conn.executemany("INSERT INTO bodies VALUES (?, ?)", ((n, line.decode()) for n, line in enumerate(lines, start=1)))
    conn.close()
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=3000, help="orders in the corpus (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each path; the best counts (default 3)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes of both paths (default 1)")
    parser.add_argument("--seed", type=int, default=5)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orders-migrate-bench-sql-") as tmp:
        work = Path(tmp)
        corpus, db = work / "corpus.ndjson", work / "orders.db"
        size = write_corpus(corpus, ns.orders, ns.seed)
        orders = sqlite_copy(corpus, db)
        print(f"corpus: {orders} orders, {size / 1e6:.1f} MB; --jobs {ns.jobs}; load average {os.getloadavg()[0]:.2f}")
        common = ["--report", "none", "--jobs", str(ns.jobs)]
        walls: dict[str, list[float]] = {"file": [], "sqlite": []}
        for _ in range(ns.repeats):  # alternately: a busy neighbour slows one run, not one path
            out = work / "out.ndjson"
            out.unlink(missing_ok=True)
            # The SQL path writes each order's report to its table: the file path writes them too.
            reports = ["--report-out", str(work / "reports.ndjson")]
            walls["file"].append(run_cli([str(corpus), "-o", str(out), *reports, *common])[0])
            target = work / "out.db"
            target.unlink(missing_ok=True)
            sql = ["--from-sql", str(db), "--table", "bodies", "--column", "body", "--key", "id"]
            walls["sqlite"].append(run_cli([*sql, "-o", str(target), "--to-table", "converted", *common])[0])
        file_best, sql_best = min(walls["file"]), min(walls["sqlite"])
        print(f"file path   (convert FILE -o out.ndjson --report-out): {file_best:.2f} s, {orders / file_best:,.0f} orders/s")
        print(f"SQL path    (--from-sql sqlite --to-table): {sql_best:.2f} s, {orders / sql_best:,.0f} orders/s")
        print(f"SQL path / file path: {file_best / sql_best:.2f}x the file path's orders/s (process start included)")


if __name__ == "__main__":
    main()
