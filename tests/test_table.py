"""Loading mappings.yaml validates every row up front and names the row and line of each problem."""

from __future__ import annotations

import textwrap

import pytest

from orders_migrate import MappingError, compile_table, default_plan, load_table
from orders_migrate.engine.table import default_table_text
from orders_migrate.render import mappings_markdown


def _table(order_rows: str, address_rows: str = "") -> str:
    return (
        "order:\n"
        + textwrap.indent(textwrap.dedent(order_rows), "  ")
        + "\naddress:\n"
        + (textwrap.indent(textwrap.dedent(address_rows), "  ") if address_rows else "  []\n")
    )


def _compile(text: str) -> None:
    compile_table(load_table(text))


GOOD_ROW = """\
- id: order-id
  op: copy
  from: id
  to: id
  note: "Order table: id -> id"
"""


def test_the_shipped_table_compiles_into_a_frozen_plan() -> None:
    plan = default_plan()
    assert len(plan.table.order) + len(plan.table.address) >= 110
    assert len(plan.table.address) >= 13
    with pytest.raises(AttributeError):
        plan.steps = ()  # type: ignore[misc]


def test_a_good_table_compiles() -> None:
    _compile(_table(GOOD_ROW))


def test_unknown_operation_names_row_and_line() -> None:
    text = _table(GOOD_ROW + '- id: mystery\n  op: teleport\n  from: number\n  to: number\n  note: "x"\n')
    with pytest.raises(MappingError) as err:
        _compile(text)
    assert err.value.row_id == "mystery"
    assert err.value.line == 7
    assert "unknown operation 'teleport'" in str(err.value)
    assert "mappings.yaml:7: row 'mystery'" in str(err.value)


def test_malformed_path_is_refused() -> None:
    text = _table('- id: bad-path\n  op: copy\n  from: "lineItems[x].name"\n  to: id\n  note: "x"\n')
    with pytest.raises(MappingError, match="bad-path.*malformed path 'lineItems\\[x\\].name'"):
        _compile(text)


def test_two_rows_writing_one_target_is_an_error_unless_the_second_agrees() -> None:
    second = '- id: also-id\n  op: copy\n  from: cartId\n  to: id\n  note: "x"\n'
    with pytest.raises(MappingError, match="also-id.*already writes"):
        _compile(_table(GOOD_ROW + second))
    _compile(_table(GOOD_ROW + second.replace('  note: "x"', '  agree: true\n  note: "x"')))


def test_enum_map_missing_a_source_value_is_an_error() -> None:
    row = """\
    - id: pay
      op: enum
      from: paymentStatus
      to: paymentStatus
      values: [PAID, NOT_PAID]
      map: {PAID: PAID}
      note: "x"
    """
    with pytest.raises(MappingError, match="'pay'.*no entry for the source value 'NOT_PAID'"):
        _compile(_table(row))


def test_split_without_a_case_for_a_value_is_an_error() -> None:
    row = """\
    - id: who
      op: split
      from: buyerInfo.id
      by: buyerInfo.identityType
      values: [MEMBER, CONTACT]
      cases: {MEMBER: buyerInfo.memberId}
      note: "x"
    """
    with pytest.raises(MappingError, match="'who'.*no case for the discriminator value 'CONTACT'"):
        _compile(_table(row))


def test_duplicate_row_ids_are_refused() -> None:
    with pytest.raises(MappingError, match="duplicate row id"):
        _compile(_table(GOOD_ROW + GOOD_ROW.replace("from: id", "from: number").replace("to: id", "to: number")))


def test_a_row_without_a_note_is_refused() -> None:
    with pytest.raises(MappingError, match="no 'note'"):
        _compile(_table("- id: n\n  op: copy\n  from: id\n  to: id\n"))


def test_a_row_iterating_a_list_must_run_inside_it() -> None:
    row = '- id: mixed\n  op: copy\n  from: "lineItems[i].name"\n  to: title\n  note: "x"\n'
    with pytest.raises(MappingError, match="'mixed'.*has \\[i\\]"):
        _compile(_table(row))


def test_yaml_python_object_tags_are_refused() -> None:
    text = "order: !!python/object/apply:os.system ['echo pwned']\naddress: []\n"
    with pytest.raises(MappingError, match="not valid YAML"):
        load_table(text)


def test_not_yaml_at_all_is_a_clear_error() -> None:
    with pytest.raises(MappingError, match=r"mappings.yaml:\d+: not valid YAML"):
        load_table("order:\n  - [unclosed\n")


@pytest.mark.parametrize(
    "rows,line,key",
    [
        # a row's second target would replace its first without a word
        (GOOD_ROW.replace("  to: id\n", "  to: id\n  to: number\n"), 6, "to"),
        # an enum map's second entry for one source value would replace the first
        (
            "- id: status\n  op: enum\n  from: paymentStatus\n  to: paymentStatus\n  values: [PAID, NOT_PAID]\n"
            "  map:\n    PAID: PAID\n    NOT_PAID: NOT_PAID\n    PAID: NOT_PAID\n  note: x\n",
            10,
            "PAID",
        ),
    ],
    ids=["row key", "enum map entry"],
)
def test_a_repeated_key_is_refused_at_its_line(rows: str, line: int, key: str) -> None:
    with pytest.raises(MappingError) as err:
        load_table(_table(rows))
    assert err.value.line == line
    assert f"the key {key!r} repeats the one on line {line - 1 if key == 'to' else line - 2}" in str(err.value)


def test_a_repeated_key_is_refused_by_the_pure_python_loader_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where PyYAML has no libyaml the pure loader reads the table: it must refuse the same.
    import importlib

    import yaml

    from orders_migrate.engine import yaml_loader

    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    pure = importlib.reload(yaml_loader)
    try:
        assert pure._SafeLoader is yaml.SafeLoader
        with pytest.raises(MappingError, match="the key 'to' repeats the one on line 5"):
            pure.load_yaml(_table(GOOD_ROW.replace("  to: id\n", "  to: id\n  to: number\n")), "mappings.yaml")
    finally:
        monkeypatch.undo()
        importlib.reload(yaml_loader)


def test_a_key_merged_in_may_be_overridden() -> None:
    # `<<: *base` then the row's own key: YAML's merge, an override on purpose, not a repeated key
    text = "base: &base {op: copy, from: id, to: id, note: x}\n" + _table("- <<: *base\n  id: order-id\n  to: number\n")
    assert [p.text for p in load_table(text).order[0].writes["value"]] == ["number"]


def test_the_loaders_own_line_key_is_refused() -> None:
    with pytest.raises(MappingError, match="'__line__' is the loader's own"):
        load_table(_table(GOOD_ROW + "  __line__: 1\n"))


def test_markdown_has_a_line_per_row() -> None:
    md = mappings_markdown(default_plan().table)
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(rows) >= 110
    assert "| `line-item-id` |" in md
    assert "TRACKING_LINK_ADDED" in md
    # Every section with rows, the companions' too: the docs show every rule the converter has.
    table = default_plan().table
    sections = (
        table.order,
        table.address,
        table.checks,
        table.fulfillment,
        table.refund,
        table.order_fulfillments,
        table.order_transactions,
        table.velo,
        table.webhooks,
    )
    assert len(rows) == sum(len(s) for s in sections)
    assert "## Webhooks:" in md and "| `refund-event` |" in md
    assert "## OrderTransactions (companion):" in md and "## OrderWithFulfillments (companion):" in md


def test_a_misspelled_row_key_is_refused_not_ignored() -> None:
    text = _table(GOOD_ROW.replace('  note: "Order table: id -> id"', '  unles_present: cartId\n  note: "x"'))
    with pytest.raises(MappingError, match="'order-id'.*unknown key 'unles_present' for operation 'copy'"):
        compile_table(load_table(text))


@pytest.mark.parametrize(
    "row,key",
    [
        ("- id: x\n  op: money\n  from: totals.tax\n  to: taxSummary.x\n  type: string\n  note: n\n", "type"),
        ("- id: x\n  op: to_number\n  from: a\n  to: b\n  search: {filter: [$eq]}\n  note: n\n", "search"),
        ("- id: x\n  op: copy\n  from: a\n  to: b\n  sum: lineItems[i].quantity\n  note: n\n", "sum"),
    ],
    ids=["param-of-another-op", "search-on-an-unsearchable-op", "path-param-of-another-op"],
)
def test_a_key_the_rows_operation_does_not_read_is_refused(row: str, key: str) -> None:
    """Each operation declares the keys it reads (engine.ops.OPERATIONS); a key of another one is a mistake."""
    text, _ = default_table_text()
    text = text.replace("\norder:\n", "\norder:\n" + "\n".join("  " + line for line in row.splitlines()) + "\n", 1)
    with pytest.raises(MappingError, match=rf"row 'x'.*unknown key '{key}' for operation"):
        compile_table(load_table(text))


# Conditions on what earlier rows wrote (if_written / unless_written): each skipped input has a reason.
_WRITTEN_ROWS = """\
- id: order-id
  op: copy
  from: id
  to: id
  note: "x"
- id: number-beside-id
  op: copy
  from: number
  to: info.number
  type: integer
  if_written: id
  otherwise: "no id was written"
  note: "x"
"""


def test_a_row_under_if_written_runs_only_after_the_place_was_written_and_reports_otherwise() -> None:
    plan = compile_table(load_table(_table(_WRITTEN_ROWS)))
    ran = plan.convert({"id": "a", "number": 7, "numericId": 1}, validate=False)
    assert ran.order["info"] == {"number": 7}
    skipped = plan.convert({"number": 7, "numericId": 1}, validate=False)
    assert "info" not in skipped.order
    assert [(e.kind, e.path, e.message, e.row) for e in skipped.report.entries if e.row == "number-beside-id"] == [
        ("dropped", "$.number", "no id was written", "number-beside-id")
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('  otherwise: "no id was written"\n', "may not run \\(its condition on 'id'\\): say why in 'otherwise'"),
        ("  if_written: id\n", "'otherwise' says why a row did not write: it needs 'if_written' or 'unless_written'"),
        ("  if_written: id\n", None),
    ],
)
def test_an_output_condition_is_checked_when_the_table_loads(change: str, message: str | None) -> None:
    if message is None:
        text = _table(_WRITTEN_ROWS.replace("if_written: id", "if_written: lineItems[i].id"))
        message = "'if_written' names one output place, not 'lineItems\\[i\\].id'"
    else:
        text = _table(_WRITTEN_ROWS.replace(change, ""))
    with pytest.raises(MappingError, match=message) as err:
        load_table(text)
    assert err.value.row_id == "number-beside-id"


def test_opposite_output_conditions_on_one_place_make_a_pair_that_may_write_one_target() -> None:
    pair = """\
- id: order-id
  op: copy
  from: id
  to: id
  note: "x"
- id: number-when-id
  op: copy
  from: number
  to: ref
  type: integer
  if_written: id
  note: "x"
- id: number-without-id
  op: copy
  from: number
  to: id
  type: integer
  unless_written: id
  note: "x"
"""
    plan = compile_table(load_table(_table(pair)))
    assert plan.convert({"id": "a", "number": 7, "numericId": 1}, validate=False).order == {"id": "a", "ref": 7}
    assert plan.convert({"number": 7, "numericId": 1}, validate=False).order == {"id": 7}
    with pytest.raises(MappingError, match="say why in 'otherwise'"):
        load_table(_table(pair.replace("unless_written: id", "unless_written: ref")))


_PAIR = """\
- id: order-id
  op: copy
  from: id
  to: id
  note: "x"
- id: order-number
  op: copy
  from: numericId
  to: info.n
  type: integer
  note: "x"
- id: number-when-id
  op: copy
  from: number
  to: ref
  type: integer
  if_written: id
  note: "x"
- id: number-without-id
  op: copy
  from: number
  to: id
  type: integer
  unless_written: id
  note: "x"
"""


@pytest.mark.parametrize(
    "pair",
    [
        # A row between the two writes the place: the first is skipped (not written yet), the second too.
        _PAIR.replace('- id: order-id\n  op: copy\n  from: id\n  to: id\n  note: "x"\n', "").replace(
            "- id: number-without-id\n",
            '- id: order-id\n  op: copy\n  from: id\n  to: id\n  note: "x"\n- id: number-without-id\n',
        ),
        # Two conditions each are not opposite: with both places written (or neither) neither row runs.
        _PAIR.replace("if_written: id\n", "if_written: id\n  unless_written: info.n\n").replace(
            "unless_written: id\n", "unless_written: id\n  if_written: info.n\n"
        ),
        # A condition on the input that only one of the two has: the other may skip too.
        _PAIR.replace("unless_written: id\n", "unless_written: id\n  when: {paymentStatus: [PAID]}\n"),
    ],
    ids=["a-row-between-writes-the-place", "two-conditions-each", "an-input-condition-on-one"],
)
def test_a_pair_that_may_both_be_skipped_is_no_pair(pair: str) -> None:
    with pytest.raises(MappingError, match="say why in 'otherwise'"):
        load_table(_table(pair))


def test_a_pair_with_the_same_input_condition_is_a_pair() -> None:
    when = "  when: {paymentStatus: [PAID]}\n"
    pair = _PAIR.replace("if_written: id\n", "if_written: id\n" + when).replace(
        "unless_written: id\n", "unless_written: id\n" + when
    )
    plan = compile_table(load_table(_table(pair)))
    assert plan.convert({"number": 7, "numericId": 1, "paymentStatus": "PAID"}, validate=False).order["id"] == 7


def test_an_address_row_skipped_by_an_output_condition_names_the_input_at_its_place_in_the_order() -> None:
    address = """\
- id: a-city
  op: copy
  from: city
  to: address.city
  type: string
  note: "x"
- id: a-zip
  op: copy
  from: zipCode
  to: address.postalCode
  type: string
  unless_written: address.city
  otherwise: "the city is enough"
  note: "x"
"""
    rows = (
        GOOD_ROW + '- id: billing\n  op: address\n  from: billingInfo.address\n  to: billingInfo\n  contact: true\n  note: "x"\n'
    )
    for generate in (True, False):
        plan = compile_table(load_table(_table(rows, address)), generate=generate)
        order = {"id": "a", "numericId": 1, "billingInfo": {"address": {"city": "c", "zipCode": "z"}}}
        result = plan.convert(order, validate=False)
        assert result.order["billingInfo"] == {"address": {"city": "c"}}
        assert [(e.kind, e.path) for e in result.report.entries if e.row == "a-zip"] == [
            ("dropped", "$.billingInfo.address.zipCode")
        ]


@pytest.mark.parametrize(
    ("condition", "key"),
    [("if_present: _id", "if_present"), ("when: {paymentStatus: [PAID]}", "when"), ("unless_written: id", "unless_written")],
)
def test_a_condition_on_a_velo_row_is_refused_not_ignored(condition: str, key: str) -> None:
    velo = (
        f'velo:\n  - id: velo-id\n    op: move\n    from: _id\n    to: id\n    {condition}\n    otherwise: "x"\n    note: "x"\n'
    )
    if key != "unless_written":
        velo = velo.replace('    otherwise: "x"\n', "")
    with pytest.raises(MappingError, match=rf"row 'velo-id' '{key}' is not read by the Velo rows"):
        compile_table(load_table(velo + _table(GOOD_ROW)))


def test_the_shipped_gift_card_rows_swapped_are_refused_not_written_twice() -> None:
    text, _ = default_table_text()
    first, second, after = (
        text.index("  - id: gift-card-payment\n"),
        text.index("  - id: gift-card-paid-whole\n"),
        text.index("  - id: payment-method\n"),
    )
    # gift-card-paid-whole first writes payments[0], and then gift-card-payment (if_written) would run too.
    swapped = text[:first] + text[second:after] + text[first:second] + text[after:]
    with pytest.raises(MappingError, match="row 'gift-card-paid-whole' may not run"):
        load_table(swapped)


def _markdown_rows() -> dict[str, str]:
    """Each row's line of `orders-migrate mappings`, by row id."""
    text = mappings_markdown(default_plan().table)
    return {line.split(" | ")[0].strip("| `"): line for line in text.splitlines() if line.startswith("| `")}


def test_mappings_shows_each_enum_map() -> None:
    rows = _markdown_rows()
    assert "enum<br>map `UNSPECIFIED_PAYMENT_STATUS` -> `UNSPECIFIED`<br>kept `PENDING`, `NOT_PAID`," in rows["payment-status"]
    assert "map `CANCELED` -> ~<br>kept `NOT_FULFILLED`" in rows["fulfillment-status"]
    assert "`CUSTOM_AMOUNT_ITEM` -> `{custom: CUSTOM_AMOUNT_ITEM}`" in rows["line-item-type"]
    assert "enum<br>map keeps `UNSPECIFIED_WEIGHT_UNIT`, `KG`, `LB` |" in rows["weight-unit"]
    assert "map" not in rows["order-id"].split(" | ")[3]


def test_mappings_shows_when_each_row_runs() -> None:
    rows = _markdown_rows()
    assert "| positive_money<br>unless_written `payments[0]` |" in rows["gift-card-paid-whole"]
    assert "| amount_less<br>unless `paymentStatus` in NOT_PAID, PARTIALLY_PAID |" in rows["payment-amount"]
    assert "<br>if_present `shippingInfo.pickupDetails`" in rows["pickup-method"]
    assert "<br>" not in rows["order-id"].split(" | ")[3]
