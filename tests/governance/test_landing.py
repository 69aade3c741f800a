"""Job results are scored when they land, off the job's path; scoring failures lose nothing."""

from __future__ import annotations

import logging

import pytest
from django.test import TestCase

from canvas.governance import services
from canvas.jobs import queue, runner
from canvas.models import ConsistencyScore, Iteration, Job, JobState
from tests.governance import images
from tests.governance.conftest import add_anchor
from tests.jobs import engines  # noqa: F401  (registers test-echo)

pytestmark = pytest.mark.django_db

REGION = {"x": 0, "y": 0, "width": 64, "height": 64}


@pytest.fixture
def board(db, media_root):
    from tests import factories

    owner = factories.make_user("owner")
    board = factories.make_board(owner=owner)
    for role in ("palette", "lighting", "composition"):
        add_anchor(board, owner, images.ball(size=64), role)
    return board


def run_job(board, count=2) -> Job:
    """Submit and run a job; its after-commit callbacks (the scoring task) run inline."""
    spec = {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 3, "count": count}
    job = queue.submit_job(board, board.created_by, spec)
    claim = queue.claim_next("w1")
    assert claim is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        runner.execute(claim.job_id, "w1")
    return Job.objects.get(pk=job.pk)


def test_every_result_is_scored_when_it_lands(board):
    job = run_job(board)
    assert job.state == JobState.SUCCEEDED
    results = list(Iteration.objects.filter(job=job))
    assert len(results) == 2
    for result in results:
        rows = ConsistencyScore.objects.filter(asset=result.asset, iteration=result)
        assert set(rows.values_list("metric", flat=True)) == {"palette", "lighting", "composition"}


def test_a_board_without_anchors_stores_no_scores(db, media_root):
    from tests import factories

    owner = factories.make_user("plain")
    board = factories.make_board(owner=owner)
    add_anchor(board, owner, images.ball(size=64), "")  # an image, not an anchor
    job = run_job(board, count=1)
    assert job.state == JobState.SUCCEEDED
    assert not ConsistencyScore.objects.exists()


def test_a_scoring_failure_is_logged_and_the_job_still_succeeds(board, monkeypatch, caplog):
    def broken(job_id):
        raise RuntimeError("metrics exploded")

    monkeypatch.setattr(services, "score_job_results", broken)
    with caplog.at_level(logging.ERROR, logger="canvas.governance.tasks"):
        job = run_job(board)
    assert job.state == JobState.SUCCEEDED
    assert Iteration.objects.filter(job=job).count() == 2
    assert not ConsistencyScore.objects.exists()
    assert any("consistency scoring of job" in r.getMessage() for r in caplog.records)


def test_an_unreadable_result_does_not_fail_the_job(board, monkeypatch):
    def unreadable(asset):
        raise OSError("storage is gone")

    monkeypatch.setattr(services, "read_pixels", unreadable)
    job = run_job(board)
    assert job.state == JobState.SUCCEEDED
    assert Iteration.objects.filter(job=job).count() == 2
