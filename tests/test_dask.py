"""A dask Bag of stored orders converted on a real two-process cluster gives exactly the CLI's output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dask
import dask.bag as db
import pytest
from distributed import Client, LocalCluster

from conftest import ROOT
from orders_migrate.dask import convert_bag
from orders_migrate.engine import plan_of
from orders_migrate.partition import convert_partition, partition_options
from test_batch import orders, write_ndjson
from test_custom_tables import CUSTOM

BAD = {17: "not json", 90: '{"lineItems": "none"}'}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # Worker processes, as on a real cluster: everything a task needs must travel by pickle.
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as c:
        yield c


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=ROOT, timeout=120, check=False
    )


def test_a_bag_of_ndjson_lines_converts_to_the_clis_bytes(client: Client, tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", orders(120), bad=BAD)
    cli_out = tmp_path / "cli.ndjson"
    assert cli("convert", str(src), "-o", str(cli_out), "--report", "none").returncode == 1  # two bad records

    bag = db.read_text(str(src), blocksize=40_000)  # several partitions
    assert bag.npartitions > 2
    conv = convert_bag(bag, rejects=True)
    lines, rejects, errors = dask.compute(conv.orders, conv.rejects, conv.errors)
    assert b"".join(line + b"\n" for line in lines) == cli_out.read_bytes()
    assert len(rejects) == 2 and len(errors) == 2
    assert [json.loads(r)["errors"][0]["message"] for r in rejects] == [
        "not valid JSON: Expecting value: line 1 column 1 (char 0)",
        "expected an array, got 'none'",
    ]
    assert all(e.startswith("bag partition ") for e in errors)


def test_a_bag_of_dicts_converts_like_its_lines(client: Client) -> None:
    records = orders(30)
    as_dicts = convert_bag(db.from_sequence(records, npartitions=3), reports=True)
    as_lines = convert_bag(db.from_sequence([json.dumps(r) for r in records], npartitions=3), reports=True)
    dict_orders, line_orders, reports = dask.compute(as_dicts.orders, as_lines.orders, as_dicts.reports)
    # json.loads made floats of the Velo fixtures' money, which the strict reader keeps as Decimal
    assert [json.loads(a) for a in dict_orders[:2]] == [json.loads(b) for b in line_orders[:2]]
    assert len(dict_orders) == 30 and len(reports) == 30
    assert json.loads(reports[0])["payloadKind"] == "stores_order"


def test_a_custom_plan_travels_to_the_workers(client: Client) -> None:
    plan = plan_of(CUSTOM, "custom.yaml", True)
    coupon = [o for o in orders(15) if o.get("paymentStatus") == "PARTIALLY_PAID"]
    assert coupon
    (line,) = convert_bag(db.from_sequence(coupon[:1], npartitions=1), plan=plan).orders.compute()
    assert json.loads(line)["paymentStatus"] == "PAID"  # the custom table's rule, applied on a worker
    (shipped,) = convert_bag(db.from_sequence(coupon[:1], npartitions=1)).orders.compute()
    assert json.loads(shipped)["paymentStatus"] == "PARTIALLY_PAID"


def test_the_partition_function_keeps_going_past_bad_records() -> None:
    """The same function serves Spark's mapPartitions: bad records are results, blank lines are skipped."""
    lines = [json.dumps(orders(1)[0]).encode(), b"", b"[1, 2", '{"lineItems": []}']
    results = convert_partition(lines, partition_options(rejects=True), source="part-0", first_line=10)
    assert [(r.line, r.ok) for r in results] == [(10, True), (12, False), (13, False)]
    assert results[1].errors.startswith("part-0:12::$: not valid JSON")
    assert json.loads(results[2].reject or b"")["record"] == {"lineItems": []}
