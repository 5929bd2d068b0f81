"""The library's front door: convert one Stores order (or a Query Orders response) with the plan; the
work itself is ``Plan.convert`` (engine/apply.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .engine import Plan, default_plan
from .engine.apply import AddressConversion as AddressConversion  # the front door's result types
from .engine.apply import Conversion as Conversion
from .engine.dialect import Dialect
from .jsonio import load_record
from .money import DEFAULT_LOCALE
from .report import ConversionError, Validation
from .route import records as records  # part of the front door: the orders a document holds


def convert_order(
    payload: dict[str, Any] | bytes | str,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: Validation = False,
    partial: bool = False,
    dialect: Dialect | None = None,
    explain: bool = False,
    companions: bool = False,
) -> Conversion:
    """Convert one Stores order to an eCommerce order dict and its report.

    ``payload`` is the order as a dict, or the JSON bytes or text as read: those are parsed by
    ``orders_migrate.loads``, so a Velo price 30.10 keeps its two decimals (``json.loads`` would make it
    the float 30.1). ``locale`` (of formattedAmount), ``plan`` (a compiled table; the shipped one by
    default), ``source`` (named in the report), ``validate`` (check the result against the eCommerce
    model and report ``invalid`` entries), ``partial`` (a webhook's summary: no line items required, no
    input rules checked), ``dialect`` (``"rest"`` or ``"velo"`` when known; recognised otherwise),
    ``explain`` (also give the ledger: where every value came from and went, ``Conversion.ledger``),
    ``companions`` (also build ``Conversion.companions``: the order's ``"orderWithFulfillments"`` and
    ``"orderTransactions"``, each only when the order has something for it; the report then names as
    carried what they carry).
    Raises ``ConversionError`` with every problem found, each with its ``$.path``. An eCommerce order
    passes through unchanged, so a second run is harmless. The payload is not changed, and the result
    shares no object with it (a copied object, an order passed through, is a copy).
    """
    if isinstance(payload, (bytes, str)):
        payload = load_record(payload, "a JSON order")
    conversion = convert_parsed_order(
        payload,
        locale=locale,
        plan=plan,
        source=source,
        validate=validate,
        partial=partial,
        dialect=dialect,
        companions=companions,
    )
    if explain:
        from .explain import explain_order  # only when asked: explaining costs the conversion nothing

        conversion.ledger = explain_order(
            payload, plan=plan, locale=locale, partial=partial, dialect=dialect, companions=companions
        )
    return conversion


def convert_parsed_order(
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: Validation = False,
    partial: bool = False,
    dialect: Dialect | None = None,
    companions: bool = False,
) -> Conversion:
    """``convert_order`` for a value already parsed, as the readers hand them over: a string here is a
    JSON string (not an order), never a text to parse a second time."""
    return (plan or default_plan()).convert(
        payload, locale=locale, source=source, validate=validate, partial=partial, dialect=dialect, companions=companions
    )


def convert_query_response(
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    plan: Plan | None = None,
    source: str | None = None,
    validate: Validation = False,
) -> list[Conversion]:
    """Convert every order of a Query Orders response (or array; a dict, or the JSON bytes or text as
    read); the first bad order raises. The response's own keys beside its orders (``metadata``,
    ``totalResults``: the paging of the query) are no order's: ``route.envelope_entries(payload)`` gives
    them as report entries, as the command line writes them in a report of the response's own."""
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
    validate: Validation = False,
    keyed: bool = False,
    companions: bool = False,
) -> Iterator[Conversion | ConversionError]:
    """Lazily convert many orders (each a dict, or its JSON bytes or text, such as the lines of an NDJSON
    file); a bad one yields its error instead of stopping the rest. ``companions``: each result's
    ``companions`` too, as ``convert_order(..., companions=True)`` builds them.

    Each result carries its ``position``, so a caller need not count: the record's number from 1 (its line,
    for the lines of a file), or with ``keyed`` the key of ``(key, payload)`` pairs (a table's primary key).
    A report's ``source`` is then ``source:position``, as a batch run names a record."""
    for n, item in enumerate(payloads, start=1):
        position, payload = item if keyed else (n, item)
        where = f"{source}:{position}" if source is not None else None
        try:
            conversion = convert_order(payload, locale=locale, plan=plan, source=where, validate=validate, companions=companions)
        except ConversionError as exc:
            exc.position = position
            yield exc
        else:
            conversion.position = position
            yield conversion


def convert_address(address: Any, *, contact: bool = True, plan: Plan | None = None) -> AddressConversion:
    """Convert one Stores address alone: (eCommerce address, contactDetails, buyer email)."""
    return (plan or default_plan()).convert_address(address, contact=contact)
