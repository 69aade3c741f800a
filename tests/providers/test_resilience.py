"""Shared failure handling: circuit breaker, deferral, fallback, retries, call records,
concurrency limits and the provider status for the settings page."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from canvas.engines.providers import provider_status, resilience
from canvas.jobs import queue, runner
from canvas.models import (
    BoardEngineFallbacks,
    Iteration,
    JobState,
    ProviderCall,
    ProviderHealth,
)
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes.base import Behaviour

PRO = "gemini-3-pro-image-preview"
OPENAI = "openai-gpt-image-1.5"


def run_next(worker="w1"):
    claim = queue.claim_next(worker)
    assert claim is not None, "nothing was claimable"
    return claim.job_id, runner.execute(claim.job_id, worker)


def health() -> ProviderHealth:
    return ProviderHealth.objects.get(provider="gemini")


def open_circuit(*, due: bool) -> None:
    for _ in range(3):
        resilience.record_failure("gemini", "HTTP 503")
    when = timezone.now() + (timedelta(seconds=-1) if due else timedelta(minutes=5))
    ProviderHealth.objects.filter(provider="gemini").update(next_probe_at=when)


# --- The breaker on its own ---------------------------------------------------------------


@pytest.mark.django_db
def test_opens_after_n_consecutive_transient_failures(providers_fast):
    resilience.record_failure("gemini", "HTTP 503")
    resilience.record_failure("gemini", "HTTP 503")
    assert health().state == "closed" and health().consecutive_failures == 2
    assert resilience.admit("gemini") is None
    resilience.record_failure("gemini", "Gemini had a temporary problem (HTTP 503)")
    row = health()
    assert row.state == "open" and row.opened_at is not None
    assert row.next_probe_at == row.opened_at + timedelta(seconds=30)
    assert row.last_error == "Gemini had a temporary problem (HTTP 503)"
    assert resilience.admit("gemini") == row.next_probe_at


@pytest.mark.django_db
def test_an_answer_resets_the_count_even_a_refusal(providers_fast):
    resilience.record_failure("gemini", "x")
    resilience.record_failure("gemini", "x")
    resilience.record_answer("gemini", error="blocked for safety reasons")
    resilience.record_failure("gemini", "x")
    assert health().state == "closed" and health().consecutive_failures == 1


@pytest.mark.django_db
def test_half_open_lets_exactly_one_probe_through_and_success_closes(providers_fast):
    open_circuit(due=True)
    assert resilience.admit("gemini") is None  # this caller is the probe
    assert health().state == "half_open"
    assert resilience.admit("gemini") is not None  # everyone else waits
    resilience.record_answer("gemini")
    assert health().state == "closed" and health().consecutive_failures == 0
    assert resilience.admit("gemini") is None


@pytest.mark.django_db
def test_a_failed_probe_opens_the_circuit_again(providers_fast):
    open_circuit(due=True)
    assert resilience.admit("gemini") is None
    resilience.record_failure("gemini", "still down")
    row = health()
    assert row.state == "open" and row.next_probe_at > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_one_probe_across_two_database_connections(providers_fast):
    """Two threads = two connections (the SQLite file, whose busy timeout makes one wait for
    the other, or PostgreSQL with DATABASE_URL): the conditional UPDATE lets exactly one of
    them probe."""
    open_circuit(due=True)
    barrier = threading.Barrier(2)
    answers: list[object] = []
    errors: list[BaseException] = []

    def contend():
        try:
            barrier.wait()
            answers.append(resilience.admit("gemini"))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(a is None for a in answers) == [False, True]
    assert health().state == "half_open"


# --- Through the real queue and runner ----------------------------------------------------


@pytest.mark.django_db
def test_an_open_circuit_defers_the_job_without_spending_an_attempt(gemini_server, submit):
    job = submit(PRO)
    open_circuit(due=False)
    _, state = run_next()
    assert state == JobState.QUEUED
    job.refresh_from_db()
    assert job.attempts == 0 and job.not_before == health().next_probe_at
    assert "paused after repeated failures" in job.notes[-1]["text"]
    assert gemini_server.requests == []  # nothing was sent
    assert queue.claim_next("w1") is None  # not due before the probe time
    # The cool-down passes: this job becomes the probe, succeeds and closes the circuit.
    past = timezone.now() - timedelta(seconds=1)
    ProviderHealth.objects.update(next_probe_at=past)
    type(job).objects.filter(pk=job.pk).update(not_before=past)
    _, state = run_next()
    job.refresh_from_db()
    assert state == JobState.SUCCEEDED and job.attempts == 1
    assert health().state == "closed"
    assert Iteration.objects.filter(job=job).count() == 1


@pytest.mark.django_db
def test_a_board_that_opted_in_runs_on_the_next_engine_of_its_chain(
    gemini_server, openai_server, submit, board
):
    # "local" cannot follow a prompt-only job, so it is skipped; OpenAI takes it.
    BoardEngineFallbacks.objects.create(board=board, chains={PRO: ["local", OPENAI]})
    job = submit(PRO)
    open_circuit(due=False)
    _, state = run_next()
    assert state == JobState.SUCCEEDED
    assert gemini_server.requests == [] and len(openai_server.requests) == 1
    [result] = Iteration.objects.filter(job=job)
    assert result.provenance["engine"] == OPENAI
    assert ProviderCall.objects.get().provider == "openai"


@pytest.mark.django_db
def test_a_job_whose_brand_kit_locks_the_engine_waits_instead_of_falling_back(
    gemini_server, openai_server, submit, board
):
    from canvas.governance.kits import services as kits

    kit = kits.create_kit(board.team, None, "Spring", {"engine": PRO, "locks": ["engine"]})
    kits.set_board_kit(board, kit)
    BoardEngineFallbacks.objects.create(board=board, chains={PRO: [OPENAI]})
    job = submit(PRO)
    assert job.spec["engine_locked"] is True
    open_circuit(due=False)
    _, state = run_next()
    assert state == JobState.QUEUED and openai_server.requests == []
    # Unlocked, the same board falls back as it opted in to.
    kits.edit_kit(kit, None, changes={"locks": []})
    unlocked = submit(PRO)
    assert "engine_locked" not in unlocked.spec
    type(job).objects.filter(pk=job.pk).update(state=JobState.CANCELLED)
    _, state = run_next()
    assert state == JobState.SUCCEEDED and len(openai_server.requests) == 1


@pytest.mark.django_db
def test_without_opt_in_the_chain_is_not_used(gemini_server, openai_server, submit, settings):
    settings.ANCHORBOARD_ENGINE_FALLBACKS = {PRO: [OPENAI]}
    submit(PRO)
    open_circuit(due=False)
    _, state = run_next()
    assert state == JobState.QUEUED and openai_server.requests == []


@pytest.mark.django_db
def test_retry_after_from_the_provider_sets_the_next_try(gemini_server, submit):
    gemini_server.script(fake_gemini.rate_limited("7s"))
    job = submit(PRO)
    before = timezone.now()
    _, state = run_next()
    after = timezone.now()
    job.refresh_from_db()
    assert state == JobState.QUEUED and job.attempts == 1
    assert before + timedelta(seconds=7) <= job.not_before <= after + timedelta(seconds=7)


@pytest.mark.django_db
def test_transient_failures_retry_up_to_the_limit_then_fail(gemini_server, submit, settings):
    settings.ANCHORBOARD_BREAKER_FAILURES = 10
    gemini_server.script(*[fake_gemini.error(503, "UNAVAILABLE", "busy")] * 3)
    job = submit(PRO)
    for _ in range(3):
        run_next()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 3
    # Each attempt's message promised a retry; the final one says there was none.
    assert "will be retried" in job.notes[0]["text"]
    assert "retried" not in job.error_message.lower()
    assert job.error_message.endswith("(HTTP 503) (UNAVAILABLE). Gave up after 3 attempts.")
    calls = list(ProviderCall.objects.order_by("id"))
    assert [(c.job_id, c.attempt, c.outcome) for c in calls] == [
        (job.pk, 1, "transient"),
        (job.pk, 2, "transient"),
        (job.pk, 3, "transient"),
    ]


@pytest.mark.django_db
def test_permanent_failures_are_never_retried(gemini_server, submit):
    gemini_server.script(Behaviour("safety", reason="IMAGE_SAFETY"))
    job = submit(PRO)
    _, state = run_next()
    job.refresh_from_db()
    assert state == JobState.FAILED and job.attempts == 1
    assert job.error_code == "provider_blocked"
    assert job.error_message.startswith("Nano Banana Pro blocked this request for safety")
    assert queue.claim_next("w1") is None and len(gemini_server.requests) == 1


@pytest.mark.django_db
def test_provider_concurrency_feeds_the_queue_cap(gemini_server, submit, settings):
    settings.ANCHORBOARD_PROVIDER_CONCURRENCY = "gemini=1"
    submit(PRO)
    submit(PRO)
    assert queue.claim_next("w1") is not None
    assert queue.claim_next("w2") is None  # the engine already runs its one job


@pytest.mark.django_db
def test_provider_status_for_the_settings_page(gemini_server, submit):
    gemini_server.script(fake_gemini.error(503, "UNAVAILABLE", "busy"))
    submit(PRO)
    run_next()
    run_next()
    status = {row["name"]: row for row in provider_status()}
    gemini = status["gemini"]
    assert gemini["configured"] is True and gemini["label"] == "Google Gemini"
    assert PRO in gemini["models"]
    pro = next(e for e in gemini["engines"] if e["name"] == PRO)
    assert pro["label"].startswith("Nano Banana Pro") and pro["capabilities"]["supports_mask"]
    assert gemini["state"] == "closed" and gemini["recent_calls"] == 2
    assert gemini["recent_success_rate"] == 0.5
    assert "HTTP 503" in gemini["last_error"]


@pytest.mark.django_db
def test_gemini_inpaint_results_are_pasted_back_through_the_mask(
    gemini_server, submit, board, owner
):
    """Gemini takes no mask; the runner keeps every pixel outside it from the original."""
    import io

    from PIL import Image

    from assets.services import ingest_bytes
    from canvas.jobs.adapters import open_asset

    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (0, 0, 32, 48))  # change the left half only
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    mask_asset = ingest_bytes(board, owner, buffer.getvalue(), "mask.png")
    job = submit(PRO, mode="inpaint", mask=str(mask_asset.pk))
    _, state = run_next()
    assert state == JobState.SUCCEEDED
    result = open_asset(Iteration.objects.get(job=job).asset).convert("RGB")
    assert result.getpixel((60, 24)) == (200, 40, 40)  # right half: the original layer
    assert result.getpixel((4, 24)) == fake_gemini.RESULT_COLOR  # left half: Gemini's image
    assert (
        "Change only the area from 0% to 50% across"
        in (gemini_server.requests[0]["body"]["contents"][0]["parts"][0]["text"])
    )


@pytest.mark.django_db
def test_setting_a_boards_fallbacks_checks_the_engine_names(gemini_server, board):
    from foundation.errors import AppError

    row = resilience.set_board_fallbacks(board, {PRO: ["local"]})
    assert row.enabled and resilience.fallbacks_for(board.pk, PRO) == ("local",)
    with pytest.raises(AppError) as raised:
        resilience.set_board_fallbacks(board, {PRO: ["nope"]})
    assert raised.value.code == "invalid_fallbacks" and "'nope'" in raised.value.message
    with pytest.raises(AppError):
        resilience.set_board_fallbacks(board, {PRO: [PRO]})
    resilience.set_board_fallbacks(board, {}, enabled=False)
    assert resilience.fallbacks_for(board.pk, PRO) == ()
