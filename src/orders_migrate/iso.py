"""ISO 3166 country and subdivision codes and their names, read from the data files of the pinned pycountry
(pyproject.toml) without importing pycountry.

Importing pycountry costs about 0.1 s, and its first subdivision lookup loads all 5,046 subdivisions as
objects indexed by every field (0.18 s more): most of a one-order run, for the few codes an order names.
Its JSON files read here are the same data, so the answers are the same (``tests/test_iso.py`` holds every
code to pycountry's own ``get``). Lookups ignore case, as pycountry's do.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import orjson


def _database(standard: str) -> list[dict[str, str]]:
    """The entries of one of pycountry's ISO files (``3166-1``, ``3166-2``)."""
    spec = importlib.util.find_spec("pycountry")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pycountry, whose ISO data orders-migrate reads, is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "databases"
    entries: list[dict[str, str]] = orjson.loads((folder / f"iso{standard}.json").read_bytes())[standard]
    return entries


@cache
def _countries() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(alpha-2 by lowercase alpha-2, alpha-2 by lowercase alpha-3, Wix's name by lowercase alpha-2)."""
    by_alpha2: dict[str, str] = {}
    by_alpha3: dict[str, str] = {}
    names: dict[str, str] = {}
    for country in _database("3166-1"):
        alpha2 = country["alpha_2"]
        by_alpha2[alpha2.lower()] = alpha2
        by_alpha3[country["alpha_3"].lower()] = alpha2
        # Wix writes the common name where ISO has one ("Taiwan", "South Korea").
        names[alpha2.lower()] = country.get("common_name") or country["name"]
    return by_alpha2, by_alpha3, names


@cache
def _subdivisions() -> dict[str, str]:
    """Each subdivision's name by its lowercase ISO 3166-2 code."""
    return {entry["code"].lower(): entry["name"] for entry in _database("3166-2")}


def country_by_alpha2(code: str) -> str | None:
    """The country's alpha-2 code as ISO writes it, or None when ``code`` is no alpha-2 code."""
    return _countries()[0].get(code.lower())


def country_by_alpha3(code: str) -> str | None:
    """The alpha-2 code of the country whose alpha-3 code is ``code``; None when there is none."""
    return _countries()[1].get(code.lower())


def country_name(alpha2: str) -> str | None:
    """The name Wix writes for a country (pycountry's common name where it has one, else its name)."""
    return _countries()[2].get(alpha2.lower())


def subdivision_name(code: str) -> str | None:
    """The name of the subdivision whose ISO 3166-2 code is ``code`` ("US-NY"); None when there is none."""
    return _subdivisions().get(code.lower())
