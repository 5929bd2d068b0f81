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

from .ops import Ctx, Spec, describe
from .paths import MISSING, Path, get, is_empty, iter_each, put
from .report import ConversionError, Problem
from .table import MappingError, Row, Table

Dialect = Literal["rest", "velo"]

# A normalisation step rewrites the input copy in place and records moved paths (new -> original).
NormStep = Callable[[dict[str, Any], Ctx, dict[str, str]], None]


def detect_dialect(order: Mapping[str, Any], table: Table, lenient: bool = False) -> Dialect:
    """REST unless the order carries Velo markers; both at once is an error that names one of each.

    ``lenient`` is for the Velo events' own summaries (onNewOrder), which spell orderId and
    dateCreated the REST way beside a Velo billing contact: any Velo marker makes them Velo."""
    hits: dict[str, list[str]] = {}
    for name, paths in table.markers.items():
        hits[name] = [p.text for p in paths if get(order, p) is not MISSING]
    velo, rest = hits.get("velo", []), hits.get("rest", [])
    if velo and rest and not lenient:
        raise ConversionError(
            [
                Problem(
                    "$", f"mixes the REST and Velo dialects: has {rest[0]} (REST) and {velo[0]} (Velo); convert one or the other"
                )
            ]
        )
    if velo:
        return "velo"
    return "rest"


def _pop(obj: Any, path: Path, idx: tuple[int, ...]) -> Any:
    """Remove and return the value at a path (``[i]`` filled from ``idx``); MISSING when absent."""
    concrete = _concrete(path, idx)
    parent = get(obj, Path(concrete.segments[:-1], "")) if len(concrete.segments) > 1 else obj
    last = concrete.segments[-1]
    if isinstance(last, str) and isinstance(parent, dict):
        return parent.pop(last, MISSING)
    return MISSING


def _norm_move(spec: Spec) -> NormStep:
    sources = spec.one_read()
    targets = spec.one_write()
    if len(sources) != len(targets):
        raise spec.fail("'move' pairs each 'from' path with the 'to' path at the same position")
    pairs = tuple(zip(sources, targets, strict=True))

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for source, target in pairs:
            for idx, value in list(iter_each(order, source)):
                existing = get(order, _concrete(target, idx))
                if existing is not MISSING:
                    ctx.problem(
                        source.render(idx),
                        f"mixes the REST and Velo dialects: {target.render(idx)} is there too",
                    )
                    continue
                try:
                    put(order, target, value, idx)
                except (AttributeError, TypeError, IndexError):
                    ctx.problem(
                        source.render(idx), f"cannot move it to {target.render(idx)}: a value on the way is not an object"
                    )
                    continue
                _pop(order, source, idx)
                moved[target.render(idx)] = source.render(idx)

    return step


def _concrete(path: Path, idx: tuple[int, ...]) -> Path:
    it = iter(idx)
    segs = tuple(s if isinstance(s, (str, int)) else next(it) for s in path.segments)
    return Path(segs, path.text)


def decimal_text(value: Any) -> Any:
    """A JSON number as the decimal string REST would carry: 101.5 -> "101.5", 0 -> "0"."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, int):
        return str(value)
    try:
        # repr() is the shortest text that reads back as the same float: the digits the JSON had.
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    return format(number, "f")


def _norm_decimal_text(spec: Spec) -> NormStep:
    sources = spec.one_read()

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for source in sources:
            for idx, value in list(iter_each(order, source)):
                text = decimal_text(value)
                if text is not value:
                    put(order, source, text, idx)

    return step


_MEDIA_RE = re.compile(r"^wix:image://v1/(?P<id>[^/#]+)(?:/[^#]*)?(?:#(?P<query>.*))?$")


def _norm_wix_media(spec: Spec) -> NormStep:
    (source,) = spec.one_read()
    to = {role: spec.one_write(role)[0] for role in ("id", "url", "width", "height")}
    base = spec.param("media_url", str)

    def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
        for idx, src in list(iter_each(order, source)):
            where = source.render(idx)
            match = _MEDIA_RE.match(src) if isinstance(src, str) else None
            _pop(order, source, idx)
            if match is None:
                ctx.report("not_derivable", where, f"{describe(src)} is not a wix:image:// media source; no image", spec.row.id)
                continue
            media_id = match.group("id")
            size = dict(part.split("=", 1) for part in (match.group("query") or "").split("&") if "=" in part)
            existing = get(order, _concrete(to["id"], idx))
            if existing is MISSING or existing is None:
                put(order, to["id"], media_id, idx)
                moved[to["id"].render(idx)] = where
            elif existing != media_id:
                ctx.report(
                    "mismatch", where, f"the media id {media_id!r} differs from mediaItem.id {describe(existing)}", spec.row.id
                )
            put(order, to["url"], base + media_id, idx)
            moved[to["url"].render(idx)] = where
            for role, key in (("width", "originWidth"), ("height", "originHeight")):
                if re.fullmatch(r"[0-9]{1,9}", size.get(key, "")):
                    put(order, to[role], int(size[key]), idx)
                    moved[to[role].render(idx)] = where

    return step


def _norm_report(kind: str) -> Callable[[Spec], NormStep]:
    def compile_report(spec: Spec) -> NormStep:
        sources = spec.one_read()
        reason = spec.param("reason", str)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for source in sources:
                for idx, value in list(iter_each(order, source)):
                    _pop(order, source, idx)
                    if not is_empty(value):
                        ctx.report(kind, source.render(idx), reason, spec.row.id)

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
    if value.__class__ is dict:
        copied = dict(value)
        for key, sub in spine.items():
            child = copied.get(key)
            if child.__class__ is dict or child.__class__ is list:
                copied[key] = _copy_spine(child, sub)
        return copied
    if value.__class__ is list:
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
        spec = Spec(row, row.reads, row.writes, MappingProxyType({}), MappingProxyType({}), source)
        steps.append(factory(spec))
    return Normaliser(tuple(steps), MappingProxyType(_spine(touched)))


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
