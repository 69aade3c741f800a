"""Comments pinned to a moment of a clip, outside the board's members' canvas: a share-link
guest with comment rights comments on a clip at its scrub position, exactly as a member
does on the board ("at 0:01.5", a marker on the scrub bar, the moment seeks the clip); a
view-only guest gets no comment tools and the guest API refuses the comment; on the review
page a video candidate's comments pin to the moment of its player and seek it back.

The seed runs a real local-loop video job (the job path lands both the video item and the
video candidate) and makes two share links onto the board. Needs Chromium
(``chromium_path`` fails in CI, skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.browser.video_clips import CLIP, WAIT_MS, video_job_seed
from tests.frontend.browser_server import BrowserServer, open_signed_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


SEED = (
    video_job_seed("Clip review", jobs=1)
    + """
from canvas.sharing import links

clip = Item.objects.get(board=board, kind="video")
result = Iteration.objects.get(applied_item_id=clip.pk)
_c, commenting = links.create_link(board, user, permissions=["view", "comment"])
_v, viewing = links.create_link(board, user, permissions=["view"])
print("SEED" + json.dumps({"board": str(board.pk), "owner": client.cookies["sessionid"].value,
                           "clip": str(clip.pk), "result": str(result.pk),
                           "commenting": commenting, "viewing": viewing}))
"""
)

READY = """() => {
  const ab = window.__anchorboard;
  return !!ab && ab.doc.ordered().some((i) => i.kind === 'video');
}"""

GUEST_POST = """async ([url, body]) => {
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                              body: JSON.stringify(body)});
  return [r.status, await r.json()];
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = BrowserServer(tmp_path_factory.mktemp("clipmoments") / "data", seed_script=SEED)
    running.start()
    yield running
    running.stop()


def guest_page(browser, server, token):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/s/{token}/")
    page.wait_for_function(READY, timeout=WAIT_MS)
    page.evaluate("() => window.__anchorboard.editor.setCamera({panX: 40, panY: 60, zoom: 1})")
    return context, page, errors


def scrub_to(page, seconds: float) -> None:
    page.get_by_test_id("clip-scrub").evaluate(
        "(el, s) => { el.value = String(s); "
        "el.dispatchEvent(new Event('input', {bubbles: true})); }",
        seconds,
    )


def test_a_guest_comments_on_a_clip_at_its_moment(browser, server, tmp_path):
    seed = server.seed
    clip = seed["clip"]
    time_of = f"() => ({CLIP})('{clip}').currentTime"
    context, page, errors = guest_page(browser, server, seed["commenting"])
    try:
        page.evaluate(f"() => window.__anchorboard.editor.select(['{clip}'])")
        page.get_by_test_id("clip-bar").wait_for(state="visible", timeout=WAIT_MS)
        page.wait_for_function(f"() => ({CLIP})('{clip}')?.readyState >= 1", timeout=WAIT_MS)
        scrub_to(page, 1.5)
        page.wait_for_function(f"() => Math.abs(({time_of})() - 1.5) < 0.05", timeout=WAIT_MS)
        page.get_by_test_id("comment-on-selection").click()
        assert page.get_by_test_id("comment-target").inner_text() == (
            "New comment at 0:01.5 on a clip"
        )
        page.get_by_test_id("guest-name").fill("Cleo")
        page.get_by_test_id("comment-body").fill("The mist pops here")
        page.get_by_test_id("comment-send").click()
        moment = page.get_by_test_id("comment-time")
        moment.wait_for(timeout=WAIT_MS)
        assert moment.inner_text() == "at 0:01.5"
        assert "Cleo (guest)" in page.get_by_test_id("comment-thread").inner_text()
        marker = page.get_by_test_id("clip-comment-marker")
        marker.wait_for(timeout=WAIT_MS)
        assert marker.get_attribute("aria-label") == "Comment at 0:01.5"
        # What the server stored: the guest's moment on that clip.
        status, listed = page.evaluate(
            "async (url) => { const r = await fetch(url); return [r.status, await r.json()]; }",
            f"/api/v1/share/{seed['commenting']}/comments",
        )
        assert status == 200
        assert [(c["anchor"].get("item"), c["anchor"].get("time")) for c in listed] == [(clip, 1.5)]
        # Scrubbed away and deselected, the comment's time selects the clip and seeks it.
        scrub_to(page, 0)
        page.wait_for_function(f"() => ({time_of})() === 0", timeout=WAIT_MS)
        page.evaluate("() => window.__anchorboard.editor.select([])")
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
        page.screenshot(path=str(tmp_path / "guest-clip-moment.png"))
        # A time past the clip's end is refused in a sentence the composer shows.
        status, answer = page.evaluate(
            GUEST_POST,
            [
                f"/api/v1/share/{seed['commenting']}/comments",
                {"body": "late", "target": "point", "x": 1, "y": 1, "item": clip, "time": 99},
            ],
        )
        assert status == 400 and "between 0 and" in answer["error"]["message"], answer
        assert errors == [], errors
    finally:
        context.close()


def test_a_view_only_guest_cannot_comment_on_a_clip(browser, server):
    seed = server.seed
    context, page, errors = guest_page(browser, server, seed["viewing"])
    try:
        page.evaluate(f"() => window.__anchorboard.editor.select(['{seed['clip']}'])")
        page.get_by_test_id("clip-bar").wait_for(state="visible", timeout=WAIT_MS)
        assert page.get_by_test_id("comment-tool").count() == 0 or not (
            page.get_by_test_id("comment-tool").is_visible()
        )
        assert not page.get_by_test_id("comment-on-selection").is_visible()
        status, answer = page.evaluate(
            GUEST_POST,
            [
                f"/api/v1/share/{seed['viewing']}/comments",
                {"body": "sneaky", "name": "Mallory", "target": "point", "x": 1, "y": 1,
                 "item": seed["clip"], "time": 1.0},
            ],
        )  # fmt: skip
        assert status == 403, answer
        assert "does not allow you to comment" in answer["error"]["message"]
        assert errors == [], errors
    finally:
        context.close()


def test_review_page_comments_pin_a_video_candidates_moment(browser, server, tmp_path):
    seed = server.seed
    context, page, errors = open_signed_in(
        browser, server, "owner", f"/boards/{seed['board']}/review/", {"width": 1280, "height": 860}
    )
    player = "document.querySelector('[data-testid=clip-comments-player]')"
    try:
        card = page.locator(f"[data-testid=candidate][data-id='{seed['result']}']")
        card.wait_for(timeout=WAIT_MS)
        card.get_by_test_id("candidate-clip-comments").click()
        page.wait_for_function(f"() => {player}?.readyState >= 1", timeout=WAIT_MS)
        page.evaluate(f"() => {{ const v = {player}; v.pause(); v.currentTime = 1.2; }}")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=comment-moment]').textContent"
            " === 'at 0:01.2'",
            timeout=WAIT_MS,
        )
        page.get_by_test_id("comment-body").fill("The light pumps here")
        page.get_by_test_id("comment-send").click()
        moment = page.get_by_test_id("comment-time")
        moment.wait_for(timeout=WAIT_MS)
        assert moment.inner_text() == "at 0:01.2"
        assert page.get_by_test_id("comment-text").inner_text() == "The light pumps here"
        status, listed = page.evaluate(
            "async (url) => { const r = await fetch(url); return [r.status, await r.json()]; }",
            f"/api/v1/boards/{seed['board']}/comments",
        )
        assert status == 200
        pinned = [c["anchor"] for c in listed if c["target"] == "iteration"]
        assert pinned == [{"iteration": seed["result"], "time": 1.2}]
        # The card counts it; the moment seeks the player back there, paused.
        page.wait_for_function(
            "(id) => document.querySelector(`[data-testid=candidate][data-id='${id}'] "
            "[data-testid=candidate-clip-comments]`).textContent === 'Comments (1)'",
            arg=seed["result"],
            timeout=WAIT_MS,
        )
        page.evaluate(f"() => {{ {player}.currentTime = 0; }}")
        page.wait_for_function(f"() => {player}.currentTime === 0", timeout=WAIT_MS)
        moment.click()
        page.wait_for_function(
            f"() => {player}.paused && Math.abs({player}.currentTime - 1.2) < 0.05",
            timeout=WAIT_MS,
        )
        page.screenshot(path=str(tmp_path / "review-clip-moment.png"))
        assert errors == [], errors
    finally:
        context.close()
