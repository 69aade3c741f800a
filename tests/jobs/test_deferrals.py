"""A job deferred by a provider's open circuit runs as soon as the circuit closes
(canvas/jobs/deferrals.py), not at the end of the probe window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canvas.engines.providers import resilience
from canvas.jobs import queue, runner
from canvas.models import Job, JobState
from canvas.models.providers import BreakerState, ProviderHealth

pytestmark = pytest.mark.django_db

PROVIDER = "test-provider"  # the circuit of the "test-provider" engine (tests/jobs/engines.py)


@pytest.fixture
def woken(monkeypatch):
    """Names of the tasks dispatched after commit (the workers' wake-ups)."""
    sent: list[str] = []
    monkeypatch.setattr("foundation.background.dispatch_now", lambda name, *a: sent.append(name))
    return sent


def _open_circuit(provider: str = PROVIDER) -> None:
    now = timezone.now()
    ProviderHealth.objects.update_or_create(
        provider=provider,
        defaults={
            "state": BreakerState.OPEN,
            "opened_at": now,
            "next_probe_at": now + timedelta(hours=1),
        },
    )


def _run_next(worker: str = "w1"):
    claim = queue.claim_next(worker)
    assert claim is not None
    return runner.execute(claim.job_id, worker)


def test_the_job_is_due_the_moment_its_circuit_closes(
    submit, woken, django_capture_on_commit_callbacks
):
    _open_circuit()
    job = submit(engine="test-provider")
    assert _run_next() == JobState.QUEUED
    job.refresh_from_db()
    assert (job.deferred_for, job.attempts) == (PROVIDER, 0)
    assert job.not_before > timezone.now() + timedelta(minutes=30)  # the probe window
    assert queue.claim_next("w2") is None
    woken.clear()
    # A probe on some worker succeeds: the circuit closes.
    with django_capture_on_commit_callbacks(execute=True):
        resilience.record_answer(PROVIDER)
    job.refresh_from_db()
    assert (job.deferred_for, job.not_before) == ("", None)
    assert "canvas.jobs.wake" in woken  # the workers are told, not left to their poll
    assert _run_next("w2") == JobState.SUCCEEDED


def test_a_circuit_that_closes_while_the_job_is_being_deferred_still_releases_it(
    submit, monkeypatch, django_capture_on_commit_callbacks
):
    """The job saw the circuit open; the probe closed it (its release found nothing yet);
    then the deferral committed. The deferral looks again after its commit."""
    job = submit(engine="test-provider")

    def saw_it_open(job, request, engine):
        ProviderHealth.objects.update_or_create(
            provider=PROVIDER, defaults={"state": BreakerState.CLOSED, "next_probe_at": None}
        )  # … and meanwhile the probe closed it, releasing nothing
        raise resilience.ProviderDeferred("paused", timezone.now() + timedelta(hours=1))

    monkeypatch.setattr(resilience, "route_engine", saw_it_open)
    with django_capture_on_commit_callbacks(execute=True):
        assert _run_next() == JobState.QUEUED
    job.refresh_from_db()
    assert (job.deferred_for, job.not_before) == ("", None)
    assert queue.claim_next("w2").job_id == job.pk


def test_only_that_providers_deferred_jobs_are_released(submit, django_capture_on_commit_callbacks):
    _open_circuit()
    deferred = submit(engine="test-provider")
    assert _run_next() == JobState.QUEUED
    backing_off = submit(engine="test-flaky")  # a transient error: backoff, not deferral
    assert _run_next() == JobState.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        resilience.record_answer("some-other-provider")
    assert Job.objects.get(pk=deferred.pk).deferred_for == PROVIDER
    with django_capture_on_commit_callbacks(execute=True):
        resilience.record_answer(PROVIDER)
    assert Job.objects.get(pk=deferred.pk).not_before is None
    retry = Job.objects.get(pk=backing_off.pk)
    assert retry.not_before is not None and retry.not_before > timezone.now()
