"""The operations of the table's ``velo`` rows, each with its reference step and its code emitter side by
side: ``move``, ``decimal_text``, ``wix_media`` and ``dropped``.

A Velo order is rewritten into the REST shape in place, on a copy (dialect.py). The reference step of a row
walks its paths with the helpers of base.py; the emitter spells the same walk out as straight-line code in
the one generated normaliser (``VeloCode``), which tests/test_compiled.py holds to the reference on every
fixture and on hypothesis orders: same copy, same moved paths, same report and problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .base import NormStep, VeloCode, VeloOperation
from .media import WixMedia
from .move import Move
from .numbers import DecimalTextOp
from .reported import Reported

VELO_OPERATIONS: Mapping[str, VeloOperation] = MappingProxyType(
    {op.name: op for op in (Move(), DecimalTextOp(), WixMedia(), Reported("dropped"))}
)

__all__ = ["VELO_OPERATIONS", "NormStep", "VeloCode", "VeloOperation"]
