"""Nothing silently lost: every non-empty input leaf that no row reads is reported as ``unmapped``.

The rows' reads form a trie (``plan.reads``); ``unmapped`` walks an order against it. ``compile_walk``
turns the trie into generated code, once per plan: one function per object the table knows, which
skips the keys rows read whole by a set lookup and renders a path only when it reports one; what a row
already reported whole is dropped from its entries after the walk rather than looked up at every
object on the way. Both report the same entries in the same order (the input's own key order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..paths import MISSING, index_step, key_step
from ..report import Entry, describe
from .generated import compiled, register

COVERED = True  # a read-trie node that covers its whole subtree

Walk = Callable[[Any, list[Entry]], None]


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == [] or value == {}


def unmapped(value: Any, node: Any, path: str, entries: list[Entry], reported: frozenset[str] | None = None) -> None:
    """Report every non-empty input leaf that no row reads and no report entry already covers."""
    if reported is None:
        reported = frozenset(e.path for e in entries)
    if node is COVERED or _empty(value) or path in reported:
        return
    if node is None:
        if isinstance(value, dict):
            for k, v in value.items():
                unmapped(v, None, path + key_step(k), entries, reported)
        elif isinstance(value, list):
            for n, v in enumerate(value):
                unmapped(v, None, path + index_step(n), entries, reported)
        else:
            entries.append(Entry("unmapped", path, f"no mapping row reads this field ({describe(value)})"))
        return
    if isinstance(value, dict):
        for k, v in value.items():
            unmapped(v, node.get(k), path + key_step(k), entries, reported)
    elif isinstance(value, list):
        child = node.get("[]")
        for n, v in enumerate(value):
            unmapped(v, child, path + index_step(n), entries, reported)
    else:
        # A scalar where the table expects an object (e.g. "discount": "5"): no row can read inside it.
        entries.append(Entry("unmapped", path, f"expected an object here, got {describe(value)}; not carried"))


def _format_safe(step: str) -> str:
    # Templates are filled by str.format: a key's own braces are not placeholders.
    return step.replace("{", "{{").replace("}", "}}")


class _Walker:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"_unmapped": unmapped, "MISSING": MISSING, "_key_step": key_step, "_NONE": frozenset()}
        self.count = 0

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"K{self.count}"
        self.names[name] = value
        return name

    def node(self, node: Mapping[str, Any], template: str) -> str:
        """A function walking one object (or list) the trie knows; returns its name.

        ``template`` renders the node's path from the list indices on the way (``idx``), only when the
        node reports something; a function's arguments are the value, those indices and the entries."""
        self.count += 1
        name = f"w{self.count}"
        trie = self.const(node)
        path = f"{self.const(template)}.format(*idx)"
        body: list[str] = [f"def {name}(value, idx, entries):"]
        if set(node) == {"[]"}:
            child = node["[]"]
            body.append("    if value.__class__ is not list or not value:")
            body.append(f"        _unmapped(value, {trie}, {path}, entries, _NONE)")
            body.append("        return")
            if child is not COVERED:
                flat = self._flat(child)
                walk = self._child(child, template + "[{}]")[0]
                body.append("    for n, v in enumerate(value):")
                if flat is not None:
                    body.append(f"        if v.__class__ is dict and v.keys() <= {flat}:")
                    body.append("            continue")
                body.append(f"        if {_NON_EMPTY.format(v='v')}:")
                body.append(f"            {walk}(v, idx + (n,), entries)")
        else:
            skip = self.const(frozenset(k for k, c in node.items() if c is COVERED))
            known = self.const(frozenset(node))
            walks = {
                k: self._child(c, template + _format_safe(key_step(k))) for k, c in node.items() if c is not COVERED and k != "[]"
            }
            children = self.const({k: _Late(guarded) for k, (_, guarded) in walks.items()})
            body.append("    if value.__class__ is not dict or not value or '[]' in " + trie + ":")
            body.append(f"        _unmapped(value, {trie}, {path}, entries, _NONE)")
            body.append("        return")
            # Every key known (the common case): visit only the objects the table goes into. Entries
            # follow the input's key order, so when two of them report, walk again in that order.
            body.append(f"    if value.keys() <= {known}:")
            body.append("        before = len(entries)")
            body.append("        reporting = 0")
            for key, (walk, _) in walks.items():
                flat = self._flat(node[key])
                body.append(f"        v = value.get({key!r})")
                test = _NON_EMPTY.format(v="v")
                if flat is not None:
                    test = f"not (v.__class__ is dict and v.keys() <= {flat}) and {test}"
                body.append(f"        if {test}:")
                body.append("            n = len(entries)")
                body.append(f"            {walk}(v, idx, entries)")
                body.append("            if len(entries) != n: reporting += 1")
            body.append("        if reporting < 2:")
            body.append("            return")
            body.append("        del entries[before:]")
            body.append("    for k, v in value.items():")
            body.append(f"        if k in {skip}:")
            body.append("            continue")
            body.append(f"        walk = {children}.get(k)")
            body.append("        if walk is None:")
            body.append(f"            _unmapped(v, None, {path} + _key_step(k), entries, _NONE)")
            body.append("        else:")
            body.append("            walk(v, idx, entries)")
        self.lines.extend(body)
        return name

    def _flat(self, child: Any) -> str | None:
        """The known keys of an object node whose every key rows read whole (an option, ``priceData``):
        an object of those keys alone has nothing to report, tested where it is met instead of by a
        call. None for any other node."""
        if child is COVERED or "[]" in child or not child:
            return None
        if any(c is not COVERED for c in child.values()):
            return None
        return self.const(frozenset(child))

    def _child(self, child: Any, template: str) -> tuple[str, str]:
        """The walk of a child node, and the same behind the test for an empty value (null, "", {} and
        [] have nothing to report), for the walk in the input's key order; the known-keys walk tests
        where it calls."""
        inner = self.node(child, template)
        self.count += 1
        name = f"c{self.count}"
        self.lines.extend(
            [
                f"def {name}(value, idx, entries):",
                f"    if {_NON_EMPTY.format(v='value')}:",
                f"        {inner}(value, idx, entries)",
            ]
        )
        return inner, name


_NON_EMPTY = "{v} is not None and {v} != '' and {v} != {{}} and {v} != []"


def drop_reported(entries: list[Entry], start: int) -> None:
    """Drop each entry from ``start`` on at or under the path of an entry before it: an object a row
    reported whole (a fulfillment to fetch) is not reported again, leaf by leaf, as unmapped. Done once
    after the walk, which thus renders no path it does not report."""
    reported = {e.path for e in entries[:start]}
    entries[start:] = [e for e in entries[start:] if not _within(e.path, reported)]


def _within(path: str, reported: set[str]) -> bool:
    if path in reported:
        return True
    # Each ancestor ends before a "." or a "[" (a key with either is rendered ["..."], after a "[").
    return any(path[:n] in reported for n, ch in enumerate(path) if ch in ".[")


class _Late:
    """A generated function named before it exists: resolved once the code has run."""

    def __init__(self, name: str):
        self.name = name


def _resolve(value: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(value, _Late):
        return namespace[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, namespace) for k, v in value.items()}
    return value


def compile_walk(trie: Mapping[str, Any], scope: str = "order") -> Walk:
    """``unmapped(order, trie, "$", entries)`` as generated code, for one trie; ``scope`` names the code
    for tracebacks and ``mappings --code``."""
    gen = _Walker()
    root = gen.node(trie, "$")
    gen.names["_drop_reported"] = drop_reported
    gen.lines.extend(
        [
            "def walk(value, entries):",
            "    if value is None or value == '' or value == {} or value == []:",
            "        return",
            "    start = len(entries)",
            f"    {root}(value, (), entries)",
            "    if start and len(entries) != start:",
            "        _drop_reported(entries, start)",
        ]
    )
    namespace = dict(gen.names)
    code = "\n".join(gen.lines) + "\n"
    exec(compiled(code, register("unmapped", scope, code)), namespace)  # noqa: S102 - our own generated code
    for name, value in gen.names.items():
        namespace[name] = _resolve(value, namespace)
    walk: Walk = namespace["walk"]
    return walk
