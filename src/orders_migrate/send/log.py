"""The run's log (NDJSON, append-only): what earlier runs did, read back, and the writer that puts every
entry on the disk before the run goes on.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path as FsPath
from typing import Any, Final

import orjson

# Test hook: the run kills itself with SIGKILL once it has logged this many results, so a test can stop
# it at an exact point and check that the next run finishes the work.
KILL_AFTER_ENV: Final = "ORDERS_MIGRATE_SEND_KILL_AFTER"


@dataclass(slots=True)
class LogState:
    """What earlier runs did: results by request key, the crosswalk, and the ids already deleted."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sending: set[str] = field(default_factory=set)
    order_ids: dict[str, str] = field(default_factory=dict)  # group -> new order id
    created: list[str] = field(default_factory=list)  # new order ids, in import order
    deleted: set[str] = field(default_factory=set)


def read_log(path: FsPath) -> LogState:
    state = LogState()
    if not path.exists():
        return state
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # the torn last line of a killed run: its request has no result
        if not isinstance(entry, dict):
            continue
        event, key = entry.get("event"), entry.get("key")
        if event == "sending" and isinstance(key, str):
            state.sending.add(key)
        elif event in ("done", "failed") and isinstance(key, str):
            state.results[key] = entry
            state.sending.discard(key)
            new_id = entry.get("orderId")
            if event == "done" and isinstance(new_id, str) and isinstance(entry.get("group"), str):
                state.order_ids[entry["group"]] = new_id
                state.created.append(new_id)
        elif event == "undone" and isinstance(entry.get("orderIds"), list):
            state.deleted.update(i for i in entry["orderIds"] if isinstance(i, str))
    return state


class Log:
    """Append-only NDJSON; every entry reaches the disk before the run goes on."""

    def __init__(self, path: FsPath):
        self.path = path
        torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close(); lives as long as the run
        if torn:
            self.fh.write(b"\n")  # a killed run's half line must not glue onto the next entry
        self.results = 0
        kill_after = os.environ.get(KILL_AFTER_ENV)
        self.kill_after = int(kill_after) if kill_after and kill_after.isdigit() else None

    def write(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"), **entry}
        self.fh.write(orjson.dumps(entry) + b"\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())
        if entry["event"] in ("done", "failed"):
            self.results += 1
            if self.kill_after is not None and self.results >= self.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

    def close(self) -> None:
        self.fh.close()
