"""A pilot run end to end against the fake Gemini server: the report's numbers equal what
the fake served and what the job and provider-call tables say; a provider that fails
turns the verdicts to ideation with the reason; the export files are read back."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from PIL import Image

from assets import storage
from canvas.exports.models import Export
from canvas.models import Iteration, Job, JobState, ProviderCall
from canvas.pilot import readers, runs
from canvas.pilot.models import PilotState
from tests.pilot.conftest import ENGINE
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes.base import Behaviour


def start(studio, **fields):
    body = {"engine": ENGINE, "jobs": 6, "concurrency": 2, **fields}
    return runs.start_pilot(studio.board, studio.lead, body)


@pytest.mark.django_db(transaction=True)
def test_a_healthy_provider_passes_with_numbers_from_the_fake_and_the_tables(
    studio, gemini_server, drive
):
    run = drive(start(studio))
    assert run.state == PilotState.SUCCEEDED, run.report
    report = run.report
    tests = report["tests"]
    assert [tests[n]["status"] for n in ("consistency", "latency", "export")] == ["done"] * 3

    consistency = tests["consistency"]
    assert consistency["numbers"]["variations_delivered"] == 5
    assert consistency["numbers"]["images_scored"] == 5
    assert {m["metric"] for m in consistency["numbers"]["metrics"]} == {"lighting", "palette"}

    latency = tests["latency"]["numbers"]
    jobs = Job.objects.filter(batch_id=run.latency_batch_id)
    calls = ProviderCall.objects.filter(job__in=jobs)
    assert latency["jobs"] == jobs.count() == 6
    assert latency["succeeded"] == jobs.filter(state=JobState.SUCCEEDED).count() == 6
    assert latency["calls"] == calls.count() == 6
    assert latency["failure_rate"] == 0
    assert latency["max_running_observed"] <= 2
    # The fake served the five variations and the six latency jobs, nothing else.
    assert len(gemini_server.requests) == 5 + 6
    delivery = sorted(
        (j.finished_at - j.queued_at).total_seconds() for j in jobs.order_by("position")
    )
    assert latency["delivery_max_seconds"] == pytest.approx(delivery[-1], abs=1e-3)

    export = tests["export"]
    rows = export["rows"]
    assert [r["kind"] for r in export["rows"]] == ["psd", "tiff16", "zip", "pdf"]
    assert all(r["opened"] for r in export["rows"]), [(r["kind"], r["detail"]) for r in rows]
    assert_tiff_holds_the_first_result(run, rows[1])
    assert export["verdict"] == "production"
    assert report["verdict"] == "production", {n: t["reason"] for n, t in tests.items()}
    assert report["state"] == PilotState.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_failing_provider_gives_an_ideation_report_not_a_crash(
    studio, gemini_server, drive, settings
):
    # Every call fails; the breaker stays closed, so each job spends its three attempts
    # now (with the breaker open they would wait for its probe, which is the queue's job).
    settings.ANCHORBOARD_BREAKER_FAILURES = 1000
    gemini_server.chaos(1.0, [fake_gemini.error(500, "INTERNAL", "The model is overloaded.")])
    run = drive(start(studio, jobs=4, concurrency=2))
    assert run.state == PilotState.SUCCEEDED
    tests = run.report["tests"]
    assert tests["consistency"]["verdict"] == "ideation"
    assert "No variation was delivered" in tests["consistency"]["reason"]
    latency = tests["latency"]["numbers"]
    jobs = Job.objects.filter(batch_id=run.latency_batch_id)
    assert latency["failed"] == jobs.filter(state=JobState.FAILED).count() == 4
    assert latency["failure_rate"] == 1.0
    assert latency["calls"] == ProviderCall.objects.filter(job__in=jobs).count()
    assert latency["failures"][0]["error_class"] == jobs.first().error_code
    assert latency["retried_jobs"] == 4 and latency["attempts"] == 12
    assert len(gemini_server.requests) == (5 + 4) * 3  # every attempt reached the fake
    assert tests["latency"]["verdict"] == "ideation"
    assert "4 of 4 jobs failed (100%" in tests["latency"]["reason"]
    # No result to export: each file says why (a TIFF of the shot would prove nothing).
    rows = {r["kind"]: r for r in tests["export"]["rows"]}
    assert rows["zip"]["state"] == "not_started" and "no results" in rows["zip"]["detail"]
    assert rows["tiff16"]["state"] == "not_started" and not rows["tiff16"]["opened"]
    assert rows["tiff16"]["detail"] == (
        "No variation was delivered, so there is no result to export."
    )
    assert not Export.objects.filter(board=studio.board).exists()
    assert tests["export"]["verdict"] == "ideation"
    assert run.report["verdict"] == "ideation"


@pytest.mark.django_db(transaction=True)
def test_one_refusal_in_six_turns_latency_to_ideation(studio, gemini_server, drive):
    """The fake refuses one latency job (a permanent error, never retried): 1 of 6 is
    above the 5 % limit, so the verdict flips, naming the class the fake's refusal maps to."""
    gemini_server.script(*[Behaviour()] * 6, Behaviour("safety", reason="IMAGE_SAFETY"))
    run = drive(start(studio))
    latency = run.report["tests"]["latency"]
    jobs = Job.objects.filter(batch_id=run.latency_batch_id)
    failed = jobs.get(state=JobState.FAILED)
    assert failed.error_code == "provider_blocked" and failed.attempts == 1
    numbers = latency["numbers"]
    assert (numbers["succeeded"], numbers["failed"]) == (5, 1)
    assert numbers["failure_rate"] == round(1 / 6, 4)
    assert numbers["failures"] == [
        {"error_class": "provider_blocked", "jobs": 1, "message": failed.error_message}
    ]
    assert numbers["calls"] == 6 and numbers["calls_failed"] == 1
    assert len(gemini_server.requests) == 5 + 6
    assert latency["verdict"] == "ideation" and "provider_blocked" in latency["reason"]
    assert run.report["tests"]["consistency"]["verdict"] == "production"
    assert run.report["verdict"] == "ideation"


def assert_tiff_holds_the_first_result(run, row) -> None:
    """The 16-bit TIFF is made from a real result (the first delivered variation's, not
    the product shot or an anchor): read back by the independent reader at 16 bits per
    channel, its pixels are the result's within rounding."""
    tiff = Export.objects.get(pk=row["export"])
    first = (
        Iteration.objects.filter(job__batch_id=run.consistency_batch_id, job__state="succeeded")
        .order_by("job__position", "index")
        .first()
    )
    assert tiff.selection == {"batch": str(run.consistency_batch_id)}
    assert tiff.options == {"results": "all", "result": str(first.pk)}
    assert run.exports["tiff16"]["result"] == str(first.pk)
    assert "its pixels are the result's" in row["detail"]
    with storage.open_file(tiff.file_key) as handle:
        data = handle.read()
    with storage.open_file(first.asset.blob.storage_key) as handle:
        result = np.asarray(Image.open(handle).convert("RGB"), dtype=np.int32)
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        pixels = tif.pages[0].asarray()
    assert pixels.dtype == np.uint16 and pixels.shape[:2] == result.shape[:2]
    assert np.abs(np.rint(pixels[..., :3] / 257).astype(np.int32) - result).max() <= 1
    # The independent reader says the same, and catches a TIFF of another image.
    assert readers.read_tiff16(io.BytesIO(data), result)[0]
    other = (result + 128) % 256  # every sample 128 away
    opened, detail = readers.read_tiff16(io.BytesIO(data), other)
    assert not opened and "differ from the result's" in detail
