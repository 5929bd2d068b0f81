"""What every Velo operation shares: a path compiled once (``Place``), the walks of the reference steps,
the declaration of an operation (``VeloOperation``: its reference step beside its emitter) and the text of
the generated normaliser (``VeloCode``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ...paths import EACH, MISSING, Path, is_empty, key_step
from ..context import Ctx, Spec

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


_DIGITS_1000 = 10**1000  # the integers decimal_text spells: as many digits as the Decimals it spells


def decimal_text(value: Any) -> Any:
    """A JSON number as the decimal string REST would carry: 101.5 -> "101.5", 0 -> "0"."""
    cls = value.__class__
    if cls is int and -_DIGITS_1000 < value < _DIGITS_1000:
        return str(value)
    if cls is Decimal and value.is_finite() and -1000 < value.adjusted() < 1000:
        # str() spells a Decimal as format "f" does unless it needs an exponent (1E+2, 1E-7).
        text = str(value)
        return text if "E" not in text else format(value, "f")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, int):
        # More digits than an amount (or str()) can have: the money rows refuse it at its path.
        return str(value) if -_DIGITS_1000 < value < _DIGITS_1000 else value
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

    def render(self, place: Place, n: str | None, message: str = "{}") -> str:
        """The expression of ``place.render(idx)``, or of ``message`` with it in place of its ``{}``."""
        if place.fixed is not None:
            return self.const(message.format(place.fixed))
        return f"{self.const(message.format(place.template))}.format({n})"


class VeloOperation:
    """One operation of the ``velo`` rows: its name, the keys its rows take besides from/to and note, its
    reference step and its emitter."""

    name: str = ""
    params: frozenset[str] = frozenset()

    def reference(self, spec: Spec) -> NormStep:
        raise NotImplementedError

    def emit(self, spec: Spec, code: VeloCode) -> None:
        raise NotImplementedError
