"""The plan cache (engine/cache.py) saves time and nothing else: a second process reads the parse and
the compiled code the first one kept, with the same outputs; a damaged, foreign or unwritable cache is a
miss; a changed table or code text is a new entry; ``off`` keeps nothing."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_migrate.engine import cache

ROOT = Path(__file__).resolve().parents[1]
ORDER = ROOT / "fixtures" / "stores" / "coupon_partially_fulfilled.json"

# A fresh process converting one fixture: its output, its report and how many entries the cache holds.
CHILD = (
    "import json, sys; from orders_migrate import convert_order; "
    "c = convert_order(json.load(open(sys.argv[1])), validate=True); "
    "print(json.dumps([c.order, c.report.to_dict()], sort_keys=True))"
)


def _run(folder: str) -> str:
    env = {**os.environ, "ORDERS_MIGRATE_CACHE": folder}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ORDER)], capture_output=True, check=True, timeout=120, env=env)
    return proc.stdout.decode()


def test_a_second_process_reads_what_the_first_kept_with_the_same_output(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _run(str(folder))
    kept = sorted(p.name for p in folder.iterdir())
    assert any(n.startswith("table-") for n in kept) and sum(n.startswith("code-") for n in kept) > 10
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert _run(str(folder)) == first
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps  # read, not written again
    assert _run("off") == first
    assert json.loads(first)[1]["payloadKind"] == "stores_order"


def test_a_process_that_finds_the_parse_kept_never_imports_pyyaml(tmp_path: Path) -> None:
    env = {**os.environ, "ORDERS_MIGRATE_CACHE": str(tmp_path / "cache")}
    code = "import sys; from orders_migrate import default_plan; default_plan(); print('yaml' in sys.modules)"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120, env=env, text=True)]
    runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120, env=env, text=True))
    assert [r.stdout.strip() for r in runs] == ["True", "False"]  # parsed by the first, read back by the second


def test_the_parse_is_kept_under_what_it_is_made_with() -> None:
    from orders_migrate.engine import table

    made = table._made_by()
    assert b"__version__" in made[0]  # PyYAML's own __init__.py: a new version is a new key
    import yaml

    libyaml = sorted(p.name for p in Path(yaml.__file__).parent.iterdir() if p.name.startswith("_yaml"))
    assert made[1].decode().split("\n") == libyaml and (hasattr(yaml, "CSafeLoader") == bool(libyaml))
    assert made[2] == (ROOT / "src" / "orders_migrate" / "engine" / "yaml_loader.py").read_bytes()


def test_damaged_or_foreign_entries_are_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _run(str(folder))
    entries = sorted(folder.iterdir())
    entries[0].write_bytes(entries[0].read_bytes()[:-40])  # cut short
    entries[1].write_bytes(b"not ours at all")
    entries[2].write_bytes(entries[2].read_bytes()[:60] + b"\x00" * 64)  # our header, damaged body
    assert _run(str(folder)) == first
    assert entries[1].read_bytes().startswith(b"orders-migrate cache")  # written again, whole


def test_an_unwritable_cache_is_only_a_miss(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert _run(str(blocker / "cache")) == _run("off")  # its parent is a file: nothing can be kept there


def test_a_folder_others_may_write_in_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_MIGRATE_CACHE", str(tmp_path))
    assert cache.cached("code", ("k",), lambda: "made") == "made"
    (entry,) = tmp_path.iterdir()
    header = entry.read_bytes().split(b"\n", 2)
    entry.write_bytes(header[0] + b"\n" + header[1] + b"\n" + marshal.dumps("planted"))
    assert cache.cached("code", ("k",), lambda: "made again") == "planted"  # the user's own folder: read
    tmp_path.chmod(0o777)
    try:
        assert cache.cached("code", ("k",), lambda: "made again") == "made again"
    finally:
        tmp_path.chmod(0o700)


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_MIGRATE_CACHE", "off")
    assert cache.folder() is None
    assert cache.cached("code", ("x",), lambda: 41 + 1) == 42
    monkeypatch.delenv("ORDERS_MIGRATE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.folder() == tmp_path / "orders-migrate"


@given(st.lists(st.text(max_size=5), max_size=4), st.lists(st.text(max_size=5), max_size=4))
def test_different_inputs_never_share_an_entry(a: list[str], b: list[str]) -> None:
    assert (cache._key("code", tuple(a)) == cache._key("code", tuple(b))) == (a == b)


def test_a_value_marshal_cannot_write_is_made_and_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    monkeypatch.setenv("ORDERS_MIGRATE_CACHE", str(tmp_path))
    day = datetime.date(2026, 12, 1)
    assert cache.cached("table", ("dated",), lambda: {"when": day}) == {"when": day}
    assert list(tmp_path.iterdir()) == []


def test_what_make_raises_is_raised_and_nothing_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_MIGRATE_CACHE", str(tmp_path))

    def fails() -> int:
        raise SyntaxError("bad")

    with pytest.raises(SyntaxError):
        cache.cached("code", ("broken",), fails)
    assert list(tmp_path.iterdir()) == []
