"""The runner: results stored once, inpaint paste-back, retries, failures, cancellation."""

from __future__ import annotations

import io
import socket
import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone
from PIL import Image

from canvas.jobs import queue, recovery, runner
from canvas.models import Iteration, IterationStatus, Job, JobState
from canvas.realtime import board_group
from foundation.leased_work import worker_name
from tests.jobs import engines
from tests.jobs.conftest import REGION


def run_next(worker="w1"):
    claim = queue.claim_next(worker)
    assert claim is not None, "nothing was claimable"
    return claim.job_id, runner.execute(claim.job_id, worker)


@pytest.mark.django_db
def test_success_stores_staged_iterations_with_provenance(submit, image_item):
    job = submit(count=3, prompt="dusk")
    _, state = run_next()
    assert state == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.progress == 1.0 and job.finished_at is not None and job.lease_expires_at is None
    iterations = list(Iteration.objects.filter(job=job).order_by("index"))
    assert [it.index for it in iterations] == [0, 1, 2]
    assert [it.seed for it in iterations] == [7, 8, 9]
    first = iterations[0]
    assert first.status == IterationStatus.STAGED
    assert first.asset.source == "generated" and first.asset.board_id == job.board_id
    assert first.asset.blob.width == REGION["width"] and first.asset.blob.height == REGION["height"]
    assert first.source_asset_id == iterations[1].source_asset_id  # composited region once
    assert first.provenance["prompt"] == "dusk"
    assert first.provenance["engine"] == "test-echo"
    assert first.provenance["source_assets"] == [str(image_item.asset_id)]
    assert first.region == job.spec["region"]


@pytest.mark.django_db
def test_executing_the_same_job_twice_stores_results_once(submit):
    job = submit(count=2)
    job_id, _ = run_next("w1")
    assert runner.execute(job_id, "w1") is None  # finished: a second delivery is a no-op
    # A crash after storing the results but before "succeeded": the job runs again.
    Job.objects.filter(pk=job_id).update(state=JobState.RUNNING, worker_id="w2")
    assert runner.execute(job_id, "w2") == JobState.SUCCEEDED
    assert Iteration.objects.filter(job=job).count() == 2
    assert engines.CALLS["test-echo"] == 2


@pytest.mark.django_db
def test_a_job_claimed_by_another_worker_is_not_run(submit):
    job = submit()
    queue.claim_next("w1")
    assert runner.execute(job.pk, "intruder") is None
    assert engines.CALLS == {}


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_inpaint_keeps_the_original_outside_the_mask(submit, board, owner):
    from assets.services import ingest_bytes

    mask = Image.new("L", (32, 24), 0)
    mask.paste(255, (0, 0, 16, 24))  # change the left half only
    mask_asset = ingest_bytes(board, owner, _png(mask), "mask.png")
    job = submit(mode="inpaint", mask=str(mask_asset.pk))
    run_next()
    iteration = Iteration.objects.get(job=job)
    from canvas.jobs.adapters import open_asset

    result = open_asset(iteration.asset).convert("RGB")
    assert result.getpixel((28, 12)) == (200, 40, 40)  # right half: the original layer
    assert result.getpixel((2, 12)) != (200, 40, 40)  # left half: the engine's result


@pytest.mark.django_db
def test_transient_errors_retry_with_backoff_then_fail(submit):
    job = submit(engine="test-flaky")
    for attempt in (1, 2):
        run_next()
        job.refresh_from_db()
        assert job.state == JobState.QUEUED
        assert job.attempts == attempt
        assert job.not_before > timezone.now()  # backoff: not claimable yet
        assert queue.claim_next("w1") is None
        assert f"Attempt {attempt} of 3 failed" in job.notes[-1]["text"]
        Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    run_next()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error_code == "engine_unavailable"
    assert job.error_message == "The test provider is busy. Gave up after 3 attempts."
    assert engines.CALLS["test-flaky"] == 3
    assert queue.claim_next("w1") is None


def test_backoff_grows_and_honours_retry_after(settings):
    settings.ANCHORBOARD_JOB_RETRY_BASE_SECONDS = 4
    assert 2 <= runner.backoff_seconds(1) <= 4
    assert 8 <= runner.backoff_seconds(3) <= 16
    assert runner.backoff_seconds(1, retry_after=30) == 30


@pytest.mark.django_db
def test_permanent_errors_are_never_retried(submit):
    job = submit(engine="test-broken")
    run_next()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert (job.error_code, job.error_message) == (
        "refused",
        "The test provider refused this image.",
    )
    assert job.attempts == 1
    assert queue.claim_next("w1") is None
    assert engines.CALLS["test-broken"] == 1


@pytest.mark.django_db
def test_unexpected_errors_fail_with_a_plain_message(submit, caplog):
    job = submit(engine="test-crash")
    run_next()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error_code == "internal_error"
    assert "boom" not in job.error_message and "Try again" in job.error_message
    assert "boom: secret internals" in caplog.text  # the traceback is in the log


@pytest.mark.django_db
def test_progress_and_previews_are_broadcast(submit, board, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(board_group(board.pk), channel)
    submit()
    # Progress is a lifecycle change like any other: announced once it commits (the test's
    # transaction never commits, so run the after-commit callbacks as they come).
    with django_capture_on_commit_callbacks(execute=True):
        run_next()
    messages = []
    # The in-memory layer keeps one queue per channel; drain what the job sent.
    while channel in layer.channels and not layer.channels[channel].empty():
        messages.append(async_to_sync(layer.receive)(channel)["message"])
    previews = [m for m in messages if m["type"] == "job_preview"]
    assert previews and previews[0]["image"].startswith("data:image/jpeg;base64,")
    progress = [m["job"]["progress"] for m in messages if m["type"] == "job"]
    assert progress == sorted(progress) and progress[-1] > 0.9
    versions = [m["job"]["version"] for m in messages if m["type"] == "job"]
    assert versions == sorted(versions)


# --- cancellation while running -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancel_while_running_stops_cooperatively(submit):
    job = submit(engine="test-gate")
    claim = queue.claim_next("w1")
    outcome = {}

    def work():
        try:
            outcome["state"] = runner.execute(claim.job_id, "w1")
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=work)
    thread.start()
    assert engines.STARTED.wait(30), "the engine never started"
    queue.cancel_job(job)
    engines.GATE.set()
    thread.join(30)
    assert outcome["state"] == JobState.CANCELLED
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.finished_at is not None
    assert not Iteration.objects.filter(job=job).exists()


# --- recovery -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_lease_is_requeued_then_failed_when_out_of_attempts(submit):
    job = submit()
    for attempt in (1, 2, 3):
        queue.claim_next("gone-host:1:0")
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
        assert recovery.recover_abandoned_jobs() == [str(job.pk)]
        job.refresh_from_db()
        assert job.attempts == attempt
    assert job.state == JobState.FAILED
    assert job.error_code == "interrupted"
    assert "interrupted 3 times" in job.error_message
    assert len(job.notes) == 3


@pytest.mark.django_db
def test_live_leases_are_left_alone_but_dead_local_workers_are_recovered(submit):
    live, dead = submit(), submit()
    queue.claim_next(worker_name(0))  # this process: alive
    queue.claim_next(f"{socket.gethostname()}:999999999:0")  # no such process
    assert recovery.recover_abandoned_jobs() == [str(dead.pk)]
    live.refresh_from_db()
    dead.refresh_from_db()
    assert live.state == JobState.RUNNING
    assert dead.state == JobState.QUEUED and "interrupted" in dead.notes[-1]["text"]


@pytest.mark.django_db
def test_a_dead_worker_with_a_pending_cancel_ends_cancelled(submit):
    job = submit()
    queue.claim_next("gone-host:1:0")
    queue.cancel_job(job)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    recovery.recover_abandoned_jobs()
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.finished_at is not None


@pytest.mark.django_db
def test_deleting_a_board_removes_its_jobs_and_results(submit, board, owner):
    from canvas.boards.iterations import apply
    from canvas.boards.lifecycle import delete_board

    job = submit(count=2)
    run_next()
    apply(job.iterations.first(), owner)
    delete_board(board)
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not Iteration.objects.filter(job_id=job.pk).exists()


@pytest.mark.django_db
def test_a_job_over_the_time_limit_fails_as_timed_out(submit, settings):
    settings.ANCHORBOARD_JOB_TIME_LIMIT_SECONDS = 0  # already over when the engine checks
    job = submit(engine="test-gate")
    engines.GATE.set()
    run_next()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error_code == "timed_out"
    assert "smaller region" in job.error_message
