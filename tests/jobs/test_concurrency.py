"""Claims racing in threads: each job once, caps hold under contention (PostgreSQL's locks;
on SQLite, IMMEDIATE transactions that wait their busy timeout for each other)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from canvas.jobs import queue
from canvas.models import JobState

pytestmark = pytest.mark.django_db(transaction=True)


def race(threads: int, claims_each: int) -> tuple[list, list]:
    claimed: list = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def claimer(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(claims_each):
                claim = queue.claim_next(f"racer-{n}")
                if claim is not None:
                    claimed.append(claim.job_id)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=claimer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return claimed, failures


def test_every_job_is_claimed_exactly_once(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 100
    jobs = {submit().pk for _ in range(12)}
    claimed, failures = race(threads=4, claims_each=5)
    assert failures == []
    assert len(claimed) == len(set(claimed)) == 12
    assert set(claimed) == jobs


def test_user_cap_holds_under_contention(submit, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    for _ in range(6):
        submit()
    claimed, failures = race(threads=4, claims_each=2)
    assert failures == []
    assert len(claimed) == 2
    from canvas.models import Job

    assert Job.objects.filter(state=JobState.RUNNING).count() == 2
