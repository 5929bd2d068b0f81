"""The text of one generated function, built by the code emitters of the operations (``ops/``) and by
``fuse`` (compile once, apply many).

Calling a closure per row, then a writer, then a generic path walker costs several function calls a
field. Here the rows of one scope (the order, or one line item) become one function: every input path
the rows read is looked up once at the top, each row's conditions and its common case are spelled out
as straight-line code, and only the rare cases (a wrong type, a bad amount, a mismatch) call back into
the operations. The generated function keeps all per-order state in locals and arguments, like the steps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..money import PARSED
from ..paths import MISSING, Path
from ..report import Entry, describe
from .context import EXACT, SKIP, TYPES, ZERO, At, copied, pick
from .generated import note_row
from .table import Row


class CodeBuilder:
    """The generated function's text: a prologue reading every input path once, then the rows. An
    operation's emitter adds its own helpers to the namespace with ``use``."""

    def __init__(self) -> None:
        self.prologue: list[str] = []
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "MISSING": MISSING,
            "SKIP": SKIP,
            "At": At,
            "Entry": Entry,
            "Decimal": Decimal,
            "_copied": copied,
            "_pick": pick,
            "describe": describe,
            "EXACT": EXACT,
            # Bound once: looking a method up on the context costs as much as the arithmetic itself.
            "_add": EXACT.add,
            "_subtract": EXACT.subtract,
            "_multiply": EXACT.multiply,
            "_parsed": PARSED.get,  # an amount text parse_amount has parsed before: (text, value), else None
            "ZERO": ZERO,
            "_note_row": note_row,
        }
        self.counter = 0
        self.reads: dict[tuple[str | int, ...], str] = {}
        self.extra: list[str] = []  # helper functions the rows call, generated beside ``fused``
        # Output objects fetched once per call (``cache_holders``): by their keys, the local holding each.
        self.holders: dict[tuple[str, ...], str] | None = None
        self.replaced: tuple[tuple[str, ...], ...] = ()

    def cache_holders(self, written: list[Path]) -> None:
        """Fetch each output object once per call of ``fused`` and keep it in a local, save the objects a row
        may write whole (``written``: every path the scope's rows write), which a later row could replace.
        Only for the function's own body: a helper's builder (``extra``) has no prologue to start them."""
        self.holders = {}
        self.replaced = tuple(_keys_before_a_list(p) for p in written)

    def forget_holders(self, indent: int) -> None:
        """After a step whose writes no row declares (a step of its own): fetch every object again."""
        if self.holders:
            self.emit(indent, " = ".join([*self.holders.values(), "None"]))

    def use(self, **helpers: Any) -> None:
        """Name the functions an operation's generated code calls (one name, one function, plan-wide)."""
        for name, helper in helpers.items():
            if self.names.setdefault(name, helper) is not helper:
                raise ValueError(f"two helpers are both called {name!r} in generated code")

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"K{self.counter}"
        self.names[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def holder(self, keys: tuple[str | int, ...], kind: str = "dict") -> str:
        """A local holding the object (``kind`` list: the list) at ``keys``, None when absent or not one."""
        if not keys:
            return "src"
        cached = keys if kind == "dict" else keys + ("[]",)
        var = self.reads.get(cached)
        if var is None:
            parent = self.holder(keys[:-1], "list" if isinstance(keys[-1], int) else "dict")
            var = self.reads[cached] = f"h{len(self.reads)}"
            self.prologue.append(f"    {var} = {_child(parent, keys[-1], 'None')}")
            self.prologue.append(f"    if {var}.__class__ is not {kind} and not isinstance({var}, {kind}):")
            self.prologue.append(f"        {var} = None")
        return var

    def read(self, path: Path) -> str:
        """A local holding the value at a path of keys and fixed indices, ``MISSING`` when any step is absent."""
        keys: tuple[str | int, ...] = tuple(s if isinstance(s, int) else str(s) for s in path.segments)
        cached = keys + ("",)
        var = self.reads.get(cached)
        if var is None:
            parent = self.holder(keys[:-1], "list" if isinstance(keys[-1], int) else "dict")
            var = self.reads[cached] = f"v{len(self.reads)}"
            self.prologue.append(f"    {var} = {_child(parent, keys[-1], 'MISSING')}")
        return var

    def out_holder(self, indent: int, path: Path) -> str:
        """Emit the fetching (or making) of the object ``path``'s last key is written in; its local.
        As ``paths.put``: a missing list is made, and grown with empty objects up to a fixed index."""
        holder = "out"
        segments = path.segments
        keys = tuple(str(k) for k in segments[:-1])
        if self.holders is not None and keys and all(isinstance(k, str) for k in segments) and self._kept(keys):
            return self._cached_holder(indent, keys)
        for n, key in enumerate(segments[:-1]):
            self.counter += 1
            child = f"d{self.counter}"
            fresh = "[]" if isinstance(segments[n + 1], int) else "{}"
            if isinstance(key, int):
                self.emit(indent, f"while len({holder}) <= {key}:")
                self.emit(indent + 1, f"{holder}.append({{}})")
                self.emit(indent, f"{child} = {holder}[{key}]")
                self.emit(indent, f"if {child} is None:")
                self.emit(indent + 1, f"{child} = {holder}[{key}] = {fresh}")
            else:
                self.emit(indent, f"{child} = {holder}.get({key!r})")
                self.emit(indent, f"if {child} is None:")
                self.emit(indent + 1, f"{child} = {holder}[{key!r}] = {fresh}")
            holder = child
        return holder

    def _kept(self, keys: tuple[str, ...]) -> bool:
        # An object no row writes whole, nor any object it is in: once fetched, it stays the one in ``out``.
        return not any(keys[: len(w)] == w for w in self.replaced)

    def _cached_holder(self, indent: int, keys: tuple[str, ...]) -> str:
        assert self.holders is not None
        var = self.holders.get(keys)
        if var is None:
            var = self.holders[keys] = f"o{len(self.holders)}"
        self.emit(indent, f"if {var} is None:")
        parent = "out" if len(keys) == 1 else self._cached_holder(indent + 1, keys[:-1])
        self.emit(indent + 1, f"{var} = {parent}.get({keys[-1]!r})")
        self.emit(indent + 1, f"if {var} is None:")
        self.emit(indent + 2, f"{var} = {parent}[{keys[-1]!r}] = {{}}")
        return var

    def put(self, indent: int, value: str, path: Path) -> None:
        holder = self.out_holder(indent, path)
        self.emit(indent, f"{holder}[{path.segments[-1]!r}] = {value}")

    def put_all(self, indent: int, value: str, targets: list[Path], copied: str = "_copied({})") -> None:
        for n, target in enumerate(targets):
            self.put(indent, value if n == 0 else copied.format(value), target)

    def code(self) -> str:
        """The helpers, then ``fused``: its body inside a ``try`` (free when nothing is raised) whose
        ``except`` notes which row's block a failure came from (``ROWS``, from the row comments)."""
        names = list((self.holders or {}).values())
        starts = [f"    {' = '.join([*names[n : n + 12], 'None'])}" for n in range(0, len(names), 12)]
        body = ["    fm = ctx.fmt", *starts, *self.prologue, *(self.lines or ["    pass"])]
        handler = ["    except Exception as e:", "        _note_row(e, ROWS)", "        raise"]
        lines = [*self.extra, "def fused(src, out, ctx, idx):", "    try:", *("    " + line for line in body), *handler]
        return "\n".join(lines) + "\n"

    def call(self, at: int, callee: str, args: list[str], closing: str = ")") -> None:
        """``callee(args)``, one argument a line when they do not fit on one."""
        one = f"{callee}({', '.join(args)}{closing}"
        if len(one) + 4 * at <= 110:
            self.emit(at, one)
            return
        self.emit(at, f"{callee}(")
        for arg in args:
            self.emit(at + 1, f"{arg},")
        self.emit(at, closing)

    def entry(self, at: int, args: list[str]) -> None:
        """A report entry appended to the order's report."""
        self.call(at, "ctx.entries.append(Entry", args, "))")

    def emit_if(self, at: int, parts: list[str], joiner: str, keyword: str = "if") -> None:
        """``if a or b ...:``, one condition a line when they do not fit on one."""
        one = f"{keyword} {f' {joiner} '.join(parts)}:"
        if len(parts) == 1 or len(one) + 4 * at <= 110:
            self.emit(at, one)
            return
        self.emit(at, f"{keyword} (")
        for n, part in enumerate(parts):
            self.emit(at + 1, part if n == 0 else f"{joiner} {part}")
        self.emit(at, "):")

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def first(self, row: Row, values: list[str], paths: list[Path], at: int, key: str = "None") -> tuple[str, str]:
        """Emit the choice among alternatives (the first present; a later one that differs is a
        mismatch, which ``pick`` words); returns the locals holding the value and its path."""
        if len(values) == 1:
            return values[0], self.const(paths[0])
        v, w = self.fresh("f"), self.fresh("p")
        everything = f"({', '.join(values)},)"
        call = f"{v}, {w} = _pick({self.const(_ReportSpec(row))}, {everything}, {self.const(tuple(paths))}, ctx, idx, {key})"
        self.emit(at, f"{v}, {w} = MISSING, None")
        for n, value in enumerate(values):
            self.emit(at, f"{'if' if n == 0 else 'elif'} {value} is not MISSING:")
            self.emit(at + 1, f"{v}, {w} = {value}, {self.const(paths[n])}")
            later = [
                f"({x} is not MISSING and not ({x}.__class__ is {value}.__class__ and {x} == {value}))" for x in values[n + 1 :]
            ]
            if later:
                self.emit_if(at + 1, later, "or")
                self.emit(at + 2, call)
        return v, w


class _ReportSpec:
    """What ``pick`` needs of a spec to word a mismatch: the row id and full paths (already full here)."""

    __slots__ = ("row",)

    def __init__(self, row: Row):
        self.row = row

    def render(self, path: Path, idx: tuple[int, ...]) -> str:
        return path.render(idx)


# The common JSON class first (one identity test), then the general check for the rare rest.
_CLASS_OF_TYPE = {"string": "str", "integer": "int", "boolean": "bool", "object": "dict", "array": "list"}


def _keys_before_a_list(path: Path) -> tuple[str, ...]:
    """The keys of a written path up to its first list step: writing under a list may make the list anew."""
    keys = []
    for seg in path.segments:
        if not isinstance(seg, str):
            break
        keys.append(seg)
    return tuple(keys)


def _child(parent: str, key: str | int, absent: str) -> str:
    """The expression reading ``key`` (an object's key, a list's fixed index) of the local ``parent``."""
    if isinstance(key, int):
        return f"{parent}[{key}] if {parent} is not None and len({parent}) > {key} else {absent}"
    default = ", MISSING" if absent == "MISSING" else ""
    if parent == "src":  # the scope's own object: always one
        return f"src.get({key!r}{default})"
    return f"{parent}.get({key!r}{default}) if {parent} is not None else {absent}"


def type_test(src: CodeBuilder, type_name: str, v: str) -> str:
    general = f"{src.const(TYPES[type_name][0])}({v})"
    cls = _CLASS_OF_TYPE.get(type_name)
    return f"{v}.__class__ is {cls} or {general}" if cls else general
