"""Values no JSON file can hold, which a caller in Python can still pass (an integer beyond the
interpreter's 4,300-digit limit for ``str()``, a signalling NaN, an infinite Decimal): a clear
ConversionError at the value's path or a conversion, never a traceback from deep inside a row."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orders_migrate import convert_order, convert_webhook
from orders_migrate.jsonio import json_dumps_exact
from orders_migrate.report import ConversionError, Problem, describe

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HUGE = 10**5000  # str() refuses it


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def _problems(order: dict[str, Any], **options: Any) -> dict[str, str]:
    with pytest.raises(ConversionError) as err:
        convert_order(order, **options)
    return {p.path: p.message for p in err.value.problems}


@pytest.mark.parametrize("name", ["stores/velo_order_paid.json", "stores/rest_twin_of_velo_order_paid.json"])
@pytest.mark.parametrize("value", [HUGE, -HUGE, 10**1000], ids=["5001 digits", "-5001 digits", "1001 digits"])
def test_an_integer_amount_of_too_many_digits_is_refused_at_its_path(name: str, value: int) -> None:
    order = _load(name)
    order["totals"]["subtotal"] = value
    assert _problems(order)["$.totals.subtotal"] == "the amount has more than 1000 digits before the point: not an amount"


def test_an_integer_amount_of_a_thousand_digits_is_still_an_amount() -> None:
    order = _load("stores/velo_order_paid.json")
    order["totals"]["subtotal"] = 10**999
    mismatch = [e for e in convert_order(order).report.entries if e.path == "$.totals.subtotal"]
    assert mismatch and mismatch[0].kind == "mismatch"


def test_an_order_number_too_long_to_spell_is_refused() -> None:
    order = _load("stores/rest_twin_of_velo_order_paid.json")
    order["number"] = HUGE
    assert _problems(order)["$.number"] == "expected an integer, got one with more digits than can be written as text"


def test_a_negative_quantity_too_long_to_spell_is_named_shortly() -> None:
    order = _load("stores/rest_twin_of_velo_order_paid.json")
    order["lineItems"][0]["quantity"] = -HUGE
    assert _problems(order)["$.lineItems[0].quantity"] == "must be at least 0, got an integer of more than 60 digits"


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (("fulfillments", 0, "lineItems", 0, "index"), "$.fulfillments[0].lineItems[0].index"),
        (("lineItems", 0, "index"), "$.lineItems[0].index"),
        (("lineItems", 0, "priceData", "taxIncludedInPrice"), "$.lineItems[0].priceData.taxIncludedInPrice"),
    ],
)
def test_a_signalling_nan_is_refused_at_its_path(where: tuple[Any, ...], path: str) -> None:
    order = _load("stores/coupon_partially_fulfilled.json")
    holder: Any = order
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = Decimal("sNaN")
    problems = _problems(order, companions=True)
    assert path in problems
    assert "sNaN" in problems[path]


def test_a_webhook_body_with_an_integer_too_long_to_spell_gets_the_same_event_id_each_time() -> None:
    body = _load("webhooks/order_refunded.json")
    body["refundId"] = HUGE
    first = convert_webhook(body, kind="order-refunded")
    second = convert_webhook(body, kind="order-refunded")
    assert first.order["id"] == second.order["id"]
    body["refundId"] = HUGE + 1
    assert convert_webhook(body, kind="order-refunded").order["id"] != first.order["id"]


def test_a_kept_copy_writes_a_decimal_nan_or_infinity_as_json_dumps_writes_a_float_one() -> None:
    value = {"a": [Decimal("NaN"), Decimal("-Infinity"), Decimal("Infinity"), Decimal("1.50")]}
    assert json_dumps_exact(value) == '{"a": [NaN, -Infinity, Infinity, 1.50]}'
    with pytest.raises(TypeError):
        json_dumps_exact(value, allow_nan=False)


def test_describe_names_an_integer_too_long_to_spell() -> None:
    assert describe(HUGE) == describe(-HUGE) == "an integer of more than 60 digits"
    assert describe(10**59) == str(10**59)


def test_a_problem_found_twice_is_said_once_in_the_errors_text() -> None:
    problem = Problem("$.totals.subtotal", "not an amount")
    assert str(ConversionError([problem, problem])) == "$.totals.subtotal: not an amount"


@pytest.mark.parametrize("key", [1, None, (1,)], ids=["an int", "None", "a tuple"])
@pytest.mark.parametrize("where", [(), ("lineItems", 0), ("totals",)], ids=["the order", "a line item", "totals"])
def test_an_object_key_that_is_not_a_string_is_refused_at_its_object(key: Any, where: tuple[Any, ...]) -> None:
    # JSON names every key by a string; a dict from Python may not (an int key, a tuple).
    order = _load("stores/coupon_partially_fulfilled.json")
    holder = order
    for step in where:
        holder = holder[step]
    holder[key] = "x"
    path = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in where)
    assert _problems(order)[path] == f"expected a JSON object, got a key that is not a string ({describe(key)})"


def test_a_webhook_body_with_a_key_that_is_not_a_string_is_refused_in_the_body() -> None:
    body = _load("webhooks/order_paid.json")
    body["order"]["totals"][7] = "x"
    with pytest.raises(ConversionError) as err:
        convert_webhook(body, kind="order-paid")
    assert {p.path for p in err.value.problems} == {"$.order.totals"}


def test_a_webhook_body_with_a_key_no_json_text_can_spell_is_refused_not_raised() -> None:
    # A tuple key: the order's conversion refuses it, and so does the body's event id, which spells the body.
    body = _load("webhooks/order_paid.json")
    body["order"]["paymentStatus"] = {(1,): "x"}
    with pytest.raises(ConversionError) as err:
        convert_webhook(body, kind="order-paid")
    assert [str(p) for p in err.value.problems] == [
        "$.order.paymentStatus: expected a JSON object, got a key that is not a string ((1,))"
    ]


def test_a_custom_field_value_with_a_key_that_is_not_a_string_is_refused_at_it() -> None:
    # plain_value reads the value's own keys (stringValue, ...): a key of another type is no such name.
    order = _load("stores/coupon_partially_fulfilled.json")
    order["customField"] = {"title": "Gift note", "value": {1: "a"}}
    assert _problems(order) == {"$.customField.value": "expected a JSON object, got a key that is not a string (1)"}
    with pytest.raises(ConversionError) as err:
        convert_webhook({"order": order}, kind="order-paid")
    assert [str(p) for p in err.value.problems] == [
        "$.order.customField.value: expected a JSON object, got a key that is not a string (1)"
    ]
