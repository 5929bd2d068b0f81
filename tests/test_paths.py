from __future__ import annotations

import pytest

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
