"""The conversion engine, in the order data flows through it.

``table`` loads and checks mappings.yaml; ``ops/`` holds the named operations (each declared once with its
reference step and its code emitter, ``operation``); ``compile`` turns the table into a ``Plan``: rows
grouped by scope (``scopes``) and fused into generated code (``fuse``, ``code``, ``generated``), the
unmapped walk (``unmapped``), the Velo normaliser (``dialect``), the webhook specs (``webhook_table``), and
a user's table held to the eCommerce model (``conformance``). ``apply`` is the one apply step
(``Plan.convert``), with ``detect`` telling a Stores order from an eCommerce one and ``companions``
building the objects Wix keeps beside the order.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compile import compile_table, default_plan, plan_from_file, plan_of
    from .plan import Plan, Section
    from .routing import Routing, default_routing
    from .table import MappingError, Table, load_table

# Each name from the module that holds it, imported on first use: routing a record or checking an
# eCommerce file needs the table and not the operations, whose import is most of the engine's.
_HOME = {
    "MappingError": "table",
    "Plan": "plan",
    "Routing": "routing",
    "Section": "plan",
    "Table": "table",
    "compile_table": "compile",
    "default_plan": "compile",
    "default_routing": "routing",
    "load_table": "table",
    "plan_from_file": "compile",
    "plan_of": "compile",
}

__all__ = [
    "MappingError",
    "Plan",
    "Routing",
    "Section",
    "Table",
    "compile_table",
    "default_plan",
    "default_routing",
    "load_table",
    "plan_from_file",
    "plan_of",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value
