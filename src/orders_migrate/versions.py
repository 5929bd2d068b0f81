"""What shaped an output besides the input: the versions a user can check and a resumed run must match.

Babel's CLDR data writes every ``formattedAmount``, pycountry's ISO data decides which country and
subdivision codes are known, the mapping table holds the rules, pydantic writes the ``invalid``
messages, and orjson, msgspec, PyYAML and PyJWT read and write what the rest works on. pyproject.toml pins or bounds each; these are the values of the running process.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from .engine.table import default_table_text


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # a source tree on sys.path, not installed: say so rather than guess
        return "not installed"


def table_digest(text: str) -> str:
    """A short, stable name for one mapping table's text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def data_versions(table_text: str | None = None) -> dict[str, str]:
    """The versions of the code and data that shape a conversion, in a fixed order: with the shipped
    table, or with the text of the user's own (``--mappings``)."""
    return _versions(table_text if table_text is not None else default_table_text()[0])


@lru_cache(maxsize=4)
def _versions(table_text: str) -> dict[str, str]:
    from babel.core import get_cldr_version

    return {
        "orders-migrate": _installed("orders-migrate"),
        "mappings": table_digest(table_text),
        "babel": _installed("babel"),
        "cldr": str(get_cldr_version()),
        "pycountry": _installed("pycountry"),
        "pydantic": _installed("pydantic"),
        "orjson": _installed("orjson"),
        "msgspec": _installed("msgspec"),
        "pyyaml": _installed("pyyaml"),
        "pyjwt": _installed("pyjwt"),
    }


def describe_versions(versions: dict[str, str]) -> str:
    """``babel 2.19.0, cldr 49, ...``: one line for a summary or a message."""
    return ", ".join(f"{name} {value}" for name, value in versions.items())


def version_changes(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """What differs between two sets of versions, as ``babel 2.18.0 -> 2.19.0`` texts."""
    names = list(current) + [n for n in recorded if n not in current]
    return [
        f"{name} {recorded.get(name, 'absent')} -> {current.get(name, 'absent')}"
        for name in names
        if recorded.get(name) != current.get(name)
    ]
