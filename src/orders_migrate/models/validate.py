"""Validate payloads against the models and say what is wrong in our words, at ``$.json.path``.

Every error of a record is collected (pydantic does not stop at the first), and each becomes a
``Problem("$.lineItems[2].quantity", 'expected an integer, got "two"')``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic_core import CoreConfig, ErrorDetails, SchemaValidator, ValidationError

from ..paths import render_steps
from ..report import Entry, Problem, Report
from .plain import PATTERN_NAMES
from .recorded import RECORDED_NAMES, live_schema, model_of_recorded, recorded_schema

if TYPE_CHECKING:
    from .common import WireModel

SchemaName = Literal["stores", "ecom"]


SCHEMA_NAMES: tuple[SchemaName, ...] = ("stores", "ecom")


def model_of(name: str) -> type[WireModel]:
    """The model of a schema name (``SCHEMA_NAMES``) or companion name (``COMPANION_NAMES``), built on
    first use: `check` and a validated `convert` validate with recorded schemas and build none."""
    if name in RECORDED_NAMES:
        return model_of_recorded(name)
    if name == "stores":
        from .stores import StoresOrder

        return StoresOrder
    raise KeyError(name)


_SCHEMA_TITLES = {
    "stores": "Wix Stores order (stores/v2/orders), REST wire shape",
    "ecom": "Wix eCommerce order (ecom/v1/orders), REST wire shape",
    "order-with-fulfillments": "Wix eCommerce OrderWithFulfillments (ecom/v1/fulfillments/orders/{orderId}), REST wire "
    "shape, as convert --companions writes it beside the order",
    "order-transactions": "Wix eCommerce OrderTransactions (ecom/v1/payments/orders/{orderId}), REST wire shape, as "
    "convert --companions writes it beside the order",
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


@cache
def _validator(name: str) -> SchemaValidator:
    """The validator of a schema name (``ecom``, ``stores``) or companion name, from the recorded schema
    where there is one (no model is built), else from the model."""
    schema = recorded_schema(name) if name in RECORDED_NAMES else None
    if schema is None:
        schema = live_schema(model_of(name))
    return SchemaValidator(schema, CoreConfig(strict=True))  # every WireModel is strict


def _validate(name: str, payload: Any) -> list[Problem]:
    try:
        _validator(name).validate_python(payload)
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
    return _validate("stores", payload)


def validate_ecom_order(payload: Any) -> list[Problem]:
    """Every way a payload differs from the eCommerce order schema; empty when it matches."""
    return _validate("ecom", payload) + repeated_line_item_ids(payload)


def repeated_line_item_ids(payload: Any) -> list[Problem]:  # noqa: ANN401 - any JSON value
    """A line-item id another line item of the order has: eCommerce names a line item by its id (a
    fulfillment's, a discount's lineItemIds), so two would be one. The schema cannot say it."""
    items = payload.get("lineItems") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return []
    ids = [i for item in items if isinstance(item, dict) and isinstance(i := item.get("id"), str)]
    if len(set(ids)) == len(ids):  # every order a converter wrote: no id twice, nothing to say
        return []
    seen: dict[str, int] = {}
    problems = []
    for n, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        first = seen.setdefault(item_id, n)
        if first != n:
            place = f"$.lineItems[{first}].id"
            problems.append(
                Problem(
                    f"$.lineItems[{n}].id",
                    # quoted as JSON: an empty id, or one with spaces or a colon, stays readable in the message
                    f"id {_quoted(item_id)} repeats {place}: line-item ids are unique within an order",
                    (place,),
                )
            )
    return problems


def _quoted(text: str) -> str:
    return orjson.dumps(text).decode()


# The companions an order is stored with, by the names convert --companions writes them under.
COMPANION_NAMES: tuple[str, ...] = ("orderWithFulfillments", "orderTransactions")
# Each companion as `orders-migrate schema` names it (lower case and hyphens, as the command's other
# names and convert's --kind values are), and every name the command prints a schema of.
COMPANION_SCHEMAS: dict[str, str] = {
    "order-with-fulfillments": "orderWithFulfillments",
    "order-transactions": "orderTransactions",
}
PRINTED_SCHEMAS: tuple[str, ...] = (*SCHEMA_NAMES, *COMPANION_SCHEMAS)


def validate_companion(name: str, payload: Any) -> list[Problem]:
    """Every way a companion (``orderWithFulfillments``, ``orderTransactions``) differs from its schema."""
    if name not in COMPANION_NAMES:
        raise KeyError(name)
    return _validate(name, payload)


def invalid_entries(order: Any) -> list[Entry]:
    """Report entries (kind ``invalid``) for an eCommerce order that fails its schema."""
    return [invalid_entry(p) for p in validate_ecom_order(order)]


def invalid_entry(problem: Problem) -> Entry:
    return Entry("invalid", problem.path, f"not a valid eCommerce order: {problem.message}", places=problem.places)


def strict_problems(payload: Any, report: Report) -> list[Problem]:
    """What ``convert --strict`` refuses: the input against the Stores schema, the output against eCommerce.

    A Velo-dialect input (money as JSON numbers, ``_id``) is not the REST wire shape the Stores model
    describes; the converter normalises it, so only its output is held to a schema."""
    problems = []
    if report.payload_kind == "stores_order" and report.dialect != "velo":
        problems = [Problem(p.path, f"not a valid Stores order: {p.message}") for p in validate_stores_order(payload)]
    problems.extend(Problem(e.path, e.message, e.places) for e in report.by_kind("invalid"))
    return problems


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one model (``PRINTED_SCHEMAS``: ``stores``, ``ecom`` or a companion
    by its printed name), as ``orders-migrate schema`` prints it."""
    if name not in PRINTED_SCHEMAS:
        raise KeyError(name)
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(model_of(COMPANION_SCHEMAS.get(name, name)).model_json_schema(by_alias=True))
    schema["title"] = _SCHEMA_TITLES[name]
    return schema
