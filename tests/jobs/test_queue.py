"""The queue: submit validation, claim order, fairness, caps, pause, cancel, retry, move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from canvas.jobs import queue
from canvas.models import Job, JobState
from canvas.realtime import board_group
from tests import factories

pytestmark = pytest.mark.django_db


def claim_ids(count, worker="w"):
    ids = []
    for _ in range(count):
        claim = queue.claim_next(worker)
        ids.append(claim.job_id if claim else None)
    return ids


# --- submit ---------------------------------------------------------------------------------


def test_submit_stores_a_queued_job_with_snapshot_and_resolved_seed(submit, image_item):
    job = submit(seed=None, seed_mode="random", prompt="  warm light  ", count=3)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert job.spec["prompt"] == "warm light"
    assert isinstance(job.spec["seed"], int)  # drawn once at submit, reused by retries
    assert job.spec["count"] == 3
    assert [layer["item_id"] for layer in job.spec["layers"]] == [str(image_item.id)]
    assert job.spec["layers"][0]["asset_id"] == str(image_item.asset_id)
    assert job.max_attempts == 3
    assert job.version == 1


def test_snapshot_skips_hidden_and_far_away_layers(submit, board, owner, image_item):
    from tests.jobs.conftest import add_image

    add_image(board, owner, x=500, y=500, color=(0, 0, 255), z=2)  # outside the region
    hidden = add_image(board, owner, color=(0, 255, 0), z=3)
    hidden.hidden = True
    hidden.save()
    job = submit()
    assert [layer["item_id"] for layer in job.spec["layers"]] == [str(image_item.id)]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"mode": "paint"}, "Unknown mode"),
        ({"count": 33}, "between 1 and 32"),
        ({"strength": 1.5}, "between 0 and 1"),
        ({"region": {"x": 0, "y": 0, "width": 0, "height": 10}}, "region is empty"),
        ({"region": {"x": 900, "y": 900, "width": 10, "height": 10}}, "no visible images"),
        ({"mode": "inpaint"}, "needs a mask"),
        ({"anchors": [{"item_id": "not-a-uuid", "role": "palette"}]}, "not a valid id"),
        ({"anchors": [{"item_id": None, "role": "mood"}]}, "role 'mood' is unknown"),
    ],
)
def test_submit_refuses_invalid_specs_with_clear_messages(submit, spec, fragment):
    with pytest.raises(queue.InvalidJob) as caught:
        submit(**spec)
    assert fragment in caught.value.message
    assert caught.value.status == 400
    assert not Job.objects.exists()


def test_submit_refuses_what_the_engine_cannot_do(submit):
    from canvas.engines.registry import UnknownEngine

    with pytest.raises(UnknownEngine):
        submit(engine="no-such-engine")
    with pytest.raises(Exception) as caught:
        submit(mode="upscale", scale=3)  # test engines upscale ×2 or ×4 only
    assert caught.value.code == "unsupported_request"
    assert "×2 or ×4" in caught.value.message
    assert not Job.objects.exists()


def test_submit_on_archived_board_is_refused(submit, board):
    board.archived_at = timezone.now()
    board.save()
    with pytest.raises(queue.InvalidJob, match="archived"):
        submit()


def test_state_is_broadcast_only_after_commit(submit, board, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(board_group(board.pk), channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = submit()
    assert callbacks, "nothing was scheduled for after commit"
    for callback in callbacks:  # now "commit"
        callback()
    event = async_to_sync(layer.receive)(channel)
    assert event["type"] == "board.job"
    assert event["message"]["type"] == "job"
    assert event["message"]["job"]["id"] == str(job.id)
    assert event["message"]["job"]["state"] == "queued"
    assert "layers" not in event["message"]["job"]["spec"]


# --- claim order ----------------------------------------------------------------------------


def test_claim_takes_priority_first_then_position(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    bulk = submit(priority="bulk")
    first = submit()
    second = submit()
    assert claim_ids(3) == [first.id, second.id, bulk.id]
    assert claim_ids(1) == [None]


def test_claim_marks_running_atomically(submit):
    job = submit()
    claim = queue.claim_next("worker-a")
    job.refresh_from_db()
    assert claim.job_id == job.id and claim.attempt == 1
    assert job.state == JobState.RUNNING
    assert job.worker_id == "worker-a"
    assert job.lease_expires_at > timezone.now()
    assert job.version == 2
    assert queue.claim_next("worker-b") is None  # nobody else gets it


def test_move_to_front_and_back(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    a, b, c = submit(), submit(), submit()
    queue.move_job(c, "front")
    queue.move_job(a, "back")
    assert claim_ids(3) == [c.id, b.id, a.id]


def test_move_only_queued_jobs(submit):
    job = submit()
    queue.claim_next("w")
    with pytest.raises(queue.JobStateConflict):
        queue.move_job(job, "front")
    with pytest.raises(queue.InvalidJob):
        queue.move_job(submit(), "middle")


def test_round_robin_between_users(submit, board, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    other = factories.make_user("other")
    mine = [submit() for _ in range(3)]
    theirs = [submit(user=other) for _ in range(3)]
    claimed = claim_ids(6)
    owners = [Job.objects.get(pk=pk).created_by_id for pk in claimed]
    # Alternates although all of "mine" were queued first.
    assert owners == [mine[0].created_by_id, other.id] * 3
    assert claimed[0] == mine[0].id and claimed[1] == theirs[0].id


def test_per_user_cap(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    other = factories.make_user("other")
    jobs = [submit() for _ in range(3)]
    theirs = submit(user=other)
    claimed = claim_ids(4)
    assert claimed[:3] == [jobs[0].id, theirs.id, jobs[1].id]
    assert claimed[3] is None  # the owner's third job waits for a free slot
    Job.objects.filter(pk=jobs[0].id).update(state=JobState.SUCCEEDED)
    assert claim_ids(1) == [jobs[2].id]


def test_per_engine_limit(submit, settings):
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {"test-echo": 1}
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    echo1, echo2 = submit(), submit()
    gate = submit(engine="test-gate")
    assert claim_ids(3) == [echo1.id, gate.id, None]
    Job.objects.filter(pk=echo1.id).update(state=JobState.FAILED)
    assert claim_ids(1) == [echo2.id]


def test_paused_board_is_skipped_until_resumed(submit, board, owner):
    other_board = factories.make_board(owner=owner, name="Other")
    from tests.jobs.conftest import add_image

    add_image(other_board, owner)
    paused_job = submit()
    queue.set_queue_paused(board, True)
    other_job = submit(target=other_board)
    assert claim_ids(2) == [other_job.id, None]
    queue.set_queue_paused(board, False)
    assert claim_ids(1) == [paused_job.id]


def test_backoff_not_before_is_respected(submit):
    job = submit()
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() + timedelta(minutes=5))
    assert claim_ids(1) == [None]
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert claim_ids(1) == [job.id]


# --- cancel / retry -------------------------------------------------------------------------


def test_cancel_queued_job_is_immediate(submit):
    job = submit()
    queue.cancel_job(job)
    assert job.state == JobState.CANCELLED and job.finished_at is not None
    assert claim_ids(1) == [None]
    with pytest.raises(queue.JobStateConflict, match="already cancelled"):
        queue.cancel_job(job)


def test_cancel_running_job_only_flags_it(submit):
    job = submit()
    queue.claim_next("w")
    queue.cancel_job(job)
    assert job.state == JobState.RUNNING and job.cancel_requested


def test_retry_creates_a_new_job_with_the_same_spec(submit, owner):
    job = submit(seed=None)
    queue.cancel_job(job)
    again = queue.retry_job(job, owner)
    assert again.pk != job.pk
    assert again.retried_from_id == job.pk
    assert again.state == JobState.QUEUED
    assert again.spec == job.spec  # same seed, same layer snapshot
    with pytest.raises(queue.JobStateConflict, match="Only failed or cancelled"):
        queue.retry_job(again, owner)
