"""Stored Stores webhooks become the eCommerce events fired at the same time; JWT bodies included."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import FIXTURES, load_json, minimal_order
from orders_migrate import ConversionError, MappingError, compile_table, convert_order, load_table
from orders_migrate.engine.table import default_table_text
from orders_migrate.explain_webhooks import explain_webhook
from orders_migrate.webhook_jwt import load_public_key
from orders_migrate.webhooks import convert_webhook

HOOKS = FIXTURES / "webhooks"
ORDER_ID = "fedb19f5-bd4c-4bfc-b2d1-212538319611"


def hook(name: str) -> dict[str, Any]:
    return load_json(HOOKS / f"{name}.json")


def kinds(result: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in result.report.entries:
        out.setdefault(e.kind, []).append(e.path)
    return out


# ---- each webhook type ------------------------------------------------------------------------------


def test_order_created_becomes_order_approved_with_the_summary() -> None:
    result = convert_webhook(hook("order_created"))
    event = result.order
    assert (event["entityFqdn"], event["slug"]) == ("wix.ecom.v1.order", "approved")
    order = event["actionEvent"]["body"]["order"]
    assert event["entityId"] == order["id"] == "afc47c2d-4fbf-450d-9f20-478e54b46b89"
    assert order["number"] == "10001"
    assert order["priceSummary"]["total"] == {"amount": "5", "formattedAmount": "$5.00"}
    assert order["buyerInfo"] == {"contactId": "d52512dc-131f-4062-abf3-a653552bbbd2", "email": "eric@example.com"}
    assert event["eventTime"] == "2019-08-28T08:30:42.074Z"
    assert event["triggeredByAnonymizeRequest"] is False
    (fetch,) = [e for e in result.report.entries if e.kind == "fetch" and e.path == "$"]
    assert fetch.fetch is not None and "Get Order" in fetch.fetch["endpoint"]


@pytest.mark.parametrize(
    "name,kind,slug,container",
    [
        ("order_paid", "order-paid", "payment_status_updated", ("actionEvent", "body", "order")),
        ("order_canceled", "order-canceled", "canceled", ("actionEvent", "body", "order")),
        ("order_canceled", "order-declined", "updated", ("updatedEvent", "currentEntity")),
        ("order_address_updated", "order-address-updated", "updated", ("updatedEvent", "currentEntity")),
    ],
)
def test_order_bodies_become_their_events(name: str, kind: str, slug: str, container: tuple[str, ...]) -> None:
    body = hook(name)
    event = convert_webhook(body, kind=kind).order
    assert (event["entityFqdn"], event["slug"]) == ("wix.ecom.v1.order", slug)
    order: Any = event
    for key in container:
        order = order[key]
    assert order["id"] == event["entityId"] == body["order"]["id"]
    assert order["number"] == str(body["order"]["number"])
    assert order["lineItems"][0]["id"] == "00000000-0000-0000-0000-000000000001"
    assert "priceSummary" in order and "createdDate" in order


def test_order_paid_reports_the_previous_status_it_cannot_know() -> None:
    result = convert_webhook(hook("order_paid"), kind="order-paid")
    assert result.order["actionEvent"]["body"]["order"]["paymentStatus"] == "PAID"
    assert "$.actionEvent.body.previousPaymentStatus" in kinds(result)["not_derivable"]
    assert result.order["eventTime"] == "2020-03-18T16:47:59.244Z"  # billingInfo.paidDate


def test_order_declined_says_what_differs() -> None:
    result = convert_webhook(hook("order_canceled"), kind="order-declined")
    messages = [e.message for e in result.report.entries if e.path == "$"]
    assert any("no Order Declined event" in m for m in messages)


def test_order_refunded_becomes_order_transactions_updated() -> None:
    result = convert_webhook(hook("order_refunded"))
    event = result.order
    assert (event["entityFqdn"], event["slug"], event["entityId"]) == ("wix.ecom.v1.order_transactions", "updated", ORDER_ID)
    body = event["actionEvent"]["body"]
    assert body["refundIds"] == ["2a7ca480-e02b-73f2-e015-800174c576e9"]
    assert body["orderTransactions"]["orderId"] == ORDER_ID
    refunds = body["orderTransactions"]["refunds"]
    assert (
        refunds and refunds[0]["transactions"][0]["amount"]["amount"] == hook("order_refunded")["order"]["refunds"][0]["amount"]
    )
    assert "$.order" in kinds(result)["fetch"]


@pytest.mark.parametrize("name", ["fulfillment_created", "fulfillment_updated", "fulfillment_deleted"])
def test_fulfillment_webhooks_become_fulfillments_updated(name: str) -> None:
    body = hook(name)
    result = convert_webhook(body)
    event = result.order
    assert (event["entityFqdn"], event["slug"], event["entityId"]) == ("wix.ecom.v1.fulfillments", "updated", body["orderId"])
    entity = event["updatedEvent"]["currentEntity"]
    assert entity["orderId"] == body["orderId"]
    if name == "fulfillment_deleted":
        assert "fulfillments" not in entity  # the remaining ones are not in the body: fetched, not invented
        assert "$.fulfillmentId" in kinds(result)["fetch"]
    else:
        (fulfillment,) = entity["fulfillments"]
        assert fulfillment["id"] == body["fulfillmentId"]
        assert fulfillment["trackingInfo"] == body["trackingInfo"]


def test_fulfillment_line_items_use_the_guid_rule() -> None:
    body = hook("fulfillment_created")
    body["lineItems"] = [{"index": 2, "quantity": 1}]
    (fulfillment,) = convert_webhook(body).order["updatedEvent"]["currentEntity"]["fulfillments"]
    assert fulfillment["lineItems"] == [{"id": "00000000-0000-0000-0000-000000000002", "quantity": 1}]
    assert fulfillment["createdDate"] == body["dateCreated"]


def test_the_refund_webhook_carries_the_orders_own_transactions() -> None:
    # The same order_transactions rows as the order's companion: the body's billingInfo gives its payment.
    body = hook("order_refunded")
    result = convert_webhook(body)
    transactions = result.order["actionEvent"]["body"]["orderTransactions"]
    assert transactions == convert_order(body["order"], companions=True).companions["orderTransactions"]
    (payment,) = transactions["payments"]
    assert payment["amount"] == {"amount": "15", "formattedAmount": "$15.00"}
    assert payment["regularPaymentDetails"] == {
        "paymentMethodName": {"buyerLanguageName": "PayPal"},
        "providerTransactionId": "tx_1806",
    }
    assert payment["status"] == "REFUNDED"
    assert kinds(result)["fetch"] == ["$.order"]  # the payments are carried, not fetched
    assert ("$.order.totals.total", "payment-amount") in [(e.path, e.row) for e in result.report.entries]


def test_a_refund_webhook_whose_order_states_no_payment_says_to_fetch_it() -> None:
    body = hook("order_refunded")
    order = body["order"]
    order["paymentStatus"] = "NOT_PAID"
    order["billingInfo"] = {"address": order["billingInfo"]["address"]}
    result = convert_webhook(body)
    assert "payments" not in result.order["actionEvent"]["body"]["orderTransactions"]
    assert kinds(result)["fetch"] == ["$.order", "$"]


def test_a_refund_webhooks_errors_and_unread_fields_name_the_body_paths() -> None:
    body = hook("order_refunded")
    body["order"]["refunds"][0]["carrier"] = "post"
    assert kinds(convert_webhook(body))["unmapped"] == ["$.order.refunds[0].carrier"]
    body["order"]["billingInfo"]["paymentMethod"] = 5
    with pytest.raises(ConversionError) as caught:
        convert_webhook(body)
    assert [p.path for p in caught.value.problems] == ["$.order.billingInfo.paymentMethod"]


def test_a_fulfillment_webhook_is_the_companion_of_an_order_of_that_fulfillment() -> None:
    body = hook("fulfillment_created")
    body["lineItems"] = [{"index": 7, "quantity": 2}]
    result = convert_webhook(body)
    order = minimal_order(id=body["orderId"])
    order["fulfillments"] = [{k: body[k] for k in ("fulfillmentId", "dateCreated", "trackingInfo", "lineItems")}]
    order["lineItems"][0]["index"] = 7
    companion = convert_order(order, companions=True).companions["orderWithFulfillments"]
    assert result.order["updatedEvent"]["currentEntity"] == companion
    # The body holds no line items of the order: nothing to check the fulfilled one against.
    assert "mismatch" not in kinds(result)


def test_a_fulfillment_webhooks_errors_and_unread_fields_name_the_body_paths() -> None:
    body = hook("fulfillment_updated")
    body["trackingInfo"]["carrierNote"] = "left at the door"
    assert kinds(convert_webhook(body))["unmapped"] == ["$.trackingInfo.carrierNote"]
    body["fulfillmentId"] = 5
    with pytest.raises(ConversionError) as caught:
        convert_webhook(body)
    assert [p.path for p in caught.value.problems] == ["$.fulfillmentId"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("companion: orderTransactions", "transactions: true", "'transactions' is no longer a webhook key"),
        ("companion: orderTransactions", "companion: orderPayments", "'companion' is one of .*not 'orderPayments'"),
    ],
)
def test_a_webhook_row_names_a_companion_the_table_has(old: str, new: str, message: str) -> None:
    text, _ = default_table_text()
    assert old in text
    with pytest.raises(MappingError, match=message):
        compile_table(load_table(text.replace(old, new, 1), "custom.yaml"))


def test_cancel_refund_event_becomes_order_canceled() -> None:
    result = convert_webhook(hook("order_cancel_refund_event"))
    event = result.order
    assert event["slug"] == "canceled" and event["entityId"] == "2550b68e-631c-4da1-a376-b4cad7ab39c6"
    assert event["actionEvent"]["body"]["order"]["priceSummary"]["total"] == {"amount": "10"}
    assert event["eventTime"] == "2019-08-28T08:41:07.796Z"
    assert "unmapped" not in kinds(result)


def test_a_refund_event_that_cancels_nothing_becomes_payment_status_updated() -> None:
    # The same Stores event type with isCancel false: a refund, the order not canceled (issue 14).
    body = hook("order_refund_event")
    assert body["isCancel"] is False
    result = convert_webhook(body)
    event = result.order
    assert (event["entityFqdn"], event["slug"]) == ("wix.ecom.v1.order", "payment_status_updated")
    order = event["actionEvent"]["body"]["order"]
    assert order["paymentStatus"] == "PARTIALLY_REFUNDED" and order["status"] != "CANCELED"
    assert event["eventTime"] == body["issueDate"]
    assert result.report.payload_kind == "stores_webhook:refund-event"
    assert "unmapped" not in kinds(result)
    # Named as the cancel webhook it is refused, naming what that one needs.
    with pytest.raises(ConversionError, match="needs isCancel = true"):
        convert_webhook(body, kind="cancel-refund-event")


def test_every_example_webhook_accounts_for_every_field() -> None:
    for path in sorted(HOOKS.glob("*.json")):
        kind = {
            "order_paid": "order-paid",
            "order_canceled": "order-canceled",
            "order_address_updated": "order-address-updated",
        }.get(path.stem)
        result = convert_webhook(load_json(path), kind=kind)
        assert "unmapped" not in kinds(result), (path, kinds(result).get("unmapped"))


def test_a_bare_order_body_needs_a_kind() -> None:
    with pytest.raises(ConversionError, match=r"say which with --kind \(kind= in Python\)"):
        convert_webhook(hook("order_paid"))


def test_event_ids_are_deterministic_and_differ_by_body() -> None:
    a = convert_webhook(hook("fulfillment_created")).order["id"]
    assert a == convert_webhook(hook("fulfillment_created")).order["id"]
    assert a != convert_webhook(hook("fulfillment_updated")).order["id"]


def test_an_ecommerce_event_passes_through() -> None:
    event = convert_webhook(hook("fulfillment_created")).order
    again = convert_webhook(event)
    assert again.order == event
    assert [e.kind for e in again.report.entries] == ["passed_through"]


# ---- JWT bodies -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> tuple[Any, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )
    return private, public_pem


def sign(body: dict[str, Any], private: Any, event_type: str = "OrderPaid", iat: int = 1584550079) -> str:
    wrapper = {
        "eventType": event_type,
        "instanceId": "i-1",
        "data": json.dumps(body),
        "identity": json.dumps({"identityType": "APP"}),
    }
    return jwt.encode({"data": json.dumps(wrapper), "iat": iat, "exp": iat + 3600}, private, algorithm="RS256")


def test_a_signed_jwt_round_trips_with_the_public_key(keys: tuple[Any, str]) -> None:
    private, public_pem = keys
    token = sign(hook("order_paid"), private)
    result = convert_webhook(token, public_key=public_pem)
    event = result.order
    assert event["slug"] == "payment_status_updated"  # chosen by the JWT's eventType
    assert event["entityId"] == ORDER_ID
    assert event["eventTime"] == "2020-03-18T16:47:59.000Z"  # the delivery time, iat
    assert result.report.verified is True
    assert "unverified" not in kinds(result)
    assert {"$.jwt.data.instanceId", "$.jwt.data.identity"} <= set(kinds(result)["dropped"])


def test_without_a_key_the_body_is_decoded_but_marked_unverified(keys: tuple[Any, str]) -> None:
    token = sign(hook("order_canceled"), keys[0], event_type="OrderCanceled")
    result = convert_webhook(token)
    assert result.order["slug"] == "canceled"
    assert result.report.verified is False
    assert kinds(result)["unverified"] == ["$"]


def sign_claims(claims: str, private: Any) -> str:
    """A JWT of these claims as JSON text, byte for byte (jwt.encode would write them through json.dumps)."""
    return jwt.api_jws.encode(claims.encode(), private, algorithm="RS256")


def test_a_jwt_iat_with_a_fraction_is_the_event_time_to_the_millisecond(keys: tuple[Any, str]) -> None:
    # RFC 7519's NumericDate may be non-integer: the delivery time is not thrown away for the body's own date.
    private, public_pem = keys
    token = sign(hook("order_paid"), private, iat=1584550079.5)  # type: ignore[arg-type]
    for key in (public_pem, None):
        result = convert_webhook(token, public_key=key)
        assert result.order["eventTime"] == "2020-03-18T16:47:59.500Z"
        assert "$.jwt.iat" not in [e.path for e in result.report.entries]


@pytest.mark.parametrize(
    ("iat", "said"),
    [('"1584550079"', "'1584550079'"), ("true", "true"), ("[1]", "an array"), ("99999999999999999999", "99999999999999999999")],
)
def test_a_jwt_iat_that_is_no_time_is_reported_not_silently_replaced(keys: tuple[Any, str], iat: str, said: str) -> None:
    wrapper = {"eventType": "OrderPaid", "data": json.dumps(hook("order_paid"))}
    token = sign_claims(f'{{"data": {json.dumps(json.dumps(wrapper))}, "iat": {iat}}}', keys[0])
    result = convert_webhook(token)  # unverified: PyJWT checks the iat only with a key
    assert result.order["eventTime"] == "2020-03-18T16:47:59.244Z"  # the body's own date, as before
    (entry,) = [e for e in result.report.entries if e.path == "$.jwt.iat"]
    assert entry.kind == "dropped" and entry.message.startswith(f"the JWT's iat {said} is not a time")
    ledger = explain_webhook(token)
    assert [i.fate for i in ledger.inputs if i.path == "$.jwt.iat"] == ["report"]


def test_every_claim_and_wrapper_key_of_a_jwt_is_carried_or_reported(keys: tuple[Any, str]) -> None:
    wrapper = {"eventType": "OrderPaid", "instanceId": 5, "data": json.dumps(hook("order_paid")), "origin": "x"}
    claims = {"data": json.dumps(wrapper), "iat": 1584550079, "exp": 1584553679, "a.b": [1]}
    token = jwt.encode(claims, keys[0], algorithm="RS256")
    result = convert_webhook(token, public_key=keys[1])
    said = {e.path: e.message for e in result.report.entries if e.kind == "dropped" and e.path.startswith("$.jwt")}
    assert said == {
        "$.jwt.exp": "1584553679 belongs to the JWT's delivery, not to the event",
        '$.jwt["a.b"]': "an array belongs to the JWT's delivery, not to the event",
        "$.jwt.data.instanceId": "5 belongs to the JWT's delivery, not to the event",
        "$.jwt.data.origin": "'x' belongs to the JWT's delivery, not to the event",
    }
    ledger = explain_webhook(token, public_key=keys[1])
    assert {i.path for i in ledger.inputs if i.path.startswith("$.jwt") and i.fate == "report"} == set(said)


def test_a_jwt_claim_repeated_is_refused_not_read_as_its_last(keys: tuple[Any, str]) -> None:
    wrapper = json.dumps(json.dumps({"eventType": "OrderPaid", "data": json.dumps(hook("order_paid"))}))
    token = sign_claims(f'{{"data": {wrapper}, "iat": 1584550079, "iat": 2}}', keys[0])
    for key in (keys[1], None):
        with pytest.raises(ConversionError, match=r"^\$\.jwt: not valid JSON: duplicate key 'iat'"):
            convert_webhook(token, public_key=key)


@pytest.mark.parametrize(
    ("name", "slug"), [("order_cancel_refund_event", "canceled"), ("order_refund_event", "payment_status_updated")]
)
def test_one_jwt_event_type_is_two_webhooks_told_apart_by_the_body(keys: tuple[Any, str], name: str, slug: str) -> None:
    private, public_pem = keys
    token = sign(hook(name), private, event_type="OrderCancelRefundEvent")
    assert convert_webhook(token, public_key=public_pem).order["slug"] == slug


def test_a_public_key_file_that_is_not_there_is_named() -> None:
    from orders_migrate.webhook_jwt import load_public_key

    with pytest.raises(ValueError, match="nokey.pem: no such file"):
        load_public_key("nokey.pem")


def test_a_tampered_token_is_rejected(keys: tuple[Any, str]) -> None:
    private, public_pem = keys
    header, payload, signature = sign(hook("order_paid"), private).split(".")
    other = sign(hook("order_canceled"), private).split(".")[1]
    with pytest.raises(ConversionError, match="signature does not match"):
        convert_webhook(f"{header}.{other}.{signature}", public_key=public_pem)


def test_an_alg_none_token_is_rejected(keys: tuple[Any, str]) -> None:
    token = jwt.encode(
        {"data": json.dumps({"eventType": "OrderPaid", "data": "{}"}), "iat": int(time.time())}, None, algorithm="none"
    )
    for key in (keys[1], None):
        with pytest.raises(ConversionError, match="algorithm 'none' refused"):
            convert_webhook(token, public_key=key)


def test_a_token_signed_by_another_key_is_rejected(keys: tuple[Any, str]) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ConversionError, match="signature does not match"):
        convert_webhook(sign(hook("order_paid"), stranger), public_key=keys[1])


def test_public_key_as_file_pem_or_base64(tmp_path: Path, keys: tuple[Any, str]) -> None:
    import base64

    pem = keys[1]
    path = tmp_path / "key.pem"
    path.write_text(pem)
    assert load_public_key(str(path)) == pem.strip()
    assert load_public_key(pem) == pem.strip()
    assert load_public_key(base64.b64encode(pem.encode()).decode()) == pem.strip()
    with pytest.raises(ValueError):
        load_public_key("not a key")


# ---- the CLI --------------------------------------------------------------------------------------


def cli(*args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "orders_migrate", *args], capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize(
    "name",
    [
        "order_created",
        "order_refunded",
        "fulfillment_created",
        "fulfillment_updated",
        "fulfillment_deleted",
        "order_cancel_refund_event",
        "order_refund_event",
    ],
)
def test_cli_detects_webhook_bodies(name: str) -> None:
    proc = cli("convert", str(HOOKS / f"{name}.json"), "--report", "json")
    assert proc.returncode == 0, proc.stderr
    event = json.loads(proc.stdout)
    assert event["entityFqdn"].startswith("wix.ecom.v1.")
    assert json.loads(proc.stderr)["payloadKind"].startswith("stores_webhook:")


def test_cli_kind_names_an_ambiguous_body() -> None:
    proc = cli("convert", str(HOOKS / "order_canceled.json"), "--kind", "order-canceled", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["slug"] == "canceled"
    plain = cli("convert", str(HOOKS / "order_canceled.json"), "--report", "none")
    assert "priceSummary" in json.loads(plain.stdout)  # without --kind, a bare {order} is the order itself


def test_cli_jwt_round_trip_and_rejections(tmp_path: Path, keys: tuple[Any, str]) -> None:
    private, public_pem = keys
    key_file = tmp_path / "wix.pem"
    key_file.write_text(public_pem)
    token = sign(hook("order_paid"), private)
    good = tmp_path / "delivery.jwt"
    good.write_text(token + "\n")
    proc = cli("convert", str(good), "--public-key", str(key_file), "--report", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["slug"] == "payment_status_updated"
    assert json.loads(proc.stderr)["verified"] is True

    header, _, signature = token.split(".")
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(f"{header}.{sign(hook('order_canceled'), private).split('.')[1]}.{signature}")
    proc = cli("convert", str(tampered), "--public-key", str(key_file))
    assert proc.returncode == 1
    assert f"{tampered}::$: JWT signature does not match" in proc.stderr.decode()

    unsigned = tmp_path / "none.jwt"
    unsigned.write_text(jwt.encode({"data": "{}"}, None, algorithm="none"))
    proc = cli("convert", str(unsigned), "--public-key", str(key_file))
    assert proc.returncode == 1
    assert "algorithm 'none' refused" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()


def test_cli_bad_public_key_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("convert", str(HOOKS / "order_created.json"), "--public-key", "not-a-key")
    assert proc.returncode == 2


def test_a_jwt_event_type_the_table_does_not_know_is_named_before_the_hint(keys: tuple[Any, str]) -> None:
    private, public_pem = keys
    with pytest.raises(ConversionError) as bare:
        convert_webhook(sign(hook("order_paid"), private, event_type="OrderArchived"), public_key=public_pem)
    message = bare.value.problems[0].message
    assert message.startswith("the JWT's eventType 'OrderArchived' is not one this table knows; an {order} body may be")
    assert message.endswith("say which with --kind (kind= in Python)")
    with pytest.raises(ConversionError, match=r"^\$: the JWT's eventType 'OrderArchived' is not one this table knows; not a"):
        convert_webhook(sign({"note": "x"}, private, event_type="OrderArchived"), public_key=public_pem)
    # A type it knows chooses the webhook, and a body alone has no type to name.
    assert convert_webhook(sign(hook("order_paid"), private), public_key=public_pem).order["slug"] == "payment_status_updated"
    with pytest.raises(ConversionError) as plain:
        convert_webhook(hook("order_paid"))
    assert plain.value.problems[0].message.startswith("an {order} body may be")


def test_the_refund_webhooks_order_has_its_money_checked_as_a_converted_order_has() -> None:
    body = hook("order_refunded")
    mismatches = {(e.path, e.row) for e in convert_webhook(body).report.entries if e.kind == "mismatch"}
    refunded = body["order"]["refunds"][0]["amount"]
    # The same order converted as an order finds the same broken identities, at the same Stores paths.
    as_order = {(f"$.order{e.path[1:]}", e.row) for e in convert_order(body["order"]).report.entries if e.kind == "mismatch"}
    checked = {"totals-subtotal-check", "totals-total-check", "totals-refund-check", "refunds-within-the-payment"}
    assert mismatches == {m for m in as_order if m[1] in checked}
    assert ("$.order.totals.refund", "totals-refund-check") in mismatches, refunded
    body["order"]["refunds"][0]["amount"] = body["order"]["totals"]["refund"] = "15"
    assert [e for e in convert_webhook(body).report.entries if e.kind == "mismatch"] == []


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ("[no-such-row]", "'checks' names 'no-such-row', which is no row of 'order'"),
        ("[order-number]", "'checks' names 'order-number', which writes"),
    ],
)
def test_a_webhooks_checks_are_rows_that_only_check(checks: str, message: str) -> None:
    text, _ = default_table_text()
    old = "    checks: [totals-subtotal-check, totals-total-check, totals-refund-check, refunds-within-the-payment]\n"
    assert old in text
    with pytest.raises(MappingError, match=message):
        compile_table(load_table(text.replace(old, f"    checks: {checks}\n")))
