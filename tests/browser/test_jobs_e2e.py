"""Region jobs in a real browser against a real server with its embedded worker pool.

On the demo board: draw a region over the composition sketch with the Region tool (R),
run an image-to-image job with the local (non-generative) engine, watch its progress and
live preview, step through the staging strip and apply a result (a second user sees the
new layer live), compare before/after, discard the other result and recover it from the
history panel. A viewer's generation panel cannot submit.

Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.frontend import browser_server
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
JOB_WAIT_MS = 120_000  # the local engine on a busy 2-core machine

SEED = """
import json
from django.test import Client
from canvas.demo import seed_demo
from canvas.models import BoardMember, Role
from tests import factories
demo = seed_demo()
board = demo.board
second = factories.make_user("second")
BoardMember.objects.create(board=board, user=second, role=Role.VIEWER)
out = {"board": str(board.pk)}
for name, user in (("editor", board.created_by), ("viewer", second)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("jobs-browser") / "data", seed_script=SEED, with_workers=True
    )
    srv.start()
    yield srv
    srv.stop()


def open_board(browser, server, who: str, viewport: dict | None = None):
    _, page, errors = browser_server.open_board(
        browser,
        server,
        who,
        items=5,
        viewport=viewport or {"width": 1400, "height": 900},
        timeout=WAIT_MS,
    )
    return page, errors


def board_to_page(page, x: float, y: float) -> tuple[float, float]:
    """Page pixel coordinates of a board point (camera + the canvas surface's offset)."""
    return page.evaluate(
        """([x, y]) => {
          const cam = window.__anchorboard.editor.camera;
          const r = document.querySelector('.ab-surface').getBoundingClientRect();
          return [r.left + x * cam.zoom + cam.panX, r.top + y * cam.zoom + cam.panY];
        }""",
        [x, y],
    )


def test_region_job_from_panel_to_history(server, browser):
    editor, editor_errors = open_board(browser, server, "editor")
    viewer, viewer_errors = open_board(browser, server, "viewer")

    # The engine list reached the page, and the local engine says what it is.
    engine_text = editor.locator("[data-testid=gen-engine] option").first.inner_text()
    assert "non-generative" in engine_text.lower()
    assert viewer.locator("[data-testid=gen-submit]").is_disabled()

    # Region tool (R): drag over the middle of the composition sketch (board 0,0 – 1600×1000).
    editor.evaluate("window.__anchorboard.editor.select([])")
    editor.locator(".ab-surface").focus()
    editor.keyboard.press("r")
    assert editor.locator("[data-testid=region-catcher]").is_visible()
    x0, y0 = board_to_page(editor, 300, 200)
    x1, y1 = board_to_page(editor, 1100, 700)
    editor.mouse.move(x0, y0)
    editor.mouse.down()
    editor.mouse.move((x0 + x1) / 2, (y0 + y1) / 2)
    editor.mouse.move(x1, y1)
    editor.mouse.up()
    region = editor.evaluate("window.__anchorboard.jobs.generation.region")
    assert abs(region["x"] - 300) <= 2 and abs(region["y"] - 200) <= 2
    assert abs(region["width"] - 800) <= 3 and abs(region["height"] - 500) <= 3
    assert editor.locator("[data-testid=region-outline]").is_visible()
    assert not editor.locator("[data-testid=region-catcher]").is_visible()

    # Record every job state and preview this page receives, then submit from the panel.
    editor.evaluate(
        """() => {
          const ab = window.__anchorboard;
          window.__seen = {states: [], progress: [], previews: 0};
          ab.jobs.store.subscribe(() => {
            for (const job of ab.jobs.store.jobs.values()) {
              window.__seen.states.push(job.state);
              window.__seen.progress.push(job.progress);
            }
            window.__seen.previews = Math.max(window.__seen.previews, ab.jobs.store.previews.size);
          });
        }"""
    )
    editor.fill("[data-testid=gen-prompt]", "warm spring light")
    editor.fill("[data-testid=gen-count]", "2")
    editor.click("[data-testid=gen-submit]")
    # Progress shows over the region while the job waits and runs.
    editor.wait_for_selector("[data-testid=job-card]", timeout=WAIT_MS)
    editor.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=JOB_WAIT_MS)
    editor.wait_for_function(
        "[...window.__anchorboard.jobs.store.jobs.values()].some(j => j.state === 'succeeded')",
        timeout=WAIT_MS,
    )
    editor.wait_for_selector("[data-testid=job-card]", state="detached", timeout=WAIT_MS)
    seen = editor.evaluate("window.__seen")
    assert "running" in seen["states"] and "succeeded" in seen["states"]
    assert any(0 < p < 1 for p in seen["progress"])  # a progress bar, not just a jump to done
    assert seen["previews"] >= 1  # the live low-resolution preview arrived
    assert editor.locator("[data-testid=gen-error]").is_hidden()
    # The panel's "Queued. Progress shows over the region." ends with the job.
    assert "Queued" not in editor.inner_text("[data-testid=gen-status]")

    # Staging: two results, step with → and apply the shown one.
    assert editor.inner_text("[data-testid=staging-position]") == "1 / 2"
    editor.locator(".ab-surface").focus()
    editor.keyboard.press("ArrowRight")
    assert editor.inner_text("[data-testid=staging-position]") == "2 / 2"
    applied_id = editor.get_attribute("[data-testid=staging-ghost]", "data-iteration")
    editor.click("[data-testid=staging-apply]")
    editor.wait_for_function(
        f"window.__anchorboard.doc.ordered().some(i => i.props.iteration === '{applied_id}')",
        timeout=WAIT_MS,
    )
    layer = editor.evaluate(
        f"window.__anchorboard.doc.ordered().find(i => i.props.iteration === '{applied_id}')"
    )
    assert (round(layer["x"]), round(layer["y"])) == (region["x"], region["y"])
    top_z = editor.evaluate("Math.max(...window.__anchorboard.doc.ordered().map(i => i.z))")
    assert layer["z"] == top_z  # a layer above the region
    # The second user sees the new layer without reloading.
    viewer.wait_for_function(
        f"window.__anchorboard.doc.ordered().some(i => i.props.iteration === '{applied_id}')",
        timeout=WAIT_MS,
    )
    editor.wait_for_function(
        "document.querySelector('[data-testid=staging-position]').textContent === '1 / 1'",
        timeout=WAIT_MS,
    )

    # Compare before/after of the remaining result.
    other_id = editor.get_attribute("[data-testid=staging-ghost]", "data-iteration")
    assert other_id != applied_id
    editor.click("[data-testid=staging-compare]")
    editor.wait_for_function(
        "(() => { const b = document.querySelector('[data-testid=compare-before]');"
        " const a = document.querySelector('[data-testid=compare-after]');"
        " return b.complete && a.complete && b.naturalWidth > 0 && a.naturalWidth > 0; })()",
        timeout=WAIT_MS,
    )
    editor.locator("[data-testid=compare-slider]").fill("80")
    assert editor.get_attribute(".ab-backdrop:has(.ab-compare)", "data-split") == "80"
    clip = editor.evaluate("document.querySelector('.ab-compare-clip').style.clipPath")
    # Before left of the divider at 80 %, the result (After) in the 20 % right of it.
    assert clip in ("inset(0px 0px 0px 80%)", "inset(0 0 0 80%)")
    editor.click("[data-testid=compare-close]")

    # Discard it: the strip empties, nothing is lost — history shows it and restores it.
    editor.click("[data-testid=staging-discard]")
    editor.wait_for_selector("[data-testid=staging-strip]", state="hidden", timeout=WAIT_MS)
    editor.click("[data-testid=history-open]")
    editor.select_option("[data-testid=history-status]", "discarded")
    entry = editor.locator(f"[data-testid=history-entry][data-iteration='{other_id}']")
    entry.wait_for(timeout=WAIT_MS)
    assert editor.locator("[data-testid=history-entry]").count() == 1
    editor.fill("[data-testid=history-search]", "no such prompt")
    assert editor.locator("[data-testid=history-entry]").count() == 0
    editor.fill("[data-testid=history-search]", "SPRING")
    entry.locator("[data-testid=history-restore]").click()
    editor.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=WAIT_MS)
    assert editor.get_attribute("[data-testid=staging-ghost]", "data-iteration") == other_id

    # The lineage tree shows the region's original with both results under it.
    editor.select_option("[data-testid=history-status]", "")
    editor.click("[data-testid=history-tab-lineage]")
    tree = editor.locator("[data-testid=history-lineage]")
    assert tree.locator(".ab-lineage-original").count() == 1
    assert tree.locator("[data-testid=history-entry]").count() == 2

    assert editor_errors == [] and viewer_errors == []


def test_inpaint_mask_painted_in_the_browser(server, browser):
    editor, errors = open_board(browser, server, "editor")
    # Region from a selected item: the composition sketch's bounds.
    sketch = editor.evaluate(
        "window.__anchorboard.doc.ordered().find(i => i.anchor_role === 'composition')"
    )
    editor.evaluate(f"window.__anchorboard.editor.select(['{sketch['id']}'])")
    editor.click("[data-testid=gen-region-from-selection]")
    region = editor.evaluate("window.__anchorboard.jobs.generation.region")
    assert region == {"x": 0, "y": 0, "width": 1600, "height": 1000}
    editor.evaluate("window.__anchorboard.editor.select([])")

    editor.select_option("[data-testid=gen-mode]", "inpaint")
    editor.click("[data-testid=mask-paint]")
    assert editor.locator("[data-testid=mask-layer]").is_visible()
    before = int(editor.input_value("[data-testid=mask-brush]"))
    editor.keyboard.press("]")  # grows the brush while painting, does not reorder layers
    assert int(editor.input_value("[data-testid=mask-brush]")) > before
    x0, y0 = board_to_page(editor, 700, 450)
    x1, y1 = board_to_page(editor, 900, 550)
    editor.mouse.move(x0, y0)
    editor.mouse.down()
    editor.mouse.move(x1, y1, steps=5)
    editor.mouse.up()
    editor.click("[data-testid=mask-paint]")  # done painting

    # The local engine gives one inpaint result; asking for 4 is refused inline, with why.
    editor.fill("[data-testid=gen-count]", "4")
    editor.click("[data-testid=gen-submit]")
    error = editor.locator("[data-testid=gen-error]")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert "1 result" in error.inner_text()

    editor.fill("[data-testid=gen-count]", "1")
    editor.click("[data-testid=gen-submit]")
    editor.wait_for_function(
        """(() => { const s = window.__anchorboard.jobs.store;
          return [...s.iterations.values()].some(
            it => s.jobs.get(it.job) && s.jobs.get(it.job).mode === 'inpaint'); })()""",
        timeout=JOB_WAIT_MS,
    )
    assert error.is_hidden()
    job = editor.evaluate(
        "[...window.__anchorboard.jobs.store.jobs.values()].find(j => j.mode === 'inpaint')"
    )
    # The painted stroke went up as a PNG asset of the board: opaque where painted only.
    painted = editor.evaluate(
        """async (id) => {
          const blob = await (await fetch(`/api/v1/assets/${id}/file`)).blob();
          const bitmap = await createImageBitmap(blob);
          const c = new OffscreenCanvas(bitmap.width, bitmap.height);
          const ctx = c.getContext('2d');
          ctx.drawImage(bitmap, 0, 0);
          const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
          const at = (x, y) => data[(y * bitmap.width + x) * 4 + 3];
          let opaque = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
          return {w: bitmap.width, h: bitmap.height, share: opaque / (data.length / 4),
                  centre: at(800, 500), corner: at(10, 10)};
        }""",
        job["spec"]["mask"],
    )
    assert (painted["w"], painted["h"]) == (1600, 1000)
    assert painted["centre"] == 255 and painted["corner"] == 0
    assert 0 < painted["share"] < 0.1
    assert errors == []
