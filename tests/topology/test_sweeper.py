"""The Celery worker's sweeper, in one process: which jobs it announces, and when.

These run everywhere (no services): ``send``, ``busy`` and ``waiting`` are plain callables
here, while the queue is the real one in the test database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canvas.jobs.celery_worker import Sweeper
from canvas.jobs.queue import claim_next, submit_job
from canvas.models import Item, ItemKind, Job, JobState
from tests import factories
from tests.jobs import engines as _engines  # noqa: F401  (registers test-echo)

pytestmark = pytest.mark.django_db

REGION = {"x": 0, "y": 0, "width": 16, "height": 16}


@pytest.fixture
def board(media_root):
    from assets.services import ingest_bytes

    owner = factories.make_user("sweeper-owner")
    board = factories.make_board(owner=owner)
    asset = ingest_bytes(board, owner, factories.png_bytes((16, 16)), "layer.png")
    Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=16, height=16)
    board.owner = owner
    return board


def _jobs(board, count: int) -> list[Job]:
    return [
        submit_job(
            board,
            board.owner,
            {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": n},
        )
        for n in range(count)
    ]


def _sweeper(*, slots=4, busy=0, waiting=0):
    sent: list[int] = []
    sweeper = Sweeper(
        slots, busy=lambda: busy, waiting=lambda: waiting, send=lambda: sent.append(1)
    )
    return sweeper, sent


def test_announces_claimable_jobs_up_to_the_idle_slots(board):
    _jobs(board, 5)
    sweeper, sent = _sweeper(slots=4, busy=1)
    assert sweeper.tick() == 3
    assert len(sent) == 3


def test_messages_already_waiting_in_the_broker_are_not_sent_again(board):
    _jobs(board, 5)
    sweeper, sent = _sweeper(slots=4, busy=0, waiting=3)
    assert sweeper.tick() == 1
    sweeper, sent = _sweeper(slots=4, busy=0, waiting=9)
    assert sweeper.tick() == 0 and sent == []


def test_a_busy_worker_announces_nothing(board):
    _jobs(board, 2)
    sweeper, sent = _sweeper(slots=2, busy=2)
    assert sweeper.tick() == 0 and sent == []


def test_a_retry_is_announced_once_its_backoff_has_ended(board):
    [job] = _jobs(board, 1)
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() + timedelta(minutes=5))
    sweeper, sent = _sweeper()
    assert sweeper.tick() == 0
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert sweeper.tick() == 1 and len(sent) == 1


def test_paused_boards_are_not_announced(board):
    _jobs(board, 2)
    board.__class__.objects.filter(pk=board.pk).update(queue_paused=True)
    sweeper, sent = _sweeper()
    assert sweeper.tick() == 0 and sent == []


def test_a_job_whose_lease_expired_is_requeued_and_announced(board, settings):
    settings.ANCHORBOARD_JOB_LEASE_SECONDS = 30
    [job] = _jobs(board, 1)
    claim = claim_next("elsewhere:1:task")  # another host: only the lease tells it is dead
    assert claim is not None and claim.job_id == job.pk
    sweeper, sent = _sweeper()
    assert sweeper.tick() == 0  # lease still valid: the job is left alone
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert sweeper.tick() == 1 and len(sent) == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.worker_id == ""
