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
    for validate in (False, True):
        seconds, converted, failed = bench.engine_seconds(corpus, validate)
        assert (converted, failed) == (20, 0)
        assert seconds > 0
    floor = bench.floor_seconds(corpus.read_bytes().splitlines())
    assert floor > 0
    assert orjson.loads(corpus.read_bytes().splitlines()[0])
