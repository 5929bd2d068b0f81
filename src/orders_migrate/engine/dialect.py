"""Input dialects of stored Stores orders: REST (stores/v2) and Velo (wix-stores-backend events).

A Velo order is rewritten into the REST shape by the table's `velo` rows before the order rows run.
Every value moved is remembered, so report entries and errors name the path the user's file has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Literal

from ..paths import EACH, MISSING, Path, get, is_empty, key_step
from ..report import ConversionError, Problem, describe
from .context import Ctx, Spec
from .table import MappingError, Row, Table

Dialect = Literal["rest", "velo"]

# A normalisation step rewrites the input copy in place and records moved paths (new -> original).
NormStep = Callable[[dict[str, Any], Ctx, dict[str, str]], None]


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


class _Place:
    """A normaliser path compiled once: the list it runs over (when it has ``[i]``), the keys inside
    one element (or from the order's root), and the template its report path is rendered from."""

    __slots__ = ("head", "keys", "template", "path", "fixed")

    def __init__(self, path: Path, spec: Spec):
        split = path.split_each()
        if split is not None and split[1].has_each:
            raise spec.fail(f"a Velo row runs over one list at most: {path.text!r}")
        self.path = path
        self.head = tuple(str(s) for s in split[0].segments) if split else None
        inner = split[1] if split else path
        if not inner.plain or (split is not None and not split[0].plain):
            raise spec.fail(f"Velo rows take object keys and one [i]: {path.text!r}")
        self.keys = tuple(str(s) for s in inner.segments)
        self.template = _template(path)
        # A path outside any list renders the same for every order: once, here.
        self.fixed = self.template.format() if self.head is None else None

    def scopes(self, order: dict[str, Any]) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
        """The objects the path starts from, with the list indices that name them."""
        if self.head is None:
            return [((), order)]
        items = _walk(order, self.head)
        if not isinstance(items, list):
            return []
        return [((n,), item) for n, item in enumerate(items) if isinstance(item, dict)]

    def render(self, idx: tuple[int, ...]) -> str:
        fixed = self.fixed
        return fixed if fixed is not None else self.template.format(*idx)


def _template(path: Path) -> str:
    out = ["$"]
    for seg in path.segments:
        # Filled by str.format: a key's own braces are not placeholders.
        step = key_step(seg).replace("{", "{{").replace("}", "}}") if isinstance(seg, str) else None
        out.append(step if step is not None else ("[{}]" if seg is EACH else f"[{seg}]"))
    return "".join(out)


def _walk(obj: Any, keys: tuple[str, ...]) -> Any:  # noqa: ANN401 - any JSON value
    for key in keys:
        if not isinstance(obj, dict):
            return MISSING
        obj = obj.get(key, MISSING)
    return obj


def _holder(scope: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The object holding the last key, or None when the way is not all objects."""
    obj = _walk(scope, keys[:-1])
    if isinstance(obj, dict):
        holder: dict[str, Any] = obj
        return holder
    return None


def _make_holder(scope: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The object holding the last key, created on the way where absent or null; None when a value on
    the way is not an object."""
    obj: dict[str, Any] = scope
    for key in keys[:-1]:
        child = obj.get(key)
        if child is None:
            child = obj[key] = {}
        elif not isinstance(child, dict):
            return None
        obj = child
    return obj


def _norm_move(spec: Spec) -> NormStep:
    sources = spec.one_read()
    targets = spec.one_write()
    if len(sources) != len(targets):
        raise spec.fail("'move' pairs each 'from' path with the 'to' path at the same position")
    pairs = tuple((_Place(s, spec), _Place(t, spec)) for s, t in zip(sources, targets, strict=True))
    for source, target in pairs:
        if source.head != target.head:
            raise spec.fail(f"'move' keeps a value in its list element: {source.path.text!r} -> {target.path.text!r}")

    # Consecutive pairs reading from the same object outside any list (billingInfo.firstName, .lastName,
    # ...) look that object up once; most of their keys are absent, and a key test is all they cost.
    groups: list[tuple[_Place, list[tuple[_Place, _Place]]]] = []
    for source, target in pairs:
        last = groups[-1] if groups else None
        if last is not None and source.head is None and last[0].head is None and last[0].keys[:-1] == source.keys[:-1]:
            last[1].append((source, target))
        else:
            groups.append((source, [(source, target)]))
    # Each pair with its keys, and whether the value stays in the object it is in (an address's
    # addressLine -> addressLine1): then that object, at hand already, is where it goes.
    plan = tuple(
        (first, tuple((s, t, s.keys[-1], t.keys[-1], s.keys[:-1] == t.keys[:-1]) for s, t in group)) for first, group in groups
    )

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for first, group in plan:
            for idx, scope in first.scopes(order):
                holder = _holder(scope, first.keys)
                if holder is None:
                    continue
                for source, target, skey, tkey, beside in group:
                    if skey not in holder:
                        continue
                    value = holder[skey]
                    # Where the target's object exists, this is it; where it does not, it is made on the
                    # way (an object already there is never replaced, so a REST twin is still found).
                    dest = holder if beside else _make_holder(scope, target.keys)
                    if dest is None:
                        ctx.problem(
                            source.render(idx), f"cannot move it to {target.render(idx)}: a value on the way is not an object"
                        )
                        continue
                    if tkey in dest:
                        ctx.problem(source.render(idx), f"mixes the REST and Velo dialects: {target.render(idx)} is there too")
                        continue
                    dest[tkey] = value
                    holder.pop(skey, None)
                    moved[target.render(idx)] = source.render(idx)

    return step


def decimal_text(value: Any) -> Any:
    """A JSON number as the decimal string REST would carry: 101.5 -> "101.5", 0 -> "0"."""
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is Decimal and value.is_finite() and -1000 < value.adjusted() < 1000:
        # str() spells a Decimal as format "f" does unless it needs an exponent (1E+2, 1E-7).
        text = str(value)
        return text if "E" not in text else format(value, "f")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, int):
        return str(value)
    try:
        # repr() is the shortest text that reads back as the same float: the digits the JSON had.
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
    except InvalidOperation:
        return value
    if not number.is_finite() or not -1000 < number.adjusted() < 1000:
        return value  # 1e999999999999999999 would be that many digits: the money rows refuse it at its path
    return format(number, "f")


def _norm_decimal_text(spec: Spec) -> NormStep:
    # The paths grouped by the list they run over, then by the object holding them, so each list is
    # walked once and each holder (totals, priceData) is looked up once for all its keys.
    groups: dict[tuple[str, ...] | None, tuple[_Place, dict[tuple[str, ...], list[str]]]] = {}
    for p in spec.one_read():
        place = _Place(p, spec)
        first, holders = groups.setdefault(place.head, (place, {}))
        holders.setdefault(place.keys[:-1], []).append(place.keys[-1])
    plan = tuple(
        (first, tuple((parents, tuple(keys)) for parents, keys in holders.items())) for first, holders in groups.values()
    )

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for first, holders in plan:
            for _, scope in first.scopes(order):
                for parents, keys in holders:
                    holder: Any = scope
                    for parent in parents:
                        holder = holder.get(parent) if isinstance(holder, dict) else None
                    if not isinstance(holder, dict):
                        continue
                    for key in keys:
                        value = holder.get(key)
                        if value is None or value.__class__ is str:
                            continue
                        if value.__class__ is Decimal and value.is_finite() and -1000 < value.adjusted() < 1000:
                            text = str(value)  # decimal_text's common case, without the call: most amounts
                            holder[key] = text if "E" not in text else format(value, "f")
                            continue
                        text = decimal_text(value)
                        if text is not value:
                            holder[key] = text

    return step


_MEDIA_RE = re.compile(r"^wix:image://v1/(?P<id>[^/#]+)(?:/[^#]*)?(?:#(?P<query>.*))?$")
_SIZE_RE = re.compile(r"[0-9]{1,9}")


def _norm_wix_media(spec: Spec) -> NormStep:
    (source,) = (_Place(p, spec) for p in spec.one_read())
    to = {role: _Place(spec.one_write(role)[0], spec) for role in ("id", "url", "width", "height")}
    if any(t.head != source.head for t in to.values()):
        raise spec.fail("'wix_media' writes into the list element it reads")
    base = spec.param("media_url", str)
    key = source.keys[-1]
    id_keys = to["id"].keys
    sizes = (("width", "originWidth"), ("height", "originHeight"))

    # The targets sit beside the source (mediaItem.src -> mediaItem.url): the holder is at hand.
    beside = {role: place.keys[:-1] == source.keys[:-1] for role, place in to.items()}

    def put(scope: dict[str, Any], holder: dict[str, Any], role: str, value: Any) -> None:
        place = to[role]
        dest = holder if beside[role] else _make_holder(scope, place.keys)
        if dest is not None:
            dest[place.keys[-1]] = value

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for idx, scope in source.scopes(order):
            holder = _holder(scope, source.keys)
            if holder is None or key not in holder:
                continue
            src = holder.pop(key)
            where = source.render(idx)
            match = _MEDIA_RE.match(src) if isinstance(src, str) else None
            if match is None:
                ctx.report("not_derivable", where, f"{describe(src)} is not a wix:image:// media source; no image", spec.row.id)
                continue
            media_id = match.group("id")
            query = match.group("query")
            size = dict(part.split("=", 1) for part in query.split("&") if "=" in part) if query else {}
            id_holder = holder if id_keys[:-1] == source.keys[:-1] else _holder(scope, id_keys)
            existing = id_holder.get(id_keys[-1]) if id_holder is not None else None
            if existing is None:
                put(scope, holder, "id", media_id)
                moved[to["id"].render(idx)] = where
            elif existing != media_id:
                ctx.report(
                    "mismatch", where, f"the media id {media_id!r} differs from mediaItem.id {describe(existing)}", spec.row.id
                )
            put(scope, holder, "url", base + media_id)
            moved[to["url"].render(idx)] = where
            for role, name in sizes:
                text = size.get(name)
                if text is not None and _SIZE_RE.fullmatch(text):
                    put(scope, holder, role, int(text))
                    moved[to[role].render(idx)] = where

    return step


def _norm_report(kind: str) -> Callable[[Spec], NormStep]:
    def compile_report(spec: Spec) -> NormStep:
        places = tuple(_Place(p, spec) for p in spec.one_read())
        reason = spec.param("reason", str)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for place in places:
                key = place.keys[-1]
                for idx, scope in place.scopes(order):
                    holder = _holder(scope, place.keys)
                    if holder is None or key not in holder:
                        continue
                    value = holder.pop(key)
                    if not is_empty(value):
                        ctx.report(kind, place.render(idx), reason, spec.row.id)

        return step

    return compile_report


NORMALISERS: Mapping[str, Callable[[Spec], NormStep]] = MappingProxyType(
    {
        "move": _norm_move,
        "decimal_text": _norm_decimal_text,
        "wix_media": _norm_wix_media,
        "dropped": _norm_report("dropped"),
    }
)
# The keys each Velo operation reads besides from/to and note: any other is a typo, refused.
NORMALISER_PARAMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"move": frozenset(), "decimal_text": frozenset(), "wix_media": frozenset({"media_url"}), "dropped": frozenset({"reason"})}
)


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

    def apply(self, order: dict[str, Any], ctx: Ctx) -> tuple[dict[str, Any], dict[str, str]]:
        """A REST-shaped copy of ``order`` and the map of moved paths (REST path -> original path)."""
        copied: dict[str, Any] = _copy_spine(order, self.spine)
        moved: dict[str, str] = {}
        for step in self.steps:
            step(copied, ctx, moved)
        return copied, moved


def compile_velo(rows: tuple[Row, ...], source: str) -> Normaliser:
    steps = []
    touched: list[Path] = []
    for row in rows:
        touched.extend(row.all_reads() + row.all_writes())
        factory = NORMALISERS.get(row.op)
        if factory is None:
            raise MappingError(
                source, row.line, row.id, f"unknown Velo operation {row.op!r} (one of {', '.join(sorted(NORMALISERS))})"
            )
        unknown = sorted((set(row.params) - NORMALISER_PARAMS[row.op]) | (set(row.reads) - {"value"}))
        if unknown:
            raise MappingError(source, row.line, row.id, f"unknown key {unknown[0]!r} for Velo operation {row.op!r} (a typo?)")
        condition = next((key for key, value in _conditions(row) if value), None)
        if condition is not None:
            # The normaliser runs every row on every Velo order: a condition would be silently ignored.
            raise MappingError(
                source, row.line, row.id, f"'{condition}' is not read by the Velo rows: each runs on every Velo order"
            )
        spec = Spec(row, row.reads, row.writes, MappingProxyType({}), MappingProxyType({}), source)
        steps.append(factory(spec))
    return Normaliser(tuple(steps), MappingProxyType(_spine(touched)))


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
