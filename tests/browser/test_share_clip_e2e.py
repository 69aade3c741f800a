"""A share-link guest plays a clip as the board does: the share page's video item plays
muted on hover (currentTime advancing, frames to draw, the canvas node drawing the video),
a tap on a phone plays it too, and the scrub bar seeks it. The clip comes from the guest
route (``/s/<token>/files/<asset>/clip.mp4``: no metadata, HTTP Range), never the members'
``/files/`` route. The seed stores the clip directly (assets.clips.ingest_clip), as a
video job lands it, so the test needs no job run.
Needs Chromium (``chromium_path`` fails in CI, skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.browser.video_clips import CENTRE, CLIP, WAIT_MS, advancing
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


SEED = """
import io, json, tempfile, uuid
from pathlib import Path
import numpy as np
from PIL import Image
from assets.clips import ingest_clip
from assets.services import ingest_bytes
from assets.video.encode import write_mp4
from canvas import protocol
from canvas.boards.operations import apply_batch
from canvas.sharing import links
from tests import factories

user = factories.make_user("olive")
board = factories.make_board(name="Shared clips", owner=user)
yy, xx = np.mgrid[0:120, 0:160]
frames = [np.stack([(xx * 2 + i * 6) % 256, yy * 2, np.full_like(xx, 60 + i)], -1).astype(np.uint8)
          for i in range(72)]
with tempfile.TemporaryDirectory() as folder:
    path = write_mp4(frames, Path(folder) / "clip.mp4", 24).path
    mp4 = ingest_clip(board, user, path, "clip.mp4", width=160, height=120, frame_count=72)
buffer = io.BytesIO()
Image.fromarray(frames[0]).save(buffer, "PNG")
poster = ingest_bytes(board, user, buffer.getvalue(), "poster.png")
item_id = str(uuid.uuid4())
ref = {"asset": str(mp4.pk), "sha256": mp4.blob_id, "mime": "video/mp4"}
drift = {"seconds": [{"second": s, "score": 0.2 + s / 10, "worst_measure": "palette"}
                     for s in range(3)], "worst_second": 2, "onset_second": None,
         "flagged": False}
apply_batch(board.pk, user, [protocol.parse_operation({"op": "create", "item": {
    "id": item_id, "kind": "video", "asset": str(poster.pk), "name": "clip",
    "x": 0, "y": 0, "width": 320, "height": 240, "rotation": 0, "opacity": 1, "z": 1,
    "hidden": False, "locked": False, "anchor_role": "",
    "props": {"video": {"duration": 3.0, "fps": 24.0, "frame_count": 72, "width": 160,
                        "height": 120, "mp4": ref, "original": ref, "drift": drift}}}})])
_link, token = links.create_link(board, user, show_decisions=True)
print("SEED" + json.dumps({"token": token, "item": item_id, "mp4": str(mp4.pk)}))
"""

READY = """() => {
  const ab = window.__anchorboard;
  return !!ab && ab.doc.ordered().some((i) => i.kind === 'video');
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = BrowserServer(tmp_path_factory.mktemp("shareclip") / "data", seed_script=SEED)
    running.start()
    yield running
    running.stop()


def guest_page(browser, server, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    clip_requests: list[tuple[str, str | None, int]] = []
    page.on(
        "response",
        lambda r: (
            clip_requests.append((r.url, r.request.headers.get("range"), r.status))
            if ".mp4" in r.url or "/original" in r.url
            else None
        ),
    )
    page.goto(f"{server.base_url}/s/{server.seed['token']}/")
    page.wait_for_function(READY, timeout=WAIT_MS)
    page.evaluate("() => window.__anchorboard.editor.setCamera({panX: 40, panY: 60, zoom: 1})")
    return context, page, errors, clip_requests


def test_a_guest_plays_a_clip_on_hover_and_scrubs_it(browser, server, tmp_path):
    seed = server.seed
    context, page, errors, requests = guest_page(
        browser, server, viewport={"width": 1280, "height": 860}
    )
    try:
        assert page.evaluate("window.__anchorboard.renderer.videoClips.states()") == []
        x, y = page.evaluate(CENTRE, seed["item"])
        page.mouse.move(x, y)
        advancing(page, seed["item"])
        source = page.evaluate(
            f"() => window.__anchorboard.renderer.videoClips.element('{seed['item']}').currentSrc"
        )
        assert source.endswith(f"/s/{seed['token']}/files/{seed['mp4']}/clip.mp4"), source
        assert page.evaluate(
            f"() => window.__anchorboard.renderer.videoClips.element('{seed['item']}').muted"
        )
        page.screenshot(path=str(tmp_path / "share-clip-hover.png"))
        # Only the guest route was asked, and it answered with ranges (206) or whole (200).
        assert requests and all(f"/s/{seed['token']}/files/" in url for url, _r, _s in requests)
        assert all(status in (200, 206) for _u, _r, status in requests), requests
        page.mouse.move(1200, 820)
        page.wait_for_function(f"() => !({CLIP})('{seed['item']}')", timeout=WAIT_MS)

        # Selected, it plays with its bar: the scrub bar seeks, the shared drift curve shows.
        page.evaluate(f"() => window.__anchorboard.editor.select(['{seed['item']}'])")
        advancing(page, seed["item"])
        page.get_by_test_id("clip-bar").wait_for(state="visible", timeout=WAIT_MS)
        assert page.locator("[data-testid=clip-drift] rect").count() == 3
        assert page.get_by_test_id("clip-drift-flag").inner_text() == "Within drift tolerance"
        scrub = page.get_by_test_id("clip-scrub")
        scrub.focus()
        scrub.press("End")
        state = page.evaluate(CLIP, seed["item"])
        assert state["paused"] and state["currentTime"] > 2.5, state
        scrub.press("Home")
        page.wait_for_function(f"() => ({CLIP})('{seed['item']}').currentTime === 0")
        scrub.evaluate(
            "(el) => { el.value = '1.5'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
        page.wait_for_function(
            f"() => Math.abs(({CLIP})('{seed['item']}').currentTime - 1.5) < 0.05",
            timeout=WAIT_MS,
        )
        # Seeking into the middle needs a range the server answered with 206.
        assert any(status == 206 for _u, _r, status in requests), requests
        page.wait_for_function(f"() => ({CLIP})('{seed['item']}').readyState >= 2")
        page.screenshot(path=str(tmp_path / "share-clip-scrubbed.png"))
        page.get_by_test_id("clip-play").click()
        advancing(page, seed["item"])
    finally:
        context.close()
    assert errors == []


def test_a_tap_plays_a_clip_on_a_phone(browser, server, tmp_path):
    seed = server.seed
    context, page, errors, _requests = guest_page(
        browser,
        server,
        viewport={"width": 390, "height": 780},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    try:
        x, y = page.evaluate(CENTRE, seed["item"])
        page.touchscreen.tap(x, y)
        advancing(page, seed["item"])
        page.get_by_test_id("clip-bar").wait_for(state="visible", timeout=WAIT_MS)
        page.screenshot(path=str(tmp_path / "share-clip-phone.png"))
    finally:
        context.close()
    assert errors == []
