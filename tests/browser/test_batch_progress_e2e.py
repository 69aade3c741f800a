"""Batch progress in a real browser (docs/batches.md "Following a batch"): the board's
progress dock shows a paused batch from the API on load; Resume from the dock lets the
server's embedded worker run its jobs with the local engine, and the counts move on an
editor's and a viewer's board through the real ``batch_progress`` messages (the viewer
clicked nothing); Pause from the dock pauses it (the API says so); Cancel asks first, the
row then says how the batch ended with a link to review it, and leaves. The batches page
follows the same batch by polling. Screenshots at 1440 × 900 and 390 × 844 go to
``$ANCHORBOARD_SCREENSHOTS`` (else the test's temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_accessibility import (
    ALSO_FAILING,
    FAILING_IMPACTS,
    axe_script,  # noqa: F401  (a fixture)
    describe,
    run_axe,
)
from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WAIT_MS = 30_000
JOB_WAIT_MS = 120_000  # the local engine on a busy 2-core machine
JOBS = 40

SEED = """
import json
from django.test import Client
from canvas.batches import runs
from tests import factories
from tests.jobs.conftest import add_image
lead = factories.make_user("lead")
ed = factories.make_user("ed")
vi = factories.make_user("vi")
board = factories.make_board(name="Spring shoot", owner=lead, editor=ed, viewer=vi)
add_image(board, lead, width=64, height=48)
spec = {
    "name": "Spring hero variations",
    "mode": "variations",
    "prompt": "a {product} on sand",
    "variables": {"product": [f"shoe {n}" for n in range(10)]},
    "seeds": 4,
    "seed": 7,
    "engines": ["local"],
    "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}],
}
batch, summary = runs.start_batch(board, lead, spec)
assert summary["accepted"] == 40, summary
runs.pause_batch(batch)  # nothing runs before the test resumes it from the board
out = {"board": str(board.pk), "batch": str(batch.pk)}
for name, user in (("lead", lead), ("ed", ed), ("vi", vi)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("batch-progress") / "data",
        seed_script=SEED,
        with_workers=True,
        env={"ANCHORBOARD_ENGINE_CONCURRENCY": "local=1"},
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("ANCHORBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_board(browser, server, who: str, width: int = 1440, height: int = 900):
    board = f"/boards/{server.seed['board']}/"
    _, page, errors = open_signed_in(
        browser, server, who, board, {"width": width, "height": height}
    )
    page.wait_for_selector(".ab-status[data-status=online]", timeout=WAIT_MS)
    page.wait_for_selector("[data-testid=bp-row]", state="attached", timeout=WAIT_MS)
    unfold(page)
    return page, errors


def unfold(page) -> None:
    """The dock opens folded to one short line over the board (it must not cover the
    board's content); its button shows the rows."""
    dock = page.locator("[data-testid=bp-dock]")
    dock.wait_for(state="visible", timeout=WAIT_MS)
    fold = page.locator("[data-testid=bp-fold]")
    assert fold.get_attribute("aria-expanded") == "false"
    assert page.locator("[data-testid=bp-row]").first.is_hidden()
    box = dock.bounding_box()
    assert box is not None and box["height"] <= 44, box
    # As wide as its words: at 1440 px well under its unfolded 320 px, on a phone short of
    # the width it spans unfolded.
    width, room = page.evaluate(
        "[document.querySelector('[data-testid=bp-dock]').getBoundingClientRect().width,"
        " document.querySelector('[data-testid=bp-dock]').parentElement.clientWidth]"
    )
    assert width < min(300, room - 60), (width, room)
    fold.focus()
    page.keyboard.press("Enter")
    assert fold.get_attribute("aria-expanded") == "true"


def batch_state(page, server) -> str:
    answer = page.request.get(f"{server.base_url}/api/v1/batches/{server.seed['batch']}")
    assert answer.ok
    return answer.json()["state"]


def finished(page) -> int:
    return int(
        page.locator("[data-testid=bp-row] [role=progressbar]").get_attribute("aria-valuenow")
    )


def rects_overlap(page, a: str, b: str) -> bool:
    return page.evaluate(
        """([a, b]) => {
          const x = document.querySelector(a)?.getBoundingClientRect();
          const y = document.querySelector(b)?.getBoundingClientRect();
          if (!x || !y || !x.width || !y.width) return false;
          return x.left < y.right && x.right > y.left && x.top < y.bottom && x.bottom > y.top;
        }""",
        [a, b],
    )


def assert_axe_clean(page, script, what: str) -> None:
    violations = run_axe(page, script)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING]
    assert not failing, f"axe on {what}:\n{describe(failing)}"


def test_the_dock_follows_resumes_pauses_and_cancels_a_batch(server, browser, shots, axe_script):  # noqa: F811
    editor, editor_errors = open_board(browser, server, "ed")
    viewer, viewer_errors = open_board(browser, server, "vi")
    row = editor.locator("[data-testid=bp-row]")
    bar = row.locator("[role=progressbar]")

    # Loaded from the API: paused, nothing finished, every job queued.
    assert row.get_attribute("data-state") == "paused"
    assert bar.get_attribute("aria-valuemax") == str(JOBS)
    assert finished(editor) == 0
    assert "Paused: 0 done · 0 failed · 0 running · 40 queued of 40 jobs" in (
        bar.get_attribute("aria-valuetext") or ""
    )
    assert row.locator(".ab-bp-name").inner_text() == "Spring hero variations"
    # Two names for two pages: the dock and the board's top bar lead to this board's batches,
    # the top bar's "All batches" to the team's page.
    board_page = f"/boards/{server.seed['board']}/batches/"
    this_board = editor.get_by_role("link", name="This board's batches", exact=True)
    assert this_board.count() == 2
    assert {this_board.nth(i).get_attribute("href") for i in (0, 1)} == {board_page}
    assert editor.locator("[data-testid=bp-board-batches]").get_attribute("href") == board_page
    assert editor.get_by_role("link", name="All batches", exact=True).get_attribute("href") == (
        "/batches/"
    )
    # Viewers follow the batch but get no buttons.
    assert viewer.locator("[data-testid=bp-row]").count() == 1
    assert viewer.locator("[data-testid=bp-toggle], [data-testid=bp-cancel]").count() == 0
    # The dock keeps off the minimap and names what its buttons do.
    assert not rects_overlap(editor, "[data-testid=bp-dock]", ".ab-minimap")
    toggle = row.locator("[data-testid=bp-toggle]")
    assert toggle.get_attribute("aria-label") == "Resume Spring hero variations"
    editor.screenshot(path=str(shots / "batch-dock-1440.png"))
    assert_axe_clean(editor, axe_script, "the board with its batch dock")

    # Resume: the worker runs the jobs; both boards move through batch_progress.
    toggle.click()
    editor.wait_for_function(
        "Number(document.querySelector('[data-testid=bp-row] [role=progressbar]')"
        ".getAttribute('aria-valuenow')) >= 1",
        timeout=JOB_WAIT_MS,
    )
    assert toggle.get_attribute("aria-label") == "Pause Spring hero variations"
    # Pause from the dock: the API says paused.
    toggle.click()
    editor.wait_for_function(
        "document.querySelector('[data-testid=bp-row]').dataset.state === 'paused'",
        timeout=WAIT_MS,
    )
    assert batch_state(editor, server) == "paused"
    viewer.wait_for_function(
        "Number(document.querySelector('[data-testid=bp-row] [role=progressbar]')"
        ".getAttribute('aria-valuenow')) >= 1"
        " && document.querySelector('[data-testid=bp-row]').dataset.state === 'paused'",
        timeout=JOB_WAIT_MS,
    )
    assert viewer.locator("[data-testid=bp-row] .ab-bp-state").inner_text() == "Paused"
    editor.screenshot(path=str(shots / "batch-dock-paused-1440.png"))

    # The batches page, open beside the board, follows the batch by polling.
    page = editor.context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/batches/")
    page_row = page.locator(f"tr[data-batch='{server.seed['batch']}']")
    assert page_row.get_attribute("data-state") == "paused"
    page.screenshot(path=str(shots / "batches-page-1440.png"), full_page=True)
    assert_axe_clean(page, axe_script, "the batches page")

    # Cancel asks first; keeping it running changes nothing.
    row.locator("[data-testid=bp-cancel]").click()
    editor.locator("[data-testid=bp-cancel-keep]").click()
    assert batch_state(editor, server) == "paused"
    row.locator("[data-testid=bp-cancel]").click()
    editor.screenshot(path=str(shots / "batch-cancel-confirm-1440.png"))
    editor.locator("[data-testid=bp-cancel-confirm]").click()
    editor.wait_for_function(
        "document.querySelector('[data-testid=bp-row]')?.dataset.state === 'cancelled'",
        timeout=WAIT_MS,
    )
    assert batch_state(editor, server) == "cancelled"
    text = row.locator(".ab-bp-text").inner_text()
    ended = re.search(r"(\d+) done, 0 failed, (\d+) cancelled\.", text)
    assert text.startswith("Cancelled") and ended, text
    assert int(ended[1]) >= 1 and int(ended[1]) + int(ended[2]) == JOBS
    assert "Review results" in text
    review = row.locator(".ab-bp-review").get_attribute("href")
    assert review == f"/boards/{server.seed['board']}/review/?batch={server.seed['batch']}"
    editor.screenshot(path=str(shots / "batch-dock-ended-1440.png"))
    page.wait_for_function(
        f"document.querySelector(\"tr[data-batch='{server.seed['batch']}']\")"
        ".dataset.state === 'cancelled'",
        timeout=WAIT_MS,
    )
    assert page_row.locator("form[data-action=cancel]").is_hidden()
    # The ended row leaves by itself, and the dock with it.
    editor.wait_for_selector("[data-testid=bp-dock]", state="hidden", timeout=WAIT_MS)
    viewer.wait_for_selector("[data-testid=bp-dock]", state="hidden", timeout=WAIT_MS)
    assert editor_errors == [] and viewer_errors == []
    editor.context.close()
    viewer.context.close()


def test_phone_width_dock_and_page(server, browser, shots):
    """390 × 844: the dock spans the canvas under the toolbar, its buttons are reachable, and
    the batches page fits. Runs after the batch above ended, so it starts a fresh one."""
    lead, errors = _with_fresh_batch(browser, server)
    dock = lead.locator("[data-testid=bp-dock]")
    box = dock.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert not rects_overlap(lead, "[data-testid=bp-dock]", ".ab-toolbar")
    lead.locator("[data-testid=bp-toggle]").focus()
    assert lead.evaluate("document.activeElement.dataset.testid") == "bp-toggle"
    lead.screenshot(path=str(shots / "batch-dock-390.png"))
    # Escape in the rows folds it back to its header, the focus on its button; a reload
    # keeps the choice (this browser), and unfolding is remembered the same way.
    lead.keyboard.press("Escape")
    assert lead.locator("[data-testid=bp-row]").is_hidden()
    assert lead.evaluate("document.activeElement.dataset.testid") == "bp-fold"
    lead.screenshot(path=str(shots / "batch-dock-folded-390.png"))
    lead.reload()
    lead.wait_for_selector("[data-testid=bp-dock]", timeout=WAIT_MS)
    assert lead.locator("[data-testid=bp-fold]").get_attribute("aria-expanded") == "false"
    lead.locator("[data-testid=bp-fold]").click()
    lead.reload()
    lead.wait_for_selector("[data-testid=bp-row]", timeout=WAIT_MS)
    assert lead.locator("[data-testid=bp-fold]").get_attribute("aria-expanded") == "true"
    page = lead.context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/batches/")
    assert page.locator("tr[data-batch]").count() == 2
    page.screenshot(path=str(shots / "batches-page-390.png"), full_page=True)
    assert errors == []
    lead.context.close()


def _with_fresh_batch(browser, server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    page.wait_for_selector(".ab-status[data-status=online]", timeout=WAIT_MS)
    spec = {
        "name": "Autumn catalogue shots with a long name that has to be cut",
        "mode": "variations",
        "prompt": "a {product}",
        "variables": {"product": [f"boot {n}" for n in range(5)]},
        "seeds": 4,
        "seed": 3,
        "engines": ["local"],
        "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}],
    }
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    started = page.request.post(
        f"{server.base_url}/api/v1/boards/{server.seed['board']}/batches",
        data=spec,
        headers={"X-CSRFToken": csrf},
    )
    assert started.status == 201, started.text()
    batch = started.json()["batch"]
    paused = page.request.post(
        f"{server.base_url}/api/v1/batches/{batch}/pause", headers={"X-CSRFToken": csrf}
    )
    assert paused.ok
    page.wait_for_selector(
        "[data-testid=bp-row][data-state=paused]", state="attached", timeout=WAIT_MS
    )
    unfold(page)
    return page, errors
