"""The table covers every Stores field named in the seed's conversion tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from orders_migrate import default_plan
from orders_migrate.paths import parse

SEED = yaml.safe_load((Path(__file__).parent / "seed_fields.yaml").read_text(encoding="utf-8"))


def _covered(field: str, reads: list[str]) -> bool:
    """A field is covered when a row reads it, a part of it, or a whole object holding it."""
    return any(r == field or r.startswith(field + ".") or field.startswith(r + ".") for r in reads)


def _order_reads() -> list[str]:
    table = default_plan().table
    reads = [p.text for row in table.order for p in row.all_reads()]
    return reads


def _address_reads() -> list[str]:
    return [p.text for row in default_plan().table.address for p in row.all_reads()]


@pytest.mark.parametrize("entry", SEED["order"], ids=lambda e: e["seed"])
def test_every_order_field_of_the_seed_table_has_a_row(entry: dict[str, str]) -> None:
    field = entry.get("path", entry["seed"])
    parse(field)  # the data file itself uses our grammar
    assert _covered(field, _order_reads()), f"no mapping row reads {field}"


@pytest.mark.parametrize("entry", SEED["address"], ids=lambda e: e["seed"])
def test_every_address_field_of_the_seed_table_has_a_row(entry: dict[str, str]) -> None:
    assert _covered(entry["seed"], _address_reads()), f"no address row reads {entry['seed']}"


def test_the_data_file_lists_the_seed_tables_in_full() -> None:
    # 97 order rows name 87 distinct fields (enum rows repeat a field); the address table has 13.
    assert len(SEED["order"]) == 87
    assert len(SEED["address"]) == 13


@pytest.mark.parametrize("field,values", sorted(SEED["enum_values"].items()))
def test_enum_values_the_seed_names_are_mapped(field: str, values: list[str]) -> None:
    rows = [r for r in default_plan().table.order if any(p.text == field for p in r.all_reads())]
    handled: set[Any] = set()
    for row in rows:
        handled |= set(row.params.get("map", {})) | set(row.params.get("cases", {})) | set(row.params.get("not_derivable", {}))
        for rule in row.params.get("rules", []):
            handled |= {v for k, v in rule["when"].items() if k == field}
    missing = [v for v in values if v not in handled]
    assert not missing, f"{field}: no row maps {missing}"


def test_every_address_place_uses_the_address_table() -> None:
    rows = {r.id: r for r in default_plan().table.order if r.op == "address"}
    sources = sorted(r.reads["value"][0].text for r in rows.values())
    assert sources == [
        "billingInfo.address",
        "shippingInfo.pickupDetails.pickupAddress",
        "shippingInfo.shipmentDetails.address",
    ]
