"""The recorded validator schemas (models/recorded.py) are exactly what the models build, are used only
where they are, and spare `check` and a validated `convert` the building of the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic_core
import pytest

from orders_migrate.models import recorded
from orders_migrate.models.recorded import RECORD, RECORDED_NAMES, live_schema, model_of_recorded, record, recorded_schema

ROOT = Path(__file__).resolve().parents[1]


def _lists(value: Any) -> Any:
    # JSON has no tuples: a recorded (1, 2) comes back as [1, 2], which pydantic-core reads the same.
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def test_the_record_is_what_the_models_build_now() -> None:
    # When this fails after a model or pydantic changed: python -m orders_migrate.models
    assert RECORD.read_bytes() == record(), "the recorded schemas are stale: run python -m orders_migrate.models"


@pytest.mark.parametrize("name", RECORDED_NAMES)
def test_each_recorded_schema_equals_the_live_one(name: str) -> None:
    found = recorded_schema(name)
    assert found is not None
    assert _lists(found) == _lists(live_schema(model_of_recorded(name)))


def test_the_record_names_no_address_of_this_process() -> None:
    # pydantic's refs carry the class's id(); kept, the record would differ on every machine and run.
    text = RECORD.read_text(encoding="utf-8")
    assert '"ref": "orders_migrate.models.ecom.EcomOrder"' in text
    assert "EcomOrder:" not in text


def test_another_pydantic_core_or_changed_models_build_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded._record.cache_clear()
    monkeypatch.setattr(pydantic_core, "__version__", "0.0.0")
    try:
        assert recorded_schema("ecom") is None
    finally:
        recorded._record.cache_clear()
    monkeypatch.undo()
    monkeypatch.setattr(recorded, "SOURCES", (*recorded.SOURCES, "validate.py"))  # as if a source changed
    try:
        assert recorded_schema("ecom") is None
    finally:
        recorded._record.cache_clear()
    monkeypatch.undo()
    assert recorded_schema("ecom") is not None


def test_a_record_that_cannot_be_read_builds_the_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "recorded_schemas.json"
    broken.write_text("{not json", encoding="utf-8")
    recorded._record.cache_clear()
    monkeypatch.setattr(recorded, "RECORD", broken)
    try:
        assert recorded_schema("ecom") is None
    finally:
        recorded._record.cache_clear()


def test_a_schema_function_the_record_cannot_name_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot name"):
        recorded._plain({"type": "function-before", "function": {"function": len}}, [], [])


def test_validating_with_the_record_builds_no_model() -> None:
    order = next(p for p in sorted((ROOT / "fixtures" / "ecom").glob("*.json")) if not p.name.endswith(".report.json"))
    code = (
        "import sys, json; from orders_migrate.models.validate import validate_ecom_order, validate_companion\n"
        f"doc = json.load(open({str(order)!r}))\n"
        "bad = dict(doc, status='SOMETHING')\n"
        "print(len(validate_ecom_order(doc)), len(validate_ecom_order(bad)), len(validate_companion('orderTransactions', {'payments': 3})))\n"
        "print('pydantic' in sys.modules, 'orders_migrate.models.ecom' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.split() == ["0", "1", "1", "False", "False"]
