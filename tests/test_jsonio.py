"""The strict reader: ``loads`` (msgspec, proven) gives exactly what ``strict_loads`` (the standard library
with hooks) gives, value for value and type for type, or exactly the same error."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from orders_migrate import jsonio, loads
from orders_migrate.jsonio import json_dumps_exact, strict_loads

ALL_FIXTURES = sorted(p for p in FIXTURES.rglob("*.json") if p.is_file())


def typed(value: Any) -> Any:
    """The value with its types spelled out, for ``==``: Decimal("1.10") == Decimal("1.1") and True == 1 in
    Python. Flat (one token a node, depth first) so that values nested thousands deep compare too."""
    tokens: list[tuple[str, Any]] = []
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            tokens.append(("dict", tuple(node)))
            todo.extend(reversed(node.values()))
        elif isinstance(node, list):
            tokens.append(("list", len(node)))
            todo.extend(reversed(node))
        else:
            tokens.append((type(node).__name__, repr(node)))
    return tokens[0] if len(tokens) == 1 else tuple(tokens)


def outcome(read: Any, data: bytes | str) -> tuple[str, Any]:
    try:
        return "value", typed(read(data))
    except orjson.JSONDecodeError as exc:
        return type(exc).__name__, str(exc)


def same(data: bytes | str) -> tuple[str, Any]:
    fast, strict = outcome(loads, data), outcome(strict_loads, data)
    assert fast == strict, data
    return fast


def fast_path(data: bytes | str) -> Any:
    return jsonio._proven(data)


NUMBERS_AS_WRITTEN = msgspec.json.Encoder(decimal_format="number").encode


def ascii_only(text: str) -> str:
    """The text as Python's json.dumps writes it by default: every other character a \\u escape."""
    return re.sub(r"[^\x00-\x7f]", lambda m: json.dumps(m.group())[1:-1], text)


# ---- the hostile table -----------------------------------------------------------------------------------

HOSTILE: list[tuple[bytes | str, tuple[str, Any] | str]] = [
    # exact numbers: the Decimal keeps its text, an integer stays an int however big
    (b"1.10", ("value", ("Decimal", "Decimal('1.10')"))),
    (b"30.10", ("value", ("Decimal", "Decimal('30.10')"))),
    (b"1e400", ("value", ("Number", "Decimal('1E+400')"))),  # a Number: Decimal would spell it 1E+400
    (b"-1E-400", ("value", ("Decimal", "Decimal('-1E-400')"))),
    (b"1.0e+2", ("value", ("Number", "Decimal('1.0E+2')"))),
    (b"-0", ("value", ("int", "0"))),
    (b"-0.0", ("value", ("Decimal", "Decimal('-0.0')"))),
    (b"0e0", ("value", ("Number", "Decimal('0')"))),
    (b"123456789012345678901234567890", ("value", ("int", "123456789012345678901234567890"))),
    (b"-18446744073709551617", ("value", ("int", "-18446744073709551617"))),
    (b"9" * 4300, ("value", ("int", "9" * 4300))),
    (b"9" * 4301, "Exceeds the limit (4300 digits) for integer string conversion"),
    (b"1." + b"0" * 5000 + b"1", "value"),
    (b"[1e99999999999999999999]", "the number 1e99999999999999999999 is too large to read exactly"),
    (b'{"a": -12e-9999999999999999999}', "the number -12e-9999999999999999999 is too large to read exactly"),
    (b"true", ("value", ("bool", "True"))),
    # not numbers in JSON
    (b"NaN", "NaN is not a JSON number"),
    (b"[1, -Infinity]", "-Infinity is not a JSON number"),
    (b'{"a": Infinity}', "Infinity is not a JSON number"),
    (b"01", "Extra data"),
    (b".5", "Expecting value"),
    (b"1.", "Extra data"),
    # repeated keys, however they hide
    (b'{"a": 1, "a": 2}', "duplicate key 'a': one of its values would be silently lost"),
    (b'{"a": 1, "\\u0061": 2}', "duplicate key 'a'"),
    (b'{"x": [{"k": "1:2", "k": "3:4"}]}', "duplicate key 'k'"),
    (b'{"a": 1, "a": "\\u003a"}', "duplicate key 'a'"),  # the escaped colon stands in for the dropped key's
    (b'{"a": 1, "a": "\\u003A\\u003a"}', "duplicate key 'a'"),
    (b'{"a\\"": 1, "a\\"": 2}', "duplicate key 'a\"'"),
    (b'{"a\\\\": 1, "a\\\\": 2}', "duplicate key 'a\\\\'"),
    (b'{"a" : 1 , "a" : 2}', "duplicate key 'a'"),
    (b'{"a": {}, "b": {"c": 1, "c": 1}}', "duplicate key 'c'"),
    (b'{"\\u003a": 1, ":": 2}', "duplicate key ':'"),
    # keys that only look alike, and colons everywhere
    (b'{"a": 1, "A": 2, "a ": 3}', "value"),
    (b'{"t": "2024-01-01T10:00:00Z", "u": "https://x.test:8080/a:b", ":": ":::"}', "value"),
    (b'{"\\u003a": "\\u003a:", "k": "\\\\u003a"}', "value"),
    (b'{"a\\"": "\\":\\"", "b\\\\": "\\\\"}', "value"),
    # strings: escapes, surrogates, control characters
    (b'"\\u00e9\\u00E9\\/\\b\\f\\n\\r\\t"', ("value", ("str", repr("éé/\b\f\n\r\t")))),
    (b'"\\ud83d\\ude00"', ("value", ("str", repr("\U0001f600")))),
    (b'"\\ud800"', ("value", ("str", repr("\ud800")))),
    (b'"\\udfff x"', ("value", ("str", repr("\udfff x")))),
    (b'{"\\ud800": "\\udc00\\ud800"}', "value"),
    ('"\ud800 raw"', ("value", ("str", repr("\ud800 raw")))),  # text may hold what UTF-8 cannot
    (b'"\\u0000"', ("value", ("str", repr("\x00")))),
    (b'"a\x01b"', "Invalid control character"),
    (b'"\\x"', "Invalid \\escape"),
    (b'"\\u12"', "Invalid \\uXXXX escape"),
    (b'"\x7f\xe2\x80\xa8"', ("value", ("str", repr("\x7f\u2028")))),
    # bytes that are not UTF-8, and a BOM
    (b'"\xff"', "invalid UTF-8 at byte 1"),
    (b'{"a": "\xed\xa0\x80"}', "invalid UTF-8 at byte 7"),
    (b'"\xc0\xaf"', "invalid UTF-8 at byte 1"),
    (b'{"a": "\xe2\x82"}', "invalid UTF-8 at byte 7"),
    (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM"),
    ("\ufeff{}", "Unexpected UTF-8 BOM"),
    # shape: empty, trailing data, whitespace JSON does not allow
    (b"", "Expecting value: line 1 column 1 (char 0)"),
    (b" \t\r\n ", "Expecting value"),
    (b"[1, 2", "Expecting ',' delimiter"),
    (b"[1,]", "Expecting value"),
    (b'{"a": 1,}', "Expecting property name enclosed in double quotes"),
    (b'{"a": 1} {"b": 2}', "Extra data"),
    (b"\x0c{}", "Expecting value"),
    (b"\xc2\xa0{}", "Expecting value"),
    ("\u2028{}", "Expecting value"),
    (b' \n{"a":\t[1,\r\n2]}\n ', "value"),
    # nesting
    (b"[" * 100 + b"]" * 100, "value"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    (b"[" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize("data,expected", HOSTILE, ids=[repr(d[:40]) for d, _ in HOSTILE])
def test_hostile_input_reads_as_the_strict_parser_reads_it(data: bytes | str, expected: tuple[str, Any] | str) -> None:
    got = same(data)
    if isinstance(expected, tuple):
        assert got == expected
    elif expected == "value":
        assert got[0] == "value"
    else:
        assert got[0] == "JSONError" and expected in got[1], got
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        same(text)  # the same text given as str reads the same


def test_the_fast_path_proves_every_fixture_compact_and_pretty() -> None:
    """Else the equivalence above would hold only because everything fell back to the strict parser."""
    proven = 0
    for path in ALL_FIXTURES:
        raw = path.read_bytes()
        try:
            doc = strict_loads(raw)
        except orjson.JSONDecodeError:
            continue  # the check fixtures that are broken on purpose
        compact = NUMBERS_AS_WRITTEN(doc)
        pretty = msgspec.json.format(compact, indent=2)
        for data in (raw, compact, pretty, ascii_only(pretty.decode("utf-8")), compact.decode("utf-8")):
            value = fast_path(data)
            assert value is not jsonio._UNPROVEN, (path, data[:80])
            assert typed(value) == typed(doc)
            proven += 1
    assert proven > 4 * 60


@pytest.mark.parametrize(
    "data",
    [b'{"a": 1, "a": 2}', b'{"a": 1, "a": "\\u003a"}', b'"\\ud800"', b"NaN", b"\xef\xbb\xbf{}", b"[" * 2000 + b"]" * 2000],
)
def test_what_the_fast_path_cannot_prove_it_leaves_to_the_strict_parser(data: bytes) -> None:
    assert fast_path(data) is jsonio._UNPROVEN


def _deepest(make: Any) -> int:
    """The deepest nesting the strict parser reads from this stack depth."""
    low, high = 1, 200_000
    while low < high:
        mid = (low + high + 1) // 2
        try:
            strict_loads(make(mid))
        except orjson.JSONDecodeError:
            high = mid - 1
        else:
            low = mid
    return low


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"[" * n + b"1.5" + b"]" * n,
        lambda n: b'{"a":' * n + b"1" + b"}" * n,
        lambda n: b'{"a":' * n + b'{"b":1.5}' + b"}" * n,
        lambda n: b'[{"k":' * (n // 2) + b"[]" + b"}]" * (n // 2),
    ],
)
def test_nesting_near_the_recursion_limit_reads_as_the_strict_parser_reads_it(make: Any) -> None:
    """Both parsers stop at the recursion limit, msgspec a few levels later: the fast path runs deeper in
    the stack so that it gives up first, and the strict parser has the last word at every depth."""
    limit = _deepest(make)
    outcomes = {same(make(n))[0] for n in range(max(1, limit - 30), limit + 5)}
    assert outcomes == {"value", "JSONError"}


# ---- random texts ------------------------------------------------------------------------------------

NUMBER_TEXT = st.from_regex(r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,12})?([eE][-+]?[0-9]{1,4})?\Z")
ODD_NUMBER = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e99999999999999999999", "01", "1.", ".5", "-", "+1", "0x10"])
CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(list(':"\\/\b\f\n\r\t\x00\x1f\u2028é€😀'))
LONE_SURROGATE = st.sampled_from(["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d"])


@st.composite
def string_text(draw: st.DrawFn) -> str:
    """A JSON string literal, each character written one of the ways JSON allows (and a few it does not)."""
    out = ['"']
    for ch in draw(st.lists(CHARS, max_size=8)):
        way = draw(st.integers(0, 9))
        if way == 0 and ord(ch) < 0x10000:
            hexed = f"{ord(ch):04x}"
            out.append("\\u" + (hexed.upper() if draw(st.booleans()) else hexed))
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\f\n\r\t" and way < 8:
            out.append(json.dumps(ch)[1:-1])
        elif ch == "/" and way < 5:
            out.append("\\/")
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}" if way < 9 else ch)  # a raw control character is an error
        else:
            out.append(ch)
        if draw(st.integers(0, 40)) == 0:
            out.append(draw(LONE_SURROGATE))
    out.append('"')
    return "".join(out)


KEY = st.sampled_from(['"a"', '"b"', '"\\u0061"', '":"', '"\\u003a"', '"a\\""', '"a\\\\"', '"id"']) | string_text()
SPACE = st.sampled_from(["", "", "", " ", "\n  ", "\t", "\r\n"])


@st.composite
def json_text(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON text: mostly valid, pretty or compact, with repeated keys, odd numbers and escapes mixed in."""
    kind = draw(st.integers(0, 9)) if depth < 4 else draw(st.integers(0, 5))
    if kind <= 1:
        return draw(NUMBER_TEXT) if draw(st.integers(0, 30)) else draw(ODD_NUMBER)
    if kind <= 3:
        return draw(string_text())
    if kind == 4:
        return draw(st.sampled_from(["true", "false", "null"]))
    if kind == 5:
        return str(draw(st.integers(-(10**30), 10**30)))
    sep = draw(SPACE)
    if kind <= 7:
        items = draw(st.lists(json_text(depth + 1), max_size=4))
        return "[" + sep + ("," + sep).join(items) + sep + "]"
    pairs = [(draw(KEY), draw(json_text(depth + 1))) for _ in range(draw(st.integers(0, 4)))]
    if pairs and draw(st.integers(0, 3)) == 0:
        pairs.append((pairs[0][0], draw(json_text(depth + 1))))  # the same key twice, spelled alike
    colon = draw(st.sampled_from([":", ":", ": ", " : "]))
    return "{" + sep + ("," + sep).join(k + colon + v for k, v in pairs) + sep + "}"


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(json_text()).encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()) and at < len(data):
            del data[at]
        else:
            data[at:at] = draw(st.sampled_from([b",", b":", b'"', b"\\", b"\xff", b"\xef\xbb\xbf", b"{", b"]", b"\x00"]))
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_text(), SPACE)
def test_random_texts_read_as_the_strict_parser_reads_them(text: str, pad: str) -> None:
    text = pad + text + pad
    same(text.encode("utf-8"))
    same(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_texts_fail_as_the_strict_parser_fails(data: bytes) -> None:
    same(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_text())
def test_a_proven_value_is_the_strict_value(text: str) -> None:
    """The crux: whatever the fast path returns (rather than handing over) is what the strict parser returns."""
    value = fast_path(text.encode("utf-8"))
    if value is not jsonio._UNPROVEN:
        assert outcome(strict_loads, text.encode("utf-8")) == ("value", typed(value))


_PLAIN_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
_LAYOUTS = st.sampled_from(
    [{}, {"ensure_ascii": False}, {"indent": 2}, {"separators": (",", ":")}, {"separators": [",", ": "], "sort_keys": True}]
)


@given(_PLAIN_JSON, _LAYOUTS)
def test_json_dumps_exact_writes_what_json_dumps_writes(value: Any, layout: dict[str, Any]) -> None:
    # One cached encoder per layout for values without an exact number; json.dumps's own text all the same.
    assert json_dumps_exact(value, **layout) == json.dumps(value, **layout)


@given(_PLAIN_JSON, _LAYOUTS, st.decimals(allow_nan=False, allow_infinity=False, places=2))
def test_json_dumps_exact_writes_an_exact_number_as_its_text(value: Any, layout: dict[str, Any], number: Decimal) -> None:
    text = json_dumps_exact({"v": value, "n": number}, **layout)
    assert json.loads(text, parse_float=Decimal) == {"v": value, "n": number}
    assert str(number) in text or format(number, "f") in text
