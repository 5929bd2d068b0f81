"""``convert --filter``: the stored orders to migrate, picked with the Stores Query Orders filter language
(issue 13, item 17), evaluated locally; part of the checkpoint, counted in the summary."""

from __future__ import annotations

import copy
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, load_json
from orders_migrate.batch.config import KILL_AFTER_ENV
from orders_migrate.order_filter import FilterError, compile_filter
from strategies import stores_order

COUPON = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")  # PARTIALLY_PAID, 3 line items
VELO = load_json(FIXTURES / "stores" / "velo_order_paid.json")


def matches(flt: Any, order: dict[str, Any]) -> bool:
    return compile_filter(json.dumps(flt)).matches(copy.deepcopy(order))


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"paymentStatus": "PARTIALLY_PAID"}, True),
        ({"paymentStatus": {"$ne": "PARTIALLY_PAID"}}, False),
        ({"paymentStatus": {"$hasSome": ["PAID", "PARTIALLY_PAID"]}}, True),
        ({"number": {"$gt": COUPON["number"] - 1, "$lte": COUPON["number"]}}, True),
        ({"number": {"$lt": COUPON["number"]}}, False),
        ({"dateCreated": {"$gte": COUPON["dateCreated"]}}, True),
        ({"dateCreated": {"$gt": COUPON["dateCreated"]}}, False),
        ({"lineItems.name": {"$hasSome": [COUPON["lineItems"][1]["name"]]}}, True),
        ({"lineItems.name": {"$hasAll": [COUPON["lineItems"][0]["name"], "not an item"]}}, False),
        ({"billingInfo.address.fullName": {"$startsWith": COUPON["billingInfo"]["address"]["fullName"]["firstName"][:2]}}, True),
        ({"billingInfo.address.fullName": {"$contains": "nobody at all"}}, False),
        ({"$or": [{"paymentStatus": "PAID"}, {"archived": COUPON["archived"]}]}, True),
        ({"$and": [{"paymentStatus": "PARTIALLY_PAID"}, {"$not": {"archived": COUPON["archived"]}}]}, False),
        ({"channelInfo.externalOrderId": "x"}, False),  # a field the order lacks matches only $ne
        ({"channelInfo.externalOrderId": {"$ne": "x"}}, True),
    ],
)
def test_each_operator_on_a_stored_order(flt: Any, expected: bool) -> None:
    assert matches(flt, COUPON) is expected


def test_a_date_compares_as_an_instant_whether_iso_text_or_epoch_milliseconds() -> None:
    # 2020-04-28T21:53:46Z, the seed's own lastUpdated example (epoch ms), against ISO text in the order.
    order = {**COUPON, "lastUpdated": "2020-04-28T21:53:46.000Z"}
    assert matches({"lastUpdated": {"$gte": 1588110826000}}, order)
    assert not matches({"lastUpdated": {"$gt": 1588110826000}}, order)
    assert matches({"lastUpdated": {"$lte": "2020-04-28T23:53:46+02:00"}}, order)


def test_a_velo_order_is_read_in_its_rest_shape() -> None:
    assert matches({"paymentStatus": "PAID"}, VELO)
    assert matches({"id": VELO["_id"]}, VELO)


def test_the_filter_as_stores_took_it_a_json_text_works_too() -> None:
    assert compile_filter(json.dumps(json.dumps({"paymentStatus": "PARTIALLY_PAID"}))).matches(COUPON)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ('{"payment": "PAID"}', "$.payment", "'payment' is not a field Stores Query Orders could filter on"),
        ('{"number": {"$in": [1]}}', "$.number.$in", "unknown operator '$in'"),
        ('{"dateCreated": {"$gt": "yesterday"}}', "$.dateCreated.$gt", "expected a date"),
        ('{"$or": []}', "$.$or", "expected a non-empty array of filters"),
        ('{"id": {"$hasSome": "a"}}', "$.id.$hasSome", "takes a non-empty array"),
        ("[1]", "$", "expected a filter object"),
        ("{", "$", "not valid JSON"),
        ('{"a": 1, "a": 2}', "$", "duplicate"),
        # A value the field can never hold is a mistake, not an empty result (a newcomer's finding).
        ('{"paymentStatus": "PAYED"}', "$.paymentStatus", "'PAYED' is not a value of paymentStatus"),
        ('{"paymentStatus": {"$hasSome": ["PAID", "X"]}}', "$.paymentStatus.$hasSome[1]", "'X' is not a value"),
        ('{"number": {"$gt": "ten"}}', "$.number.$gt", "number is a number, got 'ten'"),
        ('{"archived": "yes"}', "$.archived", "archived is true or false"),
    ],
)
def test_a_bad_filter_is_refused_at_its_path(text: str, path: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(text)
    assert caught.value.path == path and message in caught.value.message, caught.value


def test_a_filter_travels_to_workers_as_its_text() -> None:
    flt = compile_filter('{"paymentStatus": "PARTIALLY_PAID"}')
    again = pickle.loads(pickle.dumps(flt))  # noqa: S301 - bytes this test just pickled
    assert again.text == flt.text and again.matches(COUPON)


@given(stores_order(), st.sampled_from(["PAID", "NOT_PAID", "PARTIALLY_PAID", "FULLY_REFUNDED"]))
def test_eq_and_not_agree_with_the_order_on_generated_orders(order: dict[str, Any], status: str) -> None:
    eq = matches({"paymentStatus": status}, order)
    assert eq is (order.get("paymentStatus") == status)
    assert matches({"$not": {"paymentStatus": status}}, order) is (not eq)
    assert matches({"paymentStatus": {"$ne": status}}, order) is (not eq)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _orders(n: int) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        order = copy.deepcopy(COUPON)
        order["id"] = f"0000000{k:01d}-aaaa-4bbb-8ccc-000000000000"
        order["number"] = 20000 + k
        order["paymentStatus"] = "PAID" if k % 2 else "NOT_PAID"
        out.append(order)
    return out


def test_a_batch_converts_only_the_orders_the_filter_matches_and_says_how_many_it_left_out(tmp_path: Path) -> None:
    src = tmp_path / "in.ndjson"
    src.write_text("".join(json.dumps(o) + "\n" for o in _orders(6)))
    out = tmp_path / "out.ndjson"
    proc = cli("convert", str(src), "-o", str(out), "--filter", '{"paymentStatus": "PAID"}', "--report", "none")
    assert proc.returncode == 0, proc.stderr
    numbers = [json.loads(line)["number"] for line in out.read_text().splitlines()]
    assert numbers == ["20001", "20003", "20005"]
    assert "6 records in, 3 converted, 0 rejected, 3 left out by --filter" in proc.stderr.decode()


def test_an_ndjson_output_holds_one_line_even_for_one_order(tmp_path: Path) -> None:
    # out.ndjson is NDJSON whatever the count: one match once wrote an indented document (a newcomer's finding).
    src = tmp_path / "in.ndjson"
    src.write_text("".join(json.dumps(o) + "\n" for o in _orders(4)))
    out = tmp_path / "out.ndjson"
    proc = cli("convert", str(src), "-o", str(out), "--filter", '{"number": 20001}', "--report", "none")
    assert proc.returncode == 0, proc.stderr
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["number"] == "20001"


def test_a_folder_output_writes_no_file_for_an_input_the_filter_left_out(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for order in _orders(4):
        (inputs / f"{order['number']}.json").write_text(json.dumps(order))
    proc = cli(
        "convert", str(inputs), "-o", f"{tmp_path / 'out'}/", "--filter", '{"number": {"$gte": 20002}}', "--report", "none"
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["20002.json", "20003.json"]


def test_a_bad_filter_is_a_usage_error() -> None:
    proc = cli("convert", "fixtures/stores", "--filter", '{"payment": "PAID"}')
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "--filter" in err and "'payment' is not a field" in err and "Traceback" not in err


def test_the_filter_is_part_of_the_checkpoint(tmp_path: Path) -> None:
    src = tmp_path / "in.ndjson"
    src.write_text("".join(json.dumps(o) + "\n" for o in _orders(8)))
    out = tmp_path / "out.ndjson"
    common = ["convert", str(src), "-o", str(out), "--chunk-size", "2", "--checkpoint-bytes", "0", "--report", "none"]
    killed = cli(*common, "--filter", '{"paymentStatus": "PAID"}', env={KILL_AFTER_ENV: "2"})
    assert killed.returncode == -signal.SIGKILL
    other = cli(*common, "--filter", '{"paymentStatus": "NOT_PAID"}', "--resume")
    assert other.returncode == 2 and "different command (--filter differs)" in other.stderr.decode()
    same = cli(*common, "--filter", '{"paymentStatus":"PAID"}', "--resume")  # the same filter, spaced otherwise
    assert same.returncode == 0, same.stderr
    assert [json.loads(line)["number"] for line in out.read_text().splitlines()] == ["20001", "20003", "20005", "20007"]
    assert "4 left out by --filter" in same.stderr.decode()
