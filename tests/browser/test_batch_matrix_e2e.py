"""The batch matrix on the review page, in a real browser: switch to it, read the row and
column labels and each cell's counts, approve the best result of every cell, see the
decisions (and undo them), open a candidate from a cell, and the re-run confirm's count.

The seed is tests/review/batch_seed.py: product × background (2 × 2) × 2 seeds, one job
failed, one result drifted, consistency scores written so the best of each cell is known.
A screenshot of the matrix is written to ``$ANCHORBOARD_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import (
    ALSO_FAILING,
    FAILING_IMPACTS,
    axe_script,  # noqa: F401  (a fixture: says to run `npm --prefix frontend ci` when missing)
    describe,
    run_axe,
)
from tests.frontend.browser_server import BrowserServer, open_signed_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = """
import json
from django.test import Client
from tests import factories
from tests.review.batch_seed import seed_batch
lead = factories.make_user("lead")
board = factories.make_board(name="Spring campaign", owner=lead)
seeded = seed_batch(board, lead)
cells = seeded["cells"]
c = Client()
c.force_login(lead)
out = {
    "board": str(board.pk),
    "batch": str(seeded["batch"].pk),
    "lead": c.cookies["sessionid"].value,
    "best": {
        "sneaker/sand": str(cells[("sneaker", "sand")][1].pk),
        "sneaker/snow": str(cells[("sneaker", "snow")][1].pk),
        "boot/sand": str(cells[("boot", "sand")][0].pk),
        "boot/snow": str(cells[("boot", "snow")][0].pk),
    },
    "drifted": str(cells[("sneaker", "snow")][0].pk),
}
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("batch-matrix") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str) -> None:
    screenshot(page, name, full_page=True)


def texts(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def cell(page, row: str, col: str):
    return page.locator(f"[data-testid=matrix-cell][data-row='{row}'][data-col='{col}']")


def test_the_matrix_shows_cells_and_approves_the_best_of_each(server, browser, axe_script):  # noqa: F811
    review = f"/boards/{server.seed['board']}/review/"
    context, page, errors = open_signed_in(browser, server, "lead", review)
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)

    # The board has a batch: the view switch is offered; the matrix opens on it.
    view = page.locator("[data-testid=review-view]")
    view.wait_for(state="visible", timeout=WAIT_MS)
    view.select_option("matrix")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=matrix-cell]').length === 4", timeout=WAIT_MS
    )
    assert not page.locator("[data-testid=review-grid]").is_visible()
    assert "view=matrix" in page.url
    assert page.locator("[data-testid=matrix-rows]").input_value() == "product"
    assert page.locator("[data-testid=matrix-cols]").input_value() == "background"
    assert texts(page, "[data-testid=matrix-row]") == ["sneaker", "boot"]
    assert texts(page, "[data-testid=matrix-col]") == ["sand", "snow"]

    # Counts per cell, as shown.
    assert texts(page, "[data-testid=matrix-cell][data-row=sneaker][data-col=sand] .mx-count") == [
        "2/2 done"
    ]
    assert texts(page, "[data-testid=matrix-cell][data-row=boot][data-col=snow] .mx-count") == [
        "1/2 done",
        "1 failed",
    ]
    snow = cell(page, "sneaker", "snow")
    assert texts(page, "[data-testid=matrix-cell][data-row=sneaker][data-col=snow] .mx-count") == [
        "2/2 done",
        "1 drifted",
    ]
    # Best first: the drifted result sits last in its cell, marked.
    drifted = snow.locator(f"[data-testid=matrix-candidate][data-id='{server.seed['drifted']}']")
    assert drifted.locator(".mx-drift").count() == 1
    assert (
        snow.locator("[data-testid=matrix-candidate]").last.get_attribute("data-id")
        == (server.seed["drifted"])
    )
    assert (
        "1 failed · 1 drifted · 0 approved"
        in page.locator("[data-testid=matrix-summary]").inner_text()
    )

    # Re-run failed asks first, with the count; Cancel queues nothing.
    assert page.locator("[data-testid=matrix-rerun-failed]").inner_text() == "Re-run failed (1)"
    page.click("[data-testid=matrix-rerun-failed]")
    confirm = page.locator("[data-testid=matrix-confirm]")
    assert "Re-run 1 failed job of “Spring shoes”" in confirm.inner_text()
    assert page.locator("[data-testid=matrix-confirm-yes]").inner_text() == "Re-run 1 job"
    page.click("[data-testid=matrix-confirm-no]")
    assert not confirm.is_visible()

    # Approve the best 1 per cell: one approval in each cell, exactly the best ones.
    page.fill("[data-testid=matrix-per-cell]", "1")
    page.click("[data-testid=matrix-approve-best]")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=matrix-cell]')]"
        ".every(c => c.dataset.approved === '1')",
        timeout=WAIT_MS,
    )
    approved = page.eval_on_selector_all(
        "[data-testid=matrix-candidate][data-decision=approved]",
        "els => els.map(e => e.dataset.id)",
    )
    assert sorted(approved) == sorted(server.seed["best"].values())
    assert (
        "Approved 4 results (best 1 per cell)"
        in page.locator("[data-testid=review-status]").inner_text()
    )
    assert cell(page, "boot", "sand").locator(".mx-count.approved").inner_text() == "1 approved"
    undo = page.locator("[data-testid=matrix-undo]")
    assert undo.is_visible() and undo.inner_text() == "Undo (4 approvals)"
    page.mouse.move(0, 0)
    shot(page, "review-batch-matrix")

    # A cell's picture opens the candidate view, with its decision buttons.
    best = server.seed["best"]["sneaker/sand"]
    page.click(f"[data-testid=matrix-candidate][data-id='{best}']")
    page.locator(".ab-compare").wait_for(state="visible", timeout=WAIT_MS)
    assert "Result 1" in page.locator(".ab-compare h3").inner_text()
    page.click("[data-testid=compare-close]")

    # Undo clears them again.
    undo.click()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=matrix-cell]')]"
        ".every(c => c.dataset.approved === '0')",
        timeout=WAIT_MS,
    )
    assert not undo.is_visible()

    # "Review results" on the board's batch dock and the batches page link ?batch=<id>:
    # the page opens on that batch's matrix.
    page.goto(f"{server.base_url}{review}?batch={server.seed['batch']}")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=matrix-cell]').length === 4", timeout=WAIT_MS
    )
    assert page.locator("[data-testid=matrix-batch]").input_value() == server.seed["batch"]

    # axe-core on the matrix: no serious violation (labelled selects, named cells, buttons).
    violations = run_axe(page, axe_script)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING]
    assert not failing, describe(failing)

    # On a phone the matrix scrolls inside its frame; the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    frame = page.locator("[data-testid=matrix]")
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    shot(page, "review-batch-matrix-phone")
    assert errors == []
    context.close()
