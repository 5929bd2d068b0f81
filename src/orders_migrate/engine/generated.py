"""Generated code a person can read: registered in ``linecache`` so a traceback from inside shows its line,
kept per plan so ``orders-migrate mappings --code`` can print it, and noting the row a failure was in.

A file name carries the scope (``order``, ``lineItems[i]``, ...) and a hash of the code: two plans in one
process (the shipped table and a user's own) never overwrite each other's lines.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import linecache
import re
from collections.abc import Iterator
from contextvars import ContextVar
from types import CodeType

from .cache import cached

_FOUND: ContextVar[list[tuple[str, str]] | None] = ContextVar("orders_migrate_generated", default=None)
_ROW_COMMENT = re.compile(r"^\s*# (?:row (?P<id>\S+) \((?P<where>[^)]*)\)|a step of its own)$")


def compiled(code: str, name: str) -> CodeType:
    """``compile(code, name)``, or the code object a process compiled from the same text before (cache.py):
    compiling a plan's code was about 80 ms of every start."""
    return cached("code", (name, code), lambda: compile(code, name, "exec"))


def register(kind: str, scope: str, code: str) -> str:
    """Make ``code`` the text of a file name for ``compile``; returns that name."""
    digest = hashlib.sha1(code.encode(), usedforsecurity=False).hexdigest()[:8]
    name = f"<orders-migrate {kind}: {scope} {digest}>"
    # mtime None: linecache.checkcache keeps the entry (there is no file on disk to compare with).
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
    found = _FOUND.get()
    if found is not None:
        found.append((name, code))
    return name


@contextlib.contextmanager
def collecting() -> Iterator[list[tuple[str, str]]]:
    """Every (file name, code) registered inside the block, in order: the generated code of one plan."""
    found: list[tuple[str, str]] = []
    token = _FOUND.set(found)
    try:
        yield found
    finally:
        _FOUND.reset(token)


def row_lines(code: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The line numbers of the ``# row id (file:line)`` comments that open each row's block, and for each
    what to say when a failure falls inside that block."""
    starts: list[int] = []
    says: list[str] = []
    for n, line in enumerate(code.splitlines(), start=1):
        m = _ROW_COMMENT.match(line)
        if m is not None:
            starts.append(n)
            if m["id"] is None:
                says.append("in a step the generated code calls (see the frames below)")
            else:
                says.append(f"in the generated code of row {m['id']!r} ({m['where']})")
    return tuple(starts), tuple(says)


def note_row(exc: BaseException, rows: tuple[tuple[int, ...], tuple[str, ...]]) -> None:
    """Called by a generated function's ``except``: name the row whose block the failing line is in."""
    tb = exc.__traceback__
    add_note = getattr(exc, "add_note", None)  # Python 3.11+; on 3.10 the traceback still shows the line
    if tb is None or add_note is None:
        return
    starts, says = rows
    at = bisect.bisect_right(starts, tb.tb_lineno) - 1
    add_note(says[at] if at >= 0 else "in the generated code reading the scope's input")
