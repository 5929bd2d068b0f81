"""The generated plan means exactly what the rows say: it agrees with the reference plan (every row a
call to its own step, the generic unmapped walk) on every fixture, on generated orders and on orders
with any field replaced by a value of another type."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from collections import OrderedDict
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE_DIR
from orders_migrate import convert_order, convert_webhook
from orders_migrate.engine import compile_table, default_plan
from orders_migrate.engine.context import Ctx
from orders_migrate.engine.unmapped import unmapped
from orders_migrate.jsonio import Number
from orders_migrate.paths import key_step
from orders_migrate.report import ConversionError, Entry
from strategies import replace_fields, stores_order, stores_webhook

ROOT = Path(__file__).resolve().parents[1]
# With the companion cases: orders a gift card paid (whole, or beside a refunded regular payment).
EXAMPLES = sorted((ROOT / "fixtures" / "stores").glob("*.json")) + sorted(
    (ROOT / "fixtures" / "companions" / "cases").glob("*.input.json")
)
REFERENCE = compile_table(default_plan().table, generate=False)

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _outcome(payload: Any, **kwargs: Any) -> Any:
    # With the companions: their sections' rows are generated too (the gift-card rows under if_written).
    try:
        result = convert_order(copy.deepcopy(payload), companions=True, **kwargs)
    except ConversionError as exc:
        return ("error", [(p.path, p.message) for p in exc.problems])
    return ("ok", result.order, result.companions, [e.to_dict() for e in result.report.entries])


def _same(payload: Any) -> None:
    generated = _outcome(payload)
    reference = _outcome(payload, plan=REFERENCE)
    assert generated == reference
    before = copy.deepcopy(payload)
    with contextlib.suppress(ConversionError):
        convert_order(payload)
    assert payload == before, "converting never changes the caller's order (a Velo one included)"


def test_the_reference_plan_is_built_without_generated_code() -> None:
    assert default_plan().walk.__code__.co_filename.startswith("<orders-migrate unmapped: order ")
    assert not REFERENCE.walk.__code__.co_filename.startswith("<orders-migrate")
    generated = [
        s
        for s in default_plan().steps
        if getattr(s, "__code__", None) and s.__code__.co_filename.startswith("<orders-migrate plan: order ")
    ]
    assert generated, "the default plan runs generated code"
    assert REFERENCE.source() == {}, "the reference plan generates nothing"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fixtures_convert_the_same_with_and_without_generated_code(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    generated = _outcome(payload)
    assert generated[0] == "ok"
    assert generated == _outcome(payload, plan=REFERENCE)


def test_real_shop_payloads_convert_the_same() -> None:
    paths = sorted((REFERENCE_DIR / "realworld").glob("stores_*.json"))
    assert len(paths) == 15, "fixtures/reference/realworld holds 15 Stores payloads"
    for path in paths:
        _same(json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal))


@given(stores_order())
def test_generated_orders_convert_the_same(order: dict[str, Any]) -> None:
    _same(order)


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from(["", "x", "10.5", "IMAGE", "VIDEO", "PHYSICAL", "US", "-1", "1e3"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-5, max_value=5),
    # An index a GUID cannot hold, the largest it can, an integer beyond 64 bits, numbers Decimal spells otherwise.
    st.sampled_from([10**12, 999_999_999_999, 2**64, Number("1e400"), Number("1E2")]),
    # What only a caller in Python can pass (no JSON file holds them): an integer str() refuses to spell,
    # a signalling NaN (it raises when compared), an infinite Decimal.
    st.sampled_from([10**5000, -(10**5000), Decimal("sNaN"), Decimal("NaN"), Decimal("-Infinity")]),
    st.just([]),
    st.just({}),
    st.just([{"option": "Size", "selection": 3}]),
    st.just({"stringValue": "v"}),
    st.just({"unexpected": "field"}),
)


@given(st.sampled_from(EXAMPLES), st.data())
def test_orders_with_a_field_of_another_type_convert_the_same(path: Path, data: st.DataObject) -> None:
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    replace_fields(order, data, ODD_VALUES, data.draw(st.integers(min_value=1, max_value=3)))
    _same(order)


@given(stores_order())
def test_the_generated_unmapped_walk_is_the_generic_one(order: dict[str, Any]) -> None:
    order["unknownTop"] = {"a": 1, "b": [1, {"c": ""}]}
    if order.get("lineItems"):
        order["lineItems"][0]["mediaItem"] = {"mediaType": "VIDEO", "url": "u", "extra": 1}
        order["lineItems"][-1]["surprise"] = "x"
    plan = default_plan()
    for entries in ([], [convert_order(copy.deepcopy(order)).report.entries[0]] if order.get("lineItems") else []):
        generated, generic = list(entries), list(entries)
        plan.walk(order, generated)
        unmapped(order, plan.reads, "$", generic)
        assert generated == generic


def _object_paths(value: Any, path: str = "$") -> list[str]:
    """Every object's and list's path in ``value``, the root's included."""
    found = [path] if isinstance(value, (dict, list)) else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _object_paths(v, path + key_step(k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            found += _object_paths(v, f"{path}[{n}]")
    return found


@given(stores_order(), st.data())
def test_what_a_row_reported_whole_the_generated_walk_leaves_out_as_the_generic_one(
    order: dict[str, Any], data: st.DataObject
) -> None:
    # Unknown fields at several depths, and entries already naming some objects on the way (an object a
    # row reported whole, "$" itself among them): the generated walk drops what they cover afterwards,
    # the generic one skips it on the way; both leave the same entries in the same order.
    order["unknownTop"] = {"a": 1, "b": [1, {"c": "x"}]}
    for item in order.get("lineItems") or []:
        if isinstance(item, dict):
            item["surprise"] = {"deep": [1, 2]}
            item["mediaItem"] = {"mediaType": "IMAGE", "url": "u", "extra": 1}
    paths = _object_paths(order)
    chosen = data.draw(st.lists(st.sampled_from(paths), max_size=4))
    entries = [Entry("dropped", p, "a row reported it whole") for p in chosen]
    generated, generic = list(entries), list(entries)
    default_plan().walk(order, generated)
    unmapped(order, default_plan().reads, "$", generic)
    assert generated == generic


# Option and custom-text lists in every shape the spelled-out description lines and catalog options take
# or hand back to their steps: pairs of strings, a missing or non-string half, a loose element, a
# repeated name, empty lists, a note of another type.
PAIR_LISTS = [
    ("options", [{"option": "Size", "selection": "L"}, {"option": "Color", "selection": "Red"}]),
    ("options", [{"option": "Size"}]),
    ("options", [{"option": "Size", "selection": "L"}, "loose"]),
    ("options", [{"option": "Size", "selection": "L"}, {"option": "Size", "selection": "M"}]),
    ("options", [{"option": None, "selection": "L"}]),
    ("options", []),
    ("options", None),
    ("customTextFields", [{"title": "Engraving", "value": "A"}, {"title": "Engraving", "value": "B"}]),
    ("customTextFields", [{"title": "Engraving", "value": 7}]),
    ("customTextFields", []),
    ("customTextFields", {"title": "Engraving"}),
    ("notes", "gift wrap"),
    ("notes", ""),
    ("notes", 5),
    ("variantId", "00000000-0000-0000-0000-000000000007"),
    ("variantId", 7),
    ("variantId", None),
]


@pytest.mark.parametrize(("first", "second"), [(a, b) for a in PAIR_LISTS for b in PAIR_LISTS if a[0] != b[0]][::3])
def test_option_lists_of_every_shape_convert_the_same(first: tuple[str, Any], second: tuple[str, Any]) -> None:
    order = json.loads((ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"))
    for item in order["lineItems"]:
        for key in ("options", "customTextFields", "notes", "variantId"):
            item.pop(key, None)
    item = order["lineItems"][0]
    item[first[0]], item[second[0]] = copy.deepcopy(first[1]), copy.deepcopy(second[1])
    _same(order)


class _Text(str):
    """A str subclass (numpy.str_ is one in the wild)."""


def _subclassed(value: Any) -> Any:
    # The same JSON with every object an OrderedDict, every list a list subclass and every string a subclass.
    if isinstance(value, dict):
        return OrderedDict((k, _subclassed(v)) for k, v in value.items())
    if isinstance(value, list):
        return _List(_subclassed(v) for v in value)
    if isinstance(value, str):
        return _Text(value)
    return value


class _List(list[Any]):
    pass


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_subclassed_containers_and_strings_convert_as_plain_json(path: Path) -> None:
    plain = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    odd = _subclassed(plain)
    before = copy.deepcopy(odd)
    assert _outcome(odd) == _outcome(plain)
    convert_order(odd)
    assert odd == before  # a Velo order's OrderedDict is copied before it is rewritten, never changed


def test_an_int_subclass_below_the_minimum_is_refused_as_an_int_is() -> None:
    class Count(IntEnum):
        MINUS = -2

    order = json.loads((ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"))
    order["lineItems"][0]["quantity"] = Count.MINUS
    generated = _outcome(order)
    assert generated == _outcome(order, plan=REFERENCE)
    assert generated[0] == "error" and "must be at least 0" in generated[1][0][1]


_KINDS = st.sampled_from(["MEMBER", "CONTACT", "UNSPECIFIED_IDENTITY_TYPE", "ADMIN", "", None, 1, {}, "_absent"])
_STATUSES = st.sampled_from(["CANCELED", "PENDING", "PAID", "FULFILLED", "NOT_FULFILLED", "", None, 3, "_absent"])


@given(
    st.sampled_from(EXAMPLES),
    st.sampled_from(["9b1c", 5, None, "_absent"]),
    _KINDS,
    _KINDS,
    _STATUSES,
    _STATUSES,
)
def test_the_buyers_id_and_the_order_status_are_spelled_as_their_steps_decide(
    path: Path, buyer_id: Any, identity: Any, kind: Any, fulfillment: Any, payment: Any
) -> None:
    # buyer-id (split by identityType, then type, which must agree) and order-status (first_match over
    # fulfillmentStatus and paymentStatus) in their generated spelling, against their steps.
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    info = order.get("buyerInfo")
    if not isinstance(info, dict):
        info = order["buyerInfo"] = {}
    for holder, key, value in (
        (info, "id", buyer_id),
        (info, "identityType", identity),
        (info, "type", kind),
        (order, "fulfillmentStatus", fulfillment),
        (order, "paymentStatus", payment),
    ):
        if value == "_absent":
            holder.pop(key, None)
        else:
            holder[key] = value
    _same(order)


_FLAGS = st.sampled_from([True, False, None, "yes", 1, {}, "_absent"])


@given(st.sampled_from(EXAMPLES), st.lists(st.tuples(_FLAGS, _FLAGS), max_size=4), _FLAGS)
def test_the_tax_flag_of_every_price_is_judged_as_its_step_judges_it(path: Path, items: list[Any], shipping: Any) -> None:
    # tax-included-in-prices (same_value over two lists and one place): one value of the type throughout
    # is written; a second value or one of another type is the step's (a mismatch, a problem).
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    line_items = order.get("lineItems") if isinstance(order.get("lineItems"), list) else []
    for item, (in_price, beside) in zip(line_items, items, strict=False):
        if not isinstance(item, dict):
            continue
        price_data = item.get("priceData")
        if not isinstance(price_data, dict):
            price_data = item["priceData"] = {}
        for holder, value in ((price_data, in_price), (item, beside)):
            if value == "_absent":
                holder.pop("taxIncludedInPrice", None)
            else:
                holder["taxIncludedInPrice"] = value
    details = order.get("shippingInfo", {}).get("shipmentDetails") if isinstance(order.get("shippingInfo"), dict) else None
    if isinstance(details, dict):
        price_data = details.get("priceData")
        if not isinstance(price_data, dict):
            price_data = details["priceData"] = {}
        if shipping == "_absent":
            price_data.pop("taxIncludedInPrice", None)
        else:
            price_data["taxIncludedInPrice"] = shipping
    _same(order)


_TOTALS = st.sampled_from(["10", "10.00", "3.5", "0", "-2", "x", 7, Decimal("2.50"), True, None, {}, "_absent"])


@given(
    st.sampled_from(EXAMPLES), st.fixed_dictionaries({k: _TOTALS for k in ("total", "subtotal", "shipping", "tax", "discount")})
)
def test_the_totals_identity_is_decided_as_its_step_decides_it(path: Path, totals: dict[str, Any]) -> None:
    # totals-total-check spelled out (total = subtotal + shipping + tax - discount, the tax only when
    # prices exclude it): it says nothing where the identity holds; anything else is the step's.
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    held = order.get("totals")
    if not isinstance(held, dict):
        held = order["totals"] = {}
    for key, value in totals.items():
        if value == "_absent":
            held.pop(key, None)
        else:
            held[key] = value
    _same(order)


_ABSENT = object()
_BUYER_VALUES = st.one_of(st.sampled_from(["Ann", "Bob", "", "+1 555 0100"]), st.none(), st.integers(0, 2), st.just(_ABSENT))


@given(st.sampled_from(EXAMPLES), st.data())
def test_agreeing_rows_convert_the_same_when_their_values_differ(path: Path, data: st.DataObject) -> None:
    # buyerInfo's name, phone and contact id agree with what the billing address (an earlier row) wrote:
    # the same, absent, null or another value (a mismatch kept out), as the generated code spells it.
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    buyer = order.setdefault("buyerInfo", {})
    if not isinstance(buyer, dict):
        return
    for key in ("firstName", "lastName", "phone", "contactId"):
        value = data.draw(_BUYER_VALUES)
        if value is _ABSENT:
            buyer.pop(key, None)
        else:
            buyer[key] = value
    _same(order)


def test_an_agreeing_copy_keeps_the_first_value_and_reports_the_other() -> None:
    order = json.loads((ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"))
    written = convert_order(copy.deepcopy(order)).order["billingInfo"]["contactDetails"]["firstName"]
    order["buyerInfo"]["firstName"] = written + " Other"
    for plan in (default_plan(), REFERENCE):
        result = convert_order(copy.deepcopy(order), plan=plan)
        assert result.order["billingInfo"]["contactDetails"]["firstName"] == written
        (entry,) = [e for e in result.report.entries if e.row == "buyer-first-name"]
        assert (entry.kind, entry.path) == ("mismatch", "$.buyerInfo.firstName")
        assert "already written to billingInfo.contactDetails.firstName" in entry.message


# ---- the Velo normaliser: generated (dialect._generate) and reference steps --------------------------------

VELO_FILES = sorted((ROOT / "fixtures" / "stores").glob("velo_*.json")) + [
    ROOT / "fixtures" / "reference" / "examples" / "velo_order_paid.json"
]
VELO_ODD = st.one_of(
    ODD_VALUES,
    st.sampled_from(
        [
            "wix:image://v1/abc.jpg/name.jpg#originWidth=10&originHeight=x",
            "wix:image://v1/abc.jpg",
            "wix:image://v1/other.jpg/n#originWidth=1234567890",
            "https://example.com/a.jpg",
            Decimal("1E+2"),
            Decimal("1E-7"),
            Decimal("12.50"),
            Number("1e2000"),
            12.5,
            {"firstName": "A"},
        ]
    ),
)


def _normalised(plan: Any, order: dict[str, Any]) -> Any:
    ctx = Ctx(None, None, {})
    copied, moved = plan.velo.apply(order, ctx)
    return copied, moved, [e.to_dict() for e in ctx.entries], [(p.path, p.message) for p in ctx.problems]


def _same_velo(order: dict[str, Any]) -> None:
    before = copy.deepcopy(order)
    assert _normalised(default_plan(), order) == _normalised(REFERENCE, order)
    assert order == before, "the normaliser works on a copy"
    _same(order)


def test_the_velo_rows_run_as_one_generated_function() -> None:
    assert default_plan().velo.generated is not None and REFERENCE.velo.generated is None
    name = default_plan().velo.generated.__code__.co_filename
    assert name.startswith("<orders-migrate normaliser: velo ") and name in default_plan().source()
    assert "# row velo-media (mappings.yaml:" in default_plan().source()[name]


@pytest.mark.parametrize("path", VELO_FILES, ids=lambda p: p.stem)
def test_velo_fixtures_are_normalised_the_same_with_and_without_generated_code(path: Path) -> None:
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    copied, moved, _, problems = _normalised(default_plan(), order)
    assert moved and not problems and "_id" not in copied
    _same_velo(order)


@given(st.sampled_from(VELO_FILES), st.data())
def test_velo_orders_with_odd_values_are_normalised_the_same(path: Path, data: st.DataObject) -> None:
    order = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    replace_fields(order, data, VELO_ODD, data.draw(st.integers(min_value=1, max_value=4)))
    _same_velo(order)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda o: o["billingInfo"].update(address="Main St 1"), id="a non-object on the way to a target"),
        pytest.param(lambda o: o["billingInfo"]["address"].update(addressLine1="twin"), id="a REST twin beside the Velo field"),
        pytest.param(lambda o: o.update(id="twin"), id="a REST id beside _id"),
        pytest.param(lambda o: o["lineItems"][0]["mediaItem"].update(id="another.jpg"), id="a media id that differs"),
        pytest.param(lambda o: o["lineItems"][0]["mediaItem"].update(src=7), id="a media src of another type"),
        pytest.param(lambda o: o["lineItems"].insert(0, "not an object"), id="a line item that is no object"),
        pytest.param(lambda o: o.update(lineItems={"0": {}}), id="line items that are no list"),
        pytest.param(lambda o: o["billingInfo"]["address"].update(formatted="1 Main St"), id="a formatted address"),
        pytest.param(lambda o: o["billingInfo"].update(firstName=None), id="a null contact field"),
    ],
)
def test_hostile_velo_orders_are_normalised_the_same(change: Any) -> None:
    order = json.loads((ROOT / "fixtures" / "stores" / "velo_order_paid.json").read_text(encoding="utf-8"), parse_float=Decimal)
    change(order)
    _same_velo(order)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda o: o["lineItems"][0]["priceData"].pop("totalPrice"), id="a line item without its total"),
        pytest.param(lambda o: o["lineItems"][0]["priceData"].update(totalPrice=None), id="a null line total"),
        pytest.param(lambda o: o["lineItems"][0]["priceData"].update(totalPrice=7), id="an integer line total"),
        pytest.param(
            lambda o: o["lineItems"][0].update(priceData=OrderedDict(o["lineItems"][0]["priceData"])),
            id="a dict subclass on the way",
        ),
        pytest.param(lambda o: o["lineItems"][0].update(priceData="x"), id="a string on the way"),
        pytest.param(lambda o: o["lineItems"][0].update(weight="-x", quantity=True), id="a bad weight and a boolean quantity"),
        pytest.param(lambda o: o["lineItems"][0].update(quantity=None), id="a null quantity"),
        pytest.param(lambda o: o["totals"].update(subtotal="1.5", weight=3, quantity="2"), id="totals that disagree"),
        pytest.param(lambda o: o["totals"].update(subtotal="1e3"), id="a stated total that is no amount"),
        pytest.param(lambda o: o.update(lineItems=[*o["lineItems"], "not an object"]), id="an element that is no object"),
    ],
)
def test_sums_over_odd_line_items_are_checked_the_same(change: Any) -> None:
    # The spelled-out sums (checks.emit_sum_check) decide only that a stated total agrees; all else is the step's.
    order = json.loads(
        (ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"), parse_float=Decimal
    )
    change(order)
    _same(order)


def test_a_sum_past_the_exact_precision_is_rounded_as_the_step_rounds_it() -> None:
    # The step multiplies a line item without a quantity by 1 (factors.get(n, 1)); past EXACT's 1000
    # digits that rounds the term before it is added, so the sum differs from adding the term itself.
    order = json.loads(
        (ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"), parse_float=Decimal
    )
    first, second, *rest = order["lineItems"]
    first.update(weight=2)
    second.update(weight=10**1000 + 4)
    for item in (first, second, *rest):
        item.pop("quantity", None)
    for item in rest:
        item.update(weight=0)
    order["totals"]["weight"] = str(10**1000 + 10)  # the sum with the term unrounded: not the step's sum
    reference = _outcome(order, plan=REFERENCE)
    assert reference[0] == "ok" and any(e["path"] == "$.totals.weight" and e["kind"] == "mismatch" for e in reference[3])
    _same(order)


class _Index(IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda o: o["lineItems"][2].update(index=o["lineItems"][1]["index"]), id="an index twice, first not at 0"),
        pytest.param(
            lambda o: (o["lineItems"][0].pop("index"), o["lineItems"][1].update(index=1)), id="a position, then its index"
        ),
        pytest.param(
            lambda o: (o["lineItems"][0].update(index=1), o["lineItems"][1].update(index=_Index.ONE)), id="an int subclass"
        ),
        pytest.param(lambda o: [item.update(index=5) for item in o["lineItems"]], id="one index three times"),
        pytest.param(
            lambda o: o["fulfillments"][0]["lineItems"].append(copy.deepcopy(o["fulfillments"][0]["lineItems"][0])),
            id="a fulfillment naming a line twice",
        ),
    ],
)
def test_repeated_line_item_indices_are_refused_the_same(change: Any) -> None:
    # The spelled-out id keeps the first place as the position alone (emit_line_item_id); the step words it.
    order = json.loads((ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json").read_text(encoding="utf-8"))
    change(order)
    generated = _outcome(order)
    assert generated[0] == "error" and all("line-item ids would collide" in message for _, message in generated[1])
    _same(order)


# ---- webhook bodies: their sections and `checks` rows, generated and reference ------------------------------

WEBHOOK_FILES = sorted((ROOT / "fixtures" / "webhooks").glob("*.json"))
# An {order} body says not which event it is: each is converted as every event it may be.
ORDER_EVENTS = ["order-paid", "order-canceled", "order-declined", "order-address-updated"]


def _event(payload: Any, kind: str | None, **kwargs: Any) -> Any:
    try:
        result = convert_webhook(copy.deepcopy(payload), kind=kind, **kwargs)
    except ConversionError as exc:
        return ("error", [(p.path, p.message) for p in exc.problems])
    return ("ok", result.order, [e.to_dict() for e in result.report.entries])


@pytest.mark.parametrize("path", WEBHOOK_FILES, ids=lambda p: p.stem)
def test_webhook_bodies_convert_the_same_with_and_without_generated_code(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    for kind in ORDER_EVENTS if set(payload) == {"order"} else [None]:
        generated = _event(payload, kind)
        assert generated[0] == "ok", generated
        assert generated == _event(payload, kind, plan=REFERENCE)


@given(stores_webhook(), st.data())
def test_generated_webhook_bodies_with_odd_values_convert_the_same(
    body_kind: tuple[dict[str, Any], str | None], data: st.DataObject
) -> None:
    body, kind = body_kind
    if data.draw(st.booleans()):
        replace_fields(body, data, ODD_VALUES, data.draw(st.integers(min_value=1, max_value=3)))
    assert _event(body, kind) == _event(body, kind, plan=REFERENCE)


# ---- output objects fetched once per call (CodeBuilder.cache_holders) -------------------------------------


def _run_builder(written: list[str], lines: list[tuple[str, str]]) -> dict[str, Any]:
    """A generated function whose rows write ``lines`` (a value's text at a path; ``whole`` or ``own``: an
    object replaced, as a row writing it whole or a step of its own would), holders kept in locals unless
    ``written`` says a row writes them whole."""
    from orders_migrate.engine.code import CodeBuilder
    from orders_migrate.paths import parse

    src = CodeBuilder()
    src.cache_holders([parse(p) for p in written])
    for path, value in lines:
        if value in ("whole", "own"):
            src.emit(1, f"out[{path!r}] = {{'new': 1}}")
            if value == "own":  # a step of its own, whose writes no row declares
                src.forget_holders(1)
        else:
            src.put(1, value, parse(path))
    namespace = dict(src.names, ROWS=((), ()))
    exec(compile(src.code(), "<test>", "exec"), namespace)  # noqa: S102 - the code under test
    out: dict[str, Any] = {}
    namespace["fused"]({}, out, Ctx(None, None, out), ())
    return out


def test_an_output_object_a_row_writes_whole_is_fetched_again_at_each_use() -> None:
    lines = [("a.x", "1"), ("a", "whole"), ("a.y", "2"), ("b.c.d", "3"), ("b.e", "4")]
    # The row writing `a` whole is declared: `a` is fetched at each use, and y lands in the new object.
    assert _run_builder(["a", "a.x", "a.y", "b.c.d", "b.e"], lines) == {"a": {"new": 1, "y": 2}, "b": {"c": {"d": 3}, "e": 4}}
    # Undeclared, a kept `a` would take y into the object no longer in the output: the guard is what saves it.
    assert _run_builder(["a.x", "a.y"], lines) == {"a": {"new": 1}, "b": {"c": {"d": 3}, "e": 4}}
    # A step of its own may write anything: every object is fetched again after it.
    own = [("a.x", "1"), ("a", "own"), ("a.y", "2")]
    assert _run_builder(["a.x", "a.y"], own) == {"a": {"new": 1, "y": 2}}


def test_which_output_objects_are_kept_in_locals() -> None:
    from orders_migrate.engine.code import CodeBuilder
    from orders_migrate.paths import parse

    src = CodeBuilder()
    src.cache_holders([parse("a"), parse("b.c"), parse("items[i].x")])
    assert not src.out_holder(1, parse("a.k")).startswith("o")  # a row writes `a` whole
    assert src.out_holder(1, parse("b.k")).startswith("o")  # `b.c` written whole leaves `b` itself
    assert not src.out_holder(1, parse("b.c.k")).startswith("o")
    assert not src.out_holder(1, parse("items.k")).startswith("o")  # written under a list: made anew
    assert not src.out_holder(1, parse("l[0].k")).startswith("o")  # a fixed index: not kept
    assert CodeBuilder().out_holder(1, parse("b.k")).startswith("d")  # a helper's builder keeps none


def _own_rows(rows: str) -> tuple[Any, Any]:
    """A user's table of these order rows, generated and as the reference plan."""
    from orders_migrate.engine import load_table

    table = load_table(f"order:\n{rows}address: []\n", "ours.yaml")
    return compile_table(table), compile_table(table, generate=False)


def _written(plan: Any, order: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[Any]]:
    from orders_migrate.money import formatter

    out: dict[str, Any] = {}
    ctx = Ctx(formatter("USD", "en_US"), "USD", out)
    for step in plan.steps:
        step(copy.deepcopy(order), out, ctx, ())
    return out, [(p.path, p.message) for p in ctx.problems], [e.to_dict() for e in ctx.entries]


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("op: copy\n    from: x\n    to: [a, a.b.c]", "'a.b.c' inside 'a'"),
        ("op: copy\n    from: x\n    to: ['a.l[0].k', a]", "'a.l[0].k' inside 'a'"),
        ("op: copy\n    from: x\n    to: [a, a.b.c]\n    agree: true", "'a.b.c' inside 'a'"),
        ("op: money\n    from: x\n    to: [a, a.b.c]", "'a.b.c' inside 'a'"),
        ("op: enum\n    from: x\n    to: [a, a.b.c]\n    values: [A]\n    map: {A: {k: v}}", "'a.b.c' inside 'a'"),
    ],
)
def test_one_value_written_at_a_place_and_inside_it_is_refused_as_the_table_loads(row: str, said: str) -> None:
    """A value in itself: a copy of an object nested in the object, a text that cannot hold a key."""
    from orders_migrate.engine import MappingError

    with pytest.raises(MappingError, match=re.escape(f"row 'both' writes {said}, which it writes too")):
        _own_rows(f"  - id: both\n    {row}\n    note: n\n")


# ---- a user's own rows: objects a row writes whole, below them, under lists, in address scopes --------

_OWN_TARGETS = ["a", "a.b", "a.b.c", "a.c", "b", "'a.l[0].k'", "buyerInfo.email"]
_OWN_VALUES = st.sampled_from([None, 1, "t", "A", "1.50", True, [], [1], {}, {"k": 1}, {"e": "m"}])
_ADDRESS = (
    "address:\n"
    "  - {id: ad-city, op: copy, from: city, to: address.city, note: n}\n"
    "  - {id: ad-email, op: buyer_email, from: email, to: EMAIL, note: n}\n"
    "  - {id: ad-first, op: copy, from: first, to: contactDetails.firstName, note: n}\n"
    "  - {id: ad-whole, op: copy, from: whole, to: WHOLE, note: n}\n"
)


@st.composite
def _own_row(draw: st.DrawFn, n: int, target: str) -> str:
    """Row ``n``, writing ``target`` (and now and then another place)."""
    op = draw(st.sampled_from(["copy", "copy", "money", "enum", "constant"] if target != "address" else ["address"]))
    # Each row its own input: two rows copying one object, one below the other, would nest it in itself.
    source = draw(st.sampled_from([f"s{n}", f"s{n}.r"]))
    lines = [f"id: r{n}", f"op: {op}", f"from: {source}"]
    if op == "address":
        lines += [f"to: {draw(st.sampled_from(['a', 'a.b', 'b']))}", f"contact: {draw(st.sampled_from(['true', 'false']))}"]
    else:
        more = draw(st.sampled_from(["", "", "", *_OWN_TARGETS])) if op != "enum" else ""
        lines.append(f"to: [{', '.join([target, *([more] if more and more != target else [])])}]")
    if op == "enum":
        lines += ["values: [A, t]", "map: {A: X, t: {k: v}}"]
    if op == "constant":
        lines.append("value: V")
    if op == "copy" and draw(st.booleans()):
        lines.append("agree: true")
    condition = draw(st.sampled_from(["", "", "", "", "if_present: y", "when: {y: [A]}", "if_written: a.b", "unless_written: a"]))
    if condition:
        lines.append(condition)
    if condition.endswith("_written: a.b") or condition.startswith("unless_written"):
        lines.append("otherwise: left")
    return "  - " + "\n    ".join([*lines, "note: n"]) + "\n"


@st.composite
def _own_order(draw: st.DrawFn) -> dict[str, Any]:
    address = st.fixed_dictionaries({}, optional={k: _OWN_VALUES for k in ("city", "email", "first", "whole")})
    value = st.one_of(_OWN_VALUES, address, st.fixed_dictionaries({"r": st.one_of(_OWN_VALUES, address)}))
    return draw(st.fixed_dictionaries({"y": _OWN_VALUES, **{f"s{n}": value for n in range(7)}}))


@given(st.data())
def test_a_users_own_rows_write_the_same_with_and_without_generated_code(data: st.DataObject) -> None:
    """Output objects kept in locals (CodeBuilder.cache_holders) stay the ones in the output whatever the
    rows write: whole objects, paths below them, under lists, from address scopes (their rooted writes,
    their steps of their own), under conditions on the output."""
    from orders_migrate.engine import MappingError, load_table

    # Objects kept in locals go wrong only in some orders (a row below `a`, one writing `a` whole, one below
    # it again): the rows' targets in every order.
    targets = data.draw(st.permutations(["a.b.c", "a", "a.c", "b", "'a.l[0].k'", "address", "buyerInfo.email"]))
    rows = "".join(data.draw(_own_row(n, t)) for n, t in enumerate(targets[: data.draw(st.integers(2, len(targets)))]))
    email, whole = data.draw(st.sampled_from(["buyerInfo.email", "a.b", "b"])), data.draw(st.sampled_from(["address", "x"]))
    text = f"order:\n{rows}" + _ADDRESS.replace("EMAIL", email).replace("WHOLE", whole)
    try:
        table = load_table(text, "ours.yaml")
        generated, reference = compile_table(table), compile_table(table, generate=False)
    except MappingError:
        return  # two rows writing one target, a condition without its reason: the table is refused as it loads
    for order in data.draw(st.lists(_own_order(), min_size=1, max_size=5)):
        # Nothing raises: a row writing inside a value it or another row wrote is refused as the table loads.
        assert _written(generated, order) == _written(reference, order), text
