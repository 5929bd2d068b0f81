"""``diff-mappings``: an edit of the table, converted on real records with both tables, per row changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from orders_migrate.engine.table import default_table_text

PARTLY_PAID = "      PARTIALLY_PAID: PARTIALLY_PAID\n    search:"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text, _ = default_table_text()
    assert text.count(old) == 1, old
    path = tmp_path / "new.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "orders_migrate", *args], capture_output=True, cwd=ROOT, timeout=300, check=False
    )


def test_an_enum_edit_names_its_row_the_records_and_the_values(tmp_path: Path) -> None:
    new = _edited(tmp_path, PARTLY_PAID, "      PARTIALLY_PAID: PAID\n    search:")
    proc = run("diff-mappings", "mappings.yaml", str(new), "fixtures/stores", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["changed"] == 1 and doc["records"] >= 10
    (row,) = doc["rows"]
    assert row["row"] == "payment-status" and row["records"] == 1
    assert row["examples"] == [
        {
            "record": "fixtures/stores/coupon_partially_fulfilled.json",
            "path": "$.paymentStatus",
            "old": "PARTIALLY_PAID",
            "new": "PAID",
        }
    ]


@pytest.mark.parametrize(
    ("old", "new", "inputs", "row"),
    [
        ("to: trackingInfo.trackingNumber", "to: trackingInfo.trackingNo", "fixtures/stores", "(the orderWithFulfillments rows)"),
        ("slug: approved,", "slug: approved_x,", "fixtures/webhooks", "webhook order-created"),
    ],
)
def test_an_edit_of_companion_or_webhook_rows_is_seen(tmp_path: Path, old: str, new: str, inputs: str, row: str) -> None:
    # A newcomer's finding: these edits once went unseen, "0 changes" with exit 0.
    text, _ = default_table_text()
    assert text.count(old) >= 1
    path = tmp_path / "new.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    proc = run("diff-mappings", "mappings.yaml", str(path), inputs, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert row in [r["row"] for r in json.loads(proc.stdout)["rows"]]


def test_the_same_table_changes_nothing_and_exits_0() -> None:
    proc = run("diff-mappings", "mappings.yaml", "mappings.yaml", "fixtures/stores")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("0 of ")


def test_a_report_change_is_put_down_to_its_row(tmp_path: Path) -> None:
    text, _ = default_table_text()
    # The numericId row's reason reworded: no output changes, the report does.
    start = text.index("  - id: numeric-id")
    reason = text.index("reason:", start)
    end = text.index("\n", reason)
    path = tmp_path / "new.yaml"
    path.write_text(text[:reason] + 'reason: "reworded"' + text[end:], encoding="utf-8")
    proc = run("diff-mappings", "mappings.yaml", str(path), "fixtures/stores/coupon_partially_fulfilled.json")
    out = proc.stdout.decode()
    assert proc.returncode == 1, proc.stderr
    assert "row numeric-id: 1 record(s)" in out and "-> 'reworded'" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mappings.yaml", "nope.yaml", "fixtures/stores"], "cannot read the mapping table nope.yaml"),
        (["mappings.yaml", "mappings.yaml", "nope.json"], "nope.json: no such file"),
    ],
)
def test_bad_use_is_a_usage_error(args: list[str], message: str) -> None:
    proc = run("diff-mappings", *args)
    assert proc.returncode == 2
    assert message in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()
