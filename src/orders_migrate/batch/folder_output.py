"""An output folder: one output file per input, each a partial file until a checkpoint has seen it done."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

from ..outfiles import UsageError, display_name
from ..sinks import FileSink, partial_path


class FolderOutput:
    """One output file per input, mirroring the inputs' names inside the output folder."""

    def __init__(self, targets: list[FsPath], modes: list[str]):
        self.targets, self.modes = targets, modes
        self.current: tuple[int, FileSink] | None = None
        # Inputs done, their files still partial: renamed (finish_pending) only once a checkpoint lists
        # them here, so a resumed run knows to finish them rather than look for them as current.
        self.pending: list[tuple[int, FileSink]] = []
        self.failed: set[int] = set()  # inputs with a failed record, in this run
        self.left_out: set[int] = set()  # inputs with a record --filter left out, in this run

    def _sink(self, index: int) -> FileSink:
        if self.current is None or self.current[0] != index:
            self.current = (index, FileSink(self.targets[index], self.modes[index]))
        return self.current[1]

    def add(self, index: int, item: bytes) -> None:
        self._sink(index).add(item)

    def end(self, index: int) -> None:
        if (self.current is None or self.current[0] != index) and (index in self.failed or index in self.left_out):
            return  # nothing of this input converted: no output file (the errors, or --filter, say why)
        self.pending.append((index, self._sink(index)))
        self.current = None

    def flush(self, sync: bool) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.flush(sync)

    def state(self) -> dict[str, Any]:
        current = None if self.current is None else {"input": self.current[0], **self.current[1].state()}
        return {"current": current, "pending": [{"input": i, **s.state()} for i, s in self.pending]}

    def restore(self, state: dict[str, Any]) -> None:
        for entry in state["pending"]:
            target = self.targets[entry["input"]]
            if partial_path(target).exists():
                FileSink(target, self.modes[entry["input"]], entry).finish(single_ok=False)
        current = state["current"]
        if current is not None:
            index = current["input"]
            if not partial_path(self.targets[index]).exists():
                raise UsageError(f"cannot resume: {partial_path(self.targets[index])} is missing")
            check_partial(self.targets[index], current)
            self.current = (index, FileSink(self.targets[index], self.modes[index], current))

    def finish_pending(self) -> None:
        for _, sink in self.pending:
            sink.finish(single_ok=False)
        self.pending.clear()

    def close(self) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.close()

    def discard(self) -> None:
        for _, sink in self.pending + ([self.current] if self.current else []):
            sink.discard()


def check_partial(target: FsPath, state: dict[str, Any]) -> None:
    if partial_path(target).stat().st_size < int(state["size"]):
        raise UsageError(f"cannot resume: {display_name(str(partial_path(target)))} is shorter than its checkpoint says")
