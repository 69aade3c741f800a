"""Phones and tablets in a real browser: every page fits a 360 px phone, the board page's
panels fold away so the canvas gets the screen, and (further down) a client reviews a share
link on an emulated phone with real multi-touch events.

Touch is sent through the Chrome DevTools Protocol (``Input.dispatchTouchEvent``), which
goes through Chromium's real input pipeline: the page sees the same pointer events a phone
would send. Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import time

import pytest

from tests.browser.test_review_e2e import wait_online
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
PHONE_WIDTH = 360

SEED = """
import json
from django.test import Client
from canvas.boards import iterations
from canvas.sharing import links
from tests import factories
from tests.review.conftest import make_candidate
lead = factories.make_user("lead")
dana = factories.make_user("dana")
board = factories.make_board(
    name="Cliffs at dawn, second round for the spring campaign", owner=lead, editor=dana
)
made = [
    make_candidate(board, dana, region={"x": i * 500, "y": 0, "width": 400, "height": 300})
    for i in range(3)
]
for it in made:
    iterations.apply(it, dana)
link, token = links.create_link(
    board, lead, label="Client round 1", permissions=["view", "comment", "approve"],
    expires_in_days=14, visibility="all_candidates",
)
out = {"board": str(board.pk), "share": f"/s/{token}/", "candidates": [str(it.pk) for it in made]}
for name, user in (("lead", lead), ("designer", dana)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("mobile-browser") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def phone_context(browser, server, who: str | None = None, width: int = PHONE_WIDTH):
    """A touch phone of the given CSS width (device pixel ratio 1 keeps screenshots small)."""
    context = browser.new_context(
        viewport={"width": width, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
    )
    if who:
        context.add_cookies(
            [{"name": "sessionid", "value": server.seed[who], "url": server.base_url}]
        )
    return context


OVERFLOW_JS = """(limit) => {
  const width = document.documentElement.scrollWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > limit + 1 && el.getClientRects().length)
    .filter((el) => !el.closest('.topbar, .ab-toolbar, .ab-filmstrip, table'))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + '.' + el.className);
  return {width, wide};
}"""


def test_no_page_is_wider_than_a_360_px_phone(server, browser):
    board = server.seed["board"]
    pages = {
        None: ["/login/", server.seed["share"], f"{server.seed['share']}guest/"],
        "lead": [
            "/",
            f"/boards/{board}/",
            f"/boards/{board}/review/",
            "/providers/",
            f"/boards/{board}/members/",
            "/teams/",
            "/inbox/",
        ],
    }
    failures = []
    for who, paths in pages.items():
        context = phone_context(browser, server, who)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        for path in paths:
            assert page.goto(f"{server.base_url}{path}").status == 200, path
            if page.evaluate("!!document.getElementById('anchorboard-canvas')"):
                wait_online(page, 3)
                # The canvas gets the phone's width: the panels are closed sheets.
                canvas = page.evaluate(
                    "document.querySelector('.ab-surface').getBoundingClientRect().width"
                )
                assert canvas >= 0.9 * PHONE_WIDTH, (path, canvas)
            else:
                page.wait_for_load_state("networkidle")
            found = page.evaluate(OVERFLOW_JS, PHONE_WIDTH)
            if found["width"] > PHONE_WIDTH:
                failures.append((path, found))
        assert errors == []
        context.close()
    assert failures == []


def test_the_board_bar_on_a_phone_keeps_its_links_in_the_menu(server, browser):
    """On a 360 px phone the canvas page's own links (Members, Exports, …) are in the
    person's menu, not in the bar, where the sticky menu covered them mid-word; on a
    desktop they are in the bar and not duplicated in the menu."""
    board = server.seed["board"]
    visible = """(sel) => [...document.querySelectorAll(sel)]
      .filter((el) => el.getClientRects().length).map((el) => el.textContent.trim())"""
    context = phone_context(browser, server, "lead")
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{board}/")
    wait_online(page, 3)
    assert page.evaluate(visible, ".topbar > .topbar-board") == []
    page.get_by_test_id("account-menu").locator("summary").click()
    in_menu = page.evaluate(visible, ".topbar .menu-list > .topbar-phone")
    assert in_menu == ["Members", "Exports", "This board's batches", "All boards"], in_menu
    # The open list is on top of the canvas page (the sticky menu is its own stacking
    # context; without the menu layer the toolbar and the canvas covered it).
    covered = page.evaluate(
        """() => [...document.querySelectorAll('.topbar .menu-list > a, .topbar .menu-list button')]
          .filter((el) => el.getClientRects().length)
          .filter((el) => { const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !(top && (top === el || el.contains(top))); })
          .map((el) => el.textContent.trim())"""
    )
    assert covered == [], covered
    page.get_by_role("link", name="Members").click()
    page.wait_for_url(f"**/boards/{board}/members/")
    context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{board}/")
    wait_online(page, 3)
    assert page.evaluate(visible, ".topbar > .topbar-board") == in_menu
    page.get_by_test_id("account-menu").locator("summary").click()
    assert page.evaluate(visible, ".topbar .menu-list > .topbar-phone") == []
    context.close()


def test_tablet_board_keeps_the_canvas_and_opens_panels_as_drawers(
    server, browser, playwright_devices
):
    context = device(browser, playwright_devices, "iPad (gen 7)", server, "designer")
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    wait_online(page, 3)
    width = page.evaluate("innerWidth")
    assert width == 810
    surface = page.locator(".ab-surface")
    assert surface.bounding_box()["width"] == width
    right = page.locator(".ab-side.right")
    assert not right.is_visible()
    # The Details toggle opens the properties/generation drawer over the canvas; the canvas
    # keeps its size (nothing reflows under the designer's fingers).
    page.tap("[data-testid=panel-toggle-right]")
    assert right.is_visible()
    assert right.bounding_box()["width"] < width / 2
    assert surface.bounding_box()["width"] == width
    page.tap("[data-testid=panel-toggle-left]")
    assert page.locator(".ab-side.left").is_visible()
    assert right.is_visible()  # a tablet has room for both drawers
    # Controls are finger-sized.
    tool = page.locator("[data-tool=hand]").bounding_box()
    assert tool["width"] >= 44 and tool["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def device(browser, playwright_devices, name: str, server, who: str | None = None):
    """A context emulating a named phone or tablet (its size, pixel ratio, touch, user agent)."""
    spec = dict(playwright_devices[name])
    spec.pop("default_browser_type", None)
    context = browser.new_context(**spec)
    if who:
        context.add_cookies(
            [{"name": "sessionid", "value": server.seed[who], "url": server.base_url}]
        )
    return context


@pytest.fixture(scope="module")
def playwright_devices():
    """Playwright's device descriptors (iPhone 13, Pixel 7, iPad …), read once."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        return dict(p.devices)


class Fingers:
    """Multi-touch through the DevTools protocol: each call lists every finger still down.

    Events carry their own timestamps, 16 ms apart like a 60 Hz digitiser, and a finger that
    drags comes to rest before it lifts (as people do): a drag released at speed is a fling
    to Chromium, and the next tap would only stop that fling instead of clicking.
    """

    FRAME_S = 0.016

    def __init__(self, page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.clock = time.time()

    def send(self, kind: str, points: list[tuple[float, float]], rest: float = 0.0) -> None:
        self.clock = max(self.clock + self.FRAME_S + rest, time.time())
        touch_points = [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]
        self.cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": touch_points, "timestamp": self.clock},
        )

    def pinch(self, centre: tuple[float, float], start: float, end: float, steps: int = 8):
        """Two fingers `start` px apart around `centre`, spread (or closed) to `end` px."""
        cx, cy = centre
        self.send("touchStart", [(cx - start / 2, cy)])
        self.send("touchStart", [(cx - start / 2, cy), (cx + start / 2, cy)])
        for i in range(1, steps + 1):
            half = (start + (end - start) * i / steps) / 2
            self.send("touchMove", [(cx - half, cy), (cx + half, cy)])
        self.send("touchMove", [(cx - end / 2, cy), (cx + end / 2, cy)], rest=0.2)
        self.send("touchEnd", [])

    def pen(self, start: tuple[float, float], end: tuple[float, float], steps: int = 6):
        """A pen stroke (CDP mouse events with pointerType "pen")."""
        base = {"button": "left", "pointerType": "pen", "clickCount": 1}
        self.cdp.send(
            "Input.dispatchMouseEvent",
            {**base, "type": "mousePressed", "x": start[0], "y": start[1], "buttons": 1},
        )
        for i in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * i / steps
            y = start[1] + (end[1] - start[1]) * i / steps
            self.cdp.send(
                "Input.dispatchMouseEvent",
                {**base, "type": "mouseMoved", "x": x, "y": y, "buttons": 1},
            )
        self.cdp.send(
            "Input.dispatchMouseEvent",
            {**base, "type": "mouseReleased", "x": end[0], "y": end[1], "buttons": 0},
        )

    def drag(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        steps: int = 6,
        rest: bool = True,
    ):
        """One finger from `start` to `end`; `rest=False` lifts it while moving (a swipe)."""
        self.send("touchStart", [start])
        for i in range(1, steps + 1):
            t = i / steps
            self.send(
                "touchMove",
                [(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)],
            )
        if rest:
            self.send("touchMove", [end], rest=0.2)
        self.send("touchEnd", [])


def camera(page) -> dict:
    return page.evaluate("window.__anchorboard.editor.camera")


def surface_box(page) -> dict:
    return page.locator(".ab-surface").bounding_box()


def test_client_reviews_a_share_link_on_a_phone_and_the_designer_sees_it_live(
    server, browser, playwright_devices
):
    board = server.seed["board"]
    designer_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    designer_ctx.add_cookies(
        [{"name": "sessionid", "value": server.seed["designer"], "url": server.base_url}]
    )
    designer = designer_ctx.new_page()
    designer.goto(f"{server.base_url}/boards/{board}/")
    wait_online(designer, 3)

    phone = device(browser, playwright_devices, "iPhone 13", server)
    client = phone.new_page()
    errors: list[str] = []
    client.on("pageerror", lambda exc: errors.append(str(exc)))
    client.goto(f"{server.base_url}{server.seed['share']}")
    wait_online(client, 3)
    width = client.evaluate("innerWidth")
    assert width == 390  # the page is not wider than the phone
    box = surface_box(client)
    assert box["width"] >= 0.9 * width
    # The board opens fitted: the three results span most of the canvas, not a 2 % speck.
    content_on_screen = client.evaluate(
        """() => { const ab = window.__anchorboard; const b = ab.editor.scene.contentBounds();
                   return b.width * ab.editor.camera.zoom; }"""
    )
    assert content_on_screen >= 0.7 * box["width"]

    # Pinch: two fingers spread from 80 to 240 px → 3× the zoom, around the fingers: the board
    # point that was between them is still between them.
    fingers = Fingers(client)
    centre = (box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    local = (centre[0] - box["x"], centre[1] - box["y"])
    before = camera(client)
    anchor = (
        (local[0] - before["panX"]) / before["zoom"],
        (local[1] - before["panY"]) / before["zoom"],
    )
    fingers.pinch(centre, 80, 240)
    after = camera(client)
    assert after["zoom"] == pytest.approx(3 * before["zoom"], rel=0.02)
    assert anchor[0] * after["zoom"] + after["panX"] == pytest.approx(local[0], abs=2)
    assert anchor[1] * after["zoom"] + after["panY"] == pytest.approx(local[1], abs=2)
    # One finger pans (it does not draw a marquee).
    fingers.drag((centre[0], centre[1]), (centre[0] - 60, centre[1] + 40))
    panned = camera(client)
    assert panned["panX"] == pytest.approx(after["panX"] - 60, abs=1)
    assert panned["panY"] == pytest.approx(after["panY"] + 40, abs=1)
    assert panned["zoom"] == after["zoom"]

    # Candidates: the filmstrip, then one full screen; a swipe moves to the next.
    client.tap("[data-testid=filmstrip-toggle]")
    client.locator("[data-testid=filmstrip-item]").first.tap()
    viewer = client.locator("[data-testid=candidate-viewer]")
    viewer.wait_for(state="visible")
    shown = viewer.locator(".ab-viewer").bounding_box()
    assert shown["width"] == width and shown["height"] >= 0.95 * client.evaluate("innerHeight")
    assert "1 of 3" in client.locator("[data-testid=viewer-title]").inner_text()
    stage = client.locator("[data-testid=viewer-stage]").bounding_box()
    y = stage["y"] + stage["height"] / 2
    fingers.drag((stage["x"] + stage["width"] * 0.8, y), (stage["x"] + stage["width"] * 0.2, y))
    client.wait_for_selector("[data-testid=viewer-title]:has-text('2 of 3')")
    target = viewer.get_attribute("data-id")
    # Large targets: approve / changes / reject / comment are at least 44 px each way.
    for testid in ("viewer-approved", "viewer-needs_changes", "viewer-rejected", "viewer-comment"):
        b = client.locator(f"[data-testid={testid}]").bounding_box()
        assert b["width"] >= 44 and b["height"] >= 44, testid
    client.tap("[data-testid=viewer-approved]")
    client.wait_for_selector("[data-testid=viewer-approved][aria-pressed=true]")

    # Comment on it: the viewer closes, the comment sheet opens with the composer in view,
    # the guest's name fields fit the phone.
    client.tap("[data-testid=viewer-comment]")
    assert not viewer.is_visible()
    composer = client.locator("[data-testid=comment-composer]")
    composer.wait_for(state="visible")
    assert "on a candidate" in client.locator("[data-testid=comment-target]").inner_text()
    name = client.locator("[data-testid=guest-name]").bounding_box()
    assert name["x"] >= 0 and name["x"] + name["width"] <= width
    client.locator("[data-testid=guest-name]").fill("Casey on a phone")
    client.locator("[data-testid=comment-body]").fill("Approved, the second one reads best")
    send = client.locator("[data-testid=comment-send]")
    assert send.bounding_box()["height"] >= 44
    send.tap()
    client.wait_for_selector("[data-testid=comment-text]:has-text('reads best')")

    # The designer sees both, live: the comment and the decision on the result layer.
    designer.wait_for_selector("[data-testid=comment-text]:has-text('reads best')", timeout=WAIT_MS)
    assert (
        "Casey on a phone (guest)"
        in designer.locator("[data-testid=comment-thread]").first.inner_text()
    )
    designer.wait_for_selector(
        f"[data-testid=decision-badge][data-iteration='{target}'][data-status=approved]",
        timeout=WAIT_MS,
    )
    assert errors == []
    phone.close()
    designer_ctx.close()


ITEM_CENTRE_JS = """(id) => {
  const ab = window.__anchorboard;
  const i = ab.doc.get(id);
  const c = ab.editor.camera;
  const r = document.querySelector('.ab-surface').getBoundingClientRect();
  return [r.left + (i.x + i.width / 2) * c.zoom + c.panX,
          r.top + (i.y + i.height / 2) * c.zoom + c.panY];
}"""


def test_designer_gestures_on_a_pixel_7(server, browser, playwright_devices):
    """Tap selects, long press + drag draws a marquee, double tap zooms in; the Region tool
    draws with one finger and still pinches with two."""
    context = device(browser, playwright_devices, "Pixel 7", server, "designer")
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    wait_online(page, 3)
    box = surface_box(page)
    fingers = Fingers(page)
    ids = page.evaluate("window.__anchorboard.doc.ordered().map((i) => i.id)")

    def on_screen(item_id: str) -> tuple[float, float]:
        return page.evaluate(ITEM_CENTRE_JS, item_id)

    x, y = on_screen(ids[0])
    page.touchscreen.tap(x, y)
    assert page.evaluate("[...window.__anchorboard.editor.selection]") == [ids[0]]
    # A tap on empty board clears the selection.
    page.touchscreen.tap(box["x"] + 10, box["y"] + box["height"] - 10)
    assert page.evaluate("window.__anchorboard.editor.selection.size") == 0

    # Long press on empty board, then drag: a marquee over all three results.
    start = (box["x"] + 4, box["y"] + 20)  # the board is fitted with a margin: empty here
    fingers.send("touchStart", [start])
    page.wait_for_function("window.__anchorboard.editor.selection.size === 0")
    page.wait_for_timeout(700)  # the long press is a duration: hold longer than LONG_PRESS_MS
    end = (box["x"] + box["width"] - 4, box["y"] + box["height"] - 60)
    for i in range(1, 7):
        fingers.send(
            "touchMove",
            [(start[0] + (end[0] - start[0]) * i / 6, start[1] + (end[1] - start[1]) * i / 6)],
        )
    fingers.send("touchEnd", [])
    assert page.evaluate("window.__anchorboard.editor.selection.size") == 3
    zoom = camera(page)["zoom"]

    # A pen is a mouse: the same drag with a pen marquees at once (no long press), no pan.
    page.evaluate("window.__anchorboard.editor.select([])")
    before = camera(page)
    fingers.pen(start, end)
    assert page.evaluate("window.__anchorboard.editor.selection.size") == 3
    assert camera(page) == before

    # Double tap zooms in 2× around the finger.
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    page.wait_for_function(f"window.__anchorboard.editor.camera.zoom > {zoom * 1.9}")

    # The Region tool (R) draws with one finger; two fingers still pinch.
    page.evaluate("window.__anchorboard.editor.select([])")
    page.locator("body").press("r")
    catcher = page.locator("[data-testid=region-catcher]")
    catcher.wait_for(state="visible")
    fingers.drag((box["x"] + 60, box["y"] + 80), (box["x"] + 220, box["y"] + 260))
    region = page.evaluate("window.__anchorboard.jobs.generation.region")
    assert region and region["width"] > 0 and region["height"] > 0
    # Again with the tool on: a second finger cancels the stroke and pinches instead.
    page.locator("body").press("r")
    catcher.wait_for(state="visible")
    zoom = camera(page)["zoom"]
    fingers.pinch((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), 100, 200)
    assert camera(page)["zoom"] == pytest.approx(2 * zoom, rel=0.02)
    assert page.evaluate("window.__anchorboard.jobs.generation.region") == region
    assert catcher.is_visible()  # the tool is still on for the next one-finger stroke
    context.close()


def test_review_page_on_a_phone_swipes_through_the_compare(server, browser, playwright_devices):
    context = device(browser, playwright_devices, "Pixel 7", server, "lead")
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/review/")
    page.wait_for_function("document.querySelectorAll('[data-testid=candidate]').length === 3")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    page.locator("[data-testid=candidate] .rv-thumb").first.tap()
    view = page.locator("[data-testid=compare-view]")
    view.wait_for(state="visible")
    dialog = page.locator(".ab-compare").bounding_box()
    assert dialog["width"] == page.evaluate("innerWidth")
    box = view.bounding_box()
    y = box["y"] + box["height"] / 2
    Fingers(page).drag((box["x"] + box["width"] * 0.85, y), (box["x"] + box["width"] * 0.15, y))
    second = page.locator("[data-testid=candidate]").nth(1).get_attribute("data-id")
    page.wait_for_selector(f"[data-testid=candidate][aria-current=true][data-id='{second}']")
    assert page.locator("[data-testid=compare-view]").is_visible()  # still comparing, the next one
    context.close()


MASK_JS = """() => {
  const mask = window.__anchorboard.jobs.generation.deps.mask;
  return {painting: mask.isPainting, shapes: JSON.parse(JSON.stringify(mask.shapes))};
}"""

MASK_ALPHA_JS = """([x, y]) => {
  const layer = document.querySelector('[data-testid=mask-layer]');
  const r = layer.getBoundingClientRect();
  const ctx = layer.getContext('2d');
  return ctx.getImageData(Math.round(x - r.left), Math.round(y - r.top), 1, 1).data[3];
}"""


def test_mask_painted_with_one_finger_and_a_second_finger_pinches_without_painting(
    server, browser, playwright_devices
):
    """On a tablet the mask brush paints with one finger; a second finger down mid-stroke
    cancels that stroke (nothing of it stays in the mask) and pinch-zooms instead."""
    context = device(browser, playwright_devices, "iPad (gen 7)", server, "designer")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    wait_online(page, 3)
    # The first result's region (an image on the board), inpaint mode, "Paint mask".
    page.evaluate("window.__anchorboard.jobs.setRegion({x: 0, y: 0, width: 400, height: 300})")
    page.tap("[data-testid=panel-toggle-right]")
    page.select_option("[data-testid=gen-mode]", "inpaint")
    page.tap("[data-testid=mask-paint]")
    page.tap("[data-testid=panel-toggle-right]")  # the drawer closes; the brush stays on
    layer = page.locator("[data-testid=mask-layer]")
    assert layer.is_visible()
    assert page.evaluate(MASK_JS) == {"painting": True, "shapes": []}
    box = layer.bounding_box()
    fingers = Fingers(page)

    # One finger paints: a stroke lands in the mask and tints the layer under it.
    start = (box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    end = (box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    fingers.drag(start, end)
    painted = page.evaluate(MASK_JS)
    assert len(painted["shapes"]) == 1 and len(painted["shapes"][0]["points"]) > 2
    mid = ((start[0] + end[0]) / 2, start[1])
    assert page.evaluate(MASK_ALPHA_JS, list(mid)) > 0
    unpainted = (mid[0], box["y"] + box["height"] * 0.8)
    assert page.evaluate(MASK_ALPHA_JS, list(unpainted)) == 0

    # A new stroke, then a second finger: the stroke is cancelled and the fingers pinch.
    zoom = camera(page)["zoom"]
    a = (box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    fingers.send("touchStart", [a])
    for i in range(1, 5):
        fingers.send("touchMove", [(a[0] + 10 * i, a[1])])
    a = (a[0] + 40, a[1])
    b = (a[0] + 60, a[1])
    fingers.send("touchStart", [a, b])
    for i in range(1, 7):
        fingers.send("touchMove", [(a[0] - 10 * i, a[1]), (b[0] + 10 * i, b[1])])
    fingers.send("touchMove", [(a[0] - 60, a[1]), (b[0] + 60, b[1])], rest=0.2)
    fingers.send("touchEnd", [])
    # 60 px apart spread to 180 px: 3× the zoom.
    assert camera(page)["zoom"] == pytest.approx(3 * zoom, rel=0.02)
    assert page.evaluate(MASK_JS) == painted  # the cancelled stroke left nothing behind
    assert errors == []
    context.close()
