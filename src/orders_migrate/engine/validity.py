"""Validity by construction, at runtime: what a converted order is checked for without the full schema pass.

Each operation says what it guarantees about what it writes (``Operation.proves``: a string, a Price, only
the row's own constants, ...). Every place the table writes is looked up in the eCommerce core schema
(the recorded one, ``models/recorded.py``): where the operation's guarantee is all the schema asks there,
nothing is left to check; where it is not (a date-time's pattern, a non-negative amount, a quantity's range,
a list's size, or a value copied as it came), that place stays. The schema cut down to those places
validates each order: the same problems, at the same paths, in the same order as the full schema pass
(``tests/test_validity.py`` holds the two equal on every fixture and on hypothesis orders), for a fraction
of its cost. A place the schema does not have, or a value of another JSON type than it takes there, is an
error of the row when this is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..paths import EACH, Path, parse
from ..report import Entry, Problem
from .ops import OPERATIONS
from .table import MappingError, Row, Table

# The schema node each guarantee satisfies by itself (after its nullable and definition wrappers).
_PROVEN_TYPES = {"string": "str", "integer": "int", "boolean": "bool"}
# Keys of a schema node that ask more of a value than its type.
_CONSTRAINTS = frozenset({"pattern", "min_length", "max_length", "ge", "gt", "le", "lt", "multiple_of"})
FULL = "full"  # a trie leaf: the whole subtree at this place is checked


def _unwrap(node: dict[str, Any], defs: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    while True:
        kind = node.get("type")
        if kind in ("nullable", "default"):
            node = node["schema"]
        elif kind == "definition-ref":
            node = defs[node["schema_ref"]]
        else:
            return node


def _constrained(node: dict[str, Any]) -> bool:
    return any(k in _CONSTRAINTS for k in node)


def written(table: Table) -> Iterator[tuple[Row, str, Path]]:
    """Every place a row of the order table writes, with the role it writes it under; the address
    table's rows at every host an address occurs in."""
    hosts: list[Path] = []
    for row in table.order:
        operation = OPERATIONS[row.op]
        if operation.nests:
            hosts.extend(row.writes.get("value", ()))
            continue
        for role, paths in row.writes.items():
            for path in paths:
                yield row, role, path
    for row in table.address:
        operation = OPERATIONS[row.op]
        for role, paths in row.writes.items():
            for path in paths:
                if operation.rooted:
                    yield row, role, path
                else:
                    for host in hosts:
                        yield row, role, parse(f"{host.text}.{path.text}")


class _Schema:
    """The eCommerce core schema, walked by table paths."""

    def __init__(self, schema: dict[str, Any]):
        self.defs: dict[str, dict[str, Any]] = {d["ref"]: d for d in schema.get("definitions", ())}
        self.root = _unwrap(schema["schema"] if schema.get("type") == "definitions" else schema, self.defs)

    def walk(self, path: Path) -> Iterator[tuple[Any, dict[str, Any] | None]]:
        """Each segment of ``path`` with the schema node it leads to (None: the schema has no such place,
        though its parent may allow any key)."""
        node: dict[str, Any] | None = self.root
        for seg in path.segments:
            if node is None:
                yield seg, None
                continue
            kind = node.get("type")
            if isinstance(seg, str) and kind == "typed-dict":
                field = node["fields"].get(seg)
                node = _unwrap(field["schema"], self.defs) if field is not None else None
            elif not isinstance(seg, str) and kind == "list":
                node = _unwrap(node["items_schema"], self.defs)
            elif kind in ("any", "dict"):
                node = None
                yield seg, {"type": "any"}
                continue
            else:
                node = None
            yield seg, node


def _allows_other_keys(node: dict[str, Any]) -> bool:
    return node.get("type") in ("any", "dict") or node.get("extra_behavior") == "allow"


def residual(table: Table, schema: dict[str, Any], copied_amounts: bool = True) -> dict[Any, Any]:
    """The places a converted order must still be checked at, as a trie of path segments (``EACH`` for a
    list's elements) whose leaves are ``FULL``. Without ``copied_amounts``: not the amounts a ``price``
    row copies, for an order none of whose copied amounts has a sign (``Ctx.signed``), since the text
    parse_amount takes is a sign, digits, a point and digits, and the model asks no more of it."""
    walker = _Schema(schema)
    trie: dict[Any, Any] = {}

    def mark(segments: tuple[Any, ...], leaf: bool = True) -> None:
        """Check the place at ``segments``: all of it (``leaf``), or only what its schema node itself asks
        (a list's size), keeping what is already marked below it."""
        node: Any = trie
        for n, seg in enumerate(segments):
            if node is FULL:
                return
            key = EACH if not isinstance(seg, str) else seg
            if n == len(segments) - 1 and leaf:
                node[key] = FULL
                return
            nxt = node.get(key)
            if nxt is None:
                nxt = node[key] = {}
            node = nxt

    for row, role, path in written(table):
        steps = list(walker.walk(path))
        parent: dict[str, Any] | None = walker.root
        for n, (_seg, node) in enumerate(steps):
            if node is None:
                if parent is not None and _allows_other_keys(parent):
                    break  # a key the schema leaves open: anything may be written there
                raise MappingError(table.source, row.line, row.id, f"writes {path.text}, which the eCommerce order does not have")
            if node.get("type") == "list" and _constrained(node):
                mark(tuple(path.segments[: n + 1]), leaf=False)  # its size is checked
            parent = node
        else:
            node = steps[-1][1] if steps else walker.root
            assert node is not None
            if not _proven(row, role, node, walker):
                if OPERATIONS[row.op].proves is not None and _kind_mismatch(row, role, node):
                    raise MappingError(
                        table.source,
                        row.line,
                        row.id,
                        f"writes {_proof(row, role)} values to {path.text}, which the eCommerce order takes as {node.get('type')}",
                    )
                if _proof(row, role) == "price" and not copied_amounts and _computed_price_is_all(node, walker):
                    continue  # an unsigned copied amount meets the pattern a computed one does
                if _proof(row, role) in ("price", "computed price"):
                    mark((*path.segments, "amount"))  # the amount is the input's own text: its pattern is checked
                else:
                    mark(tuple(path.segments))
    return trie


def _proof(row: Row, role: str) -> str | None:
    proves = OPERATIONS[row.op].proves
    return proves(row, role) if proves is not None else None


# Node types a value of another JSON type can never match: writing one there is an error of the row. Any
# other node (a literal, a union, a function) is left to the check on every order.
_PLAIN_TYPES = frozenset({"str", "int", "bool", "float", "typed-dict", "list", "dict"})


def _kind_mismatch(row: Row, role: str, node: dict[str, Any]) -> bool:
    proof = _proof(row, role)
    expected = _PROVEN_TYPES.get(proof or "")
    kind = node.get("type")
    return expected is not None and kind in _PLAIN_TYPES and kind != expected


def _proven(row: Row, role: str, node: dict[str, Any], walker: _Schema) -> bool:
    """Whether what the row writes under ``role`` is, by its operation's guarantee, all ``node`` asks."""
    proof = _proof(row, role)
    kind = node.get("type")
    if kind == "any":
        return True
    if proof == "constants":
        return True  # each value is held to the model where the table is compiled (conformance.py)
    if proof in _PROVEN_TYPES:
        return kind == _PROVEN_TYPES[proof] and not _constrained(node)
    if proof == "object":
        return kind == "dict" and _is_any(node.get("values_schema"), walker)
    if proof == "shaped":
        constants = OPERATIONS[row.op].constants
        samples = [value for target, value in (constants(row) if constants else ()) if target in row.writes.get(role, ())]
        return bool(samples) and all(_free_text_or_literal(sample, node, walker) for sample in samples)
    if proof == "computed price":
        return _computed_price_is_all(node, walker)
    if proof == "strings":
        items = _unwrap(node.get("items_schema", {}), walker.defs) if kind == "list" else {}
        return kind == "list" and not _constrained(node) and items.get("type") == "str" and not _constrained(items)
    return False


# The amount pattern of a Price that a computed amount (digits, a point and digits, never a sign) meets.
_AMOUNT_PATTERNS = frozenset({r"^[0-9]+(\.[0-9]+)?$"})


def _computed_price_is_all(node: dict[str, Any], walker: _Schema) -> bool:
    """Whether a Price node asks no more of a computed amount than its digits, and nothing of the rest but text."""
    fields = node.get("fields") if node.get("type") == "typed-dict" else None
    if not fields or "amount" not in fields:
        return False
    for key, field in fields.items():
        inner = _unwrap(field["schema"], walker.defs)
        if inner.get("type") != "str":
            return False
        constraints = {k for k in inner if k in _CONSTRAINTS}
        if key == "amount" and constraints == {"pattern"} and inner["pattern"] in _AMOUNT_PATTERNS:
            continue
        if constraints:
            return False
    return True


def _free_text_or_literal(sample: Any, node: dict[str, Any], walker: _Schema) -> bool:
    """Whether every leaf of ``sample`` lands where the model takes any text (the operation may write other
    text there) or a literal (it writes the sample's own value there, held to the model by conformance.py).
    A list's own size is not judged here: a constrained one stays checked."""
    node = _unwrap(node, walker.defs)
    kind = node.get("type")
    if isinstance(sample, dict):
        fields = node.get("fields") if kind == "typed-dict" else None
        return fields is not None and all(
            key in fields and _free_text_or_literal(value, fields[key]["schema"], walker) for key, value in sample.items()
        )
    if isinstance(sample, list):
        return kind == "list" and all(_free_text_or_literal(item, node["items_schema"], walker) for item in sample)
    if isinstance(sample, str):
        return (kind == "str" and not _constrained(node)) or kind == "literal"
    return False


def _is_any(node: Any, walker: _Schema) -> bool:
    return isinstance(node, dict) and _unwrap(node, walker.defs).get("type") == "any"


def pruned(schema: dict[str, Any], trie: Mapping[Any, Any]) -> dict[str, Any]:
    """The core schema cut down to the places of ``trie``: every other key of an object is ignored,
    every list keeps its size limits."""
    walker = _Schema(schema)

    def cut(node: dict[str, Any], sub: Any) -> dict[str, Any]:
        if sub is FULL:
            return node
        kind = node.get("type")
        if kind in ("nullable", "default"):
            return {**node, "schema": cut(node["schema"], sub)}
        if kind == "definition-ref":
            return cut(walker.defs[node["schema_ref"]], sub)
        if kind == "typed-dict":
            fields = {
                key: {**field, "schema": cut(field["schema"], sub[key])} for key, field in node["fields"].items() if key in sub
            }
            out = {k: v for k, v in node.items() if k not in ("fields", "ref", "extra_behavior")}
            config = dict(node.get("config") or {})
            config["extra_fields_behavior"] = "ignore"
            out.update(fields=fields, extra_behavior="ignore", config=config)
            return out
        if kind == "list":
            items = sub.get(EACH)
            inner = cut(node["items_schema"], items) if items is not None else {"type": "any"}
            return {**{k: v for k, v in node.items() if k != "ref"}, "items_schema": inner}
        return node

    root = schema["schema"] if schema.get("type") == "definitions" else schema
    cut_root = cut(root, trie)
    return {"type": "definitions", "schema": cut_root, "definitions": list(walker.defs.values())}


class Validity:
    """The check a converted order gets by default: the cut-down schema, built once per plan; a second one
    without the copied amounts, for the orders none of whose copied amounts has a sign (most of them)."""

    def __init__(self, table: Table):
        from pydantic_core import ValidationError

        from ..models.recorded import live_schema, recorded_schema
        from ..models.validate import invalid_entry, model_of, problems_from, repeated_line_item_ids

        # Bound once: an import statement in the per-order methods cost more than a third of the validation.
        self._failed, self._worded, self._repeated, self._entry = (
            ValidationError,
            problems_from,
            repeated_line_item_ids,
            invalid_entry,
        )

        schema = recorded_schema("ecom")
        if schema is None:
            schema = live_schema(model_of("ecom"))
        self.trie = residual(table, schema)
        self.unsigned_trie = residual(table, schema, copied_amounts=False)
        self._schemas = {True: pruned(schema, self.trie), False: pruned(schema, self.unsigned_trie)}
        self._validators: dict[bool, Any] = {}

    def validator(self, signed: bool = True) -> Any:
        """pydantic_core's validator of the cut-down schema (``signed``: with the copied amounts), built on first use."""
        found = self._validators.get(signed)
        if found is None:
            from pydantic_core import CoreConfig, SchemaValidator

            found = self._validators[signed] = SchemaValidator(self._schemas[signed], CoreConfig(strict=True))
        return found

    def entries(self, order: dict[str, Any], signed: bool = True) -> list[Entry]:
        """The report's ``invalid`` entries of a converted order, as the full schema pass would give them;
        ``signed`` False only for an order whose conversion wrote no copied amount with a sign."""
        problems = self.problems(order, signed)
        return [self._entry(p) for p in problems] if problems else []

    def problems(self, order: dict[str, Any], signed: bool = True) -> list[Problem]:
        try:
            (self._validators.get(signed) or self.validator(signed)).validate_python(order)
        except self._failed as exc:
            return self._worded(exc) + self._repeated(order)
        return self._repeated(order)
