"""Where a batch's bytes go: NDJSON lines or a JSON document, to a stream or to a partial file beside its
target that a rename completes. A partial file's committed size and item count are its checkpoint state:
a resumed run cuts the file back to that size and carries on appending."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import IO, Any

import orjson

from .jsonio import dumps, loads
from .outfiles import WriteError, is_stream, keep_metadata, write_atomically

# "lines": one item per line. "auto": lines, but one item alone (and nothing failed) becomes one indented
# document. "json": a JSON array of indented items, or the item itself when it is the only one.
LINES, AUTO, JSON = "lines", "auto", "json"


def _indent(item: bytes) -> bytes:
    # An item indented by orjson holds newlines only between tokens (strings escape theirs).
    return item.replace(b"\n", b"\n  ")


def pretty(item: bytes) -> bytes:
    """A compact JSON item indented as ``orjson.OPT_INDENT_2`` would have written it in the first place."""
    return dumps(loads(item), option=orjson.OPT_INDENT_2) + b"\n"  # the strict reader: numbers keep their text


def _piece(mode: str, n: int, item: bytes) -> bytes:
    """The bytes of the ``n``-th item (from 0) in a stream of items."""
    if mode != JSON:
        return item + b"\n"
    return (b"[\n  " if n == 0 else b",\n  ") + _indent(item)


class StreamSink:
    """Items to a stream (stdout, or the JSON report on stderr): no partial file and no resume. The first
    item waits for a second, which tells whether the output is one document or many."""

    def __init__(self, write: Callable[[bytes], None], mode: str):
        self.write, self.mode = write, mode
        self.count = 0
        self.held: bytes | None = None

    def add(self, item: bytes) -> None:
        if self.mode == LINES:
            self.write(item + b"\n")
        elif self.count == 0:
            self.held = item
        else:
            if self.held is not None:
                self.write(_piece(self.mode, 0, self.held))
                self.held = None
            self.write(_piece(self.mode, self.count, item))
        self.count += 1

    def finish(self, single_ok: bool) -> None:
        if self.mode == JSON:
            if self.count == 0:
                self.write(b"[]\n")
            elif self.held is not None:
                self.write(self.held + b"\n")
            else:
                self.write(b"\n]\n")
        elif self.held is not None:
            self.write(pretty(self.held) if single_ok else self.held + b"\n")


def partial_path(target: FsPath) -> FsPath:
    return target.with_name(f".{target.name}.partial")


class FileSink:
    """Items appended to ``.NAME.partial`` beside ``target``; ``finish`` gives the file its final shape and
    renames it. ``finish`` depends only on the committed state, so it is safe to repeat after a crash.

    A target that is a device or pipe (``/dev/null``) is written straight (``direct``): renaming a file over
    it would replace the device. Every OS error is a ``WriteError`` naming the target."""

    def __init__(self, target: FsPath, mode: str, state: dict[str, Any] | None = None):
        self.target, self.mode = target, mode
        self.direct = is_stream(target)
        self.partial = target if self.direct else partial_path(target)
        self.file: IO[bytes]
        try:
            if self.direct:
                self.file = open(target, "wb")  # noqa: SIM115 - lives until finish()
                self.size = self.count = 0
            elif state is None:
                target.parent.mkdir(parents=True, exist_ok=True)
                self.file = open(self.partial, "wb")  # noqa: SIM115 - lives until finish()
                self.size = self.count = 0
            else:
                self.file = open(self.partial, "r+b")  # noqa: SIM115 - lives until finish()
                self.size, self.count = int(state["size"]), int(state["count"])
                # Whatever a killed run wrote after its last checkpoint is cut off and written again.
                self.file.truncate(self.size)
                self.file.seek(self.size)
        except OSError as exc:
            raise WriteError(target, exc) from None

    def add(self, item: bytes) -> None:
        data = _piece(self.mode, self.count, item)
        try:
            self.file.write(data)
        except OSError as exc:
            raise WriteError(self.target, exc) from None
        self.size += len(data)
        self.count += 1

    def flush(self, sync: bool = False) -> None:
        try:
            self.file.flush()
            if sync and not self.direct:
                os.fsync(self.file.fileno())
        except OSError as exc:
            raise WriteError(self.target, exc) from None

    def state(self) -> dict[str, Any]:
        return {"size": self.size, "count": self.count}

    def finish(self, single_ok: bool) -> None:
        try:
            self._finish(single_ok)
        except OSError as exc:
            raise WriteError(self.target, exc) from None

    def _finish(self, single_ok: bool) -> None:
        if self.direct:
            self._finish_direct(single_ok)
            return
        self.file.truncate(self.size)
        self.file.seek(self.size)
        whole: bytes | None = None
        if self.mode == JSON:
            if self.count == 0:
                self.file.write(b"[]\n")
            elif self.count == 1:
                self.file.flush()
                whole = pretty(self.partial.read_bytes()[4:])  # the one item, after "[\n  "
            else:
                self.file.write(b"\n]\n")
        elif self.mode == AUTO and self.count == 1 and single_ok:
            self.file.flush()
            whole = pretty(self.partial.read_bytes())
        self.file.flush()
        # Given only now, so that a read-only earlier output cannot stop a resumed run reopening the partial.
        keep_metadata(self.target, self.file.fileno())
        os.fsync(self.file.fileno())
        self._check_own_partial()
        if whole is None:
            self.file.close()
            self.partial.replace(self.target)
            return
        # The partial stays until the indented copy is in place, so a crash here can finish again.
        self.file.close()
        write_atomically(self.target, whole)
        self.partial.unlink()

    def _finish_direct(self, single_ok: bool) -> None:
        # Nothing can be re-read from a device: its items went out as lines (a JSON array when asked).
        if self.mode == JSON:
            self.file.write(b"[]\n" if self.count == 0 else b"\n]\n")
        self.file.flush()
        self.file.close()

    def _check_own_partial(self) -> None:
        """The partial file about to be renamed is still the one this run wrote (not another run's)."""
        mine, there = os.fstat(self.file.fileno()), os.stat(self.partial)
        if (mine.st_dev, mine.st_ino) != (there.st_dev, there.st_ino):
            raise WriteError(self.target, f"{self.partial.name} was replaced by another process; nothing was renamed")

    def discard(self) -> None:
        """A run that cannot be resumed stopped: its partial file is of no use to anyone."""
        self.close()
        if not self.direct:
            with contextlib.suppress(OSError):
                self.partial.unlink()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
