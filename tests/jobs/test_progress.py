"""The engine's reporter asks the database about cancels at most once per interval."""

from __future__ import annotations

import pytest

from canvas.jobs import queue
from canvas.jobs.progress import JobProgress
from canvas.models import Job

pytestmark = pytest.mark.django_db


def test_cancel_checks_are_one_query_per_interval_and_a_cancel_is_seen_after_it(
    submit, settings, django_assert_num_queries, monkeypatch
):
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 60.0
    job = submit(engine="test-echo")
    claim = queue.claim_next("w1")
    assert claim is not None
    progress = JobProgress(job.pk, "w1")
    with django_assert_num_queries(1):
        assert [progress.cancelled() for _ in range(10)] == [False] * 10
    queue.cancel_job(Job.objects.get(pk=job.pk))
    assert progress.cancelled() is False  # within the interval: the last answer stands
    monkeypatch.setattr(progress, "_last_cancel_check", progress._last_cancel_check - 61)
    assert progress.cancelled() is True
    with django_assert_num_queries(0):
        assert progress.cancelled() is True  # a cancel, once seen, stays seen
