"""A keyboard-only journey on the demo board, against a real server with its job worker.

No mouse at all: Tab reaches the skip links, "Skip to the layers" lands in the layers tree,
the arrows select the composition sketch, R then Enter makes a job region over it, the
arrows move and resize that region, G goes to the prompt, Tab reaches Count and Generate,
the local engine runs, S goes to the staged result, Enter applies it, Ctrl+Z undoes it.
Screen-reader announcements for the job are read back from the live region.

The page state is *read* through ``window.__anchorboard`` to check each step; every input
is a key press. Needs Chromium (``chromium_path`` fails in CI and skips on laptops).
"""

from __future__ import annotations

import pytest

from tests.browser.test_jobs_e2e import JOB_WAIT_MS, SEED, WAIT_MS
from tests.frontend.browser_server import BrowserServer, open_board

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MAX_TABS = 60  # a bound, so a control that fell out of the Tab order fails instead of looping


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("keyboard") / "data", seed_script=SEED, with_workers=True
    )
    srv.start()
    yield srv
    srv.stop()


def open_editor(browser, server):
    """(context, page, page errors) of the editor on the board, its layers listed."""
    return open_board(
        browser,
        server,
        "editor",
        until="document.querySelectorAll('[role=treeitem]').length >= 5",
        viewport={"width": 1400, "height": 900},
        timeout=WAIT_MS,
    )


def focused(page, what: str = "testid"):
    if what == "testid":
        return page.evaluate("document.activeElement?.dataset?.testid ?? null")
    return page.evaluate(f"document.activeElement?.getAttribute('{what}') ?? null")


def tab_to(page, testid: str, key: str = "Tab") -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if focused(page) == testid:
            return
    raise AssertionError(f"{testid} is not reachable with {key}")


def test_select_region_generate_apply_undo_without_a_mouse(server, browser):
    context, page, errors = open_editor(browser, server)
    ab = "window.__anchorboard"
    sketch = page.evaluate(f"{ab}.doc.ordered().find(i => i.anchor_role === 'composition')")
    items_before = page.evaluate(f"{ab}.doc.size")
    # Every announcement the page makes, in order.
    page.evaluate(
        """() => {
          window.__said = [];
          for (const el of document.querySelectorAll('[data-testid^=announce-]')) {
            new MutationObserver(() => el.textContent && window.__said.push(el.textContent))
              .observe(el, {childList: true, characterData: true, subtree: true});
          }
        }"""
    )

    # The first Tab stops are the skip links; "Skip to the layers" lands in the layers panel.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the canvas"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the generation panel"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the layers"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "ab-layers-panel"

    # One Tab stop in the tree (roving tabindex); arrows select; find the sketch by name.
    page.keyboard.press("Tab")
    assert focused(page, "role") == "treeitem"
    assert page.locator("[role=treeitem][tabindex='0']").count() == 1
    page.keyboard.press("Home")
    for _ in range(20):
        if page.evaluate("document.activeElement.dataset.id") == sketch["id"]:
            break
        page.keyboard.press("ArrowDown")
    assert focused(page, "aria-label").startswith(f"{sketch['name']}, image, composition anchor")
    assert page.evaluate(f"[...{ab}.editor.selection]") == [sketch["id"]]
    page.wait_for_function(  # aria-selected is redrawn on the next animation frame
        "document.activeElement?.getAttribute('aria-selected') === 'true'", timeout=WAIT_MS
    )

    # R, Enter: a region over the selection, focused; arrows move it, Ctrl+arrows resize it.
    page.keyboard.press("r")
    page.keyboard.press("Enter")
    assert focused(page) == "region-outline"
    region = page.evaluate(f"{ab}.jobs.generation.region")
    assert region == {"x": 0, "y": 0, "width": 1600, "height": 1000}
    step = page.evaluate(f"Math.max(1, Math.round(10 / {ab}.editor.camera.zoom))")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+Control+ArrowLeft")
    page.keyboard.press("Control+ArrowUp")
    region = page.evaluate(f"{ab}.jobs.generation.region")
    assert region == {"x": step, "y": step, "width": 1600 - 10 * step, "height": 1000 - step}
    # The arrows moved the region, not the selected sketch.
    assert page.evaluate(f"{ab}.doc.get('{sketch['id']}').x") == sketch["x"]
    assert "Region placed" in " ".join(page.evaluate("window.__said"))

    # G: to the prompt; Tab to Count and to Generate.
    page.keyboard.press("g")
    assert focused(page) == "gen-prompt"
    page.keyboard.type("warm spring light")
    tab_to(page, "gen-count")
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    tab_to(page, "gen-submit")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"[...{ab}.jobs.store.jobs.values()].some(j => j.state === 'succeeded')",
        timeout=JOB_WAIT_MS,
    )
    page.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=WAIT_MS)

    # S: to the staged result's Apply; Enter applies it as a layer; Ctrl+Z removes it.
    page.keyboard.press("s")
    assert focused(page) == "staging-apply"
    applied = page.get_attribute("[data-testid=staging-ghost]", "data-iteration")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"{ab}.doc.ordered().some(i => i.props.iteration === '{applied}')", timeout=WAIT_MS
    )
    assert page.evaluate(f"{ab}.doc.size") == items_before + 1
    # The strip closed with its last result; focus went to the canvas, not to nowhere.
    page.wait_for_selector("[data-testid=staging-strip]", state="hidden", timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.id") == "ab-canvas"
    page.keyboard.press("Control+z")
    page.wait_for_function(
        f"!{ab}.doc.ordered().some(i => i.props.iteration === '{applied}')", timeout=WAIT_MS
    )
    assert page.evaluate(f"{ab}.doc.size") == items_before

    said = " ".join(page.evaluate("window.__said"))
    assert "job queued" in said and "job done: 1 result ready" in said
    assert errors == []
    context.close()


def test_layers_tree_keys(server, browser):
    """Shift extends, Space toggles, Tab reaches the row's own named buttons, Delete
    deletes and keeps focus in the tree, Ctrl+Z brings the layer back."""
    context, page, _ = open_editor(browser, server)
    ab = "window.__anchorboard"
    rows = page.evaluate("[...document.querySelectorAll('[role=treeitem]')].map(r => r.dataset.id)")
    selection = f"[...{ab}.editor.selection].sort()"

    page.focus("#ab-layers-panel")
    page.keyboard.press("Tab")
    page.keyboard.press("Home")
    assert page.evaluate(selection) == [rows[0]]
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    assert page.evaluate(selection) == sorted(rows[:3])
    page.keyboard.press("Space")  # the focused third row leaves the selection
    assert page.evaluate(selection) == sorted(rows[:2])
    # aria-selected is redrawn on the next animation frame (markSelection is rafThrottled).
    page.wait_for_function(
        "document.activeElement?.getAttribute('aria-selected') === 'false'", timeout=WAIT_MS
    )

    # Tab from a row: its own buttons, named after the layer; then out of the tree.
    page.keyboard.press("ArrowUp")
    name = page.evaluate(f"{ab}.doc.get('{rows[1]}').name")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Hide {name}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Lock {name}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[role=tree]')") is None

    # Delete: gone, focus on the next row; Ctrl+Z restores it.
    page.focus(f"[role=treeitem][data-id='{rows[1]}']")
    page.keyboard.press("Delete")
    page.wait_for_function(f"!{ab}.doc.has('{rows[1]}')", timeout=WAIT_MS)
    page.wait_for_function(f"document.activeElement.dataset.id === '{rows[2]}'", timeout=WAIT_MS)
    page.keyboard.press("Control+z")
    page.wait_for_function(f"{ab}.doc.has('{rows[1]}')", timeout=WAIT_MS)
    context.close()
