"""``wix_media``: a Velo ``wix:image://`` source as the image id, URL and size."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ...report import describe
from ..context import Ctx, Spec
from .base import NormStep, Place, VeloCode, VeloOperation, holder_of, make_holder

_MEDIA_RE = re.compile(r"^wix:image://v1/(?P<id>[^/#]+)(?:/[^#]*)?(?:#(?P<query>.*))?$")
_SIZE_RE = re.compile(r"[0-9]{1,9}")


# The work on one object holding a media source: (scope, holder, idx, ctx, moved).
One = Callable[[dict[str, Any], dict[str, Any], tuple[int, ...], Ctx, dict[str, str]], None]


class WixMedia(VeloOperation):
    """A ``wix:image://v1/<id>/<name>#originWidth=W&originHeight=H`` source as the image id, its public
    URL and its size."""

    name = "wix_media"
    params = frozenset({"media_url"})

    def _one(self, spec: Spec) -> tuple[Place, str, One, dict[str, Place]]:
        """The source place, its key, the work on one object holding that key, and the target places."""
        (source,) = (Place(p, spec) for p in spec.one_read())
        to = {role: Place(spec.one_write(role)[0], spec) for role in ("id", "url", "width", "height")}
        if any(t.head != source.head for t in to.values()):
            raise spec.fail("'wix_media' writes into the list element it reads")
        base = spec.param("media_url", str)
        key = source.keys[-1]
        id_keys = to["id"].keys
        sizes = (("width", "originWidth"), ("height", "originHeight"))
        row_id = spec.row.id
        # The targets sit beside the source (mediaItem.src -> mediaItem.url): the holder is at hand.
        beside = {role: place.keys[:-1] == source.keys[:-1] for role, place in to.items()}
        id_beside = id_keys[:-1] == source.keys[:-1]

        def put(scope: dict[str, Any], holder: dict[str, Any], role: str, value: Any) -> None:
            place = to[role]
            dest = holder if beside[role] else make_holder(scope, place.keys)
            if dest is not None:
                dest[place.keys[-1]] = value

        def one(scope: dict[str, Any], holder: dict[str, Any], idx: tuple[int, ...], ctx: Ctx, moved: dict[str, str]) -> None:
            src = holder.pop(key)
            where = source.render(idx)
            match = _MEDIA_RE.match(src) if isinstance(src, str) else None
            if match is None:
                ctx.report("not_derivable", where, f"{describe(src)} is not a wix:image:// media source; no image", row_id)
                return
            media_id = match.group("id")
            query = match.group("query")
            size = dict(part.split("=", 1) for part in query.split("&") if "=" in part) if query else {}
            id_holder = holder if id_beside else holder_of(scope, id_keys)
            existing = id_holder.get(id_keys[-1]) if id_holder is not None else None
            if existing is None:
                put(scope, holder, "id", media_id)
                moved[to["id"].render(idx)] = where
            elif existing != media_id:
                ctx.report("mismatch", where, f"the media id {media_id!r} differs from mediaItem.id {describe(existing)}", row_id)
            put(scope, holder, "url", base + media_id)
            moved[to["url"].render(idx)] = where
            for role, name in sizes:
                text = size.get(name)
                if text is not None and _SIZE_RE.fullmatch(text):
                    put(scope, holder, role, int(text))
                    moved[to[role].render(idx)] = where

        return source, key, one, to

    def reference(self, spec: Spec) -> NormStep:
        source, key, one, _ = self._one(spec)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for idx, scope in source.scopes(order):
                holder = holder_of(scope, source.keys)
                if holder is not None and key in holder:
                    one(scope, holder, idx, ctx, moved)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        source, key, one, to = self._one(spec)
        at, scope, n = code.scopes(source, 1)
        at, holder = code.holder(at, scope, source.keys)
        idx = "()" if n is None else f"({n},)"
        if any(place.keys[:-1] != source.keys[:-1] for place in to.values()):
            code.emit(at, f"if {key!r} in {holder}:")
            code.emit(at + 1, f"{code.const(one)}({scope}, {holder}, {idx}, ctx, moved)")
            return
        # Every target beside the source (the shipped row): the common case spelled out, a source that
        # is no wix:image:// one left to the reference's words.
        x, m, where, mid, query, size = (code.fresh(stem) for stem in ("x", "m", "where", "mid", "q", "size"))
        keys = {role: place.keys[-1] for role, place in to.items()}
        code.emit(at, f"if {key!r} in {holder}:")
        code.emit(at + 1, f"{x} = {holder}[{key!r}]")
        code.emit(at + 1, f"{m} = {code.const(_MEDIA_RE.match)}({x}) if {x}.__class__ is str or isinstance({x}, str) else None")
        code.emit(at + 1, f"if {m} is None:")
        code.emit(at + 2, f"{code.const(one)}({scope}, {holder}, {idx}, ctx, moved)")
        code.emit(at + 1, "else:")
        a = at + 2
        code.emit(a, f"del {holder}[{key!r}]")
        code.emit(a, f"{where} = {code.render(source, n)}")
        code.emit(a, f"{mid}, {query} = {m}.group('id', 'query')")
        code.emit(a, f"{x} = {holder}.get({keys['id']!r})")
        code.emit(a, f"if {x} is None:")
        code.emit(a + 1, f"{holder}[{keys['id']!r}] = {mid}")
        code.emit(a + 1, f"moved[{code.render(to['id'], n)}] = {where}")
        code.emit(a, f"elif {x} != {mid}:")
        mismatch = code.fresh("said")
        code.emit(
            a + 1, f"{mismatch} = 'the media id ' + repr({mid}) + ' differs from mediaItem.id ' + {code.const(describe)}({x})"
        )
        code.emit(a + 1, f"ctx.report('mismatch', {where}, {mismatch}, {spec.row.id!r})")
        code.emit(a, f"{holder}[{keys['url']!r}] = {code.const(spec.param('media_url', str))} + {mid}")
        code.emit(a, f"moved[{code.render(to['url'], n)}] = {where}")
        code.emit(a, f"if {query}:")
        code.emit(a + 1, f"{size} = dict(part.split('=', 1) for part in {query}.split('&') if '=' in part)")
        for role, name in (("width", "originWidth"), ("height", "originHeight")):
            code.emit(a + 1, f"{x} = {size}.get({name!r})")
            code.emit(a + 1, f"if {x} is not None and {code.const(_SIZE_RE.fullmatch)}({x}):")
            code.emit(a + 2, f"{holder}[{keys[role]!r}] = int({x})")
            code.emit(a + 2, f"moved[{code.render(to[role], n)}] = {where}")
