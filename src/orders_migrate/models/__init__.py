"""Typed models of both wire shapes, and validation that reports problems at their ``$.json.path``.

>>> from orders_migrate.models import validate_ecom_order
>>> validate_ecom_order({"number": 10012})      # doctest: +SKIP
[Problem(path='$.number', message='expected a string, got 10012')]
"""

from .ecom import EcomOrder
from .stores import StoresOrder
from .validate import (
    MODELS,
    SchemaName,
    invalid_entries,
    json_schema,
    problems_from,
    render_path,
    strict_problems,
    validate_ecom_order,
    validate_stores_order,
)

__all__ = [
    "MODELS",
    "EcomOrder",
    "SchemaName",
    "StoresOrder",
    "invalid_entries",
    "json_schema",
    "problems_from",
    "render_path",
    "strict_problems",
    "validate_ecom_order",
    "validate_stores_order",
]
