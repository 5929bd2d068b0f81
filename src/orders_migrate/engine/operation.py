"""An operation declares itself once: its name, the row keys it takes, what kind of step it builds, how
Search Orders may use what it writes, and, beside its reference implementation, its code emitter.

The planner, the code generator and the query translator read what an operation is from here, so adding
one touches its own module under ``ops/`` and the rows that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..paths import MISSING, Path, get
from .context import SKIP, At, Ctx, Spec, Step, copied, writers
from .table import Row

if TYPE_CHECKING:
    from .code import CodeBuilder

# How Search Orders can use the field a row writes (query/fields.py reads it): compared as it is, as the
# number text to_string makes, through the row's enum map, split by a discriminator, per address field,
# or a status derived from several fields by rules.
Search = Literal["same", "to_string", "enum", "split", "address", "derived"]


@dataclass(frozen=True, slots=True)
class RowCode:
    """What an emitter spells out: the row, its step without its conditions (to call for the rare case),
    its paths relative to the scope, the full path of each read (as the user's file spells it, for
    messages) and the indent the code goes at."""

    row: Row
    bare: Step
    reads: Mapping[str, list[Path]]
    writes: Mapping[str, list[Path]]
    full: Callable[[Path], Path]
    at: int

    @property
    def sources(self) -> list[Path]:
        return self.reads.get("value", [])

    @property
    def targets(self) -> list[Path]:
        return self.writes.get("value", [])

    def only_value(self) -> bool:
        """The row reads and writes only its ``value`` role (no other ``from`` or ``to``)."""
        return set(self.reads) == {"value"} and set(self.writes) <= {"value"}


# Spell out a row's common case into the builder; False when it has no spelling (the row is then a call).
Emitter = Callable[["CodeBuilder", RowCode], bool]

# The values a row's own keys spell out (an enum map's targets, a constant), each with the path it is
# written to: checked against the eCommerce model when a table is compiled (conformance.py).
Constants = Callable[[Row], Iterable[tuple[Path, Any]]]
# What an operation guarantees of a value it writes (engine/validity.py): "string", "integer", "boolean"
# a value of that JSON type; "price" a Price object whose amount is the input's own decimal text (its
# pattern is left to check, unless no copied amount of the order has a sign: Ctx.signed); "computed price"
# a Price object whose amount is computed, never below zero, spelled as format "f" spells a Decimal
# (digits, a point and digits); "constants" only values the row spells out (each held to the model where
# the table is compiled, conformance.py); "shaped" values of the shape of the row's constants, any text
# where the model takes free text and the constants' own values elsewhere; "strings" a list of strings;
# "object" an object with text keys.
Proof = Literal["string", "integer", "boolean", "price", "computed price", "constants", "shaped", "strings", "object"]
Proves = Callable[[Row, str], Proof | None]


def proves(proof: Proof) -> Proves:
    """The same guarantee for every role the operation writes."""
    return lambda _row, _role: proof


def proves_type(row: Row, _role: str) -> Proof | None:
    """A value of the row's own ``type``, which the operation checks before it writes."""
    kind = row.params.get("type")
    return kind if kind in ("string", "integer", "boolean") else None


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    build: Callable[[Spec], Step]
    emit: Emitter | None = None  # None: the generic spelling of its step's shape (see fuse.emit_row)
    params: frozenset[str] = frozenset()  # the row keys it reads besides from/to and the conditions
    path_params: frozenset[str] = frozenset()  # of the keys that name paths (`by`, `sum`, `times`), the ones it reads
    iterates: bool = False  # walks a list itself: a row outside the list may read `lineItems[i]...`
    report: str | None = None  # a row that only reports what it reads, under this kind
    search: Search | None = None  # Search Orders can filter on what it writes: the row may say how (`search`)
    rooted: bool = False  # its `to` is written from the order's root, not relative to the row's object
    nests: bool = False  # applies the address table at the object it reads: its reads are the table's
    applies: bool = False  # runs a section's rows on each element of the list it reads: its reads are the section's
    constants: Constants | None = None  # what it writes that the row spells out, for the model check
    compared: frozenset[str] = frozenset()  # `from` roles it only compares against: not carried by it (unmapped report)
    agrees: bool = False  # its emitter spells out an `agree: true` row too (the others stay calls)
    lists: bool = False  # its emitter takes paths through a list (`lineItems[i].weight`) too
    proves: Proves | None = None  # what it guarantees of what it writes, by role (validity.py); None: nothing
    fresh: frozenset[str] = frozenset()  # `to` roles it fills with an object made for each order: rows may write inside

    def allowed(self) -> frozenset[str]:
        return self.params | {"search"} if self.search is not None else self.params


class ValueStep:
    """The shape most operations share: read one path, convert the value, write it to every target.
    ``convert(value, path, ctx, src)`` returns the value to write or ``SKIP`` after it reported a
    problem; ``src`` is the object the path was read from, for a conversion that needs a sibling. The
    code generator reads ``source`` and writes ``targets`` itself and calls only ``convert``. An object
    or a list it returns is written as a copy: a conversion that keeps what it cannot read as it came
    (a currency, a subdivision, a plain value) returns the caller's own."""

    __slots__ = ("spec", "source", "targets", "convert", "writes")

    def __init__(self, spec: Spec, convert: Callable[[Any, At, Ctx, Any], Any], role: str = "value"):
        (self.source,) = spec.one_read(role)
        self.spec = spec
        self.targets = spec.one_write()
        self.convert = convert
        self.writes = writers(spec, self.targets)

    def __call__(self, src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, self.source)
        if value is MISSING:
            return
        path = self.spec.at(self.source, idx)
        result = self.convert(value, path, ctx, src)
        if result is SKIP:
            return
        result = copied(result)  # a value kept as it came (or a part of it) is the caller's own
        for w in self.writes:
            w(out, result, ctx, idx, path)


class ReadStep:
    """An operation over several named inputs (``from`` roles): ``run(values, out, ctx, idx)`` gets,
    for each role in ``roles``, the tuple of values its paths hold (``MISSING`` when absent). Called
    as a step it reads them itself; the code generator reads them once with the rest of the scope."""

    __slots__ = ("spec", "roles", "paths")

    def __init__(self, spec: Spec, roles: tuple[str, ...]):
        self.spec = spec
        self.roles = roles
        self.paths = tuple(spec.reads.get(role, ()) for role in roles)

    def __call__(self, src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        self.run(tuple(tuple(get(src, p) for p in ps) for ps in self.paths), out, ctx, idx)

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        raise NotImplementedError


def value_op(spec: Spec, convert: Callable[[Any, At, Ctx, Any], Any], role: str = "value") -> Step:
    return ValueStep(spec, convert, role)


def emit_value_step(src: CodeBuilder, rc: RowCode, shortcut: Callable[[CodeBuilder, str, int], None] | None = None) -> bool:
    """A ``ValueStep`` spelled out: its value read with the scope, its targets written inline, only its
    ``convert`` called; ``shortcut`` emits a cheaper ``r = ...`` first (``SKIP`` to call ``convert``)."""
    bare = rc.bare
    if not isinstance(bare, ValueStep):
        return False
    at = rc.at
    # The step's own paths are already relative to the scope.
    v = src.read(bare.source)
    where = src.const(bare.spec.full.get(bare.source, bare.source))
    src.emit(at, f"if {v} is not MISSING:")
    convert = f"r = {src.const(bare.convert)}({v}, At({where}, idx), ctx, src)"
    if shortcut is not None:
        shortcut(src, v, at + 1)
        src.emit(at + 1, "if r is SKIP:")
        src.emit(at + 2, convert)
    else:
        src.emit(at + 1, convert)
    src.emit(at + 1, "if r is not SKIP:")
    src.emit(at + 2, "if r.__class__ is not str and isinstance(r, (dict, list)):  # kept as it came: the caller's own")
    src.emit(at + 3, "r = _copied(r)")
    src.put_all(at + 2, "r", list(bare.targets))
    return True


def emit_read_step(src: CodeBuilder, rc: RowCode) -> bool:
    """A ``ReadStep`` as one call of its ``run`` with the values the scope read once."""
    bare = rc.bare
    if not isinstance(bare, ReadStep):
        return False
    # The step's own paths are already relative to the scope.
    if not all(p.plain for ps in bare.paths for p in ps):
        return False
    values = ", ".join("(" + "".join(f"{src.read(p)}, " for p in ps) + ")" for ps in bare.paths)
    src.emit(rc.at, f"{src.const(bare)}.run(({values},), out, ctx, idx)")
    return True
