"""A job's results: durable before ``succeeded``, previews after it, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import storage
from assets.models import Blob, DerivativeState
from assets.services import DERIVATIVES_TASK
from canvas.jobs import announce, queue, runner, upkeep
from canvas.models import Iteration, JobState
from foundation import background
from tests.jobs import engines

pytestmark = pytest.mark.django_db


def _run(claimant: str = "w1") -> str | None:
    claim = queue.claim_next(claimant)
    assert claim is not None
    return runner.execute(claim.job_id, claimant)


def test_succeeded_is_sent_once_the_result_is_durable_and_before_its_previews(
    submit, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit(engine="test-echo")
    seen = []
    real_send = announce.send_to_board_now

    def send(board_id, message):
        if message["type"] == "iteration":
            seen.append("iteration")
        elif message["type"] == "job" and message["job"]["state"] == "succeeded":
            result = Iteration.objects.select_related("asset__blob").get(job=job)
            blob = Blob.objects.get(pk=result.asset.blob_id)
            seen.append(("succeeded", storage.exists(blob.storage_key), blob.derivative_state))
        return real_send(board_id, message)

    monkeypatch.setattr(announce, "send_to_board_now", send)
    with django_capture_on_commit_callbacks(execute=True):
        assert _run() == JobState.SUCCEEDED
    # The result's file and row existed when the state said so; its previews came after.
    assert seen[-1] == ("succeeded", True, DerivativeState.PENDING)
    assert "iteration" in seen[:-1]
    result = Iteration.objects.select_related("asset__blob", "source_asset__blob").get(job=job)
    assert result.asset.blob.derivative_state == DerivativeState.READY
    assert result.source_asset.blob.derivative_state == DerivativeState.READY
    # An opaque result is stored without an alpha channel, so it hides what it covers.
    assert result.asset.blob.mode == "RGB" and not result.asset.blob.has_alpha


def test_previews_lost_with_a_worker_killed_after_succeeded_are_rebuilt(
    submit, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit(engine="test-echo")
    real_dispatch = background.dispatch_now

    def dies_before_previews(name, *args):  # the process is gone before its pool runs them
        if name != DERIVATIVES_TASK:
            real_dispatch(name, *args)

    monkeypatch.setattr(background, "dispatch_now", dies_before_previews)
    with django_capture_on_commit_callbacks(execute=True):
        assert _run() == JobState.SUCCEEDED
    monkeypatch.setattr(background, "dispatch_now", real_dispatch)
    result = Iteration.objects.select_related("asset__blob").get(job=job)
    assert result.asset.blob.derivative_state == DerivativeState.PENDING

    # Any worker process's upkeep finds previews pending long after their blob was stored.
    upkeep.tick()
    assert Blob.objects.get(pk=result.asset.blob_id).derivative_state == DerivativeState.PENDING
    Blob.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    monkeypatch.setattr(upkeep, "_last_sweep", {})
    upkeep.tick()
    blob = Blob.objects.get(pk=result.asset.blob_id)
    assert blob.derivative_state == DerivativeState.READY and blob.derivative_levels
    assert all(
        storage.exists(storage.derivative_key(blob.sha256, level))
        for level in blob.derivative_levels
    )


def test_a_job_writes_its_state_once_per_step_it_takes(submit, settings):
    """Claim (with "Preparing the region"), end: no separate progress writes for a job
    whose engine reports nothing (each write is a round trip and a message)."""
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 60.0
    job = submit(engine="test-gate")
    engines.GATE.set()  # the engine returns at once and reports nothing
    assert _run() == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.version == 3  # queued (1) → running (2) → succeeded (3)
