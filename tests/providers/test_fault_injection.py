"""Fault injection: 200 jobs through the real queue and runner against fake Gemini and
OpenAI servers that fail 20 % of calls with mixed errors, plus a sustained Gemini outage.

Every job must end terminal (succeeded, or failed with a designer-readable reason), none
may start more often than its attempt limit, the Gemini circuit must open during the
outage and be closed after recovery, and every result must be stored exactly once.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from canvas.jobs import queue, runner
from canvas.models import Iteration, Job, JobState, ProviderCall, ProviderHealth
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes import openai as fake_openai
from tests.providers.fakes.base import Behaviour

PRO = "gemini-3-pro-image-preview"
OPENAI = "openai-gpt-image-1.5"
JOBS = 200
MAX_ATTEMPTS = 3


def drain(worker: str = "w1", max_rounds: int = 5000) -> int:
    """Claim and run jobs until none is queued; returns how many runs it took."""
    runs = 0
    for _ in range(max_rounds):
        claim = queue.claim_next(worker)
        if claim is not None:
            runner.execute(claim.job_id, worker)
            runs += 1
            continue
        due = (
            Job.objects.filter(state=JobState.QUEUED)
            .order_by("not_before")
            .values_list("not_before", flat=True)
            .first()
        )
        if due is None and not Job.objects.filter(state=JobState.QUEUED).exists():
            return runs
        # Everything left waits for a backoff or the breaker's probe time: wait for it,
        # as an idle worker's poll would.
        time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.01 if due else 0.01)
    raise AssertionError("the queue did not drain")


@pytest.mark.slow
@pytest.mark.django_db
def test_two_hundred_jobs_survive_flaky_providers_and_an_outage(
    gemini_server, openai_server, submit, settings, no_job_heartbeat
):
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.ANCHORBOARD_BREAKER_FAILURES = 3
    # Long enough that the next claim of a Gemini job lands inside the open window even on
    # a loaded machine (at 0.1 s a busy runner reached the probe time first, so no job was
    # ever deferred and the "waited for the breaker" check below failed).
    settings.ANCHORBOARD_BREAKER_COOLDOWN_SECONDS = 0.4
    settings.ANCHORBOARD_GEMINI_TIMEOUT = 0.3
    gemini_server.chaos(
        0.2,
        [
            fake_gemini.error(503, "UNAVAILABLE", "The model is overloaded."),
            fake_gemini.rate_limited("0s"),
            fake_gemini.error(500, "INTERNAL", "Internal error."),
            fake_gemini.error(504, "DEADLINE_EXCEEDED", "Deadline exceeded."),
            Behaviour("drop"),
            Behaviour("malformed"),
            Behaviour("slow", seconds=0.6),
            Behaviour("safety", reason="IMAGE_SAFETY"),
        ],
        seed=20,
        outage=(60, 90),  # Gemini calls 60–89 all fail with 503
    )
    openai_server.chaos(
        0.2,
        [
            fake_openai.rate_limited("0"),
            fake_openai.error(500, "server_error", "Server error.", "server_error"),
            fake_openai.moderation_blocked(),
            Behaviour("drop"),
            Behaviour("malformed"),
        ],
        seed=21,
    )
    jobs = [submit(PRO if i % 3 else OPENAI) for i in range(JOBS)]
    drain()

    states = Counter(Job.objects.values_list("state", flat=True))
    assert set(states) <= {JobState.SUCCEEDED, JobState.FAILED}, states
    assert sum(states.values()) == JOBS
    for job in Job.objects.all():
        assert 1 <= job.attempts <= MAX_ATTEMPTS
        if job.state == JobState.FAILED:
            assert job.error_code and job.error_message
            assert "Traceback" not in job.error_message

    # Circuit: opened during the outage, closed again after recovery; jobs waited for it.
    gemini = ProviderHealth.objects.get(provider="gemini")
    assert gemini.opened_at is not None and gemini.state == "closed"
    gemini_calls = list(
        ProviderCall.objects.filter(provider="gemini")
        .order_by("id")
        .values_list("created_at", "http_status")
    )
    outage_started, _ = gemini_calls[60 - 1]  # the fake numbers requests from 1
    assert all(status == 503 for _, status in gemini_calls[59:89])
    assert gemini.opened_at >= outage_started  # (re)opened by the outage, not before it
    deferred = [
        j
        for j in Job.objects.filter(engine=PRO)
        if any("paused after repeated failures" in n["text"] for n in j.notes or [])
    ]
    assert deferred

    # Results: exactly one per succeeded job, none for failed ones.
    per_job = dict(Iteration.objects.values("job").annotate(n=Count("id")).values_list("job", "n"))
    succeeded = set(Job.objects.filter(state=JobState.SUCCEEDED).values_list("pk", flat=True))
    assert set(per_job) == succeeded and set(per_job.values()) == {1}

    # Every call recorded; one successful call per result; never more calls than attempts.
    for provider, server in (("gemini", gemini_server), ("openai", openai_server)):
        recorded = ProviderCall.objects.filter(provider=provider)
        # Every request the fake answered was recorded. On a loaded machine a call can also
        # time out (or lose its connection) before the fake has read it: recorded as such,
        # never counted by the fake — so only those may be missing from the fake's count.
        unseen = recorded.count() - server.count
        lost = recorded.filter(error_code__in=["provider_timeout", "provider_unreachable"])
        assert 0 <= unseen <= lost.count(), (recorded.count(), server.count)
    assert ProviderCall.objects.filter(outcome="success").count() == len(succeeded)
    calls_per_job = Counter(ProviderCall.objects.values_list("job_id", flat=True))
    assert max(calls_per_job.values()) <= MAX_ATTEMPTS
    assert set(calls_per_job) == {j.pk for j in jobs}

    # The mix really happened: retried successes and permanent refusals.
    retried = Job.objects.filter(state=JobState.SUCCEEDED, attempts__gt=1).count()
    blocked = Job.objects.filter(state=JobState.FAILED, error_code="provider_blocked").count()
    assert retried > 10 and blocked > 0
    print(
        f"\nfault injection: {dict(states)}, retried successes {retried}, blocked {blocked}, "
        f"deferred {len(deferred)}, gemini calls {gemini_server.count}, "
        f"openai calls {openai_server.count}"
    )
