"""The benchmark's corpus is what its README says: valid orders of both dialects, 1 to 20 line items, the
optional sections, converting without a failure (speed itself is never asserted in a test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import orjson

from conftest import ROOT
from orders_migrate import convert_order
from orders_migrate.jsonio import loads


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def test_the_corpus_converts_and_has_the_shape_the_readme_promises(tmp_path: Path) -> None:
    bench = _bench()
    corpus = tmp_path / "corpus.ndjson"
    bench.write_corpus(corpus, 120, seed=5)
    lines = corpus.read_bytes().splitlines()
    assert len(lines) == 120
    dialects, counts, sections = set(), [], set()
    for line in lines:
        order = loads(line)
        dialects.add("velo" if "_id" in order else "rest")
        counts.append(len(order["lineItems"]))
        sections.update(key for key in bench.OPTIONAL if order.get(key))
        result = convert_order(order)  # raises on a failure
        assert result.order["lineItems"], "every order keeps its line items"
    assert dialects == {"rest", "velo"}
    assert min(counts) >= 1 and max(counts) <= 20 and len(set(counts)) > 5
    assert sections == set(bench.OPTIONAL)
    # The same seed gives the same corpus: figures from two runs compare like with like.
    again = tmp_path / "again.ndjson"
    bench.write_corpus(again, 120, seed=5)
    assert again.read_bytes() == corpus.read_bytes()


def test_the_engine_figure_runs_the_workers_own_path(tmp_path: Path) -> None:
    bench = _bench()
    corpus = tmp_path / "corpus.ndjson"
    bench.write_corpus(corpus, 20, seed=7)
    for validate in (False, True, "audit"):
        seconds, converted, failed = bench.engine_seconds(corpus, validate)
        assert (converted, failed) == (20, 0)
        assert seconds > 0
    floor = bench.floor_seconds(corpus.read_bytes().splitlines())
    assert floor > 0
    assert orjson.loads(corpus.read_bytes().splitlines()[0])


def test_the_sql_figure_converts_the_same_corpus_from_a_table_to_the_file_paths_bytes(tmp_path: Path) -> None:
    """benchmarks/sql.py times two paths over one corpus: they must convert the same records alike."""
    import io

    import sqlalchemy as sa

    from orders_migrate.run import run_convert
    from orders_migrate.sql.command import run_sql_convert

    spec = importlib.util.spec_from_file_location("bench_sql", ROOT / "benchmarks" / "sql.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corpus, db, out = tmp_path / "corpus.ndjson", tmp_path / "orders.db", tmp_path / "out.ndjson"
    _bench().write_corpus(corpus, 30, seed=7)
    assert module.sqlite_copy(corpus, db) == 30
    assert run_convert([str(corpus)], str(out), report="none", jobs=1, stderr=io.StringIO()) == 0
    url = f"sqlite:///{db}"
    assert run_sql_convert(url, "bodies", "body", "id", url, "converted", report="none", jobs=1, stderr=io.StringIO()) == 0
    with sa.create_engine(url).connect() as conn:
        written = [row[0].encode() for row in conn.execute(sa.text("SELECT ecom_order FROM converted ORDER BY position"))]
    assert written == out.read_bytes().splitlines()
