"""Restart recovery with real processes: SIGKILL a worker mid-job, start another one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "ANCHORBOARD_TEST_ENGINE_MARKER"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="anchorboard.settings",
        ANCHORBOARD_DATA_DIR=str(data_dir),
        ANCHORBOARD_DISPATCHER="embedded",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _state(job_id: str, env: dict[str, str]) -> dict:
    return json.loads(
        _run(["-m", "tests.jobs.restart_helper", "state", job_id], env).splitlines()[-1]
    )


def test_killed_worker_job_is_recovered_and_completes(tmp_path):
    env = _env(tmp_path)
    _run(["manage.py", "migrate", "-v", "0"], env)
    job_id = _run(["-m", "tests.jobs.restart_helper", "seed"], env).splitlines()[-1]

    marker = tmp_path / "engine-started"
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_workers",
            "--workers",
            "1",
            "--import",
            "tests.jobs.engines",
        ],
        cwd=ROOT,
        env=_env(tmp_path, ANCHORBOARD_TEST_ENGINE_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert worker.stdout.readline().startswith("job workers running")
        # The slow engine prints nothing; it writes the marker, then works until killed.
        # Block on the job's own state instead of sleeping: poll the database.
        for _ in range(600):
            if marker.exists():
                break
            try:
                worker.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail("the worker exited before the engine started")
        assert marker.exists(), "the engine never started"
        assert _state(job_id, env)["state"] == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    killed = _state(job_id, env)
    assert killed["state"] == "running" and killed["attempts"] == 1  # left behind by the kill

    _run(
        [
            "manage.py",
            "run_workers",
            "--workers",
            "1",
            "--import",
            "tests.jobs.engines",
            "--exit-when-idle",
        ],
        env,
    )
    final = _state(job_id, env)
    assert final["state"] == "succeeded"
    assert final["attempts"] == 2
    assert final["iterations"] == 1
    assert any("interrupted" in note for note in final["notes"])
