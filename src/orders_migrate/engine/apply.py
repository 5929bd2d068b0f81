"""Apply a plan to one record: the one place a Stores order, an address or a webhook's fulfillment or
refund is converted (``Plan.convert``, ``Plan.convert_address``, ``Section.convert``).

An order goes: recognised (Stores, eCommerce, or a half-converted mix), checked for what the table
requires, rewritten into the REST shape when it is a Velo order, run through the plan's steps and input
rules, walked for what no row read, and, on request, validated against the eCommerce model. Every report
entry and error names the path of the user's own file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..money import DEFAULT_LOCALE, formatter, is_currency
from ..paths import MISSING, get, is_empty, parse, render_steps, tree_copy
from ..report import ConversionError, Entry, Problem, Report, Validation, describe, under
from .companions import build_companions
from .context import Ctx
from .detect import detect_kind, mixed_keys
from .dialect import Dialect, detect_dialect, restore_path
from .table import COMPANION_SECTIONS

if TYPE_CHECKING:
    from ..explain_ledger import Ledger
    from .plan import Plan, Section


@dataclass(slots=True)
class Conversion:
    """One converted order: ``order`` is a plain dict ready to dump, ``report`` says what it left out."""

    order: dict[str, Any]
    report: Report
    position: Any = None  # where the record was, as convert_many numbers or keys it
    ledger: Ledger | None = None  # with convert_order(..., explain=True): where every value came from and went
    # With ``companions=True``: "orderWithFulfillments" and "orderTransactions", each when there is something to carry.
    companions: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AddressConversion:
    address: dict[str, Any]
    contact_details: dict[str, Any]
    email: str | None
    entries: list[Entry] = field(default_factory=list)


def convert(
    plan: Plan,
    payload: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    source: str | None = None,
    validate: Validation = False,
    partial: bool = False,
    dialect: Dialect | None = None,
    companions: bool = False,
) -> Conversion:
    """``Plan.convert``: see there."""
    if not (validate is True or validate is False or validate == "audit"):
        raise ValueError(f'validate is True, False or "audit", not {validate!r}')
    try:
        return _convert(plan, payload, locale, source, validate, partial, dialect, companions)
    except RecursionError:
        raise ConversionError([Problem("$", "nested too deeply to convert")]) from None
    except (InvalidOperation, ValueError, TypeError, AttributeError) as exc:
        raise python_only(payload, exc) from None


def python_only(payload: Any, exc: Exception) -> Exception:
    """What a value no JSON file can hold made a row raise (a caller in Python passed it): a signalling
    NaN raises when compared, an integer beyond the interpreter's digit limit when spelled, a key not a
    string when a path names it or keys are sorted. Looked for only once one has raised, so no order pays
    for the walk; anything else is raised as it was."""
    problems = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), payload)]
    while stack:
        steps, value = stack.pop()
        if isinstance(value, dict):
            odd = [k for k in value if not isinstance(k, str)]
            if odd:
                # No path spells the key, so the object holding it is named, and nothing under it.
                problems.append(
                    Problem(render_steps(steps), f"expected a JSON object, got a key that is not a string ({describe(odd[0])})")
                )
                continue
            stack.extend(((*steps, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*steps, n), v) for n, v in reversed(list(enumerate(value))))
        elif isinstance(value, Decimal) and value.is_snan():
            problems.append(Problem(render_steps(steps), "expected a JSON value, got a signalling NaN (sNaN)"))
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _SPELLED_BITS:
            problems.append(
                Problem(render_steps(steps), "expected a JSON value, got an integer with more digits than can be written as text")
            )
    return ConversionError(problems) if problems else exc


_SPELLED_BITS = 14_000  # about 4,200 digits: below the interpreter's default limit of 4,300 for str()


def _convert(
    plan: Plan,
    payload: Any,
    locale: str,
    source: str | None,
    validate: Validation,
    partial: bool,
    dialect: Dialect | None,
    companions: bool = False,
) -> Conversion:
    if not isinstance(payload, dict):
        raise ConversionError([Problem("$", f"expected an order object, got {describe(payload)}")])
    if written_with_companions(payload, plan):
        return _pass_with_companions(payload, source, validate, companions)
    kind = detect_kind(payload, plan.table)
    order_id = payload.get("id") if isinstance(payload.get("id"), str) else None
    if kind == "ecom_order":
        report = Report("ecom_order", order_id, source)
        report.entries.append(Entry("passed_through", "$", "already an eCommerce order: passed through unchanged"))
        if validate:
            report.entries.extend(_invalid_entries(payload))
        return Conversion(tree_copy(payload), report)  # the caller's own objects stay theirs
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
        raise ConversionError(_no_order(payload, plan))
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
    if plan.aliases is not None:  # after the dialect: an alias names a field as the rows read it
        payload = plan.aliases.apply(payload, ctx)
    if currency is None and is_empty(payload.get("currency")):
        ctx.report("not_derivable", "$.currency", "the order has no currency: Price objects carry no formattedAmount", None)
    for step in plan.steps:
        step(payload, out, ctx, ())
    if not partial:  # a webhook's summary is not held to the Stores API's input rules
        for step in plan.checks:
            step(payload, out, ctx, ())
    plan.walk(payload, ctx.entries)
    # Built from the REST shape, before the report is given the Velo paths back.
    built = build_companions(plan, payload, ctx) if companions else {}
    if moved:
        # The report and the errors name the paths of the user's own (Velo) file.
        def in_file(path: str) -> str:
            return restore_path(path, moved)

        ctx.entries[first_plan_entry:] = [e.rerooted(in_file) for e in ctx.entries[first_plan_entry:]]
        ctx.problems[:] = [p.rerooted(in_file) for p in ctx.problems]
    if ctx.problems:
        raise ConversionError(ctx.problems)
    if validate == "audit":
        ctx.entries.extend(_invalid_entries(out))
    elif validate:
        ctx.entries.extend(plan.validity().entries(out, ctx.signed))  # valid by construction: what the rows cannot imply
    if validate and built:
        ctx.entries.extend(_invalid_companion_entries(built))
    return Conversion(out, Report("stores_order", order_id, source, ctx.entries, dialect), companions=built)


def _no_order(payload: dict[str, Any], plan: Plan) -> list[Problem]:
    """Why a record is no order. One that holds an order beside other keys is named as import-plan and
    check name it (what is beside the order), not as a record with no order fields."""
    order = payload.get("order")
    inner = detect_kind(order, plan.table) if isinstance(order, dict) and set(payload) != {"order"} else None
    if inner in ("stores_order", "ecom_order"):
        others = sorted(set(payload) - {"order"} - set(COMPANION_SECTIONS))
        if others:
            message = (
                "not a companion: a record of an order and its companions holds only order, "
                f"{', '.join(COMPANION_SECTIONS)}; convert the order alone"
            )
            return [Problem(render_steps((key,)), message) for key in others]
        if inner == "stores_order":
            message = (
                "a Stores order beside companions: convert --companions builds them from the Stores order "
                "itself; convert the Stores order alone"
            )
            return [Problem("$.order", message)]
    return [Problem("$", "not a Stores order: no lineItems, totals or other order fields")]


def written_with_companions(payload: dict[str, Any], plan: Plan) -> bool:
    """A record ``convert --companions`` wrote: ``{"order": <eCommerce order>, "orderTransactions", ...}``."""
    order = payload.get("order")
    others = set(payload) - {"order"}
    return (
        isinstance(order, dict)
        and bool(others)
        and others <= set(COMPANION_SECTIONS)
        and detect_kind(order, plan.table) == "ecom_order"
    )


def _pass_with_companions(payload: dict[str, Any], source: str | None, validate: Validation, companions: bool) -> Conversion:
    """Such a record passes through as a bare eCommerce order does, its companions with it, so a second run
    over a migration's own output is harmless; without ``companions`` they are not written, and said so."""
    order: dict[str, Any] = payload["order"]
    order_id = order.get("id") if isinstance(order.get("id"), str) else None
    report = Report("ecom_order", order_id, source)
    report.entries.append(
        Entry("passed_through", "$", "already an eCommerce order with its companions: passed through unchanged")
    )
    order = tree_copy(order)  # the caller's own objects stay theirs
    beside = {name: tree_copy(payload[name]) for name in COMPANION_SECTIONS if name in payload}
    if not companions:
        report.entries.extend(
            Entry("dropped", f"$.{name}", "a companion is written beside its order only when asked (--companions)")
            for name in beside
        )
    if validate:
        report.entries.extend(e.rerooted(under("$.order")) for e in _invalid_entries(order))
        report.entries.extend(_invalid_companion_entries(beside))
    return Conversion(order, report, companions=beside if companions else {})


def _invalid_companion_entries(built: Mapping[str, Any]) -> list[Entry]:
    """Each companion against its own schema, whole (they are small), at its path in the record
    ``convert --companions`` writes (``$.orderTransactions.payments[0]...``), as ``check`` names it."""
    from ..models.validate import validate_companion

    return [
        Entry("invalid", f"$.{name}{p.path[1:]}", f"not a valid {name}: {p.message}")
        for name, companion in built.items()
        for p in validate_companion(name, companion)
    ]


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


def _invalid_entries(order: dict[str, Any]) -> list[Entry]:
    # Imported on first use: building the pydantic models is most of the import time of the package.
    from ..models.validate import invalid_entries

    return invalid_entries(order)


def convert_address(plan: Plan, address: Any, *, contact: bool = True) -> AddressConversion:
    """``Plan.convert_address``: see there."""
    if not isinstance(address, dict):
        raise ConversionError([Problem("$", f"expected an address object, got {describe(address)}")])
    root: dict[str, Any] = {}
    ctx = Ctx(None, None, root)
    host: dict[str, Any] = {"address": {}}
    for step in plan.standalone_address[contact]:
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


def convert_section(
    section: Section, src: dict[str, Any], *, prefix: str, locale: str, currency: str | None
) -> tuple[dict[str, Any], list[Entry]]:
    """``Section.convert``: see there."""
    out: dict[str, Any] = {}
    ctx = Ctx(formatter(currency, locale), currency, out)
    for step in section.steps:
        step(src, out, ctx, ())
    if ctx.problems:
        raise ConversionError(ctx.problems).prefixed(prefix)
    section.walk(src, ctx.entries)
    if prefix == "$":
        return out, ctx.entries
    where = under(prefix)
    return out, [e.rerooted(where) for e in ctx.entries]
