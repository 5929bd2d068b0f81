"""What a process start need not make again: the parsed mapping table and the compiled generated code,
kept on disk under a key made of everything they are made from.

Parsing ``mappings.yaml`` and compiling the plan's generated code were about 0.12 s of every process
start (a one-file ``convert``, each ``--jobs`` worker); read back, they take about 5 ms. An entry is found
only by the hash of its inputs (the table's or the code's text, the Python version and bytecode magic,
the loader's own source), so a changed table, a changed engine or another Python never reads a stale
one: the cache can only save time, never change an output. A missing, unreadable, corrupt or
unwritable cache is a miss, never an error.

Where: ``$ORDERS_MIGRATE_CACHE``, else ``$XDG_CACHE_HOME/orders-migrate``, else
``~/.cache/orders-migrate``; ``ORDERS_MIGRATE_CACHE=off`` (or empty) keeps nothing on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Bumped when what an entry holds changes shape.
_FORMAT = b"orders-migrate cache 1\n"


def folder() -> Path | None:
    """Where entries are kept; None when caching is off."""
    configured = os.environ.get("ORDERS_MIGRATE_CACHE")
    if configured is not None:
        return None if configured in ("", "off") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "orders-migrate"


def _key(kind: str, parts: tuple[str | bytes, ...]) -> str:
    digest = hashlib.sha256()
    fixed = (kind, sys.version, importlib.util.MAGIC_NUMBER.hex(), str(sys.flags.optimize))
    for part in (*fixed, *parts):
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))  # lengths first: no two part lists hash alike
        digest.update(data)
    return digest.hexdigest()


def cached(kind: str, parts: tuple[str | bytes, ...], make: Callable[[], T]) -> T:
    """``make()``, or the value a process made from the same ``parts`` before. The value must be one
    ``marshal`` writes (code objects, and dicts, lists, strings and numbers); one it cannot write is
    simply not kept. What ``make`` raises is raised, and nothing is kept."""
    where = folder()
    if where is None:
        return make()
    key = _key(kind, parts)
    path = where / f"{kind}-{key[:32]}.marshal"
    header = _FORMAT + key.encode() + b"\n"
    found = _read(path, header)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = make()
    _write(where, path, header, value)
    return value


def _trusted(folder: Path) -> bool:
    """Whether entries in ``folder`` are the user's own: code read from it is run, so a folder another
    user owns or may write in (a shared ORDERS_MIGRATE_CACHE, say) is never read."""
    try:
        info = folder.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True  # Windows: a user's profile folder is their own
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read(path: Path, header: bytes) -> Any:
    if not _trusted(path.parent):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(header):
        return None  # another format, or a file that is not ours
    try:
        # Only from a folder of the user's own (above), and only under the key of what it was made from.
        return marshal.loads(data[len(header) :])  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return None  # cut short or damaged: made again, and written again


def _write(where: Path, path: Path, header: bytes, value: Any) -> None:
    try:
        body = marshal.dumps(value)
    except ValueError:
        return  # holds something marshal cannot write (a YAML date, say)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(tmp, "xb") as f:
            f.write(header + body)
        os.replace(tmp, path)  # whole or not at all: a reader never sees half an entry
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
