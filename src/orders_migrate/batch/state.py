"""``--state FILE``: what earlier runs converted, so a run over a grown or refreshed export converts only the
orders that are new or changed. The file is NDJSON: a header (the output it was written for and the
options that shape a conversion), then one ``{"id", "digest", "number"}`` line per order, sorted by id
(``number`` when the order has one: a later run's new order with that number is reported, as the
crosswalk reports two orders of one run; a format 1 file, written before numbers were kept, has none).

It claims only orders in a committed output: the orders a run converts are journaled beside it (a partial
file the checkpoint covers, so ``--resume`` keeps it), and the file is replaced atomically only once every
output of the run has been renamed into place. A run killed before that leaves the file as it was: the
next run converts those orders again rather than believe they were written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

import orjson

from ..outfiles import UsageError, display_name, write_atomically
from ..versions import data_versions
from .config import BatchConfig

STATE_FORMAT = 2  # 2: each order's number beside its digest
READ_FORMATS = frozenset({1, STATE_FORMAT})  # a format 1 file is read as one whose orders have no number
HEADER_KEY = "orders-migrate state"


def settings(cfg: BatchConfig) -> dict[str, Any]:
    """The options that change what an order converts to: an order converted under others is not
    the same output, however unchanged its input."""
    table = cfg.plan.table.text if cfg.plan is not None else None
    return {
        "--locale": cfg.locale,
        "--mappings": hashlib.sha256(table.encode()).hexdigest() if table is not None else None,
        "--companions": cfg.companions,
        "--strict": cfg.strict,
        "--kind": cfg.kind,
        "--public-key": hashlib.sha256(cfg.public_key.encode()).hexdigest() if cfg.public_key else None,
        "versions": data_versions(table),
    }


def output_name(cfg: BatchConfig) -> str:
    return display_name(cfg.output) if cfg.output else "<stdout>"


def journal_target(path: FsPath) -> FsPath:
    """The journal's name; its partial file, ``.NAME.journal.partial``, is what is written."""
    return path.with_name(f"{path.name}.journal")


class RunState:
    """The ``--state`` file of one run: read before the run, replaced at its end."""

    def __init__(self, path: FsPath, cfg: BatchConfig):
        self.path, self.cfg = path, cfg
        self.shown = display_name(str(path))
        self.entries: dict[str, str] = {}  # id -> digest, as the file holds them (kept when the options match)
        self.numbers: dict[str, str] = {}  # id -> number, for the orders that have one

    def load(self, note: Callable[[str], None]) -> dict[str, str] | None:
        """The digests of the orders earlier runs converted, to leave out when unchanged; None when the
        file was written under other options (then every order is converted again)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UsageError(f"--state {self.shown}: cannot read it: {exc.strerror or exc}") from None
        lines = data.splitlines()
        try:
            header = orjson.loads(lines[0]) if lines else None
            if not isinstance(header, dict) or header.get(HEADER_KEY) not in READ_FORMATS:
                raise ValueError("not a state file written by this version of orders-migrate")
            for n, raw in enumerate(lines[1:], start=2):
                entry = json.loads(raw)
                if (
                    not isinstance(entry, dict)
                    or not isinstance(entry.get("id"), str)
                    or not isinstance(entry.get("digest"), str)
                    or not isinstance(entry.get("number", ""), str)
                ):
                    raise ValueError(f"line {n} is not an order's id and digest")
                self.entries[entry["id"]] = entry["digest"]
                if "number" in entry:
                    self.numbers[entry["id"]] = entry["number"]
        except ValueError as exc:  # json's and orjson's decode errors are ValueErrors
            raise UsageError(f"--state {self.shown}: {exc}; give another file, or remove it to convert everything") from None
        now = settings(self.cfg)
        then = header.get("settings") or {}
        differ = [name for name in now if then.get(name) != now[name]]
        if differ:
            note(
                f"--state {self.shown} was written with other {', '.join(differ)}: every order is converted again "
                "and the file then describes this run"
            )
            self.entries.clear()
            self.numbers.clear()
            return None
        if header.get("output") != output_name(self.cfg):
            # Incremental runs write only what changed: that output holds the orders this one leaves out.
            note(
                f"--state {self.shown} describes the orders written to {header.get('output')}; this run writes "
                f"only the new and changed ones to {output_name(self.cfg)}"
            )
        return dict(self.entries)

    def write(self, journal: bytes) -> None:
        """The file as it was, with every order this run converted (``journal``: one line each)."""
        entries, numbers = self.entries, self.numbers
        for raw in journal.splitlines():
            entry = json.loads(raw)
            entries[entry["id"]] = entry["digest"]
            if isinstance(entry.get("number"), str):
                numbers[entry["id"]] = entry["number"]
            else:  # converted again without one: the number it had is no longer its
                numbers.pop(entry["id"], None)
        header = {HEADER_KEY: STATE_FORMAT, "output": output_name(self.cfg), "settings": settings(self.cfg)}
        body = [orjson.dumps(header)]
        body += [journal_line(key, entries[key], numbers.get(key)) for key in sorted(entries)]
        write_atomically(self.path, b"\n".join(body) + b"\n")


def journal_line(order_id: str, digest: str, number: str | None = None) -> bytes:
    # json, not orjson: an id may hold a lone surrogate (a ``\ud800`` escape), which only json writes back.
    entry = {"id": order_id, "digest": digest} if number is None else {"id": order_id, "digest": digest, "number": number}
    return json.dumps(entry, separators=(",", ":")).encode()
