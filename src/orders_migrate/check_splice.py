"""How ``check --fix`` writes a file back: each converted record spliced over the bytes of the original
(``splice``), in the file's own layout (``Layout``).
Everything the fix did not convert stays byte for byte."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .jsonio import json_dumps_exact
from .paths import parse_rendered

_WHITESPACE = " \t\n\r"
# The stdlib's C scanners, untyped in typeshed: a value at an index -> (value, end); a string's rest -> (str, end).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SCANSTRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


_RECORD: Any = object()  # a record's place in the tree of paths _spans walks


def _spans(text: str, paths: list[tuple[str | int, ...]]) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Where the value at each path is written in ``text`` (already parsed, so well formed): (start, end).
    One pass over the text, descending only into the containers on the way to a path."""
    tree: dict[Any, Any] = {}
    for steps in paths:
        node = tree
        for step in steps[:-1]:
            node = node.setdefault(step, {})
        if steps:
            node[steps[-1]] = _RECORD
    found: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def walk(pos: int, node: Any, at: tuple[str | int, ...]) -> int:
        if node is _RECORD:
            end = _SCAN(text, pos)[1]
            found[at] = (pos, end)
            return end
        close = "]" if text[pos] == "[" else "}"
        pos, n = _skip(text, pos + 1), 0
        while text[pos] != close:
            step: str | int = n
            if close == "}":
                step, pos = _SCANSTRING(text, pos + 1)
                pos = _skip(text, _skip(text, pos) + 1)  # past the colon
            child = node.get(step)
            end = walk(pos, child, (*at, step)) if child is not None else _SCAN(text, pos)[1]
            pos = _skip(text, end)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
            n += 1
        return pos + 1

    walk(_skip(text, 0), _RECORD if () in paths else tree, ())
    return found


def splice(text: str, replacements: list[tuple[str, Any]], layout: Layout) -> str:
    """``text`` with each converted record written over the original's bytes: everything the fix did not
    convert (other fields, numbers such as ``1e400`` or ``1.10``, escapes, spacing) stays byte for byte."""
    records = [(parse_rendered(prefix), value) for prefix, value in replacements]
    spans = _spans(text, [steps for steps, _ in records])
    pieces, done = [], 0
    for steps, value in sorted(records, key=lambda record: spans[record[0]]):
        start, end = spans[steps]
        pieces += [text[done:start], _dumps(value, layout, len(steps))]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


@dataclass(frozen=True, slots=True)
class Layout:
    """How a file writes its JSON, so a fixed file differs from the original only where orders changed."""

    indent: str | None
    separators: tuple[str, str]
    ensure_ascii: bool
    newline: str
    final_newline: bool

    @classmethod
    def of(cls, text: str, final_newline: bool | None = None) -> Layout:
        body = text.strip()
        indent: str | None = None
        if "\n" in body:
            first = re.search(r"\n([ \t]*)\S", body)
            indent = first.group(1) if first else ""
            separators = (",", ": ")
        elif re.search(r'"\s*:\s', body):
            separators = (", ", ": ")
        else:
            separators = (",", ":")
        return cls(
            indent=indent,
            separators=separators,
            # Keep \u escapes only in files that chose them; otherwise write UTF-8 as the file does.
            ensure_ascii=text.isascii() and "\\u" in text,
            newline="\r\n" if "\r\n" in text else "\n",
            final_newline=text.endswith("\n") if final_newline is None else final_newline,
        )


def _dumps(value: Any, layout: Layout, depth: int) -> str:
    """A converted record in the file's layout, indented for where it sits (``depth`` containers deep)."""
    text = json_dumps_exact(value, indent=layout.indent, separators=layout.separators, ensure_ascii=layout.ensure_ascii)
    # json.dumps escapes newlines inside strings: each one left is between tokens.
    if layout.indent and depth:
        text = text.replace("\n", "\n" + layout.indent * depth)
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    return text
