"""The conversion engine, in the order data flows through it.

``table`` loads and checks mappings.yaml; ``ops/`` holds the named operations (each declared once with its
reference step and its code emitter, ``operation``); ``compile`` turns the table into a ``Plan``: rows
grouped by scope (``scopes``) and fused into generated code (``fuse``, ``code``, ``generated``), the
unmapped walk (``unmapped``), the Velo normaliser (``dialect``), the webhook specs (``webhook_table``), and
a user's table held to the eCommerce model (``conformance``). ``apply`` is the one apply step
(``Plan.convert``), with ``detect`` telling a Stores order from an eCommerce one and ``companions``
building the objects Wix keeps beside the order.
"""

from .compile import compile_table, default_plan, default_routing, plan_from_file, plan_of
from .plan import Plan, Routing, Section
from .table import MappingError, Table, load_table

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
