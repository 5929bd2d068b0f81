"""The typed models: converted orders validate, corrupted ones fail at the right path, schemas export."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, REFERENCE_DIR, ROOT, STORES_FIXTURES, load_json
from orders_migrate import convert_order
from orders_migrate.models import json_schema, render_path, validate_ecom_order, validate_stores_order
from orders_migrate.models.ecom import EcomOrder, OrderStatus
from orders_migrate.report import KINDS
from strategies import replace_fields

ECOM_FIXTURES = sorted(p for p in (FIXTURES / "ecom").glob("*.json") if not p.name.endswith(".report.json"))
EXAMPLES = REFERENCE_DIR / "examples"
# Fixtures built to hold values outside Wix's enums, and Velo-dialect orders (money as JSON numbers).
NOT_REST_SCHEMA = {"undocumented_values.json"} | {p.name for p in STORES_FIXTURES if p.name.startswith("velo_")}


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=ROOT, timeout=60, check=False)


def strings(problems: list[Any]) -> list[str]:
    return [str(p) for p in problems]


# ---- the converter's output is a valid eCommerce order ------------------------------------------


@pytest.mark.parametrize("path", STORES_FIXTURES, ids=lambda p: p.name)
def test_every_fixture_converts_to_a_valid_ecommerce_order(path: Path) -> None:
    result = convert_order(load_json(path), validate=True)
    assert result.report.by_kind("invalid") == []
    assert strings(validate_ecom_order(result.order)) == []


@pytest.mark.parametrize("path", ECOM_FIXTURES, ids=lambda p: p.name)
def test_every_reviewed_output_is_a_valid_ecommerce_order(path: Path) -> None:
    assert strings(validate_ecom_order(load_json(path))) == []


def test_wix_own_ecommerce_examples_validate() -> None:
    """The model is no stricter than the orders Wix itself returns."""
    examples = sorted(EXAMPLES.glob("ecom_*.json"))
    assert len(examples) == 11
    for path in examples:
        doc = load_json(path)
        order = doc["actionEvent"]["body"]["order"] if "actionEvent" in doc else doc
        if "updatedEvent" in doc:
            order = doc["updatedEvent"]["currentEntity"]
        assert strings(validate_ecom_order(order)) == [], path.name


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def corrupt(order: dict[str, Any]) -> None:
        node: Any = order
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return corrupt


CORRUPTIONS = [
    ("number", 10012, "$.number: expected a string, got 10012"),
    ("priceSummary.total.amount", 130.0, "$.priceSummary.total.amount: expected a string, got 130.0"),
    (
        "priceSummary.total.amount",
        "130,00",
        '$.priceSummary.total.amount: expected a non-negative decimal string such as "10.50"',
    ),
    ("priceSummary.total.amount", "-5", "$.priceSummary.total.amount: expected a non-negative decimal string"),
    ("priceSummary.total", "130.00", '$.priceSummary.total: expected an object, got "130.00"'),
    ("lineItems", [], "$.lineItems: expected at least 1 item(s), got 0"),
    ("status", "DONE", '$.status: expected one of "INITIALIZED", "APPROVED", "CANCELED", "PENDING", "REJECTED", got "DONE"'),
    ("fulfillmentStatus", "CANCELED", '$.fulfillmentStatus: expected one of "NOT_FULFILLED", "FULFILLED", "PARTIALLY_FULFILLED"'),
    ("lineItems.0.quantity", "two", '$.lineItems[0].quantity: expected an integer, got "two"'),
    ("lineItems.0.quantity", 0, "$.lineItems[0].quantity: expected at least 1, got 0"),
    ("lineItems.0.physicalProperties.weight", "0.25", '$.lineItems[0].physicalProperties.weight: expected a number, got "0.25"'),
    ("lineItems.0.productName", "Shoe", '$.lineItems[0].productName: expected an object, got "Shoe"'),
    ("createdDate", "07/03/2023", '$.createdDate: expected an ISO 8601 date-time string such as "2023-03-07T10:24:03.380Z"'),
    ("createdDate", 1678184643380, "$.createdDate: expected a string, got 1678184643380"),
    (
        "activities.0.type",
        "TRACKING_LINK_WAS_SET",
        '$.activities[0].type: expected one of the 39 values of Wix\'s enum ("ORDER_REFUNDED"',
    ),
    ("archived", "false", '$.archived: expected true or false, got "false"'),
    (
        "billingInfo.contactDetails.vatId",
        {"type": "UNSPECIFIED_TAX_TYPE"},
        "$.billingInfo.contactDetails.vatId.type: expected one of",
    ),
    ("buyerInfo", None, None),  # null is accepted wherever a field is optional
]


@pytest.mark.parametrize("field,value,expected", CORRUPTIONS, ids=[f"{c[0]}={c[1]!r}" for c in CORRUPTIONS])
def test_a_corrupted_output_fails_at_its_path(field: str, value: Any, expected: str | None) -> None:
    order = copy.deepcopy(load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json"))
    order.setdefault("activities", [{"type": "ORDER_PLACED"}])
    order["billingInfo"]["contactDetails"].setdefault("vatId", {})
    _set(field, value)(order)
    problems = strings(validate_ecom_order(order))
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1, problems
        assert problems[0].startswith(expected)


@pytest.mark.parametrize("item_id", ["", "a b: c", 'say "hi"'])
def test_a_repeated_line_item_id_is_quoted_in_its_message(item_id: str) -> None:
    # An empty id, or one holding spaces, a colon or a quote, must stay readable inside the message.
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    order["lineItems"] = [dict(order["lineItems"][0], id=item_id), dict(order["lineItems"][0], id=item_id)]
    assert strings(validate_ecom_order(order)) == [
        f"$.lineItems[1].id: id {json.dumps(item_id)} repeats $.lineItems[0].id: line-item ids are unique within an order"
    ]


def test_more_than_300_line_items_fail() -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    # Each its own id: a repeated one is a problem of its own (test_fault_crosswalk).
    order["lineItems"] = [dict(order["lineItems"][0], id=f"00000000-0000-0000-0000-{n:012d}") for n in range(301)]
    assert strings(validate_ecom_order(order)) == ["$.lineItems: expected at most 300 items, got 301"]


def test_every_error_of_a_record_is_collected() -> None:
    order = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    order["number"] = 10012
    order["lineItems"][1]["price"]["amount"] = 10
    order["lineItems"][2]["itemType"] = {"preset": "BUNDLE"}
    paths = [p.path for p in validate_ecom_order(order)]
    assert paths == ["$.number", "$.lineItems[1].price.amount", "$.lineItems[2].itemType.preset"]


@pytest.mark.parametrize("value", ["plain", 12, True, None, {"a": [1, {"b": 2}]}, [1, "two"]])
def test_custom_field_values_are_any_json(value: Any) -> None:
    order = {"customFields": [{"title": "Table", "value": value}], "lineItems": [{"quantity": 1}]}
    assert validate_ecom_order(order) == []


def test_unknown_fields_are_allowed_on_both_sides() -> None:
    assert validate_ecom_order({"isInternalOrderCreate": False, "lineItems": [{"somethingNew": {"x": 1}}]}) == []
    assert validate_stores_order({"refundedQuantity": 1, "lineItems": [{"refundedQuantity": 1}]}) == []


def test_not_an_object_is_one_problem_at_the_root() -> None:
    assert strings(validate_ecom_order([1, 2])) == ["$: expected an object, got an array"]
    assert strings(validate_stores_order("order")) == ['$: expected an object, got "order"']


# ---- the Stores input --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [p for p in STORES_FIXTURES if p.name not in NOT_REST_SCHEMA], ids=lambda p: p.name)
def test_rest_fixtures_match_the_stores_schema(path: Path) -> None:
    assert strings(validate_stores_order(load_json(path))) == []


def test_input_errors_are_all_collected_with_paths() -> None:
    order = load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json")
    order["lineItems"][2]["quantity"] = "two"
    order["totals"]["total"] = 130.0
    order["number"] = "10012"
    order["dateCreated"] = "yesterday"
    assert strings(validate_stores_order(order)) == [
        '$.number: expected an integer, got "10012"',
        '$.dateCreated: expected an ISO 8601 date-time string such as "2023-03-07T10:24:03.380Z", got "yesterday"',
        "$.totals.total: expected a string, got 130.0",
        '$.lineItems[2].quantity: expected an integer, got "two"',
    ]


def test_values_outside_the_stores_enums_are_named() -> None:
    problems = {p.path: p.message for p in validate_stores_order(load_json(FIXTURES / "stores" / "undocumented_values.json"))}
    assert problems["$.enteredBy.identityType"] == 'expected one of "USER", "MEMBER", "CONTACT", "APP", got "EMPLOYEE"'
    assert problems["$.buyerInfo.identityType"].endswith('got "NON-MEMBER"')
    assert problems["$.lineItems[0].mediaItem.mediaType"].endswith('got "VIDEO"')


def test_stores_custom_field_accepts_both_wire_views() -> None:
    assert validate_stores_order({"customField": {"title": "Table", "value": "12"}}) == []
    assert validate_stores_order({"customField": {"title": "Table", "value": {"stringValue": "12"}}}) == []


def test_odd_keys_are_quoted_in_paths() -> None:
    assert render_path(("lineItems", 0, "catalogReference", "options", "Name on mug")) == (
        '$.lineItems[0].catalogReference.options["Name on mug"]'
    )


# ---- the converter's optional validation -------------------------------------------------------


def test_invalid_is_a_report_kind() -> None:
    assert "invalid" in KINDS


def test_convert_validates_only_when_asked() -> None:
    bad = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    bad["number"] = 10012  # passed through unchanged: the check is on what comes out
    assert convert_order(bad).report.by_kind("invalid") == []
    entries = convert_order(bad, validate=True).report.by_kind("invalid")
    assert [(e.path, e.message) for e in entries] == [("$.number", "not a valid eCommerce order: expected a string, got 10012")]


# ---- JSON Schema export ------------------------------------------------------------------------


def test_ecom_schema_states_the_wire_facts() -> None:
    schema = json_schema("ecom")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    props, defs = schema["properties"], schema["$defs"]
    items = props["lineItems"]["anyOf"][0]
    assert (items["minItems"], items["maxItems"]) == (1, 300)
    assert props["number"]["anyOf"][0] == {"type": "string"}
    assert defs["Price"]["properties"]["amount"]["anyOf"][0]["type"] == "string"
    assert defs["PhysicalProperties"]["properties"]["weight"]["anyOf"][0] == {"type": "number"}
    assert props["createdDate"]["anyOf"][0]["format"] == "date-time"
    assert props["status"]["anyOf"][0]["enum"] == list(get_args(OrderStatus))
    assert "type" not in defs["CustomField"]["properties"]["value"]


def test_stores_schema_states_the_wire_facts() -> None:
    schema = json_schema("stores")
    props, defs = schema["properties"], schema["$defs"]
    assert props["number"]["anyOf"][0] == {"type": "integer"}
    assert defs["Totals"]["properties"]["subtotal"]["anyOf"][0]["pattern"] == r"^-?[0-9]+(\.[0-9]+)?$"
    assert "TRACKING_LINK_WAS_SET" in defs["Activity"]["properties"]["type"]["anyOf"][0]["enum"]


def test_exported_schemas_agree_with_the_models() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    ecom = jsonschema.Draft202012Validator(json_schema("ecom"))
    stores = jsonschema.Draft202012Validator(json_schema("stores"))
    for path in ECOM_FIXTURES:
        assert list(ecom.iter_errors(load_json(path))) == [], path.name
    for path in STORES_FIXTURES:
        doc = load_json(path)
        assert (list(stores.iter_errors(doc)) == []) == (validate_stores_order(doc) == []), path.name
    bad = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    bad["number"], bad["lineItems"] = 10012, []
    assert len(list(ecom.iter_errors(bad))) == 2
    assert EcomOrder.model_json_schema()["title"] == "EcomOrder"


# ---- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("which,title", [("stores", "Wix Stores order"), ("ecom", "Wix eCommerce order")])
def test_schema_command_prints_json_schema(which: str, title: str) -> None:
    proc = run("schema", which)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["title"].startswith(title)
    assert "lineItems" in schema["properties"]


def test_schema_command_refuses_an_unknown_model() -> None:
    proc = run("schema", "velo")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_strict_convert_fails_on_values_outside_the_schema() -> None:
    path = str(FIXTURES / "stores" / "undocumented_values.json")
    assert run("convert", path, "--report", "none").returncode == 0
    proc = run("convert", path, "--report", "none", "--strict")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert (
        f'{path}::$.enteredBy.identityType: not a valid Stores order: expected one of "USER", "MEMBER", "CONTACT", "APP"' in err
    )
    assert "1 record(s) failed, 0 converted" in err
    assert proc.stdout.strip() in (b"", b"[]")


def test_strict_convert_passes_a_documented_order() -> None:
    proc = run("convert", str(FIXTURES / "stores" / "coupon_partially_fulfilled.json"), "--strict", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")


def test_strict_convert_holds_a_velo_order_to_its_output_only() -> None:
    path = FIXTURES / "stores" / "velo_order_paid.json"
    if not path.exists():
        pytest.skip("no Velo fixture in this checkout")
    assert validate_stores_order(load_json(path)) != []  # money as JSON numbers: not the REST shape
    proc = run("convert", str(path), "--strict", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert validate_ecom_order(json.loads(proc.stdout)) == []


def test_invalid_output_is_reported_by_default_and_fails_strict(tmp_path: Path) -> None:
    bad = load_json(FIXTURES / "ecom" / "coupon_partially_fulfilled.json")
    bad["status"] = "DONE"
    path = tmp_path / "stored.json"
    path.write_text(json.dumps(bad))
    proc = run("convert", str(path), "--report", "json")
    assert proc.returncode == 0
    entries = json.loads(proc.stderr)["entries"]
    assert {"kind": "invalid", "path": "$.status", "message": entries[-1]["message"]} == entries[-1]
    strict = run("convert", str(path), "--strict", "--report", "none")
    assert strict.returncode == 1
    assert f"{path}::$.status: not a valid eCommerce order: expected one of" in strict.stderr.decode()
    # --no-validate skips the model check (the batch speed-up); --strict validates regardless.
    quick = run("convert", str(path), "--no-validate", "--report", "json")
    assert quick.returncode == 0
    assert "invalid" not in {e["kind"] for e in json.loads(quick.stderr)["entries"]}
    assert run("convert", str(path), "--no-validate", "--strict", "--report", "none").returncode == 1


def test_the_package_exports_the_models_without_building_them_at_import() -> None:
    code = (
        "import sys, orders_migrate\n"
        "assert 'orders_migrate.models' not in sys.modules\n"
        "from orders_migrate import validate_ecom_order, EcomOrder\n"
        "print(validate_ecom_order({'number': 1})[0], EcomOrder.__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "$.number: expected a string, got 1 EcomOrder\n"


# ---- the fast validator is pydantic's own, without model instances ----------------------------------

_ODD = [None, True, 3, -1, 0, "", "x", "2020-13-01", "10.5", -2.5, 1.5, [], {}, [1], {"a": 1}, "VIDEO", "CPF"]


def _companion_docs(name: str) -> list[Any]:
    docs = [load_json(p) for p in sorted((FIXTURES / "companions").rglob("*.json")) if not p.name.endswith(".report.json")]
    return [d[name] for d in docs if isinstance(d, dict) and isinstance(d.get(name), dict)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["ecom", "stores", "orderWithFulfillments", "orderTransactions"]), st.data())
def test_the_validator_finds_what_model_validate_finds(schema: str, data: st.DataObject) -> None:
    # The validator of the eCommerce order and the companions is built from the recorded schema.
    from orders_migrate.models.validate import _validate, model_of, model_problems

    if schema in ("ecom", "stores"):
        folder = FIXTURES / schema
        paths = sorted(p for p in folder.glob("*.json") if not p.name.endswith(".report.json"))
        doc = copy.deepcopy(load_json(data.draw(st.sampled_from(paths))))
    else:
        doc = copy.deepcopy(data.draw(st.sampled_from(_companion_docs(schema))))
    replace_fields(doc, data, st.sampled_from(_ODD), data.draw(st.integers(min_value=0, max_value=4)))
    assert sorted(_validate(schema, doc), key=str) == sorted(model_problems(model_of(schema), doc), key=str)


@pytest.mark.parametrize(
    ("name", "doc", "path"),
    [
        ("orderTransactions", {"payments": [{"status": "PAID"}]}, "$.payments[0].status"),
        ("orderTransactions", {"payments": [{"status": "UNDEFINED"}]}, "$.payments[0].status"),  # the deprecated field's only
        (
            "orderTransactions",
            {"payments": [{"regularPaymentDetails": {"status": "DONE"}}]},
            "$.payments[0].regularPaymentDetails.status",
        ),
        (
            "orderTransactions",
            {"refunds": [{"transactions": [{"refundStatus": "DONE"}]}]},
            "$.refunds[0].transactions[0].refundStatus",
        ),
    ],
)
def test_a_companion_status_outside_its_published_enum_fails(name: str, doc: dict[str, Any], path: str) -> None:
    from orders_migrate.models.validate import validate_companion

    (problem,) = validate_companion(name, doc)
    assert problem.path == path
    assert problem.message.startswith("expected one of")


def test_companion_statuses_of_the_published_enums_pass() -> None:
    from orders_migrate.models.validate import validate_companion

    doc = {
        "payments": [{"status": "APPROVED", "regularPaymentDetails": {"status": "UNDEFINED"}}],
        "refunds": [{"transactions": [{"refundStatus": "SUCCEEDED"}]}],
    }
    assert validate_companion("orderTransactions", doc) == []


@pytest.mark.parametrize(
    "which,name,broken",
    [
        ("order-transactions", "orderTransactions", ("payments", 0, "status", "PAID")),  # PAID is the order's, not the payment's
        ("order-with-fulfillments", "orderWithFulfillments", ("fulfillments", 0, "lineItems", "all")),
    ],
)
def test_schema_command_prints_each_companion_s_schema_and_it_holds_what_convert_wrote(
    which: str, name: str, broken: tuple[Any, ...], tmp_path: Path
) -> None:
    import jsonschema

    proc = run("schema", which)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"].startswith(f"Wix eCommerce {name[0].upper()}{name[1:]} ")
    validator = jsonschema.Draft202012Validator(schema)
    out = tmp_path / "written.ndjson"
    converted = run("convert", "--companions", "--jobs", "1", "--report", "none", str(FIXTURES / "stores"), "-o", str(out))
    assert converted.returncode == 0, converted.stderr
    written = [json.loads(line)[name] for line in out.read_text(encoding="utf-8").splitlines() if name in json.loads(line)]
    assert written  # the fixtures give this companion
    for companion in written:
        assert list(validator.iter_errors(companion)) == [], companion
    *steps, key, value = broken
    node = bad = copy.deepcopy(written[0])
    for step in steps:
        node = node[step]
    node[key] = value
    errors = list(validator.iter_errors(bad))
    # An optional field is anyOf [its type, null]: the error is the field's, its cause among its context.
    assert errors and all([*steps, key][: len(e.absolute_path)] == list(e.absolute_path) for e in errors)
    deepest = [list(c.absolute_path) for e in errors for c in (e, *e.context)]
    assert [*steps, key] in deepest
