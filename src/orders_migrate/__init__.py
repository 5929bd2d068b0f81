"""orders-migrate: convert stored Wix Stores orders into Wix eCommerce order shapes.

>>> from orders_migrate import convert_order
>>> result = convert_order(stores_order)      # doctest: +SKIP
>>> result = convert_order(path.read_bytes()) # doctest: +SKIP
>>> result.order["priceSummary"]["total"]     # doctest: +SKIP
>>> result.report.entries                     # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from .convert import AddressConversion, Conversion, convert_address, convert_many, convert_order, convert_query_response, records
from .engine import Plan, compile_table, default_plan, plan_from_file
from .engine.table import MappingError, load_table
from .jsonio import loads
from .query.translate import QueryTranslation, translate_query
from .report import ConversionError, Entry, Problem, Report
from .webhooks import convert_webhook

if TYPE_CHECKING:
    from .models import EcomOrder, StoresOrder, json_schema, validate_ecom_order, validate_stores_order

__version__ = "0.1.0"

_MODEL_EXPORTS = frozenset({"EcomOrder", "StoresOrder", "json_schema", "validate_ecom_order", "validate_stores_order"})


def __getattr__(name: str) -> Any:
    # Building the pydantic models is most of the package's import time: only on first use.
    if name in _MODEL_EXPORTS:
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
