"""The id crosswalk of a batch (issue 13, item 15): with ``--crosswalk`` the same order id read twice with
other content is converted once, the newest by ``lastUpdated`` (Velo: ``_updatedDate``) wherever it comes,
the other reported with both positions; identical copies are written once; two orders with one
``number`` are reported. The same with ``--jobs 2``, over several files, folders and documents, and
through a ``kill -9`` and ``--resume``."""

from __future__ import annotations

import copy
import json
import random
import signal
from pathlib import Path
from typing import Any

import pytest
from faultkit import cli, convert, digest, listing, orders, write_ndjson

from conftest import FIXTURES, load_json
from orders_migrate.batch.config import KILL_AFTER_ENV

EXAMPLE = FIXTURES / "stores" / "coupon_partially_fulfilled.json"
VELO = FIXTURES / "stores" / "velo_order_paid.json"


def order(order_id: str, number: int, updated: str, note: str = "") -> dict[str, Any]:
    doc = load_json(EXAMPLE)
    doc.update(id=order_id, number=number, lastUpdated=updated, buyerNote=note or f"{order_id} at {updated}")
    return doc


def out_notes(data: bytes) -> list[tuple[str, str]]:
    return [(o["id"], o["buyerNote"]) for o in map(json.loads, data.splitlines())]


@pytest.mark.parametrize("newer_first", [False, True])
def test_the_newest_version_wins_wherever_it_comes(tmp_path: Path, newer_first: bool) -> None:
    old, new = order("A", 1, "2024-01-01T00:00:00Z", "old"), order("A", 1, "2024-02-01T00:00:00.000Z", "new")
    first, second = (new, old) if newer_first else (old, new)
    src = write_ndjson(tmp_path / "in.ndjson", [first, order("B", 2, "2024-01-05T00:00:00Z"), second])
    code, out, err = convert(src, crosswalk=True, report="auto")
    assert code == 0, err
    assert out_notes(out) == (
        [("A", "new"), ("B", "B at 2024-01-05T00:00:00Z")] if newer_first else [("B", "B at 2024-01-05T00:00:00Z"), ("A", "new")]
    )
    lost, kept = (3, 1) if newer_first else (1, 3)
    assert (
        f"{src}:{lost}::$: order A is also at {src}:{kept} with other content (last updated "
        "2024-02-01T00:00:00.000Z, not 2024-01-01T00:00:00Z): this version is left out\n"
    ) in err
    assert "3 records in, 2 converted, 0 rejected, 1 older version left out\n" in err


def test_without_crosswalk_both_versions_are_converted(tmp_path: Path) -> None:
    old, new = order("A", 1, "2024-01-01T00:00:00Z", "old"), order("A", 1, "2024-02-01T00:00:00Z", "new")
    src = write_ndjson(tmp_path / "in.ndjson", [old, new])
    code, out, err = convert(src)
    assert code == 0 and out_notes(out) == [("A", "old"), ("A", "new")]


def test_identical_copies_across_files_are_written_once(tmp_path: Path) -> None:
    batch = [order(f"O{i}", i, "2024-01-01T00:00:00Z") for i in range(3)]
    one = write_ndjson(tmp_path / "one.ndjson", batch)
    # The same export taken again: the same orders, keys in another order, and one new.
    again = [dict(reversed(list(o.items()))) for o in batch[1:]] + [order("O9", 9, "2024-01-02T00:00:00Z")]
    two = write_ndjson(tmp_path / "two.ndjson", again)
    code, out, err = convert(one, two, crosswalk=True, report="auto")
    assert code == 0, err
    assert [o["id"] for o in map(json.loads, out.splitlines())] == ["O0", "O1", "O2", "O9"]
    assert f"{two}:1::$: order O1 repeats {one}:2 identically: written once\n" in err
    assert f"{two}:2::$: order O2 repeats {one}:3 identically: written once\n" in err
    assert "6 records in, 4 converted, 0 rejected, 2 identical duplicates left out\n" in err


def test_two_orders_with_one_number_are_both_converted_and_reported(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", [order("A", 7, "2024-01-01T00:00:00Z"), order("B", 7, "2024-01-01T00:00:00Z")])
    code, out, err = convert(src, crosswalk=True, report="auto")
    assert code == 0, err
    assert [o["id"] for o in map(json.loads, out.splitlines())] == ["A", "B"]
    assert f"{src}:2::$: order B has number 7, as order A at {src}:1: two orders, one number\n" in err
    assert "1 order with another order's number\n" in err


def test_velo_updated_date_and_document_positions(tmp_path: Path) -> None:
    """A Velo order's ``_updatedDate`` is its lastUpdated; a record inside a Query Orders response is named
    by its path there."""
    velo = load_json(VELO)
    rest = copy.deepcopy(load_json(FIXTURES / "stores" / "rest_twin_of_velo_order_paid.json"))
    rest["lastUpdated"] = "2020-05-27T12:20:37.993Z"  # a millisecond older than the Velo copy
    doc = tmp_path / "query.json"
    doc.write_text(json.dumps({"orders": [rest, order("B", 2, "2024-01-01T00:00:00Z")]}))
    velo_file = tmp_path / "velo.json"
    velo_file.write_text(json.dumps(velo))
    code, out, err = convert(doc, velo_file, crosswalk=True, report="auto")
    assert code == 0, err
    ids = [json.loads(line).get("id") for line in out.splitlines()]
    assert ids == ["B", velo["_id"]]
    assert (
        f"{doc}::$.orders[0]: order {velo['_id']} is also at {velo_file} with other content (last updated "
        "2020-05-27T12:20:37.994Z, not 2020-05-27T12:20:37.993Z): this version is left out\n"
    ) in err


def test_equal_instants_keep_the_one_read_last(tmp_path: Path) -> None:
    src = write_ndjson(
        tmp_path / "in.ndjson", [order("A", 1, "2024-01-01T00:00:00Z", "x"), order("A", 1, "2024-01-01T00:00:00Z", "y")]
    )
    code, out, err = convert(src, crosswalk=True, report="auto", fmt="ndjson")
    assert out_notes(out) == [("A", "y")]
    assert "(both last updated 2024-01-01T00:00:00Z; the one read last is kept)" in err


def test_a_folder_input_left_out_whole_gets_no_file(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    write_ndjson(exports / "a.ndjson", [order("A", 1, "2024-02-01T00:00:00Z")])
    write_ndjson(exports / "b.ndjson", [order("A", 1, "2024-01-01T00:00:00Z")])
    code, _, err = convert(exports, output=str(tmp_path / "out") + "/", crosswalk=True)
    assert code == 0, err
    assert listing(tmp_path / "out") == ["a.ndjson"]


def test_notices_sit_inside_the_json_report(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "in.ndjson", [order("A", 1, "2024-01-01T00:00:00Z"), order("A", 1, "2024-01-01T00:00:00Z")])
    code, _, err = convert(src, crosswalk=True, report="json")
    doc = json.loads(err)  # stderr is one JSON document
    notices = [e for e in doc if "notice" in e]
    assert notices == [
        {"source": str(src), "line": 2, "path": "$", "notice": f"order A repeats {src}:1 identically: written once"}
    ]


BIG = 1200


def _batch(root: Path) -> Path:
    """Orders with unique ids, a third of them repeated later with an update, a tenth repeated as they were."""
    base = orders(BIG)
    for i, o in enumerate(base):
        velo = "_id" in o  # the Velo fixtures: their dialect's names for the same fields
        o.update({"_id" if velo else "id": f"order-{i:05d}", "number": 10_000 + i})
        o["_updatedDate" if velo else "lastUpdated"] = "2024-01-01T00:00:00Z"
    later = [copy.deepcopy(o) for o in base[::3]]
    for o in later:
        o["_updatedDate" if "_id" in o else "lastUpdated"] = "2024-03-01T00:00:00Z"
        o["buyerNote"] += " updated"
    same = [copy.deepcopy(o) for o in base[::10]]
    mixed = base + later + same
    random.Random(7).shuffle(mixed)  # noqa: S311 - a seeded, repeatable order
    return write_ndjson(root / "in.ndjson", mixed, bad_every=101)


def _args(src: Path, folder: Path) -> list[str]:
    return [
        "convert", str(src), "-o", str(folder / "out.ndjson"), "--rejects", str(folder / "rejects.ndjson"),
        "--crosswalk", "--report", "none", "--no-validate", "--chunk-size", "50", "--checkpoint-bytes", "0",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    root = tmp_path_factory.mktemp("crosswalk")
    src = _batch(root)
    one = root / "one"
    one.mkdir()
    proc = cli(*_args(src, one), "--jobs", "1")
    assert proc.returncode == 1, proc.stderr  # the bad records
    return src, {n: digest(one / n) for n in ("out.ndjson", "rejects.ndjson")}, proc.stderr.decode()


def test_jobs_two_decides_as_one_job(tmp_path: Path, whole: tuple[Path, dict[str, str], str]) -> None:
    src, expected, err_one = whole
    proc = cli(*_args(src, tmp_path), "--jobs", "2")
    assert proc.returncode == 1
    assert {n: digest(tmp_path / n) for n in expected} == expected
    assert proc.stderr.decode().replace(str(tmp_path), "") == err_one.replace(str(src.parent / "one"), "")
    out = [json.loads(line) for line in (tmp_path / "out.ndjson").read_bytes().splitlines()]
    assert len({o["id"] for o in out}) == len(out) == BIG
    assert sum(o["buyerNote"].endswith(" updated") for o in out) == len(range(0, BIG, 3))
    updated, copied = set(range(0, BIG, 3)), set(range(0, BIG, 10))
    # A copy of an order updated since is an older version too; only the others are identical.
    assert f", {len(copied - updated)} identical duplicates left out, {len(updated) + len(copied & updated)} older" in err_one


@pytest.mark.parametrize("seed", [3, 4])
def test_kill_then_resume_ends_as_an_uninterrupted_run(
    tmp_path: Path, whole: tuple[Path, dict[str, str], str], seed: int
) -> None:
    src, expected, err_one = whole
    at = random.Random(seed).randrange(1, BIG)  # noqa: S311 - a seeded, repeatable kill point
    killed = cli(*_args(src, tmp_path), "--jobs", "2", env={KILL_AFTER_ENV: str(at)})
    assert killed.returncode == -signal.SIGKILL
    resumed = cli(*_args(src, tmp_path), "--jobs", "2", "--resume")
    assert resumed.returncode == 1, resumed.stderr
    assert {n: digest(tmp_path / n) for n in expected} == expected
    assert err_one.splitlines()[-3] in resumed.stderr.decode()  # the summary counts both runs
    assert listing(tmp_path) == ["out.ndjson", "rejects.ndjson"]


def test_resume_refuses_when_the_decisions_would_differ(tmp_path: Path) -> None:
    """An input the killed run had not reached yet now holds a newer version of an order already written:
    resuming would leave both in the output."""
    first = write_ndjson(tmp_path / "a.ndjson", [order(f"O{i}", i, "2024-01-01T00:00:00Z") for i in range(40)])
    second = write_ndjson(tmp_path / "b.ndjson", [order("P", 99, "2024-01-01T00:00:00Z")])
    args = ["convert", str(first), str(second), "-o", str(tmp_path / "out.ndjson"), "--crosswalk", "--report", "none"]
    args += ["--chunk-size", "5", "--checkpoint-bytes", "0", "--jobs", "1"]
    killed = cli(*args, env={KILL_AFTER_ENV: "12"})
    assert killed.returncode == -signal.SIGKILL
    write_ndjson(second, [order("P", 99, "2024-01-01T00:00:00Z"), order("O1", 1, "2024-06-01T00:00:00Z")])
    resumed = cli(*args, "--resume")
    assert resumed.returncode == 2
    assert "cannot resume: the crosswalk's decisions differ" in resumed.stderr.decode()
    assert not (tmp_path / "out.ndjson").exists()


def test_line_item_ids_are_unique_within_an_ecommerce_order_passed_through(tmp_path: Path) -> None:
    """A Stores order's repeated index is refused already (item 11); an eCommerce order passes through, so
    its own ids are checked: reported as invalid, refused under --strict."""
    doc = load_json(FIXTURES / "reference" / "examples" / "ecom_order_3.json")
    doc["lineItems"].append(copy.deepcopy(doc["lineItems"][0]))
    path = tmp_path / "ecom.json"
    path.write_text(json.dumps(doc))
    line_id = doc["lineItems"][0]["id"]
    message = f'not a valid eCommerce order: id "{line_id}" repeats $.lineItems[0].id: line-item ids are unique within an order'
    code, _, err = convert(path, report="text")
    assert code == 0
    assert f"invalid        $.lineItems[1].id: {message}" in err
    code, out, err = convert(path, strict=True)
    assert (code, out) == (1, b"")
    assert f"{path}::$.lineItems[1].id: {message}\n" in err


def test_stdin_says_it_is_not_crosswalked(tmp_path: Path) -> None:
    # Read once, stdin cannot be in the first pass: the run says so instead of letting the flag look applied.
    old, new = order("A", 1, "2024-01-01T00:00:00Z", "old"), order("A", 1, "2024-02-01T00:00:00Z", "new")
    data = write_ndjson(tmp_path / "in.ndjson", [old, new]).read_bytes()
    proc = cli("convert", "-", "--crosswalk", "--report", "none", stdin=data)
    assert proc.returncode == 0
    assert "stdin streams once: its orders are converted without the crosswalk" in proc.stderr.decode()
    assert out_notes(proc.stdout) == [("A", "old"), ("A", "new")]
