"""Validate payloads against the models and say what is wrong in our words, at ``$.json.path``.

Every error of a record is collected (pydantic does not stop at the first), and each becomes a
``Problem("$.lineItems[2].quantity", 'expected an integer, got "two"')``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import orjson
from pydantic import ValidationError
from pydantic_core import CoreConfig, ErrorDetails, SchemaValidator

from ..paths import render_steps
from ..report import Entry, Problem, Report
from .common import PATTERN_NAMES, WireModel
from .companions import OrderTransactions, OrderWithFulfillments
from .ecom import EcomOrder

SchemaName = Literal["stores", "ecom"]


SCHEMA_NAMES: tuple[SchemaName, ...] = ("stores", "ecom")


def model_of(name: str) -> type[WireModel]:
    """The model of a schema name (``SCHEMA_NAMES``). The Stores one is built on first use: `check` and a
    validated `convert` hold only outputs to the eCommerce model, and it is a fifth of their start-up."""
    if name == "ecom":
        return EcomOrder
    if name == "stores":
        from .stores import StoresOrder

        return StoresOrder
    raise KeyError(name)


_SCHEMA_TITLES = {
    "stores": "Wix Stores order (stores/v2/orders), REST wire shape",
    "ecom": "Wix eCommerce order (ecom/v1/orders), REST wire shape",
}

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_MAX_ENUM_SHOWN = 6


def render_path(loc: Sequence[str | int], root: str = "$") -> str:
    """``("lineItems", 2, "quantity")`` as ``$.lineItems[2].quantity``; odd keys as ``["Name on mug"]``."""
    return render_steps(loc, root)


def show(value: Any) -> str:
    """A JSON value as the user wrote it, short: ``"two"``, ``1.5``, ``null``, ``an object``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Decimal):
        return str(value)
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 60 else text[:56] + '..."'


def _enum_message(expected: str, value: Any) -> str:
    values = [f'"{v}"' for v in _QUOTED.findall(expected)]
    if not values:
        return f"expected {expected}, got {show(value)}"
    if len(values) <= _MAX_ENUM_SHOWN:
        return f"expected one of {', '.join(values)}, got {show(value)}"
    shown = ", ".join(values[:_MAX_ENUM_SHOWN])
    return f"expected one of the {len(values)} values of Wix's enum ({shown}, ...), got {show(value)}"


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def message(error: ErrorDetails) -> str:
    """One pydantic error in the words the rest of the tool uses."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {show(value)}"
    if kind == "literal_error":
        return _enum_message(str(ctx.get("expected", "")), value)
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {PATTERN_NAMES.get(pattern, f'a string matching {pattern}')}, got {show(value)}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "greater_than_equal":
        return f"expected at least {ctx.get('ge')}, got {show(value)}"
    if kind == "less_than_equal":
        return f"expected at most {ctx.get('le')}, got {show(value)}"
    return f"{error['msg']} (got {show(value)})"


def problems_from(exc: ValidationError, root: str = "$") -> list[Problem]:
    return [Problem(render_path(e["loc"], root), message(e)) for e in exc.errors(include_url=False)]


def _as_typed_dicts(schema: Any) -> Any:
    """A model's core schema with every model a typed dict: the same fields, checks, strictness and
    error locations, but validating builds no model instance, which is half of what it costs."""
    if isinstance(schema, list):
        return [_as_typed_dicts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") != "model":
        return {key: _as_typed_dicts(value) for key, value in schema.items()}
    inner = schema["schema"]
    if inner.get("type") != "model-fields":
        raise TypeError(f"unexpected model schema {inner.get('type')!r}")
    fields = {}
    for name, field in inner["fields"].items():
        value = field["schema"]
        if value.get("type") == "default":  # every field is optional: an absent one is simply skipped
            value = value["schema"]
        kept = {k: v for k, v in field.items() if k in ("validation_alias", "serialization_alias", "metadata")}
        fields[name] = {**kept, "type": "typed-dict-field", "schema": _as_typed_dicts(value), "required": False}
    typed: dict[str, Any] = {"type": "typed-dict", "fields": fields, "extra_behavior": "allow"}
    for key in ("ref", "config"):
        if key in schema:
            typed[key] = schema[key]
    return typed


@cache
def _validator(model: type[WireModel]) -> SchemaValidator:
    config = CoreConfig(strict=bool(model.model_config.get("strict")))
    return SchemaValidator(_as_typed_dicts(model.__pydantic_core_schema__), config)


def _validate(model: type[WireModel], payload: Any) -> list[Problem]:
    try:
        _validator(model).validate_python(payload)
    except ValidationError as exc:
        return problems_from(exc)
    return []


def model_problems(model: type[WireModel], payload: Any) -> list[Problem]:
    """The problems pydantic's own ``model_validate`` finds: what ``_validate`` must agree with."""
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        return problems_from(exc)
    return []


def validate_stores_order(payload: Any) -> list[Problem]:
    """Every way a payload differs from the Stores order schema; empty when it matches."""
    return _validate(model_of("stores"), payload)


def validate_ecom_order(payload: Any) -> list[Problem]:
    """Every way a payload differs from the eCommerce order schema; empty when it matches."""
    return _validate(EcomOrder, payload) + _repeated_line_item_ids(payload)


def _repeated_line_item_ids(payload: Any) -> list[Problem]:  # noqa: ANN401 - any JSON value
    """A line-item id another line item of the order has: eCommerce names a line item by its id (a
    fulfillment's, a discount's lineItemIds), so two would be one. The schema cannot say it."""
    items = payload.get("lineItems") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for n, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        first = seen.setdefault(item_id, n)
        if first != n:
            problems.append(
                Problem(
                    f"$.lineItems[{n}].id", f"{item_id} repeats $.lineItems[{first}].id: line-item ids are unique within an order"
                )
            )
    return problems


# The companions an order is stored with, by the names convert --companions writes them under.
COMPANION_MODELS: dict[str, type[WireModel]] = {
    "orderWithFulfillments": OrderWithFulfillments,
    "orderTransactions": OrderTransactions,
}


def validate_companion(name: str, payload: Any) -> list[Problem]:
    """Every way a companion (``orderWithFulfillments``, ``orderTransactions``) differs from its schema."""
    return _validate(COMPANION_MODELS[name], payload)


def invalid_entries(order: Any) -> list[Entry]:
    """Report entries (kind ``invalid``) for an eCommerce order that fails its schema."""
    return [Entry("invalid", p.path, f"not a valid eCommerce order: {p.message}") for p in validate_ecom_order(order)]


def strict_problems(payload: Any, report: Report) -> list[Problem]:
    """What ``convert --strict`` refuses: the input against the Stores schema, the output against eCommerce.

    A Velo-dialect input (money as JSON numbers, ``_id``) is not the REST wire shape the Stores model
    describes; the converter normalises it, so only its output is held to a schema."""
    problems = []
    if report.payload_kind == "stores_order" and report.dialect != "velo":
        problems = [Problem(p.path, f"not a valid Stores order: {p.message}") for p in validate_stores_order(payload)]
    problems.extend(Problem(e.path, e.message) for e in report.by_kind("invalid"))
    return problems


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one model (``stores`` or ``ecom``), as ``orders-migrate schema`` prints it."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(model_of(name).model_json_schema(by_alias=True))
    schema["title"] = _SCHEMA_TITLES[name]
    return schema
