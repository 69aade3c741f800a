"""Drift marks on a phone, in a real browser: the candidate viewer (the filmstrip opens it
full screen on a narrow screen) and the reviewer inbox show the same mark as the strip and
the review grid — words naming the metric, not colour alone — and "Why flagged" lists the
flags' sentences on a tap. And the staging strip, whose thumbnail row shows about six:
"+N drifted" reaches the drifted results scrolled out of it.

The seed is the lit-ball board of ``test_drift_ui_e2e`` with eight consistent results, then
two drifted ones (lighting, palette), scored as their landing scores them. Screenshots go
to ``$ANCHORBOARD_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import pytest

from tests.browser.test_drift_ui_e2e import drift_seed, open_as_lead, shot
from tests.browser.test_mobile_e2e import OVERFLOW_JS, PHONE_WIDTH, phone_context
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = drift_seed(8)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("drift-phone") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def open_viewer_on(page, iteration: str):
    """Open the filmstrip and tap one candidate: on a phone it opens full screen."""
    page.tap("[data-testid=filmstrip-toggle]")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=filmstrip-item]').length === 10",
        timeout=WAIT_MS,
    )
    page.locator(f"[data-testid=filmstrip-item][data-id='{iteration}']").tap()
    viewer = page.locator("[data-testid=candidate-viewer]")
    viewer.wait_for(state="visible", timeout=WAIT_MS)
    return viewer


def check_viewer_marks(page, server, name: str) -> None:
    drifted = server.seed["drifted"]
    lighting = drifted["lighting"]
    viewer = open_viewer_on(page, lighting)
    drift = viewer.locator("[data-testid=viewer-drift]")
    drift.wait_for(state="visible", timeout=WAIT_MS)
    badge = drift.locator("[data-testid=drift-badge]")
    # The mark says it in words: its name for screen readers, the metric as visible text.
    assert badge.get_attribute("aria-label") == "Drifted: lighting"
    assert badge.inner_text().strip() == "Lighting"
    toggle = drift.locator("[data-testid=drift-flags-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    box = toggle.bounding_box()
    assert box["height"] >= 44  # a finger's target
    flags = drift.locator("[data-testid=drift-flags]")
    assert not flags.is_visible()
    toggle.tap()
    flags.wait_for(state="visible", timeout=WAIT_MS)
    assert toggle.get_attribute("aria-expanded") == "true"
    message = server.seed["consistency"][lighting]["flags"][0]["message"]
    assert flags.locator("li").first.inner_text() == f"Lighting: {message}"
    # The verdict buttons stay on screen under the sentences.
    approve = page.locator("[data-testid=viewer-approved]")
    if approve.count():
        b = approve.bounding_box()
        assert b["y"] + b["height"] <= page.evaluate("innerHeight")
    shot(page, f"{name}-viewer-drifted")
    # Step to the palette one (the board lists oldest first, a share link newest first): its
    # own mark, the list closed again; then back past the lighting one, a consistent one.
    order = page.eval_on_selector_all(
        "[data-testid=filmstrip-item]", "els => els.map(e => e.dataset.id)"
    )
    here, there = order.index(lighting), order.index(drifted["palette"])
    assert abs(here - there) == 1
    step = "viewer-next" if there > here else "viewer-prev"

    def shown(iteration: str) -> None:
        page.wait_for_function(
            "id => document.querySelector('[data-testid=candidate-viewer]').dataset.id === id",
            arg=iteration,
            timeout=WAIT_MS,
        )

    page.locator(f"[data-testid={step}]").tap()
    shown(drifted["palette"])
    assert badge.get_attribute("aria-label") == "Drifted: palette"
    assert toggle.get_attribute("aria-expanded") == "false"
    # A consistent result: the quiet check, labelled, and no "Why flagged".
    back = "viewer-prev" if step == "viewer-next" else "viewer-next"
    page.locator(f"[data-testid={back}]").tap()
    page.locator(f"[data-testid={back}]").tap()
    shown(order[here - (there - here)])
    assert badge.get_attribute("data-drift") == "consistent"
    assert badge.get_attribute("aria-label") == "Consistent with the anchors"
    assert drift.locator("[data-testid=drift-flags-toggle]").count() == 0
    shot(page, f"{name}-viewer-consistent")


def phone_page(browser, server, who: str | None, path: str):
    """(context, page, page errors) of a phone on ``path``, signed in as ``who``."""
    context = phone_context(browser, server, who)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}{path}")
    return context, page, errors


@pytest.mark.parametrize(
    ("who", "where"), [("lead", "board"), (None, "share")], ids=["member", "guest"]
)
def test_phone_viewer_shows_the_drift_mark_and_why(server, browser, who, where):
    path = (
        f"/boards/{server.seed['board']}/" if where == "board" else f"/s/{server.seed['sharing']}/"
    )
    context, page, errors = phone_page(browser, server, who, path)
    page.wait_for_selector("[data-testid=filmstrip-toggle]", timeout=WAIT_MS)
    check_viewer_marks(page, server, f"phone-{where}")
    context.close()
    assert errors == []


def test_inbox_shows_drift_marks_and_why_on_a_phone(server, browser):
    context, page, errors = phone_page(browser, server, "lead", "/inbox/")
    drifted = server.seed["drifted"]
    marks = page.locator("[data-testid=inbox-candidate] [data-testid=drift-badge]")
    assert marks.count() == 10
    assert page.locator("[data-testid=drift-badge][data-drift=drifted]").count() == 2
    for metric, iteration in drifted.items():
        cell = page.locator(f"[data-testid=inbox-candidate][data-id='{iteration}']")
        badge = cell.locator("[data-testid=drift-badge]")
        # Words, not colour alone: "Drifted: Lighting" is what a screen reader reads.
        assert " ".join(badge.text_content().split()) == f"Drifted: {metric.capitalize()}"
        assert badge.locator(f"text={metric.capitalize()}").is_visible()
        assert badge.get_attribute("data-metric") == metric
    link = page.locator("[data-testid=inbox-drifted]")
    assert link.inner_text() == "2 drifted"
    assert "drifted=true" in link.get_attribute("href")
    # Why flagged: a tap opens the sentences, which take the row's width.
    lighting = page.locator(f"[data-testid=inbox-candidate][data-id='{drifted['lighting']}']")
    flags = lighting.locator("[data-testid=drift-flags]")
    assert not flags.is_visible()
    summary = lighting.locator("summary")
    assert summary.bounding_box()["height"] >= 44
    summary.tap()
    flags.wait_for(state="visible", timeout=WAIT_MS)
    message = server.seed["consistency"][drifted["lighting"]]["flags"][0]["message"]
    assert " ".join(flags.locator("li").first.inner_text().split()) == f"Lighting: {message}"
    assert flags.bounding_box()["width"] >= 0.6 * PHONE_WIDTH
    # And from the keyboard: Enter on the palette one's summary.
    palette = page.locator(f"[data-testid=inbox-candidate][data-id='{drifted['palette']}']")
    palette.locator("summary").focus()
    page.keyboard.press("Enter")
    palette.locator("[data-testid=drift-flags]").wait_for(state="visible", timeout=WAIT_MS)
    found = page.evaluate(OVERFLOW_JS, PHONE_WIDTH)
    assert found["width"] <= PHONE_WIDTH and not found["wide"], found
    shot(page, "phone-inbox-drift")
    context.close()
    assert errors == []


@pytest.mark.parametrize("width", [1440, 1280])
def test_strip_reaches_drift_marks_beyond_the_sixth_result(server, browser, width):
    context, page, errors = open_as_lead(
        browser, server, f"/boards/{server.seed['board']}/", {"width": width, "height": 800}
    )
    strip = page.locator("[data-testid=staging-strip]")
    strip.wait_for(state="visible", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.ab-staging-thumb [data-testid=drift-badge]').length === 10",
        timeout=WAIT_MS,
    )
    row = strip.locator("[data-testid=staging-thumbs]")
    drifted = server.seed["drifted"]

    def in_view(iteration: str) -> bool:
        thumb = row.locator(f".ab-staging-thumb[data-iteration='{iteration}']").bounding_box()
        box = row.bounding_box()
        return (
            thumb["x"] >= box["x"] - 1
            and thumb["x"] + thumb["width"] <= box["x"] + box["width"] + 1
        )

    # The first result is shown; the two drifted ones (9th and 10th) are out of the row's view,
    # and the count says so in words.
    assert not in_view(drifted["lighting"]) and not in_view(drifted["palette"])
    more = strip.locator("[data-testid=staging-more-drift]")
    more.wait_for(state="visible", timeout=WAIT_MS)
    assert more.get_attribute("aria-label") == "2 drifted results out of view: show the next"
    assert more.inner_text().startswith("+2")
    shot(page, f"strip-more-drift-{width}", strip.locator(".ab-staging-dock"))
    # Pressing it (from the keyboard) shows the first of them, scrolled into view.
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "id => document.querySelector('[data-testid=staging-ghost]').dataset.iteration === id",
        arg=drifted["lighting"],
        timeout=WAIT_MS,
    )
    assert in_view(drifted["lighting"])
    assert strip.locator("[data-testid=staging-position]").inner_text() == "9 / 10"
    if in_view(drifted["palette"]):
        assert not more.is_visible()
    # Back to the start with the arrows: the row follows the shown result, and the count is back.
    for _ in range(8):
        page.locator("[data-testid=staging-prev]").click()
    assert strip.locator("[data-testid=staging-position]").inner_text() == "1 / 10"
    assert in_view(server.seed["consistent"][0])
    more.wait_for(state="visible", timeout=WAIT_MS)
    assert more.get_attribute("data-count") == "2"
    # Scrolling the row by hand brings them into view: the count goes.
    row.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    more.wait_for(state="hidden", timeout=WAIT_MS)
    shot(page, f"strip-scrolled-{width}", strip.locator(".ab-staging-dock"))
    context.close()
    assert errors == []
