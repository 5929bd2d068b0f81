"""Input dialects of stored Stores orders: REST (stores/v2) and Velo (wix-stores-backend events).

A Velo order is rewritten into the REST shape by the table's `velo` rows (their operations: velo/)
before the order rows run, on a copy of the objects the rows touch. Every value moved is remembered, so
report entries and errors name the path the user's file has. The rows and the copy run as one generated
function; the reference steps (``generate=False``) are the meaning it keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from ..paths import MISSING, Path, get
from ..report import ConversionError, Problem
from .context import Ctx, Spec
from .generated import compiled, note_row, register, row_lines
from .table import MappingError, Row, Table
from .velo import VELO_OPERATIONS, NormStep, VeloCode

Dialect = Literal["rest", "velo"]
# The generated normaliser: a REST-shaped copy of the order and its moved paths.
Normalise = Callable[[dict[str, Any], Ctx], tuple[dict[str, Any], dict[str, str]]]


def detect_dialect(order: Mapping[str, Any], table: Table, lenient: bool = False) -> Dialect:
    """REST unless the order carries Velo markers; both at once is an error that names one of each.

    ``lenient`` is for the Velo events' own summaries (onNewOrder), which spell orderId and
    dateCreated the REST way beside a Velo billing contact: any Velo marker makes them Velo."""
    markers = table.markers
    velo = next((p.text for p in markers.get("velo", ()) if get(order, p) is not MISSING), None)
    if velo is None:
        return "rest"  # the REST markers matter only beside a Velo one
    rest = None if lenient else next((p.text for p in markers.get("rest", ()) if get(order, p) is not MISSING), None)
    if rest is not None:
        raise ConversionError(
            [Problem("$", f"mixes the REST and Velo dialects: has {rest} (REST) and {velo} (Velo); convert one or the other")]
        )
    return "velo"


def _spine(paths: list[Path]) -> dict[str, Any]:
    """The containers on the way to every path a row touches: the only ones a step may change."""
    root: dict[str, Any] = {}
    for p in paths:
        node = root
        for seg in p.segments[:-1]:
            node = node.setdefault("[]" if not isinstance(seg, str) else seg, {})
    return root


def _copy_spine(value: Any, spine: Mapping[str, Any]) -> Any:
    """Copy the objects and lists ``spine`` names, share everything else: the user's order is never
    changed, and the untouched parts (most of it) are not copied at all."""
    if isinstance(value, dict):  # an OrderedDict too: the steps below change any object they meet
        copied = dict(value)
        for key, sub in spine.items():
            child = copied.get(key)
            if isinstance(child, (dict, list)):
                copied[key] = _copy_spine(child, sub)
        return copied
    if isinstance(value, list):
        sub = spine.get("[]")
        return [_copy_spine(v, sub) for v in value] if sub is not None else list(value)
    return value


@dataclass(frozen=True, slots=True)
class Normaliser:
    steps: tuple[NormStep, ...]
    spine: Mapping[str, Any]
    generated: Normalise | None = None

    def apply(self, order: dict[str, Any], ctx: Ctx) -> tuple[dict[str, Any], dict[str, str]]:
        """A REST-shaped copy of ``order`` and the map of moved paths (REST path -> original path)."""
        if self.generated is not None:
            return self.generated(order, ctx)
        copied: dict[str, Any] = _copy_spine(order, self.spine)
        moved: dict[str, str] = {}
        for step in self.steps:
            step(copied, ctx, moved)
        return copied, moved


def compile_velo(rows: tuple[Row, ...], source: str, generate: bool = True) -> Normaliser:
    steps = []
    specs = []
    touched: list[Path] = []
    for row in rows:
        touched.extend(row.all_reads() + row.all_writes())
        operation = VELO_OPERATIONS.get(row.op)
        if operation is None:
            raise MappingError(
                source, row.line, row.id, f"unknown Velo operation {row.op!r} (one of {', '.join(sorted(VELO_OPERATIONS))})"
            )
        unknown = sorted((set(row.params) - operation.params) | (set(row.reads) - {"value"}))
        if unknown:
            raise MappingError(source, row.line, row.id, f"unknown key {unknown[0]!r} for Velo operation {row.op!r} (a typo?)")
        condition = next((key for key, value in _conditions(row) if value), None)
        if condition is not None:
            # The normaliser runs every row on every Velo order: a condition would be silently ignored.
            raise MappingError(
                source, row.line, row.id, f"'{condition}' is not read by the Velo rows: each runs on every Velo order"
            )
        spec = Spec(row, row.reads, row.writes, MappingProxyType({}), MappingProxyType({}), source)
        steps.append(operation.reference(spec))
        specs.append(spec)
    spine = _spine(touched)
    return Normaliser(tuple(steps), MappingProxyType(spine), _generate(specs, spine, source) if generate else None)


def _generate(specs: list[Spec], spine: Mapping[str, Any], source: str) -> Normalise:
    """One function for all the rows: the copy of the spine (``_copy_spine``), then each row's walk."""
    code = VeloCode()
    copiers: list[str] = []
    root = _emit_copier(spine, copiers, {})
    code.emit(1, f"order = {root}(order)")
    code.emit(1, "moved = {}")
    body = len(code.lines)
    for spec in specs:
        code.emit(1, f"# row {spec.row.id} ({source}:{spec.row.line})")
        VELO_OPERATIONS[spec.row.op].emit(spec, code)
    code.lines[body:] = ["    " + line for line in code.lines[body:]]
    text = (
        "\n".join(
            [
                *copiers,
                "def normalise(order, ctx):",
                *code.lines[:body],
                "    try:",
                *(code.lines[body:] or ["        pass"]),
                "    except Exception as e:",
                "        _note_row(e, ROWS)",
                "        raise",
                "    return order, moved",
            ]
        )
        + "\n"
    )
    namespace = dict(code.names)
    namespace["_note_row"] = note_row
    namespace["ROWS"] = row_lines(text)
    exec(compiled(text, register("normaliser", "velo", text)), namespace)  # noqa: S102 - our own generated code
    normalise: Normalise = namespace["normalise"]
    return normalise


def _emit_copier(spine: Mapping[str, Any], lines: list[str], made: dict[str, str]) -> str:
    """The name of a generated function that is ``_copy_spine(value, spine)``, its text added to ``lines``
    (once for each distinct spine)."""
    key = repr(spine)
    name = made.get(key)
    if name is not None:
        return name
    subs = {k: _emit_copier(sub, lines, made) for k, sub in spine.items()}
    name = made[key] = f"copy{len(made)}"
    body = [f"def {name}(value):", "    if value.__class__ is dict or isinstance(value, dict):", "        copied = dict(value)"]
    for k, sub in subs.items():
        child = f"c{len(body)}"
        body.append(f"        {child} = copied.get({k!r})")
        body.append(f"        if {child}.__class__ is dict or {child}.__class__ is list or isinstance({child}, (dict, list)):")
        body.append(f"            copied[{k!r}] = {sub}({child})")
    body.append("        return copied")
    body.append("    if value.__class__ is list or isinstance(value, list):")
    body.append(f"        return [{subs['[]']}(v) for v in value]" if "[]" in subs else "        return list(value)")
    body.append("    return value")
    lines.extend(body)
    return name


def _conditions(row: Row) -> tuple[tuple[str, Any], ...]:
    return (
        ("if_present", row.if_present),
        ("unless_present", row.unless_present),
        ("when", row.when),
        ("unless", row.unless),
        ("if_written", row.if_written),
        ("unless_written", row.unless_written),
        ("otherwise", row.otherwise),
    )


def restore_path(path: str, moved: Mapping[str, str]) -> str:
    """The original (Velo) path of a REST path, by its longest moved prefix."""
    if not moved:
        return path
    cut = len(path)
    while cut > 1:
        prefix = path[:cut]
        if prefix in moved:
            return moved[prefix] + path[cut:]
        cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))
        if cut <= 1:
            break
    return path
