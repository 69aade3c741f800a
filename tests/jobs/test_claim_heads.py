"""What a claim reads: the head of each lane, not the queue (canvas.jobs.claim_heads), and a
window of the queue from which what the caps block is left out in SQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from canvas.jobs import claim_caps, claim_heads, queue
from canvas.models import Job, JobState
from tests import factories

pytestmark = pytest.mark.django_db


def queue_copies(job: Job, count: int, **changes) -> list[Job]:
    """``count`` more queued jobs like ``job`` (one insert), each after the one before it."""
    fields = [f.attname for f in Job._meta.concrete_fields if not f.primary_key]
    copies = []
    for index in range(count):
        values = {name: getattr(job, name) for name in fields}
        values.update(changes)
        values["position"] = job.position + 1 + index
        copies.append(Job(**values))
    return Job.objects.bulk_create(copies)


def to_back(job: Job) -> Job:
    """Queue ``job`` behind everything at its priority (its copies included)."""
    return queue.move_job(job, "back")


def heads_now() -> list[dict]:
    now = timezone.now()
    return claim_heads.heads(now, claim_caps.Caps.now(now))


def test_a_claim_reads_one_row_per_lane_however_long_the_queue(submit, settings):
    """300 queued jobs of one person and one of another's: the claim reads two rows, and
    picks between the two people as it did when it read all of them."""
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    other = factories.make_user("other")
    first = submit()
    queue_copies(first, 299)
    theirs = to_back(submit(user=other))
    heads = heads_now()
    assert [row["id"] for row in heads] == [first.id, theirs.id]
    assert queue.claim_next("w").job_id == first.id
    # Fewest running first: the other person's one job, though 299 were queued before it.
    with CaptureQueriesContext(connection) as claim:
        assert queue.claim_next("w").job_id == theirs.id
    # The claims' lock (PostgreSQL), running jobs, the heads, when each person last started,
    # the claim's write and its read-back: a fixed handful, not one per queued job.
    statements = [q["sql"] for q in claim.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 5 + (connection.vendor == "postgresql"), statements


def test_a_claim_of_one_persons_queue_skips_the_fairness_reads(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    first = submit()
    copies = queue_copies(first, 50)
    with CaptureQueriesContext(connection) as one:
        assert queue.claim_next("w").job_id == first.id
    with CaptureQueriesContext(connection) as two:
        assert queue.claim_next("w").job_id == copies[0].id
    # Nobody else has work: no "who started last" read.
    assert not any("MAX(" in q["sql"].upper() for q in one.captured_queries + two.captured_queries)


def test_heads_are_per_engine_so_a_blocked_engine_does_not_hide_another(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {"test-echo": 1}
    echo = submit()
    queue_copies(echo, 20)
    gate = to_back(submit(engine="test-gate"))
    assert queue.claim_next("w").job_id == echo.id
    # test-echo runs its limit: its 20 jobs are left out, the gate job is next.
    assert [row["id"] for row in heads_now()] == [gate.id]
    assert queue.claim_next("w").job_id == gate.id


def test_a_provider_at_its_limit_does_not_hide_work_queued_behind_it(submit, settings, monkeypatch):
    """A window full of a blocked provider's jobs used to end the claim with nothing."""
    monkeypatch.setattr(claim_heads, "CLAIM_WINDOW", 5)
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "1"}  # test-echo's: 2 may be claimed
    first = submit()
    held = queue_copies(first, 30)
    elsewhere = to_back(submit(engine="test-provider"))  # provider "test-provider": no limit
    assert [queue.claim_next("w").job_id for _ in range(2)] == [first.id, held[0].id]
    assert queue.claim_next("w").job_id == elsewhere.id
    assert queue.claim_next("w") is None  # provider "test" is still at its limit
    Job.objects.filter(pk=first.id).update(state=JobState.SUCCEEDED)
    assert queue.claim_next("w").job_id == held[1].id


def test_a_person_at_their_cap_does_not_hide_a_colleague_behind_them(submit, settings, monkeypatch):
    monkeypatch.setattr(claim_heads, "CLAIM_WINDOW", 5)
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    other = factories.make_user("other")
    first = submit()
    copies = queue_copies(first, 30)
    theirs = to_back(submit(user=other))
    # The window (5) holds only the owner's jobs until the owner reaches their cap of 2.
    assert [queue.claim_next("w").job_id for _ in range(2)] == [first.id, copies[0].id]
    # Then their 29 queued jobs are left out of it, and the colleague's job is in.
    assert queue.claim_next("w").job_id == theirs.id
    assert queue.claim_next("w") is None
    # Bulk work is capped apart: the owner's bulk job is claimable behind the window.
    bulk = submit(priority="bulk")
    assert queue.claim_next("w").job_id == bulk.id


def test_what_is_left_out_is_only_what_is_blocked(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 1
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "1"}
    job = submit()
    queue.claim_next("w")
    caps = claim_caps.Caps.now(timezone.now())
    assert caps.blocks_user(job.created_by_id, bulk=False)
    assert not caps.blocks_user(job.created_by_id, bulk=True)
    assert not caps.blocks_engine("test-echo")  # 1 of provider "test"'s 2 claimable
    assert not caps.blocks_engine("test-provider")
    other = factories.make_user("other")
    queue_copies(job, 1, created_by_id=other.id)
    queue.claim_next("w")
    caps = claim_caps.Caps.now(timezone.now())
    assert caps.blocked_providers == {"test"}
    assert caps.blocks_engine("test-echo") and caps.blocks_engine("test-gate")
    assert not caps.blocks_engine("test-provider")
    assert "test-echo" in caps.blocked_engines() and "test-gate" in caps.blocked_engines()
    assert "test-provider" not in caps.blocked_engines()
    # Both people run their cap of 1 interactive job; neither runs a bulk one.
    assert sorted(caps.blocked_people(bulk=False)) == sorted([job.created_by_id, other.id])
    assert caps.blocked_people(bulk=True) == []
