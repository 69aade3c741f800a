"""A zoomed-out board draws from its atlas sheets: a handful of requests, no per-image fetch,
real pixels in every frame; zooming in swaps to the pyramid without a blank frame.

The server (inline tasks, so the atlas is built when the items commit) holds a board of
300 distinct images in a 20-column grid; the page opens it zoomed to fit, where each image
is ~20 px on screen. The renderer's own counters (``stats()``) say what is drawn from
where; the page's resource timing says what was fetched. No timing is asserted.

Needs Chromium (``chromium_path`` fails in CI, skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 90_000
COUNT = 300
COLUMNS = 20

SEED = f"""
import io, json, uuid
from django.test import Client
from PIL import Image
from assets.services import ingest_bytes
from canvas import protocol
from canvas.boards.operations import apply_batch
from tests import factories

user = factories.make_user("ed")
board = factories.make_board(name="Atlas board", owner=user)
ops, colours = [], []
for i in range({COUNT}):
    colour = ((i * 53) % 256, (i * 97) % 256, (255 - i) % 256)
    buffer = io.BytesIO()
    Image.new("RGB", (96, 72), colour).save(buffer, "JPEG", quality=95)
    asset = ingest_bytes(board, user, buffer.getvalue(), f"tile-{{i}}.jpg")
    col, row = i % {COLUMNS}, i // {COLUMNS}
    ops.append(protocol.parse_operation({{"op": "create", "item": {{
        "id": str(uuid.uuid4()), "kind": "image", "asset": str(asset.pk), "name": str(i),
        "x": col * 280, "y": row * 220, "width": 256, "height": 192, "rotation": 0,
        "opacity": 1, "z": i, "hidden": False, "locked": False, "anchor_role": "",
        "props": {{}}}}}}))
    colours.append(colour)
apply_batch(board.pk, user, ops)
client = Client()
client.force_login(user)
print("SEED" + json.dumps({{"board": str(board.pk), "editor": client.cookies["sessionid"].value,
                           "colours": colours}}))
"""

# Installed before the page's scripts: from the first frame in which every image node
# draws pixels on, counts the frames in which some image node drew none (a blank
# placeholder flash).
NO_BLANK_PROBE = """
(() => {
  const probe = {complete: false, blankFrames: 0};
  window.__atlasProbe = probe;
  const tick = () => {
    const ab = window.__anchorboard;
    if (ab && ab.renderer) {
      const s = ab.renderer.stats();
      if (s.images > 0 && s.imagesDrawn === s.images) probe.complete = true;
      else if (probe.complete) probe.blankFrames += 1;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

SETTLED = """(n) => {
  const ab = window.__anchorboard;
  if (!ab || ab.stats().status !== 'online') return false;
  const s = ab.renderer.stats();
  return s.images === n && s.imagesSettled === n && s.loading === 0;
}"""

FETCHED = """() => performance.getEntriesByType('resource')
  .map((r) => new URL(r.name).pathname).filter((p) => p.startsWith('/files/'))"""

# The content layer's pixel at the middle of item `index` (straight RGBA).
PIXEL_AT_ITEM = """(index) => {
  const ab = window.__anchorboard;
  ab.renderer.flush();
  const item = ab.doc.ordered().find((i) => i.name === String(index));
  const cam = ab.editor.camera;
  // The view point on the content canvas (larger than the view by the pan slack).
  const p = ab.renderer.canvasPoint({x: (item.x + item.width / 2) * cam.zoom + cam.panX,
                                     y: (item.y + item.height / 2) * cam.zoom + cam.panY});
  const x = Math.round(p.x), y = Math.round(p.y);
  const canvas = ab.renderer.contentLayer.getCanvas();
  const ratio = canvas.getPixelRatio();
  const data = canvas._canvas.getContext('2d')
    .getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
  return [data[0], data[1], data[2], data[3]];
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = BrowserServer(tmp_path_factory.mktemp("atlas") / "data", seed_script=SEED)
    running.start()
    yield running
    running.stop()


def test_a_zoomed_out_board_is_drawn_from_a_few_sheets(browser, server):
    context, page, errors = open_signed_in(
        browser,
        server,
        "editor",
        f"/boards/{server.seed['board']}/",
        {"width": 1280, "height": 800},
    )
    try:
        page.wait_for_function(SETTLED, arg=COUNT, timeout=WAIT_MS)
        stats = page.evaluate("window.__anchorboard.renderer.stats()")
        zoom = page.evaluate("window.__anchorboard.editor.camera.zoom")
        assert zoom < 0.25, zoom  # fitted: each image well under 64 px on screen
        # Every image draws its atlas cell; the loader fetched only the sheets.
        assert stats["fromAtlas"] == COUNT, stats
        assert stats["atlasSheets"] == 2, stats  # 300 images, 256 cells a sheet
        assert stats["fetches"] == stats["atlasSheets"], stats
        fetched = page.evaluate(FETCHED)
        assert all("/atlas" in path for path in fetched), fetched
        assert len(fetched) <= 1 + stats["atlasSheets"], fetched  # the index and the sheets
        # Real pixels, not a placeholder: the middle of an image is that image's colour.
        colours = server.seed["colours"]
        for index in (0, 137, COUNT - 1):
            got = page.evaluate(PIXEL_AT_ITEM, index)
            assert got[3] == 255, got
            assert max(abs(a - b) for a, b in zip(got[:3], colours[index], strict=True)) < 24
        assert errors == [], errors
    finally:
        context.close()


def test_zooming_in_swaps_to_previews_without_a_blank_frame(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
    context.add_init_script(NO_BLANK_PROBE)
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["editor"], "url": server.base_url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
        page.wait_for_function(SETTLED, arg=COUNT, timeout=WAIT_MS)
        # Zoom to 100 % on image 0's corner: its neighbours come into view, big enough to
        # need their own 256 px level, and show their atlas cell until it arrives.
        page.evaluate(
            "() => { const ab = window.__anchorboard;"
            " ab.editor.setCamera({panX: 40, panY: 40, zoom: 1}); }"
        )
        page.wait_for_function(
            "() => { const s = window.__anchorboard.renderer.stats();"
            " return s.images > 0 && s.imagesSettled === s.images && s.loading === 0; }",
            timeout=WAIT_MS,
        )
        stats = page.evaluate("window.__anchorboard.renderer.stats()")
        assert stats["fromAtlas"] == 0, stats  # all swapped to their preview level
        assert stats["fetches"] == stats["atlasSheets"] + stats["images"], stats
        probe = page.evaluate("window.__atlasProbe")
        assert probe["complete"] and probe["blankFrames"] == 0, probe
        colour = server.seed["colours"][0]
        got = page.evaluate(PIXEL_AT_ITEM, 0)
        assert max(abs(a - b) for a, b in zip(got[:3], colour, strict=True)) < 24, got
        assert errors == [], errors
    finally:
        context.close()


def test_images_wait_for_a_late_atlas_index_instead_of_fetching_one_by_one(browser, server):
    """The index answers after the board's images are on the page (a busy server): they
    wait for it (render/atlas.ts ``ready``) rather than fetch a thumbnail each."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["editor"], "url": server.base_url}]
    )
    held = []
    context.route("**/atlas.json", lambda route: held.append(route))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
        page.wait_for_function(
            "(n) => { const ab = window.__anchorboard;"
            " return !!ab && ab.stats().status === 'online' && ab.renderer.stats().images === n; }",
            arg=COUNT,
            timeout=WAIT_MS,
        )
        page.evaluate("window.__anchorboard.renderer.flush()")  # a level choice is made
        before = page.evaluate("window.__anchorboard.renderer.stats()")
        assert len(held) == 1, held
        assert before["fetches"] == 0 and before["imagesDrawn"] == 0, before
        held[0].continue_()
        page.wait_for_function(SETTLED, arg=COUNT, timeout=WAIT_MS)
        stats = page.evaluate("window.__anchorboard.renderer.stats()")
        assert stats["fromAtlas"] == COUNT, stats
        assert stats["fetches"] == stats["atlasSheets"], stats
        assert errors == [], errors
    finally:
        context.close()
