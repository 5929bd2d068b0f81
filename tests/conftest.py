from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# One profile for every test module (whichever a test worker happens to import first): no deadline,
# since the first example of a run also compiles the plan. HYPOTHESIS_PROFILE=long for a deeper search.
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The plan cache (engine/cache.py) of this test process and the commands it starts: a folder of its own,
# never the user's ~/.cache (tests depend on no file outside the repository).
os.environ["ORDERS_MIGRATE_CACHE"] = tempfile.mkdtemp(prefix="orders-migrate-cache-")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
STORES_FIXTURES = sorted((FIXTURES / "stores").glob("*.json"))
# Wix's documentation payloads and anonymised payloads of real shops, copied from the shared sources
REFERENCE_DIR = FIXTURES / "reference"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def coupon_order() -> dict[str, Any]:
    """Wix's documentation example order (anonymised): 3 line items, a coupon, partially fulfilled."""
    return copy.deepcopy(load_json(FIXTURES / "stores" / "coupon_partially_fulfilled.json"))


@pytest.fixture
def pickup_order() -> dict[str, Any]:
    return copy.deepcopy(load_json(FIXTURES / "stores" / "pickup_tax_included.json"))


def minimal_order(**extra: Any) -> dict[str, Any]:
    """The smallest order the Stores API accepted (its Create Order example), plus overrides."""
    order: dict[str, Any] = {
        "currency": "USD",
        "totals": {"subtotal": "5", "total": "5"},
        "paymentStatus": "PAID",
        "lineItems": [{"index": 1, "quantity": 1, "name": "my product", "priceData": {"price": "5", "totalPrice": "5"}}],
    }
    order.update(extra)
    return order
