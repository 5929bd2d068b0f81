"""The commands behind the CLI: each takes plain arguments and returns an exit code (0, 1, 2 usage)."""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING

import orjson

from .batch.config import CHECKPOINT_BYTES, CHUNK_RECORDS, EXIT_SIGPIPE, BatchConfig
from .jsonio import dumps
from .order_filter import OrderFilter
from .outfiles import UsageError, WriteError, display_name, refuse_overwrites, write_atomically, write_out
from .reader import read_bytes
from .report import ConversionError, Report, Validation

if TYPE_CHECKING:
    from .engine.plan import Plan

# Each command imports what only it needs when it runs (the batch driver, the query translator, the
# Markdown renderer), so `check one.json` or `query q.json` starts without building the rest.

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


def _error(stream: IO[str], where: str, path: str, message: str) -> None:
    stream.write(f"{where}::{path}: {message}\n")


def run_convert(
    files: list[str],
    output: str | None = None,
    report: str = "auto",
    report_out: str | None = None,
    fmt: str = "auto",
    locale: str = "en_US",
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
    rejects: str | None = None,
    validate: Validation = True,
    jobs: int | None = None,
    resume: bool = False,
    chunk_records: int = CHUNK_RECORDS,
    checkpoint_bytes: int = CHECKPOINT_BYTES,
    plan: Plan | None = None,
    quiet: bool = False,
    order_filter: OrderFilter | None = None,
    companions: bool = False,
    crosswalk: bool = False,
    state: str | None = None,
) -> int:
    """Convert every record of every input; keep going past bad records; exit 1 if any failed.

    ``report``: ``auto`` prints one order's report entries, and for a batch only the closing summary;
    ``text`` every order's entries; ``json`` one JSON document; ``none`` the summary alone. ``quiet``
    prints nothing but the errors of failed records.

    Inputs stream (NDJSON line by line) through ``jobs`` worker processes (default: one per core) and come
    out in input order. Every converted order is validated against the eCommerce model (``invalid`` report
    entries) unless ``validate`` is off; with ``strict`` (which always validates) a record whose input or output fails its schema is a failed record instead.
    With ``output`` a file (or a folder: one file per input), the run keeps a checkpoint beside it and
    ``resume`` continues a killed run from there. ``plan``: a user's own table (it travels to the workers
    as its text). ``checkpoint_bytes``: input between two checkpoints (0: after every chunk; for tests that crash
    runs at many checkpoints). ``order_filter``: only the Stores orders it matches (``--filter``).
    ``companions``: each order is written as ``{"order", "orderWithFulfillments", "orderTransactions"}``
    (the last two when the order has something for them). ``crosswalk``: one order per id across the
    inputs, the newest by its last update, duplicates and shared numbers reported (``batch.crosswalk``).
    ``state``: a file remembering each converted order's content, so a later run converts only new and
    changed orders (``batch.state``; implies ``crosswalk``). See ``batch.driver.run_batch``."""
    cfg = BatchConfig(
        files,
        None if output == "-" else output,  # -o - is stdout, as for every Unix tool
        "none" if quiet else report,
        report_out,
        fmt,
        locale,
        strict,
        kind,
        public_key,
        rejects=rejects,
        jobs=jobs if jobs is not None else default_jobs(),
        resume=resume,
        chunk_records=chunk_records,
        checkpoint_bytes=checkpoint_bytes,
        validate=validate,
        plan=plan,
        quiet=quiet,
        order_filter=order_filter,
        companions=companions,
        crosswalk=crosswalk or state is not None,
        state=state,
    )
    from .batch.driver import run_batch

    return run_batch(cfg, stdout, stderr)


def default_jobs() -> int:
    """One worker per core this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return max(1, os.cpu_count() or 1)


def run_mappings(stream: IO[str] | None = None, plan: Plan | None = None, code: bool = False) -> int:
    """Print the table as Markdown, or (``code``) the Python generated from it, scope by scope."""
    if plan is None:
        from .engine.compile import default_plan  # the other commands build the plan where they need it

        plan = default_plan()
    if not code:
        from .render import mappings_markdown

        text = mappings_markdown(plan.table)
    else:
        text = "".join(f"# ==== {name} ====\n{source}\n" for name, source in plan.source().items())
    return _print(text, stream)


def _print(text: str, stream: IO[str] | None) -> int:
    """Write a command's whole output; a reader that stopped early (``| head``) ends it quietly, exit 141."""
    if stream is not None:
        stream.write(text)
        return EXIT_OK
    return EXIT_OK if write_out(sys.stdout.buffer, text.encode("utf-8"), ours=True) else EXIT_SIGPIPE


def run_schema(name: str, stream: IO[str] | None = None) -> int:
    """Print the JSON Schema of the Stores (input) or eCommerce (output) order model, or of a companion
    ``convert --companions`` writes beside the order (``order-with-fulfillments``, ``order-transactions``)."""
    from .models.validate import PRINTED_SCHEMAS, json_schema

    if name not in PRINTED_SCHEMAS:
        sys.stderr.write(f"orders-migrate: unknown schema {name!r}: expected one of {', '.join(PRINTED_SCHEMAS)}\n")
        return EXIT_USAGE
    text = orjson.dumps(json_schema(name), option=orjson.OPT_INDENT_2).decode()
    return _print(text + "\n", stream)


def run_check(
    files: list[str],
    fix: bool = False,
    locale: str = "en_US",
    stream: IO[str] | None = None,
    plan: Plan | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Exit 1 when a file holds Stores orders or invalid eCommerce orders (or when ``fix`` rewrote one);
    2, before checking any, when a file named does not exist (as every other command)."""
    from .check import check_file, iter_files, summary

    for name in files:
        if not os.path.exists(name):
            (stderr or sys.stderr).write(f"orders-migrate: {display_name(name)}: no such file\n")
            return EXIT_USAGE
    out = stream or sys.stdout
    results = []
    for name in iter_files(files):
        result = check_file(name, fix=fix, locale=locale, plan=plan)
        results.append(result)
        for finding in result.findings:
            out.write(f"{finding}\n")
        if result.fixed:
            out.write(f"{name}: fixed: {result.converted} Stores order(s) or webhook(s) converted\n")
    failed = any(r.findings or r.fixed for r in results)
    if failed:
        out.write(f"orders-migrate check: {summary(results)}\n")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_query(
    file: str,
    output: str | None = None,
    report: str = "text",
    strict: bool = False,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
    plan: Plan | None = None,
) -> int:
    """Translate one saved Stores Query Orders body into an eCommerce Search Orders body; report on stderr.
    ``plan``: a user's own table, whose ``search`` rows say what each field becomes."""
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    source = "<stdin>" if file == "-" else display_name(file)
    output = None if output == "-" else output  # -o - is stdout, as for convert
    try:
        if file != "-" and not os.path.exists(file):
            raise UsageError(f"{source}: no such file")
        if output:
            refuse_overwrites([file], [(f"-o {display_name(output)}", output)])
    except UsageError as exc:
        err.write(f"orders-migrate: {exc}\n")
        return EXIT_USAGE
    try:
        data = read_bytes(file)
    except OSError as exc:
        _error(err, source, "$", f"cannot read: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    from .query.fields import build_query_fields
    from .query.translate import load_query, query_report_text, translate_query

    try:
        fields = build_query_fields(plan.table) if plan is not None else None
        translation = translate_query(load_query(data), source, fields)
    except ConversionError as exc:
        for p in exc.problems:
            _error(err, source, p.path, p.message)
        return EXIT_BAD_INPUT
    body = dumps(translation.request, option=orjson.OPT_INDENT_2) + b"\n"  # exact numbers as they were read
    try:
        if output:
            write_atomically(output, body)
        elif not write_out(out_stream, body, ours=stdout is None):
            return EXIT_SIGPIPE
    except (OSError, WriteError) as exc:
        failed = exc if isinstance(exc, WriteError) else WriteError("<stdout>", exc)
        err.write(f"orders-migrate: {failed}\n")
        return EXIT_BAD_INPUT
    if report == "json":
        err.write(orjson.dumps(translation.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif report == "text":
        query_report_text(translation, err)
    if strict and not translation.exact:
        err.write("orders-migrate query --strict: the translation is not exact (see the report)\n")
        return EXIT_BAD_INPUT
    return EXIT_OK


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_USAGE",
    "Report",
    "run_check",
    "run_convert",
    "run_mappings",
    "run_query",
    "run_schema",
]
