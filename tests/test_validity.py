"""Validity by construction (engine/validity.py): the cut-down schema a converted order is checked with finds
exactly what the full eCommerce schema finds, on every fixture, on hypothesis orders and on broken ones."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, load_json
from orders_migrate import ConversionError, MappingError, compile_table, convert_order, default_plan, load_table
from orders_migrate.engine.table import default_table_text
from orders_migrate.engine.validity import FULL, Validity
from orders_migrate.models.validate import validate_ecom_order
from strategies import places, stores_order

VALIDITY = Validity(default_plan().table)
STORES_FILES = sorted(
    p
    for folder in ("stores", "companions/stores", "reference/examples", "reference/realworld")
    for p in (FIXTURES / folder).glob("*.json")
    if "ecom" not in p.name
)


def _same(order: dict[str, Any]) -> None:
    try:
        result = convert_order(order)
    except ConversionError:
        return  # refused: no order to check
    if result.report.payload_kind != "stores_order":
        return
    assert VALIDITY.problems(result.order) == validate_ecom_order(result.order)
    # End to end: by construction the check leaves out the copied amounts unless one has a sign (Ctx.signed).
    checked = convert_order(copy.deepcopy(order), validate=True).report.by_kind("invalid")
    audited = convert_order(copy.deepcopy(order), validate="audit").report.by_kind("invalid")
    assert [e.to_dict() for e in checked] == [e.to_dict() for e in audited]


@pytest.mark.parametrize("path", STORES_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_is_judged_as_the_full_schema_judges_it(path: Path) -> None:
    _same(load_json(path))


@settings(max_examples=150, deadline=None)
@given(stores_order())
def test_hypothesis_orders_are_judged_as_the_full_schema_judges_them(order: dict[str, Any]) -> None:
    _same(order)


# Values a stored order may hold where it should not: wrong types, negative and odd amounts, bad dates,
# out-of-range quantities, objects and lists where a value belongs.
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=200_000),
    st.sampled_from(
        ["-1", "-0.50", "0", "-0", "-0.00", "1e3", "", "yesterday", "2020-13-01T00:00:00Z", "2021-03-07T10:24:03Z", "PAID"]
    ),
    st.text(max_size=5),
    st.just(Decimal("-2.5")),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["amount", "x", "formatted"]), st.text(max_size=3), max_size=2),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_broken_orders_are_judged_as_the_full_schema_judges_them(data: st.DataObject) -> None:
    order = copy.deepcopy(
        load_json(
            FIXTURES
            / data.draw(
                st.sampled_from(
                    [
                        "stores/pickup_tax_included.json",
                        "stores/coupon_partially_fulfilled.json",
                        "companions/stores/member_with_tax.json",
                    ]
                )
            )
        )
    )
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        where = data.draw(st.sampled_from([p for p in places(order) if p]))
        holder = order
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = copy.deepcopy(data.draw(_ODD))
    _same(order)


def test_what_the_rows_prove_is_not_checked_again() -> None:
    trie = VALIDITY.trie
    # An id by the GUID rule, an enum's own values, a copied string: proven by the rows.
    assert "id" not in trie and "status" not in trie and "number" not in trie
    assert "itemType" not in trie["lineItems"][next(iter(trie["lineItems"]))]
    # A copied date-time, an amount (the input's own text) and a quantity's range: checked on every order.
    assert trie["createdDate"] is FULL
    assert trie["priceSummary"]["total"] == {"amount": FULL}
    assert trie["lineItems"][next(iter(trie["lineItems"]))]["quantity"] is FULL


def test_a_broken_date_and_a_negative_amount_are_found_without_the_full_schema() -> None:
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order["dateCreated"] = "yesterday"
    order["totals"]["discount"] = "-1"
    result = convert_order(order, validate=True)
    invalid = [(e.path, e.message) for e in result.report.by_kind("invalid")]
    assert [p for p, _ in invalid] == ["$.createdDate", "$.priceSummary.discount.amount"]
    assert invalid[1][1] == 'not a valid eCommerce order: expected a non-negative decimal string such as "10.50", got "-1"'


def _with_row(row: str) -> str:
    text, _ = default_table_text()
    return text.replace("\naddress:\n", "\n" + row + "\naddress:\n", 1)


# restockQuantity, an integer no row of the shipped table writes: one a row does write (a line item's
# quantity, at every element) is refused sooner, as two rows writing one place or a row writing inside it.
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            '  - id: nowhere\n    op: copy\n    from: buyerNote\n    to: lineItems[0].restockQuantity.text\n    type: string\n    note: "x"\n',
            "row 'nowhere'.*writes lineItems\\[0\\].restockQuantity.text, which the eCommerce order does not have",
        ),
        (
            '  - id: text-as-number\n    op: copy\n    from: buyerNote\n    to: lineItems[0].restockQuantity\n    type: string\n    note: "x"\n',
            "row 'text-as-number'.*writes string values to lineItems\\[0\\].restockQuantity, which the eCommerce order takes as int",
        ),
    ],
)
def test_a_row_writing_what_the_model_cannot_hold_is_an_error_of_the_row(row: str, message: str) -> None:
    table = load_table(_with_row(row))
    compile_table(table)  # the plan itself compiles: the check is made where outputs are checked
    with pytest.raises(MappingError, match=message):
        Validity(table)


def test_the_command_line_finds_the_same_by_construction_and_by_audit(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order["lineItems"][0]["quantity"] = 0
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order))

    def invalid(*flags: str) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [sys.executable, "-m", "orders_migrate", "convert", str(path), "--report", "json", *flags],
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return [e for e in json.loads(proc.stderr)["entries"] if e["kind"] == "invalid"]

    found = invalid()
    assert [e["path"] for e in found] == ["$.lineItems[0].quantity"]
    assert invalid("--audit") == found
    assert invalid("--no-validate") == []


def test_a_line_item_with_more_description_lines_than_the_model_takes_is_found() -> None:
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order["lineItems"][0]["options"] = [{"option": f"o{n}", "selection": "x"} for n in range(21)]
    result = convert_order(order)
    assert len(result.order["lineItems"][0]["descriptionLines"]) > 20  # with its custom text fields
    problems = VALIDITY.problems(result.order)
    assert problems == validate_ecom_order(result.order)
    assert [p.path for p in problems] == ["$.lineItems[0].descriptionLines"]
    # Only the list's size is left to check there: the lines themselves are the operation's own shape.
    assert VALIDITY.trie["lineItems"][next(iter(VALIDITY.trie["lineItems"]))]["descriptionLines"] == {}


def test_a_copied_string_into_an_enum_is_checked_on_every_order_not_refused() -> None:
    # The values may all be the enum's: only a type no value could have is an error of the row.
    row = '  - id: type-as-stored\n    op: copy\n    from: buyerNote\n    to: lineItems[0].itemType.preset\n    type: string\n    note: "x"\n'
    validity = Validity(load_table(_with_row(row)))
    (each,) = validity.trie["lineItems"]
    assert validity.trie["lineItems"][each]["itemType"] == {"preset": FULL}  # the place stays checked


def test_computed_totals_are_proven_and_a_negative_zero_is_written_as_zero() -> None:
    # line_totals writes what it computed, never below zero: its Price amounts are not checked on every order.
    item = VALIDITY.trie["lineItems"][next(iter(VALIDITY.trie["lineItems"]))]
    assert "totalPriceBeforeTax" not in item and "totalPriceAfterTax" not in item
    assert "totalPriceAfterTax" not in VALIDITY.trie["shippingInfo"]["cost"]
    assert item["price"] == {"amount": FULL}  # a copied amount is the input's own text: still checked
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    line = order["lineItems"][0]
    line["priceData"].update(totalPrice="-0", price="-0")
    line.update(discount="0", tax="0")
    result = convert_order(order)
    written = result.order["lineItems"][0]
    assert written["totalPriceBeforeTax"]["amount"] == written["totalPriceAfterTax"]["amount"] == "0.00"
    assert VALIDITY.problems(result.order) == validate_ecom_order(result.order)


def test_a_price_the_model_asks_more_of_is_not_proven_by_computing_it() -> None:
    from orders_migrate.engine.validity import _computed_price_is_all, _Schema

    walker = _Schema({"type": "any"})

    def price(amount: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "typed-dict",
            "fields": {
                "amount": {"type": "typed-dict-field", "schema": amount},
                "formattedAmount": {"type": "typed-dict-field", "schema": {"type": "str"}},
            },
        }

    assert _computed_price_is_all(price({"type": "str", "pattern": r"^[0-9]+(\.[0-9]+)?$"}), walker)
    assert not _computed_price_is_all(price({"type": "str", "pattern": r"^[0-9]+(\.[0-9]{2})$"}), walker)
    assert not _computed_price_is_all(price({"type": "str", "max_length": 5}), walker)
    assert not _computed_price_is_all(price({"type": "int"}), walker)


def test_copied_amounts_are_checked_only_when_one_has_a_sign() -> None:
    item = VALIDITY.unsigned_trie["lineItems"][next(iter(VALIDITY.unsigned_trie["lineItems"]))]
    assert "price" not in item and "totalDiscount" not in item and "quantity" in item
    assert "priceSummary" not in VALIDITY.unsigned_trie and VALIDITY.trie["priceSummary"]["total"] == {"amount": FULL}
    order = load_json(FIXTURES / "stores" / "pickup_tax_included.json")
    order["lineItems"][0]["discount"] = "-1.50"  # copied as stated: invalid in eCommerce, and found
    found = [e.path for e in convert_order(order, validate=True).report.by_kind("invalid")]
    assert "$.lineItems[0].totalDiscount.amount" in found
