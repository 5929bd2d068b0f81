"""Start-up builds only what a command needs: the package name alone imports nothing heavy, the CLI
imports the engine but not the batch driver, the query translator, the webhooks or the pydantic models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120)
    return set(proc.stdout.decode().split())


def test_the_package_name_alone_imports_nothing_of_its_own() -> None:
    loaded = _loaded_after("import orders_migrate")
    assert {m for m in loaded if m.startswith("orders_migrate.")} == set()


@pytest.mark.parametrize(
    "heavy",
    ["pydantic", "orders_migrate.batch.driver", "orders_migrate.query.translate", "orders_migrate.webhooks", "rich"],
)
def test_the_cli_starts_without_what_a_command_may_not_need(heavy: str) -> None:
    assert heavy not in _loaded_after("import orders_migrate.cli")


def test_a_name_of_the_package_is_imported_on_first_use() -> None:
    loaded = _loaded_after("from orders_migrate import convert_order, translate_query")
    assert {"orders_migrate.convert", "orders_migrate.query.translate"} <= loaded
    assert "pydantic" not in loaded  # the models too are built only on first use


def test_checking_or_converting_builds_no_model() -> None:
    # The Stores model serves --strict and `schema stores`; validating an output needs the eCommerce
    # schema, which is recorded (models/recorded.py): no model is built, pydantic is not even imported.
    loaded = _loaded_after("from orders_migrate.models.validate import invalid_entries; invalid_entries({})")
    assert "pydantic_core" in loaded
    assert {"pydantic", "orders_migrate.models.ecom", "orders_migrate.models.stores"}.isdisjoint(loaded)
    loaded = _loaded_after("from orders_migrate.models import StoresOrder")
    assert "orders_migrate.models.stores" in loaded


def test_checking_an_ecommerce_file_compiles_no_rows() -> None:
    # Telling the records apart needs the table's markers and webhook shapes, not its generated code.
    order = next(p for p in sorted((ROOT / "fixtures" / "ecom").glob("*.json")) if not p.name.endswith(".report.json"))
    code = (
        "import sys; from orders_migrate.check import check_file; "
        f"r = check_file({str(order)!r}); print(r.orders, len(r.findings), 'orders_migrate.engine.compile' in sys.modules, "
        "'orders_migrate.engine.ops' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120, text=True)
    assert proc.stdout.split() == ["1", "0", "False", "False"]  # not even the operations are imported


def test_the_cli_lists_its_webhook_kinds_without_compiling_rows() -> None:
    code = (
        "import sys, typer.main, orders_migrate.cli as c; "
        "typer.main.get_command(c.app); print('orders_migrate.engine.compile' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120, text=True)
    assert proc.stdout.split() == ["False"]


def test_a_name_of_the_engine_loads_its_own_module_on_first_use() -> None:
    loaded = _loaded_after("from orders_migrate.engine import Routing, default_routing; default_routing()")
    assert "orders_migrate.engine.routing" in loaded
    assert "orders_migrate.engine.compile" not in loaded
    loaded = _loaded_after("from orders_migrate.engine import default_plan")
    assert "orders_migrate.engine.compile" in loaded


def test_the_engine_refuses_a_name_it_does_not_have() -> None:
    import orders_migrate.engine as engine

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = engine.nothing


def test_a_batch_off_a_terminal_never_loads_rich() -> None:
    # The bar and the summary table are for a terminal (orders_migrate.terminal); a job runner's batch,
    # a pipe or CI needs neither.
    loaded = _loaded_after(
        "from orders_migrate.batch.driver import run_batch; from orders_migrate.progress import make_progress, print_summary; "
        "import io; make_progress(io.StringIO(), 10).close()"
    )
    assert "orders_migrate.batch.driver" in loaded
    assert "rich" not in loaded


@pytest.mark.parametrize("command", ["check", "convert"])
def test_a_one_file_command_off_a_terminal_imports_neither_pydantic_nor_rich(command: str, tmp_path: Path) -> None:
    # Our options are paths, strings, integers and choices, checked by us; a typer that coerces them
    # through pydantic TypeAdapters (0.29) spends a fifth of a one-file run importing and building them.
    order = ROOT / "fixtures" / ("ecom" if command == "check" else "stores") / "member_with_tax.json"
    argv = [command, str(order)] + (["-o", str(tmp_path / "out.json")] if command == "convert" else [])
    code = (
        "import sys; from orders_migrate.cli import main\n"
        f"sys.argv = ['orders-migrate', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, 'pydantic' in sys.modules, 'rich' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, text=True)
    assert proc.stderr.split()[-3:] == ["0", "False", "False"]
