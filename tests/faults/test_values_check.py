"""`check --fix` changes only the orders it converts (issue 13, items 5 and 8): every byte outside them
stays as it was, and a file with any failing finding is not rewritten at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, load_json
from orders_migrate.check import check_file

STORES = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
ECOM = FIXTURES / "ecom" / "coupon_partially_fulfilled.json"
OUTSIDE = '"totalResults": 2, "big": 1e400, "tens": 1.10, "frac": 0.1234567890123456789012345678901234, "esc": "\\u00e9\\/"'


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False
    )


def stores_text() -> str:
    return json.dumps(load_json(STORES), indent=2)


def test_fix_keeps_the_numbers_and_text_outside_the_orders(tmp_path: Path) -> None:
    body = stores_text().replace("\n", "\n    ")
    path = tmp_path / "response.json"
    path.write_text(f'{{\n  "orders": [\n    {body}\n  ],\n  {OUTSIDE}\n}}\n', encoding="utf-8")
    proc = run("check", "--fix", path.name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout  # changed a file: the commit stops for review
    assert "fixed: 1 Stores order" in proc.stdout
    text = path.read_text(encoding="utf-8")
    assert text.endswith(f"  ],\n  {OUTSIDE}\n}}\n")  # byte for byte: no Infinity, no 1.1, no lost digit
    assert json.loads(text)["orders"][0] == load_json(ECOM)
    assert text.startswith('{\n  "orders": [\n    {\n      "id": "7001d34b')  # the order sits where it sat
    assert run("check", path.name, cwd=tmp_path).returncode == 0


def test_fix_keeps_numbers_inside_a_converted_order_beside_it_in_ndjson(tmp_path: Path) -> None:
    order = load_json(STORES)
    order["customField"] = {"title": "t", "value": "@N@"}
    line = json.dumps(order).replace('"@N@"', "1e400")
    path = tmp_path / "orders.ndjson"
    path.write_text(f'{{"other": 1.10, "n": 1e400}}\n{line}\n', encoding="utf-8")
    proc = run("check", "--fix", path.name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    first, second = path.read_text(encoding="utf-8").splitlines()
    assert first == '{"other": 1.10, "n": 1e400}'
    assert '"customFields": [{"value": 1e400, "title": "t"}]' in second


@pytest.mark.parametrize(
    "layout",
    [
        "array",  # a Stores order beside an invalid eCommerce order
        "query",  # the same inside a Query Orders response
        "ndjson",  # on two lines of one NDJSON file
    ],
)
def test_a_failing_file_is_left_byte_for_byte_as_it_is(tmp_path: Path, layout: str) -> None:
    invalid: dict[str, Any] = load_json(ECOM)
    invalid["number"] = 10096  # eCommerce numbers are strings
    stores = load_json(STORES)
    if layout == "ndjson":
        path = tmp_path / "orders.ndjson"
        path.write_text(json.dumps(invalid) + "\n" + json.dumps(stores) + "\n")
        where, order_at = f"{path.name}:2", "$"
    else:
        path = tmp_path / "orders.json"
        doc: Any = [invalid, stores] if layout == "array" else {"orders": [invalid, stores]}
        path.write_text(json.dumps(doc, indent=2) + "\n")
        where, order_at = path.name, "$[1]" if layout == "array" else "$.orders[1]"
    before = path.read_bytes()
    proc = run("check", "--fix", path.name, cwd=tmp_path)
    assert proc.returncode == 1
    assert path.read_bytes() == before
    assert "expected a string, got 10096" in proc.stdout
    assert f"{where}::{order_at}: not fixed: this file fails the check elsewhere" in proc.stdout
    assert "0 fixed" in proc.stdout.splitlines()[-1]
    assert not list(tmp_path.glob(".*.tmp"))


# JSON values with all the spellings a parser forgets: number forms, escapes, odd keys.
NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?\Z").filter(lambda t: t != "-0")
STRING = st.text(max_size=8).map(lambda s: json.dumps(s, ensure_ascii=False)) | st.sampled_from(['"\\u00e9"', '"\\/"', '"a\\tb"'])
SCALAR = NUMBER | STRING | st.sampled_from(["true", "false", "null"])


def _members(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(STRING, children), max_size=3, unique_by=lambda kv: json.loads(kv[0]))
    objects = pairs.map(lambda ms: "{" + ", ".join(f"{k}: {v}" for k, v in ms) + "}")
    return objects | st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")


VALUE = st.recursive(SCALAR, _members, max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text(max_size=5), VALUE), max_size=4, unique_by=lambda kv: kv[0]))
def test_fix_changes_no_byte_outside_the_orders(tmp_path: Path, extra: list[tuple[str, str]]) -> None:
    fields = "".join(f", {json.dumps(k)}: {v}" for k, v in extra if k != "orders")
    path = tmp_path / "response.json"
    path.write_text(f'{{"orders": [{json.dumps(load_json(STORES))}]{fields}}}', encoding="utf-8")
    result = check_file(str(path), fix=True)
    assert result.fixed and not result.findings
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{"orders": [{') and text.endswith(f"}}]{fields}}}")
    assert json.loads(text)["orders"] == [load_json(ECOM)]
