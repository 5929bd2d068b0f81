"""The `webhooks` section of mappings.yaml, compiled: how to recognise each Stores webhook and which
eCommerce event it becomes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..paths import Path, parse
from .table import COMPANION_SECTIONS, MappingError, Table

# The keys that said so before a webhook named the companion its event carries.
_FLAG = {"transactions": "orderTransactions", "fulfillment": "orderWithFulfillments"}


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    id: str
    stores: str
    line: int
    event_types: frozenset[str]
    has: tuple[str, ...]
    lacks: tuple[str, ...]
    order: Path | None  # None: the body is the order
    summary: bool
    rename: tuple[tuple[Path, Path], ...]
    fqdn: str
    slug: str
    container: Path
    key: str | None
    not_derivable: Mapping[str, str]
    differs: str | None
    event_time: tuple[Path, ...]
    companion: str | None  # the companion (COMPANION_SECTIONS) the event carries, built by its rows
    deleted: bool
    requires: Mapping[str, Any]
    order_status: str | None
    note: str
    # Order rows that only check the body's order (its money identities), run where the event carries a
    # companion built from that order and no converted order of its own.
    checks: tuple[str, ...] = ()

    @property
    def transactions(self) -> bool:
        return self.companion == "orderTransactions"

    @property
    def fulfillment(self) -> bool:
        return self.companion == "orderWithFulfillments"


def norm_event_type(name: str) -> str:
    """ "OrderPaid", "order_paid", "orders/paid" and "wix.stores.order_paid" all say the same."""
    text = re.sub(r"[^a-z]", "", name.lower().rsplit(".", 1)[-1])
    return text.replace("orders", "order")


def compile_webhooks(table: Table) -> tuple[WebhookSpec, ...]:
    specs = []
    for raw in table.webhooks:
        line = raw.get("__line__", 0)

        def fail(message: str, raw: Mapping[str, Any] = raw, line: int = line) -> MappingError:
            return MappingError(table.source, line, raw["id"], message)

        event = raw.get("event")
        if not isinstance(event, dict) or not {"fqdn", "slug", "container"} <= set(event):
            raise fail("a webhook needs 'event: {fqdn, slug, container}'")
        shape = raw.get("shape") or {}
        for flag in ("transactions", "fulfillment"):
            if flag in raw:
                raise fail(
                    f"'{flag}' is no longer a webhook key: name the companion the event carries ('companion: {_FLAG[flag]}')"
                )
        companion = raw.get("companion")
        if companion is not None and companion not in COMPANION_SECTIONS:
            raise fail(f"'companion' is one of {', '.join(COMPANION_SECTIONS)}, not {companion!r}")
        try:
            spec = WebhookSpec(
                id=raw["id"],
                stores=str(raw.get("stores", raw["id"])),
                line=line,
                event_types=frozenset(norm_event_type(t) for t in raw.get("event_types", [])),
                has=tuple(shape.get("has", [])),
                lacks=tuple(shape.get("lacks", [])),
                order=None if raw.get("order") in (None, "$") else parse(raw["order"]),
                summary=bool(raw.get("summary", False)),
                rename=_renames(raw.get("rename") or {}),
                fqdn=event["fqdn"],
                slug=event["slug"],
                container=parse(event["container"]),
                key=event.get("key"),
                not_derivable={k: v for k, v in (raw.get("not_derivable") or {}).items() if k != "__line__"},
                differs=raw.get("differs"),
                event_time=tuple(parse(p) for p in raw.get("event_time", [])),
                companion=companion,
                deleted=bool(raw.get("deleted", False)),
                requires={k: v for k, v in (raw.get("requires") or {}).items() if k != "__line__"},
                order_status=raw.get("order_status"),
                note=str(raw.get("note", "")),
                checks=tuple(str(c) for c in raw.get("checks") or ()),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise fail(f"cannot compile: {exc}") from None
        if not spec.note:
            raise fail("a webhook needs a 'note' citing the conversion table")
        rows = {row.id: row for row in table.order}
        for row_id in spec.checks:
            row = rows.get(row_id)
            if row is None:
                raise fail(f"'checks' names {row_id!r}, which is no row of 'order'")
            if row.writes:
                raise fail(f"'checks' names {row_id!r}, which writes: only rows that check and write nothing may run there")
        if spec.checks and spec.companion is None:
            raise fail("'checks' run on the order a companion is built from: the webhook names no 'companion'")
        specs.append(spec)
    return tuple(specs)


def _renames(raw: Mapping[str, Any]) -> tuple[tuple[Path, Path], ...]:
    pairs = []
    for src, dst in raw.items():
        if src == "__line__":
            continue
        source = parse(src)
        if len(source.segments) != 1:
            raise ValueError(f"rename moves a top-level field of the body, not {src!r}")
        pairs.append((source, parse(dst)))
    return tuple(pairs)
