"""Hostile input: a clear error with its $.path, never a traceback, a hang or unbounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, load_json, minimal_order
from orders_migrate import ConversionError, convert_order
from orders_migrate.webhooks import convert_webhook

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)

KEYS = st.sampled_from(
    [
        "id",
        "number",
        "lineItems",
        "totals",
        "billingInfo",
        "shippingInfo",
        "buyerInfo",
        "activities",
        "discount",
        "customField",
        "enteredBy",
        "channelInfo",
        "index",
        "quantity",
        "priceData",
        "price",
        "address",
        "fullName",
        "_id",
        "order",
        "orderId",
        "fulfillmentId",
        "refundId",
        "currency",
        "mediaItem",
        "src",
        "options",
        "weight",
        "subtotal",
        "total",
        "type",
        "identityType",
    ]
)
ORDERISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=10**6)
    | st.text(max_size=6)
    | st.sampled_from(["10.5", "0", "PAID", "USD", "MEMBER", "CANCELED", "wix:image://v1/a/b#originWidth=1"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


def _runs_or_raises_our_error(fn: Any, payload: Any) -> None:
    try:
        fn(payload)
    except ConversionError as exc:
        assert exc.problems and all(p.path.startswith("$") for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_fuzz_arbitrary_json_values(payload: Any) -> None:
    _runs_or_raises_our_error(convert_order, payload)
    _runs_or_raises_our_error(convert_webhook, payload)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ORDERISH)
def test_fuzz_order_shaped_json(payload: Any) -> None:
    _runs_or_raises_our_error(convert_order, payload)
    _runs_or_raises_our_error(convert_webhook, payload)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, ORDERISH, max_size=8))
def test_fuzz_real_orders_with_one_field_replaced(patch: dict[str, Any]) -> None:
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order.update(patch)
    _runs_or_raises_our_error(convert_order, order)


# ---- the named hostile inputs ----------------------------------------------------------------------


def run_cli(tmp_path: Path, content: bytes, name: str = "in.json") -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / name
    path.write_bytes(content)
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", "convert", str(path), "--report", "none"],
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "content,message",
    [
        (b"not json at all", "not valid JSON"),
        (b'{"lineItems": [{"index": 1', "not valid JSON"),
        (b"\xef\xbb\xbf" + json.dumps(minimal_order()).encode(), "byte order mark"),
        (b'{"id": "\xff\xfe"}', "not valid JSON"),
        (b"", "empty input"),
        (b"   \n  ", "empty input"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"_id": "x", "lineItems": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON"),
        (b'{"totals": {"total": NaN}, "lineItems": [{"index": 1}]}', "not valid JSON"),
        (b'{"_id": "x", "totals": {"total": NaN}, "lineItems": [{"index": 1}]}', "not valid JSON"),
        (b'{"id": "a", "id": "b", "lineItems": [{"index": 1}]}', "duplicate key 'id'"),
    ],
    ids=[
        "not-json",
        "truncated",
        "bom",
        "invalid-utf8",
        "empty",
        "blank",
        "deep-100k",
        "deep-velo",
        "nan",
        "nan-velo",
        "duplicate-keys",
    ],
)
def test_hostile_files_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    proc = run_cli(tmp_path, content)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert message in err
    assert "Traceback" not in err
    assert err.startswith(f"{tmp_path / 'in.json'}::$")


def test_a_50mb_string_field_converts_in_bounded_time(tmp_path: Path) -> None:
    order = minimal_order(buyerNote="x" * 50_000_000)
    proc = run_cli(tmp_path, json.dumps(order).encode())
    assert proc.returncode == 0, proc.stderr[:500]
    assert len(proc.stdout) > 50_000_000


def test_1e400_as_money_in_velo_is_kept_as_digits(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, b'{"_id": "x", "currency": "USD", "totals": {"total": 1e400}, "lineItems": [{"index": 1, "quantity": 1}]}'
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["priceSummary"]["total"]["amount"] == "1" + "0" * 400


def test_1e400_in_rest_money_is_read_exactly_too(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, b'{"currency": "USD", "totals": {"total": 1e400}, "lineItems": [{"index": 1, "quantity": 1}]}')
    assert proc.returncode == 0, proc.stderr
    total = json.loads(proc.stdout)["priceSummary"]["total"]
    assert total["amount"] == "1" + "0" * 400
    assert total["formattedAmount"].startswith("$10,000,000,")


def test_negative_zero_is_zero() -> None:
    assert convert_order(minimal_order(totals={"total": "-0"})).order["priceSummary"]["total"]["amount"] == "-0"


@pytest.mark.parametrize("money", ["1,5", "abc", " 10 ", "1e5", "+5", "0x10", "١٢"])
def test_malformed_money_strings(money: str) -> None:
    with pytest.raises(ConversionError, match=r"\$\.totals\.total: expected a decimal amount"):
        convert_order(minimal_order(totals={"total": money}))


def test_negative_quantity_is_an_error() -> None:
    order = minimal_order()
    order["lineItems"][0]["quantity"] = -2
    with pytest.raises(ConversionError, match=r"\$\.lineItems\[0\]\.quantity: must be at least 0, got -2"):
        convert_order(order)


def test_repeated_index_is_an_error() -> None:
    order = minimal_order()
    order["lineItems"] = [{"index": 3, "quantity": 1}, {"index": 3, "quantity": 1}]
    with pytest.raises(ConversionError, match=r"\$\.lineItems\[1\]\.index: index 3 repeats"):
        convert_order(order)


def test_more_than_300_line_items_is_an_error() -> None:
    order = minimal_order()
    order["lineItems"] = [{"index": n + 1, "quantity": 1} for n in range(301)]
    with pytest.raises(ConversionError, match=r"\$\.lineItems: at most 300 line items \(the schema's maximum\), got 301"):
        convert_order(order)
    order["lineItems"].pop()
    assert len(convert_order(order).order["lineItems"]) == 300


def test_a_yaml_table_with_a_python_tag_is_refused() -> None:
    from orders_migrate import MappingError, load_table

    with pytest.raises(MappingError):
        load_table("order:\n  - !!python/object/new:os.system [echo hi]\naddress: []\n")
