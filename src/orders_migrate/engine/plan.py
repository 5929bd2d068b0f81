"""The compiled plan of a mapping table: frozen, shared by every order and thread, and picklable as its
table's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..paths import Path
from .context import Ctx, Step
from .dialect import Normaliser
from .table import Table
from .unmapped import Walk
from .webhook_table import WebhookSpec


@dataclass(frozen=True, slots=True)
class Plan:
    table: Table
    steps: tuple[Step, ...]
    reads: Mapping[str, Any]  # trie of every Stores path some row reads
    walk: Walk  # the unmapped report over that trie, as generated code
    required: tuple[Path, ...]
    standalone_address: Mapping[bool, tuple[Step, ...]]
    address_reads: Mapping[str, Any]
    address_walk: Walk
    velo: Normaliser
    fulfillment: Section
    refund: Section
    checks: tuple[Step, ...]
    webhooks: tuple[WebhookSpec, ...]
    generate: bool = True
    code: tuple[tuple[str, str], ...] = ()  # (file name in tracebacks, generated source), in compile order

    def __reduce__(self) -> tuple[Callable[[str, str, bool], Plan], tuple[str, str, bool]]:
        """A plan travels as its table's text (to a worker process, say) and is compiled again there,
        once per process: generated functions themselves cannot be pickled."""
        from .compile import plan_of

        if not self.table.text:
            raise TypeError("cannot pickle a plan whose table was not loaded from text (load_table)")
        return plan_of, (self.table.text, self.table.source, self.generate)

    def source(self) -> dict[str, str]:
        """The generated Python of every scope, by the file name a traceback from inside shows."""
        return dict(self.code)

    def address_steps(self, contact: bool) -> tuple[Step, ...]:
        return self.standalone_address[contact]

    def apply(self, order: dict[str, Any], ctx: Ctx, checks: bool = True) -> None:
        out = ctx.root_out
        for step in self.steps:
            step(order, out, ctx, ())
        if checks:
            for step in self.checks:
                step(order, out, ctx, ())


@dataclass(frozen=True, slots=True)
class Section:
    """The compiled rows of one table section (a fulfillment, a refund), applied to one object."""

    steps: tuple[Step, ...]
    reads: Mapping[str, Any]
    walk: Walk

    def apply(self, src: dict[str, Any], ctx: Ctx, out: dict[str, Any]) -> None:
        for step in self.steps:
            step(src, out, ctx, ())
