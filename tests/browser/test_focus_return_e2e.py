"""Focus on open and close (docs/frontend.md "Focus on open and close"), in a real browser.

Every dialog, panel and sheet of the board and review pages is opened from the keyboard
(Enter on its button, or its key), closed once with Escape and once with its close button,
and the focus must then be on the element that opened it, drawn with its focus ring
(``:focus-visible``). While a modal dialog is open, Tab and Shift+Tab stay inside it.
Where the opener is gone (History opened from a phone's Details sheet, which then closes),
the focus goes to the sheet's toggle; Escape in an open sheet or drawer closes it, back on
its toggle.

Seeded: the demo board with two staged local upscale results (so there is something to
compare and review). Screenshots go to ``$ANCHORBOARD_SCREENSHOTS`` when it is set. Needs
Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.browser.test_history_decisions_fallbacks import SEED
from tests.frontend import browser_server
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 60_000
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("focus-return") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str) -> None:
    browser_server.screenshot(page, f"focus-{name}")


def focused_is(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector)


def focus_inside(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => { const d = document.querySelector(s);"
        " return !!d && d.contains(document.activeElement); }",
        selector,
    )


def assert_back_on(page, opener: str, closed: str, how: str) -> None:
    page.locator(closed).wait_for(state="hidden", timeout=WAIT_MS)
    where = page.evaluate(
        "() => { const a = document.activeElement;"
        " return a ? `${a.tagName} ${a.dataset.testid || a.getAttribute('aria-label') || a.id}`"
        " : null; }"
    )
    assert focused_is(page, opener), f"after {how} the focus is on {where}, not {opener}"
    # The keyboard user sees where they are: the ring is drawn.
    assert page.evaluate("document.activeElement.matches(':focus-visible')"), how
    # (The canvas draws its ring with an inset ::after shadow above the stage.)
    ring = page.evaluate(
        "(() => { const a = document.activeElement;"
        " return [getComputedStyle(a).outlineStyle, getComputedStyle(a, '::after').boxShadow]; })()"
    )
    assert ring[0] != "none" or ring[1] != "none", (how, ring)


def open_with_keyboard(page, opener: str, shown: str) -> None:
    page.locator(opener).first.focus()
    page.keyboard.press("Enter")
    page.locator(shown).wait_for(state="visible", timeout=WAIT_MS)
    assert focus_inside(page, shown), f"opening {shown} puts the focus inside it"


def assert_trapped(page, box: str) -> None:
    """Shift+Tab from the first control and Tab from the last wrap around inside."""
    for key in ("Shift+Tab", "Shift+Tab", "Tab", "Tab", "Tab"):
        page.keyboard.press(key)
        assert focus_inside(page, box), f"{key} left the dialog {box}"


# (name, opener, what opens, close button, modal)
BOARD = [
    (
        "history",
        "[data-testid=history-open]",
        "[data-testid=history-panel]",
        "[data-testid=history-close]",
        False,
    ),
    (
        "shortcuts",
        "button[aria-label='Keyboard shortcuts']",
        ".ab-help-card",
        ".ab-help-card .ab-dialog-head button",
        True,
    ),
    (
        "share",
        "[data-testid=share-open]",
        "[data-testid=share-dialog]",
        "[data-testid=share-close]",
        True,
    ),
    (
        "export",
        "[data-testid=export-open]",
        "[data-testid=export-dialog]",
        "[data-testid=export-close]",
        True,
    ),
    (
        "batch",
        "[data-testid=batch-open]",
        "[data-testid=batch-dialog]",
        "[data-testid=batch-close]",
        True,
    ),
    (
        "compare from the staging strip",
        "[data-testid=staging-compare]",
        ".ab-compare",
        "[data-testid=compare-close]",
        True,
    ),
]


def test_board_dialogs_give_the_focus_back_to_their_opener(server, browser):
    context, page, errors = browser_server.open_board(
        browser,
        server,
        "editor",
        items=5,
        until="document.querySelector('[data-testid=staging-compare]')",
        timeout=WAIT_MS,
    )
    for name, opener, box, close, modal in BOARD:
        open_with_keyboard(page, opener, box)
        if modal:
            assert_trapped(page, box)
        page.keyboard.press("Escape")
        assert_back_on(page, opener, box, f"Escape in {name}")
        shot(page, f"board-{name.split()[0]}-escape")

        open_with_keyboard(page, opener, box)
        page.locator(close).focus()
        page.keyboard.press("Enter")
        assert_back_on(page, opener, box, f"the close button of {name}")

    # A compare opened from the history: back on that result's Compare in the panel.
    open_with_keyboard(page, "[data-testid=history-open]", "[data-testid=history-panel]")
    entry = f"[data-testid=history-entry][data-iteration='{server.seed['other']}']"
    in_history = f"{entry} [data-testid=history-compare]"
    open_with_keyboard(page, in_history, ".ab-compare")
    page.keyboard.press("Escape")
    assert_back_on(page, in_history, ".ab-compare", "Escape in the compare opened from the history")
    page.keyboard.press("Escape")
    assert_back_on(
        page, "[data-testid=history-open]", "[data-testid=history-panel]", "Escape in the history"
    )

    # The shortcuts' key from the canvas: back on the canvas.
    page.locator("#ab-canvas").focus()
    page.keyboard.press("Shift+Slash")
    page.locator(".ab-help-card").wait_for(state="visible", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    assert_back_on(page, "#ab-canvas", ".ab-help-card", "Escape in the shortcuts opened with ?")

    # The candidates filmstrip: Escape in it folds it, back on its button.
    page.locator("[data-testid=filmstrip-toggle]").focus()
    page.keyboard.press("Enter")
    page.locator("[data-testid=filmstrip-item]").first.focus()
    page.keyboard.press("Escape")
    assert_back_on(
        page, "[data-testid=filmstrip-toggle]", ".ab-filmstrip", "Escape in the filmstrip"
    )

    # The comment composer, from "On selection": back on that button when cancelled.
    page.locator("#ab-canvas").focus()
    page.keyboard.press("Control+a")
    page.wait_for_function("window.__anchorboard.editor.selection.size > 0")
    open_with_keyboard(page, "[data-testid=comment-on-selection]", "[data-testid=comment-composer]")
    page.keyboard.press("Escape")
    assert_back_on(
        page,
        "[data-testid=comment-on-selection]",
        "[data-testid=comment-composer]",
        "Escape in the composer",
    )
    assert errors == []
    context.close()


def test_a_phone_sheet_and_history_give_the_focus_back(server, browser):
    """History opened from the Details sheet closes the sheet: its opener is then inert, and
    the focus goes to the sheet's toggle. Escape in an open sheet closes it, on its toggle."""
    context, page, errors = browser_server.open_board(
        browser,
        server,
        "editor",
        items=5,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        timeout=WAIT_MS,
    )
    toggle = "[data-testid=panel-toggle-right]"
    page.locator(
        toggle
    ).focus()  # the sheet opens; the toggle keeps the focus (the toggles act as tabs)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.ab-side.right').inert === false")
    page.locator("[data-testid=history-open]").focus()
    page.keyboard.press("Enter")
    page.locator("[data-testid=history-panel]").wait_for(state="visible", timeout=WAIT_MS)
    assert focus_inside(page, "[data-testid=history-panel]")
    page.keyboard.press("Escape")
    assert_back_on(page, toggle, "[data-testid=history-panel]", "Escape in History on a phone")
    shot(page, "phone-history-escape")

    page.keyboard.press("Enter")  # the sheet again
    page.wait_for_function("document.querySelector('.ab-side.right').inert === false")
    page.locator("[data-testid=gen-prompt]").focus()
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelector('.ab-side.right').inert === true")
    assert_back_on(
        page, toggle, ".ab-side.right [data-testid=gen-prompt]", "Escape in the Details sheet"
    )
    assert errors == []
    context.close()


def test_a_tablet_drawer_closes_on_escape(server, browser):
    context, page, errors = browser_server.open_board(
        browser, server, "editor", items=5, viewport=TABLET, timeout=WAIT_MS
    )
    toggle = "[data-testid=panel-toggle-left]"
    page.locator(toggle).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.ab-side.left').inert === false")
    page.locator("#ab-layers-panel").focus()
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelector('.ab-side.left').inert === true")
    assert focused_is(page, toggle)
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    shot(page, "tablet-drawer-escape")
    assert errors == []
    context.close()


def test_review_compare_gives_the_focus_to_the_current_card(server, browser):
    context, page, errors = browser_server.open_signed_in(
        browser, server, "editor", f"/boards/{server.seed['board']}/review/"
    )
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate-open]').length >= 2", timeout=WAIT_MS
    )
    first = "[data-testid=candidate-open]"
    open_with_keyboard(page, first, ".ab-compare")
    assert_trapped(page, ".ab-compare")
    page.keyboard.press("Escape")
    assert_back_on(page, first, ".ab-compare", "Escape in the review compare")

    open_with_keyboard(page, first, ".ab-compare")
    page.locator("[data-testid=compare-close]").focus()
    page.keyboard.press("Enter")
    assert_back_on(page, first, ".ab-compare", "the review compare's close button")

    # → inside the compare moves to the next candidate: closing lands on its card.
    open_with_keyboard(page, first, ".ab-compare")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "document.querySelector('.rv-card[aria-current]') !== document.querySelector('.rv-card')"
    )
    page.keyboard.press("Escape")
    page.locator(".ab-compare").wait_for(state="hidden", timeout=WAIT_MS)
    assert page.evaluate(
        "document.querySelector('.rv-card[aria-current] [data-testid=candidate-open]')"
        " === document.activeElement"
    )
    shot(page, "review-compare-escape")
    assert errors == []
    context.close()
