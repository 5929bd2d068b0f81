"""The library API on whole orders: fixtures, bad input, determinism, pass-through, addresses alone."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest

from accounting import lost_leaves
from conftest import FIXTURES, STORES_FIXTURES, load_json, minimal_order
from orders_migrate import Conversion, ConversionError, convert_address, convert_many, convert_order, convert_query_response


@pytest.mark.parametrize("path", STORES_FIXTURES, ids=lambda p: p.stem)
def test_fixture_converts_to_its_reviewed_expected_output(path: Path) -> None:
    result = convert_order(load_json(path))
    assert result.order == load_json(FIXTURES / "ecom" / path.name)


@pytest.mark.parametrize("path", STORES_FIXTURES, ids=lambda p: p.stem)
def test_fixture_report_matches(path: Path) -> None:
    expected = load_json(FIXTURES / "ecom" / f"{path.stem}.report.json")
    got = convert_order(load_json(path)).report.to_dict()
    expected.pop("source", None)
    assert got == expected


@pytest.mark.parametrize("path", STORES_FIXTURES, ids=lambda p: p.stem)
def test_every_input_leaf_is_in_the_output_or_the_report(path: Path) -> None:
    order = load_json(path)
    assert not lost_leaves(order, convert_order(order))


def test_determinism_twice_gives_identical_bytes(coupon_order: dict[str, Any]) -> None:
    a = orjson.dumps(convert_order(coupon_order).order)
    b = orjson.dumps(convert_order(coupon_order).order)
    assert a == b


def test_the_input_is_not_modified(coupon_order: dict[str, Any]) -> None:
    before = json.dumps(coupon_order, sort_keys=True)
    convert_order(coupon_order)
    assert json.dumps(coupon_order, sort_keys=True) == before


def test_an_ecommerce_order_passes_through_unchanged() -> None:
    ecom = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    result = convert_order(ecom)
    assert result.order == ecom
    assert [e.kind for e in result.report.entries] == ["passed_through"]
    assert convert_order(result.order).order == result.order


def test_query_orders_response_converts_every_order() -> None:
    results = convert_query_response(load_json(FIXTURES / "query_orders_response.json"))
    assert [r.order["number"] for r in results] == ["10015", "10013"]


def test_a_bad_order_in_a_query_response_names_its_position() -> None:
    payload = {"orders": [minimal_order(), minimal_order(lineItems=[{"index": 1, "quantity": "two"}])]}
    with pytest.raises(ConversionError, match=r"\$\.orders\[1\]\.lineItems\[0\]\.quantity: expected an integer, got 'two'"):
        convert_query_response(payload)


def test_convert_many_yields_errors_and_keeps_going() -> None:
    out = list(convert_many([minimal_order(), "not an order", minimal_order(number=7)]))
    assert [type(x).__name__ for x in out] == ["Conversion", "ConversionError", "Conversion"]
    assert [x.position for x in out] == [1, 2, 3]  # the caller need not count


def test_convert_many_names_each_record_by_its_position_or_key() -> None:
    rows = [("order-17", minimal_order()), ("order-18", {"lineItems": "none"})]  # e.g. a table's primary keys
    good, bad = convert_many(rows, keyed=True, source="shop.orders")
    assert isinstance(good, Conversion) and good.position == "order-17"
    assert good.report.source == "shop.orders:order-17"
    assert isinstance(bad, ConversionError) and bad.position == "order-18"
    assert [p.path for p in bad.problems] == ["$.lineItems"]
    again = pickle.loads(pickle.dumps(good))  # noqa: S301 - our own object: results travel between processes
    assert (again.order, again.report, again.position) == (good.order, good.report, good.position)


def test_convert_many_builds_each_order_s_companions_when_asked() -> None:
    orders = [load_json(FIXTURES / "stores" / name) for name in ("paypal_partially_fulfilled.json", "invoice_inr.json")]
    rows = [("a", orders[0]), ("b", b"{"), ("c", orders[1])]
    results = list(convert_many(rows, keyed=True, companions=True, validate=True))
    assert [type(r).__name__ for r in results] == ["Conversion", "ConversionError", "Conversion"]
    for result, order in zip((results[0], results[2]), orders, strict=True):
        assert isinstance(result, Conversion)
        alone = convert_order(order, companions=True, validate=True)
        assert result.companions == alone.companions and result.order == alone.order
        assert result.report.entries == alone.report.entries  # the report names as carried what they carry
    assert isinstance(results[0], Conversion)
    assert sorted(results[0].companions) == ["orderTransactions", "orderWithFulfillments"]
    assert all(isinstance(r, Conversion) and r.companions == {} for r in convert_many(orders))  # not asked: none


# ---- bad input ---------------------------------------------------------------------------------------


# A str or bytes payload is the JSON text as read: '"order"' is the JSON string "order".
@pytest.mark.parametrize("payload", [[], '"order"', 12, None, b"[1]"])
def test_not_an_object(payload: Any) -> None:
    with pytest.raises(ConversionError, match=r"^\$: expected an order object"):
        convert_order(payload)


def test_missing_line_items() -> None:
    order = minimal_order()
    del order["lineItems"]
    with pytest.raises(ConversionError, match=r"\$\.lineItems: required field is missing"):
        convert_order(order)


def test_empty_line_items() -> None:
    with pytest.raises(ConversionError, match=r"\$\.lineItems: must not be empty"):
        convert_order(minimal_order(lineItems=[]))


def test_every_problem_in_a_record_is_collected() -> None:
    order = minimal_order(
        number="ten",
        totals={"total": "1,5"},
        lineItems=[{"index": 1, "quantity": "two", "name": 5}, "oops"],
    )
    with pytest.raises(ConversionError) as err:
        convert_order(order)
    paths = [p.path for p in err.value.problems]
    assert paths == ["$.number", "$.totals.total", "$.lineItems[0].quantity", "$.lineItems[0].name", "$.lineItems[1]"]


def test_wrong_container_types() -> None:
    with pytest.raises(ConversionError, match=r"\$\.activities: expected an array"):
        convert_order(minimal_order(activities={"type": "ORDER_PLACED"}))
    with pytest.raises(ConversionError, match=r"\$\.billingInfo\.address: expected an address object"):
        convert_order(minimal_order(billingInfo={"address": "somewhere"}))


def test_unrelated_json_is_not_an_order() -> None:
    with pytest.raises(ConversionError, match=r"\$: not a Stores order"):
        convert_order({"hello": "world"})


# ---- addresses alone ----------------------------------------------------------------------------------


def test_convert_address_alone() -> None:
    stores = {
        "fullName": {"firstName": "Jane", "lastName": "Doe"},
        "country": "US",
        "subdivision": "US-NY",
        "city": "New York",
        "zipCode": "10173",
        "phone": "+1 555 0100",
        "email": "jane@example.com",
        "addressLine1": "525 5th Avenue",
        "vatId": {"number": "123", "type": "CPF"},
        "geo": "unknown",
    }
    result = convert_address(stores)
    assert result.address == {
        "city": "New York",
        "postalCode": "10173",
        "country": "US",
        "addressLine": "525 5th Avenue",
        "subdivision": "US-NY",
        "countryFullname": "United States",  # as Wix writes them beside the codes
        "subdivisionFullname": "New York",
    }
    assert result.contact_details == {
        "firstName": "Jane",
        "lastName": "Doe",
        "phone": "+1 555 0100",
        "vatId": {"id": "123", "type": "CPF"},
    }
    assert result.email == "jane@example.com"
    assert [(e.kind, e.path) for e in result.entries] == [("unmapped", "$.geo")]


def test_convert_address_without_contact_reports_contact_fields() -> None:
    result = convert_address({"city": "Berlin", "phone": "+49 555 0103"}, contact=False)
    assert result.contact_details == {}
    assert [(e.kind, e.path) for e in result.entries] == [("dropped", "$.phone")]


def test_no_fixture_conversion_shares_an_object_with_its_input() -> None:
    """A copied object (a Stores street {number, name}), an eCommerce order or event passed through, an
    order with its companions: the output is a copy, never the caller's own object."""
    from conftest import FIXTURES
    from orders_migrate import ConversionError, convert_webhook
    from orders_migrate.jsonio import loads

    checked = 0
    for path in sorted(FIXTURES.rglob("*.json")):
        try:
            payload = loads(path.read_bytes())
        except ValueError:
            continue  # not JSON (a fixture of bad input)
        mine = _ids(payload)
        for convert in (lambda p: convert_order(p, companions=True, validate=False), convert_webhook):
            try:
                result = convert(payload)
            except (ConversionError, ValueError, TypeError):
                continue
            assert not _ids([result.order, result.companions, result.report.to_dict()]) & mine, path
            checked += 1
            break
    assert checked > 90


def _ids(value: object) -> set[int]:
    found: set[int] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            found.add(id(v))
            stack.extend(v.values())
        elif isinstance(v, list):
            found.add(id(v))
            stack.extend(v)
    return found


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("currency",), {"code": "USD"}),  # currency_code copies a value it does not know
        (("customField", "value"), ["a", "b"]),  # plain_value: only {"stringValue": ...} is unwrapped
        (("customField", "value"), {"stringValue": {"text": "x"}}),  # unwrapped, and still the caller's own
        (("billingInfo", "address", "subdivision"), {"code": "NY"}),  # subdivision_code keeps what it cannot read
    ],
)
def test_a_value_an_operation_keeps_as_it_came_is_a_copy(
    coupon_order: dict[str, Any], where: tuple[str, ...], value: Any
) -> None:
    """Not only a copy row: any row that writes the input's own object or list (one it could not convert, kept
    as it came) writes a copy of it, so the result shares no object with the payload."""
    holder = coupon_order
    for key in where[:-1]:
        holder = holder.setdefault(key, {})
    holder[where[-1]] = value
    before = json.dumps(coupon_order, default=str)
    result = convert_order(coupon_order, companions=True)
    assert json.dumps(coupon_order, default=str) == before
    assert not _ids([result.order, result.companions]) & _ids(coupon_order)


def test_a_query_orders_responses_own_keys_are_entries_for_a_library_caller() -> None:
    from orders_migrate.route import envelope_entries

    payload = load_json(FIXTURES / "query_orders_response.json")
    assert [e.path for e in envelope_entries(payload)] == ["$.metadata", "$.totalResults"]
    assert envelope_entries(payload["orders"]) == [] and envelope_entries(payload["orders"][0]) == []
