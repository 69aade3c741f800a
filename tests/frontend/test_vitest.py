"""Run the frontend's Vitest suite as part of the one test command.

The TypeScript unit tests (geometry, culling, LOD, document operations, undo, sync, jobs
and review logic) live in frontend/tests/. They need the frontend's npm dependencies:
`npm --prefix frontend ci`. In CI a missing install fails; on a laptop it skips with that hint.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import missing_service

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_vitest_suite_passes():
    npm = shutil.which("npm")
    if npm is None or not (FRONTEND / "node_modules" / ".bin" / "vitest").exists():
        missing_service(
            "The frontend's npm dependencies",
            "Install Node.js 20+ and run `npm --prefix frontend ci`.",
        )
    result = subprocess.run(
        [npm, "--prefix", str(FRONTEND), "run", "--silent", "test"],
        capture_output=True,
        text=True,
        timeout=540,
    )
    summary = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
    assert result.returncode == 0, f"Vitest failed:\n{summary}"
    assert " passed" in summary and " failed" not in summary, summary
