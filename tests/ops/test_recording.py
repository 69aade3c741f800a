"""Recording at the source: real jobs through the queue, the runner and the fake providers
(a retry, a refusal, a fallback) leave the provider-call rows the roll-ups read, priced by
the operator's table; a record that cannot be written never fails the job."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from canvas.jobs import queue, runner
from canvas.models import BoardEngineFallbacks, Job, JobState, ProviderCall, ProviderHealth
from canvas.ops import rollups
from canvas.ops.dashboard import Scope, numbers
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes.base import Behaviour

PRO = "gemini-3-pro-image-preview"
OPENAI = "openai-gpt-image-1.5"


def run_next() -> str | None:
    claim = queue.claim_next("w1")
    assert claim is not None, "nothing was claimable"
    return runner.execute(claim.job_id, "w1")


@pytest.mark.django_db
def test_calls_are_recorded_with_retries_refusals_fallbacks_and_cost(
    gemini_server, openai_server, submit, board, settings
):
    settings.ANCHORBOARD_ENGINE_PRICES = {"gemini": "0.13 EUR/image", OPENAI: "0.5 USD/mp"}
    settings.ANCHORBOARD_BREAKER_FAILURES = 10
    before = timezone.now()
    # A retry: the first attempt meets a 503, the second succeeds.
    gemini_server.script(fake_gemini.error(503, "UNAVAILABLE", "busy"))
    retried = submit(PRO)
    assert run_next() == JobState.QUEUED and run_next() == JobState.SUCCEEDED
    # A refusal: permanent, never retried.
    gemini_server.script(Behaviour("safety", reason="IMAGE_SAFETY"))
    refused = submit(PRO)
    assert run_next() == JobState.FAILED
    # A fallback: Gemini's circuit is open, the board opted in to OpenAI.
    BoardEngineFallbacks.objects.create(board=board, chains={PRO: [OPENAI]})
    ProviderHealth.objects.update_or_create(
        provider="gemini",
        defaults={"state": "open", "next_probe_at": timezone.now() + timedelta(minutes=5)},
    )
    fell_back = submit(PRO)
    assert run_next() == JobState.SUCCEEDED

    calls = list(ProviderCall.objects.order_by("id"))
    summary = [(c.job_id, c.provider, c.attempt, c.outcome, c.fallback) for c in calls]
    assert summary == [
        (retried.pk, "gemini", 1, "transient", False),
        (retried.pk, "gemini", 2, "success", False),
        (refused.pk, "gemini", 1, "permanent", False),
        (fell_back.pk, "openai", 1, "success", True),
    ]
    first, second, refusal, fallback = calls
    assert first.images == 0 and first.cost is None and first.currency == ""
    assert refusal.error_code == "provider_blocked" and refusal.cost is None
    assert second.images == 1 and second.cost == Decimal("0.13") and second.currency == "EUR"
    assert second.megapixels > 0
    assert fallback.currency == "USD"
    assert fallback.cost == Decimal(f"{0.5 * fallback.megapixels:.5f}") > 0
    for call in calls:
        assert before <= call.started_at <= call.created_at

    # The roll-up of those facts: what the dashboard shows for the board.
    now = timezone.now()
    rollups.rebuild(rollups.floor_hour(before), rollups.floor_hour(now) + rollups.HOUR)
    scope = Scope(
        start=rollups.floor_hour(before),
        end=rollups.floor_hour(now) + rollups.HOUR,
        board=str(board.pk),
    )
    totals = numbers(scope)["totals"]
    assert (totals["jobs_succeeded"], totals["jobs_failed"], totals["results"]) == (2, 1, 2)
    assert (totals["calls"], totals["calls_failed"], totals["call_retries"]) == (4, 2, 1)
    assert (totals["fallbacks"], totals["retried_jobs"], totals["attempts"]) == (1, 1, 4)
    assert totals["failure_rate"] == round(1 / 3, 4)
    assert totals["cost"] == [
        {"currency": "EUR", "amount": 0.13},
        {"currency": "USD", "amount": float(round(fallback.cost, 4))},
    ]
    failures = numbers(scope)["failures"]
    assert failures == [{"error_class": "provider_blocked", "jobs": 1, "rate": round(1 / 3, 4)}]
    assert Job.objects.get(pk=refused.pk).error_code == "provider_blocked"


@pytest.mark.django_db
def test_a_call_record_that_cannot_be_written_does_not_fail_the_job(
    gemini_server, submit, monkeypatch, caplog
):
    def broken(**fields):
        raise RuntimeError("the metrics table is gone")

    monkeypatch.setattr(ProviderCall.objects, "create", broken)
    job = submit(PRO)
    assert run_next() == JobState.SUCCEEDED
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED
    assert "provider call of gemini-3-pro-image-preview not recorded" in caplog.text
