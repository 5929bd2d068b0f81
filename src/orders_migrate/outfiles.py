"""Files a command writes, and the rules that keep them from losing data: an output is never one of the
command's inputs nor another of its outputs, a device or pipe is written straight (a rename would replace
``/dev/null`` with a regular file), a symlink is followed so the link stays, a lock keeps two runs off one
output, and every OS error names the file it hit."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path as FsPath
from typing import IO, Any

import orjson


class UsageError(Exception):
    """A command that cannot run as given (exit 2)."""


class WriteError(Exception):
    """An output could not be written: ``str()`` is ``FILE: cause``, the message a user sees."""

    def __init__(self, path: FsPath | str, cause: OSError | str):
        self.path = display_name(str(path))
        self.cause = cause if isinstance(cause, str) else (cause.strerror or str(cause))
        super().__init__(f"{self.path}: {self.cause}")


class StdoutClosed(Exception):
    """The reader of stdout went away (``| head``): stop quietly, as other Unix tools do."""


def display_name(name: str) -> str:
    """A file name fit for a message or a JSON document: bytes that are not UTF-8 (which Python keeps as
    lone surrogates) are written as backslash escapes instead of making the writer fail."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_stream(path: FsPath | str) -> bool:
    """A device, pipe or socket: written in place, never replaced by a renamed file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_target(path: FsPath | str) -> FsPath:
    """Where an output's bytes really go: through a symlink to its target, so the link is kept."""
    p = FsPath(path)
    return FsPath(os.path.realpath(p)) if p.is_symlink() else p


def _identity(path: FsPath | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def refuse_overwrites(inputs: Iterable[str], outputs: list[tuple[str, FsPath | str]]) -> None:
    """Refuse (``UsageError``) an output that is one of the inputs or another output: the same resolved
    path, or the same file by device and inode (a symlink, a hard link). ``outputs``: (label, path), the
    label naming the option as the user gave it, e.g. ("--rejects r.ndjson", "r.ndjson"). Devices and pipes
    are left out: two writers of /dev/null lose nothing."""
    by_path: dict[str, str] = {}
    by_inode: dict[tuple[int, int], str] = {}
    for name in inputs:
        if name == "-":
            continue
        by_path.setdefault(os.path.realpath(name), name)
        ident = _identity(name)
        if ident is not None:
            by_inode.setdefault(ident, name)
    seen_path: dict[str, str] = {}
    seen_inode: dict[tuple[int, int], str] = {}
    for label, path in outputs:
        if is_stream(path):
            continue
        real, ident = os.path.realpath(path), _identity(path)
        source = by_path.get(real) or (by_inode.get(ident) if ident is not None else None)
        if source is not None:
            raise UsageError(f"{label} would overwrite its input {display_name(source)}; write the output elsewhere")
        other = seen_path.get(real) or (seen_inode.get(ident) if ident is not None else None)
        if other is not None:
            raise UsageError(f"{other} and {label} are the same file: one would overwrite the other")
        if os.path.isdir(path):
            raise UsageError(f"{label} is a folder, not a file")
        seen_path[real] = label
        if ident is not None:
            seen_inode[ident] = label


def write_atomically(path: FsPath | str, data: bytes) -> None:
    """Write a whole file so a reader never sees half of it: a temporary file beside the target, then a
    rename (a device or pipe is written straight). The target's mode is kept; on any error the temporary
    file is removed and ``WriteError`` names the target."""
    target = write_target(path)
    if is_stream(target):
        try:
            with open(target, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise WriteError(path, exc) from None
        return
    tmp: FsPath | None = None
    try:
        # A name of its own, made only if no file has it ("x"): two runs writing one output never write
        # into each other's temporary file, and a new output gets the umask's mode as any other file would.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "xb") as f:
            keep_metadata(target, f.fileno())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(target)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise WriteError(path, exc) from None


def keep_metadata(target: FsPath, fd: int) -> None:
    """Give a new file the mode (and, when we may, the owner) of the file it is about to replace."""
    try:
        st = os.stat(target)
    except OSError:
        return
    if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):
            os.fchown(fd, st.st_uid, st.st_gid)


def quiet_stdout() -> None:
    """After the reader of stdout has gone: point stdout at /dev/null, so the interpreter's last flush
    cannot print a second broken-pipe error."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def write_out(stream: IO[bytes], body: bytes, ours: bool) -> bool:
    """Write a command's whole output to ``stream``; False when its reader stopped early (``| head``),
    which ends the command quietly with exit 141 (``ours``: the stream is the process's own stdout)."""
    try:
        stream.write(body)
        stream.flush()
    except BrokenPipeError:
        if ours:
            quiet_stdout()
        return False
    return True


# ---- run locks --------------------------------------------------------------------------------------

# Locks this process holds: a lock naming our own pid is stale unless it is in here (a pid reused after a
# restart, common in containers), and held if it is (two threads of one program running two batches).
_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time (clock ticks since boot) of a process, where /proc tells."""
    try:
        text = FsPath(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _alive(pid: int, started: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    proc = _proc_stat(pid)
    if proc is None:
        return True
    state, start = proc
    # A zombie has finished; a different start time means the pid was reused by another process.
    return state != "Z" and (started is None or start == started)


class RunLock:
    """``.NAME.lock`` beside an output, created with O_CREAT|O_EXCL and holding the pid, host and start
    time of the run that holds it. A lock left by a process that is no longer running on this host is
    taken over (with a note); any other existing lock refuses the run (``UsageError``)."""

    def __init__(self, path: FsPath, guards: str, note: Callable[[str], None]):
        self.path, self.guards, self.note = path, guards, note
        self.content: bytes | None = None

    def _info(self) -> dict[str, Any]:
        proc = _proc_stat(os.getpid())
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "pid_start": proc[1] if proc else None,
            "output": display_name(self.guards),
        }

    def acquire(self) -> None:
        for _ in range(50):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._read(self.path)
                if holder is None:
                    time.sleep(0.02)  # gone already, or its holder is still writing it: look again
                    continue
                if self._stale(holder):
                    self._take_over(holder)
                    continue
                raise UsageError(
                    f"{display_name(str(self.guards))} is being written by another run: {display_name(str(self.path))} "
                    f"is held by pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')} "
                    "(wait for it; remove the lock only if that process is gone)"
                ) from None
            except OSError as exc:
                raise WriteError(self.path, exc) from None
            content = orjson.dumps(self._info())
            try:
                os.write(fd, content)
            except OSError as exc:
                os.close(fd)
                with contextlib.suppress(OSError):
                    self.path.unlink()
                raise WriteError(self.path, exc) from None
            os.close(fd)
            self.content = content
            with _HELD_GUARD:
                _HELD.add(os.path.realpath(self.path))
            return
        raise UsageError(
            f"cannot take {display_name(str(self.path))}: it is unreadable or other runs keep taking it "
            "(remove it only if no run is writing this output)"
        )

    @staticmethod
    def _read(path: FsPath) -> dict[str, Any] | None:
        try:
            data = path.read_bytes()
            doc = orjson.loads(data)
        except (OSError, orjson.JSONDecodeError):
            return None
        return doc if isinstance(doc, dict) else None

    def _stale(self, holder: dict[str, Any]) -> bool:
        pid = holder.get("pid")
        if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
            return False  # another machine's process: we cannot tell, so it is alive
        if pid == os.getpid():
            with _HELD_GUARD:
                return os.path.realpath(self.path) not in _HELD
        started = holder.get("pid_start")
        return not _alive(pid, started if isinstance(started, int) else None)

    def _take_over(self, holder: dict[str, Any]) -> None:
        # Moved aside first, so that of two runs finding one stale lock only one removes it, and a run
        # that moved a fresh lock by mistake puts it back.
        aside = self.path.with_name(f"{self.path.name}.{os.getpid()}.stale")
        try:
            self.path.rename(aside)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise WriteError(self.path, exc) from None
        moved = self._read(aside)
        if moved != holder:
            with contextlib.suppress(OSError):
                os.link(aside, self.path)
        else:
            self.note(
                f"took over {display_name(str(self.path))}: pid {holder.get('pid')} (since {holder.get('started')}) "
                "is no longer running"
            )
        with contextlib.suppress(OSError):
            aside.unlink()

    def ours(self) -> bool:
        """Does the lock file still hold what we wrote (nobody removed it and started another run)?"""
        try:
            return self.content is not None and self.path.read_bytes() == self.content
        except OSError:
            return False

    def release(self) -> None:
        if self.content is None:
            return
        if self.ours():
            with contextlib.suppress(OSError):
                self.path.unlink()
        with _HELD_GUARD:
            _HELD.discard(os.path.realpath(self.path))
        self.content = None
