"""The batch matrix follows a running batch in a real browser (docs/review.md "The batch
matrix", "Live"): a paused batch with four results opens in the matrix; the reviewer opens
one candidate (it stays marked as theirs) and keeps the keyboard focus on it; the batch is
resumed through the API and the server's embedded worker runs the rest with the local
engine. The cells' counts and candidates grow to the end through the real
``batch_progress`` messages — no reload of the page — while the focus and the mark stay on
the same candidate, and the matrix never has two reads of itself running at once.
Screenshots at 1440 × 900 and 390 × 844 go to ``$ANCHORBOARD_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer, open_signed_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WAIT_MS = 30_000
JOB_WAIT_MS = 180_000  # the local engine on a busy 2-core machine

SEED = """
import json
from django.test import Client
from canvas.batches import runs
from canvas.jobs import queue, runner
from canvas.models import Iteration
from tests import factories
from tests.jobs.conftest import add_image
lead = factories.make_user("lead")
board = factories.make_board(name="Spring shoot", owner=lead)
add_image(board, lead, width=64, height=48)
spec = {
    "name": "Spring live",
    "mode": "variations",
    "prompt": "a {product} on {background}",
    "variables": {"product": ["sneaker", "boot"], "background": ["sand", "snow"]},
    "seeds": 3,
    "seed": 7,
    "engines": ["local"],
    "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}],
}
batch, summary = runs.start_batch(board, lead, spec)
assert summary["accepted"] == 12, summary
for _ in range(4):  # sneaker/sand's three seeds and sneaker/snow's first
    claim = queue.claim_next("seed")
    runner.execute(claim.job_id, "seed")
runs.pause_batch(batch)
first_snow = Iteration.objects.get(job__batch=batch, job__spec__variables__background="snow")
c = Client()
c.force_login(lead)
out = {"board": str(board.pk), "batch": str(batch.pk), "lead": c.cookies["sessionid"].value,
       "snow": str(first_snow.pk)}
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("batch-matrix-live") / "data",
        seed_script=SEED,
        with_workers=True,
        env={"ANCHORBOARD_ENGINE_CONCURRENCY": "local=1"},
    )
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str) -> None:
    screenshot(page, name, full_page=True)


def done_per_cell(page) -> dict[str, int]:
    return page.eval_on_selector_all(
        "[data-testid=matrix-cell]",
        "els => Object.fromEntries(els.map(e => [e.dataset.row + '/' + e.dataset.col,"
        " Number(e.dataset.done)]))",
    )


def test_the_matrix_follows_a_running_batch_and_keeps_the_focus(server, browser):
    batch = server.seed["batch"]
    # Reads of the matrix in flight: the most at once is recorded. The listeners are
    # attached before the page loads, so the first read is seen from its start.
    reads = {"now": 0, "most": 0, "all": 0}
    progress: list[str] = []

    def is_matrix_read(request) -> bool:
        return request.url.split("?")[0].endswith(f"/batches/{batch}/matrix")

    def started(request) -> None:
        if is_matrix_read(request):
            reads["now"] += 1
            reads["all"] += 1
            reads["most"] = max(reads["most"], reads["now"])

    def ended(request) -> None:
        if is_matrix_read(request):
            reads["now"] -= 1

    def listen(page) -> None:
        page.on("request", started)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived",
                lambda frame: progress.append(frame) if "batch_progress" in str(frame) else None,
            ),
        )

    context, page, errors = open_signed_in(
        browser,
        server,
        "lead",
        f"/boards/{server.seed['board']}/review/?batch={batch}",
        before_goto=listen,
    )
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=matrix-cell]').length === 4", timeout=WAIT_MS
    )
    assert done_per_cell(page) == {
        "sneaker/sand": 3,
        "sneaker/snow": 1,
        "boot/sand": 0,
        "boot/snow": 0,
    }
    assert page.locator("[data-testid=matrix-candidate]").count() == 4

    # The reviewer opens sneaker/snow's result, closes the view and keeps the focus on it.
    snow = f"[data-testid=matrix-candidate][data-id='{server.seed['snow']}']"
    page.click(snow)
    page.locator(".ab-compare").wait_for(state="visible", timeout=WAIT_MS)
    page.click("[data-testid=compare-close]")
    page.focus(snow)
    page.evaluate("window.__samePage = true")
    assert page.locator(snow).get_attribute("aria-current") == "true"

    # Resume through the API: the worker runs the eight jobs left.
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    resumed = page.request.post(
        f"{server.base_url}/api/v1/batches/{batch}/resume", headers={"X-CSRFToken": csrf}
    )
    assert resumed.ok, resumed.text()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=matrix-cell]')]"
        ".every(c => c.dataset.done === '3')",
        timeout=JOB_WAIT_MS,
    )
    assert page.evaluate("window.__samePage") is True  # updated in place, not reloaded
    assert page.locator("[data-testid=matrix-candidate]").count() == 12
    assert "12 jobs · 12 done" in page.locator("[data-testid=matrix-summary]").inner_text()
    assert progress, "no batch_progress reached the review page"
    # The focus and the reviewer's mark stayed on the same candidate throughout.
    assert page.evaluate("document.activeElement?.dataset.id") == server.seed["snow"]
    assert page.locator(snow).get_attribute("aria-current") == "true"
    assert page.locator("[data-testid=matrix-candidate][aria-current]").count() == 1
    assert reads["most"] == 1, reads
    # The picker says the batch ended, from the last message.
    page.wait_for_function(
        "document.querySelector('[data-testid=matrix-batch]').selectedOptions[0]"
        ".textContent.endsWith('completed')",
        timeout=WAIT_MS,
    )
    page.mouse.move(0, 0)
    shot(page, "review-batch-matrix-live-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    shot(page, "review-batch-matrix-live-390")
    assert errors == []
    context.close()
