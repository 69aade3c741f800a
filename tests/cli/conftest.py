"""The CLI's tests reuse the batch tests' board (an image under REGION, test engines);
``cli`` runs the command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batches.conftest import board, owner, trailing_sends  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path):
    """``cli(*args)`` runs ``python -m anchorboard.cli`` with a private config directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANCHORBOARD_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), COLUMNS="200")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "anchorboard.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    run.config_dir = tmp_path / "config" / "anchorboard"  # type: ignore[attr-defined]
    return run
