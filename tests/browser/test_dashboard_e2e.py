"""The operations dashboard in a real browser (docs/dashboard.md "The page"): a generated
history (tests/ops/history.py) rolled up in the server's database, the page's tiles checked
against numbers the seed computed straight from the generated rows (not from the roll-ups
or the page), the six uPlot charts drawn with their series (failed jobs by error class over
time checked value by value through its data table), a chart's CSV downloaded, axe
clean, and the page at phone width without sideways scrolling. Screenshots at 1440 × 900 and
390 × 844 go to ``$ANCHORBOARD_SCREENSHOTS`` (else the test's temporary folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_accessibility import axe_script  # noqa: F401  (a fixture)
from tests.browser.test_batch_progress_e2e import (
    assert_axe_clean,
    shots,  # noqa: F401  (a fixture: the screenshot folder)
)
from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = """
import json
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from assets.services import ingest_bytes
from canvas.models import Job, ProviderHealth, TeamMembership, TeamRole
from canvas.ops import histogram, rollups
from tests import factories
from tests.ops.history import keeping_timestamps, seed_history
lead = factories.make_user("lead")
maker = factories.make_user("maker")
team = factories.make_team("Studio", admin=lead)
TeamMembership.objects.create(team=team, user=maker, role=TeamRole.MEMBER)
one = factories.make_board(team, "Spring shoot", owner=lead)
two = factories.make_board(team, "Autumn catalogue", owner=lead)
elsewhere = factories.make_team("Elsewhere", admin=factories.make_user("stranger"))
hidden = factories.make_board(elsewhere, "Secret launch", owner=elsewhere.memberships.first().user)
asset = ingest_bytes(one, lead, factories.png_bytes(), "result.png")
now = timezone.now()
start = rollups.floor_hour(now) - timedelta(hours=30)
kept = seed_history(300, boards=[one, two], users=[lead, maker], asset=asset, start=start,
                    hours=24, keep=True)
with keeping_timestamps():
    for minutes in (25, 3, 1):
        Job.objects.create(board=one, created_by=lead, mode="img2img", engine="local",
                           queued_at=now - timedelta(minutes=minutes))
ProviderHealth.objects.create(provider="gemini", state="open", consecutive_failures=4)
ProviderHealth.objects.create(provider="openai", state="closed")
rollups.rebuild(start - timedelta(hours=1), rollups.floor_hour(now) + timedelta(hours=1))
# What yesterday and today (UTC) must show, computed from the generated rows (not from the
# roll-ups). Two days, not "Today": the 24 h of history end 6 h before the seed, so between
# 00:00 and 06:00 UTC today alone holds none of it (the test failed at 00:09 that way).
midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
jobs = [j for j in kept.jobs if j.finished_at >= midnight]
done = {j.id for j in jobs if j.state == "succeeded"}
failed = sum(1 for j in jobs if j.state == "failed")
counts = [0] * histogram.BUCKETS
for j in jobs:
    if j.state == "succeeded":
        counts[histogram.bucket_of((j.finished_at - j.queued_at).total_seconds())] += 1
waits = [0] * histogram.BUCKETS
for j in jobs:
    if j.first_claimed_at is not None:
        waits[histogram.bucket_of((j.first_claimed_at - j.queued_at).total_seconds())] += 1
classes = {}
for j in jobs:
    if j.state == "failed":
        classes[j.error_code] = classes.get(j.error_code, 0) + 1
decisions = [e for e in kept.events if e.at >= midnight and "status" in e.changes]
scored = {s.iteration_id for s in kept.scores if s.created_at >= midnight}
drifted = {s.iteration_id for s in kept.scores if s.created_at >= midnight and s.flag}
cost = sum(float(c.cost) for c in kept.calls if c.cost is not None and c.created_at >= midnight)
approvals = sum(1 for e in decisions if e.status == "approved")
out = {
    "team": str(team.pk), "one": str(one.pk), "hidden": str(hidden.pk),
    "range": f"range=custom&from={midnight:%Y-%m-%d}&to={now:%Y-%m-%d}&granularity=hour",
    "expect": {
        "results": sum(1 for i in kept.iterations if i.job_id in done),
        "succeeded": len(done), "failed": failed,
        "p50": histogram.percentile(counts, 0.5), "p95": histogram.percentile(counts, 0.95),
        "wait_p50": histogram.percentile(waits, 0.5),
        "wait_p95": histogram.percentile(waits, 0.95), "claimed": sum(waits),
        "classes": classes,
        "decisions": len(decisions), "approvals": approvals,
        "scored": len(scored), "drifted": len(drifted), "cost": cost, "queue": 3,
    },
}
c = Client()
c.force_login(lead)
out["lead"] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("dashboard") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def duration(seconds: float | None) -> str:
    """As frontend/src/dashboard/model.ts ``duration`` writes it."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def percent(part: int, whole: int) -> str:
    return f"{round(part / whole, 4) * 100:.1f} %" if whole else "—"


def tile(page, key: str) -> tuple[str, str]:
    box = page.locator(f"[data-tile={key}]")
    return (
        box.locator("[data-field=value]").inner_text(),
        box.locator("[data-field=sub]").inner_text(),
    )


def open_dashboard(browser, server, viewport=None):
    path = f"/dashboard/?{server.seed['range']}"
    context, page, errors = open_signed_in(browser, server, "lead", path, viewport)
    page.wait_for_selector("#dashboard[data-loaded]", timeout=WAIT_MS)
    return context, page, errors


def test_the_dashboard_shows_the_seeded_numbers(server, browser, shots, axe_script):  # noqa: F811
    expect = server.seed["expect"]
    context, page, errors = open_dashboard(browser, server)

    # Tiles: the two days' numbers as the seed computed them from the generated rows.
    assert tile(page, "results")[0] == f"{expect['results']:,}"
    assert tile(page, "delivery")[0] == f"{duration(expect['p50'])} / {duration(expect['p95'])}"
    ended = expect["succeeded"] + expect["failed"]
    assert tile(page, "failure") == (
        percent(expect["failed"], ended),
        f"{expect['failed']:,} failed of {ended:,} ended",
    )
    # Queue wait to the first claim (retry backoff excluded), from the generated jobs.
    assert tile(page, "wait") == (
        f"{duration(expect['wait_p50'])} / {duration(expect['wait_p95'])}",
        f"submit → first claim · {expect['claimed']:,} jobs",
    )
    assert tile(page, "approval")[0] == percent(expect["approvals"], expect["decisions"])
    assert tile(page, "drift")[0] == percent(expect["drifted"], expect["scored"])
    assert tile(page, "queue")[0] == f"{expect['queue']} waiting"
    assert re.fullmatch(r"oldest for (2[4-9]|3\d)\.\d min", tile(page, "queue")[1])
    value, sub = tile(page, "cost")
    shown = float(value.split()[0]) if expect["cost"] else None
    assert shown is not None and abs(shown - expect["cost"]) < 0.006, (value, expect["cost"])
    per = float(sub.split()[0])
    assert abs(per - expect["cost"] / expect["approvals"]) < 0.0006, sub

    # Charts: a canvas with a size and the series each one draws (uPlot's own legend rows).
    classes = expect["classes"]
    charts = (
        ("throughput", 1), ("delivery", 2), ("outcomes", 3), ("failure_classes", len(classes)),
        ("wait", 2), ("cost", 1),
    )  # fmt: skip
    for key, series in charts:
        figure = page.locator(f"[data-chart={key}]")
        assert figure.get_attribute("data-series-count") == str(series)
        box = figure.locator("canvas").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, (key, box)
        assert figure.locator(".u-legend .u-series").count() == series + 1  # x + series
        assert "loading" not in (figure.locator(".dash-plot").get_attribute("aria-label") or "")
    # The text alternative: the results chart's table adds up to the tile.
    page.locator("[data-chart=throughput] summary").click()
    cells = page.locator("[data-chart=throughput] .dash-table-body tbody td").all_inner_texts()
    assert sum(int(c.replace(",", "")) for c in cells) == expect["results"]
    # Failed jobs by error class over time: a stacked series per class, most failed first;
    # its table's columns add up to each class's failed jobs in the range, and its summary says so.
    figure = page.locator("[data-chart=failure_classes]")
    order = sorted(classes, key=lambda c: (-classes[c], c))
    legend = figure.locator(".u-legend .u-series th").all_inner_texts()[1:]
    assert sorted(legend) == sorted(order), legend  # uPlot lists a stack top-down
    figure.locator("summary").click()
    header = figure.locator(".dash-table-body thead th").all_inner_texts()
    assert header == ["Hour (UTC)", *order]
    rows = figure.locator(".dash-table-body tbody tr").all()
    sums = [0] * len(order)
    for row in rows:
        for i, text in enumerate(row.locator("td").all_inner_texts()):
            sums[i] += int(text.replace(",", ""))
    assert dict(zip(order, sums, strict=True)) == classes
    label = figure.locator(".dash-plot").get_attribute("aria-label") or ""
    for code in order:
        assert f"{code}: {classes[code]:,} in total" in label, label
    # Breakers: every provider's, as the server holds them.
    rows = page.locator("[data-testid=breakers] tbody tr")
    assert rows.count() == 2
    assert "Open" in page.locator("tr[data-provider=gemini]").inner_text()

    # A chart's CSV: the API's file for the page's scope.
    with page.expect_download() as download:
        page.locator("[data-testid=csv-throughput]").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0] == "bucket,results,jobs_succeeded,jobs_failed,jobs_cancelled,images"
    assert sum(int(line.split(",")[1]) for line in text.splitlines()[1:]) == expect["results"]

    # The board list names only boards the person may see.
    options = page.locator("#dash-board option").all_inner_texts()
    assert options == ["All boards", "Autumn catalogue", "Spring shoot"]
    assert "Secret launch" not in page.content()

    page.screenshot(path=str(shots / "dashboard-1440.png"), full_page=True)
    assert_axe_clean(page, axe_script, "the dashboard")
    assert not errors
    context.close()

    # Phone width: the charts shrink to the screen; nothing scrolls sideways.
    context, phone, errors = open_dashboard(browser, server, {"width": 390, "height": 844})
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for key in ("throughput", "delivery", "outcomes", "failure_classes", "wait", "cost"):
        box = phone.locator(f"[data-chart={key}] canvas").bounding_box()
        assert box and 200 < box["width"] <= 390 - 24, (key, box)
    phone.screenshot(path=str(shots / "dashboard-390.png"), full_page=True)
    assert not errors
    context.close()
