"""Review, triage and client share links in a real browser against a real server.

A lead triages a board's candidates with the keyboard on the review page and promotes the
top 10 % (the upscale job appears); the lead shares the board; a client opens the link in
a fresh browser context, comments on a pinned point and approves a candidate; the
designer's canvas shows the comment and the decision live; after the lead revokes the link
the client's page says so and stops working.

Candidates are real Iterations with stored images, created by ``make_candidate`` (the
helper the review API tests use) and two of them applied to the canvas through
``canvas.boards.iterations.apply``. Needs Chromium (``chromium_path`` fails in CI and
skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer, open_signed_in, wait_board

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
JOB_WAIT_MS = 120_000
CANDIDATES = 10

SEED = f"""
import json
from django.test import Client
from canvas.boards import iterations
from tests import factories
from tests.review.conftest import make_candidate
lead = factories.make_user("lead")
dana = factories.make_user("dana")
board = factories.make_board(name="Cliffs review", owner=lead, editor=dana)
made = []
for i in range({CANDIDATES}):
    region = {{"x": (i % 5) * 60, "y": (i // 5) * 50, "width": 40, "height": 30}}
    made.append(make_candidate(board, dana, region=region))
for it in made[:2]:
    iterations.apply(it, dana)
out = {{"board": str(board.pk), "candidates": [str(it.pk) for it in made]}}
for name, user in (("lead", lead), ("designer", dana)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("review-browser") / "data", seed_script=SEED, with_workers=True
    )
    srv.start()
    yield srv
    srv.stop()


def member_page(browser, server, who: str, path: str):
    _, page, errors = open_signed_in(browser, server, who, path, {"width": 1400, "height": 900})
    return page, errors


def wait_online(page, items: int = 0) -> None:
    wait_board(page, items, timeout=WAIT_MS)


def board_to_page(page, x: float, y: float) -> tuple[float, float]:
    return page.evaluate(
        """([x, y]) => {
          const cam = window.__anchorboard.editor.camera;
          const r = document.querySelector('.ab-surface').getBoundingClientRect();
          return [r.left + x * cam.zoom + cam.panX, r.top + y * cam.zoom + cam.panY];
        }""",
        [x, y],
    )


def tile(page, index: int):
    return page.locator("[data-testid=candidate]").nth(index)


def test_lead_triages_with_the_keyboard_and_promotes_the_top_ten_percent(server, browser):
    page, errors = member_page(browser, server, "lead", f"/boards/{server.seed['board']}/review/")
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=candidate]').length === {CANDIDATES}",
        timeout=WAIT_MS,
    )
    # Shortcut help opens with ? and closes with Escape.
    page.keyboard.press("?")
    assert page.locator("[data-testid=review-help]").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("[data-testid=review-help]").is_visible()

    # First candidate: rating 5, approved, starred. Each key press is saved on its own.
    first = tile(page, 0).get_attribute("data-id")
    page.keyboard.press("5")
    page.wait_for_selector(f"[data-id='{first}'][data-rating='5']", timeout=WAIT_MS)
    page.keyboard.press("a")
    page.wait_for_selector(f"[data-id='{first}'][data-status=approved]", timeout=WAIT_MS)
    page.keyboard.press("s")
    page.wait_for_selector(f"[data-id='{first}'][data-starred=true]", timeout=WAIT_MS)
    # Who decided and when is shown on the tile.
    assert "lead" in page.locator(f"[data-id='{first}'] [data-testid=decided-by]").inner_text()

    # Move right and rate the next ones: 4, then reject one, then needs changes with a 3.
    page.keyboard.press("ArrowRight")
    second = tile(page, 1).get_attribute("data-id")
    page.keyboard.press("4")
    page.wait_for_selector(f"[data-id='{second}'][data-rating='4']", timeout=WAIT_MS)
    page.keyboard.press("ArrowRight")
    third = tile(page, 2).get_attribute("data-id")
    page.keyboard.press("2")
    page.wait_for_selector(f"[data-id='{third}'][data-rating='2']", timeout=WAIT_MS)
    page.keyboard.press("x")
    page.wait_for_selector(f"[data-id='{third}'][data-status=rejected]", timeout=WAIT_MS)
    page.keyboard.press("ArrowRight")
    fourth = tile(page, 3).get_attribute("data-id")
    page.keyboard.press("3")
    # Two keys in quick succession are two requests that may commit in either order; wait
    # for the first so the history below has a known order.
    page.wait_for_selector(f"[data-id='{fourth}'][data-rating='3']", timeout=WAIT_MS)
    page.keyboard.press("n")
    page.wait_for_selector(
        f"[data-id='{fourth}'][data-status=needs_changes][data-rating='3']", timeout=WAIT_MS
    )

    # Enter opens the before/after compare of the focused candidate; Escape closes it.
    page.keyboard.press("Enter")
    assert page.locator(".ab-compare").is_visible()
    assert page.locator("[data-testid=compare-before]").get_attribute("src")
    # …with the candidate's decision history: who changed what, in order, in words.
    page.wait_for_selector("[data-testid=decision-history] li >> nth=1")
    history = page.locator("[data-testid=decision-history] li").all_inner_texts()
    assert history[0].startswith("lead rated it 3 of 5 · ")
    assert history[1].startswith("lead marked it Needs changes · ")
    page.keyboard.press("Escape")
    assert not page.locator(".ab-compare").is_visible()

    # Filters: only approved → one tile; rating ≥ 3 → three (5, 4, 3; the rejected 2 is out).
    page.select_option("[data-testid=filter-status]", "approved")
    assert page.locator("[data-testid=candidate]").count() == 1
    page.select_option("[data-testid=filter-status]", "")
    page.select_option("[data-testid=filter-rating]", "3")
    assert page.locator("[data-testid=candidate]").count() == 3
    page.select_option("[data-testid=filter-rating]", "")

    # Promote the top 10 % of the 3 rated, non-rejected candidates: at least one, the best.
    assert page.input_value("[data-testid=promote-percent]") == "10"
    before = page.locator("[data-testid=candidate][aria-current=true]").get_attribute("data-id")
    page.click("[data-testid=promote]")
    page.wait_for_selector("[data-testid=promote-result]:has-text('1 upscale job queued')")
    page.wait_for_selector(f"[data-id='{first}'][data-tier=upres]", timeout=WAIT_MS)
    jobs = page.evaluate(f"fetch('/api/v1/boards/{server.seed['board']}/jobs').then(r => r.json())")
    upscales = [j for j in jobs["items"] if j["mode"] == "upscale"]
    assert len(upscales) == 1
    # The upscale runs through the normal pipeline; its result arrives on the open page as
    # a new upres candidate (live from the board socket, no reload), in the same lineage.
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate][data-tier=upres]').length >= 2",
        timeout=JOB_WAIT_MS,
    )
    assert page.locator("[data-testid=candidate]").count() == CANDIDATES + 1
    # The new candidate is listed first in the promoted one's lineage, shifting every tile;
    # the focus stays on the candidate it was on.
    assert tile(page, 0).get_attribute("data-tier") == "upres"
    assert tile(page, 1).get_attribute("data-id") == first
    focused = page.locator("[data-testid=candidate][aria-current=true]")
    assert focused.get_attribute("data-id") == before
    assert errors == []


def test_client_comments_and_approves_live_then_loses_access_on_revoke(server, browser):
    board = server.seed["board"]
    lead, lead_errors = member_page(browser, server, "lead", f"/boards/{board}/")
    wait_online(lead, 2)
    designer, designer_errors = member_page(browser, server, "designer", f"/boards/{board}/")
    wait_online(designer, 2)

    # The lead creates a link in the Share dialog: comment + approve, all candidates.
    lead.click("[data-testid=share-open]")
    lead.fill("[data-testid=share-label]", "Client round 1")
    lead.check("[data-testid=share-comment]")
    lead.check("[data-testid=share-approve]")
    lead.select_option("[data-testid=share-visibility]", "all_candidates")
    assert lead.input_value("[data-testid=share-days]") == "14"
    lead.click("[data-testid=share-create]")
    url = lead.locator("[data-testid=share-url]").input_value()
    assert "/s/" in url
    lead.wait_for_selector(
        "[data-testid=share-link-row][data-state=live]:has-text('Client round 1')"
    )
    lead.click("[data-testid=share-close]")

    # The client: a fresh browser context, no account.
    client_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    client = client_ctx.new_page()
    client_errors: list[str] = []
    client.on("pageerror", lambda exc: client_errors.append(str(exc)))
    client.goto(url)
    wait_online(client, 2)
    assert client.evaluate("window.__anchorboard.editor.canEdit") is False
    assert client.locator("[data-testid=share-open]").count() == 0
    # No team-only UI (jobs, presence) that would fail against member endpoints.
    assert client.locator("[data-testid=gen-submit]").count() == 0
    assert client.evaluate("window.__anchorboard.editor.lastNotice?.kind ?? null") != "error"

    # Comment tool (C), click a point on the board, give a name the first time, send.
    client.locator(".ab-surface").focus()
    client.keyboard.press("c")
    assert client.locator("[data-testid=comment-catcher]").is_visible()
    px, py = board_to_page(client, 20, 15)
    client.mouse.click(px, py)
    assert "at 20, 15" in client.locator("[data-testid=comment-target]").inner_text()
    client.fill("[data-testid=guest-name]", "Casey Client")
    client.fill("[data-testid=comment-body]", "Love the light on this cliff")
    client.click("[data-testid=comment-send]")
    client.wait_for_selector("[data-testid=comment-text]:has-text('Love the light')")
    assert client.locator("[data-testid=comment-pin]").count() == 1

    # Approve the first candidate from the filmstrip.
    client.click("[data-testid=filmstrip-toggle]")
    target = server.seed["candidates"][0]
    client.click(f"[data-testid=guest-approved][data-id='{target}']")
    client.wait_for_selector(
        f"[data-testid=filmstrip-item][data-id='{target}'][data-status=approved]"
    )
    assert client.locator("[data-testid=guest-download]").count() == 0  # not allowed here

    # The designer's canvas shows both, live: the comment thread and pin, and the decision
    # as a badge on the applied result layer and in the filmstrip.
    designer.wait_for_selector(
        "[data-testid=comment-text]:has-text('Love the light')", timeout=WAIT_MS
    )
    thread = designer.locator("[data-testid=comment-thread]").first.inner_text()
    assert "Casey Client (guest)" in thread
    assert designer.locator("[data-testid=comment-pin]").count() == 1
    assert designer.locator("[data-testid=comment-unread]").inner_text() == "1"
    designer.wait_for_selector(
        f"[data-testid=decision-badge][data-iteration='{target}'][data-status=approved]",
        timeout=WAIT_MS,
    )
    designer.click("[data-testid=filmstrip-toggle]")
    designer.wait_for_selector(
        f"[data-testid=filmstrip-item][data-id='{target}'][data-status=approved]"
    )

    # The designer replies with an @mention picked from the autocomplete.
    designer.click("[data-testid=comment-reply]")
    designer.locator("[data-testid=comment-body]").press_sequentially("Thanks! @le")
    designer.wait_for_selector("[data-testid=mention-option]:has-text('@lead')")
    designer.keyboard.press("Tab")
    assert designer.input_value("[data-testid=comment-body]").startswith("Thanks! @lead ")
    designer.click("[data-testid=comment-send]")
    client.wait_for_selector(
        "[data-testid=comment-text]:has-text('Thanks! @lead')", timeout=WAIT_MS
    )

    # The client comments on a candidate from the filmstrip (the name is not asked again);
    # the lead's review page counts it on that candidate's tile, live.
    review = lead.context.new_page()
    review.goto(f"{server.base_url}/boards/{board}/review/")
    review.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    client.click(f"[data-testid=comment-on-candidate][data-id='{target}']")
    assert client.locator("[data-testid=guest-name]").count() == 0
    assert "on a candidate" in client.locator("[data-testid=comment-target]").inner_text()
    client.fill("[data-testid=comment-body]", "This one, slightly warmer please")
    client.click("[data-testid=comment-send]")
    review.wait_for_selector(
        f"[data-id='{target}'] [data-testid=comment-count]:has-text('1')", timeout=WAIT_MS
    )

    # The designer resolves the point thread; the client sees it resolved, live.
    point_thread = designer.locator("[data-testid=comment-thread]").filter(
        has_text="Love the light"
    )
    point_thread.locator("[data-testid=comment-resolve]").click()
    client.wait_for_selector(
        "[data-testid=comment-thread][data-resolved=true]:has-text('Love the light')",
        timeout=WAIT_MS,
    )

    # Revoke: the client's open page is covered with a clear message and stops working.
    lead.click("[data-testid=share-open]")
    lead.click("[data-testid=share-revoke]")
    lead.wait_for_selector("[data-testid=share-link-row][data-state=revoked]")
    client.wait_for_selector("[data-testid=share-blocked]", state="visible", timeout=WAIT_MS)
    assert "revoked" in client.locator("[data-testid=share-blocked-message]").inner_text()
    assert client.goto(url).status == 410
    assert "revoked" in client.content().lower()
    client_ctx.close()
    assert lead_errors == [] and designer_errors == [] and client_errors == []


def test_password_link_asks_for_the_password_and_says_when_it_is_wrong(server, browser):
    board = server.seed["board"]
    lead, lead_errors = member_page(browser, server, "lead", f"/boards/{board}/")
    wait_online(lead)
    lead.click("[data-testid=share-open]")
    lead.fill("[data-testid=share-label]", "Protected")
    lead.fill("[data-testid=share-password]", "short")
    lead.click("[data-testid=share-create]")
    # Too short: the server's message is shown and nothing is created.
    lead.wait_for_selector("[data-testid=share-error]:has-text('6')")
    assert lead.locator("[data-testid=share-link-row]:has-text('Protected')").count() == 0
    lead.check("[data-testid=share-comment]")
    lead.fill("[data-testid=share-password]", "cliffs-at-dawn")
    lead.click("[data-testid=share-create]")
    url = lead.locator("[data-testid=share-url]").input_value()
    lead.wait_for_selector("[data-testid=share-link-row]:has-text('Protected 🔒')")

    client_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    client = client_ctx.new_page()
    assert client.goto(url).status == 401
    client.fill("#share-password", "wrong-guess")
    client.click("button[type=submit]")
    assert "password" in client.locator("p.error").inner_text().lower()
    client.fill("#share-password", "cliffs-at-dawn")
    client.click("button[type=submit]")
    wait_online(client)
    assert client.evaluate("window.__anchorboard.editor.canEdit") is False
    # The "Your name" form (a plain form post, like the password form) works too.
    client.click("a:has-text('Your name')")
    client.fill("#guest-name", "Pat Client")
    client.click("button[type=submit]")
    client.wait_for_selector("a:has-text('Commenting as Pat Client')")
    wait_online(client)
    client_ctx.close()
    assert lead_errors == []
