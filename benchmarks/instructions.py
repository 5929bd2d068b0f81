"""Instructions per order, counted by valgrind's callgrind: the same on a busy machine as on a quiet one,
so a change's effect on the engine shows even where wall-clock runs are noise.

    python benchmarks/instructions.py                 # about 4 minutes: REST, Velo, Velo in REST form
    python benchmarks/instructions.py --orders 50     # quicker

Each measurement is one process: the corpus of run.py, the plan built and warmed on other orders, the
amount memos emptied, then ``Plan.convert`` of every order of the group inside one ``functools.reduce``
call, the only span callgrind counts (``--toggle-collect=functools_reduce``). It prints instructions per
order for REST orders, Velo orders and the same Velo orders in their REST form (the Velo ratio), and the
floor (orjson load + dump of the same lines) counted the same way. Needs valgrind on PATH; not a test.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402 - the corpus generator beside this script

# The child: what it converts, then the one reduce call callgrind counts.
CHILD = """
import functools, sys
from pathlib import Path
import orjson
from orders_migrate.engine.compile import default_plan
from orders_migrate.engine.context import Ctx
from orders_migrate.jsonio import loads
import orders_migrate.money as money

corpus, group, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lines = corpus.read_bytes().splitlines()
plan = default_plan()
for line in lines[-20:]:  # the plan built and every code path warmed, on orders not counted
    plan.convert(loads(line))
docs = [loads(line) for line in lines[:-20]]
velo = [d for d in docs if "_id" in d]
picked = {
    "rest": [d for d in docs if "_id" not in d],
    "velo": velo,
    "velo-as-rest": [plan.velo.apply(d, Ctx(None, None, {}))[0] for d in velo],
    "floor": lines,
}[group][:count]
money._PARSED.clear()  # every group starts from empty amount memos
for code in {d.get("currency") for d in docs if isinstance(d, dict)}:
    fmt = money.formatter(code) if money.is_currency(code) else None
    if fmt is not None:
        fmt.memo.clear()
if group == "floor":
    functools.reduce(lambda acc, line: orjson.dumps(orjson.loads(line)) and acc, picked, 0)
else:
    functools.reduce(lambda acc, doc: plan.convert(doc) and acc, picked, 0)
print(len(picked))
"""


def count(corpus: Path, group: str, orders: int) -> tuple[int, int]:
    """(instructions counted, orders converted) of one group."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--collect-atstart=no",
        "--toggle-collect=functools_reduce",
        sys.executable,
        "-c",
        CHILD,
        str(corpus),
        group,
        str(orders),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)  # noqa: S603 - our own child
    found = re.search(r"Collected : ([0-9]+)", proc.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{proc.stderr[-2000:]}")
    return int(found.group(1)), int(proc.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100, help="orders counted per group (default 100)")
    parser.add_argument("--seed", type=int, default=5)
    ns = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: these counts need it (apt install valgrind)")
    with tempfile.TemporaryDirectory(prefix="orders-migrate-instructions-") as tmp:
        corpus = Path(tmp) / "corpus.ndjson"
        bench.write_corpus(corpus, max(ns.orders * 12, 600), ns.seed)  # enough Velo orders among them
        per: dict[str, float] = {}
        for group in ("floor", "rest", "velo", "velo-as-rest"):
            instructions, orders = count(corpus, group, ns.orders)
            per[group] = instructions / max(orders, 1)
            print(f"{group}: {per[group]:,.0f} instructions/order ({orders} orders)")
        print(f"REST orders: {per['rest'] / per['floor']:.1f}x the floor's instructions")
        print(f"Velo orders: {per['velo'] / per['velo-as-rest']:.2f}x the same orders in REST form (target: at most 1.5x)")


if __name__ == "__main__":
    main()
