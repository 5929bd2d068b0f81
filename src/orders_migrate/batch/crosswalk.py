"""The id crosswalk of a batch (``--crosswalk``, and under ``--state``): one order per id across every
input. A first pass in the parent reads every record before anything is converted and notes its id, its
``number``, when it was last updated and a digest of its content; the decisions are made from that
whole picture, so "the newest wins" holds even when the older version comes first. Each decision is a
``Mark`` on the record's position, carried with its item to the worker, which leaves the record out or
converts it with a notice. A resumed run makes the same pass again and must reach the same decisions
(their digest is in the checkpoint)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

import orjson

from ..engine import Plan
from ..jsonio import dumps
from ..outfiles import is_stream
from ..reader import Record, read_line, read_records
from ..route import route
from ..sources import END, LINE, Input, Position, read_items

# What a mark does with its record: leave it out (counted under its reason) or convert it with a notice.
DROP, NOTE = "drop", "note"
IDENTICAL, SUPERSEDED, UNCHANGED, NUMBER = "duplicates", "superseded", "unchanged", "numbers"
# The fields that say who an order is and when it last changed, by what it is: a REST Stores order, a
# Velo one (its dialect's names for the same fields, see mappings.yaml `velo`), an eCommerce order.
FIELDS = {"rest": ("id", "lastUpdated"), "velo": ("_id", "_updatedDate"), "ecom": ("id", "updatedDate")}


@dataclass(frozen=True, slots=True)
class Mark:
    action: str  # DROP or NOTE
    reason: str  # the Stats counter it adds to
    message: str | None  # None: counted only (an unchanged order under --state)


# A record's marks, by its item's (input index, NDJSON line or None) and then its JSON path in the line or document.
Marks = dict[tuple[int, int | None], dict[str, Mark]]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who an order is, by its own fields, and a digest of everything it holds."""

    id: str
    number: str | None
    updated: datetime | None
    updated_text: str | None
    digest: str


def digest_of(payload: Any) -> str:  # noqa: ANN401 - any JSON value
    """The content of a record, independent of its key order and of where it was read."""
    return hashlib.blake2b(dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def identify(payload: Any, plan: Plan | None = None, kind: str | None = None) -> Identity | None:  # noqa: ANN401
    """The identity of an order (Stores REST or Velo, or eCommerce); None for anything else (a webhook
    body, a record without a text id, one the converter will refuse as mixed)."""
    if not isinstance(payload, dict):
        return None
    what = route(payload, plan, kind).kind
    if what == "stores_order":
        # The dialects' id markers, as detect_dialect reads them: both at once is a record the converter
        # refuses as mixed, so it has no identity here.
        if "_id" in payload and "id" in payload:
            return None
        id_key, updated_key = FIELDS["velo" if "_id" in payload else "rest"]
    elif what == "ecom_order":
        id_key, updated_key = FIELDS["ecom"]
    else:
        return None
    order_id = payload.get(id_key)
    if not isinstance(order_id, str) or not order_id:
        return None
    number = payload.get("number")
    updated_text, updated = _instant(payload.get(updated_key))
    try:
        digest = digest_of(payload)
    except (TypeError, orjson.JSONEncodeError):
        return None  # a value JSON cannot hold: the converter refuses the record itself
    shown_number = None if number is None or isinstance(number, bool | dict | list) else str(number)
    return Identity(order_id, shown_number, updated, updated_text, digest)


def _instant(value: Any) -> tuple[str | None, datetime | None]:  # noqa: ANN401
    """A date as Stores (ISO text), Velo (ISO text, or ``{"$date": ...}`` as Wix Data exports it) or
    epoch milliseconds hold it; (text, None) when it cannot be read as an instant."""
    if isinstance(value, dict) and set(value) == {"$date"}:
        value = value["$date"]
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int | Decimal):
        try:
            return str(value), datetime.fromtimestamp(float(Decimal(value) / 1000), timezone.utc)
        except (ValueError, OverflowError, ArithmeticError):
            return str(value), None
    if not isinstance(value, str):
        return None, None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value, None
    return value, when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


@dataclass(slots=True)
class Seen:
    """One order as the first pass read it."""

    key: tuple[int, int | None, str]  # input index, NDJSON line or None, JSON path
    order: int  # its rank in reading order
    ident: Identity


@dataclass(slots=True)
class Crosswalk:
    """The decisions of one run: marks by position, and their digest (what a checkpoint records)."""

    marks: Marks = field(default_factory=dict)
    digest: str = ""

    def annotate(self, items: Iterator[Any]) -> Iterator[Any]:
        """The items of the conversion pass, each carrying its records' marks to the worker."""
        for item in items:
            if item.kind != END:
                item.marks = self.marks.get((item.input, item.line))
            yield item


def scan(inputs: list[Input], plan: Plan | None, kind: str | None) -> Iterator[Seen]:
    """Every order of every input that can be read twice (stdin and pipes stream once: their orders are
    not crosswalked), in reading order, as the conversion pass will read them."""
    rank = 0
    for index, inp in enumerate(inputs):
        if inp.name == "-" or is_stream(inp.name):
            continue
        for item in read_items([inp], Position()):
            if item.kind == END or item.error is not None:
                continue
            if item.kind == LINE:
                assert item.data is not None and item.line is not None
                records = read_line(item.source, item.line, item.data, kind, plan)
            else:
                try:
                    data = FsPath(inp.name).read_bytes()
                except OSError:
                    continue  # the conversion pass reports it as a failed record
                records = read_records(inp.name, data, kind, item.source, plan)
            try:
                for rec in records:
                    if not isinstance(rec, Record):
                        continue
                    ident = identify(rec.payload, plan, kind)
                    if ident is not None:
                        yield Seen((index, item.line, rec.prefix), rank, ident)
                        rank += 1
            except Exception:  # noqa: BLE001, S112 - a reader bug: the conversion pass reports the record
                continue


def decide(
    inputs: list[Input], seen: Iterator[Seen], known: dict[str, str] | None = None, numbers_known: Mapping[str, str] | None = None
) -> Crosswalk:
    """The marks: for each id read more than once, the newest version by its last-updated instant (of
    equal instants, the one read last) is converted, the others left out and reported; identical copies
    are written once; an order whose content ``known`` (the ``--state`` file) already holds is left out,
    unchanged; a kept order whose ``number`` an earlier kept order of another id has is reported, as is
    one whose number an order of an earlier run has (``numbers_known``: the state's id -> number)."""
    by_id: dict[str, list[Seen]] = {}
    for s in seen:
        by_id.setdefault(s.ident.id, []).append(s)
    walk = Crosswalk()
    kept: list[Seen] = []
    unchanged: list[Seen] = []  # converted by an earlier run, as they are

    def where(s: Seen) -> str:  # as messages name a record: file:line, then its path inside a document
        index, line, path = s.key
        at = inputs[index].source if line is None else f"{inputs[index].source}:{line}"
        return at if path == "$" else f"{at}::{path}"

    for versions in by_id.values():
        winner = versions[-1] if len(versions) == 1 else max(versions, key=_recency)
        first = next(v for v in versions if v.ident.digest == winner.ident.digest)
        for v in versions:
            if v is first:
                continue
            if v.ident.digest == first.ident.digest:
                _mark(walk, v, Mark(DROP, IDENTICAL, f"order {v.ident.id} repeats {where(first)} identically: written once"))
            else:
                _mark(walk, v, Mark(DROP, SUPERSEDED, _superseded(v, first, where(first))))
        if known is not None and known.get(first.ident.id) == first.ident.digest:
            _mark(walk, first, Mark(DROP, UNCHANGED, None))
            unchanged.append(first)
        else:
            kept.append(first)
    # The numbers of earlier runs' orders that this run does not convert again (an order it converts
    # again may have changed its number: this run's version speaks for it). An unchanged order read here
    # tells its own, which a state file written before numbers were kept (format 1) does not.
    converted = {s.ident.id for s in kept}
    earlier: dict[str, str] = {}
    for order_id, known_number in sorted((numbers_known or {}).items()):
        if order_id not in converted:
            earlier.setdefault(known_number, order_id)
    for s in unchanged:
        if s.ident.number is not None:
            earlier.setdefault(s.ident.number, s.ident.id)
    numbers: dict[str, Seen] = {}
    for s in sorted(kept, key=lambda s: s.order):
        number = s.ident.number
        if number is None:
            continue
        before = earlier.get(number)
        if before is not None:
            message = (
                f"order {s.ident.id} has number {number}, as order {before} of an earlier run (--state): two orders, one number"
            )
            _mark(walk, s, Mark(NOTE, NUMBER, message))
            continue
        other = numbers.setdefault(number, s)
        if other is not s:
            message = (
                f"order {s.ident.id} has number {number}, as order {other.ident.id} at {where(other)}: two orders, one number"
            )
            _mark(walk, s, Mark(NOTE, NUMBER, message))
    h = hashlib.sha256()
    for key in sorted(walk.marks, key=lambda k: (k[0], k[1] or 0)):
        for path, mark in sorted(walk.marks[key].items()):
            h.update(orjson.dumps([key[0], key[1], path, mark.action, mark.reason]))
    walk.digest = h.hexdigest()
    return walk


def _recency(s: Seen) -> tuple[bool, datetime, int]:
    # A version whose last update cannot be read counts as older than any that can.
    when = s.ident.updated
    return (when is not None, when or datetime.min.replace(tzinfo=timezone.utc), s.order)


def _superseded(v: Seen, kept: Seen, kept_at: str) -> str:
    then = v.ident.updated_text or "no readable last update"
    now = kept.ident.updated_text or "no readable last update"
    if v.ident.updated is not None and v.ident.updated == kept.ident.updated:
        why = f"both last updated {now}; the one read last is kept"
    else:
        why = f"last updated {now}, not {then}"
    return f"order {v.ident.id} is also at {kept_at} with other content ({why}): this version is left out"


def _mark(walk: Crosswalk, s: Seen, mark: Mark) -> None:
    index, line, path = s.key
    walk.marks.setdefault((index, line), {})[path] = mark
