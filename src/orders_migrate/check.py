"""``orders-migrate check``: find stored payloads that still hold Stores orders or webhooks (or eCommerce
orders that fail validation), and with ``fix`` rewrite them in place as their eCommerce counterparts.

Built for pre-commit and CI: a file is judged by the records inside it (one order, Get Order and Query
Orders responses, arrays, NDJSON lines, stored webhook bodies, eCommerce order events); a JSON file with
no order in it is skipped, not failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

import orjson

from .check_splice import Layout, splice
from .engine.companions import contradictions
from .engine.detect import mixed_keys
from .engine.dialect import detect_dialect
from .engine.routing import default_routing
from .jsonio import describe_error, loads
from .models.validate import COMPANION_NAMES, validate_companion, validate_ecom_order
from .money import DEFAULT_LOCALE
from .outfiles import WriteError, write_atomically
from .paths import get, join_path, parse, render_steps
from .reader import NDJSON_SUFFIXES, looks_like_ndjson
from .report import ConversionError, Problem, under
from .route import payload_records, route

if TYPE_CHECKING:
    from .engine.plan import Plan
    from .engine.routing import Routing
    from .engine.webhook_table import WebhookSpec

JSON_SUFFIXES = frozenset({".json"}) | NDJSON_SUFFIXES

STORES_MESSAGE = "still a Stores order ({dialect}); `orders-migrate check --fix` converts it in place"
DIALECT_NAMES = {"rest": "stores/v2", "velo": "Velo, wix-stores-backend"}
WEBHOOK_MESSAGE = "still a Stores {name} webhook body; `orders-migrate check --fix` converts it to its eCommerce event"
# What --fix would refuse, said by check alone too, so it never promises a fix that --fix then refuses.
BLOCKED = "; `orders-migrate check --fix` cannot convert it until what follows is fixed"
STORES_BLOCKED = "still a Stores order ({dialect})" + BLOCKED
WEBHOOK_BLOCKED = "still a Stores {name} webhook body" + BLOCKED

ECOM_ORDER_FQDN = "wix.ecom.v1.order"
# Where an eCommerce order event carries the order (created, updated, and action events).
_EVENT_ORDERS = tuple(parse(p) for p in ("createdEvent.entity", "updatedEvent.currentEntity", "actionEvent.body.order"))


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a file fails the check, printed as ``file::$.path: message`` (NDJSON: ``file:LINE::``)."""

    where: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}::{self.path}: {self.message}"


@dataclass(slots=True)
class FileCheck:
    path: str
    findings: list[Finding] = field(default_factory=list)
    orders: int = 0  # order records seen; none means the file is not an order payload
    converted: int = 0  # Stores records converted by fix (and written when ``fixed``)
    fixed: bool = False
    pending: list[tuple[str, str]] = field(default_factory=list)  # (where, path) of each record converted

    @property
    def skipped(self) -> bool:
        return self.orders == 0 and not self.findings

    @property
    def clean(self) -> bool:
        return not self.findings and not self.fixed


def iter_files(args: Iterable[str]) -> Iterator[str]:
    """The files named, with folders expanded to their JSON and NDJSON files (hidden folders left out)."""
    for arg in args:
        top = FsPath(arg)
        if not top.is_dir():
            yield arg
            continue
        found = []
        for path in top.rglob("*"):
            rel = path.relative_to(top).parts
            if path.is_file() and path.suffix.lower() in JSON_SUFFIXES and not any(p.startswith(".") for p in rel):
                found.append(str(path))
        yield from sorted(found)


def check_file(name: str, fix: bool = False, locale: str = DEFAULT_LOCALE, plan: Plan | None = None) -> FileCheck:
    """Check one file; with ``fix``, rewrite it (atomically, keeping its layout) when every Stores record in
    it converts to a valid eCommerce order or event. A file with broken JSON is never rewritten. ``plan``:
    the table that tells the payloads apart and converts them (the shipped one by default, compiled only
    when a Stores record is to be converted)."""
    result = FileCheck(name)
    suffix = FsPath(name).suffix.lower()
    if suffix not in JSON_SUFFIXES and FsPath(name).exists():
        return result
    try:
        data = FsPath(name).read_bytes()
    except OSError as exc:
        result.findings.append(Finding(name, "$", f"cannot read: {exc.strerror or exc}"))
        return result
    if suffix in NDJSON_SUFFIXES:
        new = _check_ndjson(name, data, fix, locale, plan, result)
    else:
        new = _check_json(name, data, fix, locale, plan, result)
    if new is not None and result.findings:
        # A failing file is left byte for byte as it is: the user fixes the failure, then runs --fix again.
        result.findings.extend(
            Finding(where, prefix, "not fixed: this file fails the check elsewhere, so --fix leaves it as it is")
            for where, prefix in result.pending
        )
    elif new is not None:
        try:
            write_atomically(name, new)
        except WriteError as exc:
            result.findings.append(Finding(name, "$", f"not fixed: cannot write the file: {exc.cause}"))
            return result
        result.fixed = True
    return result


def _parse(data: bytes) -> tuple[Any, str | None]:
    if not data.strip():
        return None, "not valid JSON: the file is empty"
    try:
        return loads(data), None
    except orjson.JSONDecodeError as exc:
        return None, describe_error(exc, data)


def _check_json(name: str, data: bytes, fix: bool, locale: str, plan: Plan | None, result: FileCheck) -> bytes | None:
    doc, error = _parse(data)
    if error is not None:
        if looks_like_ndjson(data):
            return _check_ndjson(name, data, fix, locale, plan, result)
        result.findings.append(Finding(name, "$", error))
        return None
    replacements = _check_doc(doc, name, fix, locale, plan, result)
    if not replacements:
        return None
    result.converted += len(replacements)
    result.pending.extend((name, prefix) for prefix, _ in replacements)
    text = data.decode("utf-8")
    return splice(text, replacements, Layout.of(text)).encode("utf-8")


def _check_ndjson(name: str, data: bytes, fix: bool, locale: str, plan: Plan | None, result: FileCheck) -> bytes | None:
    lines = data.split(b"\n")
    blocked = False
    converted = 0
    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip(b"\r")
        if not line.strip():
            continue
        where = f"{name}:{n}"
        doc, error = _parse(line)
        if error is not None:
            result.findings.append(Finding(where, "$", error))
            blocked = True
            continue
        replacements = _check_doc(doc, where, fix, locale, plan, result)
        blocked = blocked or replacements is None
        if replacements:
            text = line.decode("utf-8")
            lines[n - 1] = splice(text, replacements, Layout.of(text, final_newline=False)).encode("utf-8") + raw[len(line) :]
            converted += len(replacements)
            result.pending.extend((where, prefix) for prefix, _ in replacements)
    if blocked or not converted:
        return None
    result.converted += converted
    return b"\n".join(lines)


def _check_doc(
    doc: Any, where: str, fix: bool, locale: str, plan: Plan | None, result: FileCheck
) -> list[tuple[str, Any]] | None:
    """Judge every record of one JSON document. With ``fix``: each Stores record's path and its conversion,
    or None when one could not be converted (then the whole file stays as it is)."""
    replacements: list[tuple[str, Any]] = []
    failed = False
    routing = plan or default_routing()
    for prefix, payload in payload_records(doc, plan=routing):
        if _is_companions(payload):
            result.orders += 1
            failed = not _check_companions(payload, where, prefix, fix, locale, plan, result, replacements) or failed
            continue
        routed = route(payload, routing)
        kind, webhook = routed.kind, routed.webhook
        if kind == "ecom_order":
            result.orders += 1
            result.findings.extend(_at(where, prefix, p) for p in validate_ecom_order(payload))
        elif kind == "ecom_event":
            result.orders += _check_event(payload, where, prefix, result)
        elif kind == "mixed":
            # Half converted: --fix cannot tell which half to trust, so the file stays as it is.
            result.orders += 1
            failed = True
            stores_key, ecom_key = mixed_keys(payload, routing.table)
            message = f"mixes Stores ({stores_key}) and eCommerce ({ecom_key}) order fields: fix it by hand"
            result.findings.append(Finding(where, prefix, message))
        elif kind.startswith("stores"):
            result.orders += 1
            if not fix:
                result.findings.extend(_still_stores(payload, where, prefix, routing, locale, plan, webhook))
                continue
            problems = _convert(payload, locale, plan, replacements, prefix, webhook.id if webhook is not None else None)
            if problems:
                failed = True
                result.findings.extend(_at(where, prefix, p.reworded(f"not fixed: {p.message}")) for p in problems)
        elif kind == "unknown" and (beside := _stores_order_beside(payload, where, prefix, routing)) is not None:
            result.orders += 1
            result.findings.append(beside)
            failed = failed or fix  # what the keys beside it are, --fix cannot tell: the file stays as it is
        elif kind == "unknown" and (inner := _ecom_order_beside(payload, routing)) is not None:
            # Not what --companions writes, but an eCommerce order all the same: held to its model as any
            # (skipped, an invalid one passed the hook); what is beside it is not check's to judge.
            result.orders += 1
            result.findings.extend(_at(where, join_path(prefix, "$.order"), p) for p in validate_ecom_order(inner))
    return None if failed else replacements


def _still_stores(
    record: Any, where: str, prefix: str, routing: Plan | Routing, locale: str, plan: Plan | None, webhook: WebhookSpec | None
) -> list[Finding]:
    """The finding of a Stores order (naming its dialect as the engine tells it) or webhook body left
    unconverted: that --fix converts it, or, when its conversion fails, why --fix would refuse it."""
    if webhook is None:
        try:
            dialect = DIALECT_NAMES[detect_dialect(record, routing.table)]
        except ConversionError as exc:  # REST and Velo at once: what --fix would refuse, said now
            return [_at(where, prefix, p) for p in exc.problems]
    problems = _convert(record, locale, plan, [], prefix, webhook.id if webhook is not None else None)
    if webhook is not None:
        message = (WEBHOOK_BLOCKED if problems else WEBHOOK_MESSAGE).format(name=webhook.stores)
    else:
        message = (STORES_BLOCKED if problems else STORES_MESSAGE).format(dialect=dialect)
    return [Finding(where, prefix, message), *(_at(where, prefix, p) for p in problems)]


def _stores_order_beside(record: Any, where: str, prefix: str, routing: Plan | Routing) -> Finding | None:
    """A Stores order under ``order`` beside keys no companion has: no other rule sees it (the record is
    neither an order, a Get Order response nor one written with its companions), so it is said here."""
    order = record.get("order") if isinstance(record, dict) else None
    others = sorted(set(record) - {"order", *COMPANION_NAMES}) if isinstance(order, dict) else []
    if not isinstance(order, dict) or not others or route(order, routing).kind != "stores_order":
        return None
    try:
        dialect = DIALECT_NAMES[detect_dialect(order, routing.table)]
    except ConversionError:
        dialect = "REST and Velo fields at once"
    named = ", ".join(render_steps((key,), prefix) for key in others)
    message = (
        f"still a Stores order ({dialect}), not converted: beside it {named}, which no companion is "
        f"(a record of an order and its companions holds only order, {', '.join(COMPANION_NAMES)}); "
        "`check --fix` converts an order alone or beside its companions: move it out, or remove what is beside it"
    )
    return Finding(where, join_path(prefix, "$.order"), message)


def _ecom_order_beside(record: Any, routing: Plan | Routing) -> dict[str, Any] | None:
    """The eCommerce order under ``order`` of a record that holds other keys too (none a webhook's)."""
    order = record.get("order") if isinstance(record, dict) else None
    if not isinstance(order, dict) or set(record) == {"order"} or route(order, routing).kind != "ecom_order":
        return None
    return order


def _is_companions(payload: Any) -> bool:
    """An order written with its companions (``convert --companions``): ``{"order", ...}`` and at least one
    of ``orderWithFulfillments`` and ``orderTransactions``, nothing else."""
    if not isinstance(payload, dict) or not isinstance(payload.get("order"), dict):
        return False
    keys = set(payload) - {"order"}
    return bool(keys) and keys <= set(COMPANION_NAMES)


def _check_companions(
    record: dict[str, Any],
    where: str,
    prefix: str,
    fix: bool,
    locale: str,
    plan: Plan | None,
    result: FileCheck,
    replacements: list[tuple[str, Any]],
) -> bool:
    """Judge an order written with its companions: each companion against its schema, the order as any
    order. With ``fix``, a Stores order is converted with its companions, which must be the ones beside
    it (or absent): --fix never throws away a companion it would write differently. False: not fixable."""
    for name in COMPANION_NAMES:
        if name in record:
            inner = f"{prefix}.{name}" if prefix != "$" else f"$.{name}"
            result.findings.extend(_at(where, inner, p) for p in validate_companion(name, record[name]))
    at = f"{prefix}.order" if prefix != "$" else "$.order"
    order = record["order"]
    routing = plan or default_routing()
    kind = route(order, routing).kind
    if kind == "ecom_order":
        result.findings.extend(_at(where, at, p) for p in validate_ecom_order(order))
        result.findings.extend(_beside(record, where, prefix))
        return True
    if kind == "mixed":
        stores_key, ecom_key = mixed_keys(order, routing.table)
        message = f"mixes Stores ({stores_key}) and eCommerce ({ecom_key}) order fields: fix it by hand"
        result.findings.append(Finding(where, at, message))
        return False
    if kind != "stores_order":
        result.findings.append(Finding(where, at, "not an order: a record of an order and its companions holds one"))
        return False
    if not fix:
        found = _still_stores(order, where, at, routing, locale, plan, None)
        # --fix keeps a companion only if the conversion gives the very same one: say so before it refuses.
        result.findings.extend(
            Finding(f.where, f.path, f.message + ", with its companions if they are the ones its conversion gives")
            if f.message.endswith("converts it in place")
            else f
            for f in found
        )
        return True
    from .convert import convert_parsed_order  # --fix converts: checking alone compiles no rows

    try:
        conversion = convert_parsed_order(order, locale=locale, validate=True, plan=plan, companions=True)
    except ConversionError as exc:
        result.findings.extend(_at(where, at, p.reworded(f"not fixed: {p.message}")) for p in exc.problems)
        return False
    problems = [
        Problem(e.path, f"not fixed: the conversion is {e.message}", e.places) for e in conversion.report.by_kind("invalid")
    ]
    result.findings.extend(_at(where, at, p) for p in problems)
    differ = [name for name in COMPANION_NAMES if name in record and record[name] != conversion.companions.get(name)]
    for name in differ:
        message = (
            f"not fixed: the Stores order gives another {name} than the one beside it, which --fix would lose; fix it by hand"
        )
        result.findings.append(Finding(where, f"{prefix}.{name}" if prefix != "$" else f"$.{name}", message))
    if problems or differ:
        return False
    replacements.append((prefix, {"order": conversion.order, **conversion.companions}))
    return True


def _beside(record: dict[str, Any], where: str, prefix: str) -> list[Finding]:
    """What a companion says of the order beside it that the order contradicts (see ``contradictions``)."""
    return [_at(where, prefix, p) for p in contradictions(record, COMPANION_NAMES)]


def _check_event(event: dict[str, Any], where: str, prefix: str, result: FileCheck) -> int:
    """Validate the order an eCommerce order event carries; the number of orders found (0 or 1)."""
    if event.get("entityFqdn") != ECOM_ORDER_FQDN:
        return 0
    for path in _EVENT_ORDERS:
        order = get(event, path)
        if isinstance(order, dict):
            inner = prefix + path.render()[1:]
            result.findings.extend(_at(where, inner, p) for p in validate_ecom_order(order))
            return 1
    return 0


def _convert(
    payload: Any, locale: str, plan: Plan | None, replacements: list[tuple[str, Any]], prefix: str, webhook: str | None = None
) -> list[Problem]:
    from .convert import convert_parsed_order  # only a Stores record is converted: an eCommerce one needs no rows
    from .webhooks import convert_parsed_webhook

    try:
        if webhook is None:
            conversion = convert_parsed_order(payload, locale=locale, validate=True, plan=plan)
        else:
            conversion = convert_parsed_webhook(payload, kind=webhook, locale=locale, plan=plan)
    except ConversionError as exc:
        return exc.problems
    if webhook is None:
        invalid = [Problem(e.path, f"the conversion is {e.message}", e.places) for e in conversion.report.by_kind("invalid")]
    else:
        scratch = FileCheck("")
        _check_event(conversion.order, "", "$", scratch)
        invalid = [Problem(f.path, f"the conversion is not a valid eCommerce order: {f.message}") for f in scratch.findings]
    if invalid:
        # Writing an order that fails the eCommerce schema would trade one failing file for another.
        return invalid
    replacements.append((prefix, conversion.order))
    return []


def _at(where: str, prefix: str, problem: Problem) -> Finding:
    rerooted = problem.rerooted(under(prefix))
    return Finding(where, rerooted.path, rerooted.message)


def summary(results: list[FileCheck]) -> str:
    failing = sum(1 for r in results if r.findings)
    fixed = sum(1 for r in results if r.fixed)
    skipped = sum(1 for r in results if r.skipped and not r.fixed)
    clean = sum(1 for r in results if r.clean and not r.skipped)
    return f"{failing} file(s) failing, {fixed} fixed, {clean} clean, {skipped} skipped (no order payload)"
