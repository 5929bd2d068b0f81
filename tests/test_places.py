"""A message that names a second place ("repeats $.lineItems[0].index", "disagrees with ...") names it as
the user's file has it, wherever the order sits: in a webhook body, a fulfillment of the order, a record
of an array file. The path of an entry or problem was always re-rooted; the places in its words now are too."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_migrate import convert_order, convert_webhook
from orders_migrate.engine import compile_table, default_plan
from orders_migrate.report import ConversionError, Entry, Problem, under

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _array_file(tmp_path: Path, order: dict[str, Any], twin_items: list[Any]) -> Path:
    """An array file of ``order`` and a twin of it holding ``twin_items`` as its line items."""
    twin = copy.deepcopy(order)
    twin["lineItems"] = twin_items
    src = tmp_path / "orders.json"
    src.write_text(json.dumps([order, twin]), encoding="utf-8")
    return src


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orders_migrate", *args], capture_output=True, text=True, check=False)


def test_a_repeated_index_in_a_webhook_body_names_the_first_in_the_body() -> None:
    body = _load("webhooks/order_paid.json")
    body["order"]["lineItems"].append(copy.deepcopy(body["order"]["lineItems"][0]))
    with pytest.raises(ConversionError) as err:
        convert_webhook(body, kind="order-paid")
    (problem,) = err.value.problems
    assert problem.path == "$.order.lineItems[1].index"
    assert "repeats $.order.lineItems[0].index:" in problem.message


def test_a_disagreement_in_a_webhook_body_names_the_value_used_in_the_body() -> None:
    body = _load("webhooks/order_paid.json")
    body["order"]["lineItems"][0]["price"] = "7"
    converted = convert_webhook(body, kind="order-paid")
    (entry,) = [e for e in converted.report.entries if e.kind == "mismatch" and e.row == "line-price"]
    assert entry.path == "$.order.lineItems[0].price"
    assert "disagrees with $.order.lineItems[0].priceData.price = '5'" in entry.message


def test_a_repeated_index_in_a_fulfillment_names_the_fulfillments_own_item() -> None:
    order = _load("stores/coupon_partially_fulfilled.json")
    order["fulfillments"][0]["lineItems"][1]["index"] = 1
    with pytest.raises(ConversionError) as err:
        convert_order(order, companions=True)
    messages = {p.path: p.message for p in err.value.problems}
    assert "repeats $.fulfillments[0].lineItems[0].index:" in messages["$.fulfillments[0].lineItems[1].index"]


def test_an_array_file_names_both_places_in_the_same_record(tmp_path: Path) -> None:
    order = _load("stores/create_request_minimal.json")
    src = _array_file(tmp_path, order, [dict(order["lineItems"][0], index=4), dict(order["lineItems"][0], index=4)])
    run = _cli("convert", str(src), "-o", str(tmp_path / "out.json"), "--report", "none")
    assert run.returncode == 1
    assert f"{src}::$[1].lineItems[1].index: index 4 repeats $[1].lineItems[0].index: line-item ids would collide" in run.stderr


def test_a_place_is_rerooted_whole_and_a_longer_path_is_left_alone() -> None:
    entry = Entry("mismatch", "$.a.b", "'x' disagrees with $.a = 1, not $.a.c or $.ab", "r", None, ("$.a",))
    moved = entry.rerooted(under("$.data.order"))
    assert moved.path == "$.data.order.a.b"
    assert moved.message == "'x' disagrees with $.data.order.a = 1, not $.a.c or $.ab"
    assert moved.places == ("$.data.order.a",)
    assert moved.to_dict() == {"kind": "mismatch", "path": "$.data.order.a.b", "message": moved.message, "row": "r"}
    # A message naming no place keeps its words, whatever the prefix.
    plain = Problem("$.x", "expected a string, got $.a")
    assert plain.rerooted(under("$.y")) == Problem("$.y.x", "expected a string, got $.a")


@given(
    st.lists(st.sampled_from(["lineItems", "totals", "order", "a"]), min_size=1, max_size=3),
    st.integers(0, 30),
    st.sampled_from(["$.order", "$[3]", "$.data.order", "$.fulfillments[0]"]),
)
def test_every_place_named_is_rerooted(keys: list[str], n: int, prefix: str) -> None:
    place = "$." + ".".join(keys) + f"[{n}].index"
    problem = Problem(f"$.lineItems[{n + 1}].index", f"index 1 repeats {place}: line-item ids would collide", (place,))
    moved = problem.rerooted(under(prefix))
    assert moved.message == f"index 1 repeats {prefix}{place[1:]}: line-item ids would collide"
    assert moved.places == (prefix + place[1:],)
    # "$" re-roots nothing, and re-rooting is what the path and the places get alike.
    assert problem.rerooted(under("$")) == problem


def test_a_value_the_message_quotes_is_the_users_own_even_when_it_spells_the_place() -> None:
    # The stated price is the text of the place it disagrees with: the quoted value is the user's, as
    # written; only the place the message names is re-rooted into the body.
    body = _load("webhooks/order_paid.json")
    body["order"]["lineItems"][0]["price"] = "$.lineItems[0].priceData.price"
    converted = convert_webhook(body, kind="order-paid")
    (entry,) = [e for e in converted.report.entries if e.kind == "mismatch" and e.row == "line-price"]
    assert entry.message == (
        "'$.lineItems[0].priceData.price' disagrees with $.order.lineItems[0].priceData.price = '5', which was used"
    )


@pytest.mark.parametrize(
    "quoted",
    ["'$.a'", "'see $.a'", '"it\'s $.a"', "'it\\'s $.a'", "'$.a\\\\'"],
    ids=["the place", "a sentence naming it", "double quotes", "an escaped quote", "an escaped backslash"],
)
def test_no_quoted_value_is_rerooted(quoted: str) -> None:
    entry = Entry("mismatch", "$.b", f"{quoted} disagrees with $.a = {quoted}, which was used", "r", None, ("$.a",))
    moved = entry.rerooted(under("$[2]"))
    assert moved.message == f"{quoted} disagrees with $[2].a = {quoted}, which was used"


def test_a_place_inside_a_longer_name_is_not_rerooted() -> None:
    # An identifier may hold "$" ($.a$b is the key a$b), and a path starts only where no name goes on.
    problem = Problem("$.b", "x$.a and $.a$b and $.a.$c repeat $.a", ("$.a",))
    assert problem.rerooted(under("$.order")).message == "x$.a and $.a$b and $.a.$c repeat $.order.a"


def test_strict_names_both_places_of_a_repeated_line_item_id_in_the_same_record(tmp_path: Path) -> None:
    # --strict refuses an eCommerce order whose report holds an invalid entry: the entry's place goes with it.
    order = _load("check/mixed/ecom_order.json")
    src = _array_file(tmp_path, order, [order["lineItems"][0], copy.deepcopy(order["lineItems"][0])])
    run = _cli("convert", str(src), "-o", str(tmp_path / "out.json"), "--report", "none", "--strict")
    assert run.returncode == 1
    item_id = order["lineItems"][0]["id"]
    assert f'{src}::$[1].lineItems[1].id: not a valid eCommerce order: id "{item_id}" repeats $[1].lineItems[0].id:' in run.stderr


def test_import_plan_names_both_places_in_the_same_record(tmp_path: Path) -> None:
    order = _load("stores/create_request_minimal.json")
    src = _array_file(tmp_path, order, [dict(order["lineItems"][0], index=4), dict(order["lineItems"][0], index=4)])
    run = _cli("import-plan", str(src), "-o", str(tmp_path / "plan.ndjson"))
    assert run.returncode == 1
    assert f"{src}::$[1].lineItems[1].index: index 4 repeats $[1].lineItems[0].index: line-item ids would collide" in run.stderr


@pytest.mark.parametrize("plan", [None, compile_table(default_plan().table, generate=False)], ids=["generated", "reference"])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "other@example.com"}, "mixes the REST and Velo dialects: $.order.billingInfo.address.email is there too"),
        (None, "cannot move it to $.order.billingInfo.address.email: a value on the way is not an object"),
    ],
    ids=["a REST twin", "no object on the way"],
)
def test_a_velo_field_that_cannot_move_names_its_rest_place_in_the_body(plan: Any, change: Any, message: str) -> None:
    # A Velo order inside a webhook body: the REST place the field would move to is the body's too.
    order = _load("stores/velo_order_paid.json")
    if change is None:
        order["billingInfo"]["address"] = "New York"
    else:
        order["billingInfo"]["address"].update(change)
    with pytest.raises(ConversionError) as err:
        convert_webhook({"order": order}, kind="order-paid", plan=plan)
    assert f"$.order.billingInfo.email: {message}" in [str(p) for p in err.value.problems]


@pytest.mark.parametrize("as_text", [False, True])
def test_a_stored_create_request_names_the_first_index_where_the_reader_finds_it(tmp_path: Path, as_text: bool) -> None:
    """In a request held as JSON text (a HAR file's postData.text) the problem's path says which text; the
    place its words name is the path in that same text, not the whole prefix spelled a second time."""
    order = _load("stores/create_request_minimal.json")
    order["lineItems"] = [dict(order["lineItems"][0], index=1), dict(order["lineItems"][0], index=1)]
    if as_text:
        request = {"method": "POST", "url": "https://www.wixapis.com/stores/v2/orders"}
        request["postData"] = {"mimeType": "application/json", "text": json.dumps({"order": order})}
        src = tmp_path / "session.har"
        src.write_text(json.dumps({"log": {"entries": [{"request": request}]}}), encoding="utf-8")
        expected = (
            f"{src}::$.log.entries[0].request.postData.text: $.order.lineItems[1].index: "
            "index 1 repeats $.order.lineItems[0].index: line-item ids would collide"
        )
    else:
        src = tmp_path / "requests.ndjson"
        src.write_text(json.dumps({"method": "POST", "path": "/stores/v2/orders", "body": {"order": order}}) + "\n")
        expected = (
            f"{src}:1::$.body.order.lineItems[1].index: "
            "index 1 repeats $.body.order.lineItems[0].index: line-item ids would collide"
        )
    done = _cli("requests", str(src), "-o", str(tmp_path / "out.ndjson"))
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == expected
