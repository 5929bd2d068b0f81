"""The ISO codes and names read from pycountry's data files are pycountry's own answers, for every
country and subdivision it knows and for text it does not know, in any case."""

from __future__ import annotations

import json
import subprocess
import sys

import pycountry
from hypothesis import given
from hypothesis import strategies as st

from orders_migrate import iso


def _name(country: object) -> str:
    return getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


def test_every_country_is_found_by_both_codes_with_its_name() -> None:
    countries = list(pycountry.countries)
    assert len(countries) > 240
    for country in countries:
        for code in (country.alpha_2, country.alpha_2.lower()):
            assert iso.country_by_alpha2(code) == country.alpha_2
            assert iso.country_name(code) == _name(country)
        for code in (country.alpha_3, country.alpha_3.lower()):
            assert iso.country_by_alpha3(code) == country.alpha_2


def test_every_subdivision_is_found_by_its_code_with_its_name() -> None:
    subdivisions = list(pycountry.subdivisions)
    assert len(subdivisions) > 5000
    for sub in subdivisions:
        assert iso.subdivision_name(sub.code) == sub.name
        assert iso.subdivision_name(sub.code.lower()) == sub.name


@given(st.text(max_size=7))
def test_any_text_gets_the_answer_pycountry_gives(text: str) -> None:
    country = pycountry.countries.get(alpha_2=text)
    assert iso.country_by_alpha2(text) == (country.alpha_2 if country else None)
    country = pycountry.countries.get(alpha_3=text)
    assert iso.country_by_alpha3(text) == (country.alpha_2 if country else None)
    sub = pycountry.subdivisions.get(code=text)  # type: ignore[no-untyped-call]
    assert iso.subdivision_name(text) == (sub.name if sub else None)


@given(st.sampled_from(["US-NY", "us-ny", "DE-BE", "GB-ENG", "IN-MH", "XX-YY", "US", "-", ""]))
def test_a_code_made_of_known_parts_is_known_only_when_iso_has_it(code: str) -> None:
    sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    assert iso.subdivision_name(code) == (sub.name if sub else None)


def test_a_conversion_of_an_address_does_not_import_pycountry() -> None:
    # Importing pycountry and loading its subdivisions was most of a one-order run (iso.py).
    code = (
        "import sys, json; from orders_migrate import convert_address; "
        "a = convert_address({'country': 'US', 'subdivision': 'NY', 'city': 'New York'}); "
        "print(json.dumps([a.address, 'pycountry' in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120, text=True)
    address, imported = json.loads(proc.stdout)
    assert address["subdivisionFullname"] == "New York"
    assert address["countryFullname"] == "United States"
    assert imported is False
