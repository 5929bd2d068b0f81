"""The front door takes the JSON bytes or text as read, and reads them with the strict reader: a caller's
own ``json.loads`` would already have turned a Velo price 30.10 into the float 30.1."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from conftest import FIXTURES, load_json
from orders_migrate import ConversionError, convert_many, convert_order, convert_query_response, convert_webhook, loads


def _velo_order_priced_30_10() -> str:
    text = (FIXTURES / "stores" / "velo_order_paid.json").read_text(encoding="utf-8")
    return re.sub(r"(?<=: )5(?=,?\n)", "30.10", text).replace('"price": "5"', '"price": "30.10"')


def test_a_velo_price_keeps_its_digits_through_loads_and_not_through_json_loads() -> None:
    text = _velo_order_priced_30_10()
    assert loads(text)["totals"]["total"] == Decimal("30.10") and str(loads(text)["totals"]["total"]) == "30.10"
    assert convert_order(text).order["priceSummary"]["total"]["amount"] == "30.10"
    assert convert_order(text.encode()).order["priceSummary"]["total"]["amount"] == "30.10"
    assert convert_order(loads(text)).order["priceSummary"]["total"]["amount"] == "30.10"
    # Why the reader is public: the caller's own json.loads already lost the trailing zero.
    assert convert_order(json.loads(text)).order["priceSummary"]["total"]["amount"] == "30.1"


@pytest.mark.parametrize("path", sorted((FIXTURES / "stores").glob("*.json")), ids=lambda p: p.stem)
def test_convert_order_reads_bytes_and_text_as_loads_does(path: Path) -> None:
    raw = path.read_bytes()
    expected = convert_order(loads(raw))
    for given_as in (raw, raw.decode("utf-8")):
        got = convert_order(given_as, source="x")
        assert orjson.dumps(got.order) == orjson.dumps(expected.order)
        assert got.report.entries == expected.report.entries


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "$: empty input: expected a JSON order"),
        ("  \n", "$: empty input: expected a JSON order"),
        (b"\xef\xbb\xbf{}", "$: not valid JSON: the file starts with a UTF-8 byte order mark"),
        ('{"id": "a", "id": "b"}', "$: not valid JSON: duplicate key 'id': one of its values would be silently lost"),
        (b'{"id": "\xff"}', "$: not valid JSON: invalid UTF-8 at byte 8"),
        ("[1, 2", "$: not valid JSON: Expecting ',' delimiter: line 1 column 6 (char 5)"),
        ("order", "$: not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ('"order"', "$: expected an order object, got 'order'"),
    ],
)
def test_convert_order_refuses_a_bad_text_at_the_root(data: bytes | str, message: str) -> None:
    with pytest.raises(ConversionError) as caught:
        convert_order(data)
    assert [str(p) for p in caught.value.problems] == [message]


@pytest.mark.parametrize("path", sorted((FIXTURES / "webhooks").glob("*.json")), ids=lambda p: p.stem)
def test_convert_webhook_reads_bytes_and_text_as_loads_does(path: Path) -> None:
    raw = path.read_bytes()
    kind = path.stem.replace("_", "-") if set(loads(raw)) == {"order"} else None  # a bare {order} body needs it
    expected = convert_webhook(loads(raw), kind=kind)
    for given_as in (raw, raw.decode("utf-8")):
        got = convert_webhook(given_as, kind=kind)
        assert orjson.dumps(got.order) == orjson.dumps(expected.order)
        assert got.report.entries == expected.report.entries


def test_convert_webhook_takes_a_jwt_as_bytes_too() -> None:
    # An unsigned token (alg none) is refused with or without a key: its bytes must reach the JWT path.
    token = b"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJkYXRhIjoie30ifQ."
    with pytest.raises(ConversionError) as as_bytes:
        convert_webhook(token + b"\n")
    with pytest.raises(ConversionError) as as_text:
        convert_webhook(token.decode())
    assert [str(p) for p in as_bytes.value.problems] == [str(p) for p in as_text.value.problems]
    assert "not valid JSON" not in str(as_bytes.value)


def test_convert_webhook_refuses_a_bad_text_at_the_root() -> None:
    with pytest.raises(ConversionError) as caught:
        convert_webhook(b'{"order": {}, "order": {}}')
    assert [str(p) for p in caught.value.problems] == [
        "$: not valid JSON: duplicate key 'order': one of its values would be silently lost"
    ]


def test_convert_many_takes_ndjson_lines() -> None:
    lines = (FIXTURES / "ecom" / "query_orders_response.ndjson").read_bytes().splitlines()
    stores = [orjson.dumps(order) for order in load_json(FIXTURES / "query_orders_response.json")["orders"]]
    out = list(convert_many([*stores, b"{", lines[0]]))
    assert [type(x).__name__ for x in out] == ["Conversion"] * len(stores) + ["ConversionError", "Conversion"]
    assert str(out[len(stores)]).startswith("$: not valid JSON: Expecting property name")


def test_convert_query_response_takes_the_text_and_its_orders_stay_parsed() -> None:
    raw = (FIXTURES / "query_orders_response.json").read_bytes()
    assert [c.order for c in convert_query_response(raw)] == [c.order for c in convert_query_response(loads(raw))]
    # A Query Orders response whose order is a JSON string is refused, not parsed a second time.
    with pytest.raises(ConversionError, match=r"^\$\.orders\[0\]: expected an order object, got '\{\}'"):
        convert_query_response({"orders": ["{}"]})
