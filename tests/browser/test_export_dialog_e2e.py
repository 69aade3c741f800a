"""The canvas's Export dialog in a real browser, with a real background worker.

At 1440×900: select the board's two images (Ctrl+A), open Export… with Ctrl+Shift+E (the
source is "The selection: 2 images", the one-image kinds are unavailable with a reason),
a naming template the server refuses shows the server's sentence in the dialog; then a
ZIP package with ``{campaign}_{index}`` names. The requester's toast ends with a Download
link; the downloaded file is read with zipfile (two PNGs, their sidecars, the manifest in
JSON and CSV), and the exports page lists it as ready. Escape closes the dialog and gives
the focus back. At 390×844 the dialog fits the screen and its buttons are reachable.

Screenshots go to ``$ANCHORBOARD_SCREENSHOTS`` when it is set. Needs Chromium
(``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.frontend import browser_server
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 60_000

SEED = """
import json
from django.test import Client
from tests import factories
from tests.jobs.conftest import add_image
author = factories.make_user("author")
board = factories.make_board(name="Export board", owner=author)
add_image(board, author, x=0, y=0, width=400, height=300, color=(200, 60, 60))
add_image(board, author, x=460, y=0, width=400, height=300, color=(60, 160, 90))
c = Client()
c.force_login(author)
print("SEED" + json.dumps({"board": str(board.pk), "author": c.cookies["sessionid"].value}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(
        tmp_path_factory.mktemp("export-browser") / "data", seed_script=SEED, with_workers=True
    )
    srv.start()
    yield srv
    srv.stop()


def shot(page, name: str) -> None:
    folder = os.environ.get("ANCHORBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def open_board(browser, server, size):
    _, page, errors = browser_server.open_board(
        browser,
        server,
        "author",
        items=2,
        viewport={"width": size[0], "height": size[1]},
        timeout=WAIT_MS,
        accept_downloads=True,
    )
    return page, errors


def select_all_and_open(page) -> None:
    page.locator("#ab-canvas").focus()
    page.keyboard.press("Control+a")
    page.wait_for_function("window.__anchorboard.editor.selection.size === 2")
    page.keyboard.press("Control+Shift+E")
    page.locator("[data-testid=export-dialog]").wait_for(state="visible")


def test_export_two_images_as_a_zip_from_the_canvas(server, browser, tmp_path):
    page, errors = open_board(browser, server, (1440, 900))
    select_all_and_open(page)
    dialog = page.locator("[data-testid=export-dialog]")
    source = page.locator("[data-testid=export-source]")
    assert source.evaluate("s => s.selectedOptions[0].textContent") == "The selection: 2 images"
    assert dialog.evaluate("d => d.contains(document.activeElement)")  # focus is inside
    assert page.locator("[data-testid=export-kind-zip]").is_checked()
    assert page.locator("[data-testid=export-kind-png]").is_disabled()
    assert not page.locator("[data-testid=export-kind-psd]").is_disabled()  # selection → PSD
    # Every control has an accessible name (a label, or its own text).
    unnamed = dialog.evaluate(
        """d => [...d.querySelectorAll('input, select, button')].filter(el =>
             !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
             && !el.textContent.trim()).map(el => el.outerHTML)"""
    )
    assert unnamed == []

    # The server's refusal, in its own words.
    template = page.locator("[data-testid=export-template]")
    template.fill("{campaign}_{colour}")
    page.click("[data-testid=export-start]")
    error = page.locator("[data-testid=export-error]")
    error.wait_for(state="visible")
    assert "colour" in error.inner_text()
    assert dialog.is_visible()

    template.fill("{campaign}_{index}")
    shot(page, "export-dialog-1440")
    page.click("[data-testid=export-start]")
    dialog.wait_for(state="hidden")
    download_link = page.locator("[data-testid=export-download]")
    download_link.wait_for(state="visible", timeout=WAIT_MS)
    assert "ZIP package is ready" in page.locator(".ab-export-toast").last.inner_text()
    shot(page, "export-toast-1440")
    with page.expect_download() as caught:
        download_link.click()
    saved = tmp_path / "export.zip"
    caught.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert names == [
        "Export-board_1.png",
        "Export-board_1.png.json",
        "Export-board_2.png",
        "Export-board_2.png.json",
        "manifest.json",
        "manifest.csv",
    ]
    assert [f["file_name"] for f in manifest["files"]] == [
        "Export-board_1.png",
        "Export-board_2.png",
    ]

    # Esc closes the dialog and gives the focus back to the canvas.
    page.locator("#ab-canvas").focus()
    page.keyboard.press("Control+Shift+E")
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "ab-canvas"

    page.goto(f"{server.base_url}/boards/{server.seed['board']}/exports/")
    row = page.locator("[data-testid=exports] tbody tr").first
    assert row.get_attribute("data-state") == "ready"
    assert "Export-board_package.zip" in row.inner_text()
    shot(page, "exports-page-1440")
    assert errors == []


def test_the_dialog_fits_a_phone(server, browser):
    page, errors = open_board(browser, server, (390, 844))
    select_all_and_open(page)
    box = page.locator("[data-testid=export-dialog]").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    start = page.locator("[data-testid=export-start]")
    start.scroll_into_view_if_needed()
    start_box = start.bounding_box()
    assert start_box is not None and start_box["height"] >= 40
    # The dialog is the topmost thing where its button is.
    assert page.evaluate(
        """() => {
             const b = document.querySelector('[data-testid=export-start]').getBoundingClientRect();
             const top = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
                   return !!top && !!top.closest('[data-testid=export-dialog]'); }"""
    )
    shot(page, "export-dialog-390")
    page.keyboard.press("Escape")
    page.locator("[data-testid=export-dialog]").wait_for(state="hidden")
    assert errors == []
