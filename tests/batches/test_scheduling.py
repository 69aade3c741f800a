"""Batch jobs in the queue: behind interactive work, round-robin between people and between
batches, within each provider's parallel and per-minute limits (canvas.jobs.queue claims,
canvas.jobs.slots holds the calls)."""

from __future__ import annotations

import pytest

from canvas.batches import runs
from canvas.jobs import queue, runner, slots
from canvas.jobs.slots import provider_of
from canvas.models import BoardMember, Job, JobState, Role
from canvas.models.jobs import SlotState
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


def calling():
    return Job.objects.filter(state=JobState.RUNNING, slot_state=SlotState.CALLING).count()


def take(claim, worker):
    return slots.try_take(claim.job_id, worker, "test-echo")


def test_an_interactive_job_takes_the_next_free_slot_of_two_batches(board, owner, editors):
    """Provider "test" allows 2 calls; 3 of its jobs may be claimed (one prepared ahead).
    A waiting interactive job takes the next free slot before a waiting batch job."""
    ines, jon = editors
    runs.start_batch(board, ines, raw_batch(seeds=4))
    runs.start_batch(board, jon, raw_batch(seeds=4))
    first, second, third = (queue.claim_next(w) for w in ("w1", "w2", "w3"))
    assert {author_of(first), author_of(second)} == {"ines", "jon"}  # one of each batch
    assert queue.claim_next("w4") is None  # 2 calls + 1 prepared
    assert take(first, "w1") and take(second, "w2")
    assert not take(third, "w3") and calling() == 2  # prepared, waiting for a slot
    interactive = queue.submit_job(
        board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    assert queue.claim_next("w4") is None  # no room until a call ends
    slots.release(first.job_id, "w1")  # w1 stores its results now, past its call
    assert take(third, "w3")  # the waiting batch job takes the slot at once
    nxt = queue.claim_next("w4")
    assert nxt is not None and nxt.job_id == interactive.pk
    assert not take(nxt, "w4")  # both slots are calling: the interactive job waits
    slots.release(second.job_id, "w2")
    later = queue.claim_next("w5")
    assert later is not None and Job.objects.get(pk=later.job_id).batch_id is not None
    assert not take(later, "w5")  # the interactive job waits ahead of it
    assert take(nxt, "w4") and calling() == 2
    assert not take(later, "w5")
    pairs = ((later, "w5"), (first, "w1"), (second, "w2"), (third, "w3"), (nxt, "w4"))
    for claim, worker in pairs:
        slots.release(claim.job_id, worker)
    for claim, worker in pairs:  # the waiting one first: nobody is in line behind it
        runner.execute(claim.job_id, worker)
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
    """Every claimable job tries for a slot at every step: never more than 2 calls, never
    more than 3 claimed before or in their call."""
    for person in (owner, *editors):
        runs.start_batch(board, person, raw_batch(seeds=3))
    held: list = []  # claims not yet past their call, oldest first
    seen = 0
    finished = 0
    while True:
        claim = queue.claim_next(f"w{seen}")
        if claim is not None:
            seen += 1
            held.append(claim)
        for each in held:
            take(each, done_worker(each))
        assert calling() <= 2
        assert len(held) <= 3
        if claim is None:
            if not held:
                break
            done = next(c for c in held if slot_of(c) == SlotState.CALLING)
            held.remove(done)
            runner.execute(done.job_id, done_worker(done))  # its call, then the slot freed
            assert slot_of(done) == SlotState.CALLED
            finished += 1
    assert finished == 18 and not Job.objects.exclude(state=JobState.SUCCEEDED).exists()


def slot_of(claim):
    return Job.objects.get(pk=claim.job_id).slot_state


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


def test_two_peoples_batches_share_the_provider_beyond_the_per_person_cap(
    board, owner, editors, settings
):
    """The per-person cap (2 here) counts interactive jobs only: the two batches share the
    provider's 6 slots and its 1 prepared job, a person's own batch does not hold back
    their interactive job, which takes the next free room, and the freed room then goes
    to whoever runs fewer."""
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "6"}
    ines, jon = editors
    runs.start_batch(board, ines, raw_batch(seeds=4))  # 8 jobs each
    runs.start_batch(board, jon, raw_batch(seeds=4))
    held = [queue.claim_next(f"w{n}") for n in range(7)]
    # The provider's 6 calls + 1 prepared, not 2 + 2.
    assert all(held) and queue.claim_next("w7") is None
    authors = sorted(author_of(c) for c in held)
    assert sorted([authors.count("ines"), authors.count("jon")]) == [3, 4]
    fewer = "ines" if authors.count("ines") == 3 else "jon"
    mine = queue.submit_job(
        board, ines, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    assert queue.claim_next("w7") is None  # no room yet
    theirs = [c for c in held if author_of(c) == fewer]
    runner.execute(theirs[0].job_id, done_worker(theirs[0]))
    nxt = queue.claim_next("w7")
    assert nxt is not None and nxt.job_id == mine.pk  # ines's own batch did not block it
    runner.execute(nxt.job_id, "w7")
    # One person runs 4 bulk jobs, the other 2: the free room is the other's.
    refill = queue.claim_next("w8")
    assert refill is not None and author_of(refill) == fewer and batch_of(refill) is not None


def test_the_bulk_cap_per_person_holds_a_batch_back_when_set(board, owner, editors, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 1
    settings.ANCHORBOARD_JOB_BULK_USER_CONCURRENCY = 2
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "6"}
    ines, jon = editors
    runs.start_batch(board, ines, raw_batch(seeds=4))
    assert queue.claim_next("a") and queue.claim_next("b")
    assert queue.claim_next("c") is None  # ines's 2 bulk jobs
    runs.start_batch(board, jon, raw_batch(seeds=4))
    assert author_of(queue.claim_next("c")) == "jon"
    # Interactive work is capped on its own: ines may still start 1.
    job = queue.submit_job(
        board, ines, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    claim = queue.claim_next("d")
    assert claim is not None and claim.job_id == job.pk
    second = queue.submit_job(
        board, ines, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 2}
    )
    claim = queue.claim_next("e")
    assert claim is not None and claim.job_id != second.pk  # ines at her interactive cap
    assert author_of(claim) == "jon"


def test_the_celery_sweeper_does_not_count_a_paused_batchs_jobs(board, owner):
    from canvas.jobs.celery_worker import claimable_now

    batch, _ = runs.start_batch(board, owner, raw_batch())  # 4 jobs
    runs.pause_batch(batch)
    assert claimable_now(10) == 0  # no work message per idle slot and sweep for nothing
    runs.resume_batch(batch)
    assert claimable_now(10) == 4
