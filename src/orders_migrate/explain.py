"""Explain one conversion: which row wrote every output leaf and from which input paths, and what became
of every non-empty input leaf (carried to the output, consumed by a rule, or reported).

The engine knows each row's reads and writes, and the table lets only one row own a target, so the
ledger is derived from the table and the conversion's own output and report: explaining runs apart from
the fast path and costs it nothing. Paths are those of the user's file (Velo paths for a Velo order).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .engine import Plan, default_plan
from .engine.apply import written_with_companions
from .engine.dialect import Dialect
from .engine.ops import OPERATIONS
from .engine.table import COMPANION_SECTIONS, Row, Table
from .explain_ledger import NOT_CARRIED, InputLeaf, Ledger, OutputLeaf
from .money import DEFAULT_LOCALE
from .paths import EACH, MISSING, Each, Path, is_empty, parse, parse_rendered, render_steps
from .report import Entry

Steps = tuple[str | int, ...]
Pattern = tuple[str | int | Each, ...]
Indices = tuple[int, ...]  # what the [i] of a pattern took, in order


@dataclass(frozen=True, slots=True)
class _Rule:
    """One row's place in the ledger: the output it writes and the input it reads, as patterns."""

    row: Row
    writes: tuple[Pattern, ...]
    reads: tuple[Pattern, ...]
    via: str | None = None  # the address row an address-table row runs under
    triggers: tuple[Pattern, ...] = ()  # of the reads, those it only tests (a constant's `from`): not carried by it

    def carries(self) -> tuple[Pattern, ...]:
        return tuple(p for p in self.reads if p not in self.triggers)


def explain_order(
    payload: Any,
    *,
    plan: Plan | None = None,
    locale: str = DEFAULT_LOCALE,
    partial: bool = False,
    dialect: Dialect | None = None,
    companions: bool = False,
) -> Ledger:
    """The ledger of converting one Stores order (a parsed dict; ``partial``, ``dialect`` and ``companions``
    as for ``Plan.convert``). With ``companions`` the leaves of each companion built are outputs too, at
    ``$.orderTransactions...`` and ``$.orderWithFulfillments...`` (the paths the report names them by), so
    a payment, refund or fulfillment field a companion carried is put down there, not as ``fetch``. A record
    ``convert --companions`` wrote is passed through, as convert passes it (``passed_with_companions``).
    Raises ``ConversionError`` as ``Plan.convert`` does for an order that cannot be converted."""
    plan = plan or default_plan()
    if isinstance(payload, dict) and written_with_companions(payload, plan):
        return passed_with_companions(payload, companions)
    conversion = plan.convert(payload, locale=locale, partial=partial, dialect=dialect, companions=companions)
    if conversion.report.payload_kind != "stores_order":
        return passed_through(payload)
    moved: dict[str, str] = {}
    normalised = payload
    if conversion.report.dialect == "velo":
        from .engine.context import Ctx

        normalised, moved = plan.velo.apply(payload, Ctx(None, None, {}))
    to_user = moved  # a REST path -> the path in the user's file
    to_rest = {v: k for k, v in moved.items()}
    rules = _rules(plan, checks=not partial)
    if conversion.companions:
        rules += _companion_rules(plan)
    ledger = Ledger()
    wrote: dict[str, set[Indices]] = {}  # row id -> the index tuples it wrote output at
    leaves = [steps for steps, _ in leaves_of(conversion.order)]
    for name, companion in conversion.companions.items():
        leaves += [steps for steps, _ in leaves_of(companion, (name,))]
    ran = _ran_in_place(rules, leaves)
    for steps in leaves:
        rule, idx, inputs = _owner(rules, steps, normalised, to_user, ran)
        if rule is None:
            ledger.outputs.append(OutputLeaf(_render(steps), None, None, (), "no row writes here"))
            continue
        wrote.setdefault(rule.row.id, set()).add(idx)
        note = f"address table, under row {rule.via}" if rule.via else None
        ledger.outputs.append(OutputLeaf(_render(steps), rule.row.id, rule.row.op, inputs, note))
    entries = conversion.report.entries
    fates = [e for e in entries if e.kind != "aliased"]
    for steps, value in leaves_of(payload):
        if is_empty(value):
            continue
        user_path = _render(steps)
        rest_path = _restore(user_path, to_rest)
        rest_steps = steps if rest_path == user_path else parse_rendered(rest_path)
        readers = [(r, idx) for r in rules for idx in _matches(r.carries(), rest_steps)]
        carried = tuple(dict.fromkeys(r.row.id for r, idx in readers if _wrote_at(wrote.get(r.row.id), idx)))
        # An aliased value went on as the documented one: its fate is that value's, and the alias is named.
        entry = _entry_at(fates, user_path)
        if entry is not None and entry.kind == "not_derivable" and carried:
            # What the stored order cannot give sits beside a value that was carried (the payment's id
            # at the total the payment's amount came from): one verdict, carried, the entry named.
            ledger.inputs.append(InputLeaf(user_path, "output", carried, beside=(entry,)).with_alias(entries))
        elif entry is not None and (entry.kind in NOT_CARRIED or not carried):
            ledger.inputs.append(InputLeaf(user_path, "report", carried, entry.kind, entry.row).with_alias(entries))
        elif carried:
            ledger.inputs.append(InputLeaf(user_path, "output", carried).with_alias(entries))
        else:
            # A trigger consumed the very leaf it tests, not every leaf of the object it tests for presence.
            tested = [r for r in rules if any(len(t) == len(rest_steps) for t in r.triggers if _match(t, rest_steps) is not None)]
            consumed = tuple(dict.fromkeys(r.row.id for r in [*(r for r, _ in readers), *tested])) or _conditions(
                plan, rest_steps
            )
            ledger.inputs.append(InputLeaf(user_path, "consumed", consumed).with_alias(entries))
    return ledger


def passed_with_companions(payload: dict[str, Any], companions: bool) -> Ledger:
    """The ledger of a record ``convert --companions`` wrote (``{"order", "orderTransactions", ...}``),
    passed through as convert passes it: the order is written as it is (at ``$``, as a converted order's
    leaves are), each companion with ``companions`` at its own path, and reported ``dropped`` without."""
    ledger = Ledger()
    for steps, _ in leaves_of(payload["order"]):
        ledger.outputs.append(OutputLeaf(_render(steps), None, None, (_render(("order", *steps)),), "passed through"))
    for steps, value in leaves_of(payload):
        path = _render(steps)
        if companions and steps[0] != "order":
            ledger.outputs.append(OutputLeaf(path, None, None, (path,), "passed through"))
        if is_empty(value):
            continue
        if steps[0] == "order" or companions:
            ledger.inputs.append(InputLeaf(path, "output"))
        else:
            ledger.inputs.append(InputLeaf(path, "report", (), "dropped", None))
    return ledger


def section_outputs(rows: tuple[Row, ...], src: Any, out: Any) -> list[OutputLeaf]:
    """Each leaf of ``out``, the object one table section (a fulfillment, a refund) made of ``src``, with the
    row that wrote it and the paths of ``src`` it read (both relative to their object)."""
    rules = [
        _Rule(row, tuple(_pattern(p) for p in row.all_writes()), tuple(_pattern(p) for p in row.all_reads())) for row in rows
    ]
    found = []
    leaves = [steps for steps, _ in leaves_of(out)]
    ran = _ran_in_place(rules, leaves)
    for steps in leaves:
        rule, _, inputs = _owner(rules, steps, src, {}, ran)
        if rule is None:
            found.append(OutputLeaf(_render(steps), None, None, (), "no row writes here"))
        else:
            found.append(OutputLeaf(_render(steps), rule.row.id, rule.row.op, inputs))
    return found


def section_readers(rows: tuple[Row, ...], path: str) -> tuple[str, ...]:
    """The rows of a section that read ``path`` (relative to the section's object)."""
    steps = parse_rendered(path)
    return tuple(row.id for row in rows if any(_match(_pattern(p), steps) is not None for p in row.all_reads()))


def passed_through(payload: Any) -> Ledger:
    """The ledger of a record passed through unchanged (an eCommerce order or event): every leaf carried."""
    leaves = list(leaves_of(payload))
    return Ledger(
        [OutputLeaf(_render(s), None, None, (_render(s),), "passed through") for s, _ in leaves],
        [InputLeaf(_render(s), "output") for s, v in leaves if not is_empty(v)],
    )


def _rules(plan: Plan, checks: bool = True) -> list[_Rule]:
    table = plan.table
    rules: list[_Rule] = []
    agreeing: list[_Rule] = []
    for row in (*table.order, *(table.checks if checks else ())):
        reads = tuple(_pattern(p) for p in row.all_reads())
        writes = tuple(_pattern(p) for p in row.all_writes()) if row.section != "checks" else ()
        if OPERATIONS[row.op].nests:
            (outer,) = row.reads["value"]
            for host in row.writes["value"]:
                for sub in table.address:
                    rooted = OPERATIONS[sub.op].rooted
                    sub_writes = tuple(_pattern(w if rooted else parse(f"{host.text}.{w.text}")) for w in sub.all_writes())
                    sub_reads = tuple(_pattern(parse(f"{outer.text}.{r.text}")) for r in sub.all_reads())
                    rules.append(_Rule(sub, sub_writes, sub_reads, row.id))
            continue
        triggers = tuple(_pattern(p) for role in OPERATIONS[row.op].compared for p in row.reads.get(role, ()))
        (agreeing if row.agree else rules).append(_Rule(row, writes, reads, None, triggers))
    # A row that only agrees with an earlier one wrote its target when that one had nothing to write (the
    # buyer's name into the billing contact of a summary): it is asked last.
    return rules + agreeing


def _companion_rules(plan: Plan) -> list[_Rule]:
    """The rows of the companion sections, their writes under the companion's name (``orderTransactions``)
    and their reads in the order; an ``each`` row's section rows at every element of the list it reads."""
    table = plan.table
    rules: list[_Rule] = []
    for name, section in COMPANION_SECTIONS.items():
        for row in _section_rows(table, section):
            if OPERATIONS[row.op].applies:
                ((source,), (target,)) = row.reads["value"], row.writes["value"]
                for sub in _section_rows(table, str(row.params["section"])):
                    writes = tuple((name, *_pattern(target), EACH, *_pattern(w)) for w in sub.all_writes())
                    reads = tuple((*_pattern(source), EACH, *_pattern(r)) for r in sub.all_reads())
                    rules.append(_Rule(sub, writes, reads))
                continue
            triggers = tuple(_pattern(p) for role in OPERATIONS[row.op].compared for p in row.reads.get(role, ()))
            writes = tuple((name, *_pattern(w)) for w in row.all_writes())
            rules.append(_Rule(row, writes, tuple(_pattern(p) for p in row.all_reads()), None, triggers))
    return rules


def _section_rows(table: Table, section: str) -> tuple[Row, ...]:
    # A table section is the table's field of that name (`fulfillment`, `order_transactions`).
    rows = getattr(table, section, ())
    return rows if isinstance(rows, tuple) else ()


def _conditions(plan: Plan, steps: Steps) -> tuple[str, ...]:
    """The rows whose conditions (if_present, when, ...) read ``steps``: it chose which rows ran."""
    found = []
    for row in (*plan.table.order, *plan.table.checks):
        paths = [p for p in (row.if_present, row.unless_present) if p is not None] + [p for p, _ in row.when + row.unless]
        if any(_match(_pattern(p), steps) is not None for p in paths):
            found.append(row.id)
    return tuple(found)


def _ran_in_place(rules: list[_Rule], leaves: list[Steps]) -> frozenset[int]:
    """The rules under ``unless_written`` known to have run: a leaf only they write is in the output (a
    gift card's payment details). Such a rule ran because no earlier row wrote its place, so of the rows
    writing a target there (the payment's amount), it is the one that wrote it."""
    ran = set()
    for steps in leaves:
        owners = _candidates(rules, steps)
        if len(owners) == 1 and owners[0][2].row.unless_written is not None:
            ran.add(-owners[0][1])
    return frozenset(ran)


def _candidates(rules: list[_Rule], steps: Steps) -> list[tuple[int, int, _Rule, Indices]]:
    """The rules whose write pattern is the longest prefix of ``steps`` (length, minus the rule's
    index, the rule, its indices), the earliest first."""
    found: list[tuple[int, int, _Rule, Indices]] = []
    for n, rule in enumerate(rules):
        for pattern in rule.writes:
            idx = _match(pattern, steps)
            if idx is not None:
                found.append((len(pattern), -n, rule, idx))
    if not found:
        return []
    longest = max(f[0] for f in found)
    return sorted((f for f in found if f[0] == longest), key=lambda f: -f[1])


def _owner(
    rules: list[_Rule], steps: Steps, doc: Any, to_user: dict[str, str], ran: frozenset[int] = frozenset()
) -> tuple[_Rule | None, Indices, tuple[str, ...]]:
    """The rule whose write pattern is the longest prefix of the output leaf ``steps``, its indices and the
    input paths it read. Of two rules writing one target (the buyer's email, written from the billing
    address when the buyer has none) the one whose inputs are present wrote it; a rule of ``ran``
    (``_ran_in_place``) before them."""
    candidates = _candidates(rules, steps)
    if not candidates:
        return None, (), ()
    candidates.sort(key=lambda f: -f[1] not in ran)  # stable: otherwise the earliest first
    for _, _, rule, idx in candidates:
        inputs = tuple(_restore(p, to_user) for pattern in rule.reads for p in _present(doc, pattern, idx))
        if inputs:
            return rule, idx, inputs
    _, _, rule, idx = candidates[0]
    return rule, idx, ()


def _match(pattern: Pattern, steps: Steps) -> Indices | None:
    """The indices ``[i]`` took when ``pattern`` is a prefix of ``steps``; None when it is not."""
    if len(pattern) > len(steps):
        return None
    idx: list[int] = []
    for want, got in zip(pattern, steps, strict=False):
        if isinstance(want, Each):
            if not isinstance(got, int):
                return None
            idx.append(got)
        elif want != got:
            return None
    return tuple(idx)


def _matches(patterns: tuple[Pattern, ...], steps: Steps) -> Iterator[Indices]:
    for pattern in patterns:
        idx = _match(pattern, steps)
        if idx is not None:
            yield idx


def _wrote_at(written: set[Indices] | None, idx: Indices) -> bool:
    # A row over a list wrote at the same element; a row that reads a list for the order wrote anywhere.
    return bool(written) and any(w[: len(idx)] == idx or not w for w in written or ())


def _present(doc: Any, pattern: Pattern, idx: Indices) -> Iterator[str]:
    """The rendered paths of ``pattern`` present in ``doc``, its ``[i]`` filled from ``idx`` in order and
    every element where ``idx`` runs out."""

    def walk(value: Any, rest: Pattern, known: Indices, done: Steps) -> Iterator[Steps]:
        if not rest:
            if value is not MISSING and not is_empty(value):
                yield done
            return
        head, tail = rest[0], rest[1:]
        if isinstance(head, Each):
            if not isinstance(value, list):
                return
            positions = [known[0]] if known else range(len(value))
            for n in positions:
                if 0 <= n < len(value):
                    yield from walk(value[n], tail, known[1:], (*done, n))
        elif isinstance(head, int):
            if isinstance(value, list) and 0 <= head < len(value):
                yield from walk(value[head], tail, known, (*done, head))
        elif isinstance(value, dict) and head in value:
            yield from walk(value[head], tail, known, (*done, head))

    for steps in walk(doc, pattern, idx, ()):
        yield _render(steps)


def leaves_of(value: Any, steps: Steps = ()) -> Iterator[tuple[Steps, Any]]:
    """Every leaf (a scalar, or an empty object or list) with its steps from the root."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from leaves_of(v, (*steps, k))
    elif isinstance(value, list) and value:
        for n, v in enumerate(value):
            yield from leaves_of(v, (*steps, n))
    else:
        yield steps, value


def _entry_at(entries: list[Entry], path: str) -> Entry | None:
    """The report entry at ``path`` or at an object holding it (the deepest one)."""
    best: Entry | None = None
    for e in entries:
        if (path == e.path or path.startswith((e.path + ".", e.path + "["))) and (best is None or len(e.path) > len(best.path)):
            best = e
    return best


def _pattern(path: Path) -> Pattern:
    return tuple(EACH if isinstance(s, Each) else s for s in path.segments)


def _render(steps: Steps) -> str:
    return render_steps(steps)


def _restore(path: str, moved: dict[str, str]) -> str:
    from .engine.dialect import restore_path

    return restore_path(path, moved)
