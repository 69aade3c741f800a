"""Batch jobs in the queue: behind interactive work, round-robin between people and between
batches, within each provider's parallel and per-minute limits (canvas.jobs.queue)."""

from __future__ import annotations

import pytest

from canvas.batches import runs
from canvas.jobs import queue, runner
from canvas.jobs.queue import provider_of
from canvas.models import BoardMember, Job, JobState, Role
from tests import factories
from tests.batches.conftest import raw_batch
from tests.jobs.conftest import REGION

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {}
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "2"}  # test-echo's provider


@pytest.fixture
def editors(board):
    """Two more editors of the board."""
    people = [factories.make_user(name) for name in ("ines", "jon")]
    for person in people:
        BoardMember.objects.create(board=board, user=person, role=Role.EDITOR)
    return people


def author_of(claim):
    return Job.objects.get(pk=claim.job_id).created_by.username


def batch_of(claim):
    return Job.objects.get(pk=claim.job_id).batch_id


def test_test_echo_is_provider_test():
    assert provider_of("test-echo") == "test"


def test_an_interactive_job_takes_the_next_free_slot_of_two_batches(board, owner, editors):
    ines, jon = editors
    runs.start_batch(board, ines, raw_batch(seeds=4))
    runs.start_batch(board, jon, raw_batch(seeds=4))
    first, second = queue.claim_next("w1"), queue.claim_next("w2")
    assert {author_of(first), author_of(second)} == {"ines", "jon"}  # one of each batch
    assert queue.claim_next("w3") is None  # provider "test" allows 2 at once
    interactive = queue.submit_job(
        board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    assert queue.claim_next("w3") is None  # still no free slot
    runner.execute(first.job_id, "w1")
    nxt = queue.claim_next("w1")
    assert nxt is not None and nxt.job_id == interactive.pk
    runner.execute(second.job_id, "w2")
    runner.execute(nxt.job_id, "w1")
    # Back to the batches, alternating between their people.
    order = []
    for _ in range(6):
        claim = queue.claim_next("w")
        order.append(author_of(claim))
        runner.execute(claim.job_id, "w")
    assert order in (["ines", "jon"] * 3, ["jon", "ines"] * 3)


def test_one_persons_two_batches_take_turns(board, owner):
    a, _ = runs.start_batch(board, owner, raw_batch(seeds=3, name="A"))
    b, _ = runs.start_batch(board, owner, raw_batch(seeds=3, name="B"))
    order = []
    for _ in range(6):
        claim = queue.claim_next("w")
        order.append(batch_of(claim))
        runner.execute(claim.job_id, "w")
    assert order == [a.pk, b.pk] * 3


def test_the_provider_parallel_limit_is_never_exceeded(board, owner, editors):
    for person in (owner, *editors):
        runs.start_batch(board, person, raw_batch(seeds=3))
    held: list = []
    finished = 0
    while True:
        claim = queue.claim_next(f"w{len(held)}")
        if claim is not None:
            held.append(claim)
        running = Job.objects.filter(state=JobState.RUNNING).count()
        assert running <= 2
        if claim is None:
            if not held:
                break
            done = held.pop(0)
            runner.execute(done.job_id, done_worker(done))
            finished += 1
    assert finished == 18 and not Job.objects.exclude(state=JobState.SUCCEEDED).exists()


def done_worker(claim):
    return Job.objects.get(pk=claim.job_id).worker_id


def test_the_per_minute_limit_holds_jobs_back(board, owner, settings):
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "5/3"}
    runs.start_batch(board, owner, raw_batch(seeds=3))
    for _ in range(3):
        claim = queue.claim_next("w")
        runner.execute(claim.job_id, "w")
    assert queue.claim_next("w") is None  # 3 starts in the last minute
    assert Job.objects.filter(state=JobState.QUEUED).count() == 3


def test_provider_limits_parse():
    from foundation.config import BadValue, provider_limits

    assert provider_limits("gemini=4/60, openai=8") == {"gemini": (4, 60), "openai": (8, None)}
    assert provider_limits({"gemini": [2, 30]}) == {"gemini": (2, 30)}
    for bad in ("gemini=0", "gemini=4/x", "gemini=1/2/3"):
        with pytest.raises(BadValue):
            provider_limits(bad)
