"""dev.py's lint and test plumbing: the mypy baseline ratchet and the xdist worker choice.

dev.py is a standalone script (standard library only), loaded here from its file.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev():
    spec = importlib.util.spec_from_file_location("anchorboard_dev_script", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MYPY_OUTPUT = [
    'canvas/a.py:10: error: "Board" has no attribute "x"  [attr-defined]',
    "canvas/a.py:10: note: See https://mypy.readthedocs.io",
    'canvas/a.py:52:7: error: "Board" has no attribute "x"  [attr-defined]',
    "assets/b.py:3: error: Missing return statement  [return]",
    "Found 3 errors in 2 files (checked 40 source files)",
]


def test_mypy_key_drops_line_and_column(dev):
    assert (
        dev.mypy_key(MYPY_OUTPUT[0]) == 'canvas/a.py: "Board" has no attribute "x"  [attr-defined]'
    )
    assert dev.mypy_key(MYPY_OUTPUT[2]) == dev.mypy_key(MYPY_OUTPUT[0])
    assert dev.mypy_key(MYPY_OUTPUT[1]) is None  # notes are not errors
    assert dev.mypy_key(MYPY_OUTPUT[4]) is None


def test_baselined_errors_pass_even_when_they_move(dev):
    moved = [line.replace(":10:", ":99:") for line in MYPY_OUTPUT]
    baseline = Counter(key for line in MYPY_OUTPUT if (key := dev.mypy_key(line)))
    new_lines, fixed = dev.compare_with_baseline(moved, baseline)
    assert new_lines == []
    assert fixed == 0


def test_new_errors_and_extra_copies_fail(dev):
    baseline = Counter({'canvas/a.py: "Board" has no attribute "x"  [attr-defined]': 1})
    new_lines, fixed = dev.compare_with_baseline(MYPY_OUTPUT, baseline)
    # One of the two copies of the baselined error is new (which one cannot be known),
    # and so is the unrelated error.
    assert len(new_lines) == 2
    assert dev.mypy_key(new_lines[0]) == dev.mypy_key(MYPY_OUTPUT[0])
    assert new_lines[1] == MYPY_OUTPUT[3]
    assert fixed == 0


def test_fixed_errors_are_counted(dev):
    baseline = Counter(
        {
            "assets/b.py: Missing return statement  [return]": 1,
            "canvas/gone.py: Name 'y' is not defined  [name-defined]": 2,
        }
    )
    new_lines, fixed = dev.compare_with_baseline([MYPY_OUTPUT[3]], baseline)
    assert new_lines == []
    assert fixed == 2


def test_committed_baseline_is_readable(dev):
    baseline = dev.read_mypy_baseline()
    assert all(dev.MYPY_ERROR.match(f"{key.split(': ', 1)[0]}:1: error: x") for key in baseline)


def test_test_workers(dev, monkeypatch):
    monkeypatch.delenv("ANCHORBOARD_TEST_WORKERS", raising=False)
    assert dev.test_workers([]) == ["-n", "2"]
    assert dev.test_workers(["tests/api", "-q"]) == ["-n", "2"]
    assert dev.test_workers(["-n", "4"]) == []  # the caller's choice wins
    assert dev.test_workers(["--numprocesses=0"]) == []
    assert dev.test_workers(["-x"]) == []  # debugging: one process, stop at the first failure
    monkeypatch.setenv("ANCHORBOARD_TEST_WORKERS", "0")
    assert dev.test_workers([]) == []


def test_ci_script_is_executable_bash(tmp_path):
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def load_check_layout():
    spec = importlib.util.spec_from_file_location(
        "anchorboard_check_layout", ROOT / "tools" / "check_layout.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cycle_check_finds_every_cycle_and_nothing_else():
    import grimp

    check = load_check_layout()
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("pkg.a", "pkg.b"),
        ("pkg.b", "pkg.c"),
        ("pkg.c", "pkg.a"),  # a -> b -> c -> a
        ("pkg.c", "pkg.d"),  # d is imported by the cycle, not part of it
        ("pkg.e", "pkg.f"),
        ("pkg.f", "pkg.e"),  # a second, separate cycle
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert check.cycles(graph) == [("pkg.a", "pkg.b", "pkg.c"), ("pkg.e", "pkg.f")]


def test_the_first_party_packages_have_no_unlisted_cycle_or_long_module():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "tools/check_layout.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
