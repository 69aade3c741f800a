"""The stage deadline: a test whose provider hangs (a claimed job that never answers) or
whose exports never finish is stopped when its deadline passes — its batch's jobs and its
exports cancelled through their own cancels (results and files already saved stay), the
reason in the report, the test's verdict ideation, the next test started. The clock is
driven (``machine.advance(run, now=…)``), never slept on; exports are left queued by the
tests' transaction (their run is handed over after commit, which never comes here)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from pypdf import PdfReader

from canvas.exports.models import Export, ExportState
from canvas.exports.runner import run as run_export
from canvas.jobs import queue, runner
from canvas.models import Batch, Iteration, Job, JobState
from canvas.pilot import consistency, machine, runs
from canvas.pilot.latency import HELD
from canvas.pilot.models import PilotRun, PilotStage, PilotState
from tests.pilot.conftest import run_jobs

ENGINE = "local"  # the server's own engine: the provider's silence is played by the test
DEADLINE = 600.0


@pytest.fixture
def pilot(studio, settings, monkeypatch, providers_fast):
    """A started run with a 10-minute stage deadline, its consistency batch queued."""
    settings.ANCHORBOARD_PILOT_STAGE_DEADLINE_SECONDS = DEADLINE
    monkeypatch.setattr(consistency, "SCORE_WAIT", timedelta(0))  # scores are not the point
    body = {"engine": ENGINE, "jobs": 4, "concurrency": 1}
    run = runs.start_pilot(studio.board, studio.lead, body)
    machine.advance(run.pk)
    return PilotRun.objects.get(pk=run.pk)


def run_one() -> None:
    claim = queue.claim_next("pilot-test-worker")
    assert claim is not None
    runner.execute(claim.job_id, "pilot-test-worker")


def hang_one() -> Job:
    """A worker claims a job and calls the provider, which never answers."""
    claim = queue.claim_next("pilot-test-worker")
    assert claim is not None
    return Job.objects.get(pk=claim.job_id)


def at(run: PilotRun, seconds: float):
    assert run.stage_started_at is not None
    return run.stage_started_at + timedelta(seconds=seconds)


@pytest.mark.django_db
def test_a_hanging_provider_is_stopped_at_the_deadline_and_the_next_test_starts(pilot):
    run = pilot
    assert run.stage == PilotStage.CONSISTENCY
    jobs = Job.objects.filter(batch_id=run.consistency_batch_id)
    run_one()
    run_one()
    hung = hang_one()  # running, waiting on a provider that never answers
    saved = set(Iteration.objects.filter(job__in=jobs).values_list("pk", flat=True))
    assert len(saved) == 2

    # A minute before the deadline nothing is stopped.
    machine.advance(run.pk, now=at(run, DEADLINE - 60))
    run.refresh_from_db()
    assert run.stage == PilotStage.CONSISTENCY
    assert jobs.filter(state=JobState.QUEUED).count() == 2

    machine.advance(run.pk, now=at(run, DEADLINE + 60))
    run = PilotRun.objects.get(pk=run.pk)
    # The batch is cancelled through cancel_batch: queued jobs at once, the hung one asked.
    assert Batch.objects.get(pk=run.consistency_batch_id).state == "cancelled"
    assert jobs.filter(state=JobState.CANCELLED).count() == 2
    hung.refresh_from_db()
    assert hung.state == JobState.RUNNING and hung.cancel_requested
    assert set(Iteration.objects.filter(job__in=jobs).values_list("pk", flat=True)) == saved

    test = run.report["tests"]["consistency"]
    assert test["status"] == "stopped" and test["verdict"] == "ideation"
    assert test["reason"].startswith(
        "Stopped after 11 min: the provider had not answered 3 of 5 jobs."
    ), test["reason"]
    assert "only 2 of 5 variations were delivered" in test["reason"]
    assert test["numbers"]["variations_delivered"] == 2
    assert test["stopped"]["unanswered"] == 3 and test["stopped"]["jobs"] == 5
    assert test["stopped"]["deadline_seconds"] == DEADLINE

    # The next test started: its batch, C = 1 released and three held.
    assert run.stage == PilotStage.LATENCY and run.state == PilotState.RUNNING
    assert run.report["tests"]["latency"]["status"] == "running"
    latency = Job.objects.filter(batch_id=run.latency_batch_id)
    assert latency.count() == 4 and latency.filter(not_before=HELD).count() == 3


@pytest.mark.django_db
def test_a_stopped_latency_test_cancels_its_held_jobs_and_moves_to_the_export(pilot):
    run = pilot
    run_jobs()  # the five variations
    machine.advance(run.pk)
    run = PilotRun.objects.get(pk=run.pk)
    assert run.stage == PilotStage.LATENCY
    latency = Job.objects.filter(batch_id=run.latency_batch_id)
    hang_one()  # the one released job never comes back

    machine.advance(run.pk, now=at(run, DEADLINE + 1))
    run = PilotRun.objects.get(pk=run.pk)
    test = run.report["tests"]["latency"]
    assert test["status"] == "stopped" and test["verdict"] == "ideation"
    assert test["reason"].startswith(
        "Stopped after 10 min: the provider had not answered 1 of 4 jobs; "
        "3 more were still waiting their turn."
    ), test["reason"]
    assert (test["stopped"]["unanswered"], test["stopped"]["waiting"]) == (1, 3)
    # Held jobs are cancelled, none released on the way (top_up leaves a cancelled batch).
    assert latency.filter(state=JobState.CANCELLED).count() == 3
    assert not latency.filter(state=JobState.QUEUED).exists()
    assert run.stage == PilotStage.EXPORT
    assert run.report["tests"]["consistency"]["status"] == "done"


@pytest.mark.django_db
def test_exports_that_never_finish_are_cancelled_and_the_run_ends(pilot, studio):
    run = pilot
    run_jobs()
    machine.advance(run.pk)
    run_jobs()  # the latency jobs, one at a time as they are released
    for _ in range(6):
        machine.advance(run.pk)
        run_jobs()
    run = PilotRun.objects.get(pk=run.pk)
    assert run.stage == PilotStage.EXPORT
    # The PSD was asked for; its file is written (what a worker would do) and is kept.
    psd = Export.objects.get(pk=run.exports["psd"]["id"])
    run_export(psd.pk, "export-test-worker")
    machine.advance(run.pk)  # asks for the TIFF, which no worker picks up
    run = PilotRun.objects.get(pk=run.pk)
    tiff = Export.objects.get(pk=run.exports["tiff16"]["id"])
    assert tiff.state == ExportState.QUEUED

    machine.advance(run.pk, now=at(run, DEADLINE + 120))
    run = PilotRun.objects.get(pk=run.pk)
    assert run.state == PilotState.SUCCEEDED and run.stage == PilotStage.DONE
    tiff.refresh_from_db()
    assert tiff.state == ExportState.FAILED and tiff.error_code == "export_cancelled"
    psd.refresh_from_db()
    assert psd.state == ExportState.READY  # a file already written stays
    test = run.report["tests"]["export"]
    assert test["status"] == "stopped" and test["verdict"] == "ideation"
    assert test["reason"].startswith(
        "Stopped after 12 min: 1 of 4 files were still being written and 2 not yet asked "
        "for. Of the files written: PSD opened."
    ), test["reason"]
    rows = {row["kind"]: row for row in test["rows"]}
    assert rows["psd"]["opened"] and not rows["tiff16"]["opened"]
    assert rows["tiff16"]["detail"] == "Still being written at the deadline; cancelled."
    assert run.report["verdict"] == "ideation"
    assert "export (stopped at its deadline)" in run.report["reason"]

    # The report page and its PDF say so in the same words.
    client = Client()
    client.force_login(studio.viewer)
    html = client.get(f"/pilots/{run.pk}/").content.decode()
    assert "Stopped at its deadline" in html and test["reason"] in html
    pdf = client.get(f"/pilots/{run.pk}/report.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Stopped at its deadline" in text
    assert "1 of 4 files were still being written" in " ".join(text.split())
