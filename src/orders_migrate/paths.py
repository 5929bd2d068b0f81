"""The one path grammar of the mapping table: ``a.b``, ``a[i].b`` (each element) and ``a[0].b``.

A ``Path`` is parsed once (cached) and renders itself as ``$.a[2].b`` for error messages. Every path a
message names is rendered here (``key_step``, ``render_steps``), so that any key a JSON object can hold
reads back as itself (``parse_rendered``): ``$.a.b`` is always two keys, a key holding a dot, a bracket, a
quote, a space or nothing at all is written as a JSON string in brackets, ``$["a.b"]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import orjson


class _Missing:
    """Absent, as opposed to an explicit JSON null."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class Each:
    """The ``[i]`` segment: every element of a list."""

    def __repr__(self) -> str:
        return "[i]"


EACH: Final = Each()

Segment = str | int | Each

_KEY = r"[A-Za-z_][A-Za-z0-9_\-]*"
_SEGMENT_RE = re.compile(rf"^(?P<key>{_KEY})(?P<idx>(\[(i|\d+)\])*)$")
_INDEX_RE = re.compile(r"\[(i|\d+)\]")


class PathError(ValueError):
    pass


# A key written after a dot: ASCII letters, digits, ``_`` and ``$`` (the query operators, ``$and``), not
# starting with a digit, so that ``$.a`` can never be read as anything but the key ``a``.
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


@lru_cache(maxsize=8192)
def key_step(key: str) -> str:
    """One object key as a path step: ``.name``, or ``["a.b"]`` for a key that is not an identifier."""
    if _IDENTIFIER.fullmatch(key):
        return "." + key
    try:
        quoted = orjson.dumps(key).decode()
    except orjson.JSONEncodeError:  # a lone surrogate, which UTF-8 cannot hold: written as its \u escape
        quoted = json.dumps(key)
    return f"[{quoted}]"


def index_step(index: int) -> str:
    return f"[{index}]"


def render_steps(steps: Iterable[str | int], root: str = "$") -> str:
    """``("lineItems", 2, "Name on mug")`` as ``$.lineItems[2]["Name on mug"]``."""
    return root + "".join(index_step(s) if isinstance(s, int) else key_step(s) for s in steps)


def join_path(prefix: str, path: str) -> str:
    """``path`` (rendered from ``$``) re-rooted under the rendered ``prefix``: ``$.orders[3]`` + ``$.id``."""
    return path if prefix == "$" else prefix + path[1:]


# The stdlib's JSON string reader (C), untyped in typeshed: (text, index after the quote) -> (str, end).
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def parse_rendered(text: str) -> tuple[str | int, ...]:
    """The keys and indices of a rendered path, the inverse of ``render_steps``; ``PathError`` if malformed."""
    if not text.startswith("$"):
        raise PathError(f"a rendered path starts with $, got {text!r}")
    steps: list[str | int] = []
    pos, end = 1, len(text)
    while pos < end:
        if text[pos] == ".":
            m = _IDENTIFIER.match(text, pos + 1)
            if m is None:
                raise PathError(f"malformed path {text!r} at {pos}")
            steps.append(m.group())
            pos = m.end()
        elif text.startswith('["', pos):
            try:
                key, after = _scanstring(text, pos + 2)
            except ValueError:
                raise PathError(f"malformed key in {text!r} at {pos}") from None
            if not text.startswith("]", after):
                raise PathError(f"malformed path {text!r} at {after}")
            steps.append(key)
            pos = after + 1
        elif text[pos] == "[":
            close = text.find("]", pos)
            digits = text[pos + 1 : close] if close > 0 else ""
            if not (digits.isascii() and digits.isdigit()):
                raise PathError(f"malformed index in {text!r} at {pos}")
            steps.append(int(digits))
            pos = close + 1
        else:
            raise PathError(f"malformed path {text!r} at {pos}")
    return tuple(steps)


_UNSPLIT: Any = object()


@dataclass(frozen=True, slots=True)
class Path:
    segments: tuple[Segment, ...]
    text: str
    plain: bool = field(default=False, compare=False)  # only object keys: the fast lookup applies
    # split_each's answer, made on first use: a path over a list is split at every element of every order.
    _split: Any = field(default=_UNSPLIT, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", all(isinstance(s, str) for s in self.segments))

    def __hash__(self) -> int:
        # Paths key the compiled plan's lookups: hash the (cached) text, not the segment tuple.
        return hash(self.text)

    @property
    def has_each(self) -> bool:
        return any(s is EACH for s in self.segments)

    @property
    def fixed(self) -> bool:
        """Object keys and fixed list indices only (``lineItems[0].name``): one place, read without a loop."""
        return not self.has_each

    def render(self, indices: tuple[int, ...] = ()) -> str:
        """``$.lineItems[2].name`` with ``[i]`` filled from ``indices`` in order."""
        out = ["$"]
        it = iter(indices)
        for seg in self.segments:
            if isinstance(seg, str):
                out.append(key_step(seg))
            elif isinstance(seg, int):
                out.append(f"[{seg}]")
            else:
                out.append(f"[{next(it, 'i')}]")
        return "".join(out)

    def split_each(self) -> tuple[Path, Path] | None:
        """Split at the first ``[i]``: (prefix up to the list, rest relative to one element)."""
        split = self._split
        if split is _UNSPLIT:
            split = None
            for n, seg in enumerate(self.segments):
                if seg is EACH:
                    split = _make(self.segments[:n]), _make(self.segments[n + 1 :])
                    break
            object.__setattr__(self, "_split", split)
        return split  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return self.text


def _render_text(segments: tuple[Segment, ...]) -> str:
    parts: list[str] = []
    for seg in segments:
        if isinstance(seg, str):
            parts.append(("." if parts else "") + seg)
        elif isinstance(seg, int):
            parts.append(f"[{seg}]")
        else:
            parts.append("[i]")
    return "".join(parts)


def _make(segments: tuple[Segment, ...]) -> Path:
    return Path(segments, _render_text(segments))


@lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    """Parse ``a.b[i].c``; raise ``PathError`` naming what is wrong."""
    if not isinstance(text, str) or not text:
        raise PathError(f"a path must be a non-empty string, got {text!r}")
    segments: list[Segment] = []
    for part in text.split("."):
        m = _SEGMENT_RE.match(part)
        if not m:
            raise PathError(f"malformed path {text!r} at {part!r}")
        segments.append(m.group("key"))
        for idx in _INDEX_RE.findall(m.group("idx")):
            segments.append(EACH if idx == "i" else int(idx))
    return Path(tuple(segments), text)


def is_empty(value: Any) -> bool:
    """Absent, null, "", [] or {}: a leaf with nothing to carry (and nothing to report)."""
    return value is MISSING or value is None or value == "" or value == [] or value == {}


def get(obj: Any, path: Path) -> Any:
    """Value at a path without ``[i]``; ``MISSING`` when any step is absent."""
    cur = obj
    if path.plain:
        for key in path.segments:
            try:
                cur = cur.get(key, MISSING)
            except AttributeError:  # a list, a string or a number where an object was expected
                return MISSING
            if cur is MISSING:
                return MISSING
        return cur
    for seg in path.segments:
        if isinstance(seg, str):
            if not isinstance(cur, dict):
                return MISSING
            cur = cur.get(seg, MISSING)
            if cur is MISSING:
                return MISSING
        elif isinstance(seg, int):
            if not isinstance(cur, list) or seg >= len(cur):
                return MISSING
            cur = cur[seg]
        else:
            raise PathError(f"get() cannot take [i] in {path.text!r}; iterate instead")
    return cur


def iter_each(obj: Any, path: Path, indices: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    """Every (indices, value) the path reaches, with one index per ``[i]``; absent values skipped."""
    split = path.split_each()
    if split is None:
        value = get(obj, path)
        if value is not MISSING:
            yield indices, value
        return
    head, tail = split
    items = get(obj, head)
    if not isinstance(items, list):
        return
    for n, item in enumerate(items):
        yield from iter_each(item, tail, indices + (n,))


def tree_copy(value: Any) -> Any:
    """A copy of a JSON value's objects and lists (its scalars are immutable): what a caller passed stays
    theirs. Several times faster than ``copy.deepcopy``, which a parsed document does not need."""
    if isinstance(value, dict):
        return {k: tree_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tree_copy(v) for v in value]
    return value


def put(obj: dict[str, Any], path: Path, value: Any, indices: tuple[int, ...] = ()) -> None:
    """Set a value, creating parent objects and lists; ``[i]`` takes the next of ``indices``."""
    cur: Any = obj
    segs = path.segments
    if path.plain:  # only object keys: the common case, kept tight
        for name in segs[:-1]:
            child = cur.get(name)
            if child is None:
                child = cur[name] = {}
            cur = child
        cur[segs[-1]] = value
        return
    it = iter(indices)
    last = len(segs) - 1
    for n, seg in enumerate(segs):
        key: Any = next(it) if seg is EACH else seg
        if n == last:
            if isinstance(key, str):
                cur[key] = value
            else:
                _grow(cur, key)
                cur[key] = value
            return
        nxt = segs[n + 1]
        fresh: Any = {} if isinstance(nxt, str) else []
        if isinstance(key, str):
            child = cur.get(key)
            if child is None:
                child = cur[key] = fresh
        else:
            _grow(cur, key)
            child = cur[key]
            if child is None:
                child = cur[key] = fresh
        cur = child


def _grow(lst: list[Any], index: int) -> None:
    while len(lst) <= index:
        lst.append({})


def reader_of(paths: Sequence[Path]) -> Callable[[Any], list[Any]]:
    """``read(obj)``: ``[get(obj, p) for p in paths]`` for paths without ``[i]``, as generated code that
    looks each shared prefix up once (``totals`` once for ``totals.total``, ``totals.tax``, ...)."""
    lines = ["def read(n0):"]
    nodes: dict[tuple[Segment, ...], str] = {(): "n0"}
    results = []
    for path in paths:
        if path.has_each:
            raise PathError(f"reader_of() cannot take [i] in {path.text!r}")
        for depth in range(1, len(path.segments) + 1):
            prefix = path.segments[:depth]
            if prefix in nodes:
                continue
            parent, seg, name = nodes[prefix[:-1]], prefix[-1], f"n{len(nodes)}"
            if isinstance(seg, str):
                lines.append(f"    {name} = {parent}.get({seg!r}, MISSING) if isinstance({parent}, dict) else MISSING")
            else:
                lines.append(f"    {name} = {parent}[{seg}] if isinstance({parent}, list) and len({parent}) > {seg} else MISSING")
            nodes[prefix] = name
        results.append(nodes[path.segments])
    lines.append(f"    return [{', '.join(results)}]")
    namespace: dict[str, Any] = {"MISSING": MISSING}
    exec(compile("\n".join(lines) + "\n", "<orders-migrate reader>", "exec"), namespace)  # noqa: S102 - our own generated code
    read: Callable[[Any], list[Any]] = namespace["read"]
    return read
