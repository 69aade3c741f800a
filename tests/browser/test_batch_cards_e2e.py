"""A running batch on the canvas, in a real browser (docs/frontend.md "Batch jobs on the
board"): a 12-job batch over one region is resumed from the progress dock and runs on the
embedded worker with the local engine. While it runs the region carries one quiet marker
("Spring hero variations — n/12") and never a job card (a MutationObserver on the canvas
overlay records the most cards and markers ever shown at once, so a card drawn for a moment
is not missed); the queue shows the batch as one line. When it ends, the staging strip sums
its results in one line instead of twelve thumbnails, and the dock's "Review results" opens
the review page on that batch's matrix; back on the board, the candidates filmstrip shows the
twelve results as one group that unfolds from the keyboard. Screenshots at 1440 × 900 (the
strip also at 390 × 844) go to ``$ANCHORBOARD_SCREENSHOTS`` (else the test's temporary folder).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_batch_progress_e2e import (
    open_board,
    shots,  # noqa: F401  (a fixture)
)
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WAIT_MS = 30_000
JOB_WAIT_MS = 180_000  # twelve local-engine jobs, one at a time, on a busy 2-core machine
JOBS = 12
NAME = "Spring hero variations"

SEED = f"""
import json
from django.test import Client
from canvas.batches import runs
from tests import factories
from tests.jobs.conftest import add_image
lead = factories.make_user("lead")
board = factories.make_board(name="Spring shoot", owner=lead)
add_image(board, lead, width=64, height=48)
spec = {{
    "name": "{NAME}",
    "mode": "variations",
    "prompt": "a {{product}} on sand",
    "variables": {{"product": ["shoe", "boot", "clog"]}},
    "seeds": 4,
    "seed": 7,
    "engines": ["local"],
    "targets": [{{"region": {{"x": 0, "y": 0, "width": 64, "height": 48}}}}],
}}
batch, summary = runs.start_batch(board, lead, spec)
assert summary["accepted"] == {JOBS}, summary
runs.pause_batch(batch)  # nothing runs before the test resumes it from the board
c = Client()
c.force_login(lead)
out = {{"board": str(board.pk), "batch": str(batch.pk), "lead": c.cookies["sessionid"].value}}
print("SEED" + json.dumps(out))
"""

# The most job cards and batch markers the overlay ever held at once.
WATCH_OVERLAY = """() => {
  const overlay = document.querySelector('[data-testid=job-overlay]');
  window.__most = {cards: 0, markers: 0};
  const seen = () => {
    const m = window.__most;
    const count = (testid) => overlay.querySelectorAll(`[data-testid=${testid}]`).length;
    m.cards = Math.max(m.cards, count('job-card'));
    m.markers = Math.max(m.markers, count('job-batch-marker'));
  };
  new MutationObserver(seen).observe(overlay, {subtree: true, childList: true});
  seen();
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("batch-cards") / "data",
        seed_script=SEED,
        with_workers=True,
        env={"ANCHORBOARD_ENGINE_CONCURRENCY": "local=1"},
    )
    srv.start()
    yield srv
    srv.stop()


def test_a_batch_draws_one_marker_sums_its_results_and_links_its_matrix(server, browser, shots):  # noqa: F811
    page, errors = open_board(browser, server, "lead")
    row = page.locator("[data-testid=bp-row]")
    # Paused, all twelve queued: one marker already, no cards, one queue line.
    marker = page.locator("[data-testid=job-batch-marker]")
    marker.wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelector('[data-testid=job-batch-marker]').textContent"
        f" === '{NAME} — 0/{JOBS}'",
        timeout=WAIT_MS,
    )
    assert page.locator("[data-testid=job-card]").count() == 0
    assert page.locator("[data-testid=job-queue-batch]").inner_text() == (
        f"{NAME}: 0 running, {JOBS} queued"
    )
    assert page.locator("[data-testid=job-queue] li[data-job]").count() == 0
    page.evaluate(WATCH_OVERLAY)

    row.locator("[data-testid=bp-toggle]").click()
    # Mid-run: some finished, some not; the marker counts them and the dock (its messages come
    # at most twice a second, so it may trail the marker by a job) shows progress.
    page.wait_for_function(
        "(() => { const t = document.querySelector('[data-testid=job-batch-marker]')?.textContent"
        " ?? ''; const m = t.match(/— (\\d+)\\/12$/); const bar = document.querySelector("
        "'[data-testid=bp-row] [role=progressbar]'); return m && Number(m[1]) >= 2"
        " && Number(m[1]) < 12 && Number(bar.getAttribute('aria-valuenow')) >= 1; })()",
        timeout=JOB_WAIT_MS,
    )
    # No count() here: the last jobs can land between this wait and a second look (CI saw the
    # marker gone); the wait saw it mid-run, and the observer's maximum is checked at the end.
    page.screenshot(path=str(shots / "batch-marker-1440.png"))

    # The end: the dock says so, the marker has gone, the strip sums the results.
    page.wait_for_function(
        "document.querySelector('[data-testid=bp-row]')?.dataset.state === 'completed'",
        timeout=JOB_WAIT_MS,
    )
    review = row.locator(".ab-bp-review")
    review.focus()  # the ended row stays while it has the focus
    page.wait_for_function(
        "!document.querySelector('[data-testid=job-batch-marker]')", timeout=WAIT_MS
    )
    most = page.evaluate("window.__most")
    assert most == {"cards": 0, "markers": 1}, most
    summary = page.locator("[data-testid=staging-batch]")
    page.wait_for_function(
        "document.querySelector('[data-testid=staging-batch]')?.textContent"
        f".startsWith('“{NAME}”: {JOBS} results')",
        timeout=WAIT_MS,
    )
    assert summary.count() == 1
    assert page.locator("[data-testid=staging-thumbs] img").count() == 0
    review_url = f"/boards/{server.seed['board']}/review/?batch={server.seed['batch']}"
    assert summary.locator("[data-testid=staging-batch-review]").get_attribute("href") == review_url
    assert review.get_attribute("href") == review_url
    page.screenshot(path=str(shots / "batch-summary-1440.png"))

    # History: the batch's twelve results are one row (its name, count, review link), their
    # entries built only when it is unfolded.
    page.click("[data-testid=history-open]")
    group = page.locator("[data-testid=history-batch]")
    group.wait_for(timeout=WAIT_MS)
    assert group.count() == 1 and group.get_attribute("data-count") == str(JOBS)
    assert page.locator("[data-testid=history-entry]").count() == 0
    assert f"“{NAME}” — {JOBS} results" in group.locator("summary").inner_text()
    assert group.locator("[data-testid=history-batch-review]").get_attribute("href") == (review_url)
    group.locator("summary").click()
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=history-entry]').length === {JOBS}",
        timeout=WAIT_MS,
    )
    page.screenshot(path=str(shots / "batch-history-1440.png"))
    page.keyboard.press("Escape")

    # "Review results" opens the review page on this batch's matrix.
    review.click()
    page.wait_for_url(f"**{review_url}", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=matrix-cell]').length >= 1", timeout=WAIT_MS
    )
    assert page.locator("[data-testid=matrix-batch]").input_value() == server.seed["batch"]

    # Back on the board (freshly opened: the batch's name comes from the review list), the
    # candidates filmstrip shows the twelve results as one group, unfolded from the keyboard.
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    page.wait_for_selector(".ab-status[data-status=online]", timeout=WAIT_MS)
    page.click("[data-testid=filmstrip-toggle]")
    film = page.locator("[data-testid=filmstrip-batch]")
    film.wait_for(timeout=WAIT_MS)
    assert film.count() == 1 and film.get_attribute("data-count") == str(JOBS)
    assert page.locator("[data-testid=filmstrip-item]").count() == 0
    toggle = film.locator("[data-testid=filmstrip-batch-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    # Its name for a screen reader: what it is, the batch's name and how many.
    # (Chrome may put a space around the flex column's blockified spans.)
    spoken = re.compile(rf"^Batch ?“{NAME}” ?: ?{JOBS} results$")
    named = page.get_by_role("button", name=spoken)
    assert named.get_attribute("data-batch") == server.seed["batch"]
    assert film.locator("[data-testid=filmstrip-batch-review]").get_attribute("href") == (
        review_url
    )
    page.screenshot(path=str(shots / "batch-filmstrip-1440.png"))
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=filmstrip-item]').length === {JOBS}",
        timeout=WAIT_MS,
    )
    # Still on the group's button (the strip was rebuilt), now saying it is open.
    assert page.evaluate("document.activeElement.dataset.testid") == "filmstrip-batch-toggle"
    assert toggle.get_attribute("aria-expanded") == "true"
    items = film.locator("[role=group]")
    assert items.get_attribute("aria-label") == f"Results of “{NAME}”"
    assert items.get_attribute("id") == toggle.get_attribute("aria-controls")
    page.screenshot(path=str(shots / "batch-filmstrip-open-1440.png"))
    page.keyboard.press("Space")
    page.wait_for_function(
        "!document.querySelector('[data-testid=filmstrip-item]')", timeout=WAIT_MS
    )
    assert toggle.get_attribute("aria-expanded") == "false"
    # A phone: the group is one finger-sized tile across the strip.
    page.set_viewport_size({"width": 390, "height": 844})
    box = toggle.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert box["height"] >= 44, box
    page.screenshot(path=str(shots / "batch-filmstrip-390.png"))
    assert errors == []
    page.context.close()
