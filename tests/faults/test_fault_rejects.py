"""The rejects file holds every failed record as it was read, whatever JSON value it holds: never
``"record": null`` for a record that was read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from faultkit import convert

from conftest import minimal_order

# Values the reader accepts and orjson cannot write: each made the rejects file say "record": null (or
# stopped the batch with a traceback).
ODD_VALUES: dict[str, str] = {
    "an integer beyond 64 bits": "123456789012345678901234567890",
    "a negative integer beyond 64 bits": "-98765432109876543210",
    "a lone surrogate escape": '"caf\\ud800e"',
    "a lone surrogate in a key": '{"\\udfff": 1}',
    "a fraction of 34 digits": "0.1234567890123456789012345678901234",
    "an exponent beyond a double": "1e400",
    "nesting deeper than orjson allows": "[" * 300 + "]" * 300,
}


def _document(value: str, wrapper: str) -> tuple[bytes, str]:
    bad = json.dumps({**minimal_order(), "lineItems": "none"})[:-1] + f', "customField": {value}' + "}"
    good = json.dumps(minimal_order(number="1"))
    if wrapper == "query response":
        return f'{{"orders": [{good}, {bad}]}}'.encode(), bad
    if wrapper == "array":
        return f"[{good}, {bad}]".encode(), bad
    return f"{good}\n{bad}\n".encode(), bad


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)  # Decimals digit for digit


@pytest.mark.parametrize("wrapper", ["query response", "array", "ndjson"])
@pytest.mark.parametrize("case", sorted(ODD_VALUES))
def test_a_rejected_record_is_kept_as_it_was_read(tmp_path: Path, case: str, wrapper: str) -> None:
    data, bad = _document(ODD_VALUES[case], wrapper)
    src = tmp_path / ("in.ndjson" if wrapper == "ndjson" else "in.json")
    src.write_bytes(data)
    rejects = tmp_path / "rejects.ndjson"
    code, _, err = convert(src, output=str(tmp_path / "out.ndjson"), rejects=str(rejects))
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    (line,) = rejects.read_bytes().splitlines()
    doc = json.loads(line, parse_float=Decimal)
    assert doc["record"] is not None
    assert _same(doc["record"], json.loads(bad, parse_float=Decimal))
    assert doc["path"] == ("$" if wrapper == "ndjson" else ("$.orders[1]" if wrapper == "query response" else "$[1]"))
    assert doc["errors"] == [{"path": f"{doc['path']}.lineItems", "message": "expected an array, got 'none'"}]
