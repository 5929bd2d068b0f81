"""Convert a dask Bag of stored orders on a cluster: ``convert_bag(bag, ...)``. Needs the ``dask`` extra.

Each partition is converted by ``partition.convert_partition``, the function a batch run's workers use,
so the orders come out as the lines ``orders-migrate convert -o out.ndjson`` writes. The plan and the
options travel to the workers once, as one task every partition depends on (a custom plan pickles as its
table's text and is compiled once per worker process).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import dask.bag as db
from dask.delayed import delayed

from .engine import Plan
from .money import DEFAULT_LOCALE
from .partition import convert_partition, partition_options
from .report import Validation


@dataclass(frozen=True)
class BagConversion:
    """The lazy outcome of ``convert_bag``: ``results`` holds one ``PartitionResult`` a record;
    ``orders``, ``reports``, ``rejects`` and ``errors`` are Bags of the lines a batch run writes to
    ``-o``, ``--report-out``, ``--rejects`` and stderr. Compute them together (``dask.compute``) to
    convert once."""

    results: db.Bag

    @property
    def orders(self) -> db.Bag:
        return self._lines("order")

    @property
    def reports(self) -> db.Bag:
        return self._lines("report")

    @property
    def rejects(self) -> db.Bag:
        return self._lines("reject")

    @property
    def errors(self) -> db.Bag:
        return self._lines("errors")

    def _lines(self, field: str) -> db.Bag:
        # Each is absent (None, or "" for errors) on the results that have none, never empty when present.
        return self.results.map(attrgetter(field)).filter(bool)


def convert_bag(
    bag: db.Bag,
    *,
    locale: str = DEFAULT_LOCALE,
    validate: Validation = True,
    strict: bool = False,
    kind: str | None = None,
    public_key: str | None = None,
    plan: Plan | None = None,
    reports: bool = False,
    rejects: bool = False,
    source: str = "bag",
) -> BagConversion:
    """Convert a Bag of NDJSON lines (``db.read_text(...)``: bytes or text) or of parsed payloads (dicts).

    A record that cannot be converted is a failed result (``errors``, and ``rejects`` when asked for),
    never a failed task. Records are named ``<source> partition N`` and numbered within their partition.
    """
    options = delayed(
        partition_options(
            locale=locale,
            validate=validate,
            strict=strict,
            kind=kind,
            public_key=public_key,
            plan=plan,
            reports=reports,
            rejects=rejects,
        ),
        pure=True,
    )
    convert = delayed(convert_partition, pure=True)
    parts = [convert(part, options, f"{source} partition {n}") for n, part in enumerate(bag.to_delayed())]
    return BagConversion(db.from_delayed(parts))
