"""The team's batches page and the top bar in a real browser (docs/batches.md "The team's
batches page", docs/frontend.md "The top bar"): the board list links the page; it lists the
team's batches with their board, state, bar, person and a link to the matrix; the filter
narrows it; axe finds nothing serious at 1440 × 900 and 390 × 844; the open page follows a
batch's counts as its jobs run on the embedded worker, without a reload, and offers a batch
started meanwhile as a link. The top bar stays one row
at 1440 and 1024 px on the board list and on a board with a long name and a long person's
name (no link wraps its words), and its menu (the person's pages and Log out) opens with the
keyboard. Screenshots go to ``$ANCHORBOARD_SCREENSHOTS`` when set."""

from __future__ import annotations

import os
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
JOB_WAIT_MS = 120_000  # four local-engine jobs on a busy 2-core machine

SEED = """
import json
from django.test import Client
from canvas.batches import runs
from canvas.models import Batch, BatchState
from tests import factories
from tests.jobs.conftest import add_image
lead = factories.make_user("lead")
lead.first_name, lead.last_name = "Alexandra", "Montgomery-Whitfield"
lead.save()
viewer = factories.make_user("vi")
board = factories.make_board(
    name="Spring campaign hero shots for the summer", owner=lead, viewer=viewer
)
other = factories.make_board(team=board.team, name="Autumn lookbook", owner=lead)
hidden = factories.make_board(team=board.team, name="Secret launch", owner=lead)
add_image(board, lead, width=64, height=48)
spec = {"name": "Spring hero variations", "mode": "variations", "prompt": "a {product} on sand",
        "variables": {"product": ["boot", "clog"]}, "seeds": 2, "seed": 7, "engines": ["local"],
        "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}]}
batch, _ = runs.start_batch(board, lead, spec)
runs.pause_batch(batch)
Batch.objects.create(board=other, created_by=lead, name="Autumn picks", seed=1,
                     state=BatchState.COMPLETED)
Batch.objects.create(board=hidden, created_by=lead, name="Secret batch", seed=1)
out = {"board": str(board.pk), "batch": str(batch.pk)}
for name, user in (("lead", lead), ("vi", viewer)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Workers: the last test resumes the paused batch and watches the open page follow it.
    srv = BrowserServer(
        tmp_path_factory.mktemp("team-batches") / "data",
        seed_script=SEED,
        with_workers=True,
        env={"ANCHORBOARD_ENGINE_CONCURRENCY": "local=1"},
    )
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str) -> None:
    folder = os.environ.get("ANCHORBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def assert_axe_clean(page, script, what: str) -> None:
    violations = run_axe(page, script)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING]
    assert not failing, f"axe on {what}:\n{describe(failing)}"


def topbar_rows(page) -> dict:
    """The bar's height and every visible item in it that is taller than one line."""
    return page.evaluate(
        """() => {
          const bar = document.querySelector('header.topbar');
          const tall = [...bar.querySelectorAll(':scope > *, :scope > details > summary')]
            .filter((el) => el.getBoundingClientRect().width > 0)
            .filter((el) => el.getBoundingClientRect().height > 34)
            .map((el) => el.textContent.trim());
          return {height: bar.getBoundingClientRect().height, tall};
        }"""
    )


def test_the_team_page_lists_filters_and_passes_axe(server, browser, axe_script):  # noqa: F811
    context, page, errors = open_signed_in(browser, server, "lead", "/boards/")
    page.get_by_role("link", name="All batches").first.click()
    page.wait_for_selector("[data-testid=team-batches]", timeout=WAIT_MS)
    names = page.locator("[data-testid=team-batches] .batch-title").all_inner_texts()
    assert names == ["Secret batch", "Autumn picks", "Spring hero variations"]
    row = page.locator(f"tr[data-batch='{server.seed['batch']}']")
    assert "Spring campaign hero shots for the summer" in row.inner_text()
    assert "Alexandra Montgomery-Whitfield" in row.inner_text()
    assert row.locator("[role=progressbar]").get_attribute("aria-valuemax") == "4"
    assert (
        row.locator("[data-testid=batch-matrix-link]").get_attribute("href")
        == f"/boards/{server.seed['board']}/review/?batch={server.seed['batch']}"
    )
    page.select_option("#bf-state", "completed")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**state=completed**")
    assert page.locator("[data-testid=team-batches] .batch-title").all_inner_texts() == [
        "Autumn picks"
    ]
    page.goto(f"{server.base_url}/batches/")
    shot(page, "team-batches-1440")
    assert_axe_clean(page, axe_script, "the team's batches page at 1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    shot(page, "team-batches-390")
    assert_axe_clean(page, axe_script, "the team's batches page at 390")
    assert errors == []
    context.close()

    # A viewer of one board: its batch only, and no other board named anywhere.
    context, page, errors = open_signed_in(browser, server, "vi", "/batches/")
    html = page.content()
    assert page.locator("[data-testid=team-batches] tbody tr").count() == 1
    assert "Secret" not in html and "Autumn" not in html
    context.close()


@pytest.mark.parametrize("width", [1440, 1024])
def test_the_top_bar_is_one_row(server, browser, width):
    board = f"/boards/{server.seed['board']}/"
    viewport = {"width": width, "height": 900}
    context, page, errors = open_signed_in(browser, server, "lead", board, viewport=viewport)
    page.wait_for_selector(".ab-status[data-status=online]", timeout=WAIT_MS)
    bar = topbar_rows(page)
    assert bar["height"] <= 49 and bar["tall"] == [], bar
    assert page.get_by_role("link", name="All boards").is_visible()
    shot(page, f"board-topbar-{width}")
    for path in ("/boards/", "/batches/"):
        page.goto(f"{server.base_url}{path}")
        bar = topbar_rows(page)
        assert bar["height"] <= 49 and bar["tall"] == [], (path, bar)
    # The menu opens from the keyboard and holds Log out (and, below 1180 px, Inbox).
    menu = page.locator("[data-testid=account-menu] > summary")
    menu.focus()
    page.keyboard.press("Enter")
    log_out = page.get_by_role("button", name="Log out")
    assert log_out.is_visible()
    assert page.get_by_role("link", name="Inbox").is_visible()
    page.keyboard.press("Escape")
    assert not log_out.is_visible()
    assert errors == []
    context.close()


def test_the_open_page_follows_a_batch_as_its_jobs_finish(server, browser):
    """Runs last: it resumes the seeded batch (the tests above see it paused)."""
    context, page, errors = open_signed_in(browser, server, "lead", "/batches/")
    batch = server.seed["batch"]
    row = page.locator(f"tr[data-batch='{batch}']")
    bar = row.locator("[role=progressbar]")
    assert row.get_attribute("data-state") == "paused"
    assert bar.get_attribute("aria-valuenow") == "0"
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    resumed = page.request.post(
        f"{server.base_url}/api/v1/batches/{batch}/resume", headers={"X-CSRFToken": csrf}
    )
    assert resumed.ok, resumed.text()
    # The row follows the worker to the end (four quick jobs may all end between two polls,
    # so no middle state is waited for).
    page.wait_for_function(
        f"(() => {{ const r = document.querySelector(\"tr[data-batch='{batch}']\");"
        " return r.dataset.state === 'completed'"
        " && r.querySelector('[role=progressbar]').getAttribute('aria-valuenow') === '4'; })()",
        timeout=JOB_WAIT_MS,
    )
    assert page.evaluate("window.__sameDocument === true")
    assert row.locator("[data-field=state]").inner_text() == "Completed"
    assert row.locator("[data-field=counts]").inner_text() == (
        "4 done · 0 failed · 0 running · 0 queued of 4"
    )
    assert row.locator("[data-field=finished] time").count() == 1
    # A batch started meanwhile is offered, not slipped in under the reader.
    spec = {
        "name": "Started later",
        "mode": "variations",
        "prompt": "a {product}",
        "variables": {"product": ["boot"]},
        "seeds": 1,
        "seed": 3,
        "engines": ["local"],
        "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}],
    }
    started = page.request.post(
        f"{server.base_url}/api/v1/boards/{server.seed['board']}/batches",
        data=spec,
        headers={"X-CSRFToken": csrf},
    )
    assert started.status == 201, started.text()
    note = page.locator("[data-testid=batches-live]")
    page.wait_for_function(
        "document.querySelector('[data-testid=batches-live]').textContent.startsWith("
        "'1 new batch started since this page was loaded.')",
        timeout=WAIT_MS,
    )
    assert note.get_by_role("link", name="Show them").is_visible()
    assert page.locator("tr[data-batch]").count() == 3
    shot(page, "team-batches-live-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "team-batches-live-390")
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    assert errors == []
    context.close()
