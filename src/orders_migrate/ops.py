"""The named operations the mapping rows use: each compiles one row into a step closure.

A step is ``step(src, out, ctx, idx)``: ``src`` is the Stores object of the row's scope (the order, or
one list element), ``out`` the matching eCommerce object, ``ctx`` the per-order state, ``idx`` the list
indices of the scope (to render ``$.lineItems[2].price``). All per-order state lives in ``ctx`` or in
locals, so a compiled plan is shared freely between threads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from types import MappingProxyType
from typing import Any, Final, TypeGuard, cast

import pycountry

from .money import Formatter, MoneyError, amount_value, computed, is_currency, parse_amount, price
from .paths import MISSING, Path, get, index_step, is_empty, iter_each, key_step, put
from .report import Entry, Problem
from .table import MappingError, Row

# Money arithmetic that never rounds: Decimal's default context keeps only 28 digits.
EXACT: Final = Context(prec=1000)


class Ctx:
    """Per-order mutable state: report entries, problems, the money formatter, the output root."""

    __slots__ = ("entries", "problems", "fmt", "currency", "root_out", "seen")

    def __init__(self, fmt: Formatter | None, currency: str | None, root_out: dict[str, Any]):
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []
        self.fmt = fmt
        self.currency = currency
        self.root_out = root_out
        self.seen: dict[str, Any] = {}

    def report(self, kind: str, path: str | At, message: str, row: str | None, fetch: dict[str, str] | None = None) -> None:
        self.entries.append(Entry(kind, str(path), message, row, fetch))

    def problem(self, path: str | At, message: str) -> None:
        self.problems.append(Problem(str(path), message))


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


# ---- shared helpers ------------------------------------------------------------------------------

_TYPES: Mapping[str, tuple[Callable[[Any], bool], str]] = MappingProxyType(
    {
        "string": (lambda v: isinstance(v, str), "a string"),
        "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
        "number": (lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool), "a number"),
        "boolean": (lambda v: isinstance(v, bool), "true or false"),
        "object": (lambda v: isinstance(v, dict), "an object"),
        "array": (lambda v: isinstance(v, list), "an array"),
    }
)


def _is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (true and false are not numbers here)."""
    return value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool))


def describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return str(value)


def _type_check(spec: Spec) -> tuple[Callable[[Any], bool], str] | None:
    name = spec.row.params.get("type")
    if name is None:
        return None
    if name not in _TYPES:
        raise spec.fail(f"unknown type {name!r} (one of {', '.join(_TYPES)})")
    return _TYPES[name]


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
            ctx.report(
                "mismatch",
                spec.render(p, idx),
                f"{describe(v)} disagrees with {spec.render(where, idx)} = {describe(found)}, which was used",
                spec.row.id,
            )
    return found, where


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
            w(out, copy.deepcopy(value) if isinstance(value, (dict, list)) else value, ctx, idx, src_path)

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
            ctx.report(
                "mismatch",
                src_path,
                f"{describe(value)} differs from {describe(existing)} already written to {target.text}; the first is kept",
                row_id,
            )

    return write_agree


def _money(value: Any, path: str | At, ctx: Ctx) -> tuple[str, Decimal] | None:
    try:
        return parse_amount(value)
    except MoneyError as exc:
        ctx.problem(path, str(exc))
        return None


def _money_key(value: Any) -> Any:
    return parse_amount(value)[1]


# The last group of a GUID holds 12 digits: a larger index would make an id that is not a GUID.
MAX_LINE_ITEM_INDEX: Final = 999_999_999_999


def line_item_guid(index: int) -> str:
    """Wix's own rule: Stores line-item index 1 is eCommerce id 00000000-0000-0000-0000-000000000001."""
    if not 0 <= index <= MAX_LINE_ITEM_INDEX:
        raise ValueError(f"line-item index {index} has no GUID: it must be 0 to {MAX_LINE_ITEM_INDEX}")
    return f"00000000-0000-0000-0000-{index:012d}"


def _index_of(item: Any, position: int) -> int:
    # An index the line-item-id row refuses fails the order; the position only stands in for a missing one.
    index = item.get("index") if isinstance(item, dict) else None
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= MAX_LINE_ITEM_INDEX:
        return index
    return position + 1


# ---- operations ----------------------------------------------------------------------------------


def op_copy(spec: Spec) -> Step:
    sources = spec.one_read()
    writes = writers(spec, spec.one_write())
    check = _type_check(spec)
    minimum = spec.param("minimum", int, required=False)
    agree = spec.row.agree  # only an agreeing write ever names the source path

    def valid(value: Any, where: Path, ctx: Ctx, idx: tuple[int, ...]) -> bool:
        if value is not None and check is not None and not check[0](value):
            ctx.problem(spec.render(where, idx), f"expected {check[1]}, got {describe(value)}")
            return False
        if minimum is not None and isinstance(value, (int, Decimal)) and value < minimum:
            ctx.problem(spec.render(where, idx), f"must be at least {minimum}, got {value}")
            return False
        return True

    single = sources[0] if len(sources) == 1 else None  # the common case skips first_of's bookkeeping

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        where: Path | None
        if single is not None:
            value, where = get(src, single), single
            if value is MISSING:
                return
        else:
            value, where = first_of(spec, src, sources, ctx, idx)
            if where is None:
                return
        if where is None or not valid(value, where, ctx, idx):
            return
        path = spec.at(where, idx) if agree else ""
        for w in writes:
            w(out, value, ctx, idx, path)

    return step


SKIP: Final = object()  # a value conversion's "nothing to write" (it reported why itself)


class ValueStep:
    """The shape most operations share: read one path, convert the value, write it to every target.
    ``convert(value, path, ctx, src)`` returns the value to write or ``SKIP`` after it reported a
    problem; ``src`` is the object the path was read from, for a conversion that needs a sibling. The
    code generator reads ``source`` and writes ``targets`` itself and calls only ``convert``."""

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


def _value_op(spec: Spec, convert: Callable[[Any, At, Ctx, Any], Any], role: str = "value") -> Step:
    return ValueStep(spec, convert, role)


def op_to_string(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or (isinstance(value, str) and value.isascii() and value.isdigit()):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        ctx.problem(path, f"expected an integer, got {describe(value)}")
        return SKIP

    return _value_op(spec, convert)


def op_to_number(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value  # a weight, not money: a JSON number is already what eCommerce wants
        if isinstance(value, Decimal) and value.is_finite():
            return value  # already a JSON number: written back with the digits it was read with
        parsed = _money(value, path, ctx)
        if parsed is None:
            return SKIP
        text, amount = parsed
        return int(amount) if "." not in text else float(amount)

    return _value_op(spec, convert)


def op_money(spec: Spec) -> Step:
    sources = spec.one_read()
    writes = writers(spec, spec.one_write())

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value, where = first_of(spec, src, sources, ctx, idx, key=_money_key)
        if where is None:
            return
        path = spec.at(where, idx)
        if value is None:
            result: Any = None
        else:
            parsed = _money(value, path, ctx)
            if parsed is None:
                return
            result = price(parsed[0], parsed[1], ctx.fmt)
        for w in writes:
            w(out, result, ctx, idx, path)

    return step


def op_enum(spec: Spec) -> Step:
    (source,) = spec.one_read()
    targets = spec.one_write(required=False)
    values = spec.param("values", list)
    mapping = spec.param("map", dict)
    not_derivable = spec.param("not_derivable", dict, required=False, default={})
    for v in values:
        if v not in mapping and v not in not_derivable:
            raise spec.fail(f"enum map has no entry for the source value {v!r}")
    for v in list(mapping) + list(not_derivable):
        if v not in values:
            raise spec.fail(f"enum map entry {v!r} is not one of the listed source values")
    if any(mapping[v] is not None for v in mapping) and not targets:
        raise spec.fail("enum map writes values but the row has no 'to'")
    writes = writers(spec, targets)
    documented = ", ".join(values)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING:
            return
        path = spec.at(source, idx)
        if value is None:
            for w in writes:
                w(out, None, ctx, idx, path)
            return
        if isinstance(value, str) and value in mapping:
            target_value = mapping[value]
            if target_value is None:
                return
            if isinstance(target_value, dict):
                target_value = dict(target_value)
            for w in writes:
                w(out, target_value, ctx, idx, path)
        elif isinstance(value, str) and value in not_derivable:
            ctx.report("not_derivable", path, not_derivable[value], spec.row.id)
        else:
            ctx.report(
                "unknown_value", path, f"{describe(value)} is not a documented value ({documented}); not carried", spec.row.id
            )

    return step


def op_split(spec: Spec) -> Step:
    (source,) = spec.one_read()
    by = spec.one_read("by")
    values = spec.param("values", list)
    cases = spec.param("cases", dict)
    for v in values:
        if v not in cases:
            raise spec.fail(f"split has no case for the discriminator value {v!r}")
    targets: dict[str, Any] = {}
    for value, case in cases.items():
        if isinstance(case, dict):
            if set(case) != {"not_derivable"}:
                raise spec.fail(f"case {value!r} must be a path or {{not_derivable: reason}}")
            targets[value] = case["not_derivable"]
        else:
            (target,) = spec.writes[f"case:{value}"]
            targets[value] = writer(spec, target)
    documented = ", ".join(values)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING or value is None:
            return
        path = spec.at(source, idx)
        kind, where = first_of(spec, src, by, ctx, idx)
        if where is None:
            ctx.report("not_derivable", path, f"no {by[0].text} says which eCommerce field this id belongs to", spec.row.id)
            return
        target = targets.get(kind) if isinstance(kind, str) else None
        if target is None:
            ctx.report(
                "unknown_value",
                path,
                f"{spec.render(where, idx)} = {describe(kind)} is not a documented value ({documented}); the id is not carried",
                spec.row.id,
            )
        elif isinstance(target, str):
            ctx.report("not_derivable", path, target, spec.row.id)
        else:
            if not isinstance(value, str):
                ctx.problem(path, f"expected a string, got {describe(value)}")
                return
            target(out, value, ctx, idx, path)

    return step


class _LineItemId(ReadStep):
    __slots__ = ("writes", "seen_key")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("value",))
        if len(self.paths[0]) != 1:
            raise spec.fail("line_item_id reads one 'from' path")
        self.writes = writers(spec, spec.one_write())
        self.seen_key = f"{spec.row.id}:seen"

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        ((index,),) = values
        path = spec.at(self.paths[0][0], idx)
        position = idx[-1] if idx else 0
        if index is MISSING or index is None:
            index = position + 1
            ctx.report(
                "not_derivable",
                path,
                f"no index: the id follows the position ({line_item_guid(index)}); Wix's own id cannot be known",
                spec.row.id,
            )
        elif not _is_int(index) or index < 0:
            ctx.problem(path, f"expected a non-negative integer, got {describe(index)}")
            return
        elif index > MAX_LINE_ITEM_INDEX:
            ctx.problem(
                path, f"index {index} is too large for a line-item id: its GUID holds 12 digits (at most {MAX_LINE_ITEM_INDEX})"
            )
            return
        seen = ctx.seen.get(self.seen_key)
        if seen is None:
            seen = ctx.seen[self.seen_key] = {}
        if index in seen:
            ctx.problem(path, f"index {index} repeats {seen[index]}: line-item ids would collide")
            return
        seen[index] = path
        guid = line_item_guid(index)
        for w in self.writes:
            w(out, guid, ctx, idx, path)


def op_line_item_id(spec: Spec) -> Step:
    return _LineItemId(spec)


def _report_op(kind: str) -> Callable[[Spec], Step]:
    def compile_report(spec: Spec) -> Step:
        sources = spec.one_read()
        fetch = spec.param("fetch", dict, required=(kind == "fetch"))
        if fetch is not None and not {"api", "endpoint"} <= set(fetch):
            raise spec.fail("'fetch' needs 'api' and 'endpoint'")
        reason = spec.param("reason", str, required=(kind != "fetch"))
        if kind == "fetch":
            reason = f"not in the eCommerce order: fetch from {fetch['api']}, {fetch['endpoint']}"

        def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
            for p in sources:
                for sub_idx, value in iter_each(src, p, idx) if p.has_each else _present(src, p, idx):
                    if is_empty(value):
                        continue
                    ctx.report(kind, spec.render(p, sub_idx), reason, spec.row.id, dict(fetch) if fetch else None)

        return step

    return compile_report


def _present(src: Any, path: Path, idx: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
    value = get(src, path)
    return [] if value is MISSING else [(idx, value)]


def op_constant(spec: Spec) -> Step:
    (source,) = spec.one_read()
    writes = writers(spec, spec.one_write())
    if "value" not in spec.row.params:
        raise spec.fail("operation 'constant' needs 'value'")
    constant = spec.row.params["value"]
    if isinstance(constant, (dict, list)):
        raise spec.fail("a constant must be a plain value, not an object or a list")

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        trigger = get(src, source)
        if trigger is MISSING or trigger is None or trigger == "":
            return
        path = spec.at(source, idx)
        for w in writes:
            w(out, constant, ctx, idx, path)

    return step


def op_first_match(spec: Spec) -> Step:
    (target,) = spec.one_write()
    write = writer(spec, target)
    rules_raw = spec.param("rules", list)
    default = spec.param("default", str)
    readable = {p.text: p for p in spec.one_read()}
    rules: list[tuple[tuple[tuple[Path, Any], ...], Any]] = []
    for rule in rules_raw:
        if not isinstance(rule, dict) or "when" not in rule or "value" not in rule:
            raise spec.fail("each rule needs 'when' and 'value'")
        conds = []
        for p, v in rule["when"].items():
            if p not in readable:
                raise spec.fail(f"rule condition on {p!r}, which the row does not read ('from')")
            conds.append((readable[p], v))
        rules.append((tuple(conds), rule["value"]))
    first = spec.render(spec.one_read()[0], ())

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        for conds, value in rules:
            if all(get(src, p) == v for p, v in conds):
                write(out, value, ctx, idx, first)
                return
        if any(get(src, p) not in (MISSING, None) for p in readable.values()):
            write(out, default, ctx, idx, first)  # with neither status known, no status is invented

    return step


class _Each:
    """A path over one list, compiled once: the list's keys and the keys inside one element. Reading it
    gives (position, value) for every element holding a value, as ``iter_each`` does."""

    __slots__ = ("head", "plain", "values")

    def __init__(self, path: Path):
        split = path.split_each()
        self.plain = split is not None and split[0].plain and split[1].plain
        self.head = split[0] if split else path
        self.values: Callable[[list[Any]], list[tuple[int, Any]]] = _values_of(
            tuple(str(s) for s in split[1].segments) if split and self.plain else ()
        )

    def items(self, src: Any) -> Any:
        value = get(src, self.head)
        return value if isinstance(value, list) else None


def _values_of(tail: tuple[str, ...]) -> Callable[[list[Any]], list[tuple[int, Any]]]:
    """``values(items)``: (position, value) of every element holding a value at ``tail``, as generated
    code (one lookup a key, no loop over the keys)."""
    lines = ["def values(items):", "    found = []", "    for n, v in enumerate(items):"]
    for key in tail:
        lines.append(f"        v = v.get({key!r}, MISSING) if v.__class__ is dict or isinstance(v, dict) else MISSING")
    lines.append("        if v is not MISSING:")
    lines.append("            found.append((n, v))")
    lines.append("    return found")
    namespace: dict[str, Any] = {"MISSING": MISSING}
    exec(compile("\n".join(lines) + "\n", "<orders-migrate each>", "exec"), namespace)  # noqa: S102 - our own generated code
    values: Callable[[list[Any]], list[tuple[int, Any]]] = namespace["values"]
    return values


def op_sum_check(spec: Spec) -> Step:
    (source,) = spec.one_read()
    term = spec.one_read("sum")[0]
    factor = spec.reads.get("times", (None,))[0]
    items = term.split_each()
    each = _Each(term)
    times = _Each(factor) if factor is not None else None
    if not each.plain or (times is not None and (not times.plain or times.head != each.head)):
        raise spec.fail("'sum' and 'times' read object keys inside the same list, e.g. lineItems[i].weight")
    # A stated value that is copied as it is (a subtotal) is only checked; one that eCommerce derives
    # (total weight) is replaced. `complete`: a sum over elements that lack the term proves nothing.
    carried = spec.param("carried", bool, required=False, default=False)
    complete = spec.param("complete", bool, required=False, default=False)
    over = spec.param("over", str, required=False, default="line items")
    fate = "kept as stated" if carried else f"eCommerce derives it from the {over}, so the stated value is not carried"

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        stated = get(src, source)
        if stated is MISSING or stated is None:
            return
        path = spec.at(source, idx)
        parsed = _money(stated, path, ctx)
        if parsed is None:
            return
        elements = each.items(src)
        if items is not None and elements is None:
            if not carried:
                ctx.report("not_derivable", path, f"there are no {over} to derive it from (a summary): not carried", spec.row.id)
            return
        values = each.values(elements) if elements is not None else []
        if complete and elements is not None and sum(1 for _, v in values if v is not None) < len(elements):
            return
        factors = dict(times.values(elements)) if times is not None and elements is not None else {}
        total = Decimal(0)
        with localcontext(EXACT):
            for n, value in values:
                if value is None:
                    continue
                try:
                    amount = amount_value(value)
                    mult = amount_value(factors.get(n, 1)) if times is not None else _ONE
                except MoneyError:
                    return  # the line-item rows report the bad value itself
                total += amount * mult
        if total != parsed[1]:
            ctx.report(
                "mismatch",
                path,
                f"Stores states {describe(stated)} but the {over} add up to {format(total.normalize(), 'f')}; {fate}",
                spec.row.id,
            )

    return step


def op_total_check(spec: Spec) -> Step:
    """The Stores identity total = subtotal + shipping + tax - discount, where tax counts only when prices
    do not include it. Totals are copied as stated (PRODUCT 11); a broken identity is reported."""
    (total_path,) = spec.one_read("total")
    (subtotal_path,) = spec.one_read("subtotal")
    added = spec.reads.get("shipping", ())
    (tax_path,) = spec.one_read("tax")
    taken = spec.reads.get("discount", ())
    included = spec.reads.get("included", ())

    def amount(src: Any, path: Path) -> Decimal | None:
        value = get(src, path)
        if value is MISSING or value is None:
            return _ZERO
        try:
            return amount_value(value)
        except MoneyError:
            return None  # the row that copies the amount reports it

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        stated = get(src, total_path)
        if stated is MISSING or stated is None or get(src, subtotal_path) in (MISSING, None):
            return
        parts = [amount(src, p) for p in (total_path, subtotal_path, tax_path, *added, *taken)]
        if any(part is None for part in parts):
            return
        total, subtotal, tax, *rest = cast("list[Decimal]", parts)
        flags = [v for v in (get(src, p) for p in included) if v.__class__ is bool]
        tax_included = bool(flags) and flags[0]
        with localcontext(EXACT):
            expected = subtotal + sum(rest[: len(added)], _ZERO) - sum(rest[len(added) :], _ZERO)
            if not tax_included:
                expected += tax
        if expected != total:
            how = "tax included in prices" if tax_included else "tax not included in prices"
            ctx.report(
                "mismatch",
                spec.at(total_path, idx),
                f"Stores states {describe(stated)} but subtotal + shipping {'' if tax_included else '+ tax '}- discount "
                f"= {format(expected.normalize(), 'f')} ({how}); kept as stated",
                spec.row.id,
            )

    return step


class _LineTotals(ReadStep):
    __slots__ = ("write_before", "write_after")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("total", "price", "quantity", "discount", "tax", "included"))
        spec.one_read("total")
        if len(self.paths[2]) > 1:
            raise spec.fail("line_totals reads one 'quantity' path")
        self.write_before = writer(spec, spec.one_write("before")[0])
        self.write_after = writer(spec, spec.one_write("after")[0])

    def _amount(self, values: tuple[Any, ...], paths: tuple[Path, ...], ctx: Ctx, idx: tuple[int, ...]) -> Decimal | None:
        if not paths:
            return _ZERO
        value, where = pick(self.spec, values, paths, ctx, idx, key=_money_key)
        if where is None or value is None:
            return _ZERO
        return _amount_at(value, self.spec, where, idx, ctx)

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        totals, prices, quantity, discounts, taxes, included = values
        total_paths, price_paths, _, discount_paths, tax_paths, included_paths = self.paths
        value, where = pick(spec, totals, total_paths, ctx, idx, key=_money_key)
        if where is not None and value is not None:
            amount = _amount_at(value, spec, where, idx, ctx)
            if amount is None:
                return
            total = amount
        else:
            unit, where = pick(spec, prices, price_paths, ctx, idx, key=_money_key) if prices else (MISSING, None)
            qty = quantity[0] if quantity else MISSING
            if where is None or unit is None or not _is_int(qty):
                return
            amount = _amount_at(unit, spec, where, idx, ctx)
            if amount is None:
                return
            total = EXACT.multiply(amount, qty)
        discount = self._amount(discounts, discount_paths, ctx, idx)
        tax = self._amount(taxes, tax_paths, ctx, idx)
        if discount is None or tax is None:
            return
        flag, _ = pick(spec, included, included_paths, ctx, idx) if included else (False, None)
        if flag is True:
            after = EXACT.subtract(total, discount)
            before = EXACT.subtract(after, tax)
        else:
            before = EXACT.subtract(total, discount)
            after = EXACT.add(before, tax)
        path = spec.at(where, idx)
        if before < 0 or after < 0:
            negative_totals(ctx, path, total, discount, tax, spec.row.id)
            return
        fmt, currency = ctx.fmt, ctx.currency
        text, rounded = computed(before, currency)
        self.write_before(out, price(text, rounded, fmt), ctx, idx, path)
        text, rounded = computed(after, currency)
        self.write_after(out, price(text, rounded, fmt), ctx, idx, path)


def negative_totals(ctx: Ctx, path: str | At, total: Decimal, discount: Decimal, tax: Decimal, row: str) -> None:
    # Stored data where discount and tax exceed the price: eCommerce amounts are never negative.
    ctx.report(
        "mismatch",
        path,
        f"price {format(total, 'f')} less discount {format(discount, 'f')} and tax {format(tax, 'f')} is negative: "
        "the totals before and after tax are not derivable",
        row,
    )


_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)


def _amount_at(value: Any, spec: Spec, where: Path, idx: tuple[int, ...], ctx: Ctx) -> Decimal | None:
    """The value of an amount read at ``where``; None after reporting a bad one."""
    try:
        return parse_amount(value)[1]
    except MoneyError as exc:
        ctx.problem(spec.render(where, idx), str(exc))
        return None


def op_line_totals(spec: Spec) -> Step:
    return _LineTotals(spec)


def op_same_value(spec: Spec) -> Step:
    sources = spec.one_read()
    (target,) = spec.one_write()
    write = writer(spec, target)
    check = _type_check(spec)
    places = tuple((p, _Each(p) if p.has_each else None) for p in sources)

    def present(src: Any, p: Path, each: _Each | None, idx: tuple[int, ...]) -> list[tuple[tuple[int, ...], Any]]:
        if each is None or not each.plain:
            return list(iter_each(src, p, idx))
        items = each.items(src)
        return [((*idx, n), v) for n, v in each.values(items)] if items is not None else []

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        found = [(p, sub_idx, v) for p, each in places for sub_idx, v in present(src, p, each, idx) if v is not None]
        if not found:
            return
        p, sub_idx, first = found[0]
        if (check is None or check[0](first)) and all(v == first and (check is None or check[0](v)) for _, _, v in found):
            write(out, first, ctx, idx, spec.at(p, sub_idx))  # one value throughout: the common case
            return
        first = MISSING
        first_at: tuple[Path, tuple[int, ...]] | None = None
        for p, each in places:
            for sub_idx, value in present(src, p, each, idx):
                if value is None:
                    continue
                if check is not None and not check[0](value):
                    ctx.problem(spec.at(p, sub_idx), f"expected {check[1]}, got {describe(value)}")
                    continue
                if first_at is None:
                    first, first_at = value, (p, sub_idx)
                elif value != first:
                    ctx.report(
                        "mismatch",
                        spec.at(p, sub_idx),
                        f"{describe(value)} disagrees with {spec.at(*first_at)} = {describe(first)}; eCommerce holds one value per order",
                        spec.row.id,
                    )
        if first_at is not None:
            write(out, first, ctx, idx, spec.at(*first_at))

    return step


def _text(value: Any) -> dict[str, str]:
    return {"original": value, "translated": value}


def _pairs(
    spec: Spec, items: Any, path: Path | None, keys: tuple[str, str], ctx: Ctx, idx: tuple[int, ...]
) -> list[tuple[str, str]] | None:
    """``[{option, selection}]``-style lists (the value ``items`` read at ``path``) as (name, value)
    pairs; None when absent."""
    if path is None or items is MISSING or items is None:
        return None
    if not isinstance(items, list):
        ctx.problem(spec.render(path, idx), f"expected an array, got {describe(items)}")
        return None
    pairs = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            ctx.problem(
                spec.render(path, idx) + index_step(n), f"expected {{{keys[0]}: string, {keys[1]}: string}}, got {describe(item)}"
            )
            continue
        name, value = item.get(keys[0], ""), item.get(keys[1], "")
        wrong = [key for key, v in zip(keys, (name, value), strict=True) if not isinstance(v, str)]
        for key in wrong:  # at the field itself, the deepest path that explains it
            ctx.problem(spec.render(path, idx) + index_step(n) + key_step(key), f"expected a string, got {describe(item[key])}")
        if not wrong:
            pairs.append((name, value))
    return pairs


def _one(paths: tuple[Path, ...]) -> Path | None:
    return paths[0] if paths else None


def _only(values: tuple[Any, ...]) -> Any:
    return values[0] if values else MISSING


def _pair_keys(spec: Spec, role: str) -> tuple[str, str]:
    """The two keys of a ``[{name, value}]`` list (``option``/``selection``), from the row's ``pairs``."""
    keys = spec.param("pairs", dict).get(role)
    if not (isinstance(keys, list) and len(keys) == 2 and all(isinstance(k, str) for k in keys)):
        raise spec.fail(f"'pairs' needs {role}: [name key, value key]")
    return keys[0], keys[1]


class _DescriptionLines(ReadStep):
    __slots__ = ("keys", "write", "line_type", "anchor")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("options", "customTextFields", "notes"))
        self.keys = (_pair_keys(spec, "options"), _pair_keys(spec, "customTextFields"))
        self.write = writer(spec, spec.one_write()[0])
        self.line_type = spec.param("line_type", str)
        anchor = next((ps[0] for ps in self.paths if ps), None)
        if anchor is None:
            raise spec.fail("description_lines needs options, customTextFields or notes in 'from'")
        self.anchor = anchor

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec, line_type = self.spec, self.line_type
        lines: list[dict[str, Any]] = []
        present = False
        for n in (0, 1):
            items = values[n][0] if values[n] else MISSING
            if items is MISSING or items is None:
                continue
            pairs = _pairs(spec, items, self.paths[n][0], self.keys[n], ctx, idx)
            if pairs is not None:
                present = True
                lines.extend(
                    {
                        "name": {"original": name, "translated": name},
                        "plainText": {"original": value, "translated": value},
                        "lineType": line_type,
                    }
                    for name, value in pairs
                )
        notes = _one(self.paths[2])
        note = _only(values[2])
        if isinstance(note, str) and note:
            present = True
            lines.append({"name": _text(""), "plainText": _text(note), "lineType": line_type})
        elif notes is not None and not is_empty(note):
            ctx.problem(spec.render(notes, idx), f"expected a string, got {describe(note)}")
        if present:  # only an agreeing write names the path
            self.write(out, lines, ctx, idx, spec.at(self.anchor, idx) if spec.row.agree else "")


def op_description_lines(spec: Spec) -> Step:
    return _DescriptionLines(spec)


class _CatalogOptions(ReadStep):
    __slots__ = ("keys", "write")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("options", "variantId", "customTextFields"))
        self.keys = (_pair_keys(spec, "options"), _pair_keys(spec, "customTextFields"))
        self.write = writer(spec, spec.one_write()[0])

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        (options, variant, fields) = self.paths
        result: dict[str, Any] = {}
        opts = _pairs(spec, _only(values[0]), _one(options), self.keys[0], ctx, idx)
        if opts is not None:
            result["options"] = dict(opts)
        vid = _only(values[1])
        if vid is not MISSING and vid is not None:
            if not isinstance(vid, str):
                ctx.problem(spec.render(variant[0], idx), f"expected a string, got {describe(vid)}")
            else:
                result["variantId"] = vid
        texts = _pairs(spec, _only(values[2]), _one(fields), self.keys[1], ctx, idx)
        if texts:
            result["customTextFields"] = dict(texts)
        # An empty options list alone says nothing: a custom-amount item keeps an empty catalogReference.
        if result.get("options") or "variantId" in result or texts:
            self.write(out, result, ctx, idx, "")


def op_catalog_options(spec: Spec) -> Step:
    return _CatalogOptions(spec)


def op_discount_scope(spec: Spec) -> Step:
    (discount,) = spec.one_read("discounts")
    split = discount.split_each()
    if split is None:
        raise spec.fail("'discounts' must name a line-item field, e.g. lineItems[i].discount")
    items_path, amount_path = split
    write_ids = writer(spec, spec.one_write("ids")[0])
    types = spec.param("types", dict)
    some_items, no_items = types.get("some_items"), types.get("no_items")
    if not (isinstance(some_items, str) and isinstance(no_items, str)):
        raise spec.fail("'types' needs some_items and no_items: the discountType for each case")
    write_type = writer(spec, spec.one_write("type")[0])

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        items = get(src, items_path)
        if not isinstance(items, list):
            return
        ids = []
        for n, item in enumerate(items):
            value = get(item, amount_path)
            if value is MISSING or value is None:
                continue
            try:
                if parse_amount(value)[1] > 0:
                    ids.append(line_item_guid(_index_of(item, n)))
            except MoneyError:
                continue  # line-discount reports it
        if ids:
            write_ids(out, ids, ctx, idx, "")
        write_type(out, some_items if ids else no_items, ctx, idx, "")

    return step


def op_plain_value(spec: Spec) -> Step:
    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        # The protobuf view wraps a value as {"stringValue": "..."}; the wire carries it plain.
        if isinstance(value, dict) and len(value) == 1:
            (key,) = value
            if key.endswith("Value"):
                return value[key]
        return value

    return _value_op(spec, convert)


def op_address(spec: Spec) -> Step:
    (source,) = spec.one_read()
    (host_path,) = spec.one_write()
    contact = spec.param("contact", bool)
    steps = spec.address_steps[contact]

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        address = get(src, source)
        if address is MISSING or address is None:
            return
        if not isinstance(address, dict):
            ctx.problem(spec.render(source, idx), f"expected an address object, got {describe(address)}")
            return
        host = get(out, host_path)
        fresh = not isinstance(host, dict)
        if fresh:
            host = {}
        for sub in steps:
            sub(address, host, ctx, idx)
        if fresh and host:
            put(out, host_path, host)

    return step


def op_buyer_email(spec: Spec) -> Step:
    (source,) = spec.one_read()
    (target,) = spec.one_write()
    write = writer(spec, target, root=True)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING or value is None or value == "":
            return
        path = spec.at(source, idx)
        if not isinstance(value, str):
            ctx.problem(path, f"expected a string, got {describe(value)}")
            return
        write(out, value, ctx, idx, path)

    return step


def op_expect_present(spec: Spec) -> Step:
    (source,) = spec.one_read()
    reason = spec.param("reason", str)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        if get(src, source) in (MISSING, None):
            ctx.report("rule", spec.render(source, idx), f"missing: {reason}", spec.row.id)

    return step


def op_expect_value(spec: Spec) -> Step:
    (source,) = spec.one_read()
    values = spec.param("values", list)
    reason = spec.param("reason", str)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value not in (MISSING, None) and value not in values:
            ctx.report("rule", spec.render(source, idx), f"{describe(value)}: {reason}", spec.row.id)

    return step


def _country_alpha2(value: str) -> str | None:
    if len(value) == 2:
        return value.upper() if pycountry.countries.get(alpha_2=value.upper()) else None
    if len(value) == 3:
        country = pycountry.countries.get(alpha_3=value.upper())
        return country.alpha_2 if country else None
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

    return _value_op(spec, convert)


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

    return _value_op(spec, convert)


def op_subdivision_code(spec: Spec) -> Step:
    (country_path,) = spec.one_read("country")

    def convert(value: Any, path: At, ctx: Ctx, src: Any) -> Any:
        if not isinstance(value, str) or not value or "-" in value:
            return value  # already ISO 3166-2 ("US-NY"), or empty
        country = get(src, country_path)
        alpha2 = _country_alpha2(country) if isinstance(country, str) else None
        code = f"{alpha2}-{value.upper()}" if alpha2 else None
        if code is None or pycountry.subdivisions.get(code=code) is None:  # type: ignore[no-untyped-call]
            ctx.report(
                "not_derivable",
                path,
                f"{describe(value)} is not a subdivision of country {describe(country)}; kept as it is, not ISO 3166-2",
                spec.row.id,
            )
            return value
        return code

    return _value_op(spec, convert, role="subdivision")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation, declared once: the planner, the code generator and the query translator read what
    it is from here, so adding an operation touches this list and the rows that use it."""

    name: str
    build: Callable[[Spec], Step]
    params: frozenset[str] = frozenset()  # the row keys it reads besides from/to and the conditions
    path_params: frozenset[str] = frozenset()  # of the keys that name paths (`by`, `sum`, `times`), the ones it reads
    iterates: bool = False  # walks a list itself: a row outside the list may read `lineItems[i]...`
    report: str | None = None  # a row that only reports what it reads, under this kind
    searchable: bool = False  # Search Orders can filter on what it writes: the row may say how (`search`)
    rooted: bool = False  # its `to` is written from the order's root, not relative to the row's object

    def allowed(self) -> frozenset[str]:
        return self.params | {"search"} if self.searchable else self.params


def _ops(*ops: Operation) -> Mapping[str, Operation]:
    return MappingProxyType({op.name: op for op in ops})


OPERATIONS: Mapping[str, Operation] = _ops(
    Operation("copy", op_copy, frozenset({"type", "minimum"}), searchable=True),
    Operation("to_string", op_to_string, searchable=True),
    Operation("to_number", op_to_number),
    Operation("money", op_money),
    Operation("enum", op_enum, frozenset({"map", "values", "not_derivable"}), searchable=True),
    Operation("split", op_split, frozenset({"cases", "values"}), frozenset({"by"}), searchable=True),
    Operation("line_item_id", op_line_item_id),
    Operation("not_carried", _report_op("fetch"), frozenset({"fetch", "reason"}), iterates=True, report="fetch"),
    Operation("dropped", _report_op("dropped"), frozenset({"reason"}), iterates=True, report="dropped"),
    Operation("not_derivable", _report_op("not_derivable"), frozenset({"reason"}), iterates=True, report="not_derivable"),
    Operation("constant", op_constant, frozenset({"value"})),
    Operation("first_match", op_first_match, frozenset({"rules", "default"}), searchable=True),
    Operation("sum_check", op_sum_check, frozenset({"carried", "complete", "over"}), frozenset({"sum", "times"}), iterates=True),
    Operation("total_check", op_total_check),
    Operation("line_totals", op_line_totals),
    Operation("same_value", op_same_value, frozenset({"type"}), iterates=True),
    Operation("description_lines", op_description_lines, frozenset({"pairs", "line_type"})),
    Operation("catalog_options", op_catalog_options, frozenset({"pairs"})),
    Operation("discount_scope", op_discount_scope, frozenset({"types"}), iterates=True),
    Operation("plain_value", op_plain_value),
    Operation("address", op_address, frozenset({"contact"}), searchable=True),
    Operation("buyer_email", op_buyer_email, rooted=True),
    Operation("country_code", op_country_code),
    Operation("currency_code", op_currency_code),
    Operation("subdivision_code", op_subdivision_code),
    Operation("expect_present", op_expect_present, frozenset({"reason"})),
    Operation("expect_value", op_expect_value, frozenset({"reason", "values"})),
)
