"""orders-migrate: convert stored Wix Stores orders into Wix eCommerce order shapes.

>>> from orders_migrate import convert_order
>>> result = convert_order(stores_order)      # doctest: +SKIP
>>> result = convert_order(path.read_bytes()) # doctest: +SKIP
>>> result.order["priceSummary"]["total"]     # doctest: +SKIP
>>> result.report.entries                     # doctest: +SKIP
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .convert import (
        AddressConversion,
        Conversion,
        convert_address,
        convert_many,
        convert_order,
        convert_query_response,
        records,
    )
    from .engine import Plan, compile_table, default_plan, plan_from_file
    from .engine.table import MappingError, load_table
    from .jsonio import loads
    from .models import EcomOrder, StoresOrder, json_schema, validate_ecom_order, validate_stores_order
    from .query.translate import QueryTranslation, translate_query
    from .report import ConversionError, Entry, Problem, Report
    from .webhooks import convert_webhook

__version__ = "0.1.0"

# Each name is imported on first use (PEP 562): a command that needs only the engine does not pay for
# the query translator, the webhooks or the pydantic models (most of the package's import time).
_HOMES = {
    "AddressConversion": "convert",
    "Conversion": "convert",
    "convert_address": "convert",
    "convert_many": "convert",
    "convert_order": "convert",
    "convert_query_response": "convert",
    "records": "convert",
    "Plan": "engine",
    "compile_table": "engine",
    "default_plan": "engine",
    "plan_from_file": "engine",
    "MappingError": "engine.table",
    "load_table": "engine.table",
    "loads": "jsonio",
    "EcomOrder": "models",
    "StoresOrder": "models",
    "json_schema": "models",
    "validate_ecom_order": "models",
    "validate_stores_order": "models",
    "QueryTranslation": "query.translate",
    "translate_query": "query.translate",
    "ConversionError": "report",
    "Entry": "report",
    "Problem": "report",
    "Report": "report",
    "convert_webhook": "webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AddressConversion",
    "Conversion",
    "ConversionError",
    "EcomOrder",
    "Entry",
    "MappingError",
    "Plan",
    "Problem",
    "QueryTranslation",
    "Report",
    "StoresOrder",
    "__version__",
    "compile_table",
    "convert_address",
    "convert_many",
    "convert_order",
    "convert_query_response",
    "convert_webhook",
    "default_plan",
    "json_schema",
    "load_table",
    "loads",
    "plan_from_file",
    "records",
    "translate_query",
    "validate_ecom_order",
    "validate_stores_order",
]
