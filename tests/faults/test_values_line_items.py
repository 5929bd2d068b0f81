"""Line-item ids are GUIDs, one per line item (issue 13, item 11): an index outside 0..999999999999, or not
an integer, or repeated, is refused at its own `$.lineItems[i].index`, in orders (generated plan and
reference plan alike), fulfillment webhooks and the coupon's lineItemIds; never a malformed or shared id."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, load_json
from orders_migrate import convert_order
from orders_migrate.engine import compile_table, default_plan
from orders_migrate.engine.ops.line_items import line_item_guid
from orders_migrate.report import ConversionError
from orders_migrate.webhooks import convert_webhook

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"  # 3 items, the third discounted by a coupon
REFERENCE = compile_table(default_plan().table, generate=False)
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOO_LARGE = "is too large for a line-item id: its GUID holds 12 digits (at most 999999999999)"


def outcome(order: dict[str, Any], **kwargs: Any) -> Any:
    try:
        result = convert_order(copy.deepcopy(order), **kwargs)
    except ConversionError as exc:
        return ("error", [(p.path, p.message) for p in exc.problems])
    return ("ok", result.order, [e.to_dict() for e in result.report.entries])


@pytest.mark.parametrize("index", [10**12, 10**30, 2**64])
def test_an_index_beyond_twelve_digits_is_refused_at_its_path(index: int) -> None:
    order = load_json(EXAMPLE)
    order["lineItems"][1]["index"] = index
    result = outcome(order)
    assert result == outcome(order, plan=REFERENCE)
    assert result == ("error", [("$.lineItems[1].index", f"index {index} {TOO_LARGE}")])


def test_the_largest_twelve_digit_index_is_a_guid() -> None:
    order = load_json(EXAMPLE)
    order["lineItems"][2]["index"] = 999_999_999_999
    result = outcome(order)
    assert result == outcome(order, plan=REFERENCE)
    assert result[1]["lineItems"][2]["id"] == "00000000-0000-0000-0000-999999999999"
    assert result[1]["appliedDiscounts"][0]["lineItemIds"] == ["00000000-0000-0000-0000-999999999999"]


def test_strict_convert_refuses_it_too(tmp_path: Path) -> None:
    order = load_json(EXAMPLE)
    order["lineItems"][1]["index"] = 10**12
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order))
    for extra in ([], ["--strict"]):
        proc = subprocess.run(
            [sys.executable, "-m", "orders_migrate", "convert", str(path), "--report", "none", *extra],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 1
        assert proc.stdout == ""
        assert f"{path}::$.lineItems[1].index: index 1000000000000 {TOO_LARGE}" in proc.stderr


def test_a_repeated_index_is_refused_at_the_second_item() -> None:
    order = load_json(EXAMPLE)
    order["lineItems"][2]["index"] = order["lineItems"][0]["index"]
    result = outcome(order)
    assert result == outcome(order, plan=REFERENCE)
    assert result == ("error", [("$.lineItems[2].index", "index 1 repeats $.lineItems[0].index: line-item ids would collide")])


def test_a_fulfillment_line_item_takes_the_same_rule() -> None:
    body = load_json(FIXTURES / "webhooks" / "fulfillment_created.json")
    body["lineItems"] = [{"index": 1, "quantity": 1}, {"index": 10**12, "quantity": 1}]
    with pytest.raises(ConversionError) as caught:
        convert_webhook(body)
    assert [(p.path, p.message) for p in caught.value.problems] == [("$.lineItems[1].index", f"index 1000000000000 {TOO_LARGE}")]
    body["lineItems"][1]["index"] = 1
    with pytest.raises(ConversionError) as caught:
        convert_webhook(body)
    assert [p.path for p in caught.value.problems] == ["$.lineItems[1].index"]


def test_the_guid_rule_itself_refuses_what_it_cannot_spell() -> None:
    assert line_item_guid(0) == "00000000-0000-0000-0000-000000000000"
    for bad in (-1, 10**12):
        with pytest.raises(ValueError, match="has no GUID"):
            line_item_guid(bad)


INDEX = st.one_of(
    st.integers(min_value=-2, max_value=5),
    st.integers(min_value=10**12 - 2, max_value=10**12 + 2),
    st.integers(min_value=2**63 - 1, max_value=2**65),
    st.sampled_from([None, True, "1", 1.0, Decimal("2.0"), Decimal("1E+12"), [], {}]),
)


@given(st.lists(st.one_of(st.just("absent"), INDEX), min_size=3, max_size=3))
def test_any_indices_give_unique_guids_or_an_error_at_an_index(indices: list[Any]) -> None:
    order = load_json(EXAMPLE)
    for item, index in zip(order["lineItems"], indices, strict=True):
        if index == "absent":
            del item["index"]
        else:
            item["index"] = index
    result = outcome(order)
    assert result == outcome(order, plan=REFERENCE), "the generated plan and the reference plan agree"
    if result[0] == "error":
        paths = [path for path, _ in result[1]]
        assert paths and all(re.fullmatch(r"\$\.lineItems\[[0-2]\]\.index", p) for p in paths)
        assert len(paths) == len(set(paths)), "each error once"
        return
    ids = [item["id"] for item in result[1]["lineItems"]]
    assert all(GUID.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)
    for discount in result[1].get("appliedDiscounts", []):
        assert set(discount.get("lineItemIds", [])) <= set(ids)
