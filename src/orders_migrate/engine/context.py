"""What every operation shares: the per-order state, a row as its operation sees it, and reading and
writing values with the reports a mismatch or a bad amount makes.

A step is ``step(src, out, ctx, idx)``: ``src`` is the Stores object of the row's scope (the order, or
one list element), ``out`` the matching eCommerce object, ``ctx`` the per-order state, ``idx`` the list
indices of the scope (to render ``$.lineItems[2].price``). All per-order state lives in ``ctx`` or in
locals, so a compiled plan is shared freely between threads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal
from types import MappingProxyType
from typing import Any, Final, TypeGuard

from ..money import Formatter, MoneyError, parse_amount
from ..paths import MISSING, Path, get, put
from ..report import Entry, Problem, describe
from .table import MappingError, Row

# Money arithmetic that never rounds: Decimal's default context keeps only 28 digits.
EXACT: Final = Context(prec=1000)
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
SKIP: Final = object()  # a value conversion's "nothing to write" (it reported why itself)


class Ctx:
    """Per-order mutable state: report entries, problems, the money formatter, the output root."""

    __slots__ = ("entries", "problems", "fmt", "currency", "root_out", "seen", "signed")

    def __init__(self, fmt: Formatter | None, currency: str | None, root_out: dict[str, Any]):
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []
        self.fmt = fmt
        self.currency = currency
        self.root_out = root_out
        self.seen: dict[str, Any] = {}
        # A Price copied with its amount below zero (the input's own text, "-5.00") was written: only then
        # are the copied amounts' patterns checked again (validity.py).
        self.signed = False

    def report(
        self,
        kind: str,
        path: str | At,
        message: str,
        row: str | None,
        fetch: dict[str, str] | None = None,
        places: tuple[str, ...] = (),
    ) -> None:
        """``places``: the other paths ``message`` names, each exactly as it is spelled there."""
        self.entries.append(Entry(kind, str(path), message, row, fetch, places))

    def problem(self, path: str | At, message: str, places: tuple[str, ...] = ()) -> None:
        self.problems.append(Problem(str(path), message, places))


class At:
    """A path and the list indices to render it with, rendered only if a message needs it."""

    __slots__ = ("path", "idx")

    def __init__(self, path: Path, idx: tuple[int, ...]):
        self.path, self.idx = path, idx

    def __str__(self) -> str:
        return self.path.render(self.idx)


Step = Callable[[Any, dict[str, Any], Ctx, tuple[int, ...]], None]


@dataclass(frozen=True, slots=True)
class Spec:
    """A row as its operation sees it: paths relative to the row's scope, plus how to render them."""

    row: Row
    reads: Mapping[str, tuple[Path, ...]]
    writes: Mapping[str, tuple[Path, ...]]
    full: Mapping[Path, Path]
    address_steps: Mapping[bool, tuple[Step, ...]]
    source: str = "mappings.yaml"  # the table file, named in compile errors
    sections: Mapping[str, Any] = field(default_factory=dict)  # compiled table sections a row may apply (``each``)

    def fail(self, message: str) -> MappingError:
        return MappingError(self.source, self.row.line, self.row.id, message)

    def one_read(self, role: str = "value") -> tuple[Path, ...]:
        paths = self.reads.get(role)
        if not paths:
            raise self.fail(f"operation {self.row.op!r} needs 'from' ({role})")
        return paths

    def one_write(self, role: str = "value", required: bool = True) -> tuple[Path, ...]:
        paths = self.writes.get(role, ())
        if required and not paths:
            raise self.fail(f"operation {self.row.op!r} needs 'to' ({role})")
        return paths

    def param(self, name: str, kind: type | tuple[type, ...], required: bool = True, default: Any = None) -> Any:
        if name not in self.row.params:
            if required:
                raise self.fail(f"operation {self.row.op!r} needs '{name}'")
            return default
        value = self.row.params[name]
        if not isinstance(value, kind):
            raise self.fail(f"'{name}' has the wrong type ({type(value).__name__})")
        return value

    def render(self, path: Path, idx: tuple[int, ...]) -> str:
        return self.full.get(path, path).render(idx)

    def at(self, path: Path, idx: tuple[int, ...]) -> At:
        return At(self.full.get(path, path), idx)


TYPES: Mapping[str, tuple[Callable[[Any], bool], str]] = MappingProxyType(
    {
        "string": (lambda v: isinstance(v, str), "a string"),
        "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
        "number": (lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool), "a number"),
        "boolean": (lambda v: isinstance(v, bool), "true or false"),
        "object": (lambda v: isinstance(v, dict), "an object"),
        "array": (lambda v: isinstance(v, list), "an array"),
    }
)


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (true and false are not numbers here)."""
    return value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool))


def type_check(spec: Spec) -> tuple[Callable[[Any], bool], str] | None:
    name = spec.row.params.get("type")
    if name is None:
        return None
    if name not in TYPES:
        raise spec.fail(f"unknown type {name!r} (one of {', '.join(TYPES)})")
    return TYPES[name]


def first_of(
    spec: Spec,
    src: Any,
    paths: tuple[Path, ...],
    ctx: Ctx,
    idx: tuple[int, ...],
    key: Callable[[Any], Any] | None = None,
) -> tuple[Any, Path | None]:
    """The first present alternative; later alternatives that disagree are reported as mismatches."""
    return pick(spec, tuple(get(src, p) for p in paths), paths, ctx, idx, key)


def pick(
    spec: Spec,
    values: tuple[Any, ...],
    paths: tuple[Path, ...],
    ctx: Ctx,
    idx: tuple[int, ...],
    key: Callable[[Any], Any] | None = None,
) -> tuple[Any, Path | None]:
    """``first_of`` for values already read (the generated code reads them itself)."""
    found: Any = MISSING
    where: Path | None = None
    for v, p in zip(values, paths, strict=True):
        if v is MISSING:
            continue
        if where is None:
            found, where = v, p
            continue
        if v.__class__ is found.__class__ and v == found:
            continue  # the same value twice (the common case) agrees whatever the key
        try:
            same = (key(v) == key(found)) if key else v == found
        except Exception:
            same = False
        if not same:
            first = spec.render(where, idx)
            ctx.report(
                "mismatch",
                spec.render(p, idx),
                f"{describe(v)} disagrees with {first} = {describe(found)}, which was used",
                spec.row.id,
                places=(first,),
            )
    return found, where


def copied(value: Any) -> Any:
    """A copy of an object or a list (the caller's own, or the table's), any other value as it is."""
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def writers(spec: Spec, targets: tuple[Path, ...]) -> list[Callable[[dict[str, Any], Any, Ctx, tuple[int, ...], str | At], None]]:
    """One writer per target; from the second on, a dict or list value is copied, so two output
    fields never share one object."""
    made = [writer(spec, t) for t in targets]
    if not made:
        return []
    first, rest = made[0], made[1:]

    def copying(
        w: Callable[[dict[str, Any], Any, Ctx, tuple[int, ...], str | At], None],
    ) -> Callable[[dict[str, Any], Any, Ctx, tuple[int, ...], str | At], None]:
        def write(out: dict[str, Any], value: Any, ctx: Ctx, idx: tuple[int, ...], src_path: str | At) -> None:
            w(out, copied(value), ctx, idx, src_path)

        return write

    return [first, *(copying(w) for w in rest)]


def writer(spec: Spec, target: Path, root: bool = False) -> Callable[[dict[str, Any], Any, Ctx, tuple[int, ...], str | At], None]:
    """Write one target; with ``agree``, keep an earlier value and report a different one."""
    row_id = spec.row.id
    if not (spec.row.agree or root):

        def write(out: dict[str, Any], value: Any, ctx: Ctx, idx: tuple[int, ...], src_path: str | At) -> None:
            put(out, target, value)

        return write

    def write_agree(out: dict[str, Any], value: Any, ctx: Ctx, idx: tuple[int, ...], src_path: str | At) -> None:
        dest = ctx.root_out if root else out
        existing = get(dest, target)
        if existing is MISSING or existing is None:
            put(dest, target, value)
        elif existing != value:
            disagree(ctx, src_path, value, existing, target.text, row_id)

    return write_agree


def disagree(ctx: Ctx, src_path: str | At, value: Any, existing: Any, target: str, row_id: str) -> None:
    """An agreeing row's value differs from the one already written (by an earlier row): reported, not written."""
    ctx.report(
        "mismatch",
        src_path,
        f"{describe(value)} differs from {describe(existing)} already written to {target}; the first is kept",
        row_id,
    )


def read_money(value: Any, path: str | At, ctx: Ctx) -> tuple[str, Decimal] | None:
    try:
        return parse_amount(value)
    except MoneyError as exc:
        ctx.problem(path, str(exc))
        return None


def money_key(value: Any) -> Any:
    return parse_amount(value)[1]


def amount_at(value: Any, spec: Spec, where: Path, idx: tuple[int, ...], ctx: Ctx) -> Decimal | None:
    """The value of an amount read at ``where``; None after reporting a bad one."""
    try:
        return parse_amount(value)[1]
    except MoneyError as exc:
        ctx.problem(spec.render(where, idx), str(exc))
        return None


def present_at(src: Any, path: Path, idx: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
    value = get(src, path)
    return [] if value is MISSING else [(idx, value)]
