"""Batch conversion at scale: inputs streamed in chunks, chunks converted by worker processes and written
back in input order, outputs built in partial files that a checkpoint commits every few MB of input or
seconds, so a run killed part-way continues with ``resume=True`` and ends byte for byte as an
uninterrupted run would. Workers parse, convert and serialise; the parent only reads lines, writes bytes
and keeps the checkpoint.

``config`` (BatchConfig, sizes, cadences, exit codes) -> ``layout`` (the run's files) -> ``chunks`` (a
chunk's records converted, in a worker) -> ``workers`` (the processes, results in order) -> ``outputs``
and ``folder_output`` (where results go) -> ``checkpoint`` (commit points, resume checks) -> ``summary``;
``driver`` runs it all (``run_batch``).
"""
