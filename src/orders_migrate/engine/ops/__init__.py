"""The named operations the mapping rows use, one module per family; each module declares its own
(``OPERATIONS``: name, keys, reference step, code emitter) and this package gathers them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..operation import Operation
from . import address, checks, codes, copying, enums, line_items, money, reports, sections, sums

OPERATIONS: Mapping[str, Operation] = MappingProxyType(
    {
        op.name: op
        for family in (copying, money, enums, line_items, reports, sums, checks, address, codes, sections)
        for op in family.OPERATIONS
    }
)
