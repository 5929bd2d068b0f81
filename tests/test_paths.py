from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_migrate.paths import EACH, MISSING, PathError, get, iter_each, parse, put


def test_parse_and_render() -> None:
    p = parse("lineItems[i].priceData.price")
    assert p.segments == ("lineItems", EACH, "priceData", "price")
    assert p.render((2,)) == "$.lineItems[2].priceData.price"
    assert parse("appliedDiscounts[0].coupon.id").render() == "$.appliedDiscounts[0].coupon.id"


def test_parse_is_cached() -> None:
    assert parse("a.b") is parse("a.b")


@pytest.mark.parametrize("bad", ["", "a..b", "a.[i]", "a[j]", "1abc", "a b", ".a"])
def test_malformed_paths(bad: str) -> None:
    with pytest.raises(PathError):
        parse(bad)


def test_absent_differs_from_null() -> None:
    doc = {"a": {"b": None}}
    assert get(doc, parse("a.b")) is None
    assert get(doc, parse("a.c")) is MISSING
    assert get(doc, parse("a.b.c")) is MISSING


def test_iter_each_yields_indices() -> None:
    doc = {"items": [{"x": 1}, {}, {"x": 3}]}
    assert list(iter_each(doc, parse("items[i].x"))) == [((0,), 1), ((2,), 3)]


def test_put_creates_parents() -> None:
    out: dict[str, object] = {}
    put(out, parse("a.list[1].b"), 5)
    assert out == {"a": {"list": [{}, {"b": 5}]}}
    put(out, parse("items[i].id"), "x", (0,))
    assert out["items"] == [{"id": "x"}]


_KEYS = st.sampled_from(["totals", "total", "tax", "lineItems", "priceData", "a"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "10.5"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_PATHS = st.lists(
    st.lists(st.one_of(_KEYS, st.integers(0, 2)), min_size=1, max_size=4).filter(lambda s: isinstance(s[0], str)),
    min_size=1,
    max_size=5,
)


@given(_JSON, _PATHS)
def test_a_reader_of_several_paths_reads_what_get_reads(doc: Any, segment_lists: list[list[Any]]) -> None:
    from orders_migrate.paths import Path, reader_of

    def text(segs: list[Any]) -> str:
        return segs[0] + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in segs[1:])

    paths = [parse(text(segs)) for segs in segment_lists]
    assert all(isinstance(p, Path) for p in paths)
    assert reader_of(paths)(doc) == [get(doc, p) for p in paths]


def test_a_reader_refuses_a_path_over_a_list() -> None:
    from orders_migrate.paths import reader_of

    with pytest.raises(PathError, match=r"cannot take \[i\]"):
        reader_of([parse("lineItems[i].price")])
