"""Phones and tablets in a real browser: every page fits a 360 px phone, the board page's
panels fold away so the canvas gets the screen, and (further down) a client reviews a share
link on an emulated phone with real multi-touch events.

Touch is sent through the Chrome DevTools Protocol (``Input.dispatchTouchEvent``), which
goes through Chromium's real input pipeline: the page sees the same pointer events a phone
would send. Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests.browser.test_review_e2e import wait_online
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
PHONE_WIDTH = 360

SEED = """
import json
from django.test import Client
from canvas.services import iterations
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


def test_tablet_board_keeps_the_canvas_and_opens_panels_as_drawers(server, browser):
    context = browser.new_context(
        viewport={"width": 810, "height": 1080}, is_mobile=True, has_touch=True
    )
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["designer"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    wait_online(page, 3)
    surface = page.locator(".ab-surface")
    assert surface.bounding_box()["width"] == 810
    right = page.locator(".ab-side.right")
    assert not right.is_visible()
    # The Details toggle opens the properties/generation drawer over the canvas; the canvas
    # keeps its size (nothing reflows under the designer's fingers).
    page.tap("[data-testid=panel-toggle-right]")
    assert right.is_visible()
    assert right.bounding_box()["width"] < 810 / 2
    assert surface.bounding_box()["width"] == 810
    page.tap("[data-testid=panel-toggle-left]")
    assert page.locator(".ab-side.left").is_visible()
    assert right.is_visible()  # a tablet has room for both drawers
    # Controls are finger-sized.
    tool = page.locator("[data-tool=hand]").bounding_box()
    assert tool["width"] >= 44 and tool["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 810
    context.close()
