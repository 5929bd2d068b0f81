"""Where a batch's records come from: inputs expanded from files, folders and globs, then read as a stream
of work items, each with the input position after it, so a run can be checkpointed and resumed.

NDJSON is read line by line and never held whole. Any other input is one JSON document (a single order,
a Query Orders response, an array, a webhook body or a JWT); a worker reads and parses it whole.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, BinaryIO

import orjson

from .outfiles import display_name
from .reader import NDJSON_SUFFIXES

JSON_SUFFIXES = frozenset({".json", *NDJSON_SUFFIXES})
GLOB_CHARS = frozenset("*?[")

LINE, DOC, END = "line", "doc", "end"
SNIFF_LIMIT = 64 << 20  # longest first line read to tell NDJSON from a document


@dataclass(frozen=True, slots=True)
class Input:
    """One input file. ``rel`` is its name inside an output folder: its path below the folder it was found
    in, or its base name when it was named directly."""

    name: str  # "-" is stdin
    rel: str

    @property
    def source(self) -> str:
        """The name messages and JSON documents give this input (any bytes a file name can hold)."""
        return "<stdin>" if self.name == "-" else display_name(self.name)


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading resumes: input index, byte offset in it, and the line number of that offset."""

    input: int = 0
    offset: int = 0
    line: int = 1


@dataclass(slots=True)
class Item:
    """One unit of work: an NDJSON line (``LINE``), a whole document (``DOC``: ``data``, or ``None`` for the
    worker to read ``path`` itself), or the end of an input (``END``). ``after`` is the position after it."""

    kind: str
    input: int
    source: str
    after: Position
    line: int | None = None
    data: bytes | None = None
    path: str | None = None
    error: str | None = None  # the input could not be read: one failed record
    pretty: bool = False  # serialise this item's orders indented (JSON document output)
    size: int = 0
    # The crosswalk's decisions on this item's records, by JSON path (batch.crosswalk.Mark); None: none.
    marks: dict[str, Any] | None = None


def expand_inputs(args: list[str], exclude: FsPath | None = None) -> list[Input]:
    """Files as named; folders searched for .json/.ndjson/.jsonl files (hidden ones left out); a pattern that
    names no existing file is expanded as a glob (``**`` included), so quoted patterns work on any shell."""
    out: list[Input] = []
    for arg in args:
        if arg == "-":
            out.append(Input("-", "stdin"))
            continue
        path = FsPath(arg)
        if not path.exists() and GLOB_CHARS & set(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                out.append(Input(arg, path.name))  # read_items reports that nothing matched
            for match in matches:
                out.extend(_expand_path(FsPath(match), exclude))
            continue
        out.extend(_expand_path(path, exclude))
    return out


def not_there(inp: Input) -> str | None:
    """Why a named input cannot be read, as a usage error says it (a pattern that matched nothing, a missing
    file); None when it is there or is stdin."""
    if inp.name == "-" or os.path.exists(inp.name):
        return None
    return f"{inp.source}: {'no file matches' if GLOB_CHARS & set(inp.name) else 'no such file'}"


def _expand_path(path: FsPath, exclude: FsPath | None) -> list[Input]:
    if not path.is_dir():
        return [Input(str(path), path.name)]
    skip = exclude.resolve() if exclude is not None else None
    found: list[Input] = []
    for root, dirs, files in os.walk(path):
        here = FsPath(root)
        # An output folder inside an input folder must not be read back as input on a later run.
        dirs[:] = [d for d in dirs if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)]
        for name in files:
            if not name.startswith(".") and FsPath(name).suffix.lower() in JSON_SUFFIXES:
                found.append(Input(str(here / name), (here / name).relative_to(path).as_posix()))
    return sorted(found, key=lambda i: i.rel) or [Input(str(path), path.name)]  # read_items reports it


def input_size(inp: Input) -> int:
    if inp.name == "-":
        return 0
    try:
        return os.stat(inp.name).st_size
    except OSError:
        return 0


def is_ndjson_name(name: str) -> bool:
    return FsPath(name).suffix.lower() in NDJSON_SUFFIXES


def read_items(inputs: list[Input], start: Position, pretty: list[bool] | None = None) -> Iterator[Item]:
    """Every item of every input from ``start`` on. Each input ends with an ``END`` item. ``pretty[i]``: do
    the orders of input ``i`` go to a JSON document (indented) rather than to NDJSON lines?"""
    for index in range(start.input, len(inputs)):
        resume = start if index == start.input else Position(index)
        yield from _read_input(index, inputs[index], resume, bool(pretty and pretty[index]))
        yield Item(END, index, inputs[index].source, Position(index + 1))


def _read_input(index: int, inp: Input, start: Position, pretty: bool) -> Iterator[Item]:
    source = inp.source
    done = Position(index + 1)
    if inp.name == "-":
        yield from _read_stream(index, source, sys.stdin.buffer, None, start, pretty)
        return
    if not os.path.exists(inp.name) and GLOB_CHARS & set(inp.name):
        yield Item(DOC, index, source, done, error="cannot read: no file matches this pattern")
        return
    if os.path.isdir(inp.name):
        yield Item(DOC, index, source, done, error="cannot read: no .json, .ndjson or .jsonl file in this folder")
        return
    try:
        stream = open(inp.name, "rb")  # noqa: SIM115 - closed below; the generator may stop part-way
    except OSError as exc:
        yield Item(DOC, index, source, done, error=f"cannot read: {exc.strerror or exc}")
        return
    try:
        yield from _read_stream(index, source, stream, inp.name, start, pretty)
    finally:
        stream.close()


def _read_stream(
    index: int,
    source: str,
    stream: BinaryIO,
    path: str | None,
    start: Position,
    pretty: bool,
) -> Iterator[Item]:
    done = Position(index + 1)
    head: list[bytes] = []
    ndjson = path is not None and is_ndjson_name(path)
    if not ndjson:
        ndjson = _sniff_ndjson(stream, head)
    if not ndjson:
        info = os.fstat(stream.fileno()) if path is not None else None
        if path is not None and info is not None and stat.S_ISREG(info.st_mode):
            yield Item(DOC, index, source, done, path=path, pretty=pretty, size=info.st_size)  # read again where converted
        else:
            # A stream or a named pipe (``<(zcat order.json.gz)``) cannot be read again: what the sniff
            # read of it comes first.
            data = b"".join(head) + stream.read()
            yield Item(DOC, index, source, done, data=data, pretty=pretty, size=len(data))
        return
    if path is not None and start.offset:  # only a resumed run seeks: a named pipe cannot
        stream.seek(start.offset)
        lines: Iterator[bytes] = iter(stream)
    else:
        lines = _chain(head, stream)  # the lines the sniff read are records too
    offset, n = start.offset, start.line
    for raw in lines:
        offset += len(raw)
        if raw.strip():
            yield Item(LINE, index, source, Position(index, offset, n + 1), line=n, data=raw, pretty=pretty, size=len(raw))
        n += 1


def _chain(head: list[bytes], stream: BinaryIO) -> Iterator[bytes]:
    yield from head
    yield from stream


def _sniff_ndjson(stream: BinaryIO, head: list[bytes]) -> bool:
    """Several JSON objects one per line are NDJSON even without the suffix: the first non-blank line is a
    whole JSON object and more follows it. Reads as few lines as that takes, keeping them in ``head``."""
    first = b""
    while raw := stream.readline(SNIFF_LIMIT):
        head.append(raw)
        if len(raw) == SNIFF_LIMIT and not raw.endswith(b"\n"):
            return False  # one huge line: a minified document, not a record per line
        if raw.strip():
            first = raw
            break
    if not first.lstrip().startswith(b"{"):
        return False
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    while raw := stream.readline(SNIFF_LIMIT):
        head.append(raw)
        if raw.strip():
            return True
    return False
