"""The core schemas that validate an eCommerce order and its companions, recorded beside the models.

Building the pydantic models is most of what `check one.json` and a validated `convert` cost to start
(some seventy classes, each building its schema), while validating needs only the one core schema each
model ends in. That schema is plain data but for one function (``plain.number``), so it is recorded in
``recorded_schemas.json`` and a validator is built from it at once. The record is used only where it is
exactly what the models would build: the same pydantic-core and the same model sources (their hash is in
the record); anywhere else the models are built, as before. ``tests/test_recorded_schemas.py`` holds the
record to the models; ``python -m orders_migrate.models`` writes it again after a model changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pydantic_core

from .plain import number

if TYPE_CHECKING:
    from .common import WireModel

RECORD = Path(__file__).with_name("recorded_schemas.json")
# What a recorded schema is made from: a change in any of these makes the record stale.
SOURCES = ("plain.py", "common.py", "ecom.py", "companions.py", "recorded.py")
RECORDED_NAMES = ("ecom", "orderWithFulfillments", "orderTransactions")
# The functions a schema may hold, by the name the record gives them.
_FUNCTIONS: dict[str, Callable[[Any], Any]] = {"number": number}
_NAME_OF = {id(f): name for name, f in _FUNCTIONS.items()}


def model_of_recorded(name: str) -> type[WireModel]:
    from .companions import OrderTransactions, OrderWithFulfillments
    from .ecom import EcomOrder

    models: dict[str, type[WireModel]] = {
        "ecom": EcomOrder,
        "orderWithFulfillments": OrderWithFulfillments,
        "orderTransactions": OrderTransactions,
    }
    return models[name]


def as_typed_dicts(schema: Any) -> Any:
    """A model's core schema with every model a typed dict: the same fields, checks, strictness and
    error locations, but validating builds no model instance, which is half of what it costs."""
    if isinstance(schema, list):
        return [as_typed_dicts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") != "model":
        return {key: as_typed_dicts(value) for key, value in schema.items()}
    inner = schema["schema"]
    if inner.get("type") != "model-fields":
        raise TypeError(f"unexpected model schema {inner.get('type')!r}")
    fields = {}
    for name, field in inner["fields"].items():
        value = field["schema"]
        if value.get("type") == "default":  # every field is optional: an absent one is simply skipped
            value = value["schema"]
        kept = {k: v for k, v in field.items() if k in ("validation_alias", "serialization_alias", "metadata")}
        fields[name] = {**kept, "type": "typed-dict-field", "schema": as_typed_dicts(value), "required": False}
    typed: dict[str, Any] = {"type": "typed-dict", "fields": fields, "extra_behavior": "allow"}
    for key in ("ref", "config"):
        if key in schema:
            typed[key] = schema[key]
    return typed


def live_schema(model: type[WireModel]) -> Any:
    """The schema a validator of ``model`` is built from, from the model itself."""
    return _stable_refs(as_typed_dicts(model.__pydantic_core_schema__))


_REF_ID = re.compile(r":[0-9]+$")


def _stable_refs(schema: Any) -> Any:
    """pydantic names a model's definition by its class and the class's address in this process
    ("...companions.Fulfillment:94288741179216"); the class alone names it as well, the same in every run."""
    if isinstance(schema, list):
        return [_stable_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        k: _REF_ID.sub("", v) if k in ("ref", "schema_ref") and isinstance(v, str) else _stable_refs(v) for k, v in schema.items()
    }


def fingerprint() -> dict[str, str]:
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(RECORD.with_name(name).read_bytes())
    return {"pydantic_core": pydantic_core.__version__, "models": digest.hexdigest()}


def _plain(schema: Any, at: list[str | int], functions: list[dict[str, Any]]) -> Any:
    """``schema`` as JSON data: each function is left out and listed with where it goes."""
    if isinstance(schema, dict):
        return {k: _plain(v, [*at, k], functions) for k, v in schema.items()}
    if isinstance(schema, list | tuple):
        return [_plain(v, [*at, n], functions) for n, v in enumerate(schema)]
    if callable(schema):
        name = _NAME_OF.get(id(schema))
        if name is None:
            raise TypeError(f"a schema holds the function {schema!r}, which the record cannot name")
        functions.append({"at": at, "function": name})
        return None
    return schema


def record() -> bytes:
    """The record of every recorded schema, as ``recorded_schemas.json`` holds it."""
    functions: dict[str, list[dict[str, Any]]] = {}
    schemas = {}
    for name in RECORDED_NAMES:
        found: list[dict[str, Any]] = []
        schemas[name] = _plain(live_schema(model_of_recorded(name)), [], found)
        functions[name] = found
    doc = {"fingerprint": fingerprint(), "schemas": schemas, "functions": functions}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


@cache
def _record() -> dict[str, Any] | None:
    try:
        doc = orjson.loads(RECORD.read_bytes())
        current = fingerprint()
    except (OSError, orjson.JSONDecodeError):  # a package without its sources (zipped, say): build the models
        return None
    return doc if isinstance(doc, dict) and doc.get("fingerprint") == current else None


def recorded_schema(name: str) -> Any | None:
    """The recorded schema of ``name`` (``RECORDED_NAMES``), or None where the record is not what the
    installed pydantic-core and these models would build."""
    doc = _record()
    if doc is None or name not in doc["schemas"]:
        return None
    schema = doc["schemas"][name]
    for place in doc["functions"][name]:
        *parents, last = place["at"]
        node = schema
        for step in parents:
            node = node[step]
        node[last] = _FUNCTIONS[place["function"]]  # in place, and the same each time
    return schema
