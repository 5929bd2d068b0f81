"""What telling records apart needs of a table, without compiling its rows: ``check`` of an eCommerce
file, the router and the CLI's list of webhook kinds start from here and import no operation."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache

from .table import COMPANION_SECTIONS, Table, default_table_text, load_table
from .webhook_table import WebhookSpec, compile_webhooks

__all__ = ["COMPANION_SECTIONS", "Routing", "default_routing", "table_of"]


@dataclass(frozen=True, slots=True)
class Routing:
    """What telling records apart needs of a table (its dialect markers and order fields, its webhook
    shapes), without its rows compiled: a ``Plan`` has the same two attributes and serves as well."""

    table: Table
    webhooks: tuple[WebhookSpec, ...]


# A table's text loads once per process, whether for routing or for compiling.
table_of = lru_cache(maxsize=8)(load_table)


@lru_cache(maxsize=1)
def default_routing() -> Routing:
    """The shipped table's routing; the default plan's own when that is built already."""
    compiled = sys.modules.get(__package__ + ".compile")
    if compiled is not None and compiled.default_plan.cache_info().currsize:
        plan = compiled.default_plan()
        return Routing(plan.table, plan.webhooks)
    text, source = default_table_text()
    table = table_of(text, source)
    return Routing(table, compile_webhooks(table))
