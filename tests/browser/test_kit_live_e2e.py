"""The brand kit follows an open board, in a real browser: a kit manager saves the kit
editor in one tab and the board open in another changes its badge (version, locks) and
the generation panel's kit box without a reload."""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = """
import json
from django.test import Client
from canvas.governance.kits import services
from tests import factories
lead = factories.make_user("lead")
team = factories.make_team("Studio", admin=lead)
board = factories.make_board(team, "Spring shoot", owner=lead)
kit = services.create_kit(team, lead, "Spring", {
    "prompt_template": "{product} in {season} light",
    "engine": "local",
    "settings": {"strength": 0.5},
    "locks": ["engine"],
})
services.set_board_kit(board, kit)
c = Client()
c.force_login(lead)
out = {"board": str(board.pk), "kit": str(kit.pk), "lead": c.cookies["sessionid"].value}
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("kit-live") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def test_editing_the_kit_changes_the_open_boards_badge_and_panel(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    errors: list[str] = []
    board = context.new_page()
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    board.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    board.wait_for_selector(".ab-status[data-status=online]", timeout=WAIT_MS)
    badge = board.locator("[data-testid=kit-badge]")
    assert badge.locator(".ab-kit-version").inner_text() == "v1"
    assert "locks the engine" in (badge.get_attribute("data-tip") or "")
    panel_kit = board.locator("[data-testid=gen-kit]")
    assert panel_kit.locator("legend").inner_text() == "Brand kit “Spring” v1"
    board.locator("[data-testid=gen-var-product]").fill("a sneaker")

    # The kit manager edits the kit in another tab: a new name, a strength lock, a variable.
    editor = context.new_page()
    editor.goto(f"{server.base_url}/brand-kits/{server.seed['kit']}/")
    editor.fill("#kit-name", "Spring 2")
    editor.fill("#prompt-template", "{product} in {season} light, {mood}")
    editor.check("[data-testid=kit-locks] input[value=strength]")
    editor.click("[data-testid=kit-save]")
    editor.wait_for_selector("text=Saved as version 2", timeout=WAIT_MS)

    # The open board follows: badge, tooltip and the panel's box, the typed value kept.
    board.wait_for_function(
        "document.querySelector('[data-testid=kit-badge] .ab-kit-version')?.textContent === 'v2'",
        timeout=WAIT_MS,
    )
    assert badge.locator(".ab-kit-name").inner_text() == "Spring 2"
    assert "locks the engine, strength" in (badge.get_attribute("data-tip") or "")
    assert panel_kit.locator("legend").inner_text() == "Brand kit “Spring 2” v2"
    assert board.locator("[data-testid=gen-var-mood]").count() == 1
    assert board.locator("[data-testid=gen-var-product]").input_value() == "a sneaker"
    assert board.locator("[data-testid=kit-badge]").count() == 1
    assert errors == []
    context.close()
