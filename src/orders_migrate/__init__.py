"""orders-migrate: convert stored Wix Stores orders into Wix eCommerce order shapes.

>>> from orders_migrate import convert_order
>>> result = convert_order(stores_order)      # doctest: +SKIP
>>> result.order["priceSummary"]["total"]     # doctest: +SKIP
>>> result.report.entries                     # doctest: +SKIP
"""

from .convert import AddressConversion, Conversion, convert_address, convert_many, convert_order, convert_query_response, records
from .plan import Plan, compile_table, default_plan
from .report import ConversionError, Entry, Problem, Report
from .table import MappingError, load_table

__version__ = "0.1.0"

__all__ = [
    "AddressConversion",
    "Conversion",
    "ConversionError",
    "Entry",
    "MappingError",
    "Plan",
    "Problem",
    "Report",
    "__version__",
    "compile_table",
    "convert_address",
    "convert_many",
    "convert_order",
    "convert_query_response",
    "default_plan",
    "load_table",
    "records",
]
