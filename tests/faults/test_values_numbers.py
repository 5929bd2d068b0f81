"""Every JSON number that is copied through keeps its exact text (issue 13, items 5 and 6): a
customField value, a line-item weight, an eCommerce event passed through, a rejected record, and every
number `check --fix` leaves outside the orders it converts."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from orders_migrate import convert_order
from orders_migrate.jsonio import Number, dumps, json_dumps_exact, loads
from orders_migrate.paths import render_steps
from orders_migrate.report import ConversionError

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
MARK = '"@NUMBER@"'
# Numbers no float (nor Decimal's own spelling) writes back as they were: too large, trailing zeros,
# more digits than a double holds, an upper-case exponent, a negative zero.
HOSTILE = ["1e400", "1.10", "0.1234567890123456789012345678901234", "1E2", "-0.0", "2.50e-3", "123456789012345678901234567890"]

# Any JSON number, as text: what a shop's own export can hold. The integer -0 is read as the integer 0
# (an integer field takes it as 0); -0.0 and -0e0 are fractions and keep their sign.
NUMBER_TEXT = st.from_regex(r"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?\Z").filter(lambda t: t != "-0")


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=cwd, timeout=60, check=False)


def number_tokens(data: bytes | str) -> Any:
    """JSON parsed with every number kept as ("n", its text): what a byte-exact comparison needs."""
    return json.loads(data, parse_float=lambda s: ("n", s), parse_int=lambda s: ("n", s))


def with_number(order: dict[str, Any], place: tuple[str | int, ...], text: str) -> bytes:
    """The order as JSON text with the number ``text`` written at ``place``, as an export would hold it."""
    holder: Any = order
    for step in place[:-1]:
        holder = holder[step]
    holder[place[-1]] = "@NUMBER@"
    return json.dumps(order).replace(MARK, text).encode()


def at(doc: Any, place: tuple[str | int, ...]) -> Any:
    for step in place:
        doc = doc[step]
    return doc


# Each copied, non-money numeric leaf of a Stores order and where eCommerce carries it.
COPIED = [
    (("customField", "value"), ("customFields", 0, "value")),
    (("lineItems", 0, "weight"), ("lineItems", 0, "physicalProperties", "weight")),
    (("lineItems", 2, "weight"), ("lineItems", 2, "physicalProperties", "weight")),
]


def _order() -> dict[str, Any]:
    order: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    order["customField"] = {"title": "Gift note", "value": "x"}
    return order


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(COPIED), NUMBER_TEXT)
def test_a_copied_number_keeps_its_exact_text(leaf: tuple[tuple[str | int, ...], tuple[str | int, ...]], text: str) -> None:
    source, target = leaf
    try:
        conversion = convert_order(loads(with_number(_order(), source, text)))
    except ConversionError as exc:  # refused is allowed, but only at the number's own path
        assert {p.path for p in exc.problems} == {render_steps(source)}
        return
    assert at(number_tokens(dumps(conversion.order)), target) == ("n", text)


@pytest.mark.parametrize("text", ["1e400", "0.1234567890123456789012345678901234"])
def test_convert_carries_a_custom_field_number_digit_for_digit(tmp_path: Path, text: str) -> None:
    path = tmp_path / "order.json"
    path.write_bytes(with_number(_order(), ("customField", "value"), text))
    out = tmp_path / "out.json"
    proc = run("convert", str(path), "-o", str(out), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert number_tokens(out.read_bytes())["customFields"][0]["value"] == ("n", text)


def test_a_batch_carries_every_custom_field_number_digit_for_digit(tmp_path: Path) -> None:
    # Several orders (NDJSON out) take the compact writer, not the indented one.
    many = tmp_path / "many.ndjson"
    many.write_bytes(b"".join(with_number(_order(), ("customField", "value"), text) + b"\n" for text in HOSTILE))
    proc = run("convert", str(many), "-o", str(tmp_path / "out.ndjson"), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "out.ndjson").read_bytes().splitlines()
    assert [number_tokens(line)["customFields"][0]["value"] for line in lines] == [("n", t) for t in HOSTILE]


def test_an_ecommerce_event_passes_through_with_its_numbers(tmp_path: Path) -> None:
    event = {"entityFqdn": "wix.ecom.v1.order", "slug": "custom", "entityId": "e1", "data": {"score": "@NUMBER@"}}
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(event).replace(MARK, text) + "\n" for text in HOSTILE))
    proc = run("convert", str(path), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert [number_tokens(line)["data"]["score"] for line in proc.stdout.splitlines()] == [("n", t) for t in HOSTILE]


def test_a_rejected_record_is_written_back_with_its_numbers(tmp_path: Path) -> None:
    order = _order()
    order["lineItems"][0]["quantity"] = "two"  # refused: the record goes to the rejects file
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"".join(with_number(json.loads(json.dumps(order)), ("customField", "value"), t) + b"\n" for t in HOSTILE))
    rejects = tmp_path / "rejects.ndjson"
    proc = run("convert", str(path), "-o", str(tmp_path / "out.ndjson"), "--rejects", str(rejects), "--report", "none")
    assert proc.returncode == 1
    found = [number_tokens(line)["record"]["customField"]["value"] for line in rejects.read_bytes().splitlines()]
    assert found == [("n", t) for t in HOSTILE]


@given(NUMBER_TEXT)
def test_the_reader_and_writer_round_trip_any_number_text(text: str) -> None:
    doc = loads(f'{{"a": [{text}]}}'.encode())
    assert dumps(doc) == f'{{"a":[{text}]}}'.encode()


def test_a_string_holding_the_placeholder_of_the_layout_writer_is_written_as_itself() -> None:
    # check --fix writes with the stdlib's json (any indent, separators): exact numbers go through a placeholder.
    doc = {"s": "\x00#0", "n": Number("1e400"), "t": "\x00\x00#1", "m": Decimal("1.10"), "big": 2**70}
    text = json_dumps_exact(doc, indent="\t")
    assert json.loads(text, parse_float=str) == {"s": "\x00#0", "n": "1e400", "t": "\x00\x00#1", "m": "1.10", "big": 2**70}


def test_integers_beyond_64_bits_are_written_as_they_were_read() -> None:
    assert dumps(loads(b'{"a": [18446744073709551616, -9223372036854775809, 1.10]}')) == (
        b'{"a":[18446744073709551616,-9223372036854775809,1.10]}'
    )


def test_a_query_sends_its_numbers_as_they_were_written(tmp_path: Path) -> None:
    # An eCommerce search body passes through; its numbers must not become 1.1 or lose digits.
    body = '{"search": {"filter": {"a": {"$gt": 1.10}, "b": 0.1234567890123456789012345678901234, "c": 1E2}}}'
    path = tmp_path / "search.json"
    path.write_text(body)
    proc = run("query", str(path), "--report", "none")
    assert proc.returncode == 0, proc.stderr
    sent = number_tokens(proc.stdout)["search"]["filter"]
    assert sent == {"a": {"$gt": ("n", "1.10")}, "b": ("n", "0.1234567890123456789012345678901234"), "c": ("n", "1E2")}
    path.write_text('{"search": {"filter": {"a": 1e400}}}')
    proc = run("query", str(path), "--report", "none")
    assert proc.returncode == 1  # refused at its path: no Search API takes it
    assert f"{path}::$.search.filter.a: 1e400 is too large for a JSON number" in proc.stderr.decode()


def test_the_exported_orjson_hook_writes_numbers_as_they_were_read() -> None:
    from orders_migrate.batch.chunks import write_decimal

    doc = loads(b'{"a": 1e400, "b": 1.10, "c": 0.1234567890123456789012345678901234}')
    assert orjson.dumps(doc, default=write_decimal) == b'{"a":1e400,"b":1.10,"c":0.1234567890123456789012345678901234}'
