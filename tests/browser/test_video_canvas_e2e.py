"""A video clip plays on the board: a local-loop video job lands a video item (the real job
path, inline dispatcher); hovering and selecting it plays it muted (currentTime advances,
the video has frames and the canvas node draws the video, not the poster); the scrub bar
moves it (keys and value, aria-valuenow in seconds); the drift curve under it highlights
the worst second and says in words whether the clip drifts beyond tolerance.

The second clip's drift report is the real score (assets.video.drift) of the same clip
with its colours swapped during second 1, so its curve is flagged (the swap and the swap
back make seconds 1 and 2 the worst).
Needs Chromium (``chromium_path`` fails in CI, skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.browser.video_clips import CENTRE, CLIP, WAIT_MS, advancing, video_job_seed
from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


SEED = (
    video_job_seed("Video board", jobs=2)
    + """
from assets.video.decode import read_frames
from assets.video.drift import score_frames
clips = list(Item.objects.filter(board=board, kind="video").order_by("created_at"))
assert len(clips) == 2, clips
steady, shifted = clips
# The second clip: scored again with its colours swapped during second 1.
video = shifted.props["video"]
url = f"/files/{video['mp4']['asset']}/{video['mp4']['sha256']}/original"
with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
    file.write(b"".join(client.get(url).streaming_content))
    file.flush()
    fps = video["fps"]
    frames = [f[:, :, ::-1].copy() if fps <= i < 2 * fps else f
              for i, f in enumerate(read_frames(file.name))]
report = score_frames(frames, fps).as_dict()
props = {**shifted.props, "video": {**video, "drift": report}}
apply_batch(board.pk, user, [protocol.parse_operation(
    {"op": "update", "id": str(shifted.pk), "set": {"props": props, "y": 300}})])
print("SEED" + json.dumps({"board": str(board.pk), "editor": client.cookies["sessionid"].value,
                           "steady": str(steady.pk), "shifted": str(shifted.pk),
                           "steady_worst": steady.props["video"]["drift"]["worst_second"],
                           "shifted_worst": report["worst_second"],
                           "shifted_flagged": report["flagged"]}))
"""
)

READY = """() => {
  const ab = window.__anchorboard;
  if (!ab || ab.stats().status !== 'online') return false;
  return ab.doc.ordered().filter((i) => i.kind === 'video').length === 2;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = BrowserServer(tmp_path_factory.mktemp("video") / "data", seed_script=SEED)
    running.start()
    yield running
    running.stop()


def test_a_clip_plays_on_hover_and_selection_and_scrubs(browser, server, tmp_path):
    seed = server.seed
    assert seed["shifted_flagged"] and seed["shifted_worst"] in (1, 2), seed
    context, page, errors = open_signed_in(
        browser, server, "editor", f"/boards/{seed['board']}/", {"width": 1280, "height": 860}
    )
    try:
        page.wait_for_function(READY, timeout=WAIT_MS)
        page.evaluate("() => window.__anchorboard.editor.setCamera({panX: 40, panY: 60, zoom: 1})")
        # Idle: no clip element, no playing frames.
        assert page.evaluate("window.__anchorboard.renderer.videoClips.states()") == []
        # Hover plays the steady clip, muted.
        x, y = page.evaluate(CENTRE, seed["steady"])
        page.mouse.move(x, y)
        page.wait_for_function(f"() => !!({CLIP})('{seed['steady']}')", timeout=WAIT_MS)
        advancing(page, seed["steady"])
        muted = page.evaluate(
            f"() => window.__anchorboard.renderer.videoClips.element('{seed['steady']}').muted"
        )
        assert muted is True
        # Leaving it stops it (back to the poster, the element released).
        page.mouse.move(1200, 820)
        page.wait_for_function(f"() => !({CLIP})('{seed['steady']}')", timeout=WAIT_MS)

        # Selected (the mouse away), the flagged clip plays and shows its bar.
        page.evaluate(f"() => window.__anchorboard.editor.select(['{seed['shifted']}'])")
        advancing(page, seed["shifted"])
        bar = page.get_by_test_id("clip-bar")
        bar.wait_for(state="visible", timeout=WAIT_MS)
        # The drift curve: the worst second highlighted, the flag in words.
        worst = page.locator("[data-testid=clip-drift] rect.worst")
        assert worst.count() == 1 and worst.get_attribute("data-second") == str(
            seed["shifted_worst"]
        )
        assert page.locator("[data-testid=clip-drift] rect").count() == 3
        # Flagged: its worst second is the red one.
        assert worst.get_attribute("class") == "worst flagged"
        assert worst.evaluate("(r) => getComputedStyle(r).fill") == "rgb(255, 93, 93)"
        assert "Drifts beyond tolerance" in page.get_by_test_id("clip-drift-flag").inner_text()
        assert (
            f"Worst second {seed['shifted_worst']}"
            in page.get_by_test_id("clip-drift-worst").inner_text()
        )
        page.screenshot(path=str(tmp_path / "video-canvas.png"))
        # Scrubbing: End goes to the end and pauses; arrows step a frame; Home the start.
        scrub = page.get_by_test_id("clip-scrub")
        scrub.focus()
        scrub.press("End")
        state = page.evaluate(CLIP, seed["shifted"])
        assert state["paused"] and state["currentTime"] > 2.5, state
        scrub.press("Home")
        page.wait_for_function(f"() => ({CLIP})('{seed['shifted']}').currentTime === 0")
        scrub.press("Shift+ArrowRight")
        state = page.evaluate(CLIP, seed["shifted"])
        assert state["currentTime"] == pytest.approx(1.0, abs=0.01), state
        assert float(scrub.get_attribute("aria-valuenow")) == pytest.approx(1.0, abs=0.01)
        scrub.press("ArrowRight")
        state = page.evaluate(CLIP, seed["shifted"])
        assert state["currentTime"] == pytest.approx(1 + 1 / 24, abs=0.01), state
        # A drag on the range (its value set as a drag does) seeks there.
        scrub.evaluate(
            "(el) => { el.value = '2.5'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
        page.wait_for_function(
            f"() => Math.abs(({CLIP})('{seed['shifted']}').currentTime - 2.5) < 0.05",
            timeout=WAIT_MS,
        )
        # Arrow keys on the scrub bar do not nudge the selected item.
        y_before = page.evaluate(
            f"() => window.__anchorboard.doc.ordered().find((i) => i.id === '{seed['shifted']}').y"
        )
        assert y_before == 300
        # Play resumes it.
        page.get_by_test_id("clip-play").click()
        advancing(page, seed["shifted"])
        # The steady clip, selected, says it is within tolerance, its own worst second marked.
        page.evaluate(f"() => window.__anchorboard.editor.select(['{seed['steady']}'])")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=clip-drift-flag]').textContent"
            " === 'Within drift tolerance'",
            timeout=WAIT_MS,
        )
        steady_bar = page.locator("[data-testid=clip-drift] rect.worst")
        assert steady_bar.get_attribute("data-second") == str(seed["steady_worst"])
        # Within tolerance its worst second is highlighted, but never in the alarm red.
        assert steady_bar.get_attribute("class") == "worst"
        assert steady_bar.evaluate("(r) => getComputedStyle(r).fill") != "rgb(255, 93, 93)"
        page.screenshot(path=str(tmp_path / "video-canvas-steady.png"))
        # Off screen, a selected clip pauses.
        page.evaluate(
            "() => window.__anchorboard.editor.setCamera({panX: -5000, panY: -5000, zoom: 1})"
        )
        page.wait_for_function(f"() => ({CLIP})('{seed['steady']}').paused", timeout=WAIT_MS)
        assert errors == [], errors
    finally:
        context.close()


def test_the_review_grid_plays_clips(browser, server):
    seed = server.seed
    context, page, errors = open_signed_in(
        browser,
        server,
        "editor",
        f"/boards/{seed['board']}/review/",
        {"width": 1280, "height": 860},
    )
    try:
        clips = page.get_by_test_id("candidate-clip")
        clips.first.wait_for(timeout=WAIT_MS)
        assert clips.count() == 2
        first = clips.first
        assert first.get_attribute("poster") and first.get_attribute("controls") is not None
        assert "/original" in first.get_attribute("src")
        assert first.evaluate("(v) => v.muted") is True
        first.evaluate("(v) => v.play()")
        page.wait_for_function(
            "(v) => v.readyState >= 2 && v.currentTime > 0.3",
            arg=first.element_handle(),
            timeout=WAIT_MS,
        )
        assert errors == [], errors
    finally:
        context.close()


def test_a_comment_pinned_to_a_moment_seeks_the_clip(browser, server, tmp_path):
    """On selection, a comment on a clip takes its scrub position ("at 0:01.5"), shows as a
    marker on the scrub bar, and clicking it — from another clip, or after scrubbing
    away — selects the clip and seeks it back there."""
    seed = server.seed
    clip = seed["shifted"]
    context, page, errors = open_signed_in(
        browser, server, "editor", f"/boards/{seed['board']}/", {"width": 1280, "height": 860}
    )
    time_of = f"() => ({CLIP})('{clip}').currentTime"
    try:
        page.wait_for_function(READY, timeout=WAIT_MS)
        page.evaluate("() => window.__anchorboard.editor.setCamera({panX: 40, panY: 60, zoom: 1})")
        page.evaluate(f"() => window.__anchorboard.editor.select(['{clip}'])")
        page.get_by_test_id("clip-bar").wait_for(state="visible", timeout=WAIT_MS)
        page.wait_for_function(f"() => ({CLIP})('{clip}')?.readyState >= 1", timeout=WAIT_MS)
        scrub = page.get_by_test_id("clip-scrub")
        scrub.evaluate(
            "(el) => { el.value = '1.5'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
        page.wait_for_function(f"() => Math.abs(({time_of})() - 1.5) < 0.05", timeout=WAIT_MS)
        page.get_by_test_id("comment-on-selection").click()
        assert page.get_by_test_id("comment-target").inner_text() == (
            "New comment at 0:01.5 on a clip"
        )
        page.get_by_test_id("comment-body").fill("The jacket turns red here")
        page.get_by_test_id("comment-send").click()
        moment = page.get_by_test_id("comment-time")
        moment.wait_for(timeout=WAIT_MS)
        assert moment.inner_text() == "at 0:01.5"
        marker = page.get_by_test_id("clip-comment-marker")
        marker.wait_for(timeout=WAIT_MS)
        assert marker.count() == 1
        assert marker.get_attribute("aria-label") == "Comment at 0:01.5"
        # Scrubbed away, the marker seeks back.
        scrub.focus()
        scrub.press("Home")
        page.wait_for_function(f"() => ({time_of})() === 0", timeout=WAIT_MS)
        marker.click()
        page.wait_for_function(f"() => Math.abs(({time_of})() - 1.5) < 0.05", timeout=WAIT_MS)
        # From another clip, the comment's time selects this one and seeks it there.
        page.evaluate(f"() => window.__anchorboard.editor.select(['{seed['steady']}'])")
        page.wait_for_function(f"() => !({CLIP})('{clip}')", timeout=WAIT_MS)
        moment.click()
        page.wait_for_function(
            f"() => [...window.__anchorboard.editor.selection].join() === '{clip}'",
            timeout=WAIT_MS,
        )
        page.wait_for_function(
            f"() => ({CLIP})('{clip}')?.paused && Math.abs(({time_of})() - 1.5) < 0.05",
            timeout=WAIT_MS,
        )
        page.screenshot(path=str(tmp_path / "comment-moment.png"))
        assert errors == [], errors
    finally:
        context.close()
