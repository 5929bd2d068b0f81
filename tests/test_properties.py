"""Properties over generated Stores orders: money exact, ids by Wix's rule, determinism, no silent drops.

The default profile is quick; set HYPOTHESIS_PROFILE=long for a deeper run.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings

from accounting import lost_leaves, unmapped_and_carried
from orders_migrate import convert_order
from strategies import stores_order, stores_webhook


def _prices(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):
        if "amount" in value and isinstance(value["amount"], str):
            return [value]
        # catalogReference holds the buyer's own option texts, which may be called anything
        return [p for k, v in value.items() if k != "catalogReference" for p in _prices(v)]
    if isinstance(value, list):
        return [p for v in value for p in _prices(v)]
    return []


def _floats(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []


@given(stores_order())
def test_copied_amounts_are_the_source_strings(order: dict[str, Any]) -> None:
    out = convert_order(order).order
    for key in ("subtotal", "shipping", "tax", "discount", "total"):
        assert out["priceSummary"][key]["amount"] == order["totals"][key]
    for src, dst in zip(order["lineItems"], out["lineItems"], strict=True):
        assert dst["price"]["amount"] == src["priceData"]["price"]
        assert dst["totalDiscount"]["amount"] == src["discount"]
        assert dst["taxDetails"]["totalTax"]["amount"] == src["tax"]


@given(stores_order())
def test_line_totals_follow_the_rule_exactly(order: dict[str, Any]) -> None:
    result = convert_order(order)
    out = result.order
    mismatches = {e.path for e in result.report.by_kind("mismatch")}
    for n, (src, dst) in enumerate(zip(order["lineItems"], out["lineItems"], strict=True)):
        total, discount, tax = (Decimal(src["priceData"]["totalPrice"]), Decimal(src["discount"]), Decimal(src["tax"]))
        if src["priceData"]["taxIncludedInPrice"]:
            expected_after, expected_before = total - discount, total - discount - tax
        else:
            expected_before, expected_after = total - discount, total - discount + tax
        if expected_before < 0 or expected_after < 0:
            # eCommerce amounts are never negative: not written, and the report says why
            assert "totalPriceBeforeTax" not in dst and "totalPriceAfterTax" not in dst
            assert f"$.lineItems[{n}].priceData.totalPrice" in mismatches
            continue
        before, after = Decimal(dst["totalPriceBeforeTax"]["amount"]), Decimal(dst["totalPriceAfterTax"]["amount"])
        # Written with the currency's minor units: the same value up to half a minor unit.
        unit = Decimal(1).scaleb(-{"JPY": 0, "KWD": 3}.get(order["currency"], 2))
        assert abs(before - expected_before) <= unit / 2
        assert abs(after - expected_after) <= unit / 2
        assert -before.as_tuple().exponent == -unit.as_tuple().exponent  # type: ignore[operator]


@given(stores_order())
def test_no_float_in_any_amount_and_every_price_is_formatted(order: dict[str, Any]) -> None:
    out = convert_order(order).order
    for p in _prices(out):
        Decimal(p["amount"])  # a decimal string
        assert p["formattedAmount"]
    floats = _floats(out)
    weights = [li.get("physicalProperties", {}).get("weight") for li in out["lineItems"]]
    assert all(f in weights for f in floats), "only weights may be JSON floats"


@given(stores_order())
def test_line_item_ids_follow_wix_rule_and_references_resolve(order: dict[str, Any]) -> None:
    out = convert_order(order).order
    ids = [li["id"] for li in out["lineItems"]]
    assert ids == [f"00000000-0000-0000-0000-{li['index']:012d}" for li in order["lineItems"]]
    assert len(set(ids)) == len(ids)
    for applied in out.get("appliedDiscounts", []):
        assert set(applied.get("lineItemIds", [])) <= set(ids)


@given(stores_order())
def test_deterministic_and_idempotent(order: dict[str, Any]) -> None:
    first = convert_order(order)
    assert orjson.dumps(first.order) == orjson.dumps(convert_order(order).order)
    again = convert_order(first.order)
    assert again.order == first.order
    assert [e.kind for e in again.report.entries] == ["passed_through"]


@given(stores_order())
def test_every_input_leaf_lands_in_the_output_or_the_report_exactly_once(order: dict[str, Any]) -> None:
    result = convert_order(order)
    assert not lost_leaves(order, result)
    assert not unmapped_and_carried(order, result)
    unmapped = {e.path for e in result.report.by_kind("unmapped")}
    assert unmapped == ({"$.unknownSection.field", "$.unknownSection.n"} if "unknownSection" in order else set())


@given(stores_order())
def test_every_enum_value_becomes_a_valid_ecommerce_value_or_a_report_entry(order: dict[str, Any]) -> None:
    from orders_migrate import validate_ecom_order

    result = convert_order(order)
    assert validate_ecom_order(result.order) == []  # every enum in the output is one eCommerce knows
    types_in = [a["type"] for a in order.get("activities", [])]
    types_out = [a.get("type") for a in result.order.get("activities", [])]
    reported = {e.path for e in result.report.entries if e.kind in ("unknown_value", "not_derivable")}
    for n, (src, dst) in enumerate(zip(types_in, types_out, strict=True)):
        assert dst is not None or f"$.activities[{n}].type" in reported, src


@given(stores_webhook())
def test_webhooks_become_events_naming_their_order(case: tuple[dict[str, Any], str | None]) -> None:
    from orders_migrate import convert_webhook

    body, kind = case
    event = convert_webhook(body, kind=kind).order
    order_id = body.get("orderId") or body["order"]["id"]
    assert event["entityId"] == order_id
    assert event["entityFqdn"] in {"wix.ecom.v1.order", "wix.ecom.v1.order_transactions", "wix.ecom.v1.fulfillments"}
    assert event["id"] == convert_webhook(body, kind=kind).order["id"]
    container = event.get("actionEvent", {}).get("body") or event["updatedEvent"]["currentEntity"]
    order = container.get("order", container) if event["entityFqdn"] == "wix.ecom.v1.order" else None
    if order is not None:
        assert order["id"] == order_id
        ids = {li["id"] for li in order.get("lineItems", [])}
        for applied in order.get("appliedDiscounts", []):
            assert set(applied.get("lineItemIds", [])) <= ids


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(stores_order())
def test_check_fix_twice_equals_once(tmp_path_factory: Any, order: dict[str, Any]) -> None:
    from orders_migrate.check import check_file

    path = tmp_path_factory.mktemp("fix") / "order.json"
    path.write_text(json.dumps(order, indent=4))
    check_file(str(path), fix=True)
    once = path.read_bytes()
    second = check_file(str(path), fix=True)
    assert path.read_bytes() == once
    assert not second.findings


def _containers(value: Any) -> dict[int, Any]:
    """Every object and list in a value, by identity (kept alive in the dict)."""
    found: dict[int, Any] = {}
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            found[id(v)] = v
            stack.extend(v.values() if isinstance(v, dict) else v)
    return found


@given(stores_order())
def test_the_callers_order_stays_theirs(order: dict[str, Any]) -> None:
    """The input is not changed, and no object of the output (or of the order passed through a second time)
    is one of the input's: a caller may change either without changing the other."""
    before = copy.deepcopy(order)
    result = convert_order(order, companions=True)
    assert order == before
    outputs = _containers([result.order, result.companions, result.report.to_dict()])
    assert not outputs.keys() & _containers(order).keys()
    again = convert_order(result.order)
    assert again.order == result.order
    assert not _containers(again.order).keys() & _containers(result.order).keys()
