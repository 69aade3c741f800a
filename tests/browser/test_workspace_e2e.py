"""The workspace in a real browser: undoable results and the one overlay system.

- Apply is the author's own action: Ctrl+Z removes the result's layer and stages the result
  again, Ctrl+Shift+Z re-applies it (the same layer), and a second user watching the board
  sees each step live; a reload shows the same. The watcher's own undo never touches it.
- Overlays: with ``document.elementFromPoint`` each floating thing is on top where it is
  shown — a failed upload card and a notice over canvas images and the results strip, the
  Share dialog over the strip (with a backdrop, focus kept inside, Escape), a progress
  card's Cancel clear of the strip and the minimap, tooltips over everything, the
  region outline drawn over the image it covers, and a board card's "More" menu over the
  card below it on the board list.
- The staging strip at 1280×720 shows a job's four thumbnails whole, and steps left of
  the History drawer while it is open.

Results are stored by the seed (no engine runs), so the server is plain Daphne. Needs
Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.frontend import browser_server
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = """
import json
from django.test import Client
from tests import factories
from tests.jobs.conftest import add_image
from tests.review.conftest import make_candidate, make_variations
author = factories.make_user("author")
watcher = factories.make_user("watcher")
board = factories.make_board(name="Undo board", owner=author, editor=watcher)
add_image(board, author, x=0, y=0, width=800, height=600, color=(240, 236, 226))
region = {"x": 100, "y": 80, "width": 400, "height": 300}
made = [
    make_candidate(board, author, region=region, data=factories.png_bytes((400, 300), c))
    for c in ((200, 60, 60), (60, 160, 90))
]
# A second board with one job of four variations (the strip's thumbnails), and more boards
# so the board list has a second row of cards under the first one's "More" menu.
strip = factories.make_board(name="Strip board", owner=author)
add_image(strip, author, x=0, y=0, width=800, height=600, color=(226, 236, 240))
blue = factories.png_bytes((400, 300), (90, 90, 200))
make_variations(strip, author, 4, region=region, data=blue)
for n in range(6):
    factories.make_board(board.team, f"Campaign {n + 1}", owner=author)
out = {"board": str(board.pk), "strip": str(strip.pk), "results": [str(it.pk) for it in made]}
for name, user in (("author", author), ("watcher", watcher)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("workspace-browser") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def open_board(browser, server, who: str, size=(1440, 900), board: str = "board"):
    _, page, errors = browser_server.open_board(
        browser,
        server,
        who,
        board=board,
        items=1,
        until="window.__anchorboard.jobs.store.iterations.size >= 2",
        viewport={"width": size[0], "height": size[1]},
        timeout=WAIT_MS,
    )
    return page, errors


def status_of(page, iteration: str) -> str:
    return page.evaluate(f"window.__anchorboard.jobs.store.iterations.get('{iteration}').status")


def wait_status(page, iteration: str, status: str) -> None:
    page.wait_for_function(
        f"window.__anchorboard.jobs.store.iterations.get('{iteration}').status === '{status}'",
        timeout=WAIT_MS,
    )


def layer_js(iteration: str) -> str:
    return f"window.__anchorboard.doc.ordered().find(i => i.props.iteration === '{iteration}')"


def test_apply_undo_redo_by_its_author_live_for_a_watcher(server, browser):
    author, author_errors = open_board(browser, server, "author")
    watcher, watcher_errors = open_board(browser, server, "watcher")
    shown = author.get_attribute("[data-testid=staging-ghost]", "data-iteration")
    assert author.locator("[data-testid=undo]").is_disabled()

    author.click("[data-testid=staging-apply]")
    for page in (author, watcher):
        page.wait_for_function(f"!!{layer_js(shown)}", timeout=WAIT_MS)
        wait_status(page, shown, "applied")
    layer = author.evaluate(layer_js(shown))
    undo = author.locator("[data-testid=undo]")
    undo.wait_for(state="visible")
    assert undo.is_enabled()
    assert author.get_attribute("[data-testid=undo]", "data-tip") == "Undo Apply result (Ctrl+Z)"
    # The watcher applied nothing: its undo has nothing to do with the author's apply.
    assert watcher.evaluate("window.__anchorboard.editor.history.canUndo") is False
    watcher.locator(".ab-surface").focus()
    watcher.keyboard.press("Control+z")
    assert watcher.evaluate(f"!!{layer_js(shown)}")

    # Ctrl+Z: the layer goes, the result is staged again — for both, and in History.
    author.locator(".ab-surface").focus()
    author.keyboard.press("Control+z")
    for page in (author, watcher):
        page.wait_for_function(f"!{layer_js(shown)}", timeout=WAIT_MS)
        wait_status(page, shown, "staged")
    # Back in the strip: two jobs' results again (each seeded result is its own job).
    author.wait_for_function(
        "window.__anchorboard.jobs.staging.nav.groupCount === 2", timeout=WAIT_MS
    )
    assert author.inner_text("[data-testid=staging-job-position]").endswith(" of 2")
    author.click("[data-testid=history-open]")
    entry = author.locator(f"[data-testid=history-entry][data-iteration='{shown}']")
    assert entry.get_attribute("data-status") == "staged"
    # The strip steps aside while the History drawer is open: it covers none of its list.
    dock = author.locator(".ab-staging-dock").bounding_box()
    drawer = author.locator("[data-testid=history-panel]").bounding_box()
    assert dock["x"] + dock["width"] <= drawer["x"]
    author.click("[data-testid=history-close]")

    # Ctrl+Shift+Z: the same layer comes back where it was, applied again, for both.
    author.locator(".ab-surface").focus()
    author.keyboard.press("Control+Shift+z")
    for page in (author, watcher):
        page.wait_for_function(f"!!{layer_js(shown)}", timeout=WAIT_MS)
        wait_status(page, shown, "applied")
    again = author.evaluate(layer_js(shown))
    assert again["id"] == layer["id"] and (again["x"], again["y"]) == (layer["x"], layer["y"])
    # The server holds the truth: a reload shows the same.
    watcher.reload()
    watcher.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'"
        " && window.__anchorboard.jobs.store.iterations.size >= 2",
        timeout=WAIT_MS,
    )
    assert watcher.evaluate(f"{layer_js(shown)}.id") == layer["id"]
    assert status_of(watcher, shown) == "applied"

    # Discard is undoable too: the other result comes back to the strip.
    other = next(r for r in server.seed["results"] if r != shown)
    author.wait_for_selector(
        f"[data-testid=staging-ghost][data-iteration='{other}']", timeout=WAIT_MS
    )
    author.click("[data-testid=staging-discard]")
    wait_status(watcher, other, "discarded")
    author.locator(".ab-surface").focus()
    author.keyboard.press("Control+z")
    wait_status(watcher, other, "staged")
    wait_status(author, other, "staged")
    assert author_errors == [] and watcher_errors == []


def on_top(page, selector: str, *, point: str = "center") -> bool:
    """Whether the element at `selector`'s centre (or a named point) is inside it.

    Elements that let clicks through (tooltips, outlines) are made hit-testable for the
    probe only; what is measured is the stacking, not pointer-events.
    """
    return page.evaluate(
        """([sel, where]) => {
          const el = document.querySelector(sel);
          if (!el) return false;
          const keep = el.style.pointerEvents;
          el.style.pointerEvents = 'auto';
          const r = el.getBoundingClientRect();
          const x = where === 'edge' ? r.left + 1 : r.left + r.width / 2;
          const y = r.top + r.height / 2;
          const hit = document.elementFromPoint(x, y);
          el.style.pointerEvents = keep;
          return !!hit && (hit === el || el.contains(hit));
        }""",
        [selector, point],
    )


def test_overlays_are_on_top_where_they_are_shown(server, browser):
    page, errors = open_board(browser, server, "author", size=(1280, 720))
    page.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=WAIT_MS)

    # A failed upload card and an error notice: over the images, whole (wrapped, not cut).
    page.evaluate(
        """() => {
          const dt = new DataTransfer();
          dt.items.add(new File(['definitely not a png'], 'broken.png', {type: 'image/png'}));
          document.querySelector('.ab-stage canvas').dispatchEvent(new DragEvent('drop',
            {bubbles: true, cancelable: true, clientX: 500, clientY: 300, dataTransfer: dt}));
        }"""
    )
    page.wait_for_selector(".ab-upload.failed", timeout=WAIT_MS)
    assert on_top(page, ".ab-upload.failed .ab-upload-text")
    text = page.locator(".ab-upload.failed .ab-upload-text")
    assert text.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # not cut off
    long = "This is a long error message that must wrap inside its card " * 3
    page.evaluate(f"window.__anchorboard.editor.notify('error', {long!r})")
    notice = ".ab-notice[data-kind=error]"
    page.wait_for_selector(notice)
    assert on_top(page, notice)
    assert page.locator(notice).inner_text().strip().startswith("This is a long")

    # The strip is above canvas overlays; the Share dialog is above the strip, with a
    # backdrop between them, focus kept inside, and Escape closing it.
    assert on_top(page, ".ab-staging-dock")
    strip = page.locator(".ab-staging-dock").bounding_box()
    page.click("[data-testid=share-open]")
    dialog = page.locator("[data-testid=share-dialog]")
    dialog.wait_for(state="visible")
    assert on_top(page, "[data-testid=share-dialog]")
    covering = page.evaluate(
        f"document.elementFromPoint({strip['x'] + strip['width'] / 2}, "
        f"{strip['y'] + strip['height'] / 2}).closest('.ab-backdrop') !== null"
    )
    assert covering  # the strip lies under the backdrop, unclickable
    # No links yet: no "Revoke all". An expiry of 0 days is explained next to the field.
    page.wait_for_selector("[data-testid=share-links] td.muted", timeout=WAIT_MS)
    assert page.locator("[data-testid=share-revoke-all]").count() == 0
    page.fill("[data-testid=share-days]", "0")
    page.click("[data-testid=share-create]")
    days_error = page.locator("[data-testid=share-days-error]")
    assert days_error.is_visible() and "1 to 90" in days_error.inner_text()
    assert page.locator("[data-testid=share-url]").count() == 0
    page.fill("[data-testid=share-days]", "14")
    assert days_error.is_hidden()
    for _ in range(40):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "document.querySelector('[data-testid=share-dialog]').contains(document.activeElement)"
        )
        assert inside
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.testid") == "share-open"

    # A queued job over the bottom of the view, where the strip and the minimap are: its
    # Cancel is lifted clear of them and takes the click.
    page.evaluate(
        """() => {
          const ab = window.__anchorboard, cam = ab.editor.camera, v = ab.editor.viewport;
          const tl = ab.editor.toBoard({x: v.width - 420, y: v.height - 150});
          const br = ab.editor.toBoard({x: v.width - 10, y: v.height - 5});
          ab.jobs.setRegion({x: Math.round(tl.x), y: Math.round(tl.y),
            width: Math.round(br.x - tl.x), height: Math.round(br.y - tl.y)});
        }"""
    )
    page.select_option("[data-testid=gen-mode]", "variations")  # needs no anchor
    page.fill("[data-testid=gen-count]", "1")
    page.click("[data-testid=gen-submit]")
    cancel = "[data-testid=job-card-cancel]"
    page.wait_for_function(
        "document.querySelector('[data-testid=job-card-cancel]')"
        " || !document.querySelector('[data-testid=gen-error]').hidden",
        timeout=WAIT_MS,
    )
    assert page.locator("[data-testid=gen-error]").is_hidden(), page.inner_text(
        "[data-testid=gen-error]"
    )
    page.wait_for_selector(cancel, timeout=WAIT_MS)
    page.wait_for_function(
        f"""(() => {{ const c = document.querySelector('{cancel}').getBoundingClientRect();
          const s = document.querySelector('.ab-staging-dock').getBoundingClientRect();
          const m = document.querySelector('.ab-minimap').getBoundingClientRect();
          const clear = (o) => c.bottom <= o.top || c.top >= o.bottom || c.right <= o.left
            || c.left >= o.right;
          return clear(s) && clear(m); }})()""",
        timeout=WAIT_MS,
    )
    assert on_top(page, cancel)
    page.click(cancel)
    page.wait_for_selector("[data-testid=job-card]", state="detached", timeout=WAIT_MS)

    # The region outline is drawn over the image under it, two-tone.
    page.evaluate("window.__anchorboard.jobs.setRegion({x: 50, y: 50, width: 300, height: 200})")
    outline = "[data-testid=region-outline]"
    assert on_top(page, outline, point="edge")
    style = page.evaluate(
        f"(() => {{ const s = getComputedStyle(document.querySelector('{outline}'));"
        " return [s.borderTopStyle, s.borderTopColor, s.outlineColor]; })()"
    )
    assert style[0] == "dashed" and style[1] == "rgb(255, 255, 255)"
    assert style[2].startswith("rgba(0, 0, 0")

    # Tooltips name the tool and its key, above everything (menus/tooltips layer).
    page.hover("[data-tool=hand]")
    tip = page.locator(".ab-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert "Hand" in tip.inner_text() and tip.locator("kbd").inner_text() == "H"
    assert on_top(page, ".ab-tooltip")
    assert page.get_by_role("button", name="Hand").count() == 1
    assert errors == []


def test_the_staging_strip_shows_whole_thumbnails_at_1280(server, browser):
    """At 1280×720 the strip is narrow (the canvas between two panels, left of the minimap):
    Discard, Compare and Refine keep their icon and tooltip, drop the word, and the four
    variations' thumbnails are shown whole, not cut by the buttons."""
    page, errors = open_board(browser, server, "author", size=(1280, 720), board="strip")
    page.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.ab-staging-thumb').length === 4", timeout=WAIT_MS
    )
    whole = page.evaluate(
        """(() => {
          const box = document.querySelector('.ab-staging-thumbs').getBoundingClientRect();
          return [...document.querySelectorAll('.ab-staging-thumb')].map((t) => {
            const r = t.getBoundingClientRect();
            return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
          });
        })()"""
    )
    assert whole == [True, True, True, True]
    row = page.locator(".ab-staging-row")
    assert row.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    # The words are gone from sight but still name the buttons.
    for name in ("Apply", "Discard", "Compare", "Refine"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    assert page.locator("[data-testid=staging-position]").inner_text() == "1 / 4"
    assert errors == []


def test_the_board_cards_more_menu_is_on_top_of_the_next_row(server, browser):
    """Menus are the top layer on the server-rendered pages too: the first board card's
    "More" menu drops over the card below it and takes the clicks there."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["author"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/")
    cards = page.locator(".board-card")
    assert cards.count() >= 6
    # Each card's buttons stay on one row (Open, Members, More), never wrapped.
    rows = page.evaluate(
        """[...document.querySelectorAll('.board-actions')].map((a) =>
          new Set([...a.children].map((c) => Math.round(c.getBoundingClientRect().top))).size)"""
    )
    assert rows and set(rows) == {1}
    first = cards.first
    first.locator("details.board-more > summary").click()
    menu = first.locator(".menu-list")
    menu.wait_for(state="visible")
    below = page.evaluate(
        """(() => {
          const m = document.querySelector('details.board-more[open] .menu-list');
          const r = m.getBoundingClientRect();
          const others = [...document.querySelectorAll('.board-card')]
            .filter((c) => !c.contains(m))
            .filter((c) => {
              const o = c.getBoundingClientRect();
              return o.top < r.bottom && o.bottom > r.top && o.left < r.right
                && o.right > r.left;
            });
          const points = [[r.left + 4, r.top + 4], [r.left + r.width / 2, r.top + r.height / 2],
                          [r.right - 4, r.bottom - 4], [r.left + 4, r.bottom - 4]];
          return {
            overlaps: others.length,
            onTop: points.map(([x, y]) => m.contains(document.elementFromPoint(x, y))),
          };
        })()"""
    )
    assert below["overlaps"] >= 1  # the menu really lies over another card
    assert below["onTop"] == [True, True, True, True]
    # Escape closes it, focus back on its button.
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    context.close()
