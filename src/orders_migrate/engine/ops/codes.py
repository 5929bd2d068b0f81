"""Operations that write ISO codes: a country (3166-1 alpha-2), a subdivision (3166-2) and a currency (4217);
a value that is no code is kept and reported, never guessed. And the names Wix writes beside a country
and a subdivision code (``countryFullname``, ``subdivisionFullname``), from the same ISO data."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ... import iso
from ...money import is_currency
from ...paths import get
from ...report import describe
from ..context import (
    SKIP,
    At,
    Ctx,
    Spec,
    Step,
)
from ..operation import Operation, proves, value_op


# ISO data does not change while a process runs, and a shop's orders name the same few countries and
# states: each code is worked out once (four lookups an address).
@lru_cache(maxsize=4096)
def _country_alpha2(value: str) -> str | None:
    if len(value) == 2:
        return value.upper() if iso.country_by_alpha2(value.upper()) else None
    if len(value) == 3:
        return iso.country_by_alpha3(value.upper())
    return None


def op_country_code(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or value == "":
            return value
        if not isinstance(value, str):
            ctx.problem(path, f"expected a country code, got {describe(value)}")
            return SKIP
        code = _country_alpha2(value)
        if code is None:
            ctx.report("unknown_value", path, f"{describe(value)} is not an ISO 3166-1 country code; kept as it is", spec.row.id)
            return value
        return code

    return value_op(spec, convert)


def op_currency_code(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is not None and not is_currency(value):
            ctx.report(
                "unknown_value",
                path,
                f"{describe(value)} is not an ISO 4217 currency code: copied, but no amount is formatted",
                spec.row.id,
            )
        return value

    return value_op(spec, convert)


def op_subdivision_code(spec: Spec) -> Step:
    (country_path,) = spec.one_read("country")

    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if not isinstance(value, str) or not value or "-" in value:
            return value  # already ISO 3166-2 ("US-NY"), or empty
        country = get(src, country_path)
        alpha2 = _country_alpha2(country) if isinstance(country, str) else None
        code = f"{alpha2}-{value.upper()}" if alpha2 else None
        if code is None or iso.subdivision_name(code) is None:
            ctx.report(
                "not_derivable",
                path,
                f"{describe(value)} is not a subdivision of country {describe(country)}; kept as it is, not ISO 3166-2",
                spec.row.id,
            )
            return value
        return code

    return value_op(spec, convert, role="subdivision")


def _subdivision(value: str, country: Any) -> str | None:
    """The name of the subdivision of an ISO 3166-2 code, or of a bare code in the given country; None."""
    code = value.upper()
    if "-" not in code:
        alpha2 = _country_alpha2(country) if isinstance(country, str) else None
        if alpha2 is None:
            return None
        code = f"{alpha2}-{code}"
    return iso.subdivision_name(code)


def op_country_name(spec: Spec) -> Step:
    """The country's name as Wix writes ``countryFullname`` ("United States"): pycountry's common name
    where it has one ("Taiwan", "South Korea"), else its name. A value that is no code gets none (the
    country_code row reports it)."""

    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        code = _country_alpha2(value) if isinstance(value, str) and value else None
        name = iso.country_name(code) if code is not None else None
        return SKIP if name is None else name

    return value_op(spec, convert)


def op_subdivision_name(spec: Spec) -> Step:
    """The subdivision's name as Wix writes ``subdivisionFullname`` ("New York"); none for a value that
    is no subdivision (the subdivision_code row reports it)."""
    (country_path,) = spec.one_read("country")

    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if not isinstance(value, str) or not value:
            return SKIP
        found = _subdivision(value, get(src, country_path))
        return SKIP if found is None else found

    return value_op(spec, convert, role="subdivision")


OPERATIONS = (
    Operation("country_code", op_country_code, proves=proves("string")),
    Operation("country_name", op_country_name, proves=proves("string")),
    Operation("currency_code", op_currency_code),  # copies what it does not know, as it came
    Operation("subdivision_code", op_subdivision_code),  # keeps what it cannot read, as it came
    Operation("subdivision_name", op_subdivision_name, proves=proves("string")),
)
