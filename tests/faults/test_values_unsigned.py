"""Under `--public-key` only a signed body is trusted (issue 13, item 10): plain JSON (a webhook body,
an eCommerce event, an order) cannot be verified, so it is refused at its path, never passed as trusted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import FIXTURES, ROOT, load_json
from orders_migrate.report import ConversionError
from orders_migrate.webhooks import convert_webhook

PAID = FIXTURES / "webhooks" / "order_paid.json"
UNSIGNED = "not signed: a public key was given, but this body is plain JSON, not the JWT Wix signed, so it cannot be verified"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path_factory.mktemp("keys") / "wix.pem"
    path.write_bytes(pem)
    return private, path


def sign(body: dict[str, Any], private: Any) -> str:
    wrapper = {"eventType": "OrderPaid", "instanceId": "i-1", "data": json.dumps(body)}
    return jwt.encode({"data": json.dumps(wrapper), "iat": 1584550079}, private, algorithm="RS256")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


EVENT = {"entityFqdn": "wix.ecom.v1.order", "slug": "approved", "entityId": "e1", "actionEvent": {"body": {}}}


@pytest.mark.parametrize(
    ("body", "at"),
    [
        (load_json(PAID), "$.order"),  # a bare {"order": ...} body reads as a Get Order response: its order
        (load_json(FIXTURES / "webhooks" / "fulfillment_created.json"), "$"),
        (EVENT, "$"),
        (load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json"), "$"),
    ],
    ids=["order-paid", "fulfillment-created", "ecom-event", "order"],
)
def test_a_plain_json_body_is_refused_under_a_public_key(tmp_path: Path, keys: tuple[Any, Path], body: Any, at: str) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    proc = run("convert", str(path), "--public-key", str(keys[1]), "--report", "text")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert f"{path}::{at}: {UNSIGNED}" in proc.stderr


def test_each_unsigned_record_of_a_batch_is_refused_at_its_own_line(tmp_path: Path, keys: tuple[Any, Path]) -> None:
    token = sign(load_json(PAID), keys[0])
    path = tmp_path / "bodies.ndjson"
    path.write_text(json.dumps(token) + "\n" + json.dumps(load_json(PAID)) + "\n")
    out = tmp_path / "events.ndjson"
    proc = run("convert", str(path), "-o", str(out), "--public-key", str(keys[1]), "--report", "none")
    assert proc.returncode == 1
    assert f"{path}:2::$.order: {UNSIGNED}" in proc.stderr
    (event,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert event["slug"] == "payment_status_updated"  # the signed line is converted, verified


def test_the_library_refuses_an_unsigned_body_given_a_key(keys: tuple[Any, Path]) -> None:
    pem = keys[1].read_text()
    with pytest.raises(ConversionError) as caught:
        convert_webhook(load_json(PAID), public_key=pem)
    assert [(p.path, p.message) for p in caught.value.problems] == [("$", UNSIGNED)]
    assert convert_webhook(sign(load_json(PAID), keys[0]), public_key=pem).report.verified is True


def test_without_a_key_a_plain_body_still_converts() -> None:
    assert convert_webhook(load_json(PAID), kind="order-paid").order["slug"] == "payment_status_updated"
