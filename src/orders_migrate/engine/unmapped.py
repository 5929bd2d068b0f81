"""Nothing silently lost: every non-empty input leaf that no row reads is reported as ``unmapped``.

The rows' reads form a trie (``plan.reads``); ``unmapped`` walks an order against it. ``compile_walk``
turns the trie into generated code, once per plan: one function per object the table knows, which
skips the keys rows read whole by a set lookup and renders a path only when it reports one. Both
walk the input in its own key order, so they report the same entries in the same order.
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
    def __init__(self, reportable: frozenset[tuple[str, ...]]) -> None:
        self.reportable = reportable
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"_unmapped": unmapped, "MISSING": MISSING, "_key_step": key_step}
        self.count = 0

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"K{self.count}"
        self.names[name] = value
        return name

    def node(self, node: Mapping[str, Any], template: str, at: tuple[str, ...]) -> str:
        """A function walking one object (or list) the trie knows; returns its name.

        ``template`` renders the node's path from the list indices on the way (``idx``); a function's
        arguments are the value, those indices, the entries and the paths already reported. Only where
        a row may have reported the object itself (``reportable``) is its path rendered and looked up."""
        self.count += 1
        name = f"w{self.count}"
        trie = self.const(node)
        path = f"{self.const(template)}.format(*idx)"
        body: list[str] = [f"def {name}(value, idx, entries, reported):"]
        if set(node) == {"[]"}:
            child = node["[]"]
            body.append("    if value.__class__ is not list or not value:")
            body.append(f"        _unmapped(value, {trie}, {path}, entries, reported)")
            body.append("        return")
            if at in self.reportable:
                body.append(f"    if {path} in reported:")
                body.append("        return")
            if child is not COVERED:
                flat = self._flat(child, at + ("[]",))
                walk = self._child(child, template + "[{}]", at + ("[]",))
                body.append("    for n, v in enumerate(value):")
                if flat is not None:
                    body.append(f"        if v.__class__ is dict and v.keys() <= {flat}:")
                    body.append("            continue")
                body.append(f"        {walk}(v, idx + (n,), entries, reported)")
        else:
            skip = self.const(frozenset(k for k, c in node.items() if c is COVERED))
            known = self.const(frozenset(node))
            walks = {
                k: self._child(c, template + _format_safe(key_step(k)), at + (k,))
                for k, c in node.items()
                if c is not COVERED and k != "[]"
            }
            children = self.const({k: _Late(w) for k, w in walks.items()})
            body.append("    if value.__class__ is not dict or not value or '[]' in " + trie + ":")
            body.append(f"        _unmapped(value, {trie}, {path}, entries, reported)")
            body.append("        return")
            if at in self.reportable:
                body.append(f"    if {path} in reported:")
                body.append("        return")
            # Every key known (the common case): visit only the objects the table goes into. Entries
            # follow the input's key order, so when two of them report, walk again in that order.
            body.append(f"    if value.keys() <= {known}:")
            body.append("        before = len(entries)")
            body.append("        reporting = 0")
            for key, walk in walks.items():
                flat = self._flat(node[key], at + (key,))
                body.append(f"        v = value.get({key!r})")
                if flat is None:
                    body.append("        if v is not None:")
                else:
                    body.append(f"        if v is not None and not (v.__class__ is dict and v.keys() <= {flat}):")
                body.append("            n = len(entries)")
                body.append(f"            {walk}(v, idx, entries, reported)")
                body.append("            if len(entries) != n: reporting += 1")
            body.append("        if reporting < 2:")
            body.append("            return")
            body.append("        del entries[before:]")
            body.append("    for k, v in value.items():")
            body.append(f"        if k in {skip}:")
            body.append("            continue")
            body.append(f"        walk = {children}.get(k)")
            body.append("        if walk is None:")
            body.append(f"            _unmapped(v, None, {path} + _key_step(k), entries, reported)")
            body.append("        else:")
            body.append("            walk(v, idx, entries, reported)")
        self.lines.extend(body)
        return name

    def _flat(self, child: Any, at: tuple[str, ...]) -> str | None:
        """The known keys of an object node whose every key rows read whole (an option, ``priceData``):
        an object of those keys alone has nothing to report, tested where it is met instead of by a
        call. None for any other node, or one a row may report itself."""
        if child is COVERED or "[]" in child or at in self.reportable or not child:
            return None
        if any(c is not COVERED for c in child.values()):
            return None
        return self.const(frozenset(child))

    def _child(self, child: Any, template: str, at: tuple[str, ...]) -> str:
        inner = self.node(child, template, at)
        # An empty value has nothing to report: skip the call for the common null, "" and {}.
        self.count += 1
        name = f"c{self.count}"
        self.lines.extend(
            [
                f"def {name}(value, idx, entries, reported):",
                "    if value is None or value == '' or value == {} or value == []:",
                "        return",
                f"    {inner}(value, idx, entries, reported)",
            ]
        )
        return name


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


def compile_walk(trie: Mapping[str, Any], reportable: frozenset[tuple[str, ...]] = frozenset(), scope: str = "order") -> Walk:
    """``unmapped(order, trie, "$", entries)`` as generated code, for one trie. ``reportable``: the
    places (keys, ``[]`` for each element) where a row may report an object the trie goes into;
    ``scope`` names the code for tracebacks and ``mappings --code``."""
    gen = _Walker(reportable)
    root = gen.node(trie, "$", ())
    gen.lines.extend(
        [
            "def walk(value, entries):",
            "    reported = frozenset(e.path for e in entries)",
            "    if value is None or value == '' or value == {} or value == []:",
            "        return",
            f"    {root}(value, (), entries, reported)",
        ]
    )
    namespace = dict(gen.names)
    code = "\n".join(gen.lines) + "\n"
    exec(compiled(code, register("unmapped", scope, code)), namespace)  # noqa: S102 - our own generated code
    for name, value in gen.names.items():
        namespace[name] = _resolve(value, namespace)
    walk: Walk = namespace["walk"]
    return walk
