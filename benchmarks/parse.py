"""The strict reader alone: ``orders_migrate.loads`` (msgspec, proven) against the standard library's strict
parse it falls back to (``strict_loads``, the reader before), both as a ratio to the orjson load + dump floor.

    python benchmarks/parse.py                 # 6000 orders of run.py's corpus, about 40 s on 2 cores
    python benchmarks/parse.py --orders 1000   # quicker

Each order is read as run.py writes it (compact NDJSON lines), pretty-printed (indent 2, as single-order
files usually are) and with every non-ASCII character a \\u escape (Python's json.dumps default). Best of 5.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import write_corpus  # noqa: E402 - the corpus of run.py, same seed, same orders

from orders_migrate import jsonio  # noqa: E402


def best_us(lines: list[bytes], fn: Callable[[bytes], object], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for line in lines:
            fn(line)
        best = min(best, time.perf_counter() - start)
    return best / len(lines) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=5)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orders-migrate-parse-") as tmp:
        corpus = Path(tmp) / "corpus.ndjson"
        write_corpus(corpus, ns.orders, ns.seed)
        compact = corpus.read_bytes().splitlines()
    numbers_as_written = msgspec.json.Encoder(decimal_format="number").encode
    docs = [jsonio.strict_loads(line) for line in compact]
    pretty = [msgspec.json.format(numbers_as_written(doc), indent=2) for doc in docs]
    escaped = [re.sub(r"[^\x00-\x7f]", lambda m: json.dumps(m.group())[1:-1], p.decode()).encode() for p in pretty]
    print(
        f"{len(compact)} orders, {sum(map(len, compact)) / 1e6:.1f} MB compact, Python {sys.version.split()[0]}, msgspec {msgspec.__version__}"
    )
    for name, lines in (("compact", compact), ("pretty", pretty), ("\\u-escaped", escaped)):
        proven = sum(jsonio._proven(line) is not jsonio._UNPROVEN for line in lines)
        floor = best_us(lines, lambda line: orjson.dumps(orjson.loads(line)))
        before = best_us(lines, jsonio.strict_loads)
        after = best_us(lines, jsonio.loads)
        print(
            f"{name:>11}: floor {floor:.1f} us/order; strict_loads {before:.1f} us ({before / floor:.2f}x the floor); "
            f"loads {after:.1f} us ({after / floor:.2f}x); {before / after:.2f}x faster; fast path proved {proven}/{len(lines)}"
        )


if __name__ == "__main__":
    main()
