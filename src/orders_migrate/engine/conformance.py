"""Validity by construction: every value a row spells out (an enum map's targets, a constant, a rule's
status, a line type) is one the eCommerce model allows at the path the row writes it to.

Each operation says which values those are (``Operation.constants``); each is put alone into an
otherwise empty order at its path and validated against the model, and only a problem at that path
counts. The shipped table is held to this by its tests; a user's own table (``plan_from_file``,
``--mappings``) is checked as it is compiled, which is the one time this builds the pydantic models.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..paths import Path, parse, put
from .ops import OPERATIONS
from .table import MappingError, Row, Table


def model_problems(table: Table) -> list[MappingError]:
    """Each row value the eCommerce model refuses, as the error a bad row gets (file, line, row)."""
    from ..models.validate import validate_ecom_order  # the models are built only for this check

    problems = []
    for row, path, value in written(table):
        doc: dict[str, Any] = {}
        put(doc, path, value, (0,) * 8)
        at = path.render((0,) * 8)
        for p in validate_ecom_order(doc):
            if p.path == at or p.path.startswith((at + ".", at + "[")):
                message = f"writes {value!r} to {path.text}, which the eCommerce order does not allow: {p.message}"
                problems.append(MappingError(table.source, row.line, row.id, message))
    return problems


def written(table: Table) -> Iterator[tuple[Row, Path, Any]]:
    hosts: list[Path] = []
    for row in table.order:
        operation = OPERATIONS.get(row.op)
        if operation is None:
            continue
        if operation.nests:
            hosts.extend(row.writes.get("value", ()))
        if operation.constants is not None:
            for path, value in operation.constants(row):
                yield row, path, value
    for row in table.address:  # written relative to each host an address occurs in
        operation = OPERATIONS.get(row.op)
        if operation is None or operation.constants is None:
            continue
        for path, value in operation.constants(row):
            for host in hosts:
                yield row, parse(f"{host.text}.{path.text}"), value
