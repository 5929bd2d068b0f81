"""Compile the mapping table once into a frozen plan; apply it to many orders.

Rows whose paths all sit inside one list element (``lineItems[i]...`` on both sides) are grouped into a
loop over that list; every other row runs once per order. Loading checks every row up front: an
unknown operation, a malformed path, two rows writing one target, an enum map with a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from ..paths import Each, Path, parse
from ..report import Entry
from .aliases import compile_aliases
from .claims import Claims
from .conformance import model_problems
from .context import Spec, Step
from .dialect import compile_velo
from .fuse import Item, fuse
from .generated import collecting
from .operation import Operation
from .ops import OPERATIONS
from .ops.address import dropped_contact
from .plan import Plan, Section
from .routing import table_of
from .scopes import guard, identity, join, loop, relative, scope_name, scope_of, sequence, spec_of
from .table import COMPANION_SECTIONS, PATH_PARAMS, MappingError, Row, Table, default_table_text
from .unmapped import COVERED, Walk, compile_walk, unmapped
from .webhook_table import compile_webhooks


def _compile_row(
    row: Row,
    scope: Path | None,
    prefix: Path | None,
    table: Table,
    targets: Claims,
    generate: bool = True,
    sections: Mapping[str, Section] = MappingProxyType({}),
) -> tuple[Step, Step]:
    """The row's step with its conditions, and without them (for the code generator, which spells
    the conditions out)."""
    operation = operation_of(row, table)
    address_steps: dict[bool, tuple[Step, ...]] = {}
    if operation.nests:
        contact = row.params.get("contact")
        if not isinstance(contact, bool) or len(row.reads.get("value", ())) != 1 or len(row.writes.get("value", ())) != 1:
            raise MappingError(
                table.source, row.line, row.id, "an address row needs one 'from', one 'to' and 'contact: true|false'"
            )
        (outer,) = row.reads["value"]
        (host,) = row.writes["value"]
        address_steps[contact] = _address_steps(table, outer, host, contact, targets, generate)
    spec = spec_of(row, scope, prefix, MappingProxyType(address_steps), table.source, sections)
    if row.section != "checks" and scope is None and not operation.iterates:
        for p in row.all_reads() + row.all_writes():
            if p.has_each:
                raise MappingError(
                    table.source, row.line, row.id, f"path {p.text!r} has [i] but the row does not run inside that list"
                )
    if (row.if_written is not None or row.unless_written is not None) and (scope is not None or operation.iterates):
        raise MappingError(table.source, row.line, row.id, "'if_written' and 'unless_written' are for rows run once per object")
    if row.section != "checks" and not operation.nests:
        # A row run only where no earlier row wrote `unless_written` may write the targets under it.
        fresh = frozenset(p.text for role in operation.fresh for p in row.writes.get(role, ()))
        targets.claim(row, [p.text for p in row.all_writes()], row.agree, fresh, row.unless_written)
        applied = sections.get(str(row.params.get("section"))) if operation.applies else None
        if applied is not None:
            # What the section's rows write in each element is this row's too: a later row may add to an
            # element, not write there again.
            inside = [f"{t.text}[i].{w.text}" for t in row.writes.get("value", ()) for w in applied.write_paths]
            targets.claim(row, inside, row.agree)
    bare = _build(operation.build, spec)
    return guard(bare, row, scope, spec), bare


def _address_steps(
    table: Table, outer: Path | None, host: Path | None, contact: bool, targets: Claims | None, generate: bool = True
) -> tuple[Step, ...]:
    """The address table's rows, for one place an address occurs (or standalone when outer is None),
    fused into one generated step."""
    items: list[Item] = []

    def full(p: Path) -> Path:
        return join(outer, p) if outer is not None else p

    for sub in table.address:
        sub_spec = spec_of(sub, None, outer, {}, table.source)
        is_contact = any(p.segments[:1] == ("contactDetails",) for p in sub.all_writes())
        if is_contact and not contact:
            dropped = dropped_contact(sub_spec)
            items.append((None, dropped, dropped, identity, full))
            continue
        if targets is not None:
            sub_op = operation_of(sub, table)
            rooted = sub_op.rooted
            written = {
                p.text if rooted or host is None else join(host, p).text: role for role, ps in sub.writes.items() for p in ps
            }
            fresh = frozenset(text for text, role in written.items() if role in sub_op.fresh)
            targets.claim(sub, list(written), rooted, fresh)
        bare = _build(operation_of(sub, table).build, sub_spec)
        items.append((sub, guard(bare, sub, None, sub_spec), bare, identity, full))
    if not generate:
        return tuple(guarded for _, guarded, _, _, _ in items)
    where = f"address at {outer.text}" if outer is not None else "address"
    return (fuse(items, f"{where} ({'with' if contact else 'no'} contact)", table.source),)


def operation_of(row: Row, table: Table) -> Operation:
    """The row's operation, with the row's keys checked against what it reads: a key no operation of the
    row reads is a typo, refused rather than ignored."""
    operation = OPERATIONS.get(row.op)
    if operation is None:
        raise MappingError(
            table.source, row.line, row.id, f"unknown operation {row.op!r} (one of {', '.join(sorted(OPERATIONS))})"
        )
    unknown = sorted(set(row.params) - operation.allowed())
    unknown += sorted(set(row.reads) & PATH_PARAMS - operation.path_params)
    if unknown:
        takes = sorted(operation.allowed() | operation.path_params)
        raise MappingError(
            table.source,
            row.line,
            row.id,
            f"unknown key {unknown[0]!r} for operation {row.op!r} (a typo? it takes "
            f"{', '.join(takes) if takes else 'no keys'} besides from, to, note, agree and the conditions)",
        )
    return operation


def _build(factory: Callable[[Spec], Step], spec: Spec) -> Step:
    try:
        return factory(spec)
    except MappingError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise spec.fail(f"cannot compile: {exc}") from None


def _trie(paths: list[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for p in paths:
        node: Any = root
        segs = _trie_keys(p)
        for n, seg in enumerate(segs):
            if node is COVERED:
                break
            if n == len(segs) - 1:
                node[seg] = COVERED
            else:
                node = node.setdefault(seg, {})
    return root


def _trie_keys(path: Path) -> tuple[str, ...]:
    return tuple("[]" if isinstance(s, (Each, int)) else s for s in path.segments)


def _compile_rows(
    rows: tuple[Row, ...], table: Table, generate: bool = True, sections: Mapping[str, Section] = MappingProxyType({})
) -> tuple[list[Step], list[Path]]:
    """Steps in row order: consecutive rows of the order fused into one generated function, consecutive
    rows over the same list into one function run per element; and every path read."""
    targets = Claims(table)
    steps: list[Step] = []
    read_paths: list[Path] = []
    group: list[Item] = []
    group_scope: Path | None = None
    in_list = False

    def flush() -> None:
        nonlocal group, group_scope, in_list
        if group:
            name = scope_name(rows[0].section, group_scope if in_list else None)
            fused = fuse(group, name, table.source) if generate else sequence(tuple(guarded for _, guarded, _, _, _ in group))
            steps.append(loop(group_scope, group_scope, (fused,)) if in_list and group_scope is not None else fused)
        group, group_scope, in_list = [], None, False

    for row in rows:
        scope = scope_of(row, row.op)
        if scope is not None:
            for p in row.all_writes():
                split = p.split_each()
                if split is None or split[0] != scope:
                    raise MappingError(
                        table.source, row.line, row.id, f"writes {p.text!r} outside the list {scope.text!r} it reads"
                    )
        step, bare = _compile_row(row, scope, None, table, targets, generate, sections)
        read_paths.extend(_accounted_reads(row, table, sections))
        if (scope is not None) != in_list or scope != group_scope:
            flush()
        group_scope, in_list = scope, scope is not None
        group.append((row, step, bare, partial(relative, scope=scope), identity))
    flush()
    return steps, read_paths


def _accounted_reads(row: Row, table: Table, sections: Mapping[str, Section] = MappingProxyType({})) -> list[Path]:
    """The input paths a row carries, for the unmapped report: a whole subtree only where the row
    really takes all of it."""
    if OPERATIONS[row.op].applies:
        # The section's own reads, inside each element of the list the row applies it to.
        section = sections.get(str(row.params.get("section")))
        if section is None:
            return []
        (outer,) = row.reads["value"]
        return [parse(f"{outer.text}[i].{p.text}") for p in section.read_paths]
    if OPERATIONS[row.op].nests:
        # Only the address table's fields: anything else in an address is reported as unmapped.
        (outer,) = row.reads["value"]
        return [join(outer, p) for sub in table.address for p in sub.all_reads()]
    if OPERATIONS[row.op].report is not None and (row.if_present or row.unless_present or row.when or row.unless):
        return []  # a guarded report row covers what it reported, when it ran (see convert._unmapped)
    pairs = row.params.get("pairs")
    out: list[Path] = []
    for role, paths in row.reads.items():
        if role in OPERATIONS[row.op].compared:
            continue
        keys = pairs.get(role) if isinstance(pairs, dict) else None
        for p in paths:
            if isinstance(keys, list):
                out.extend(parse(f"{p.text}[i].{key}") for key in keys)
            else:
                out.append(p)
    return out


def compile_section(
    rows: tuple[Row, ...], table: Table, generate: bool = True, sections: Mapping[str, Section] = MappingProxyType({})
) -> Section:
    """A section's rows; ``sections`` are the compiled sections its ``each`` rows may apply."""
    steps, reads = _compile_rows(rows, table, generate, sections)
    trie = MappingProxyType(_trie(reads))
    name = rows[0].section if rows else "section"
    applied = tuple(row.reads["value"][0] for row in rows if OPERATIONS[row.op].applies)
    writes = tuple(p for row in rows for p in row.all_writes())
    return Section(tuple(steps), trie, _walk(trie, generate, name), tuple(reads), applied, writes)


def _compile_checks(table: Table, generate: bool) -> list[Step]:
    """The input rules: consecutive checks over the same scope run as one step (generated, like the
    order rows). Checks only report: they read nothing for the unmapped report and write nothing."""
    checks: list[Step] = []
    group: list[Item] = []
    group_scope: Path | None = None
    for row in (*table.checks, None):
        scope = scope_of(row, row.op) if row is not None else None
        if group and (row is None or scope != group_scope):
            name = scope_name("checks", group_scope)
            fused = fuse(group, name, table.source) if generate else sequence(tuple(guarded for _, guarded, _, _, _ in group))
            checks.append(loop(group_scope, group_scope, (fused,), report_shape=False) if group_scope is not None else fused)
            group = []
        if row is None:
            break
        step, bare = _compile_row(row, scope, None, table, Claims(table), generate)
        group.append((row, step, bare, partial(relative, scope=scope), identity))
        group_scope = scope
    return checks


def _walk(trie: Mapping[str, Any], generate: bool, scope: str) -> Walk:
    if generate:
        return compile_walk(trie, scope)

    def walk(value: Any, entries: list[Entry]) -> None:
        unmapped(value, trie, "$", entries)

    return walk


def compile_table(table: Table, generate: bool = True) -> Plan:
    """The plan of a table. ``generate=False`` builds the reference plan: every row a call to its own
    step and the generic unmapped walk, the meaning the generated code must keep (tests compare them)."""
    with collecting() as code:
        steps, read_paths = _compile_rows(table.order, table, generate)
        checks = _compile_checks(table, generate)
        # Alone (convert_address), with its contact rows: held to its claims even where no order row applies it.
        standalone = {c: _address_steps(table, None, None, c, Claims(table) if c else None, generate) for c in (True, False)}
        address_reads = _trie([p for sub in table.address for p in sub.all_reads()])
        reads = MappingProxyType(_trie(read_paths))
        walk = _walk(reads, generate, "order")
        address_walk = _walk(address_reads, generate, "address")
        fulfillment = compile_section(table.fulfillment, table, generate)
        refund = compile_section(table.refund, table, generate)
        reusable = MappingProxyType({"fulfillment": fulfillment, "refund": refund})
        companions = MappingProxyType(
            {
                name: compile_section(getattr(table, section), table, generate, reusable)
                for name, section in COMPANION_SECTIONS.items()
            }
        )
        webhooks = compile_webhooks(table)
        velo = compile_velo(table.velo, table.source, generate)
        by_id = {row.id: row for row in table.order}
        webhook_checks = MappingProxyType(
            {spec.id: compile_section(tuple(by_id[r] for r in spec.checks), table, generate) for spec in webhooks if spec.checks}
        )
    return Plan(
        table,
        tuple(steps),
        reads,
        walk,
        table.required,
        MappingProxyType(standalone),
        MappingProxyType(address_reads),
        address_walk,
        velo,
        fulfillment,
        refund,
        tuple(checks),
        webhooks,
        generate,
        tuple(dict.fromkeys(code)),  # two places an address occurs may generate the very same code
        companions,
        compile_aliases(table),
        webhook_checks,
    )


# A table's text is read once per process, for its plan and its routing alike.
@lru_cache(maxsize=8)
def plan_of(text: str, source: str = "mappings.yaml", generate: bool = True) -> Plan:
    """The plan of a table's text, compiled once per process (an unpickled plan comes here)."""
    return compile_table(table_of(text, source), generate)


def plan_from_file(path: str) -> Plan:
    """The plan of a user's own table; ``MappingError`` names the file, line and row of a bad row (one
    that writes a value the eCommerce order does not allow, or into a place it cannot hold, too), ``OSError`` a file that cannot be read."""
    plan = plan_of(FsPath(path).read_text(encoding="utf-8"), path, True)
    problems = model_problems(plan.table)
    if problems:
        raise problems[0]
    plan.validity()  # a row writing where the model cannot hold it is refused here, not at the first order
    return plan


@lru_cache(maxsize=1)
def default_plan() -> Plan:
    """The plan of the shipped mappings.yaml, compiled once per process."""
    text, source = default_table_text()
    return plan_of(text, source, True)  # the arguments as __reduce__ gives them: one cache entry
