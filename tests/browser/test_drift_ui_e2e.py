"""Drift flags where people work, in a real browser: the review grid's "Drifted" filter and
"by consistency score" order, a card's flags on demand, and the staging strip's badges.

The seed is a board with the lit-ball anchors and one job of four consistent results and
two drifted ones (lit from the other side; a blue ball instead of a red one), scored as
their landing scores them (``tests/review/conftest.py`` ``make_drift_job``,
``score_results``). Screenshots of the strip and the filtered grid are written to
``$ANCHORBOARD_SCREENSHOTS`` when it is set (docs/governance.md shows them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED_TEMPLATE = """
import json
from django.test import Client
from canvas.governance import readings
from canvas.sharing import links
from tests import factories
from tests.review.conftest import make_drift_job, score_results
lead = factories.make_user("lead")
board = factories.make_board(name="Red ball campaign", owner=lead)
ok, bad = make_drift_job(board, lead, consistent=CONSISTENT, drifted=("lighting", "palette"))
results = [*ok, *bad.values()]
score_results(board, results)
found = readings.consistency_by_asset(it.asset_id for it in results)
_l, sharing = links.create_link(board, lead, visibility="all_candidates", show_decisions=True)
_l, quiet = links.create_link(board, lead, visibility="all_candidates", permissions=["approve"])
c = Client()
c.force_login(lead)
out = {
    "board": str(board.pk),
    "lead": c.cookies["sessionid"].value,
    "drifted": {metric: str(it.pk) for metric, it in bad.items()},
    "consistent": [str(it.pk) for it in ok],
    "consistency": {str(it.pk): found[it.asset_id] for it in results},
    "sharing": sharing,
    "quiet": quiet,
}
print("SEED" + json.dumps(out))
"""


def drift_seed(consistent: int) -> str:
    """The seed with ``consistent`` results before the two drifted ones."""
    return SEED_TEMPLATE.replace("CONSISTENT", str(consistent))


SEED = drift_seed(4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("drift-ui") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str, target=None) -> None:
    folder = os.environ.get("ANCHORBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (target or page).screenshot(path=str(Path(folder) / f"{name}.png"))


def open_as_lead(browser, server, path: str, viewport=None):
    """(context, page, page errors) of the lead, signed in, on ``path``."""
    return open_signed_in(browser, server, "lead", path, viewport)


def shown_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid=candidate]", "els => els.map(e => e.dataset.id)")


def test_drifted_filter_and_consistency_order_in_the_review_grid(server, browser):
    context, page, errors = open_as_lead(browser, server, f"/boards/{server.seed['board']}/review/")
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate]').length === 6", timeout=WAIT_MS
    )
    drifted = server.seed["drifted"]
    scores = server.seed["consistency"]

    # Every card carries its mark: a warning naming the metric on the two drifted ones.
    for metric, iteration in drifted.items():
        badge = page.locator(
            f"[data-testid=candidate][data-id='{iteration}'] [data-testid=drift-badge]"
        )
        assert badge.get_attribute("data-drift") == "drifted"
        assert badge.get_attribute("aria-label") == f"Drifted: {metric}"
    assert page.locator("[data-testid=drift-badge][data-drift=consistent]").count() == 4

    # The filter is a labelled native select, reached and changed from the keyboard.
    drift_filter = page.locator("[data-testid=filter-drift]")
    assert drift_filter.evaluate("el => el.tagName + ' ' + el.labels[0].textContent.trim()") == (
        "SELECT Drift anyDrifted"
    )
    drift_filter.focus()
    drift_filter.select_option("drifted")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate]').length === 2", timeout=WAIT_MS
    )
    assert sorted(shown_ids(page)) == sorted(drifted.values())
    assert page.locator("[data-testid=showing]").inner_text() == " — showing 2 of 6"

    # A card's flags on demand: a button (Enter opens it), the sentences in a list.
    lighting = page.locator(f"[data-testid=candidate][data-id='{drifted['lighting']}']")
    toggle = lighting.locator("[data-testid=drift-flags-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    flags = lighting.locator("[data-testid=drift-flags]")
    flags.wait_for(state="visible", timeout=WAIT_MS)
    assert toggle.get_attribute("aria-expanded") == "true"
    first = scores[drifted["lighting"]]["flags"][0]
    assert first["message"] in flags.inner_text()
    assert flags.locator("li").first.inner_text().startswith("Lighting: ")
    shot(page, "review-grid-drifted")

    # Sort by consistency score over everything: drifted first, then the worst score first.
    drift_filter.select_option("")
    page.locator("[data-testid=sort]").select_option("consistency")
    # Six cards alone can be the unfiltered grid still in job order (each choice reloads
    # from the server); the one group across jobs is drawn only in consistency order.
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate]').length === 6 && "
        "[...document.querySelectorAll('[data-testid=review-group]')].map("
        "g => g.getAttribute('aria-label')).join('|') === 'All candidates, least consistent first'",
        timeout=WAIT_MS,
    )
    order = shown_ids(page)
    assert sorted(order[:2]) == sorted(drifted.values())
    worst = [min(scores[i]["scores"].values()) for i in order]
    assert worst[:2] == sorted(worst[:2]) and worst[2:] == sorted(worst[2:])
    assert page.locator("[data-testid=review-group]").count() == 1
    shot(page, "review-grid-by-consistency")
    context.close()
    assert errors == []


def test_staging_strip_marks_drifted_results(server, browser):
    context, page, errors = open_as_lead(browser, server, f"/boards/{server.seed['board']}/")
    strip = page.locator("[data-testid=staging-strip]")
    strip.wait_for(state="visible", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.ab-staging-thumb [data-testid=drift-badge]').length === 6",
        timeout=WAIT_MS,
    )
    for metric, iteration in server.seed["drifted"].items():
        badge = strip.locator(
            f".ab-staging-thumb[data-iteration='{iteration}'] [data-testid=drift-badge]"
        )
        assert badge.get_attribute("aria-label") == f"Drifted: {metric}"
    assert strip.locator("[data-testid=drift-badge][data-drift=consistent]").count() == 4
    # The tooltip is the flag's sentence, on hover and on keyboard focus.
    lighting = server.seed["drifted"]["lighting"]
    message = server.seed["consistency"][lighting]["flags"][0]["message"]
    strip.locator(
        f".ab-staging-thumb[data-iteration='{lighting}'] [data-testid=drift-badge]"
    ).hover()
    tip = page.locator(".ab-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert tip.inner_text() == message
    shot(page, "staging-strip-drift", strip.locator(".ab-staging-dock"))
    shot(page, "board-with-strip")
    context.close()
    assert errors == []


def test_share_view_shows_flags_only_when_the_link_shares_decisions(server, browser):
    for token, marks in ((server.seed["sharing"], 6), (server.seed["quiet"], 0)):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"{server.base_url}/s/{token}/")
        page.click("[data-testid=filmstrip-toggle]")
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=filmstrip-item]').length === 6",
            timeout=WAIT_MS,
        )
        badges = page.locator("[data-testid=filmstrip] [data-testid=drift-badge]")
        assert badges.count() == marks
        if marks:
            lighting = server.seed["drifted"]["lighting"]
            item = page.locator(f"[data-testid=filmstrip-item][data-id='{lighting}']")
            assert item.locator("[data-testid=drift-badge]").get_attribute("aria-label") == (
                "Drifted: lighting"
            )
            shot(page, "share-view-drift", page.locator("[data-testid=filmstrip]"))
        context.close()


def test_turning_triage_on_offers_the_results_already_flagged(server, browser):
    """Last in this module: it decides on the board's two drifted results."""
    context, page, errors = open_as_lead(browser, server, f"/boards/{server.seed['board']}/review/")
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    page.locator("[data-testid=drift-triage]").select_option("route")
    offer = page.locator("[data-testid=triage-offer]")
    offer.wait_for(state="visible", timeout=WAIT_MS)
    assert offer.locator("[data-testid=triage-offer-text]").inner_text() == (
        "2 flagged results are already on the board, from before this setting. "
        "Apply it to them too?"
    )
    apply = offer.locator("[data-testid=triage-offer-apply]")
    assert apply.inner_text() == "Yes, mark them Needs changes"
    # Nothing was decided before the confirmation.
    assert page.locator("[data-testid=candidate][data-status=needs_changes]").count() == 0
    shot(page, "review-triage-offer")
    apply.click()
    offer.wait_for(state="hidden", timeout=WAIT_MS)
    status = page.locator("[data-testid=review-status]")
    assert status.inner_text() == "2 results marked Needs changes by the drift check."
    # The decisions arrive live on the cards: exactly the two drifted ones.
    routed = "[data-testid=candidate][data-status=needs_changes]"
    page.wait_for_function(
        "sel => document.querySelectorAll(sel).length === 2", arg=routed, timeout=WAIT_MS
    )
    marked = page.eval_on_selector_all(
        "[data-testid=candidate][data-status=needs_changes]", "els => els.map(e => e.dataset.id)"
    )
    assert sorted(marked) == sorted(server.seed["drifted"].values())
    context.close()
    assert errors == []
