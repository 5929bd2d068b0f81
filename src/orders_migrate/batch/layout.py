"""What a run reads and writes, worked out from its configuration before anything is touched: the inputs,
the output file or folder (one file per input), the rejects and reports files, the checkpoint beside them
and the locks guarding them, and every usage error a command can have in those."""

from __future__ import annotations

import os
from pathlib import Path as FsPath

from ..outfiles import UsageError, display_name, is_stream, refuse_overwrites, write_target
from ..sinks import JSON, LINES, partial_path
from ..sources import Input, expand_inputs, is_ndjson_name, not_there
from .config import BatchConfig
from .state import journal_target


class Layout:
    """The files of one run. ``UsageError`` (exit 2) for inputs that do not exist, outputs that would
    overwrite an input or each other, and ``--resume`` where there is nothing to resume."""

    def __init__(self, cfg: BatchConfig):
        self.cfg = cfg
        out = cfg.output
        self.out_dir = FsPath(out) if out and (out.endswith(("/", os.sep)) or FsPath(out).is_dir()) else None
        self.inputs: list[Input] = expand_inputs(cfg.files, exclude=self.out_dir)
        for inp in self.inputs:
            missing = not_there(inp)
            if missing is not None:
                raise UsageError(missing)
            if inp.name != "-" and os.path.isdir(inp.name):  # a folder with nothing to convert, like a missing file
                raise UsageError(f"{inp.source}: no .json, .ndjson or .jsonl file in this folder")
        # A device or pipe given as -o is written like stdout: straight, no checkpoint, no resume.
        self.out_stream = bool(out) and self.out_dir is None and is_stream(str(out))
        if cfg.resume and (not out or self.out_stream):
            raise UsageError("--resume needs --output: a run to stdout cannot be resumed")
        if cfg.resume and any(i.name == "-" for i in self.inputs):
            raise UsageError("--resume cannot read stdin again: name the input file")
        self.out_path = write_target(out) if out and self.out_dir is None else None
        self.rejects_path = write_target(cfg.rejects) if cfg.rejects else None
        self.reports_path = write_target(cfg.report_out) if cfg.report_out else None
        if cfg.state and is_stream(cfg.state):
            raise UsageError(f"--state {display_name(cfg.state)}: the state is kept in a file, not a device or pipe")
        self.state_path = write_target(cfg.state) if cfg.state else None
        self.journal_path = journal_target(self.state_path) if self.state_path is not None else None
        self.targets: list[FsPath] = []
        self.checkpoint: FsPath | None = None
        outputs: list[tuple[str, FsPath | str]] = []
        if self.out_dir is not None:
            if self.out_dir.exists() and not self.out_dir.is_dir():
                raise UsageError(f"-o {display_name(str(out))}: {display_name(str(self.out_dir))} is a file, not a folder")
            if any(i.name == "-" for i in self.inputs):
                raise UsageError("an output folder needs named input files, not stdin")
            self.targets = [write_target(self.out_dir / i.rel) for i in self.inputs]
            shown = display_name(str(out))
            outputs += [(f"-o {shown} (as {display_name(str(t))})", t) for t in self.targets]
            self.checkpoint = self.out_dir / ".orders-migrate.checkpoint"
        elif self.out_path is not None:
            outputs.append((f"-o {display_name(str(out))}", str(out)))
            self.checkpoint = None if self.out_stream else beside(self.out_path, "checkpoint")
        if cfg.rejects:
            outputs.append((f"--rejects {display_name(cfg.rejects)}", cfg.rejects))
        if cfg.report_out:
            outputs.append((f"--report-out {display_name(cfg.report_out)}", cfg.report_out))
        if cfg.state:
            outputs.append((f"--state {display_name(cfg.state)}", cfg.state))
        refuse_overwrites([i.name for i in self.inputs], outputs)
        if self.out_dir is not None:
            seen: dict[FsPath, str] = {}
            for inp, target in zip(self.inputs, self.targets, strict=True):
                if target in seen:
                    raise UsageError(f"{inp.source} and {seen[target]} would both be written to {display_name(str(target))}")
                seen[target] = inp.source

    def guarded(self) -> list[tuple[FsPath, str]]:
        """One lock per output (a folder has one for all of it), and what it guards."""
        guarded: list[tuple[FsPath, str]] = []
        if self.out_dir is not None:
            guarded.append((self.out_dir / ".orders-migrate.lock", str(self.out_dir)))
        for path in (self.out_path, self.rejects_path, self.reports_path, self.state_path):
            if path is not None and not is_stream(path):
                guarded.append((beside(path, "lock"), str(path)))
        return guarded

    def doc_mode(self, index: int) -> str:
        """Folder output mirrors each input: NDJSON stays NDJSON, a JSON document stays one."""
        if self.cfg.fmt == "ndjson":
            return LINES
        if self.cfg.fmt == "json":
            return JSON
        return LINES if is_ndjson_name(self.inputs[index].name) else JSON

    def pretty(self) -> list[bool]:
        """Which inputs' orders go to a JSON document (indented) rather than to NDJSON lines."""
        if self.out_dir is not None:
            return [self.doc_mode(i) == JSON for i in range(len(self.inputs))]
        return [self.cfg.fmt == "json"] * len(self.inputs)

    def clear_partials(self) -> None:
        """A fresh run: partial files of an abandoned earlier run are stale (the lock says no run owns them)."""
        names = [self.rejects_path, self.reports_path, self.out_path, self.journal_path]
        targets = [n for n in names if n is not None] + (self.targets if self.out_dir is not None else [])
        for target in targets:
            if not is_stream(target):
                partial_path(target).unlink(missing_ok=True)


def beside(target: FsPath, what: str) -> FsPath:
    """The run's own file beside an output: ``.NAME.checkpoint``, ``.NAME.lock``."""
    return target.with_name(f".{target.name}.{what}")
