"""A user's own mapping table (``--mappings FILE``) drives every command, worker processes included; a
compiled plan pickles as its table's text and compiles again on the other side."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, ROOT, STORES_FIXTURES, load_json
from orders_migrate import ConversionError, compile_table, convert_order, default_plan, load_table
from orders_migrate.engine import MappingError, Plan, plan_of
from orders_migrate.engine.table import default_table_text
from orders_migrate.explain import explain_order
from orders_migrate.explain_ledger import Ledger
from orders_migrate.explain_query import explain_query
from orders_migrate.query.fields import build_query_fields
from orders_migrate.query.translate import translate_query
from orders_migrate.render import mappings_markdown

COUPON = FIXTURES / "stores" / "coupon_partially_fulfilled.json"  # paymentStatus PARTIALLY_PAID
PAID_QUERY = FIXTURES / "queries" / "seed_paid_orders.stores.json"  # filters on paymentStatus


def _table(old: str, new: str) -> str:
    text, _ = default_table_text()
    assert text.count(old) == 1, old
    return text.replace(old, new)


# Our own rule: a partly paid order counts as paid.
CUSTOM = _table(
    "      PARTIALLY_PAID: PARTIALLY_PAID\n    search: {filter: [$eq, $in, $ne, $nin], sort: true}\n"
    '    note: "Order table: paymentStatus*',
    '      PARTIALLY_PAID: PAID\n    search: {filter: [$eq, $in, $ne, $nin], sort: true}\n    note: "Ours: partly paid is paid; paymentStatus*',
)


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=ROOT, timeout=120, check=False
    )


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    return path


def _outcome(payload: Any, plan: Plan) -> Any:
    try:
        conv = convert_order(payload, plan=plan)
    except ConversionError as exc:
        return [(p.path, p.message) for p in exc.problems]
    return conv.order, conv.report.to_dict()


@pytest.mark.parametrize("which", ["shipped", "custom"])
def test_a_plan_pickles_as_its_table_and_converts_the_same(which: str) -> None:
    plan = default_plan() if which == "shipped" else compile_table(load_table(CUSTOM, "custom.yaml"))
    data = pickle.dumps(plan)
    assert len(data) < 2 * len(plan.table.text), "the text travels, not the compiled code"
    plan_of.cache_clear()  # as in a fresh worker process: the plan is compiled again from its text
    again = pickle.loads(data)  # noqa: S301 - bytes this test just pickled
    assert again is not plan and again.table.source == plan.table.source and again.table.text == plan.table.text
    for path in STORES_FIXTURES:
        payload = load_json(path)
        assert _outcome(payload, again) == _outcome(payload, plan), path.name
    assert pickle.loads(data) is again, "compiled once per process"  # noqa: S301 - as above


def test_the_custom_table_changes_the_conversion() -> None:
    plan = compile_table(load_table(CUSTOM, "custom.yaml"))
    assert convert_order(load_json(COUPON), plan=plan).order["paymentStatus"] == "PAID"
    assert convert_order(load_json(COUPON)).order["paymentStatus"] == "PARTIALLY_PAID"


def test_a_plan_without_its_text_refuses_to_pickle() -> None:
    table = load_table(*default_table_text())
    bare = compile_table(type(table)(**{f: getattr(table, f) for f in table.__dataclass_fields__ if f != "text"}))
    with pytest.raises(TypeError, match="not loaded from text"):
        pickle.dumps(bare)


def test_convert_with_custom_mappings_in_two_workers(tmp_path: Path, custom: Path) -> None:
    coupon = load_json(COUPON)
    other = load_json(FIXTURES / "stores" / "pos_canceled.json")  # PENDING: the same either way
    batch = tmp_path / "orders.ndjson"
    batch.write_text("".join(json.dumps(o) + "\n" for o in (coupon, other, coupon, other)))
    out = tmp_path / "out.ndjson"
    proc = run("convert", str(batch), "-o", str(out), "--jobs", "2", "--chunk-size", "1", "--mappings", str(custom))
    assert proc.returncode == 0, proc.stderr
    statuses = [json.loads(line)["paymentStatus"] for line in out.read_text().splitlines()]
    assert statuses == ["PAID", "PENDING", "PAID", "PENDING"]
    shipped = tmp_path / "shipped.ndjson"
    proc = run("convert", str(batch), "-o", str(shipped), "--jobs", "2", "--chunk-size", "1")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["paymentStatus"] for line in shipped.read_text().splitlines()][0] == "PARTIALLY_PAID"


def test_a_bad_custom_table_is_a_usage_error_naming_file_line_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_table("  - id: payment-status\n    op: enum\n", "  - id: payment-status\n    op: enumm\n"))
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if text == "  - id: payment-status")
    for args in (
        ("convert", str(COUPON)),
        ("check", str(COUPON)),
        ("query", str(PAID_QUERY)),
        ("mappings",),
        ("mappings", "--code"),
    ):
        proc = run(*args, "--mappings", str(bad))
        err = proc.stderr.decode()
        assert proc.returncode == 2, (args, err)
        assert f"{bad}:{line}: row 'payment-status' unknown operation 'enumm'" in err, (args, err)
        assert "Traceback" not in err


def test_a_custom_table_writing_what_ecommerce_refuses_is_a_usage_error(tmp_path: Path) -> None:
    # Validity by construction: a value the table spells out is checked against the model as it compiles.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        _table(
            "map: {UNSPECIFIED_WEIGHT_UNIT: UNSPECIFIED_WEIGHT_UNIT, KG: KG, LB: LB}",
            "map: {UNSPECIFIED_WEIGHT_UNIT: UNSPECIFIED_WEIGHT_UNIT, KG: KILO, LB: LB}",
        )
    )
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if text == "  - id: weight-unit")
    for args in (("convert", str(COUPON)), ("check", str(COUPON)), ("mappings",)):
        proc = run(*args, "--mappings", str(bad))
        err = proc.stderr.decode()
        assert proc.returncode == 2, (args, err)
        assert f"{bad}:{line}: row 'weight-unit' writes 'KILO' to weightUnit, which the eCommerce order does not allow" in err, (
            err
        )
        assert '"KG"' in err and "Traceback" not in err


def test_a_custom_table_writing_into_a_place_ecommerce_cannot_hold_is_a_usage_error(tmp_path: Path) -> None:
    # Validity by construction: where each row writes is looked up in the model as the table is loaded.
    # purchaseFlowId is a text no row of the shipped table writes (one that does is refused sooner: its
    # value would be lost, see test_a_row_writing_inside_a_place_another_row_writes_whole_is_refused).
    row = '  - id: note-in-a-number\n    op: copy\n    from: buyerNote\n    to: purchaseFlowId.note\n    type: string\n    note: "x"\n\n'
    bad = tmp_path / "bad.yaml"
    bad.write_text(_table("\norder:\n", "\norder:\n" + row))
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if text == "  - id: note-in-a-number")
    proc = run("convert", str(COUPON), "--mappings", str(bad))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert f"{bad}:{line}: row 'note-in-a-number' writes purchaseFlowId.note, which the eCommerce order does not have" in err, err
    assert "Traceback" not in err


def test_every_value_the_shipped_table_spells_out_is_one_ecommerce_allows() -> None:
    from orders_migrate.engine.conformance import model_problems, written

    table = default_plan().table
    assert model_problems(table) == []
    checked = {(row.id, path.text) for row, path, _ in written(table)}
    # Enum maps, constants, rules, line types and discount types, the address rows at each of their hosts.
    assert ("payment-status", "paymentStatus") in checked
    assert ("address-vat-type", "shippingInfo.logistics.shippingDestination.contactDetails.vatId.type") in checked
    assert ("line-description-lines", "lineItems[i].descriptionLines") in checked
    assert len(checked) >= 12


@pytest.mark.parametrize(
    ("old", "new", "row"),
    [
        ("line_type: PLAIN_TEXT", "line_type: PLAIN", "line-description-lines"),
        ("types: {some_items: SPECIFIC_ITEMS, no_items: GLOBAL}", "types: {some_items: SOME, no_items: GLOBAL}", "coupon-scope"),
        ("default: APPROVED", "default: DONE", "order-status"),
    ],
)
def test_each_kind_of_spelled_out_value_is_checked(old: str, new: str, row: str) -> None:
    from orders_migrate.engine.conformance import model_problems

    problems = model_problems(load_table(_table(old, new), "mine.yaml"))
    assert [p.row_id for p in problems] == [row], problems


def test_a_missing_custom_table_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("mappings", "--mappings", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert f"cannot read the mapping table {tmp_path / 'nope.yaml'}" in proc.stderr.decode()


def test_mappings_prints_the_custom_table(custom: Path) -> None:
    proc = run("mappings", "--mappings", str(custom))
    assert proc.returncode == 0, proc.stderr
    assert "Ours: partly paid is paid" in proc.stdout.decode()
    assert "Ours: partly paid is paid" not in run("mappings").stdout.decode()
    code = run("mappings", "--code", "--mappings", str(custom)).stdout.decode()
    assert f"# row payment-status ({custom}:" in code


def test_check_fix_uses_the_custom_table(tmp_path: Path, custom: Path) -> None:
    target = tmp_path / "order.json"
    target.write_text(COUPON.read_text())
    proc = run("check", str(target), "--fix", "--mappings", str(custom))
    assert proc.returncode == 1, proc.stderr  # fixed: the file changed
    assert json.loads(target.read_text())["paymentStatus"] == "PAID"


def test_query_uses_the_custom_tables_search_rows(tmp_path: Path) -> None:
    unsearchable = tmp_path / "unsearchable.yaml"
    unsearchable.write_text(
        _table(
            "      PARTIALLY_PAID: PARTIALLY_PAID\n    search: {filter: [$eq, $in, $ne, $nin], sort: true}\n",
            "      PARTIALLY_PAID: PARTIALLY_PAID\n",
        )
    )
    assert run("query", str(PAID_QUERY), "--strict", "--report", "none").returncode == 0
    proc = run("query", str(PAID_QUERY), "--strict", "--mappings", str(unsearchable))
    assert proc.returncode == 1, proc.stderr
    assert "paymentStatus" in proc.stderr.decode()


def test_plan_from_file_is_the_library_door(custom: Path) -> None:
    from orders_migrate import MappingError, plan_from_file

    plan = plan_from_file(str(custom))
    assert plan.table.source == str(custom)
    assert convert_order(load_json(COUPON), plan=plan).order["paymentStatus"] == "PAID"
    custom.write_text(CUSTOM.replace("    op: enum\n", "    op: enum\n    colour: red\n", 1))
    with pytest.raises(MappingError, match=rf"^{custom}:\d+: row '[a-z-]+'"):
        plan_from_file(str(custom))


def _payment_status_in_this_process(plan: Plan, payload: Any) -> tuple[str, bool]:
    from orders_migrate.engine import plan_of as cache

    return convert_order(payload, plan=plan).order["paymentStatus"], cache.cache_info().currsize > 0


def test_a_custom_plan_reaches_a_spawned_process() -> None:
    """A process that starts from nothing (spawn, as on macOS and Windows) gets the plan by pickle alone."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    plan = compile_table(load_table(CUSTOM, "custom.yaml"))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        status, compiled_there = pool.submit(_payment_status_in_this_process, plan, load_json(COUPON)).result(timeout=120)
    assert status == "PAID" and compiled_there


# ---- aliases: undocumented values the user maps to documented ones (issue 14, item 6) ------------------

ALIASES = """
aliases:
  - path: buyerInfo.identityType
    values: {NON-MEMBER: CONTACT}
  - path: lineItems[i].lineItemType
    values: {PHYSICAL_ITEM: PHYSICAL}
"""


def _aliased_plan(section: str = ALIASES) -> Plan:
    return plan_of(_table("aliases: []\n", section.lstrip("\n")), "ours.yaml")


def _undocumented_order() -> dict[str, Any]:
    order = load_json(COUPON)
    order["buyerInfo"]["identityType"] = "NON-MEMBER"
    order["lineItems"][0]["lineItemType"] = "PHYSICAL_ITEM"
    return order


def test_the_shipped_table_has_no_aliases() -> None:
    assert default_plan().table.aliases == () and default_plan().aliases is None


def test_an_alias_converts_an_undocumented_value_as_the_documented_one_and_says_so() -> None:
    order = _undocumented_order()
    before = json.dumps(order)
    result = convert_order(order, plan=_aliased_plan())
    assert json.dumps(order) == before, "the caller's order is not changed"
    # Exactly what the documented values give.
    documented = load_json(COUPON)
    documented["buyerInfo"]["identityType"] = "CONTACT"
    documented["lineItems"][0]["lineItemType"] = "PHYSICAL"
    assert result.order == convert_order(documented, plan=_aliased_plan()).order
    aliased = [(e.path, e.message) for e in result.report.entries if e.kind == "aliased"]
    assert aliased == [
        (
            "$.buyerInfo.identityType",
            "'NON-MEMBER' is not a documented Stores value; converted as 'CONTACT' by the table's aliases",
        ),
        (
            "$.lineItems[0].lineItemType",
            "'PHYSICAL_ITEM' is not a documented Stores value; converted as 'PHYSICAL' by the table's aliases",
        ),
    ]
    assert not [e for e in result.report.entries if e.kind == "unknown_value"]


def test_without_an_alias_the_value_stays_unknown() -> None:
    result = convert_order(_undocumented_order())
    unknown = {e.path for e in result.report.entries if e.kind == "unknown_value"}
    assert {"$.buyerInfo.id", "$.lineItems[0].lineItemType"} <= unknown
    assert "itemType" not in result.order["lineItems"][0]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "aliases:\n  - path: buyerInfo.identityType\n    values: {NON-MEMBER: VISITOR}\n",
            "'VISITOR' is not a documented value",
        ),
        ("aliases:\n  - path: buyerInfo.identityType\n    values: {MEMBER: CONTACT}\n", "'MEMBER' is documented already"),
        ("aliases:\n  - path: buyerNote\n    values: {a: b}\n", "no row lists the documented values of buyerNote"),
        ("aliases:\n  - path: buyerInfo.identityType\n", "each alias needs 'path'"),
        ("aliases: {NON-MEMBER: CONTACT}\n", "'aliases' must be a list"),
    ],
)
def test_a_bad_alias_is_refused_as_the_table_loads(section: str, message: str) -> None:
    with pytest.raises(MappingError) as exc:
        _aliased_plan(section)
    assert message in str(exc.value)
    assert "ours.yaml" in str(exc.value)


QUERY_ALIASES = """
aliases:
  - path: channelInfo.type
    values: {BACKOFFICE_EMPLOYEE: BACKOFFICE_MERCHANT}
  - path: paymentStatus
    values: {PAID_OFFLINE: PAID}
"""


def test_a_saved_query_searches_an_aliased_value_as_the_documented_one_and_says_so() -> None:
    fields = build_query_fields(_aliased_plan(QUERY_ALIASES).table)
    request = {
        "query": {
            "filter": {"channelInfo.type": {"$hasSome": ["BACKOFFICE_EMPLOYEE", "WEB"]}, "paymentStatus": {"$ne": "PAID_OFFLINE"}}
        }
    }
    t = translate_query(request, fields=fields)
    assert t.request == {
        "search": {"filter": {"channelInfo.type": {"$in": ["BACKOFFICE_MERCHANT", "WEB"]}, "paymentStatus": {"$ne": "PAID"}}}
    }
    assert [(e.kind, e.path, e.row) for e in t.entries] == [
        ("aliased", '$.query.filter["channelInfo.type"].$hasSome[0]', "channel-type"),
        ("aliased", "$.query.filter.paymentStatus.$ne", "payment-status"),
    ]
    assert "searched as 'BACKOFFICE_MERCHANT' by the table's aliases" in t.entries[0].message
    # Orders that held the documented value in Stores match too: more of them, and fewer under the $ne.
    assert t.matches == "more and fewer" and not t.exact
    # Without the alias the value is unknown and sent unchanged, as before.
    plain = translate_query(request)
    assert {e.kind for e in plain.entries} == {"unknown_value"}
    assert plain.request["search"]["filter"]["paymentStatus"] == {"$ne": "PAID_OFFLINE"}


def test_the_query_command_uses_the_aliases_of_its_table(tmp_path: Path) -> None:
    table = tmp_path / "ours.yaml"
    table.write_text(_table("aliases: []\n", QUERY_ALIASES.lstrip("\n")), encoding="utf-8")
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"query": {"filter": json.dumps({"paymentStatus": "PAID_OFFLINE"})}}), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "query", str(saved), "--mappings", str(table), "--report", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"search": {"filter": {"paymentStatus": "PAID"}}}
    assert [e["kind"] for e in json.loads(proc.stderr)["entries"]] == ["aliased"]


def test_explain_names_the_alias_a_value_went_by() -> None:
    plan = _aliased_plan()
    fates = {i.path: i for i in explain_order(_undocumented_order(), plan=plan).inputs}
    identity = fates["$.buyerInfo.identityType"]
    assert (identity.fate, identity.rows) == ("output", ("buyer-id",))
    assert identity.aliased == "'NON-MEMBER' is not a documented Stores value; converted as 'CONTACT' by the table's aliases"
    assert identity.to_dict()["aliased"] == identity.aliased
    assert fates["$.lineItems[0].lineItemType"].aliased is not None and fates["$.lineItems[1].lineItemType"].aliased is None
    text = io.StringIO()
    Ledger([], [identity]).write_text(text)
    assert "output: buyer-id (aliased: 'NON-MEMBER' is not a documented Stores value;" in text.getvalue()
    query_plan = _aliased_plan(QUERY_ALIASES)
    ledger = explain_query({"query": {"filter": {"paymentStatus": "PAID_OFFLINE"}}}, plan=query_plan)
    [status] = ledger.inputs
    assert status.fate == "output" and status.aliased is not None and "searched as 'PAID'" in status.aliased


def test_mappings_shows_the_aliases_section(tmp_path: Path) -> None:
    table = tmp_path / "ours.yaml"
    table.write_text(_table("aliases: []\n", ALIASES.lstrip("\n")), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "mappings", "--mappings", str(table)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    section = proc.stdout[proc.stdout.index("## Aliases") :]
    assert section.splitlines()[:6] == [
        "## Aliases: 2 undocumented values (converted as the documented Stores value, reported `aliased`)",
        "",
        "| Stores field | value seen | converted as |",
        "|---|---|---|",
        "| `buyerInfo.identityType` | `NON-MEMBER` | `CONTACT` |",
        "| `lineItems[i].lineItemType` | `PHYSICAL_ITEM` | `PHYSICAL` |",
    ]
    assert "## Aliases" not in mappings_markdown(default_plan().table)  # the shipped table has none


def test_an_alias_is_used_by_the_command_with_mappings(tmp_path: Path) -> None:
    table = tmp_path / "ours.yaml"
    table.write_text(_table("aliases: []\n", ALIASES.lstrip("\n")), encoding="utf-8")
    order = tmp_path / "order.json"
    order.write_text(json.dumps(_undocumented_order()), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orders_migrate",
            "convert",
            str(order),
            "--mappings",
            str(table),
            "-o",
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "aliased        $.buyerInfo.identityType" in proc.stderr
    assert json.loads((tmp_path / "out.json").read_text())["lineItems"][0]["itemType"] == {"preset": "PHYSICAL"}


# ---- rows writing inside what another row writes whole ------------------------------------------------

_ADDRESS_TABLE = "address:\n  - {id: ad-city, op: copy, from: city, to: address.city, note: n}\n"


def _own(rows: str) -> str:
    return "order:\n" + rows + _ADDRESS_TABLE


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        # A copied input object would change (the caller's own order), or contain itself, or be a text.
        (
            "  - {id: r1, op: copy, from: x, to: t, note: n}\n  - {id: r2, op: copy, from: y, to: t.k, note: n}\n",
            "ours.yaml:3: row 'r2' writes 't.k' inside 't', which row 'r1' (line 2) writes whole with 'copy'",
        ),
        (
            "  - {id: r1, op: copy, from: x, to: t, note: n}\n  - {id: r2, op: copy, from: x, to: 't.k[0].j', note: n}\n",
            "ours.yaml:3: row 'r2' writes 't.k[0].j' inside 't', which row 'r1' (line 2) writes whole",
        ),
        # An enum's object from the table itself.
        (
            "  - {id: r1, op: enum, from: x, to: t, values: [A], map: {A: {k: v}}, note: n}\n"
            "  - {id: r2, op: copy, from: y, to: t.z, note: n}\n",
            "ours.yaml:3: row 'r2' writes 't.z' inside 't', which row 'r1' (line 2) writes whole with 'enum'",
        ),
        # Written whole after a row wrote inside it: that row's value would be lost.
        (
            "  - {id: r2, op: copy, from: y, to: t.k, note: n}\n  - {id: r1, op: copy, from: x, to: t, note: n}\n",
            "ours.yaml:3: row 'r1' writes 't' whole, over 't.k', which row 'r2' (line 2) writes before it: that value "
            "would be lost; give this row 'unless_written: t.k'\n",
        ),
        (
            "  - {id: r2, op: copy, from: y, to: t.k, note: n}\n  - {id: r1, op: money, from: x, to: t, note: n}\n",
            "give this row 'unless_written: t.k' or put it first",
        ),
        # `unless_written` spares the value of the row it names, not another's written there too.
        (
            "  - {id: r2, op: copy, from: y, to: t.a, note: n}\n  - {id: r3, op: copy, from: z, to: t.b, note: n}\n"
            "  - {id: r1, op: copy, from: x, to: t, unless_written: t.a, otherwise: o, note: n}\n",
            "ours.yaml:4: row 'r1' writes 't' whole, over 't.b', which row 'r3' (line 3) writes before it: that value "
            "would be lost; give this row 'unless_written: t'\n",
        ),
        # A fixed index is one of a list's elements: `[0]` and `[i]` (and `[00]`) meet.
        (
            "  - {id: r2, op: copy, from: 'lineItems[i].y', to: 'lineItems[i].k', note: n}\n"
            "  - {id: r1, op: copy, from: x, to: 'lineItems[0]', note: n}\n",
            "ours.yaml:3: row 'r1' writes 'lineItems[0]' whole, over 'lineItems[i].k', which row 'r2' (line 2) writes "
            "before it: that value would be lost; give this row 'unless_written: lineItems[0]'\n",
        ),
        (
            "  - {id: r1, op: enum, from: x, to: 'lineItems[0]', values: [A], map: {A: {k: {z: 1}}}, note: n}\n"
            "  - {id: r2, op: copy, from: 'lineItems[i].y', to: 'lineItems[i].k.m', note: n}\n",
            "ours.yaml:3: row 'r2' writes 'lineItems[i].k.m' inside 'lineItems[0]', which row 'r1' (line 2) writes whole with 'enum'",
        ),
        (
            "  - {id: r2, op: copy, from: y, to: 't[00].k', note: n}\n  - {id: r1, op: copy, from: x, to: 't[0]', note: n}\n",
            "ours.yaml:3: row 'r1' writes 't[0]' whole, over 't[00].k', which row 'r2' (line 2)",
        ),
        # Two rows writing one place, one of them at every element.
        (
            "  - {id: r2, op: copy, from: 'lineItems[i].y', to: 'lineItems[i].k', note: n}\n"
            "  - {id: r1, op: copy, from: x, to: 'lineItems[0].k', note: n}\n",
            "ours.yaml:3: row 'r1' writes 'lineItems[0].k', which row 'r2' (line 2) already writes",
        ),
        # A Price may be written inside, but not where a row that may write there instead wrote a table's object.
        (
            "  - {id: r0, op: money, from: w, to: t, note: n}\n"
            "  - {id: r1, op: enum, from: x, to: t, agree: true, values: [A], map: {A: {k: {z: 1}}}, note: n}\n"
            "  - {id: r2, op: copy, from: y, to: t.k.m, note: n}\n",
            "ours.yaml:4: row 'r2' writes 't.k.m' inside 't', which row 'r1' (line 3) writes whole with 'enum'",
        ),
        (
            "  - {id: r0, op: money, from: w, to: t, note: n}\n"
            "  - {id: r1, op: enum, from: x, to: t, unless_written: t, otherwise: o, values: [A], map: {A: {k: {z: 1}}}, note: n}\n"
            "  - {id: r2, op: copy, from: y, to: t.k.m, note: n}\n",
            "ours.yaml:4: row 'r2' writes 't.k.m' inside 't', which row 'r1' (line 3) writes whole with 'enum'",
        ),
        # One value in itself, whether or not the inner place is under the row's `unless_written`.
        (
            "  - {id: r1, op: money, from: x, to: [t, t.k.z], unless_written: t.k.z, otherwise: o, note: n}\n",
            "ours.yaml:2: row 'r1' writes 't.k.z' inside 't', which it writes too",
        ),
        # The address table's rows claim their places under each address they are applied at.
        (
            "  - {id: r1, op: copy, from: x, to: billingInfo.address, note: n}\n"
            "  - {id: r2, op: address, from: a, to: billingInfo, contact: false, note: n}\n",
            "row 'ad-city' writes 'billingInfo.address.city' inside 'billingInfo.address', which row 'r1' (line 2)",
        ),
    ],
)
def test_a_row_writing_inside_a_place_another_row_writes_whole_is_refused(rows: str, said: str) -> None:
    table = load_table(_own(rows), "ours.yaml")
    for generate in (True, False):
        with pytest.raises(MappingError) as caught:
            compile_table(table, generate=generate)
        assert said in str(caught.value) + "\n"


@pytest.mark.parametrize(
    ("rows", "order", "written"),
    [
        # A Price is made for each order: a row may add to it.
        (
            "  - {id: r1, op: money, from: x, to: t, note: n}\n  - {id: r2, op: copy, from: y, to: t.k, note: n}\n",
            {"x": "1.50", "y": 2},
            {"amount": "1.50", "formattedAmount": "$1.50", "k": 2},
        ),
        # Runs only where the earlier row wrote nothing there, or only cross-checks what is there.
        (
            "  - {id: r2, op: copy, from: y, to: t.k, note: n}\n"
            "  - {id: r1, op: copy, from: x, to: t, unless_written: t, otherwise: kept elsewhere, note: n}\n",
            {"x": {"a": 1}, "y": 2},
            {"k": 2},
        ),
        (
            "  - {id: r2, op: copy, from: y, to: t.k, note: n}\n  - {id: r1, op: copy, from: x, to: t, agree: true, note: n}\n",
            {"x": {"k": 2}, "y": 2},
            {"k": 2},
        ),
    ],
)
def test_a_row_may_write_inside_an_object_made_for_each_order(rows: str, order: dict[str, Any], written: Any) -> None:
    from orders_migrate.engine.context import Ctx
    from orders_migrate.money import formatter

    table = load_table(_own(rows), "ours.yaml")
    for generate in (True, False):
        plan, given = compile_table(table, generate=generate), json.loads(json.dumps(order))
        out: dict[str, Any] = {}
        ctx = Ctx(formatter("USD", "en_US"), "USD", out)
        for step in plan.steps:
            step(given, out, ctx, ())
        assert out["t"] == written
        assert given == order  # the caller's input is as it was


def test_the_cli_refuses_a_table_that_would_change_a_copied_value(tmp_path: Path) -> None:
    # The shipped table with one more row writing inside the copied order number.
    row = (
        '  - id: note-in-the-number\n    op: copy\n    from: buyerNote\n    to: number.note\n    type: string\n    note: "x"\n\n'
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(_table("\norder:\n", "\norder:\n" + row))
    proc = run("convert", str(COUPON), "--mappings", str(bad))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "row 'order-number' writes 'number' whole, over 'number.note', which row 'note-in-the-number'" in err, err
    assert "Traceback" not in err and not proc.stdout


def test_a_row_may_not_write_what_each_writes_in_every_element() -> None:
    # The fulfillment rows write each fulfillment's id: another value there would silently replace it.
    row = "  - id: fulfillment-id-again\n    op: copy\n    from: fulfillments[i].id\n    to: fulfillments[i].id\n    note: n\n\n"
    anchor = "  - id: fulfillment-names-a-line-item\n"
    with pytest.raises(
        MappingError, match="row 'fulfillment-id-again' writes 'fulfillments\\[i\\].id', which row 'order-fulfillments'"
    ):
        compile_table(load_table(_table(anchor, row + anchor), "ours.yaml"))


def test_a_row_may_write_inside_what_each_makes_for_each_order() -> None:
    # `each` makes a new list of new objects for each order: a row of the companion may add to every element.
    row = (
        "  - id: fulfillment-tracking-copy\n    op: copy\n    from: fulfillments[i].trackingInfo.trackingNumber\n"
        "    to: fulfillments[i].ours.trackingNumber\n    type: string\n    note: n\n\n"
    )
    anchor = "  - id: fulfillment-names-a-line-item\n"
    plan = compile_table(load_table(_table(anchor, row + anchor), "ours.yaml"))
    order = load_json(COUPON)
    (fulfillment,) = convert_order(order, plan=plan, companions=True).companions["orderWithFulfillments"]["fulfillments"]
    assert fulfillment["ours"] == {"trackingNumber": order["fulfillments"][0]["trackingInfo"]["trackingNumber"]}
    assert fulfillment["trackingInfo"]["trackingNumber"] == fulfillment["ours"]["trackingNumber"]


@pytest.mark.parametrize(
    ("rows", "order"),
    [
        # same_value with no type writes the one value of several places: the caller's own object.
        (
            "  - {id: r1, op: same_value, from: ['lineItems[i].x', y], to: t, note: n}\n",
            {"lineItems": [{"x": {"a": 1}}], "y": {"a": 1}},
        ),
        ("  - {id: r1, op: same_value, from: y, to: t, type: array, note: n}\n", {"y": [1]}),
        # A rule's object, an enum's, is the table's own: each order gets a copy of it, of its objects too.
        ("  - {id: r1, op: enum, from: k, to: t, values: [A], map: {A: {k: {z: 1}}}, note: n}\n", {"k": "A"}),
        ("  - {id: r1, op: enum, from: k, to: t, values: [A, B], map: {A: [x], B: {k: v}}, note: n}\n", {"k": "A"}),
        (
            "  - {id: r1, op: first_match, from: [k], rules: [{when: {k: A}, value: {z: 1}}], default: D, to: t, note: n}\n",
            {"k": "A"},
        ),
    ],
)
def test_a_row_writing_an_object_writes_a_copy(rows: str, order: dict[str, Any]) -> None:
    from orders_migrate.engine.context import Ctx
    from orders_migrate.money import formatter

    table = load_table(_own(rows), "ours.yaml")
    for generate in (True, False):
        plan, given = compile_table(table, generate=generate), json.loads(json.dumps(order))
        written = []
        for _ in range(2):
            out: dict[str, Any] = {}
            for step in plan.steps:
                step(given, out, Ctx(formatter("USD", "en_US"), "USD", out), ())
            written.append(out["t"])
        assert written[0] == written[1]
        assert not _containers(written[0]) & _containers(written[1])
        assert not _containers(written[0]) & _containers(given)


def _containers(value: Any) -> set[int]:
    found, stack = set(), [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            found.add(id(v))
            stack.extend(v.values() if isinstance(v, dict) else v)
    return found


def test_the_address_table_is_held_to_its_claims_where_no_row_applies_it() -> None:
    # convert_address applies it alone: a row inside a copied street is refused there too.
    table = load_table(
        "order:\n  - {id: r, op: copy, from: id, to: id, note: n}\naddress:\n"
        "  - {id: a1, op: copy, from: street, to: address.street, note: n}\n"
        "  - {id: a2, op: copy, from: number, to: address.street.number, note: n}\n",
        "ours.yaml",
    )
    for generate in (True, False):
        with pytest.raises(MappingError, match="ours.yaml:5: row 'a2' writes 'address.street.number' inside 'address.street'"):
            compile_table(table, generate=generate)
