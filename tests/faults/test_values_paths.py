"""Paths in messages are unambiguous for any key a JSON object can hold (issue 13, item 12): one renderer
writes `$.a` for an identifier and `$["a.b"]` for any other key, and every rendered path reads back as
the keys it names. Each unmapped field is reported once, at its own path."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, load_json
from orders_migrate import convert_order
from orders_migrate.check import check_file
from orders_migrate.engine import compile_table, default_plan
from orders_migrate.paths import PathError, parse, parse_rendered, render_steps
from orders_migrate.query.translate import translate_query
from orders_migrate.report import ConversionError
from orders_migrate.webhooks import convert_webhook
from strategies import replace_fields

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
REFERENCE = compile_table(default_plan().table, generate=False)

# Keys that a dotted path would misread, and any text at all.
ODD_KEYS = ["a.b", "a[0]", "a]", '"', "x y", "", "12", "$", "$.a", "é", "\\", "{0}", "a\nb", "\ud800"]
KEY = st.sampled_from(ODD_KEYS) | st.text(max_size=6)
STEPS = st.lists(KEY | st.integers(min_value=0, max_value=10**6), max_size=6)


@given(STEPS)
def test_a_rendered_path_reads_back_as_its_keys(steps: list[str | int]) -> None:
    rendered = render_steps(steps)
    assert parse_rendered(rendered) == tuple(steps)


@pytest.mark.parametrize(
    ("steps", "rendered"),
    [
        (["lineItems", 2, "name"], "$.lineItems[2].name"),
        (["a.b"], '$["a.b"]'),
        (["a", "b"], "$.a.b"),
        ([""], '$[""]'),
        (["12"], '$["12"]'),
        ([12], "$[12]"),
        (["x y", 'q"'], '$["x y"]["q\\""]'),
        (["$and"], "$.$and"),
    ],
)
def test_identifiers_stay_dotted_and_other_keys_are_bracketed(steps: list[str | int], rendered: str) -> None:
    assert render_steps(steps) == rendered


@pytest.mark.parametrize("bad", ["", "a", "$.", "$..a", "$[", "$[x]", '$["a"', '$["a"x]', "$.1a", "$ .a"])
def test_a_malformed_rendered_path_is_refused(bad: str) -> None:
    with pytest.raises(PathError):
        parse_rendered(bad)


def test_table_paths_render_through_the_same_renderer() -> None:
    assert parse("lineItems[i].priceData.price").render((3,)) == render_steps(["lineItems", 3, "priceData", "price"])


# Where an unknown key is put, and the keys above it: the top, an object the table knows, a line item.
PLACES: list[tuple[str | int, ...]] = [(), ("billingInfo",), ("lineItems", 0), ("lineItems", 2, "priceData")]


def _unmapped(order: dict[str, Any], plan: Any = None) -> list[str]:
    result = convert_order(copy.deepcopy(order), **({"plan": plan} if plan is not None else {}))
    return [e.path for e in result.report.entries if e.kind == "unmapped"]


def _read_by_the_table(steps: tuple[str | int, ...]) -> bool:
    node: Any = default_plan().reads
    for step in steps:
        if not isinstance(node, Mapping):
            return True  # inside a field the table reads whole
        node = node.get("[]" if isinstance(step, int) else step)
        if node is None:
            return False
    return True


def test_a_key_the_table_reads_is_not_taken_for_unknown() -> None:
    # Hypothesis once drew `notes`: the example's line items lack it, yet the description-lines row reads it.
    assert _read_by_the_table(("lineItems", 0, "notes"))
    assert not _read_by_the_table(("lineItems", 0, "surprise"))


@given(KEY, st.sampled_from(PLACES))
def test_an_unknown_key_is_reported_once_at_a_path_naming_it(key: str, place: tuple[str | int, ...]) -> None:
    order = load_json(EXAMPLE)
    holder: Any = order
    for step in place:
        holder = holder[step]
    if key in holder or _read_by_the_table((*place, key)):
        return  # a known field (one the example lacks, such as a line item's notes, too): not unknown
    holder[key] = "surprise"
    for plan in (None, REFERENCE):
        paths = _unmapped(order, plan)
        naming = [p for p in paths if parse_rendered(p)[: len(place) + 1] == (*place, key)]
        assert naming == [render_steps((*place, key))], paths


@given(KEY)
def test_a_webhook_field_no_rule_reads_is_named_unambiguously(key: str) -> None:
    body = load_json(FIXTURES / "webhooks" / "fulfillment_created.json")
    if key in body:
        return
    body[key] = 1
    result = convert_webhook(body)
    paths = [e.path for e in result.report.entries if e.kind == "unmapped"]
    assert paths == [render_steps((key,))]
    assert parse_rendered(paths[0]) == (key,)


@given(KEY)
def test_a_query_key_is_named_unambiguously(key: str) -> None:
    if key in ("filter", "sort", "paging"):
        return
    try:
        translation = translate_query({"query": {"filter": {}, key: 1}})
    except ConversionError as exc:  # a key no UTF-8 text holds is refused, at the key
        assert [parse_rendered(p.path) for p in exc.problems] == [("query", key)]
        return
    dropped = [e.path for e in translation.entries if e.kind == "dropped"]
    assert [parse_rendered(p) for p in dropped] == [("query", key)]


def test_check_names_an_odd_key_of_an_invalid_ecommerce_order_unambiguously(tmp_path: Any) -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    order["lineItems"][0]["catalogReference"] = {"catalogItemId": 5}
    order["a.b"] = {"c": 1}
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order))
    result = check_file(str(path))
    paths = [parse_rendered(f.path) for f in result.findings]
    assert ("lineItems", 0, "catalogReference", "catalogItemId") in paths
    assert all(p[:1] != ("a",) for p in paths)  # never `$.a.b`: there is no key "a"


ODD_VALUES = st.sampled_from([None, True, "x", -1, [], {}, [{"a": 1}], {"u": 1}, "10.5", 1.5])
STORES_FIXTURES = sorted((FIXTURES / "stores").glob("*.json"))


@given(st.sampled_from(STORES_FIXTURES), st.data())
def test_each_error_is_said_once_at_the_deepest_path(path: Any, data: st.DataObject) -> None:
    order = load_json(path)
    replace_fields(order, data, ODD_VALUES, data.draw(st.integers(min_value=1, max_value=2)))
    try:
        convert_order(order)
    except ConversionError as exc:
        problems = [(p.path, p.message) for p in exc.problems]
        assert len(problems) == len(set(problems)), "two rows reading one field say its problem once"
        steps = {parse_rendered(p) for p, _ in problems}
        assert not [(a, b) for a in steps for b in steps if a != b and b[: len(a)] == a], "no error above another"


def test_an_option_of_the_wrong_type_is_named_at_its_own_field() -> None:
    order = load_json(EXAMPLE)
    order["lineItems"][0]["options"] = [{"option": "Size", "selection": 3}]
    with pytest.raises(ConversionError) as caught:
        convert_order(order)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$.lineItems[0].options[0].selection", "expected a string, got 3")
    ]


@given(KEY, st.sampled_from([(), ("lineItems", 0)]))
def test_an_unknown_key_of_a_velo_order_is_named_at_its_velo_path(key: str, place: tuple[str | int, ...]) -> None:
    order = load_json(FIXTURES / "stores" / "velo_order_paid.json")  # Velo names, restored in messages
    holder: Any = order
    for step in place:
        holder = holder[step]
    if key in holder:
        return
    holder[key] = "surprise"
    paths = _unmapped(order)
    assert [p for p in paths if parse_rendered(p)[: len(place) + 1] == (*place, key)] == [render_steps((*place, key))]
