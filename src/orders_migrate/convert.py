"""The library's front door: convert one Stores order (or a Query Orders response) with the plan."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .detect import detect_kind, mixed_keys
from .engine import Plan, default_plan
from .engine.context import Ctx
from .engine.dialect import Dialect, detect_dialect, restore_path
from .jsonio import load_record
from .money import DEFAULT_LOCALE, formatter, is_currency
from .paths import MISSING, get, is_empty, parse
from .report import ConversionError, Entry, Problem, Report, describe


@dataclass(slots=True)
class Conversion:
    """One converted order: ``order`` is a plain dict ready to dump, ``report`` says what it left out."""

    order: dict[str, Any]
    report: Report
    position: Any = None  # where the record was, as convert_many numbers or keys it


@dataclass(slots=True)
class AddressConversion:
    address: dict[str, Any]
    contact_details: dict[str, Any]
    email: str | None
    entries: list[Entry] = field(default_factory=list)


def _check_required(order: Mapping[str, Any], plan: Plan) -> list[Problem]:
    problems = []
    for p in plan.required:
        value = get(order, p)
        if value is MISSING or value is None:
            problems.append(Problem(p.render(), "required field is missing"))
        elif value == [] or value == {}:
            problems.append(Problem(p.render(), "must not be empty"))
    for p, limit in plan.table.max_items.items():
        value = get(order, p)
        if isinstance(value, list) and len(value) > limit:
            noun = p.text.rsplit(".", 1)[-1]
            problems.append(
                Problem(
                    p.render(),
                    f"at most {limit} {'line items' if noun == 'lineItems' else 'items'} (the schema's maximum), got {len(value)}",
                )
            )
    return problems


def convert_order(
    payload: dict[str, Any] | bytes | str,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: bool = False,
    partial: bool = False,
    dialect: Dialect | None = None,
) -> Conversion:
    """Convert one Stores order to an eCommerce order dict and its report.

    ``payload`` is the order as a dict, or the JSON bytes or text as read: those are parsed by
    ``orders_migrate.loads``, so a Velo price 30.10 keeps its two decimals (``json.loads`` would make it
    the float 30.1). ``locale`` (of formattedAmount), ``plan`` (a compiled table; the shipped one by
    default), ``source`` (named in the report), ``validate`` (check the result against the eCommerce
    model and report ``invalid`` entries), ``partial`` (a webhook's summary: no line items required, no
    input rules checked), ``dialect`` (``"rest"`` or ``"velo"`` when known; recognised otherwise).
    Raises ``ConversionError`` with every problem found, each with its ``$.path``. An eCommerce order
    passes through unchanged, so a second run is harmless.
    """
    if isinstance(payload, (bytes, str)):
        payload = load_record(payload, "a JSON order")
    return convert_parsed_order(
        payload, locale=locale, plan=plan, source=source, validate=validate, partial=partial, dialect=dialect
    )


def convert_parsed_order(
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: bool = False,
    partial: bool = False,
    dialect: Dialect | None = None,
) -> Conversion:
    """``convert_order`` for a value already parsed, as the readers hand them over: a string here is a
    JSON string (not an order), never a text to parse a second time."""
    try:
        return _convert_order(
            payload, locale=locale, plan=plan, source=source, validate=validate, partial=partial, dialect=dialect
        )
    except RecursionError:
        raise ConversionError([Problem("$", "nested too deeply to convert")]) from None


def _convert_order(
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: bool = False,
    partial: bool = False,
    dialect: Dialect | None = None,
) -> Conversion:
    """Convert one Stores order dict to an eCommerce order dict and its report.

    ``partial`` is for the summaries some webhooks carry: no line items are required and the Stores
    API's input rules are not checked.

    Raises ``ConversionError`` with every problem found (each with its ``$.path``) when the input
    cannot be converted. An eCommerce order passes through unchanged, so a second run is harmless.
    ``validate=True`` checks the result against the eCommerce order model and reports each problem
    as an ``invalid`` entry at its output path.
    """
    plan = plan or default_plan()
    if not isinstance(payload, dict):
        raise ConversionError([Problem("$", f"expected an order object, got {describe(payload)}")])
    kind = detect_kind(payload, plan.table)
    order_id = payload.get("id") if isinstance(payload.get("id"), str) else None
    if kind == "ecom_order":
        report = Report("ecom_order", order_id, source)
        report.entries.append(Entry("passed_through", "$", "already an eCommerce order: passed through unchanged"))
        if validate:
            report.entries.extend(_invalid_entries(payload))
        return Conversion(payload, report)
    if kind == "mixed":
        stores_key, ecom_key = mixed_keys(payload, plan.table)
        raise ConversionError(
            [
                Problem(
                    "$",
                    f"mixes Stores ({stores_key}) and eCommerce ({ecom_key}) order fields: a half-converted record is neither converted nor passed through",
                )
            ]
        )
    if kind != "stores_order" and not partial:
        raise ConversionError([Problem("$", "not a Stores order: no lineItems, totals or other order fields")])
    dialect = dialect or detect_dialect(payload, plan.table)
    problems = [] if partial else _check_required(payload, plan)
    if problems:
        raise ConversionError(problems)
    currency = payload.get("currency")
    currency = currency if is_currency(currency) else None  # the currency row reports an unknown one
    out: dict[str, Any] = {}
    ctx = Ctx(formatter(currency, locale), currency, out)
    moved: dict[str, str] = {}
    if dialect == "velo":
        payload, moved = plan.velo.apply(payload, ctx)
        order_id = payload.get("id") if isinstance(payload.get("id"), str) else None
    first_plan_entry = len(ctx.entries)
    if currency is None and is_empty(payload.get("currency")):
        ctx.report("not_derivable", "$.currency", "the order has no currency: Price objects carry no formattedAmount", None)
    plan.apply(payload, ctx, checks=not partial)
    plan.walk(payload, ctx.entries)
    if moved:
        # The report and the errors name the paths of the user's own (Velo) file.
        ctx.entries[first_plan_entry:] = [e.with_path(restore_path(e.path, moved)) for e in ctx.entries[first_plan_entry:]]
        ctx.problems[:] = [Problem(restore_path(p.path, moved), p.message) for p in ctx.problems]
    if ctx.problems:
        raise ConversionError(ctx.problems)
    if validate:
        ctx.entries.extend(_invalid_entries(out))
    return Conversion(out, Report("stores_order", order_id, source, ctx.entries, dialect))


def _invalid_entries(order: dict[str, Any]) -> list[Entry]:
    # Imported on first use: building the pydantic models is most of the import time of the package.
    from .models.validate import invalid_entries

    return invalid_entries(order)


def records(payload: Any) -> Iterator[tuple[str, Any]]:
    """The orders inside a payload with their JSON path: one order, ``{"order": ...}`` (Get Order),
    ``{"orders": [...]}`` (Query Orders) or a JSON array of orders."""
    if isinstance(payload, list):
        for n, item in enumerate(payload):
            yield f"$[{n}]", item
    elif isinstance(payload, dict) and isinstance(payload.get("orders"), list) and "lineItems" not in payload:
        for n, item in enumerate(payload["orders"]):
            yield f"$.orders[{n}]", item
    elif isinstance(payload, dict) and isinstance(payload.get("order"), dict) and set(payload) == {"order"}:
        yield "$.order", payload["order"]
    else:
        yield "$", payload


def convert_query_response(
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: bool = False,
) -> list[Conversion]:
    """Convert every order of a Query Orders response (or array; a dict, or the JSON bytes or text as
    read); the first bad order raises."""
    if isinstance(payload, (bytes, str)):
        payload = load_record(payload, "a Query Orders response")
    out = []
    for prefix, item in records(payload):
        try:
            out.append(convert_parsed_order(item, locale=locale, plan=plan, source=source, validate=validate))
        except ConversionError as exc:
            raise exc.prefixed(prefix) from None
    return out


def convert_many(
    payloads: Iterable[Any],
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: bool = False,
    keyed: bool = False,
) -> Iterator[Conversion | ConversionError]:
    """Lazily convert many orders (each a dict, or its JSON bytes or text, such as the lines of an NDJSON
    file); a bad one yields its error instead of stopping the rest.

    Each result carries its ``position``, so a caller need not count: the record's number from 1 (its line,
    for the lines of a file), or with ``keyed`` the key of ``(key, payload)`` pairs (a table's primary key).
    A report's ``source`` is then ``source:position``, as a batch run names a record."""
    for n, item in enumerate(payloads, start=1):
        position, payload = item if keyed else (n, item)
        where = f"{source}:{position}" if source is not None else None
        try:
            conversion = convert_order(payload, locale=locale, plan=plan, source=where, validate=validate)
        except ConversionError as exc:
            exc.position = position
            yield exc
        else:
            conversion.position = position
            yield conversion


def convert_address(address: Any, *, contact: bool = True, plan: Plan | None = None) -> AddressConversion:
    """Convert one Stores address alone: (eCommerce address, contactDetails, buyer email)."""
    plan = plan or default_plan()
    if not isinstance(address, dict):
        raise ConversionError([Problem("$", f"expected an address object, got {describe(address)}")])
    root: dict[str, Any] = {}
    ctx = Ctx(None, None, root)
    host: dict[str, Any] = {"address": {}}
    for step in plan.address_steps(contact):
        step(address, host, ctx, ())
    if ctx.problems:
        raise ConversionError(ctx.problems)
    plan.address_walk(address, ctx.entries)
    email = get(root, parse("buyerInfo.email"))
    return AddressConversion(
        host.get("address", {}),
        host.get("contactDetails", {}),
        email if isinstance(email, str) else None,
        ctx.entries,
    )
