"""The generated code can be read: each scope registered under its own name (tracebacks show the line),
every row's block opens with a comment naming the row, and a failure inside is noted with that row."""

from __future__ import annotations

import linecache
import subprocess
import sys
import traceback
from typing import Any

import pytest

from conftest import ROOT
from orders_migrate import compile_table, convert_order, default_plan, load_table
from orders_migrate.engine.generated import note_row, row_lines
from orders_migrate.engine.ops import copying
from orders_migrate.engine.table import default_table_text


def _all_rows() -> list[Any]:
    table = default_plan().table
    return [*table.order, *table.address, *table.checks, *table.fulfillment, *table.refund]


def test_a_failure_inside_generated_code_shows_the_line_and_the_row(
    monkeypatch: pytest.MonkeyPatch, coupon_order: dict[str, Any]
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("an operation failed")

    # The generator binds its helpers when it compiles: a plan compiled now calls the broken one.
    monkeypatch.setattr(copying, "_wrong_type", broken)
    plan = compile_table(load_table(*default_table_text()))
    order = coupon_order
    order["lineItems"][0]["name"] = 5  # a wrong type: the line-name row calls _wrong_type
    with pytest.raises(RuntimeError):
        try:
            convert_order(order, plan=plan)
        except RuntimeError:
            text = traceback.format_exc()
            raise
    assert "<orders-migrate plan: lineItems[i] " in text, text
    assert "_wrong_type(ctx, " in text, "the traceback shows the generated line"
    line = next(r.line for r in _all_rows() if r.id == "line-name")
    assert f"in the generated code of row 'line-name' (mappings.yaml:{line})" in text


def test_every_row_has_its_comment_and_every_scope_its_own_name() -> None:
    plan = default_plan()
    sources = plan.source()
    names = list(sources)
    assert any(n.startswith("<orders-migrate plan: order ") for n in names)
    assert any(n.startswith("<orders-migrate plan: lineItems[i] ") for n in names)
    assert any(n.startswith("<orders-migrate unmapped: order ") for n in names)
    everything = "\n".join(sources.values())
    for row in _all_rows():
        assert f"# row {row.id} (mappings.yaml:{row.line})\n" in everything, row.id
    for name, code in sources.items():
        compile(code, name, "exec")  # each scope's source is whole, valid Python
        assert linecache.getlines(name) == code.splitlines(keepends=True), "a traceback finds the source"
        assert not any("\t" in line or (len(line) - len(line.lstrip())) % 4 for line in code.splitlines()), name


def test_generated_lines_stay_short_but_for_a_long_message() -> None:
    long = [
        line.strip()
        for code in default_plan().source().values()
        for line in code.splitlines()
        if len(line) > 120 and not line.strip().startswith(("'", "describe("))
    ]
    assert long == []


def test_two_tables_in_one_process_keep_their_own_lines() -> None:
    text, source = default_table_text()
    other = text.replace("      PARTIALLY_PAID: PARTIALLY_PAID\n", "      PARTIALLY_PAID: PAID\n", 1)
    assert other != text
    mine = compile_table(load_table(other, "custom.yaml")).source()
    shipped = default_plan().source()
    changed = set(mine) - set(shipped)
    assert changed, "the changed scope gets a name of its own"
    assert all("custom.yaml:" in mine[name] for name in changed), "only plan scopes, whose comments name the file"
    assert any("# row payment-status (custom.yaml:" in mine[name] for name in changed)
    for name, code in shipped.items():
        assert linecache.getlines(name) == code.splitlines(keepends=True), "the shipped plan's lines are its own"


def test_mappings_code_prints_every_scope() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "orders_migrate", "mappings", "--code"], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for name in default_plan().source():
        assert f"# ==== {name} ====\n" in out
    assert out.count("def fused(src, out, ctx, idx):") == sum(1 for n in default_plan().source() if "plan:" in n)
    payment = next(r for r in _all_rows() if r.id == "payment-status")
    assert f"# row payment-status (mappings.yaml:{payment.line})" in out
    assert "# row line-name (mappings.yaml:" in out


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_a_failure_outside_any_row_is_not_put_down_to_one() -> None:
    code = (
        "def f(n):\n"
        "    try:\n"
        "        if n == 3: raise ValueError\n"
        "        # row a (t.yaml:9)\n"
        "        if n == 5: raise ValueError\n"
        "        # a step of its own\n"
        "        if n == 7: raise ValueError\n"
        "    except Exception as e:\n"
        "        _note_row(e, ROWS)\n"
        "        raise\n"
    )
    namespace: dict[str, Any] = {"_note_row": note_row, "ROWS": row_lines(code)}
    exec(compile(code, "<test>", "exec"), namespace)  # noqa: S102 - the test's own code
    for line, says in ((3, "reading the scope's input"), (5, "row 'a' (t.yaml:9)"), (7, "a step the generated code calls")):
        with pytest.raises(ValueError) as err:
            namespace["f"](line)
        assert len(err.value.__notes__) == 1 and says in err.value.__notes__[0]
