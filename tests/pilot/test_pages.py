"""The pilot's pages: a real run against the fake Gemini, then its report page, PDF and raw
JSON show the report's own numbers and verdicts; two runs side by side; the start form goes
through the same start as the API; a stranger gets the 404, a viewer reads but cannot
start or cancel."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from assets.models import Asset
from canvas.pilot import presenting, runs
from canvas.pilot.models import PilotRun, PilotState
from tests.pilot.conftest import ENGINE
from tests.providers.fakes import gemini as fake_gemini


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(studio, **fields):
    body = {"engine": ENGINE, "jobs": 4, "concurrency": 2, **fields}
    return runs.start_pilot(studio.board, studio.lead, body)


@pytest.mark.django_db(transaction=True)
def test_the_report_page_pdf_and_json_show_the_runs_numbers(studio, gemini_server, drive):
    run = drive(start(studio))
    assert run.state == PilotState.SUCCEEDED, run.report
    latency = run.report["tests"]["latency"]["numbers"]
    viewer = client_for(studio.viewer)

    page = viewer.get(f"/pilots/{run.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    verdict = presenting.VERDICT_LABELS[run.report["verdict"]]
    assert f'data-testid="pilot-verdict">{verdict}<' in html
    # The latency test's p95 and job count, formatted as the presenter formats them.
    assert f"<td>{presenting.seconds(latency['delivery_p95_seconds'])}</td>" in html
    assert f'<th scope="row">Jobs</th><td>{latency["jobs"]}</td>' in html
    # Every consistency image links to a preview the viewer may load.
    images = run.report["tests"]["consistency"]["images"]
    assert images and html.count('<img src="/files/') >= len(images)
    first = html.split('<img src="', 1)[1].split('"', 1)[0]
    assert viewer.get(first).status_code == 200
    assert "Cancel pilot" not in html  # ended, and a viewer could not anyway

    pdf = viewer.get(f"/pilots/{run.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert f"Verdict: {verdict}" in text
    assert presenting.seconds(latency["delivery_p95_seconds"]) in text
    assert "Raw data" in text
    # Every image was drawn: none is named "not available", and each distinct file is in
    # (ReportLab embeds identical JPEGs once per page).
    assert "image not available" not in text
    blobs = Asset.objects.filter(pk__in=[ref["asset"] for ref in images])
    distinct = blobs.values_list("blob_id", flat=True).distinct().count()
    assert sum(len(page.images) for page in reader.pages) >= distinct

    raw = viewer.get(f"/pilots/{run.pk}/report.json")
    assert raw.status_code == 200 and raw.json() == run.report


@pytest.mark.django_db(transaction=True)
def test_two_runs_side_by_side_and_the_list(studio, gemini_server, drive, settings):
    first = drive(start(studio))
    settings.ANCHORBOARD_BREAKER_FAILURES = 1000  # every attempt reaches the failing fake
    gemini_server.chaos(1.0, [fake_gemini.error(500, "INTERNAL", "The model is overloaded.")])
    second = drive(start(studio))
    assert first.report["verdict"] != second.report["verdict"], second.report["reason"]
    lead = client_for(studio.lead)

    listing = lead.get("/pilots/").content.decode()
    assert f'data-run="{first.pk}"' in listing and f'data-run="{second.pk}"' in listing

    compared = lead.get(f"/pilots/compare/?run={first.pk}&run={second.pk}")
    assert compared.status_code == 200
    rows = presenting.comparison([first.report, second.report])
    verdict_row = next(r for r in rows if r[0] == "Verdict")
    html = compared.content.decode()
    assert f"<td>{verdict_row[1]}</td><td>{verdict_row[2]}</td>" in html
    failed_row = next(r for r in rows if r[0] == "Latency: Failed")
    assert f"<td>{failed_row[1]}</td><td>{failed_row[2]}</td>" in html

    # One run: not a comparison; back to the list with the reason.
    alone = lead.get(f"/pilots/compare/?run={first.pk}", follow=True)
    assert "Pick between 2 and 4" in alone.content.decode()


@pytest.mark.django_db
def test_strangers_get_the_404_and_viewers_cannot_start_or_cancel(studio, gemini_server):
    run = start(studio)
    stranger = client_for(studio.stranger)
    for url in (
        f"/pilots/{run.pk}/",
        f"/pilots/{run.pk}/report.pdf",
        f"/pilots/{run.pk}/report.json",
        f"/pilots/compare/?run={run.pk}&run={run.pk}x",
    ):
        assert stranger.get(url).status_code in (302, 404), url
    assert stranger.get(f"/pilots/{run.pk}/").status_code == 404
    assert f'data-run="{run.pk}"' not in stranger.get("/pilots/").content.decode()
    # Comparing one's own run with a stranger's: the 404, never the other's numbers.
    theirs_client = client_for(studio.lead)
    mine = client_for(studio.stranger)
    assert mine.get(f"/pilots/compare/?run={run.pk}&run={run.pk}").status_code in (302, 404)
    assert theirs_client.get(f"/pilots/{run.pk}/").status_code == 200

    viewer = client_for(studio.viewer)
    started = viewer.post(
        "/pilots/", {"board": str(studio.board.pk), "engine": ENGINE, "jobs": "4"}, follow=True
    )
    assert PilotRun.objects.count() == 1
    assert "role" in started.content.decode().lower()
    viewer.post(f"/pilots/{run.pk}/cancel/")
    run.refresh_from_db()
    assert run.state == PilotState.QUEUED


@pytest.mark.django_db
def test_the_start_form_starts_a_run_or_says_why_not(studio, gemini_server):
    editor = client_for(studio.editor)
    page = editor.get("/pilots/").content.decode()
    assert f'<option value="{studio.board.pk}">Shoes</option>' in page
    bad = editor.post(
        "/pilots/",
        {"board": str(studio.board.pk), "engine": ENGINE, "jobs": "2", "concurrency": "5"},
        follow=True,
    )
    assert "cannot be more than the number of jobs" in bad.content.decode()
    assert PilotRun.objects.count() == 0
    good = editor.post(
        "/pilots/",
        {"board": str(studio.board.pk), "engine": ENGINE, "jobs": "3", "concurrency": "1",
         "burst": "on"},
    )  # fmt: skip
    run = PilotRun.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/pilots/{run.pk}/"
    settings = run.settings
    assert (settings["jobs"], settings["concurrency"], settings["burst"]) == (3, 1, True)
    assert run.created_by == studio.editor
    html = editor.get(f"/pilots/{run.pk}/").content.decode()
    assert 'http-equiv="refresh"' in html and "Cancel pilot" in html
    editor.post(f"/pilots/{run.pk}/cancel/")
    run.refresh_from_db()
    assert run.state == PilotState.CANCELLED
