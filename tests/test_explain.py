"""``explain``: the ledger of one conversion names the row and inputs of every output leaf and the fate of
every non-empty input leaf, exactly once each; it is the project's own proof of "nothing lost"."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, reject

from conftest import FIXTURES, REFERENCE_DIR, ROOT, STORES_FIXTURES
from orders_migrate import ConversionError, convert_order, convert_webhook, default_plan, translate_query
from orders_migrate.engine.ops import OPERATIONS
from orders_migrate.explain import explain_order
from orders_migrate.explain_ledger import Ledger
from orders_migrate.explain_query import QUERY_RULES, explain_query
from orders_migrate.explain_webhooks import explain_webhook
from orders_migrate.jsonio import loads
from orders_migrate.paths import is_empty, render_steps
from orders_migrate.route import records, route
from strategies import stores_order, stores_query, stores_webhook
from test_query import CASES as QUERY_CASES

# Rows that only test what they read (a constant's `from` says when to write its value).
TRIGGER_ONLY = frozenset(
    row.id for row in default_plan().table.order if row.reads and set(row.reads) <= OPERATIONS[row.op].compared
)


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
            assert not set(leaf.rows) & TRIGGER_ONLY, leaf  # a constant's trigger carries nothing
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
    # The stored Velo orders some sites sent as webhooks (realworld/stores_webhook_*) are orders too.
    stored = [p for p in sorted(REFERENCE_DIR.glob("*/stores_*.json")) if route(loads(p.read_bytes())).kind == "stores_order"]
    for path in [*STORES_FIXTURES, *stored, *sorted((FIXTURES / "companions" / "stores").glob("*.json"))]:
        for prefix, order in records(loads(path.read_bytes())):
            try:
                convert_order(order)
            except ConversionError:
                continue
            found.append((f"{path.parent.name}/{path.name}{prefix[1:]}", order))
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


def _covers(entry_path: str, path: str) -> bool:
    return path == entry_path or path.startswith((entry_path + ".", entry_path + "["))


def assert_fates(ledger: Ledger, entries: Any, extra_rows: frozenset[str] = frozenset()) -> None:
    """Each input entry's fate is borne out: a reported leaf has its entry (of that kind) in the report, a
    carried one names rows that wrote output, a consumed one the rows that read it; and a leaf the report
    says was not carried (at its very path) is never put down as carried."""
    output_rows = {o.row for o in ledger.outputs}
    for leaf in ledger.inputs:
        if leaf.fate == "report":
            assert any(e.kind == leaf.kind and _covers(e.path, leaf.path) for e in entries), leaf
        elif leaf.fate == "output":
            assert leaf.rows and set(leaf.rows) <= output_rows, leaf
        else:
            assert leaf.fate == "consumed" and leaf.rows, leaf
    for e in entries:
        if e.kind in ("unmapped", "fetch", "dropped"):
            assert all(i.fate == "report" for i in ledger.inputs if i.path == e.path), e


def assert_event_whole(body: Any, ledger: Ledger, result: Any, wrapper: tuple[str, ...] = ()) -> None:
    """The ledger of a webhook body: every leaf of the event once, each with a row and inputs the body (or
    the JWT around it, ``wrapper``) holds; every non-empty leaf of the body once, then the wrapper's."""
    assert [o.path for o in ledger.outputs] == [p for p, _ in _leaves(result.order)]
    assert all(o.row is not None for o in ledger.outputs), [o for o in ledger.outputs if o.row is None]
    assert set().union(*(o.inputs for o in ledger.outputs)) <= _input_paths(body) | set(wrapper)
    assert [i.path for i in ledger.inputs] == [p for p, v in _leaves(body) if not is_empty(v)] + list(wrapper)
    assert_fates(ledger, result.report.entries)


WEBHOOK_KINDS = {"order_paid": "order-paid", "order_canceled": "order-canceled", "order_address_updated": "order-address-updated"}
WEBHOOK_FIXTURES = [
    *sorted((FIXTURES / "webhooks").glob("*.json")),
    *sorted(REFERENCE_DIR.glob("examples/stores_webhook_*.json")),
]


def _kind_of(path: Path) -> str | None:
    return WEBHOOK_KINDS.get(path.stem.removeprefix("stores_webhook_"))


@pytest.mark.parametrize("path", WEBHOOK_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_webhook_fixture_is_explained_whole(path: Path) -> None:
    body = loads(path.read_bytes())
    result = convert_webhook(body, kind=_kind_of(path))
    assert result.report.payload_kind.startswith("stores_webhook:")
    assert_event_whole(body, explain_webhook(body, kind=_kind_of(path)), result)


def test_the_webhook_fixtures_hold_every_kind_of_body() -> None:
    specs = {convert_webhook(loads(p.read_bytes()), kind=_kind_of(p)).report.payload_kind for p in WEBHOOK_FIXTURES}
    assert {
        "stores_webhook:fulfillment-created",
        "stores_webhook:fulfillment-updated",
        "stores_webhook:fulfillment-deleted",
    } <= specs
    assert {"stores_webhook:order-refunded", "stores_webhook:cancel-refund-event", "stores_webhook:refund-event"} <= specs


@given(stores_webhook())
def test_every_generated_webhook_is_explained_whole(case: tuple[dict[str, Any], str | None]) -> None:
    body, kind = case
    assert_event_whole(body, explain_webhook(body, kind=kind), convert_webhook(body, kind=kind))


def test_a_fulfillment_webhook_names_the_fulfillment_rows() -> None:
    body = loads((FIXTURES / "webhooks" / "fulfillment_created.json").read_bytes())
    ledger = explain_webhook(body)
    written = {o.path: (o.row, o.inputs) for o in ledger.outputs}
    at = "$.updatedEvent.currentEntity"
    assert written[f"{at}.fulfillments[0].id"] == ("fulfillment-id", ("$.fulfillmentId",))
    assert written[f"{at}.fulfillments[0].trackingInfo.trackingNumber"] == (
        "fulfillment-tracking-number",
        ("$.trackingInfo.trackingNumber",),
    )
    assert written[f"{at}.orderId"] == ("fulfillment-created", ("$.orderId",))
    fates = {i.path: i for i in ledger.inputs}
    assert (fates["$.buyerInfo.email"].fate, fates["$.buyerInfo.email"].kind) == ("report", "dropped")
    assert fates["$.dateCreated"].rows == ("fulfillment-created", "fulfillment-created-date")  # eventTime and createdDate
    deleted = explain_webhook(loads((FIXTURES / "webhooks" / "fulfillment_deleted.json").read_bytes()))
    assert next(i for i in deleted.inputs if i.path == "$.fulfillmentId").kind == "fetch"


def test_a_refund_webhook_names_the_refund_rows_and_reports_the_order() -> None:
    body = loads((FIXTURES / "webhooks" / "order_refunded.json").read_bytes())
    ledger = explain_webhook(body)
    amount = next(o for o in ledger.outputs if o.path.endswith("refunds[0].transactions[0].amount.amount"))
    assert (amount.row, amount.op, amount.inputs) == ("refund-amount", "money", ("$.order.refunds[0].amount",))
    fates = {i.path: i for i in ledger.inputs}
    assert fates["$.refundId"].rows == ("order-refunded",)
    assert fates["$.order.refunds[0].id"].rows == ("refund-id",)
    # The body's order gives the refund's payment too (the order_transactions rows): each leaf of it names
    # its row; the total it is paid from is carried, what it cannot give (the payment's id) named beside it.
    paid = next(o for o in ledger.outputs if o.path.endswith("orderTransactions.payments[0].amount.amount"))
    assert (paid.row, paid.inputs) == ("payment-amount", ("$.order.totals.total",))
    method = next(o for o in ledger.outputs if o.path.endswith("regularPaymentDetails.paymentMethodName.buyerLanguageName"))
    assert (method.row, method.inputs) == ("payment-method", ("$.order.billingInfo.paymentMethod",))
    assert fates["$.order.billingInfo.paymentMethod"].rows == ("payment-method",)
    total = fates["$.order.totals.total"]
    assert (total.fate, total.rows, [e.kind for e in total.beside]) == ("output", ("payment-amount",), ["not_derivable"])


def test_a_refund_webhook_whose_order_a_gift_card_paid_whole_names_the_gift_card_row() -> None:
    body = loads((FIXTURES / "webhooks" / "order_refunded.json").read_bytes())
    body["order"]["totals"]["giftCard"] = body["order"]["totals"]["total"]
    ledger = explain_webhook(body)
    # payment-amount wrote nothing (nothing was left to pay), so the amount is the gift card's.
    paid = next(o for o in ledger.outputs if o.path.endswith("orderTransactions.payments[0].amount.amount"))
    assert (paid.row, paid.inputs) == ("gift-card-paid-whole", ("$.order.totals.giftCard",))
    fates = {i.path: i for i in ledger.inputs}
    assert "payment-amount" not in fates["$.order.totals.total"].rows
    assert (fates["$.order.billingInfo.paymentMethod"].kind, fates["$.order.billingInfo.paymentMethod"].row) == (
        "dropped",
        "payment-method",
    )


def test_a_summary_converted_partially_is_explained_partially() -> None:
    summary = {"id": "4e2a7d3f-9b5c-4d88-8e1f-6c3a2b8d0f12", "number": 10132, "currency": "USD", "totals": {"total": "15"}}
    # No line items: the conversion is a summary's, and so must its ledger be (not a refused full order).
    result = convert_order(summary, partial=True, explain=True)
    assert result.ledger is not None
    assert {o.path: o.row for o in result.ledger.outputs}["$.number"] == "order-number"


# ---- a JWT delivery ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> tuple[Any, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


def sign(body: Any, private: Any, event_type: str) -> str:
    import jwt

    wrapper = {
        "eventType": event_type,
        "instanceId": "i-1",
        "data": json.dumps(body),
        "identity": json.dumps({"identityType": "APP"}),
    }
    return jwt.encode({"data": json.dumps(wrapper), "iat": 1584550079, "exp": 1584553679}, private, algorithm="RS256")


JWT_WRAPPER = ("$.jwt.iat", "$.jwt.data.eventType", "$.jwt.data.instanceId", "$.jwt.data.identity", "$.jwt.exp")


@pytest.mark.parametrize(
    ("name", "event_type"),
    [("fulfillment_created", "FulfillmentCreated"), ("order_refunded", "OrderRefunded"), ("order_paid", "OrderPaid")],
)
def test_a_jwt_is_explained_as_the_body_inside(keys: tuple[Any, str], name: str, event_type: str) -> None:
    private, public = keys
    body = loads((FIXTURES / "webhooks" / f"{name}.json").read_bytes())
    token = sign(body, private, event_type)
    ledger = explain_webhook(token, public_key=public)
    result = convert_webhook(token, public_key=public)
    assert_event_whole(body, ledger, result, JWT_WRAPPER)
    assert next(o for o in ledger.outputs if o.path == "$.eventTime").inputs == ("$.jwt.iat",)  # the delivery time
    unverified = explain_webhook(token)
    assert unverified.to_dict()["outputs"] == ledger.to_dict()["outputs"]  # unverified: the same ledger
    # ... but for the word convert's report gives: its signature was not checked.
    assert [(n.kind, n.path) for n in unverified.notes] == [("unverified", "$")] and ledger.notes == []
    assert "notes" not in ledger.to_dict()


def test_the_command_says_an_unverified_jwt_was_not_checked(keys: tuple[Any, str], tmp_path: Path) -> None:
    private, _ = keys
    token = sign(loads((FIXTURES / "webhooks" / "fulfillment_deleted.json").read_bytes()), private, "FulfillmentDeleted")
    (tmp_path / "delivery.jwt").write_text(token + "\n")
    proc = run("explain", str(tmp_path / "delivery.jwt"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().endswith(
        "\nunverified: the JWT signature was not verified (no public key given): do not trust this body blindly\n"
    )
    proc = run("explain", str(tmp_path / "delivery.jwt"), "--format", "json", "--path", "$.orderId")
    assert [(n["kind"], n["path"]) for n in json.loads(proc.stdout)["notes"]] == [("unverified", "$")]
    plain = run("explain", "fixtures/webhooks/fulfillment_deleted.json", "--format", "json")
    assert "notes" not in json.loads(plain.stdout)  # a body that came as it is has no signature to check


def test_the_command_explains_a_jwt_and_verifies_it(keys: tuple[Any, str], tmp_path: Path) -> None:
    private, public = keys
    key = tmp_path / "wix.pem"
    key.write_text(public)
    token = sign(loads((FIXTURES / "webhooks" / "fulfillment_created.json").read_bytes()), private, "FulfillmentCreated")
    (tmp_path / "delivery.jwt").write_text(token + "\n")
    proc = run(
        "explain", str(tmp_path / "delivery.jwt"), "--public-key", str(key), "--format", "json", "--path", "$.fulfillmentId"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["inputs"] == [{"path": "$.fulfillmentId", "fate": "output", "rows": ["fulfillment-id"]}]
    header, _, signature = token.split(".")
    other = sign({"orderId": "x", "fulfillmentId": "y"}, private, "FulfillmentDeleted").split(".")[1]
    (tmp_path / "tampered.jwt").write_text(f"{header}.{other}.{signature}")
    proc = run("explain", str(tmp_path / "tampered.jwt"), "--public-key", str(key))
    assert proc.returncode == 1
    assert "::$: JWT signature does not match" in proc.stderr.decode() and b"Traceback" not in proc.stderr


# ---- saved queries ----------------------------------------------------------------------------------


def _as_read(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its filter and sort JSON text parsed, as the query report names their paths."""
    query = dict(request["query"] or {})
    for key in ("filter", "sort"):
        if isinstance(query.get(key), str) and query[key].strip():
            query[key] = loads(query[key].encode())
    return {**request, "query": query}


def assert_query_whole(request: dict[str, Any], ledger: Ledger) -> None:
    translation = translate_query(request)
    read = _as_read(request)
    rows = {row.id for row in (*default_plan().table.order, *default_plan().table.address)} | QUERY_RULES
    assert [o.path for o in ledger.outputs] == [p for p, _ in _leaves(translation.request)]
    for out in ledger.outputs:
        assert out.row in rows, out
        assert set(out.inputs) <= _input_paths(read), out
    assert [i.path for i in ledger.inputs] == [p for p, v in _leaves(read) if not is_empty(v)]
    assert_fates(ledger, translation.entries)
    # A reported leaf names its row, or the translator's rule where no row decides.
    assert all(i.row in rows for i in ledger.inputs if i.fate == "report"), ledger.inputs


QUERY_FIXTURES = sorted((FIXTURES / "queries").glob("*.stores.json"))


@pytest.mark.parametrize("path", QUERY_FIXTURES, ids=lambda p: p.stem)
def test_every_saved_query_fixture_is_explained_whole(path: Path) -> None:
    request = loads(path.read_bytes())
    assert_query_whole(request, explain_query(request))


@pytest.mark.parametrize(
    ("field", "op", "value"), [c[:3] for c in QUERY_CASES], ids=[f"{c[0]}-{c[1]}-{n}" for n, c in enumerate(QUERY_CASES)]
)
def test_every_field_and_operator_of_the_seed_is_explained_whole(field: str, op: str, value: Any) -> None:
    request = {"query": {"filter": {field: {op: value}}, "sort": [{field: "desc"}], "paging": {"limit": 150, "offset": 5}}}
    assert_query_whole(request, explain_query(request))


@given(stores_query())
def test_every_generated_query_is_explained_whole(request: dict[str, Any]) -> None:
    try:
        translate_query(request)
    except ConversionError:
        reject()  # a request the translator refuses has no ledger (explain says why, as query does)
    assert_query_whole(request, explain_query(request))


def test_a_query_names_the_row_of_each_field_and_the_leaf_it_came_from() -> None:
    ledger = explain_query(loads((FIXTURES / "queries" / "seed_by_ids.stores.json").read_bytes()))
    assert [(o.path, o.row, o.op, o.inputs) for o in ledger.outputs] == [
        ("$.search.filter.id.$in[0]", "order-id", "$in", ("$.query.filter.id.$hasSome[0]",)),
        ("$.search.filter.id.$in[1]", "order-id", "$in", ("$.query.filter.id.$hasSome[1]",)),
    ]
    request = {
        "query": {
            "filter": {"paymentStatus": "PAID", "giftCard": "x"},
            "sort": [{"number": "asc"}],
            "paging": {"limit": 500, "offset": 0},
        }
    }
    ledger = explain_query(request)
    fates = {i.path: i for i in ledger.inputs}
    assert fates["$.query.filter.paymentStatus"].rows == ("payment-status",)
    assert (fates["$.query.filter.giftCard"].fate, fates["$.query.filter.giftCard"].kind) == ("report", "dropped")
    assert fates["$.query.sort[0].number"].rows == ("order-number",)
    assert (fates["$.query.paging.offset"].fate, fates["$.query.paging.offset"].rows) == ("consumed", ("query-paging",))
    limit = next(o for o in ledger.outputs if o.path == "$.search.cursorPaging.limit")
    assert (limit.row, limit.inputs, limit.note) == ("query-paging", ("$.query.paging.limit",), "at most 100 a page")


def test_what_no_row_decides_is_reported_with_the_translators_rule() -> None:
    request = {
        "query": {"filter": {"nope": 1}, "sort": [{"nope": "asc"}], "paging": {"limit": 10, "offset": 20}, "extra": 1},
        "x": 2,
    }
    ledger = explain_query(request)
    assert [(i.path, i.fate, i.kind, i.row) for i in ledger.inputs if i.fate == "report"] == [
        ("$.query.filter.nope", "report", "dropped", "query-field"),
        ("$.query.sort[0].nope", "report", "dropped", "query-sort"),
        ("$.query.paging.offset", "report", "dropped", "query-paging"),
        ("$.query.extra", "report", "dropped", "query-request"),
        ("$.x", "report", "dropped", "query-request"),
    ]
    text = io.StringIO()
    ledger.narrowed("$.query.paging").write_text(text)
    assert "$.query.paging.offset  reported: dropped (row query-paging)\n" in text.getvalue()


def test_a_value_that_left_its_field_names_the_row_it_went_by() -> None:
    # Stores fulfillmentStatus CANCELED is eCommerce status CANCELED (row order-status); FULFILLED stays.
    ledger = explain_query({"query": {"filter": {"fulfillmentStatus": {"$hasSome": ["FULFILLED", "CANCELED"]}}}})
    rows = {o.path: o.row for o in ledger.outputs}
    assert rows["$.search.filter.$or[0].fulfillmentStatus.$in[0]"] == "fulfillment-status"
    assert rows["$.search.filter.$or[1].status.$in[0]"] == "order-status"


def test_the_command_explains_a_saved_query() -> None:
    proc = run(
        "explain", "fixtures/queries/seed_updated_within_timeframe.stores.json", "--format", "json", "--path", "$.query.sort"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["inputs"] == [{"path": "$.query.sort[0].number", "fate": "output", "rows": ["order-number"]}]
    assert [o["path"] for o in doc["outputs"]] == ["$.search.sort[0].fieldName", "$.search.sort[0].order"]


# ---- --kind, and what cannot be explained -------------------------------------------------------------

FORCED = {
    "order": "webhooks/order_paid.json",
    "query": "queries/seed_paid_orders.stores.json",
    "order-created": "webhooks/order_created.json",
    "order-paid": "webhooks/order_paid.json",
    "order-canceled": "webhooks/order_canceled.json",
    "order-declined": "webhooks/order_paid.json",
    "order-address-updated": "webhooks/order_address_updated.json",
    "order-refunded": "webhooks/order_refunded.json",
    "cancel-refund-event": "webhooks/order_cancel_refund_event.json",
    "refund-event": "webhooks/order_refund_event.json",
    "fulfillment-created": "webhooks/fulfillment_created.json",
    "fulfillment-updated": "webhooks/fulfillment_updated.json",
    "fulfillment-deleted": "webhooks/fulfillment_deleted.json",
}


def test_forcing_names_every_kind_explain_reads() -> None:
    assert set(FORCED) == {"order", "query", *(spec.id for spec in default_plan().webhooks)}


@pytest.mark.parametrize("kind", sorted(FORCED))
def test_kind_forces_each_kind(kind: str) -> None:
    import io

    from orders_migrate.explain_cmd import run_explain

    out, err = io.BytesIO(), io.StringIO()
    assert run_explain(str(FIXTURES / FORCED[kind]), fmt="json", kind=kind, stdout=out, stderr=err) == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    rows = {o["row"] for o in doc["outputs"]}
    if kind == "order":
        assert "order-id" in rows and not any(o["path"].startswith("$.actionEvent") for o in doc["outputs"])
    elif kind == "query":
        assert rows == {"payment-status"}
    else:
        assert kind in rows  # the event's own fields name the webhook forced


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


def test_a_constant_s_trigger_is_not_what_carries_the_leaves_under_it() -> None:
    assert {"attribution-source", "line-payment-option"} <= TRIGGER_ONLY
    order = loads((FIXTURES / "stores" / "velo_order_paid.json").read_bytes())
    ledger = explain_order(order)
    fates = {i.path: i for i in ledger.inputs}
    assert (fates["$.lineItems[0].quantity"].fate, fates["$.lineItems[0].quantity"].rows) == (
        "output",
        ("line-quantity", "line-totals"),
    )
    assert fates["$.lineItems[0].name"].rows == ("line-name",)
    # The Velo media type is read by its enum row, which writes nothing: consumed, not carried by attribution-source.
    assert fates["$.lineItems[0].mediaItem.type"].fate == "consumed"
    assert "attribution-source" not in fates["$.lineItems[0].mediaItem.type"].rows
    # The constants' own outputs still name the trigger they were written for.
    source = next(o for o in ledger.outputs if o.path == "$.attributionSource")
    assert (source.row, source.inputs) == ("attribution-source", ("$.lineItems",))


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


def test_a_bad_ndjson_line_fails_only_its_own_record(tmp_path: Path) -> None:
    from orders_migrate.explain_cmd import run_explain

    order = (FIXTURES / "stores" / "invoice_inr.json").read_bytes().replace(b"\n", b"")
    export = tmp_path / "export.ndjson"
    export.write_bytes(order + b"\n" + b'{"id": "x", broken\n' + order + b"\n" + b"[\n")

    def explain(n: int) -> tuple[int, str, bytes]:
        out, err = io.BytesIO(), io.StringIO()
        return run_explain(str(export), record=n, fmt="json", stdout=out, stderr=err), err.getvalue(), out.getvalue()

    for n in (1, 3):  # before and after the bad line; the broken last line is never parsed
        code, err, out = explain(n)
        assert (code, err) == (0, ""), err
        assert json.loads(out)["outputs"]
    code, err, out = explain(2)
    assert (code, out) == (1, b"")
    assert (
        err == f"{export}:2::$: not valid JSON: Expecting property name enclosed in double quotes: line 1 column 13 (char 12)\n"
    )
    code, err, _ = explain(4)
    assert code == 1 and err.startswith(f"{export}:4::$: not valid JSON")
    code, err, _ = explain(5)
    assert (code, err) == (2, f"orders-migrate: --record 5: {export} holds 4 record(s)\n")


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
        (["fixtures/stores/coupon_partially_fulfilled.json", "--path", "garbage["], 2, "a rendered path starts with $"),
        (["fixtures/stores/coupon_partially_fulfilled.json", "--path", "$.lineItems[0"], 2, "malformed index"),
        (["fixtures/check/mixed/unrelated.json"], 1, "::$: not a record explain reads"),
        (["fixtures/check/mixed/broken.json"], 1, "::$: not valid JSON"),
        (
            ["fixtures/webhooks/order_paid.json", "--kind", "nope"],
            2,
            "--kind nope: not a kind explain reads (one of order, query,",
        ),
        (["fixtures/webhooks/order_paid.json", "--kind", "query"], 1, '::$.order: expected {"query"'),
        (["fixtures/stores/invoice_inr.json", "--kind", "order-refunded"], 1, "::$.order: expected the order object"),
        (["fixtures/webhooks/order_created.json", "--public-key", "nokey.pem"], 2, "nokey.pem: no such file"),
        (["fixtures/webhooks/order_created.json", "--public-key", "BAD"], 2, "--public-key"),
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


def _readme_examples() -> list[tuple[str, str]]:
    """Each command of the README's explain and diff-mappings examples with the output it shows."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Explaining one conversion") : text.index("## Companions")]
    found: list[tuple[str, str]] = []
    for block in section.split("```console\n")[1:]:
        for part in block.split("```", 1)[0].split("$ ")[1:]:
            command, _, shown = part.partition("\n")
            found.append((command, shown))
    return found


def test_the_readme_examples_are_what_the_commands_print(tmp_path: Path) -> None:
    examples = _readme_examples()
    assert sum(c.startswith("orders-migrate explain") for c, _ in examples) >= 4
    assert any(c.startswith("orders-migrate diff-mappings") for c, _ in examples)
    code = 0
    for command, shown in examples:
        # The edited table is written beside the test, not into the repository.
        line = command.replace("ours.yaml", str(tmp_path / "ours.yaml")).replace("echo $?", f"echo {code}")
        proc = subprocess.run(
            ["bash", "-c", line.replace("orders-migrate ", f"{sys.executable} -m orders_migrate ")],
            capture_output=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        code = proc.returncode
        printed = proc.stdout.decode()
        if "\n...\n" in shown:  # abridged: each line shown is printed (one ending in ... starts a line printed)
            lines = printed.splitlines()
            for kept in (s for s in shown.splitlines() if s != "..."):
                cut = kept.removesuffix("...")
                assert kept in lines or cut != kept and any(p.startswith(cut) for p in lines), (command, kept)
        else:
            assert printed == shown, (command, printed)


def _fixture_files() -> list[Path]:
    """Every fixture that is an input (not a converted order's report or companions)."""
    inputs = ("stores", "webhooks", "queries", "reference", "check/mixed", "ecom")
    found = [FIXTURES / "query_orders_response.json"]
    for folder in inputs:
        found += [p for p in (FIXTURES / folder).rglob("*") if p.suffix in (".json", ".ndjson", ".jsonl")]
    return sorted(p for p in found if not p.name.endswith(".report.json"))


def test_every_record_of_every_fixture_is_explained_or_clearly_refused() -> None:
    from orders_migrate.explain_cmd import explain_record
    from orders_migrate.reader import Envelope, Record, read_records

    refused: list[str] = []
    explained = 0
    for path in _fixture_files():
        for item in read_records(str(path), path.read_bytes()):
            if isinstance(item, Envelope):
                continue  # a Query Orders response's paging: no record
            if not isinstance(item, Record):
                refused.append(path.name)  # not JSON, say (check/mixed/broken.json)
                continue
            try:
                ledger = explain_record(item.payload)
            except ConversionError:
                refused.append(path.name)
                continue
            explained += 1
            assert all(o.row is not None or o.note == "passed through" for o in ledger.outputs), path
            paths = [i.path for i in ledger.inputs]
            assert len(paths) == len(set(paths)), path
    # Only the fixtures convert refuses too: not JSON, not a record, an Automations body (not the REST order).
    assert set(refused) == {"broken.json", "unrelated.json", "unrelated_array.json", "ecom_order_flowercrm_1.json"}, refused
    assert explained >= 100


# ---- with companions --------------------------------------------------------------------------------

# Kinds of report entry that say a leaf was not carried, which the ledger must say in the same words.
NOT_CARRIED_KINDS = ("fetch", "dropped", "unmapped")
COMPANION_ROOTS = ("$.orderTransactions", "$.orderWithFulfillments")


def _companion_fixtures() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each reviewed companions file of fixtures/companions/ with the Stores order it was built from (the
    pairs fixtures/regenerate_companions.sh writes)."""
    root = FIXTURES / "companions"
    found = []
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root)
        if path.name.endswith(".input.json"):
            continue
        if rel.parts[0] == "cases":
            order = loads(path.with_name(path.name.removesuffix(".json") + ".input.json").read_bytes())
        elif path.name.endswith(".order.json"):
            body = loads((FIXTURES / rel.parent / (path.name.removesuffix(".order.json") + ".json")).read_bytes())
            order = body["order"]
        else:
            order = loads((FIXTURES / rel).read_bytes())
        found.append((str(rel), order, loads(path.read_bytes())))
    return found


COMPANION_FIXTURES = _companion_fixtures()


def _deepest(entries: Any, path: str) -> Any:
    """The report entry at ``path`` or at the deepest object holding it (an alias is no fate)."""
    covering = [e for e in entries if e.kind != "aliased" and _covers(e.path, path)]
    return max(covering, key=lambda e: len(e.path), default=None)


def test_the_companion_fixtures_are_many_and_of_every_kind() -> None:
    names = [n for n, _, _ in COMPANION_FIXTURES]
    assert len(names) >= 30 and any(n.startswith("cases/") for n in names) and any(n.endswith(".order.json") for n in names)
    built = {k for _, _, expected in COMPANION_FIXTURES for k in expected}
    assert built == {"orderTransactions", "orderWithFulfillments"}


@pytest.mark.parametrize(("name", "order", "expected"), COMPANION_FIXTURES, ids=[n for n, _, _ in COMPANION_FIXTURES])
def test_with_companions_each_leaf_has_the_verdict_of_the_report(name: str, order: Any, expected: Any) -> None:
    result = convert_order(order, companions=True, explain=True)
    assert result.companions == expected  # the reviewed companions: what is explained is what they hold
    assert_companions_whole(order, result)


@given(stores_order())
def test_with_companions_each_generated_leaf_has_the_verdict_of_the_report(order: dict[str, Any]) -> None:
    try:
        result = convert_order(order, companions=True, explain=True)
    except ConversionError:
        reject()
    assert_companions_whole(order, result)


def assert_companions_whole(order: Any, result: Any) -> None:
    """The ledger of a conversion with companions: every leaf of the order and of each companion once;
    every input leaf with the verdict the report gives it (not carried in its words, or carried), and a
    leaf the plain conversion fetches but a companion carried put down in that companion."""
    ledger = result.ledger
    assert ledger is not None
    # Every leaf of the order, then of each companion at $.<its name>, once, with its row and present inputs.
    made = [p for p, _ in _leaves(result.order)] + [p for k, c in result.companions.items() for p, _ in _leaves({k: c})]
    assert [o.path for o in ledger.outputs] == made
    present = _input_paths(order)
    for out in ledger.outputs:
        assert out.row is not None and set(out.inputs) <= present, out
    assert [i.path for i in ledger.inputs] == [p for p, v in _leaves(order) if not is_empty(v)]
    assert_fates(ledger, result.report.entries)
    carried = ledger.rows_by_input()
    companion_rows = {o.row for o in ledger.outputs if o.path.startswith(COMPANION_ROOTS)}
    plain = convert_order(order).report.entries
    for leaf in ledger.inputs:
        said = _deepest(result.report.entries, leaf.path)
        if said is not None and said.kind in NOT_CARRIED_KINDS:
            assert (leaf.fate, leaf.kind) == ("report", said.kind), (leaf, said)
        else:  # the report says nothing was left out here: the ledger does not either
            assert leaf.fate != "report" or leaf.kind not in NOT_CARRIED_KINDS, (leaf, said)
        if leaf.fate == "output":  # a companion row said to carry it wrote a leaf that names it
            assert set(leaf.rows) & companion_rows <= set(carried.get(leaf.path, ())), leaf
        before = _deepest(plain, leaf.path)
        if before is not None and before.kind == "fetch" and leaf.fate == "output":
            # A fetch of the plain conversion that a companion carried is put down in that companion.
            assert any(o.path.startswith(COMPANION_ROOTS) and leaf.path in o.inputs for o in ledger.outputs), leaf


def test_with_companions_a_payment_and_a_fulfillment_name_where_they_went() -> None:
    order = loads((REFERENCE_DIR / "examples" / "stores_order_1.json").read_bytes())
    plain = explain_order(order)
    ledger = explain_order(order, companions=True)
    before = {i.path: i for i in plain.inputs}
    after = {i.path: i for i in ledger.inputs}
    for path in ("$.billingInfo.paymentMethod", "$.fulfillments[0].id", "$.fulfillments[0].trackingInfo.trackingNumber"):
        assert (before[path].fate, before[path].kind) == ("report", "fetch")
        assert after[path].fate == "output", after[path]
    written = {o.path: (o.row, o.inputs) for o in ledger.outputs}
    at = "$.orderTransactions.payments[0].regularPaymentDetails.paymentMethodName.buyerLanguageName"
    assert written[at] == ("payment-method", ("$.billingInfo.paymentMethod",))
    assert written["$.orderWithFulfillments.fulfillments[0].id"] == ("fulfillment-id", ("$.fulfillments[0].id",))
    assert written["$.orderWithFulfillments.fulfillments[0].lineItems[1].id"] == (
        "fulfillment-line-item-id",
        ("$.fulfillments[0].lineItems[1].index",),
    )
    # The order's own leaves are what they were without companions.
    assert [o for o in ledger.outputs if not o.path.startswith(COMPANION_ROOTS)] == plain.outputs


def test_with_companions_a_refund_and_a_gift_card_name_their_rows_and_what_they_cannot_give() -> None:
    order = loads((FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json").read_bytes())
    ledger = explain_order(order, companions=True)
    fates = {i.path: i for i in ledger.inputs}
    written = {o.path: (o.row, o.inputs) for o in ledger.outputs}
    amount = fates["$.refunds[0].amount"]
    assert (amount.fate, amount.rows) == ("output", ("refund-amount",))
    assert [(e.kind, e.row) for e in amount.beside] == [("not_derivable", "refund-not-derivable")]
    assert written["$.orderTransactions.refunds[0].transactions[0].amount.amount"] == ("refund-amount", ("$.refunds[0].amount",))
    gift = fates["$.totals.giftCard"]
    assert gift.fate == "output" and "gift-card-payment" in gift.rows, gift
    assert written["$.orderTransactions.payments[1].amount.amount"] == ("gift-card-payment", ("$.totals.giftCard",))


def test_the_command_explains_with_companions_as_convert_writes_them() -> None:
    path = "fixtures/reference/examples/stores_order_1.json"
    plain = run("explain", path, "--format", "json", "--path", "$.fulfillments[0].id")
    proc = run("explain", path, "--companions", "--format", "json", "--path", "$.fulfillments[0].id")
    assert plain.returncode == proc.returncode == 0, proc.stderr
    assert json.loads(plain.stdout)["inputs"] == [
        {"path": "$.fulfillments[0].id", "fate": "report", "kind": "fetch", "row": "fulfillments"}
    ]
    doc = json.loads(proc.stdout)
    assert doc["inputs"] == [{"path": "$.fulfillments[0].id", "fate": "output", "rows": ["fulfillment-id"]}]
    assert doc["outputs"] == [
        {
            "path": "$.orderWithFulfillments.fulfillments[0].id",
            "row": "fulfillment-id",
            "op": "copy",
            "inputs": ["$.fulfillments[0].id"],
        }
    ]
    # A webhook's event is what it is either way: --companions changes nothing of it.
    hook = ["fixtures/webhooks/order_refunded.json", "--format", "json"]
    assert run("explain", *hook, "--companions").stdout == run("explain", *hook).stdout


# ---- the Order Refunded webhook: one verdict a leaf -------------------------------------------------


def test_the_refund_webhook_example_gives_the_refund_amount_one_verdict() -> None:
    body = loads((REFERENCE_DIR / "examples" / "stores_webhook_order_refunded.json").read_bytes())
    result = convert_webhook(body)
    ledger = explain_webhook(body)
    # The report anchors what a refund cannot give (its paymentId, refundStatus) at the amount...
    said = [e for e in result.report.entries if e.path == "$.order.refunds[0].amount"]
    assert [(e.kind, e.row) for e in said] == [("not_derivable", "refund-not-derivable")]
    # ...and the event carries the amount: the ledger says carried, once, with that entry beside it.
    refund = result.order["actionEvent"]["body"]["orderTransactions"]["refunds"][0]
    assert refund["transactions"][0]["amount"]["amount"] == str(body["order"]["refunds"][0]["amount"])
    amount = [i for i in ledger.inputs if i.path == "$.order.refunds[0].amount"]
    assert [(i.fate, i.rows, i.kind) for i in amount] == [("output", ("refund-amount",), None)]
    assert [(e.kind, e.row, e.message) for e in amount[0].beside] == [(e.kind, e.row, e.message) for e in said]
    # No leaf is both named as an output's input and put down as reported.
    named = ledger.rows_by_input()
    assert [i.path for i in ledger.inputs if i.fate == "report" and i.path in named] == []
    text = io.StringIO()
    ledger.write_text(text)
    line = next(n for n in text.getvalue().splitlines() if n.startswith("$.order.refunds[0].amount "))
    assert line.split(None, 1)[1] == "output: refund-amount (beside it: not_derivable, row refund-not-derivable)"
    assert ledger.narrowed("$.order.refunds[0].amount").to_dict()["inputs"][0]["beside"][0]["row"] == "refund-not-derivable"


# ---- a record convert --companions wrote --------------------------------------------------------------


def test_the_command_passes_through_a_record_convert_companions_wrote(tmp_path: Path) -> None:
    written = tmp_path / "written.json"
    proc = run(
        "convert", "fixtures/reference/examples/stores_order_1.json", "--companions", "-o", str(written), "--report", "none"
    )
    assert proc.returncode == 0, proc.stderr
    record = loads(written.read_bytes())
    assert set(record) == {"order", "orderWithFulfillments", "orderTransactions"}
    for flag, kept in (((), False), (("--companions",), True)):
        proc = run("explain", str(written), "--format", "json", *flag)
        assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr
        doc = json.loads(proc.stdout)
        conversion = convert_order(record, companions=kept)
        assert conversion.report.payload_kind == "ecom_order"  # convert passes it through, and says why
        made = [p for p, _ in _leaves(conversion.order)] + [
            p for k, c in conversion.companions.items() for p, _ in _leaves({k: c})
        ]
        assert [o["path"] for o in doc["outputs"]] == made
        assert all(o["note"] == "passed through" and o["row"] is None for o in doc["outputs"])
        assert [i["path"] for i in doc["inputs"]] == [p for p, v in _leaves(record) if not is_empty(v)]
        dropped = {e.path for e in conversion.report.entries if e.kind == "dropped"}
        assert dropped == (set() if kept else {"$.orderWithFulfillments", "$.orderTransactions"})
        for leaf in doc["inputs"]:
            inside = any(_covers(d, leaf["path"]) for d in dropped)
            assert (leaf["fate"], leaf.get("kind")) == (("report", "dropped") if inside else ("output", None)), leaf
        assert doc == convert_order(record, companions=kept, explain=True).ledger.to_dict()  # type: ignore[union-attr]
    # A line of the NDJSON --companions writes too, and its text view says passed through.
    lines = tmp_path / "written.ndjson"
    lines.write_bytes(written.read_bytes().replace(b"\n", b"") + b"\n")
    proc = run("explain", str(lines), "--path", "$.order.id")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[1].endswith("passed through <- $.order.id")
