"""The pre-commit hooks as pre-commit runs them: each hook's entry and args, on good and bad example files.

Modelled on check-jsonschema's hook tests: examples live in fixtures/check/hooks/{positive,negative}/<hook id>/;
a positive example must exit 0, a negative one 1.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, ROOT

HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
EXAMPLES = FIXTURES / "check" / "hooks"
SCRIPT = "orders-migrate"


def _hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))}


HOOKS = _hooks()


def command(hook: dict[str, Any]) -> list[str]:
    """The hook's entry plus its args; the console script runs as ``python -m`` so the test needs no PATH."""
    entry = shlex.split(hook["entry"])
    assert entry[0] == SCRIPT
    return [sys.executable, "-m", "orders_migrate", *entry[1:], *hook.get("args", [])]


def cases(kind: str) -> list[tuple[str, Path]]:
    return [(hook_id, path) for hook_id in HOOKS for path in sorted((EXAMPLES / kind / hook_id).glob("*"))]


def run_hook(hook_id: str, example: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    # The fix hook rewrites its files: run every hook on a copy.
    copy = tmp_path / example.name
    shutil.copy(example, copy)
    proc = subprocess.run(
        command(HOOKS[hook_id]) + [str(copy)], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    return proc, copy


def test_hooks_file_declares_both_hooks() -> None:
    assert set(HOOKS) == {"orders-migrate-check", "orders-migrate-fix"}
    assert "--fix" in command(HOOKS["orders-migrate-fix"])
    assert "--fix" not in command(HOOKS["orders-migrate-check"])
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert hook["name"] and hook["description"]


def test_the_entry_is_the_installed_console_script() -> None:
    assert f'{SCRIPT} = "orders_migrate.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook_id", list(HOOKS))
def test_each_hook_has_good_and_bad_examples_that_its_files_pattern_selects(hook_id: str) -> None:
    pattern = re.compile(HOOKS[hook_id]["files"])
    for kind in ("positive", "negative"):
        examples = list((EXAMPLES / kind / hook_id).glob("*"))
        assert examples, f"no {kind} examples for {hook_id}"
        assert all(pattern.search(f"fixtures/{p.name}") for p in examples)
    assert not pattern.search("mappings.yaml") and not pattern.search("README.md")


@pytest.mark.parametrize("hook_id,example", cases("positive"), ids=lambda c: c if isinstance(c, str) else c.name)
def test_hook_positive_examples(hook_id: str, example: Path, tmp_path: Path) -> None:
    proc, copy = run_hook(hook_id, example, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert copy.read_bytes() == example.read_bytes()


@pytest.mark.parametrize("hook_id,example", cases("negative"), ids=lambda c: c if isinstance(c, str) else c.name)
def test_hook_negative_examples(hook_id: str, example: Path, tmp_path: Path) -> None:
    proc, copy = run_hook(hook_id, example, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{copy}" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_the_fix_hook_leaves_stores_examples_passing_the_check_hook(tmp_path: Path) -> None:
    fixable = [p for p in (EXAMPLES / "negative" / "orders-migrate-fix").glob("*") if p.name.startswith(("stores_", "orders."))]
    assert fixable
    for example in fixable:
        proc, copy = run_hook("orders-migrate-fix", example, tmp_path)
        assert proc.returncode == 1 and ": fixed: " in proc.stdout
        check = subprocess.run(
            command(HOOKS["orders-migrate-check"]) + [str(copy)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert check.returncode == 0, check.stdout


def test_the_fix_hook_does_not_touch_what_it_cannot_fix(tmp_path: Path) -> None:
    for name in ("broken.json", "ecom_invalid.json"):
        example = EXAMPLES / "negative" / "orders-migrate-fix" / name
        proc, copy = run_hook("orders-migrate-fix", example, tmp_path)
        assert proc.returncode == 1
        assert copy.read_bytes() == example.read_bytes()
