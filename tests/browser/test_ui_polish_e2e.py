"""Nothing floating runs off the screen or shows through something else, on a 390 × 844
phone and a 1440 × 900 desktop (docs/frontend.md "Overlays" and "Strips at the bottom edge"):

- a tooltip of a control at either edge of a phone stays 8 px inside the view;
- the staging strip stands on the candidates filmstrip instead of under it, and its buttons
  are all on a phone's screen;
- the batch progress dock's head is one line at 1440 px;
- History on a phone takes the screen's width, over the batch dock, and closes the Details
  sheet it was opened from;
- the review page on a phone opens at its top (marking the current card does not scroll).

The board has applied candidates (the filmstrip), staged results of three jobs (the staging
strip) and a paused batch (the dock). Needs Chromium.
"""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer, open_board

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
MARGIN = 8  # ui/tooltipPlacement.ts TIP_MARGIN_PX
WAIT_MS = 30_000

SEED = """
import json
from django.test import Client
from canvas.batches import runs
from canvas.boards import iterations
from tests import factories
from tests.jobs.conftest import add_image
from tests.review.conftest import make_candidate
lead = factories.make_user("lead")
dana = factories.make_user("dana")
board = factories.make_board(
    name="Cliffs at dawn, second round for the spring campaign", owner=lead, editor=dana
)
add_image(board, lead, width=64, height=48)
for i in range(3):
    iterations.apply(
        make_candidate(board, dana, region={"x": i * 500, "y": 0, "width": 400, "height": 300}),
        dana,
    )
for i in range(3):
    make_candidate(board, lead, region={"x": i * 500, "y": 400, "width": 400, "height": 300})
spec = {
    "name": "Spring hero variations",
    "mode": "variations",
    "prompt": "a {product} on sand",
    "variables": {"product": ["shoe 1", "shoe 2"]},
    "seeds": 2,
    "seed": 7,
    "engines": ["local"],
    "targets": [{"region": {"x": 0, "y": 0, "width": 64, "height": 48}}],
}
batch, summary = runs.start_batch(board, lead, spec)
runs.pause_batch(batch)  # the dock shows it; nothing runs
out = {"board": str(board.pk)}
c = Client()
c.force_login(lead)
out["lead"] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("ui-polish") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def open_on(browser, server, viewport: dict):
    """The lead's board at ``viewport`` (a touch phone below 500 px), its staging strip up."""
    phone = viewport["width"] < 500
    context, page, errors = open_board(
        browser,
        server,
        "lead",
        items=4,
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
    )
    page.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=WAIT_MS)
    return context, page, errors


def settle(page) -> None:
    """Two animation frames: resize observers (the filmstrip's height) have run."""
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def tooltip_box(page, selector: str) -> dict:
    """Hover ``selector`` and return the tooltip's box once it names that control."""
    tip = page.locator(selector).get_attribute("data-tip")
    page.hover(selector)
    page.wait_for_function(
        """(tip) => { const t = document.querySelector('.ab-tooltip');
          return t && !t.hidden && tip.startsWith(t.textContent.split(' ')[0]); }""",
        arg=tip,
        timeout=WAIT_MS,
    )
    return page.locator(".ab-tooltip").bounding_box()


def test_tooltips_at_a_phones_edges_stay_on_the_screen(server, browser):
    context, page, errors = open_on(browser, server, PHONE)
    right = "[data-testid=panel-toggle-right]"
    left = "[data-testid=panel-toggle-left]"
    assert page.locator(right).bounding_box()["x"] + 44 > PHONE["width"] - 12  # at the edge
    assert page.locator(left).bounding_box()["x"] < 12
    # Right, left, then right again after a long tooltip near the right edge (Refine's):
    # where the last tooltip was must not change the next one's size or place.
    shown = []
    for selector in (right, left, "[data-testid=staging-refine]", right):
        page.mouse.move(PHONE["width"] / 2, 300)  # off any control: the tooltip hides
        box = tooltip_box(page, selector)
        shown.append((selector, box))
        assert box["x"] >= MARGIN, shown
        assert box["x"] + box["width"] <= PHONE["width"] - MARGIN, shown
        assert box["y"] >= MARGIN, shown
        assert box["y"] + box["height"] <= PHONE["height"] - MARGIN, shown
    # "Details and comments" fits one line once measured with the room it has.
    assert shown[-1][1]["height"] < 34, shown
    assert errors == []
    context.close()


OVERLAP_JS = """() => {
  const bar = document.querySelector('.ab-staging-bar').getBoundingClientRect();
  const film = document.querySelector('[data-testid=filmstrip]').getBoundingClientRect();
  const buttons = [...document.querySelectorAll('.ab-staging-row button')]
    .filter((b) => b.getClientRects().length);
  const onTop = (el) => { const r = el.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return !!top && (top === el || el.contains(top)); };
  const item = document.querySelector('[data-testid=filmstrip-item]');
  return {
    barBottom: bar.bottom, filmTop: film.top, filmHeight: film.height,
    hidden: buttons.filter((b) => !onTop(b)).map((b) => b.dataset.testid),
    offScreen: buttons.filter((b) => b.getBoundingClientRect().right > innerWidth
      || b.getBoundingClientRect().left < 0).map((b) => b.dataset.testid),
    itemOnTop: onTop(item),
  };
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_staging_strip_stands_on_the_filmstrip(server, browser, viewport):
    context, page, errors = open_on(browser, server, viewport)
    settle(page)
    alone = page.evaluate(
        """() => [...document.querySelectorAll('.ab-staging-row button')]
          .filter((b) => b.getClientRects().length && b.getBoundingClientRect().right > innerWidth)
          .map((b) => b.dataset.testid)"""
    )
    assert alone == []  # Refine was cut off at a phone's right edge
    page.locator("[data-testid=filmstrip-toggle]").click()
    page.wait_for_selector("[data-testid=filmstrip-item]", state="visible", timeout=WAIT_MS)
    settle(page)
    found = page.evaluate(OVERLAP_JS)
    assert found["filmHeight"] > 0
    assert found["barBottom"] <= found["filmTop"], found
    assert found["hidden"] == [] and found["offScreen"] == [], found
    assert found["itemOnTop"], found
    # Closed again, the strip goes back down to the edge.
    page.locator("[data-testid=filmstrip-toggle]").click()
    settle(page)
    bottom = page.evaluate(
        "document.querySelector('.ab-surface').getBoundingClientRect().bottom"
        " - document.querySelector('.ab-staging-bar').getBoundingClientRect().bottom"
    )
    assert bottom <= 16, bottom
    assert errors == []
    context.close()


def test_the_batch_dock_head_is_one_line_at_1440(server, browser):
    context, page, errors = open_on(browser, server, DESKTOP)
    page.wait_for_selector("[data-testid=bp-dock]", state="visible", timeout=WAIT_MS)
    fold = page.locator("[data-testid=bp-fold]")
    if fold.get_attribute("aria-expanded") == "false":
        fold.click()
    assert fold.get_attribute("aria-expanded") == "true"
    head = page.evaluate(
        """() => {
          const head = document.querySelector('.ab-bp-dock-head');
          const title = head.querySelector('.ab-bp-dock-title');
          const link = head.querySelector('[data-testid=bp-board-batches]');
          const box = (el) => el.getBoundingClientRect();
          return {
            text: title.textContent, titleHeight: box(title).height, linkHeight: box(link).height,
            tops: [...head.children].map((el) => Math.round(box(el).top + box(el).height / 2)),
            cut: title.scrollWidth > title.clientWidth,
          };
        }"""
    )
    assert head["text"] == "Batches · 1 in progress", head
    # One line: the title is as tall as the one-line link beside it, and the fold button
    # and the link share one row; at 1440 px the words are whole, not cut.
    assert head["titleHeight"] <= head["linkHeight"] + 2, head
    assert max(head["tops"]) - min(head["tops"]) <= 2, head
    assert not head["cut"], head
    # Its accessible names are unchanged.
    assert page.get_by_role("link", name="This board's batches", exact=True).count() >= 1
    assert page.get_by_role("button", name="Batches · 1 in progress").count() == 1
    assert errors == []
    context.close()


def test_history_on_a_phone_takes_the_width_and_the_keyboard(server, browser):
    context, page, errors = open_on(browser, server, PHONE)
    page.locator("[data-testid=panel-toggle-right]").tap()
    page.locator("[data-testid=history-open]").tap()
    history = page.locator("[data-testid=history-panel]")
    history.wait_for(state="visible", timeout=WAIT_MS)
    box = history.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    # The sheet it was opened from is closed, and nothing covers the history's head.
    assert page.locator(".ab-side.right").is_hidden()
    covered = page.evaluate(
        """() => [...document.querySelectorAll('.ab-history-head button')]
          .filter((el) => { const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !(top && (top === el || el.contains(top))); })
          .map((el) => el.textContent.trim() || el.getAttribute('aria-label'))"""
    )
    assert covered == [], covered
    assert page.evaluate(
        "document.querySelector('[data-testid=history-panel]').contains(document.activeElement)"
    )
    page.get_by_role("button", name="Close the history").tap()
    assert history.is_hidden()
    assert errors == []
    context.close()


def test_the_review_page_on_a_phone_opens_at_its_top(server, browser):
    """The current card is marked on load without scrolling the page past its header and
    filters (a 390 px phone's first card is taller than what is left of the screen)."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/review/")
    page.wait_for_selector(".rv-card[aria-current=true]", timeout=WAIT_MS)
    settle(page)
    assert page.evaluate("scrollY") == 0
    # Moving by keys still brings the current card into view.
    page.locator(".rv-card[aria-current=true] .rv-thumb").focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_function("scrollY > 0", timeout=WAIT_MS)
    assert errors == []
    context.close()
