"""A run's checkpoint: the fsync'd state file that says how far each partial file and each input go, so
``--resume`` continues a killed run and ends byte for byte as an uninterrupted run would. Here: when one
is due, what it records, how a resumed run checks it still fits (same command, same data versions, the
same inputs up to where it stands), and the digests of the inputs read so far."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path as FsPath
from time import monotonic
from typing import Any

import orjson

from ..outfiles import UsageError, WriteError, display_name, is_stream
from ..sources import Input, Position
from ..versions import data_versions, version_changes
from .config import BatchConfig

# 3: the command is recorded option by option, so a refusal names what differs; 4: the crosswalk's
# decisions (their digest) and the --state journal.
CHECKPOINT_VERSION = 4
HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a run stands after a whole chunk: what a checkpoint written then records. The partial files
    may have grown past it since; a resumed run cuts them back to it."""

    position: Position
    stats: dict[str, Any]
    sinks: dict[str, Any]


class Cadence:
    """When the next checkpoint is due: ``every_bytes`` of input or ``every_seconds`` after the last one,
    whichever comes first (``every_bytes`` 0: after every chunk)."""

    def __init__(self, every_bytes: int, every_seconds: float):
        self.every_bytes, self.every_seconds = every_bytes, every_seconds
        self.read = 0
        self.since = monotonic()

    def due(self, size: int) -> bool:
        """Whether a checkpoint is due now that ``size`` more bytes of input were converted."""
        self.read += size
        return self.read >= self.every_bytes or monotonic() - self.since >= self.every_seconds

    def restart(self) -> None:
        self.read, self.since = 0, monotonic()


def command_options(cfg: BatchConfig) -> dict[str, Any]:
    """The options of a run that shape what it writes, one by one (a public key and a table by their
    digests only): a resumed run, of files or of a SQL table, must be given the same."""
    return {
        "-o": display_name(cfg.output or ""),
        "--format": cfg.fmt,
        "--locale": cfg.locale,
        "--strict": cfg.strict,
        "--validate": cfg.validate,
        "--kind": cfg.kind,
        "--public-key": hashlib.sha256(cfg.public_key.encode()).hexdigest() if cfg.public_key else None,
        "--report-out": display_name(cfg.report_out or ""),
        "--rejects": display_name(cfg.rejects or ""),
        # With or without companions, another filter or another table: two shapes, slices or
        # conversions would be mixed in one output.
        "--companions": cfg.companions,
        "--filter": cfg.order_filter.canonical if cfg.order_filter is not None else None,
        "--mappings": hashlib.sha256(cfg.plan.table.text.encode()).hexdigest() if cfg.plan is not None else None,
        "--crosswalk": cfg.crosswalk,
        "--state": display_name(cfg.state or ""),
    }


class Checkpoint:
    """The state file of a run writing to ``path``'s outputs: read back and checked on ``--resume``,
    replaced atomically (after an fsync) at each commit, removed once the outputs are finished."""

    def __init__(self, path: FsPath, cfg: BatchConfig, inputs: list[Input]):
        self.path, self.cfg, self.inputs = path, cfg, inputs
        self.digests: InputDigests | None = None
        self.crosswalk: str | None = None  # the digest of the crosswalk's decisions (crosswalk.Crosswalk)
        self.tmp = path.with_name(path.name + ".tmp")

    def exists(self) -> bool:
        return self.path.exists()

    def table_text(self) -> str | None:
        return self.cfg.plan.table.text if self.cfg.plan is not None else None

    def command(self) -> dict[str, Any]:
        """What the run was asked, option by option: a resumed run must be asked the same."""
        return {"inputs": [i.source for i in self.inputs], **command_options(self.cfg)}

    def fingerprint(self) -> str:
        return hashlib.sha256(orjson.dumps([CHECKPOINT_VERSION, self.command()])).hexdigest()

    def load(self, note: Callable[[str], None]) -> dict[str, Any] | None:
        """The state to resume from; None for a fresh run (an unfinished run's state is removed, with a
        ``note``, unless ``--resume``). ``UsageError`` when it cannot be resumed."""
        shown = display_name(str(self.path))
        if not self.path.exists():
            if self.cfg.resume:  # killed before its first checkpoint, or never run: nothing is kept
                note(f"nothing to resume ({shown} is not there): starting afresh")
            return None
        if not self.cfg.resume:
            note(f"starting over; {shown} was left by an unfinished run (use --resume)")
            self.path.unlink()
            return None
        try:
            state: dict[str, Any] = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise UsageError(f"cannot resume: {shown} is unreadable ({exc})") from None
        if state.get("version") != CHECKPOINT_VERSION:
            raise UsageError(
                f"cannot resume: {shown} was written by another version of orders-migrate; run it again without --resume"
            )
        changed = version_changes(state.get("versions") or {}, data_versions(self.table_text()))
        if changed:
            # The first part of the output was written under other data (another CLDR formats amounts
            # otherwise): resuming would mix two migrations in one file.
            raise UsageError(
                f"cannot resume: {shown} was written under other versions ({'; '.join(changed)}); "
                "run it again without --resume to start over"
            )
        if state.get("fingerprint") != self.fingerprint():
            then, now = state.get("command") or {}, self.command()
            differ = [name for name in now if then.get(name, now[name]) != now[name]]
            what = ", ".join(differ) if differ else "inputs or options"
            raise UsageError(
                f"cannot resume: {shown} was written by a different command ({what} {'differ' if len(differ) != 1 else 'differs'}); "
                "run it again without --resume to start over"
            )
        self.digests = InputDigests.verified(self.inputs, state.get("inputs"), Position(*state["position"]))
        return state

    def write(self, mark: Mark, done: bool = False) -> None:
        """Record ``mark``: the commit point of the run. The partial files it covers must be fsync'd first."""
        if self.digests is None:
            self.digests = InputDigests(self.inputs)
        position = mark.position
        self.digests.advance(position)
        state = {
            "version": CHECKPOINT_VERSION,
            "fingerprint": self.fingerprint(),
            "command": self.command(),
            "versions": data_versions(self.table_text()),
            "position": [position.input, position.offset, position.line],
            "inputs": self.digests.state(),
            "done": done,
            "crosswalk": self.crosswalk,
            "stats": mark.stats,
            "sinks": mark.sinks,
        }
        tmp = self.tmp
        try:
            with open(tmp, "wb") as f:
                f.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise WriteError(self.path, exc) from None
        except BaseException:  # Ctrl-C or SIGTERM in the middle: the last checkpoint still stands
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def check_crosswalk(self, state: dict[str, Any], digest: str | None) -> None:
        """A resumed run decided on every duplicate as the run it continues did; ``UsageError`` if not."""
        if state.get("crosswalk") != digest:
            raise UsageError(
                f"cannot resume: the crosswalk's decisions differ from {display_name(str(self.path))}'s (an input "
                "changed after the checkpoint, or the --state file did); run it again without --resume to start over"
            )

    def remove(self) -> None:
        """The outputs are finished: nothing to resume."""
        self.path.unlink(missing_ok=True)
        # Left only if a run was killed while writing it; every later checkpoint replaces it.
        self.tmp.unlink(missing_ok=True)


class InputDigests:
    """What the run has read of each input, so ``--resume`` can tell whether an input changed since: its
    size and mtime, and the sha256 of its bytes up to where the checkpoint stands (all of them, for an
    input done). Bytes are hashed once, as checkpoints pass them."""

    def __init__(self, inputs: list[Input]):
        self.inputs = inputs
        self.entries: list[dict[str, Any] | None] = []  # one per input done
        self.index = self.offset = 0
        self.hash = hashlib.sha256()
        self.unreadable = False

    def advance(self, position: Position) -> None:
        while self.index < min(position.input, len(self.inputs)):
            self._read_to(None)
            self.entries.append(self._entry())
            self.index, self.offset, self.hash, self.unreadable = self.index + 1, 0, hashlib.sha256(), False
        if self.index == position.input < len(self.inputs):
            self._read_to(position.offset)

    def _read_to(self, end: int | None) -> None:
        name = self.inputs[self.index].name
        if name == "-" or self.unreadable or (end is not None and end <= self.offset):
            return
        if is_stream(name):
            self.unreadable = True  # a pipe cannot be read twice, nor resumed
            return
        try:
            f = open(name, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self.unreadable = True  # the run reported it as a failed record; nothing of it was used
            return
        with f:
            f.seek(self.offset)
            while end is None or self.offset < end:
                block = f.read(HASH_BLOCK if end is None else min(HASH_BLOCK, end - self.offset))
                if not block:
                    break
                self.hash.update(block)
                self.offset += len(block)

    def _entry(self) -> dict[str, Any] | None:
        name = self.inputs[self.index].name
        if name == "-" or self.unreadable:
            return None
        try:
            st = os.stat(name)
        except OSError:
            return None
        return {
            "name": self.inputs[self.index].source,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "read": self.offset,
            "sha256": self.hash.hexdigest(),
        }

    def state(self) -> list[dict[str, Any] | None]:
        return self.entries + ([self._entry()] if self.index < len(self.inputs) else [])

    @classmethod
    def verified(cls, inputs: list[Input], recorded: Any, position: Position) -> InputDigests:
        """The digests of a resumed run, after checking every input read so far is as the checkpoint saw
        it; ``UsageError`` names the first that changed."""
        if not isinstance(recorded, list) or len(recorded) != min(position.input + 1, len(inputs)):
            raise UsageError("cannot resume: the checkpoint does not describe its inputs; run it again without --resume")
        for inp, entry in zip(inputs, recorded, strict=False):
            if entry is None:
                continue
            try:
                st = os.stat(inp.name)
            except OSError as exc:
                raise UsageError(f"cannot resume: {inp.source} changed since the checkpoint: {exc.strerror}") from None
            if (st.st_size, st.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
                raise UsageError(
                    f"cannot resume: {inp.source} changed since the checkpoint (size {entry['size']} -> {st.st_size} "
                    "bytes, or its modification time); run it again without --resume to start over"
                )
        digests = cls(inputs)
        digests.advance(position)
        for inp, entry, now in zip(inputs, recorded, digests.state(), strict=False):
            if entry is not None and (now is None or (now["read"], now["sha256"]) != (entry["read"], entry["sha256"])):
                raise UsageError(
                    f"cannot resume: {inp.source} changed since the checkpoint: its first {entry['read']} bytes are "
                    "not the ones already converted; run it again without --resume to start over"
                )
        return digests
