"""The job lifecycle: the table of allowed transitions, its guards, the version bump and
the announcement after commit (canvas/jobs/lifecycle.py)."""

from __future__ import annotations

import itertools

import pytest

from canvas.jobs import lifecycle
from canvas.jobs.lifecycle import IllegalTransition, transition
from canvas.models import Job, JobState

pytestmark = pytest.mark.django_db

STATES = list(JobState.values)
FINISHED = [JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED]
ALLOWED = {
    (JobState.QUEUED, JobState.RUNNING),
    (JobState.QUEUED, JobState.QUEUED),
    (JobState.QUEUED, JobState.CANCELLED),
    (JobState.RUNNING, JobState.RUNNING),
    (JobState.RUNNING, JobState.SUCCEEDED),
    (JobState.RUNNING, JobState.FAILED),
    (JobState.RUNNING, JobState.CANCELLED),
    (JobState.RUNNING, JobState.QUEUED),
}


def _in_state(job, state, worker="w1"):
    """Put ``job`` in ``state`` directly (test set-up, not a transition)."""
    Job.objects.filter(pk=job.pk).update(state=state, worker_id=worker)


def test_the_table_is_exactly_the_documented_one():
    assert set(lifecycle.TRANSITIONS) == ALLOWED
    # A finished job never changes state again (a retry is a new job).
    assert not [pair for pair in lifecycle.TRANSITIONS if pair[0] in FINISHED]


@pytest.mark.parametrize(
    "source,target",
    [pair for pair in itertools.product(STATES, STATES) if pair not in ALLOWED],
)
def test_every_pair_outside_the_table_raises_and_writes_nothing(submit, source, target):
    job = submit()
    _in_state(job, source)
    with pytest.raises(IllegalTransition):
        transition(job.pk, source, target, owner="w1")
    fresh = Job.objects.get(pk=job.pk)
    assert (fresh.state, fresh.version) == (source, job.version)


@pytest.mark.parametrize("source,target", sorted(ALLOWED))
def test_every_allowed_change_lands_and_bumps_the_version_once(submit, source, target):
    job = submit()
    _in_state(job, source)
    rule = lifecycle.TRANSITIONS[(source, target)]
    owner = "" if rule.owner == "none" else "w1"
    changed = transition(job.pk, source, target, owner=owner)
    assert changed is not None and changed.state == target
    fresh = Job.objects.get(pk=job.pk)
    assert (fresh.state, fresh.version, changed.version) == (
        target,
        job.version + 1,
        job.version + 1,
    )


def test_ending_a_run_must_name_the_owner_and_queued_jobs_have_none(submit):
    job = submit()
    with pytest.raises(IllegalTransition, match="must name the worker"):
        transition(job.pk, JobState.QUEUED, JobState.RUNNING)
    with pytest.raises(IllegalTransition, match="has no owner"):
        transition(job.pk, JobState.QUEUED, JobState.CANCELLED, owner="w1")
    _in_state(job, JobState.RUNNING)
    for target in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED):
        with pytest.raises(IllegalTransition, match="must name the worker"):
            transition(job.pk, JobState.RUNNING, target)
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


def test_only_the_lifecycle_writes_state_and_version(submit):
    job = submit()
    for field in ("state", "version"):
        with pytest.raises(IllegalTransition, match="only the lifecycle"):
            transition(job.pk, JobState.QUEUED, JobState.QUEUED, **{field: 1})


def test_a_claim_hands_the_job_to_its_worker(submit):
    job = submit()
    claimed = transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="host:1:0")
    assert claimed is not None
    assert claimed.state == JobState.RUNNING and claimed.worker_id == "host:1:0"
    assert claimed.attempts == 1 and claimed.lease_expires_at is not None
    assert claimed.version == job.version + 1


def test_the_first_claim_is_stamped_once_and_a_retry_keeps_it(submit):
    """Queue wait to the first claim (canvas.ops) needs the first claim's time: the claim
    stamps it, a requeue (transient error, backoff) and the next claim leave it alone."""
    from datetime import timedelta

    from canvas.jobs.queue import claim_next

    job = submit()
    assert job.first_claimed_at is None
    assert claim_next("w1") is not None
    first = Job.objects.get(pk=job.pk)
    assert first.first_claimed_at == first.started_at is not None
    # Pretend that claim was an hour ago, so a reset would show.
    earlier = first.first_claimed_at - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(first_claimed_at=earlier)
    assert transition(job.pk, JobState.RUNNING, JobState.QUEUED, owner="w1") is not None
    again = claim_next("w2")
    assert again is not None and again.attempt == 2
    second = Job.objects.get(pk=job.pk)
    assert second.first_claimed_at == earlier and second.started_at > earlier


def test_a_lost_race_returns_none_and_changes_nothing(submit):
    job = submit()
    transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
    before = Job.objects.get(pk=job.pk)
    # Someone else's view: the job is no longer queued, or not this worker's.
    assert transition(job.pk, JobState.QUEUED, JobState.CANCELLED) is None
    assert transition(job.pk, JobState.RUNNING, JobState.SUCCEEDED, owner="w2") is None
    after = Job.objects.get(pk=job.pk)
    assert (after.state, after.version, after.worker_id) == (
        JobState.RUNNING,
        before.version,
        "w1",
    )


def test_extra_guards_must_hold(submit):
    job = submit()
    transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
    flag = {"where": {"cancel_requested": False}, "cancel_requested": True}
    assert transition(job.pk, JobState.RUNNING, JobState.RUNNING, **flag) is not None
    assert transition(job.pk, JobState.RUNNING, JobState.RUNNING, **flag) is None  # once


@pytest.mark.parametrize("target", [JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED])
def test_finishing_releases_the_lease_and_stamps_the_time(submit, target):
    job = submit()
    transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
    done = transition(job.pk, JobState.RUNNING, target, owner="w1")
    assert done is not None and done.state == target
    assert done.finished_at is not None and done.lease_expires_at is None


def test_back_to_the_queue_frees_the_worker(submit):
    job = submit()
    transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
    transition(job.pk, JobState.RUNNING, JobState.RUNNING, owner="w1", progress=0.5)
    back = transition(job.pk, JobState.RUNNING, JobState.QUEUED, owner="w1")
    assert back is not None
    assert (back.worker_id, back.lease_expires_at, back.progress, back.finished_at) == (
        "",
        None,
        0,
        None,
    )


def test_each_version_is_announced_once_with_its_own_content_after_commit(
    submit, inbox, django_capture_on_commit_callbacks
):
    drain = inbox
    job = submit()
    drain()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
        transition(job.pk, JobState.RUNNING, JobState.RUNNING, owner="w1", progress=0.5)
        transition(job.pk, JobState.RUNNING, JobState.SUCCEEDED, owner="w1")
    assert drain() == []  # nothing before commit
    for callback in callbacks:
        callback()
    jobs = [m["job"] for m in drain() if m["type"] == "job"]
    # Three changes, three messages, each carrying what that change wrote — not the final
    # row three times — so a client can tell a missing version from a late one.
    assert [(j["version"], j["state"], j["progress"]) for j in jobs] == [
        (job.version + 1, "running", 0),
        (job.version + 2, "running", 0.5),
        (job.version + 3, "succeeded", 0.5),
    ]


def test_nothing_is_announced_when_the_transaction_rolls_back(submit, inbox):
    from django.db import transaction

    drain = inbox
    job = submit()
    drain()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(job.pk, JobState.QUEUED, JobState.CANCELLED)
        raise RuntimeError("roll back")
    assert drain() == []
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
