"""``explain``: the ledger of one conversion names the row and inputs of every output leaf and the fate of
every non-empty input leaf, exactly once each; it is the project's own proof of "nothing lost"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from conftest import FIXTURES, REFERENCE_DIR, ROOT, STORES_FIXTURES
from orders_migrate import ConversionError, convert_order
from orders_migrate.explain import Ledger, explain_order
from orders_migrate.jsonio import loads
from orders_migrate.paths import is_empty, render_steps
from orders_migrate.route import records
from strategies import stores_order


def _leaves(value: Any, steps: tuple[Any, ...] = ()) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*steps, k))]
    if isinstance(value, list) and value:
        return [leaf for n, v in enumerate(value) for leaf in _leaves(v, (*steps, n))]
    return [(render_steps(steps), value)]


def _input_paths(doc: Any) -> set[str]:
    """Every path of ``doc`` and of the objects and lists inside it."""
    found = {"$"}
    for path, _ in _leaves(doc):
        cut = len(path)
        while cut > 1:
            found.add(path[:cut])
            cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))
    return found


def assert_whole(order: dict[str, Any], ledger: Ledger) -> None:
    conversion = convert_order(order)
    # Every leaf of the output, once, with the row that wrote it and inputs that exist in the user's file.
    assert [o.path for o in ledger.outputs] == [p for p, _ in _leaves(conversion.order)]
    present = _input_paths(order)
    table_rows = {o.row for o in ledger.outputs}
    for out in ledger.outputs:
        assert out.row is not None, out
        assert set(out.inputs) <= present, out
    # Every non-empty input leaf, once, with a fate the conversion bears out.
    assert [i.path for i in ledger.inputs] == [p for p, v in _leaves(order) if not is_empty(v)]
    reported = conversion.report.entries
    for leaf in ledger.inputs:
        if leaf.fate == "output":
            assert set(leaf.rows) <= table_rows, leaf
        elif leaf.fate == "report":
            assert any(
                e.kind == leaf.kind and (leaf.path == e.path or leaf.path.startswith((e.path + ".", e.path + "[")))
                for e in reported
            ), leaf
        else:
            assert leaf.fate == "consumed" and leaf.rows, leaf
    # And the other way round: a value the report says was not carried is never put down as carried.
    for e in reported:
        if e.kind in ("unmapped", "fetch", "dropped"):
            assert all(i.fate == "report" for i in ledger.inputs if i.path == e.path), e


def _fixture_orders() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in [*STORES_FIXTURES, *sorted(REFERENCE_DIR.glob("*/stores_order*.json"))]:
        for prefix, order in records(loads(path.read_bytes())):
            try:
                convert_order(order)
            except ConversionError:
                continue
            found.append((f"{path.name}{prefix[1:]}", order))
    return found


FIXTURE_ORDERS = _fixture_orders()


def test_the_fixtures_hold_both_dialects() -> None:
    dialects = {convert_order(order).report.dialect for _, order in FIXTURE_ORDERS}
    assert dialects == {"rest", "velo"} and len(FIXTURE_ORDERS) >= 25


@pytest.mark.parametrize(("name", "order"), FIXTURE_ORDERS, ids=[n for n, _ in FIXTURE_ORDERS])
def test_every_fixture_is_explained_whole(name: str, order: dict[str, Any]) -> None:
    assert_whole(order, explain_order(order))


@given(stores_order())
def test_every_generated_order_is_explained_whole(order: dict[str, Any]) -> None:
    assert_whole(order, explain_order(order))


ORDER_WEBHOOKS = [
    ("order_created", None),
    ("order_paid", "order-paid"),
    ("order_canceled", "order-canceled"),
    ("order_address_updated", "order-address-updated"),
    ("order_cancel_refund_event", None),
    ("order_refund_event", None),
]


@pytest.mark.parametrize(("name", "kind"), ORDER_WEBHOOKS)
def test_every_order_webhook_is_explained_whole(name: str, kind: str | None) -> None:
    from orders_migrate.explain_webhooks import explain_webhook
    from orders_migrate.webhooks import convert_webhook

    body = loads((FIXTURES / "webhooks" / f"{name}.json").read_bytes())
    ledger = explain_webhook(body, kind=kind)
    result = convert_webhook(body, kind=kind)
    assert [o.path for o in ledger.outputs] == [p for p, _ in _leaves(result.order)]
    assert all(o.row is not None for o in ledger.outputs)
    assert set().union(*(o.inputs for o in ledger.outputs)) <= _input_paths(body)
    assert [i.path for i in ledger.inputs] == [p for p, v in _leaves(body) if not is_empty(v)]
    for leaf in ledger.inputs:
        if leaf.fate == "report":
            assert any(leaf.path == e.path or leaf.path.startswith((e.path + ".", e.path + "[")) for e in result.report.entries)
        else:
            assert leaf.rows, leaf


def test_a_webhook_names_its_own_fields_and_the_orders_rows() -> None:
    proc = run("explain", "fixtures/webhooks/order_created.json", "--path", "$.dateCreated", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {(o["path"], o["row"]) for o in doc["outputs"]} == {
        ("$.eventTime", "order-created"),
        ("$.actionEvent.body.order.createdDate", "created-date"),
    }
    assert doc["inputs"] == [{"path": "$.dateCreated", "fate": "output", "rows": ["created-date"]}]


def test_a_line_total_names_every_input_it_is_computed_from() -> None:
    order = loads((FIXTURES / "stores" / "coupon_partially_fulfilled.json").read_bytes())
    ledger = explain_order(order)
    total = next(o for o in ledger.outputs if o.path == "$.lineItems[0].totalPriceAfterTax.amount")
    assert total.row == "line-totals" and total.op == "line_totals"
    assert {"$.lineItems[0].price", "$.lineItems[0].quantity", "$.lineItems[0].discount", "$.lineItems[0].tax"} <= set(
        total.inputs
    )
    fates = {i.path: i for i in ledger.inputs}
    assert fates["$.numericId"].fate == "report" and fates["$.numericId"].kind == "dropped"
    assert fates["$.totals.weight"].fate == "consumed"  # checked against the line items, then derived by eCommerce
    assert fates["$.dateCreated"].rows == ("created-date",)


def test_the_library_gives_the_ledger_beside_the_conversion_on_request() -> None:
    data = (FIXTURES / "stores" / "coupon_partially_fulfilled.json").read_bytes()
    plain = convert_order(data)
    explained = convert_order(data, explain=True)
    assert plain.ledger is None and explained.ledger is not None
    assert explained.order == plain.order and explained.report.to_dict() == plain.report.to_dict()
    assert explained.ledger.to_dict() == explain_order(loads(data)).to_dict()


def test_a_value_written_from_another_place_names_that_place() -> None:
    # The buyer's email comes from the billing address when buyerInfo has none (a newcomer's finding).
    order = loads((FIXTURES / "stores" / "coupon_partially_fulfilled.json").read_bytes())
    del order["buyerInfo"]["email"]
    order["billingInfo"]["address"]["email"] = "jane@example.com"
    ledger = explain_order(order)
    email = next(o for o in ledger.outputs if o.path == "$.buyerInfo.email")
    assert (email.row, email.inputs) == ("address-email", ("$.billingInfo.address.email",))
    assert next(i for i in ledger.inputs if i.path == "$.billingInfo.address.email").fate == "output"


def test_an_order_inside_a_document_is_explained_in_the_files_paths() -> None:
    proc = run("explain", "fixtures/query_orders_response.json", "--record", "2", "--path", "$.orders[1].id", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["inputs"] == [{"path": "$.orders[1].id", "fate": "output", "rows": ["order-id"]}]
    assert doc["outputs"][0]["inputs"] == ["$.orders[1].id"]


def test_a_velo_order_is_explained_in_its_own_paths() -> None:
    order = loads((FIXTURES / "stores" / "velo_order_paid.json").read_bytes())
    ledger = explain_order(order)
    assert convert_order(order).report.dialect == "velo"
    ids = next(o for o in ledger.outputs if o.path == "$.id")
    assert ids.inputs == ("$._id",), ids
    assert any(i.path == "$._id" and i.fate == "output" for i in ledger.inputs)


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=ROOT, timeout=120, check=False
    )


def test_the_command_prints_json_and_narrows_to_a_path() -> None:
    proc = run("explain", "fixtures/stores/coupon_partially_fulfilled.json", "--format", "json", "--path", "$.totals.subtotal")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["inputs"] == [{"path": "$.totals.subtotal", "fate": "output", "rows": ["totals-subtotal"]}]
    assert {o["path"] for o in doc["outputs"]} == {"$.priceSummary.subtotal.amount", "$.priceSummary.subtotal.formattedAmount"}


def test_the_text_view_has_both_columns() -> None:
    proc = run("explain", "fixtures/stores/coupon_partially_fulfilled.json")
    text = proc.stdout.decode()
    assert proc.returncode == 0
    assert "$.createdDate" in text and "created-date (copy) <- $.dateCreated" in text
    assert "$.numericId" in text and "reported: dropped (row numeric-id)" in text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope.json"], 2, "nope.json: no such file"),
        (["fixtures/stores/coupon_partially_fulfilled.json", "--record", "2"], 2, "holds 1 record(s)"),
        (["fixtures/stores/coupon_partially_fulfilled.json", "--path", "$.nothing"], 1, "::$.nothing: no input or output leaf"),
        (["fixtures/webhooks/fulfillment_created.json"], 1, "explain does not yet read a Fulfillment Created body"),
        (["fixtures/stores/coupon_partially_fulfilled.json", "--format", "none"], 2, "'none' is not one of"),
    ],
)
def test_bad_use_is_a_clear_error(args: list[str], code: int, message: str, tmp_path: Path) -> None:
    proc = run("explain", *args)
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert message in err and "Traceback" not in err


def test_a_bad_order_is_an_error_at_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"lineItems": [{"quantity": "two", "index": 1}]}')
    proc = run("explain", str(bad))
    assert proc.returncode == 1
    assert f"{bad}::$.lineItems[0].quantity" in proc.stderr.decode()
