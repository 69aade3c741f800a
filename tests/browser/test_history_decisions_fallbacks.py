"""The history panel's decision filter and the fallback chain control, in a real browser.

Seeded: the demo board with two local upscale results, one approved with 5 stars,
and a viewer. The owner filters the history by decision and sets "If this engine is
unavailable, try…" (ComfyUI is configured so there is a second engine to pick; it is never
called); the viewer reads the chain as text without the menus.

Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import json

import pytest

from tests.browser.test_jobs_e2e import WAIT_MS, open_board
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SEED = """
import json
from django.test import Client
from canvas.demo import seed_demo
from canvas.jobs import queue, runner
from canvas.models import BoardMember, Role
from tests import factories
demo = seed_demo()
board = demo.board
owner = board.created_by
second = factories.make_user("second")
BoardMember.objects.create(board=board, user=second, role=Role.VIEWER)
results = []
for seed in (3, 4):
    spec = {"mode": "upscale", "engine": "local", "scale": 2, "seed": seed,
            "region": {"x": 0, "y": 0, "width": 64, "height": 48}}
    job = queue.submit_job(board, owner, spec)
    claim = queue.claim_next("seed")
    runner.execute(claim.job_id, "seed")
    results.append(job.iterations.get())
first, second_result = results
c = Client()
c.force_login(owner)
r = c.put(f"/api/v1/iterations/{first.pk}/decision",
          json.dumps({"status": "approved", "rating": 5}), content_type="application/json")
assert r.status_code == 200, r.content
out = {"board": str(board.pk), "approved": str(first.pk), "other": str(second_result.pk),
       "editor": c.cookies["sessionid"].value}
v = Client()
v.force_login(second)
out["viewer"] = v.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("history-fallbacks") / "data",
        seed_script=SEED,
        with_workers=True,
        # Configured but never called: it only makes a second engine to pick.
        env={"ANCHORBOARD_COMFYUI_URL": "http://127.0.0.1:9"},
    )
    srv.start()
    yield srv
    srv.stop()


def shown(page) -> list[str]:
    return page.eval_on_selector_all(
        "[data-testid=history-entry]", "els => els.map(e => e.dataset.iteration)"
    )


def test_history_filters_by_decision(server, browser):
    page, errors = open_board(browser, server, "editor")
    page.click("[data-testid=history-open]")
    page.wait_for_selector("[data-testid=history-entry]", timeout=WAIT_MS)
    assert set(shown(page)) == {server.seed["approved"], server.seed["other"]}
    page.select_option("[data-testid=history-decision]", "approved")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=history-entry]').length === 1", timeout=WAIT_MS
    )
    assert shown(page) == [server.seed["approved"]]
    badge = page.text_content("[data-testid=history-decision-badge]") or ""
    assert "Approved" in badge and "5★" in badge
    page.select_option("[data-testid=history-decision]", "undecided")
    page.wait_for_function(
        f"[...document.querySelectorAll('[data-testid=history-entry]')].map(e => "
        f"e.dataset.iteration).join() === {json.dumps(server.seed['other'])}",
        timeout=WAIT_MS,
    )
    page.select_option("[data-testid=history-decision]", "")
    page.select_option("[data-testid=history-rating]", "4")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=history-entry]').length === 1", timeout=WAIT_MS
    )
    assert shown(page) == [server.seed["approved"]]
    assert errors == []


def test_owner_sets_the_fallback_chain_and_a_viewer_reads_it(server, browser):
    page, errors = open_board(browser, server, "editor")
    page.select_option("[data-testid=gen-engine]", "local")
    page.click("[data-testid=fallback-control] summary")
    text = page.locator("[data-testid=fallback-text]")
    text.filter(has_text="Off").wait_for(timeout=WAIT_MS)
    page.select_option("[data-testid=fallback-pick-0]", "comfyui")
    page.click("[data-testid=fallback-save]")
    text.filter(has_text="try ComfyUI").wait_for(timeout=WAIT_MS)
    assert errors == []

    viewer, viewer_errors = open_board(browser, server, "viewer")
    viewer.click("[data-testid=fallback-control] summary")
    viewer_text = viewer.locator("[data-testid=fallback-text]")
    viewer_text.filter(has_text="try ComfyUI").wait_for(timeout=WAIT_MS)
    assert not viewer.is_visible("[data-testid=fallback-pick-0]")
    assert not viewer.is_visible("[data-testid=fallback-save]")
    assert viewer_errors == []
