"""requests: each stored Stores request becomes the eCommerce requests of its route in the table, or a
rejection that names its place in the file; nothing is dropped without a word."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from conftest import FIXTURES, ROOT, load_json
from orders_migrate import convert_address, convert_order
from orders_migrate.engine import MappingError, compile_table, default_plan, load_table
from orders_migrate.engine.table import default_table_text
from orders_migrate.importplan.payments import payment_requests
from orders_migrate.importplan.requests import LEFT_OUT
from orders_migrate.models.importing import AddPaymentsRequest, CreateFulfillmentRequest
from orders_migrate.models.requests import (
    CreateOrderRequest,
    SearchOrdersRequest,
    UpdateFulfillmentRequest,
    UpdateOrderRequest,
)
from orders_migrate.query.translate import translate_query
from orders_migrate.requests.command import run_requests
from orders_migrate.requests.convert import OPS
from orders_migrate.requests.routes import compile_routes
from strategies import stores_order

REQUESTS = FIXTURES / "requests"
EVERY_ROUTE = REQUESTS / "every_route.ndjson"
ORDER_ID = "5b3e1c7a-2f4d-4e8b-9a61-0c7d2e9f4a13"
FULFILLMENT_ID = "9c2d4e6f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
# Each eCommerce request a route may write, and the model of its body (None: a request without one).
MODELS: list[tuple[str, re.Pattern[str], type[BaseModel] | None]] = [
    ("POST", re.compile(r"/ecom/v1/orders"), CreateOrderRequest),
    ("POST", re.compile(r"/ecom/v1/payments/orders/[^/]+/add-payment"), AddPaymentsRequest),
    ("PATCH", re.compile(r"/ecom/v1/orders/[^/]+"), UpdateOrderRequest),
    ("GET", re.compile(r"/ecom/v1/(orders|payments/orders|fulfillments/orders)/[^/]+"), None),
    ("POST", re.compile(r"/ecom/v1/orders/search"), SearchOrdersRequest),
    ("POST", re.compile(r"/ecom/v1/fulfillments/orders/[^/]+/create-fulfillment"), CreateFulfillmentRequest),
    ("PATCH", re.compile(r"/ecom/v1/fulfillments/[^/]+/orders/[^/]+"), UpdateFulfillmentRequest),
    ("DELETE", re.compile(r"/ecom/v1/fulfillments/[^/]+/orders/[^/]+"), None),
]


def check_model(request: dict[str, Any]) -> None:
    for method, pattern, model in MODELS:
        if request["method"] == method and pattern.fullmatch(request["path"]):
            if model is None:
                assert request["body"] is None
            else:
                model.model_validate(request["body"])
            return
    raise AssertionError(f"no model for {request['method']} {request['path']}")


def run(path: Path | str, report: str = "json", **kwargs: Any) -> tuple[int, list[dict[str, Any]], str]:
    out, err = io.BytesIO(), io.StringIO()
    code = run_requests(str(path), None, report, stdout=out, stderr=err, **kwargs)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def stored(tmp_path: Path, *records: Any, name: str = "stored.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(list(records)), encoding="utf-8")
    return path


def by_line(requests: list[dict[str, Any]], line: int) -> list[dict[str, Any]]:
    return [r for r in requests if r["ref"].get("line") == line]


def test_every_route_translates_and_each_body_is_a_valid_request() -> None:
    code, requests, err = run(EVERY_ROUTE, report="none")
    assert code == 0, err
    assert [(r["ref"]["line"], r["ref"]["request"], r["method"]) for r in requests] == [
        (1, "create-order[0]", "POST"),
        (1, "create-order[1]", "POST"),
        (2, "update-order-email[0]", "PATCH"),
        (3, "update-order-shipping-address[0]", "PATCH"),
        (4, "get-order[0]", "GET"),
        (4, "get-order[1]", "GET"),
        (4, "get-order[2]", "GET"),
        (5, "query-orders[0]", "POST"),
        (6, "create-fulfillment[0]", "POST"),
        (7, "update-fulfillment[0]", "PATCH"),
        (8, "delete-fulfillment[0]", "DELETE"),
    ]
    for request in requests:
        check_model(request)
        assert set(request) == {"ref", "method", "path", "body"}
    assert "8 stored request(s) translated into 11 eCommerce request(s); 0 rejected" in err


def test_create_order_is_the_converted_order_then_its_payments_with_the_placeholder() -> None:
    stores = load_json(FIXTURES / "stores" / "create_request_no_index.json")
    _, requests, _ = run(EVERY_ROUTE)
    create, payment = by_line(requests, 1)
    conversion = convert_order(stores, companions=True)
    assert (create["method"], create["path"]) == ("POST", "/ecom/v1/orders")
    assert create["body"] == {"order": {k: v for k, v in conversion.order.items() if k not in LEFT_OUT}}
    assert payment["path"] == "/ecom/v1/payments/orders/{orderId}/add-payment"
    assert payment["body"] == payment_requests(conversion, stores).requests[0][2]
    assert payment["body"]["orderId"] == "{orderId}" and payment["body"]["payments"][0]["amount"] == {"amount": "15"}


def test_update_order_email_and_shipping_address_become_update_order() -> None:
    records = [json.loads(line) for line in EVERY_ROUTE.read_text(encoding="utf-8").splitlines()]
    code, requests, err = run(EVERY_ROUTE)
    [email] = by_line(requests, 2)
    assert email == {
        "ref": {
            "source": str(EVERY_ROUTE),
            "line": 2,
            "record": "$",
            "storesOrderId": ORDER_ID,
            "request": "update-order-email[0]",
        },
        "method": "PATCH",
        "path": f"/ecom/v1/orders/{ORDER_ID}",
        "body": {"order": {"id": ORDER_ID, "buyerInfo": {"email": "buyer-2a7c41@example.com"}}},
    }
    [address] = by_line(requests, 3)
    stores_address = records[2]["body"]["shippingAddress"]
    expected = convert_address(stores_address)
    destination = address["body"]["order"]["shippingInfo"]["logistics"]["shippingDestination"]
    assert destination == {"address": expected.address, "contactDetails": expected.contact_details}
    assert destination["address"]["postalCode"] == stores_address["zipCode"]
    assert "buyerInfo" not in address["body"]["order"]  # a shipping address does not change the buyer
    reports = json.loads(err[: err.rindex("]") + 1])
    dropped = [e for e in reports[2]["entries"] if e["kind"] == "dropped"]
    assert [e["path"] for e in dropped] == ["$.body.shippingAddress.email"]


def test_get_order_is_get_order_and_the_companions_lists() -> None:
    _, requests, _ = run(EVERY_ROUTE)
    assert [(r["method"], r["path"], r["body"]) for r in by_line(requests, 4)] == [
        ("GET", f"/ecom/v1/orders/{ORDER_ID}", None),
        ("GET", f"/ecom/v1/payments/orders/{ORDER_ID}", None),
        ("GET", f"/ecom/v1/fulfillments/orders/{ORDER_ID}", None),
    ]


def test_query_orders_is_the_query_translation() -> None:
    records = [json.loads(line) for line in EVERY_ROUTE.read_text(encoding="utf-8").splitlines()]
    _, requests, _ = run(EVERY_ROUTE)
    [search] = by_line(requests, 5)
    assert search["path"] == "/ecom/v1/orders/search"
    assert search["body"] == translate_query(records[4]["body"]).request
    assert search["body"]["search"]["filter"] == {"paymentStatus": "PAID"}


def test_fulfillments_go_to_order_fulfillments_with_line_items_by_the_guid_rule() -> None:
    records = [json.loads(line) for line in EVERY_ROUTE.read_text(encoding="utf-8").splitlines()]
    _, requests, _ = run(EVERY_ROUTE)
    [create] = by_line(requests, 6)
    stored_items = records[5]["body"]["fulfillment"]["lineItems"]
    assert create["path"] == f"/ecom/v1/fulfillments/orders/{ORDER_ID}/create-fulfillment"
    assert [i["id"] for i in create["body"]["fulfillment"]["lineItems"]] == [
        f"00000000-0000-0000-0000-{i['index']:012d}" for i in stored_items
    ]
    [update] = by_line(requests, 7)
    assert update["path"] == f"/ecom/v1/fulfillments/{FULFILLMENT_ID}/orders/{ORDER_ID}"
    assert update["body"]["fulfillment"] == {
        "id": FULFILLMENT_ID,
        "trackingInfo": records[6]["body"]["fulfillmentTrackingInfo"],
    }
    [delete] = by_line(requests, 8)
    assert (delete["method"], delete["path"]) == ("DELETE", f"/ecom/v1/fulfillments/{FULFILLMENT_ID}/orders/{ORDER_ID}")


def test_a_batch_goes_on_past_unknown_and_bad_requests_and_names_each_place() -> None:
    source = REQUESTS / "mixed.json"
    code, requests, err = run(source, report="none")
    assert code == 1
    assert [r["ref"]["record"] for r in requests] == ["$[0]", "$[4]", "$[4]", "$[4]"]
    assert f"{source}::$[1].path: no route for POST /stores/v2/orders/{ORDER_ID}/archive" in err
    assert f"{source}::$[2].body.email: expected the new email address, got 7" in err
    assert f"{source}::$[3].body.order.lineItems[0].quantity: " in err
    assert "2 stored request(s) translated into 4 eCommerce request(s); 3 rejected" in err
    assert "Traceback" not in err


def test_report_json_is_one_document_of_reports_and_failures_in_input_order() -> None:
    source = REQUESTS / "mixed.json"
    code, requests, err = run(source, report="json")
    assert code == 1 and len(requests) == 4
    doc = json.loads(err)  # the whole of stderr: no summary line, no error line outside it
    assert [d.get("payloadKind", "failed") for d in doc] == ["stores_request", "failed", "failed", "failed", "stores_request"]
    assert [d["source"] for d in doc if "payloadKind" in d] == [f"{source}::$[0]", f"{source}::$[4]"]
    # A failure is the object convert --report json writes for a failed record.
    assert doc[2] == {
        "source": str(source),
        "line": None,
        "path": "$[2]",
        "errors": [{"path": "$[2].body.email", "message": "expected the new email address, got 7"}],
    }
    assert doc[1]["errors"][0]["path"] == "$[1].path" and doc[1]["errors"][0]["message"].startswith("no route for POST")


def test_report_json_names_a_bad_ndjson_line_by_its_line_and_a_har_entry_by_its_place(tmp_path: Path) -> None:
    source = tmp_path / "stored.ndjson"
    source.write_text("{not json\n", encoding="utf-8")
    code, _, err = run(source, report="json")
    doc = json.loads(err)  # one failed record alone: that one object, as convert writes it
    assert code == 1 and (doc["line"], doc["path"], doc["errors"][0]["path"]) == (1, "$", "$")
    code, _, err = run(REQUESTS / "session.har", report="json")
    [failure] = [d for d in json.loads(err) if "errors" in d]
    assert failure["path"] == "$.log.entries[2].request"
    assert failure["errors"][0]["path"] == "$.log.entries[2].request.postData.text: $.email"


def test_report_json_ends_with_the_error_when_the_output_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")  # a file where the output's folder would be
    out, err = io.BytesIO(), io.StringIO()
    code = run_requests(str(REQUESTS / "mixed.json"), str(tmp_path / "a-file" / "out.ndjson"), "json", stdout=out, stderr=err)
    assert code == 1
    doc = json.loads(err.getvalue())
    assert "cannot write" in doc[-1]["error"] and len(doc) == 6


def test_a_har_file_s_requests_are_read_from_their_entries() -> None:
    source = REQUESTS / "session.har"
    code, requests, err = run(source, report="none")
    assert code == 1
    assert [(r["ref"]["record"], r["ref"]["request"]) for r in requests] == [
        ("$.log.entries[0].request", "query-orders[0]"),
        ("$.log.entries[1].request", "get-order[0]"),
        ("$.log.entries[1].request", "get-order[1]"),
        ("$.log.entries[1].request", "get-order[2]"),
    ]
    assert f"{source}::$.log.entries[2].request.postData.text: $.email: expected the new email address" in err


def test_ndjson_lines_are_named_by_their_line(tmp_path: Path) -> None:
    source = tmp_path / "stored.ndjson"
    good = {"method": "GET", "path": f"/stores/v2/orders/{ORDER_ID}"}
    lines = [json.dumps(good), "{not json", json.dumps({"path": "/stores/v2/orders"}), json.dumps({"method": None, "path": "/x"})]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, requests, err = run(source, report="none")
    assert code == 1 and len(requests) == 3
    assert f"{source}:2::$: not valid JSON" in err
    assert f"{source}:3::$.method: expected the HTTP method, but the record has none" in err  # absent is not null
    assert f"{source}:4::$.method: expected the HTTP method, got null" in err


def test_a_cut_short_json_document_is_one_error_and_ndjson_under_another_name_still_lines(tmp_path: Path) -> None:
    whole = (REQUESTS / "mixed.json").read_bytes()
    cut = tmp_path / "trunc.json"
    cut.write_bytes(whole[: whole.index(b"/archive")])  # a pretty-printed document half copied
    code, requests, err = run(cut, report="text")
    assert (code, requests) == (1, [])
    [message, summary] = err.splitlines()
    assert message.startswith(f"{cut}::$: not valid JSON: Unterminated string starting at: line 11 column 13")
    assert summary.endswith("; 1 rejected")
    named = tmp_path / "stored.json"  # NDJSON without its suffix, a bad line among good ones
    good = json.dumps({"method": "GET", "path": f"/stores/v2/orders/{ORDER_ID}"})
    named.write_text(good + "\n{not json\n" + good + "\n", encoding="utf-8")
    code, requests, err = run(named, report="none")
    assert code == 1 and {r["ref"]["line"] for r in requests} == {1, 3}
    assert f"{named}:2::$: not valid JSON" in err


def test_a_whole_url_and_its_query_string(tmp_path: Path) -> None:
    source = stored(tmp_path, {"method": "get", "path": f"https://www.wixapis.com/stores/v2/orders/{ORDER_ID}?fieldsets=FULL"})
    code, requests, err = run(source)
    assert code == 0 and requests[0]["path"] == f"/ecom/v1/orders/{ORDER_ID}"
    report = json.loads(err[: err.rindex("}") + 1])
    assert [(e["kind"], e["path"]) for e in report["entries"]] == [("dropped", "$.path")]
    assert "fieldsets=FULL" in report["entries"][0]["message"]


def test_a_stored_record_s_keys_beside_method_path_and_body_are_reported(tmp_path: Path) -> None:
    # A queue or retry table keeps more than the request (its headers, when it was sent): never lost unsaid.
    record = {
        "method": "GET",
        "path": f"/stores/v2/orders/{ORDER_ID}",
        "url": "https://www.wixapis.com/elsewhere",
        "headers": {"Authorization": "x"},
        "sent at": "2023-01-01",
        "retries": 0,
        "note": "",
    }
    code, requests, err = run(stored(tmp_path, record))
    assert code == 0 and requests[0]["path"] == f"/ecom/v1/orders/{ORDER_ID}"
    report = json.loads(err[: err.rindex("}") + 1])
    assert [(e["kind"], e["path"], e["message"]) for e in report["entries"]] == [
        ("dropped", "$.url", "not part of a stored request {method, path, body} ('https://www.wixapis.com/elsewhere'); left out"),
        ("dropped", "$.headers", "not part of a stored request {method, path, body} (an object); left out"),
        ("dropped", '$["sent at"]', "not part of a stored request {method, path, body} ('2023-01-01'); left out"),
        ("dropped", "$.retries", "not part of a stored request {method, path, body} (0); left out"),
    ]


def test_an_output_that_is_its_input_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    source = stored(tmp_path, {"method": "GET", "path": f"/stores/v2/orders/{ORDER_ID}"})
    before = source.read_bytes()
    err = io.StringIO()
    assert run_requests(str(source), str(source), "none", stdout=io.BytesIO(), stderr=err) == 2
    assert "would overwrite its input" in err.getvalue() and source.read_bytes() == before


def test_a_create_order_s_refunds_are_reported_not_dropped(tmp_path: Path) -> None:
    order = load_json(FIXTURES / "companions" / "cases" / "gift_card_refunded.input.json")
    code, requests, err = run(stored(tmp_path, {"method": "POST", "path": "/stores/v2/orders", "body": {"order": order}}))
    assert code == 0, err
    assert [r["ref"]["request"] for r in requests] == ["create-order[0]", "create-order[1]"]
    report = json.loads(err[: err.rindex("}") + 1])
    refunds = [e["path"] for e in report["entries"] if e["path"].startswith("$.body.order.refunds[") and e["kind"] == "dropped"]
    assert refunds == ["$.body.order.refunds[0]", "$.body.order.refunds[1]"]


def _table_without(route_id: str) -> str:
    text, _ = default_table_text()
    start = text.index(f"  - id: {route_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return text[:start] + (text[end + 1 :] if end != -1 else "")


def test_a_route_not_in_the_table_does_not_exist(tmp_path: Path) -> None:
    plan = compile_table(load_table(_table_without("get-order"), "custom.yaml"))
    source = stored(tmp_path, {"method": "GET", "path": f"/stores/v2/orders/{ORDER_ID}"})
    code, requests, err = run(source, "none", plan=plan)
    assert code == 1 and requests == []
    assert f"{source}::$[0].path: no route for GET /stores/v2/orders/{ORDER_ID}" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("op: get_order", "op: fetch_everything"), "unknown op 'fetch_everything'"),
        (("- GET /ecom/v1/orders/{id}\n", "- GET /ecom/v1/orders/{orderNumber}\n"), "names {orderNumber}"),
        (("stores: DELETE /stores", "stores: REMOVE /stores"), "must be 'METHOD /path'"),
    ],
)
def test_a_bad_route_is_a_table_error(change: tuple[str, str], message: str) -> None:
    text, _ = default_table_text()
    assert change[0] in text
    table = load_table(text.replace(change[0], change[1], 1), "custom.yaml")
    with pytest.raises(MappingError, match=re.escape(message)):
        compile_routes(table, frozenset(OPS))


def test_every_op_has_a_route_and_every_route_an_op() -> None:
    routes = compile_routes(default_plan().table, frozenset(OPS))
    assert sorted(r.op for r in routes) == sorted(OPS)


SEGMENT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)


@given(SEGMENT, SEGMENT)
def test_path_ids_are_carried_into_every_path_and_ref(order_id: str, fulfillment_id: str) -> None:
    records = [
        {"method": "GET", "path": f"/stores/v2/orders/{quote(order_id, safe='')}"},
        {
            "method": "DELETE",
            "path": f"/stores/v2/orders/{quote(order_id, safe='')}/fulfillments/{quote(fulfillment_id, safe='')}",
        },
    ]
    out, err = io.BytesIO(), io.StringIO()
    code, requests = _run_records(records, out, err)
    assert code == 0, err.getvalue()
    assert {r["ref"]["storesOrderId"] for r in requests} == {order_id}
    assert requests[0]["path"] == f"/ecom/v1/orders/{quote(order_id, safe='')}"
    assert requests[-1]["path"] == f"/ecom/v1/fulfillments/{quote(fulfillment_id, safe='')}/orders/{quote(order_id, safe='')}"


@given(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]), st.lists(SEGMENT, max_size=4))
def test_a_request_is_translated_by_a_route_or_rejected_never_dropped(method: str, segments: list[str]) -> None:
    path = "/stores/v2/orders/" + "/".join(quote(s, safe="") for s in segments)
    out, err = io.BytesIO(), io.StringIO()
    code, requests = _run_records([{"method": method, "path": path, "body": {}}], out, err)
    translated = [r for r in requests if r["ref"]["record"] == "$[0]"]
    if code == 0:
        assert translated and "1 stored request(s) translated" in err.getvalue()
    else:
        assert translated == [] and "::$[0]." in err.getvalue() and "1 rejected" in err.getvalue()


@settings(max_examples=40)
@given(stores_order())
def test_a_generated_create_order_is_a_valid_request_or_rejected_at_its_body_path(order: dict[str, Any]) -> None:
    out, err = io.BytesIO(), io.StringIO()
    code, requests = _run_records([{"method": "POST", "path": "/stores/v2/orders", "body": {"order": order}}], out, err)
    if code == 0:
        assert requests[0]["path"] == "/ecom/v1/orders"
        for request in requests:
            check_model(request)
    else:
        assert requests == [] and "::$[0].body.order" in err.getvalue()


def _run_records(records: list[Any], out: io.BytesIO, err: io.StringIO) -> tuple[int, list[dict[str, Any]]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stored.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        code = run_requests(str(path), None, "none", stdout=out, stderr=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "requests.ndjson"
    ok = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "requests", str(EVERY_ROUTE), "-o", str(out), "--report", "json"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 11
    assert ok.stdout == b""
    again = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "requests", str(EVERY_ROUTE)],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert again.stdout == out.read_bytes()  # same input, same bytes, on stdout without -o
    missing = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "requests", str(tmp_path / "none.json")],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2 and b"no such file" in missing.stderr and b"Traceback" not in missing.stderr
