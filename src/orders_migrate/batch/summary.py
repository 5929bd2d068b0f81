"""The closing words of a run on stderr: the one order's report held back until the end, the batch
summary (counts, report kinds, calls to plan, the versions that shaped the output), and the exit code."""

from __future__ import annotations

from typing import Any

import orjson

from ..progress import Stats, print_summary
from ..report import Entry, Report
from ..versions import data_versions, describe_versions
from .config import EXIT_BAD_INPUT, EXIT_OK, BatchConfig
from .outputs import Outputs


def close_run(outputs: Outputs, stats: Stats, cfg: BatchConfig) -> int:
    """Finish what stderr shows of a run that went to its end; its exit code (1 if a record failed)."""
    err = outputs.stderr
    if outputs.json_reports is not None and outputs.json_reports.count:
        outputs.json_reports.finish(single_ok=True)
        outputs.json_reports = None
    if outputs.held_report is not None:
        from ..render import report_text  # rich, for one order's report: a batch's own runs never need it

        report_text([_report_from_dict(orjson.loads(outputs.held_report[1]))], err)
    summary = stats.records > 1 and cfg.report != "json" and not cfg.quiet
    if summary:  # its first line counts the rejected records: one closing line, not two
        table_text = cfg.plan.table.text if cfg.plan is not None else None
        print_summary(stats, err, cfg.rejects, describe_versions(data_versions(table_text)))
    elif stats.failed and cfg.report != "json" and not cfg.quiet:  # the JSON document holds each failure
        err.write(f"{stats.failed} record(s) failed, {stats.converted} converted\n")
    err.flush()
    return EXIT_BAD_INPUT if stats.failed else EXIT_OK


def _report_from_dict(doc: dict[str, Any]) -> Report:
    entries = [Entry(e["kind"], e["path"], e["message"], e.get("row"), e.get("fetch")) for e in doc.get("entries", [])]
    return Report(doc["payloadKind"], doc.get("orderId"), doc.get("source"), entries, doc.get("dialect"), doc.get("verified"))
