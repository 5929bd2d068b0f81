"""Typed models of both wire shapes, and validation that reports problems at their ``$.json.path``.

>>> from orders_migrate.models import validate_ecom_order
>>> validate_ecom_order({"number": 10012})      # doctest: +SKIP
[Problem(path='$.number', message='expected a string, got 10012')]
"""

from typing import TYPE_CHECKING, Any

from .validate import (
    SCHEMA_NAMES,
    SchemaName,
    invalid_entries,
    json_schema,
    model_of,
    problems_from,
    render_path,
    strict_problems,
    validate_ecom_order,
    validate_stores_order,
)

if TYPE_CHECKING:
    from .ecom import EcomOrder
    from .stores import StoresOrder


def __getattr__(name: str) -> Any:
    # The models are built on first use (see validate.model_of): validating needs none of them.
    if name == "StoresOrder":
        return model_of("stores")
    if name == "EcomOrder":
        return model_of("ecom")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SCHEMA_NAMES",
    "EcomOrder",
    "SchemaName",
    "StoresOrder",
    "invalid_entries",
    "json_schema",
    "model_of",
    "problems_from",
    "render_path",
    "strict_problems",
    "validate_ecom_order",
    "validate_stores_order",
]
