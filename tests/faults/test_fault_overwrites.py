"""Every command that writes a file refuses, with exit 2 and before writing anything, an output that is
one of its inputs (by path, through a symlink, as a hard link, inside an output folder) or another of its
outputs."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import cli, convert, listing, orders, write_ndjson

from orders_migrate.run import run_query

QUERY = b'{"query": {"filter": "{\\"paymentStatus\\": \\"PAID\\"}", "paging": {"limit": 10}}}\n'


def _inputs(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    write_ndjson(src / "a.ndjson", orders(3), bad_every=2)
    write_ndjson(src / "b.ndjson", orders(2, start=3))
    return src


# Each case: the arguments of run_convert, given the input folder; all must be refused.
CASES: dict[str, Callable[[Path], tuple[list[Path], dict[str, str]]]] = {
    "-o is the input": lambda d: ([d / "a.ndjson"], {"output": str(d / "a.ndjson")}),
    "-o is the input, spelt another way": lambda d: ([d / "a.ndjson"], {"output": f"{d}/../in/./a.ndjson"}),
    "-o is a symlink to the input": lambda d: ([d / "a.ndjson"], {"output": str(d / "link.ndjson")}),
    "-o is a hard link of the input": lambda d: ([d / "a.ndjson"], {"output": str(d / "hard.ndjson")}),
    "-o folder/ is the input folder": lambda d: ([d], {"output": f"{d}/"}),
    "-o folder is the input folder": lambda d: ([d], {"output": str(d)}),
    "-o folder/ holds an input file it would overwrite": lambda d: ([d / "a.ndjson"], {"output": f"{d}/"}),
    "--rejects is the input": lambda d: ([d / "a.ndjson"], {"output": str(d / "out.ndjson"), "rejects": str(d / "a.ndjson")}),
    "--rejects to stdout's run is a link of the input": lambda d: ([d / "a.ndjson"], {"rejects": str(d / "link.ndjson")}),
    "--report-out is the second input": lambda d: ([d / "a.ndjson", d / "b.ndjson"], {"report_out": str(d / "b.ndjson")}),
    "--rejects is -o": lambda d: ([d / "a.ndjson"], {"output": str(d / "x.ndjson"), "rejects": str(d / "x.ndjson")}),
    "--report-out is -o": lambda d: ([d / "a.ndjson"], {"output": str(d / "x.ndjson"), "report_out": str(d / "x.ndjson")}),
    "--rejects is --report-out": lambda d: (
        [d / "a.ndjson"],
        {"output": str(d / "x.ndjson"), "rejects": str(d / "r.ndjson"), "report_out": str(d / "r.ndjson")},
    ),
    "--rejects is a hard link of -o": lambda d: (
        [d / "a.ndjson"],
        {"output": str(d / "old-out.ndjson"), "rejects": str(d / "old-out-link.ndjson")},
    ),
    "--rejects is a file of the -o folder": lambda d: (
        [d / "a.ndjson"],
        {"output": f"{d.parent}/out/", "rejects": f"{d.parent}/out/a.ndjson"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_convert_refuses_to_overwrite_an_input_or_another_output(tmp_path: Path, case: str) -> None:
    src = _inputs(tmp_path)
    (src / "link.ndjson").symlink_to(src / "a.ndjson")
    os.link(src / "a.ndjson", src / "hard.ndjson")
    (src / "old-out.ndjson").write_text("an earlier output\n")
    os.link(src / "old-out.ndjson", src / "old-out-link.ndjson")
    files, options = CASES[case](src)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    names = listing(tmp_path)

    code, out, err = convert(*files, **options)

    assert code == 2, err
    assert err.startswith("orders-migrate: ") and err.count("\n") == 1, err
    assert "would overwrite" in err or "are the same file" in err
    assert out == b""
    assert listing(tmp_path) == names  # nothing written: no output, partial, checkpoint or lock
    assert {p: p.read_bytes() for p in before} == before


def test_the_message_names_the_input_and_the_option(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    code, _, err = convert(src / "a.ndjson", output=str(src / "a.ndjson"))
    assert code == 2
    assert (
        err == f"orders-migrate: -o {src / 'a.ndjson'} would overwrite its input {src / 'a.ndjson'}; write the output elsewhere\n"
    )
    code, _, err = convert(src / "a.ndjson", output=str(tmp_path / "x.ndjson"), rejects=str(tmp_path / "x.ndjson"))
    assert code == 2
    assert (
        err
        == f"orders-migrate: -o {tmp_path / 'x.ndjson'} and --rejects {tmp_path / 'x.ndjson'} are the same file: one would overwrite the other\n"
    )


def test_the_cli_refuses_the_same_way(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    before = (src / "a.ndjson").read_bytes()
    proc = cli("convert", str(src / "a.ndjson"), "-o", str(src / "a.ndjson"))
    assert proc.returncode == 2
    assert b"would overwrite its input" in proc.stderr and b"Traceback" not in proc.stderr
    assert (src / "a.ndjson").read_bytes() == before
    proc = cli("convert", str(src), "-o", f"{src}/")
    assert proc.returncode == 2
    assert (src / "a.ndjson").read_bytes() == before


def test_an_output_folder_inside_the_input_folder_is_still_allowed(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    code, _, err = convert(src, output=f"{src}/converted/")
    assert code == 1, err  # one bad order in a.ndjson
    assert sorted(p.name for p in (src / "converted").iterdir()) == ["a.ndjson", "b.ndjson"]
    code, _, err = convert(src, output=f"{src}/converted/")  # again: the output folder is not read back
    assert code == 1, err


def test_an_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    (tmp_path / "rejects").mkdir()
    code, _, err = convert(src / "a.ndjson", output=str(tmp_path / "o.ndjson"), rejects=str(tmp_path / "rejects"))
    assert code == 2
    assert err == f"orders-migrate: --rejects {tmp_path / 'rejects'} is a folder, not a file\n"
    assert listing(tmp_path / "rejects") == []


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_query_refuses_to_overwrite_its_input(tmp_path: Path, how: str) -> None:
    src = tmp_path / "saved.json"
    src.write_bytes(QUERY)
    target = {"same path": src, "symlink": tmp_path / "link.json", "hard link": tmp_path / "hard.json"}[how]
    if how == "symlink":
        target.symlink_to(src)
    elif how == "hard link":
        os.link(src, target)
    err = io.StringIO()
    assert run_query(str(src), str(target), report="none", stderr=err) == 2
    assert "would overwrite its input" in err.getvalue()
    assert src.read_bytes() == QUERY
    assert not list(tmp_path.glob(".*"))  # no temporary file
