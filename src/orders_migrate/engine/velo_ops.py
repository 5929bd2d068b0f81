"""The operations of the table's ``velo`` rows, each with its reference step and its code emitter side by
side: ``move``, ``decimal_text``, ``wix_media`` and ``dropped``.

A Velo order is rewritten into the REST shape in place, on a copy (dialect.py). The reference step of a row
walks its paths with the helpers below; the emitter spells the same walk out as straight-line code in the
one generated normaliser (``VeloCode``), which tests/test_compiled.py holds to the reference on every
fixture and on hypothesis orders: same copy, same moved paths, same report and problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from ..paths import EACH, MISSING, Path, is_empty, key_step
from ..report import describe
from .context import Ctx, Spec

# A normalisation step rewrites the input copy in place and records moved paths (new -> original).
NormStep = Callable[[dict[str, Any], Ctx, dict[str, str]], None]


class Place:
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
        items = walk(order, self.head)
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


def walk(obj: Any, keys: tuple[str, ...]) -> Any:  # noqa: ANN401 - any JSON value
    for key in keys:
        if not isinstance(obj, dict):
            return MISSING
        obj = obj.get(key, MISSING)
    return obj


def holder_of(scope: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The object holding the last key, or None when the way is not all objects."""
    obj = walk(scope, keys[:-1])
    if isinstance(obj, dict):
        holder: dict[str, Any] = obj
        return holder
    return None


def make_holder(scope: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
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


_DICT = "{v}.__class__ is dict or isinstance({v}, dict)"


class VeloCode:
    """The text of the generated normaliser: each row's walk spelled out, in row order."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "MISSING": MISSING,
            "Decimal": Decimal,
            "_make_holder": make_holder,
            "_decimal_text": decimal_text,
            "_is_empty": is_empty,
        }
        self.counter = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def const(self, value: Any) -> str:
        name = self.fresh("K")
        self.names[name] = value
        return name

    def emit(self, at: int, line: str) -> None:
        self.lines.append("    " * at + line)

    def scopes(self, place: Place, at: int) -> tuple[int, str, str | None]:
        """Open the loop over the objects ``place`` starts from (``Place.scopes``): the indent inside it,
        the local holding the object, and the local holding its position (None at the order's root)."""
        if place.head is None:
            return at, "order", None
        items = self.walk(at, "order", place.head)
        n, scope = self.fresh("n"), self.fresh("s")
        self.emit(at, f"if {items}.__class__ is list or isinstance({items}, list):")
        self.emit(at + 1, f"for {n}, {scope} in enumerate({items}):")
        self.emit(at + 2, f"if not ({_DICT.format(v=scope)}):")
        self.emit(at + 3, "continue")
        return at + 2, scope, n

    def walk(self, at: int, start: str, keys: tuple[str, ...]) -> str:
        """A local holding ``walk(start, keys)``: the value at the keys, MISSING when a step is not an object."""
        if not keys:
            return start
        var = self.fresh("w")
        self.emit(at, f"{var} = {start}.get({keys[0]!r}, MISSING)")  # start is an object (a scope)
        for key in keys[1:]:
            self.emit(at, f"{var} = {var}.get({key!r}, MISSING) if {_DICT.format(v=var)} else MISSING")
        return var

    def holder(self, at: int, scope: str, keys: tuple[str, ...]) -> tuple[int, str]:
        """Open ``if`` the object holding the last of ``keys`` is there (``holder_of``): the indent inside
        and its local."""
        if len(keys) == 1:
            return at, scope  # the scope itself, an object
        var = self.walk(at, scope, keys[:-1])
        self.emit(at, f"if {_DICT.format(v=var)}:")
        return at + 1, var

    def render(self, place: Place, n: str | None) -> str:
        """The expression of ``place.render(idx)``."""
        if place.fixed is not None:
            return self.const(place.fixed)
        return f"{self.const(place.template)}.format({n})"


class VeloOperation:
    """One operation of the ``velo`` rows: its name, the keys its rows take besides from/to and note, its
    reference step and its emitter."""

    name: str = ""
    params: frozenset[str] = frozenset()

    def reference(self, spec: Spec) -> NormStep:
        raise NotImplementedError

    def emit(self, spec: Spec, code: VeloCode) -> None:
        raise NotImplementedError


class Move(VeloOperation):
    """Each ``from`` path's value to the ``to`` path at the same position, in the same list element."""

    name = "move"

    def _plan(self, spec: Spec) -> tuple[tuple[Place, tuple[tuple[Place, Place, str, str, bool], ...]], ...]:
        sources = spec.one_read()
        targets = spec.one_write()
        if len(sources) != len(targets):
            raise spec.fail("'move' pairs each 'from' path with the 'to' path at the same position")
        pairs = tuple((Place(s, spec), Place(t, spec)) for s, t in zip(sources, targets, strict=True))
        for source, target in pairs:
            if source.head != target.head:
                raise spec.fail(f"'move' keeps a value in its list element: {source.path.text!r} -> {target.path.text!r}")
        # Consecutive pairs reading from the same object outside any list (billingInfo.firstName, .lastName,
        # ...) look that object up once; most of their keys are absent, and a key test is all they cost.
        groups: list[tuple[Place, list[tuple[Place, Place]]]] = []
        for source, target in pairs:
            last = groups[-1] if groups else None
            if last is not None and source.head is None and last[0].head is None and last[0].keys[:-1] == source.keys[:-1]:
                last[1].append((source, target))
            else:
                groups.append((source, [(source, target)]))
        # Each pair with its keys, and whether the value stays in the object it is in (an address's
        # addressLine -> addressLine1): then that object, at hand already, is where it goes.
        return tuple(
            (first, tuple((s, t, s.keys[-1], t.keys[-1], s.keys[:-1] == t.keys[:-1]) for s, t in group))
            for first, group in groups
        )

    def reference(self, spec: Spec) -> NormStep:
        plan = self._plan(spec)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for first, group in plan:
                for idx, scope in first.scopes(order):
                    holder = holder_of(scope, first.keys)
                    if holder is None:
                        continue
                    for source, target, skey, tkey, beside in group:
                        if skey not in holder:
                            continue
                        value = holder[skey]
                        # Where the target's object exists, this is it; where it does not, it is made on the
                        # way (an object already there is never replaced, so a REST twin is still found).
                        dest = holder if beside else make_holder(scope, target.keys)
                        if dest is None:
                            ctx.problem(
                                source.render(idx), f"cannot move it to {target.render(idx)}: a value on the way is not an object"
                            )
                            continue
                        if tkey in dest:
                            ctx.problem(
                                source.render(idx), f"mixes the REST and Velo dialects: {target.render(idx)} is there too"
                            )
                            continue
                        dest[tkey] = value
                        holder.pop(skey, None)
                        moved[target.render(idx)] = source.render(idx)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        for first, group in self._plan(spec):
            at, scope, n = code.scopes(first, 1)
            at, holder = code.holder(at, scope, first.keys)
            for source, target, skey, tkey, beside in group:
                code.emit(at, f"if {skey!r} in {holder}:")
                s, t = code.render(source, n), code.render(target, n)
                value = code.fresh("v")
                code.emit(at + 1, f"{value} = {holder}[{skey!r}]")  # before the way to the target is made
                dest = holder
                if not beside:
                    dest = code.fresh("d")
                    code.emit(at + 1, f"{dest} = _make_holder({scope}, {code.const(target.keys)})")
                    code.emit(at + 1, f"if {dest} is None:")
                    code.emit(at + 2, f"ctx.problem({s}, 'cannot move it to ' + {t} + ': a value on the way is not an object')")
                code.emit(at + 1, f"{'elif' if not beside else 'if'} {tkey!r} in {dest}:")
                code.emit(at + 2, f"ctx.problem({s}, 'mixes the REST and Velo dialects: ' + {t} + ' is there too')")
                code.emit(at + 1, "else:")
                code.emit(at + 2, f"{dest}[{tkey!r}] = {value}")
                code.emit(at + 2, f"{holder}.pop({skey!r}, None)")
                code.emit(at + 2, f"moved[{t}] = {s}")


class DecimalTextOp(VeloOperation):
    """Each ``from`` number (Velo's 101.5) as the decimal string REST carries ("101.5"), in place."""

    name = "decimal_text"

    def _plan(self, spec: Spec) -> tuple[tuple[Place, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]], ...]:
        # The paths grouped by the list they run over, then by the object holding them, so each list is
        # walked once and each holder (totals, priceData) is looked up once for all its keys.
        groups: dict[tuple[str, ...] | None, tuple[Place, dict[tuple[str, ...], list[str]]]] = {}
        for p in spec.one_read():
            place = Place(p, spec)
            first, holders = groups.setdefault(place.head, (place, {}))
            holders.setdefault(place.keys[:-1], []).append(place.keys[-1])
        return tuple(
            (first, tuple((parents, tuple(keys)) for parents, keys in holders.items())) for first, holders in groups.values()
        )

    def reference(self, spec: Spec) -> NormStep:
        plan = self._plan(spec)

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

    def emit(self, spec: Spec, code: VeloCode) -> None:
        for first, holders in self._plan(spec):
            at, scope, _ = code.scopes(first, 1)
            for parents, keys in holders:
                inner, holder = code.holder(at, scope, (*parents, ""))
                for key in keys:
                    v = code.fresh("v")
                    code.emit(inner, f"{v} = {holder}.get({key!r})")
                    # decimal_text's common case without the call (most amounts), then the call, which gives
                    # back what it does not change: storing that again changes nothing.
                    code.emit(inner, f"if {v}.__class__ is Decimal and {v}.is_finite() and -1000 < {v}.adjusted() < 1000:")
                    code.emit(inner + 1, f"{holder}[{key!r}] = t if 'E' not in (t := str({v})) else format({v}, 'f')")
                    code.emit(inner, f"elif {v} is not None and {v}.__class__ is not str:")
                    code.emit(inner + 1, f"{holder}[{key!r}] = _decimal_text({v})")


_MEDIA_RE = re.compile(r"^wix:image://v1/(?P<id>[^/#]+)(?:/[^#]*)?(?:#(?P<query>.*))?$")
_SIZE_RE = re.compile(r"[0-9]{1,9}")


class WixMedia(VeloOperation):
    """A ``wix:image://v1/<id>/<name>#originWidth=W&originHeight=H`` source as the image id, its public
    URL and its size."""

    name = "wix_media"
    params = frozenset({"media_url"})

    def _one(
        self, spec: Spec
    ) -> tuple[Place, str, Callable[[dict[str, Any], dict[str, Any], tuple[int, ...], Ctx, dict[str, str]], None]]:
        """The source place, its key, and the work on one object holding that key."""
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

        return source, key, one

    def reference(self, spec: Spec) -> NormStep:
        source, key, one = self._one(spec)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for idx, scope in source.scopes(order):
                holder = holder_of(scope, source.keys)
                if holder is not None and key in holder:
                    one(scope, holder, idx, ctx, moved)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        source, key, one = self._one(spec)
        at, scope, n = code.scopes(source, 1)
        at, holder = code.holder(at, scope, source.keys)
        idx = "()" if n is None else f"({n},)"
        to = {role: Place(spec.one_write(role)[0], spec) for role in ("id", "url", "width", "height")}
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
        code.emit(
            a + 1,
            f"ctx.report('mismatch', {where}, 'the media id ' + repr({mid}) + ' differs from mediaItem.id ' + "
            f"{code.const(describe)}({x}), {spec.row.id!r})",
        )
        code.emit(a, f"{holder}[{keys['url']!r}] = {code.const(spec.param('media_url', str))} + {mid}")
        code.emit(a, f"moved[{code.render(to['url'], n)}] = {where}")
        code.emit(a, f"if {query}:")
        code.emit(a + 1, f"{size} = dict(part.split('=', 1) for part in {query}.split('&') if '=' in part)")
        for role, name in (("width", "originWidth"), ("height", "originHeight")):
            code.emit(a + 1, f"{x} = {size}.get({name!r})")
            code.emit(a + 1, f"if {x} is not None and {code.const(_SIZE_RE.fullmatch)}({x}):")
            code.emit(a + 2, f"{holder}[{keys[role]!r}] = int({x})")
            code.emit(a + 2, f"moved[{code.render(to[role], n)}] = {where}")


class Reported(VeloOperation):
    """Each ``from`` value taken out of the order and reported under ``kind`` with the row's ``reason``."""

    params = frozenset({"reason"})

    def __init__(self, kind: str):
        self.name = self.kind = kind

    def reference(self, spec: Spec) -> NormStep:
        places = tuple(Place(p, spec) for p in spec.one_read())
        reason = spec.param("reason", str)
        kind = self.kind

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for place in places:
                key = place.keys[-1]
                for idx, scope in place.scopes(order):
                    holder = holder_of(scope, place.keys)
                    if holder is None or key not in holder:
                        continue
                    value = holder.pop(key)
                    if not is_empty(value):
                        ctx.report(kind, place.render(idx), reason, spec.row.id)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        reason = code.const(spec.param("reason", str))
        for p in spec.one_read():
            place = Place(p, spec)
            key = place.keys[-1]
            at, scope, n = code.scopes(place, 1)
            at, holder = code.holder(at, scope, place.keys)
            code.emit(at, f"if {key!r} in {holder} and not _is_empty({holder}.pop({key!r})):")
            code.emit(at + 1, f"ctx.report({self.kind!r}, {code.render(place, n)}, {reason}, {spec.row.id!r})")


VELO_OPERATIONS: Mapping[str, VeloOperation] = MappingProxyType(
    {op.name: op for op in (Move(), DecimalTextOp(), WixMedia(), Reported("dropped"))}
)
