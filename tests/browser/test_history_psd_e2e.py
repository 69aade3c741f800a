"""The History panel's "Export history as PSD" in a real browser, with a real background
worker (issue 16).

Seeded: an image and one job with two results over a region of it. The lineage view's
button for that region (reached by its name) posts ``{"kind": "psd", "job": id}`` the way
the Export… dialog does; the export toast ends with a Download link, and the downloaded
file, read with psd-tools, holds the original and both results as layers.

Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest
from psd_tools import PSDImage

from tests.browser.test_export_dialog_e2e import WAIT_MS, open_board
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SEED = """
import json
from django.test import Client
from tests import factories
from tests.jobs.conftest import add_image
from tests.review.conftest import make_variations
author = factories.make_user("author")
board = factories.make_board(name="History board", owner=author)
add_image(board, author, x=0, y=0, width=400, height=300, color=(200, 60, 60))
add_image(board, author, x=460, y=0, width=400, height=300, color=(60, 160, 90))
region = {"x": 10, "y": 20, "width": 40, "height": 30}
results = make_variations(board, author, count=2, region=region)
c = Client()
c.force_login(author)
print("SEED" + json.dumps({"board": str(board.pk), "author": c.cookies["sessionid"].value,
                           "job": str(results[0].job_id)}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("history-psd") / "data", seed_script=SEED, with_workers=True
    )
    srv.start()
    yield srv
    srv.stop()


def test_export_a_regions_history_as_a_psd_from_the_history_panel(server, browser, tmp_path):
    page, errors = open_board(browser, server, (1440, 900))
    page.click("[data-testid=history-open]")
    page.click("[data-testid=history-tab-lineage]")
    button = page.get_by_role("button", name="Export history as PSD")
    button.wait_for(state="visible", timeout=WAIT_MS)
    # Named by its words, then its region (several regions' buttons must differ).
    name = button.get_attribute("aria-label") or ""
    assert name.startswith("Export history as PSD: ") and len(name) > len("Export history as PSD: ")
    button.focus()
    page.keyboard.press("Enter")  # keyboard reachable: a real button
    download_link = page.locator("[data-testid=export-download]")
    download_link.wait_for(state="visible", timeout=WAIT_MS)
    with page.expect_download() as caught:
        download_link.click()
    saved = tmp_path / "history.psd"
    caught.value.save_as(saved)
    names = [layer.name for layer in PSDImage.open(saved)]
    job = server.seed["job"][:8]
    assert names[0] == "Original"
    assert f"Result 1 · job {job} · local" in names
    assert f"Result 2 · job {job} · local" in names
    assert errors == []
