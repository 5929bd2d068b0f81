"""Where a row runs: the list element its paths sit in (its scope), its paths relative to that scope, and
the steps that run rows under their conditions and once per list element."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ..paths import MISSING, Path, get, iter_each, parse, put
from ..report import describe
from .context import Ctx, Spec, Step
from .ops import OPERATIONS
from .table import Row


def join(outer: Path, inner: Path) -> Path:
    return parse(f"{outer.text}.{inner.text}")


def scope_of(row: Row, op_name: str) -> Path | None:
    """The list a row runs over, when every path of the row sits in the same list element."""
    paths = list(row.all_reads()) + list(row.all_writes())
    paths += [p for p in (row.if_present, row.unless_present) if p is not None]
    paths += [p for p, _ in row.when + row.unless]
    heads = set()
    for p in paths:
        split = p.split_each()
        heads.add(split[0].text if split else None)
    operation = OPERATIONS.get(op_name)
    if len(heads) == 1 and None not in heads and not (operation is not None and operation.rooted):
        return parse(heads.pop())
    return None


def relative(path: Path, scope: Path | None = None) -> Path:
    if scope is None:
        return path
    split = path.split_each()
    assert split is not None
    return split[1]


def spec_of(
    row: Row,
    scope: Path | None,
    prefix: Path | None,
    address_steps: Mapping[bool, tuple[Step, ...]],
    source: str = "mappings.yaml",
    sections: Mapping[str, Any] = MappingProxyType({}),
) -> Spec:
    full: dict[Path, Path] = {}

    def rel(p: Path, is_read: bool) -> Path:
        r = relative(p, scope)
        if is_read:
            full[r] = join(prefix, p) if prefix is not None else p
        return r

    reads = {role: tuple(rel(p, True) for p in ps) for role, ps in row.reads.items()}
    writes = {role: tuple(rel(p, False) for p in ps) for role, ps in row.writes.items()}
    return Spec(row, MappingProxyType(reads), MappingProxyType(writes), MappingProxyType(full), address_steps, source, sections)


def guard(step: Step, row: Row, scope: Path | None, spec: Spec) -> Step:
    """Run a row only when its conditions hold (``if_present``, ``unless_present``, ``when``, ``unless``,
    and on the output, ``if_written``, ``unless_written``)."""
    need = relative(row.if_present, scope) if row.if_present is not None else None
    avoid = relative(row.unless_present, scope) if row.unless_present is not None else None
    when = tuple((relative(p, scope), values) for p, values in row.when)
    unless = tuple((relative(p, scope), values) for p, values in row.unless)
    if row.if_written is not None or row.unless_written is not None:
        step = _guard_written(step, row, spec)
    if need is None and avoid is None and not when and not unless:
        return step

    def condition(path: Path, values: tuple[Any, ...]) -> Callable[[Any], bool]:
        """Built once per row: does the value at ``path`` lie in ``values`` (~ meaning absent or null)?"""
        allowed = frozenset(v for v in values if v is not None)
        if path.has_each:  # every element of the list (and there is at least one)
            split = path.split_each()
            if split is not None and split[0].plain and split[1].plain:
                head, tail = split  # one list: a loop, not iter_each's generators, for every element of every order

                def every_element(src: Any) -> bool:
                    items = get(src, head)
                    if not isinstance(items, list):
                        return False
                    found = False
                    for item in items:
                        value = get(item, tail)
                        if value is MISSING:
                            continue
                        if not (isinstance(value, str) and value in allowed):
                            return False
                        found = True
                    return found

                return every_element

            def every(src: Any) -> bool:
                found = [v for _, v in iter_each(src, path)]
                return bool(found) and all(isinstance(v, str) and v in allowed for v in found)

            return every
        empty_ok = None in values

        def one(src: Any) -> bool:
            value = get(src, path)
            if value is MISSING or value is None:
                return empty_ok
            return isinstance(value, str) and value in allowed  # an object or a list is never a listed value

        return one

    musts = tuple(condition(p, v) for p, v in when)
    must_nots = tuple(condition(p, v) for p, v in unless)

    def guarded(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        if need is not None and get(src, need) in (MISSING, None):
            return
        if avoid is not None and get(src, avoid) not in (MISSING, None):
            return
        for must in musts:
            if not must(src):
                return
        for must_not in must_nots:
            if must_not(src):
                return
        step(src, out, ctx, idx)

    return guarded


def _guard_written(step: Step, row: Row, spec: Spec) -> Step:
    """Run a row only when an earlier row of the section wrote ``if_written`` (and did not write
    ``unless_written``); when it does not run, each of its inputs that holds a value is reported with
    the row's ``otherwise``, so a value the row would have carried is never silently lost."""
    need, avoid, otherwise = row.if_written, row.unless_written, row.otherwise
    inputs = tuple(p for p in row.all_reads())

    def written_guarded(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        if (need is None or get(out, need) is not MISSING) and (avoid is None or get(out, avoid) is MISSING):
            step(src, out, ctx, idx)
            return
        if otherwise is None:
            return  # a row of the section under the opposite condition carries these inputs (table.py)
        for p in inputs:
            if get(src, p) not in (MISSING, None):
                ctx.report("dropped", spec.at(p, idx), otherwise, row.id)  # the path as the input spells it

    return written_guarded


def loop(src_list: Path, out_list: Path, steps: tuple[Step, ...], report_shape: bool = True) -> Step:
    """Run steps once per list element; ``report_shape`` is off for a second pass over the same list."""
    where = src_list.render()
    step = steps[0] if len(steps) == 1 else sequence(steps)  # one step a scope, as fuse makes them: no inner loop

    def each(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        items = get(src, src_list)
        if items is MISSING or items is None:
            return
        if not isinstance(items, list):
            if report_shape:
                ctx.problem(where, f"expected an array, got {describe(items)}")
            return
        out_items = get(out, out_list)
        if not isinstance(out_items, list):
            out_items = []
            put(out, out_list, out_items)
        # An output element for every input element, an object even where the input's is not one.
        short = len(items) - len(out_items)
        if short > 0:
            out_items.extend([{} for _ in range(short)])
        for n, item in enumerate(items):
            if item.__class__ is not dict and not isinstance(item, dict):
                if report_shape:
                    ctx.problem(f"{where}[{n}]", f"expected an object, got {describe(item)}")
                continue
            step(item, out_items[n], ctx, idx + (n,))

    return each


def sequence(steps: tuple[Step, ...]) -> Step:
    def run(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        for step in steps:
            step(src, out, ctx, idx)

    return run


def identity(path: Path) -> Path:
    return path


def scope_name(section: str, scope: Path | None) -> str:
    """What the generated code of a section's rows is called: ``order``, ``lineItems[i]``, ``refund``."""
    if scope is None:
        return section
    each = f"{scope.text}[i]"
    return each if section == "order" else f"{section} {each}"
