"""The canvas in a real browser against a real server: load a board, upload an image,
see it arrive for a second (read-only) user over the websocket, undo it, and check that the
viewer's edits never leave the browser.

Needs Chromium (the `chromium_path` fixture fails in CI and skips on laptops without it).
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.frontend import browser_server
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

WAIT_MS = 30_000
# Board x offset for tests that need an empty area of the shared (module-scoped) board.
OX = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("browser") / "data")
    srv.start()
    yield srv
    srv.stop()


def open_board(browser, server, who: str):
    _, page, errors = browser_server.open_board(
        browser, server, who, viewport={"width": 1280, "height": 800}, timeout=WAIT_MS
    )
    return page, errors


def stats(page) -> dict:
    return page.evaluate("window.__anchorboard.stats()")


def test_upload_shows_live_for_others_and_undo_removes_it(server, browser, tmp_path):
    editor, editor_errors = open_board(browser, server, "editor")
    viewer, viewer_errors = open_board(browser, server, "viewer")
    assert stats(editor)["documentItems"] == 0

    image = tmp_path / "sketch.png"
    image.write_bytes(factories.png_bytes(size=(640, 480)))
    editor.set_input_files("input[type=file]", str(image))

    # The upload becomes one image item, acknowledged by the server …
    editor.wait_for_function(
        "(() => { const s = window.__anchorboard.stats();"
        " return s.documentItems === 1 && s.pending === 0 && s.revision >= 1; })()",
        timeout=WAIT_MS,
    )
    # … drawn from a decoded pyramid level (not just a placeholder) …
    editor.wait_for_function("window.__anchorboard.stats().cacheEntries >= 1", timeout=WAIT_MS)
    item = editor.evaluate("window.__anchorboard.doc.ordered()[0]")
    assert item["kind"] == "image"
    assert item["asset"]["width"] == 640
    assert item["name"] == "sketch"
    # … and appears for the viewer without a reload.
    viewer.wait_for_function("window.__anchorboard.stats().documentItems === 1", timeout=WAIT_MS)
    assert viewer.evaluate("window.__anchorboard.doc.ordered()[0].id") == item["id"]

    # The viewer can select and inspect but an edit shortcut changes and sends nothing.
    viewer.evaluate(f"window.__anchorboard.editor.select(['{item['id']}'])")
    viewer.locator(".ab-surface").focus()
    viewer.keyboard.press("Delete")
    viewer.keyboard.press("ArrowRight")
    assert stats(viewer)["documentItems"] == 1
    assert stats(viewer)["pending"] == 0
    assert viewer.locator(".ab-readonly").is_visible()
    # Viewers get facts about the selection, not (disabled) controls: no inputs, no
    # hide/lock buttons in the layers list.
    viewer.wait_for_selector("[data-testid=item-details]")
    assert viewer.locator(".ab-props input, .ab-props select").count() == 0
    assert viewer.locator(".ab-layers button").count() == 0

    # The editor's ⌘Z/Ctrl+Z undoes its own upload for everyone.
    editor.locator(".ab-surface").focus()
    editor.keyboard.press("Control+z")
    viewer.wait_for_function("window.__anchorboard.stats().documentItems === 0", timeout=WAIT_MS)
    # A fresh load (snapshot) agrees with the live state.
    editor.reload()
    editor.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'",
        timeout=WAIT_MS,
    )
    assert stats(editor)["documentItems"] == 0
    assert editor_errors == [] and viewer_errors == []


def test_many_items_are_culled_to_the_viewport(server, browser):
    page, errors = open_board(browser, server, "editor")
    # 2,000 notes laid out in a 50×40 grid, applied as one local document reset so the
    # renderer's culling is measured without network or decoding costs.
    page.evaluate(
        """() => {
          const items = [];
          for (let i = 0; i < 2000; i++) items.push({
            id: `n${i}`, kind: 'text', name: '', asset: null,
            x: (i % 50) * 300, y: Math.floor(i / 50) * 300, width: 200, height: 200,
            rotation: 0, opacity: 1, z: i, hidden: false, locked: false, anchor_role: '',
            props: {text: String(i)}});
          const ab = window.__anchorboard;
          ab.doc.reset(items);
          ab.editor.setCamera({panX: 0, panY: 0, zoom: 1});
          ab.renderer.flush();
        }"""
    )
    near = stats(page)
    assert near["items"] == 2000
    # 1280×800 at 100 % shows about 5×3 cells; with the margin well under a hundred nodes.
    assert 0 < near["nodes"] < 100
    page.evaluate("window.__anchorboard.editor.zoomToFit(); window.__anchorboard.renderer.flush()")
    assert stats(page)["nodes"] == 2000
    assert errors == []


def board_to_screen(page, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of a board point (canvas offset + camera)."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
              const ab = window.__anchorboard;
              const r = document.querySelector('.ab-stage').getBoundingClientRect();
              const c = ab.editor.camera;
              return [r.left + x * c.zoom + c.panX, r.top + y * c.zoom + c.panY];
            }""",
            [x, y],
        )
    )


def test_pointer_edits_presence_and_catch_up(server, browser):
    editor, editor_errors = open_board(browser, server, "editor")
    viewer, viewer_errors = open_board(browser, server, "viewer")
    before = stats(editor)["documentItems"]

    # T tool + click creates a note where clicked; it is selected afterwards.
    editor.keyboard.press("t")
    x, y = board_to_screen(editor, 0, 0)
    editor.mouse.click(x, y)
    editor.wait_for_function(
        f"window.__anchorboard.stats().documentItems === {before + 1}"
        " && window.__anchorboard.stats().pending === 0",
        timeout=WAIT_MS,
    )
    # The new note opens for typing in place; Ctrl+Enter saves the text as one edit.
    editor.wait_for_selector(".ab-text-editor:not([hidden])", timeout=WAIT_MS)
    editor.keyboard.type("Warm rim light")
    editor.keyboard.press("Control+Enter")
    note = editor.evaluate(
        "[...window.__anchorboard.editor.selection].map(id => window.__anchorboard.doc.get(id))[0]"
    )
    assert note["kind"] == "text"
    assert note["props"]["text"] == "Warm rim light"
    assert editor.evaluate("window.__anchorboard.editor.history.undoNames.slice(-2)") == [
        "Add note",
        "Edit text",
    ]

    # Drag it by 100×50 screen pixels with the select tool: one Move, seen by the viewer.
    zoom = editor.evaluate("window.__anchorboard.editor.camera.zoom")
    cx, cy = board_to_screen(editor, note["x"] + 20, note["y"] + 20)
    editor.mouse.move(cx, cy)
    editor.mouse.down()
    editor.mouse.move(cx + 50, cy + 25, steps=3)
    editor.mouse.move(cx + 100, cy + 50, steps=3)
    editor.mouse.up()
    moved = editor.evaluate(f"window.__anchorboard.doc.get('{note['id']}')")
    assert moved["x"] == pytest.approx(note["x"] + 100 / zoom)
    assert moved["y"] == pytest.approx(note["y"] + 50 / zoom)
    assert editor.evaluate("window.__anchorboard.editor.history.undoNames.at(-1)") == "Move"
    viewer.wait_for_function(
        f"Math.abs(window.__anchorboard.doc.get('{note['id']}')?.x - {moved['x']}) < 1e-6",
        timeout=WAIT_MS,
    )

    # The viewer sees the editor's named cursor; "Hide my cursor" hides it again.
    editor.mouse.move(cx + 10, cy + 10)
    editor.mouse.move(cx + 30, cy + 20)
    viewer.wait_for_selector(".ab-cursor:not([hidden]) .ab-cursor-name:text('ed')", timeout=WAIT_MS)
    editor.get_by_role("button", name="Hide my cursor from others").click()
    assert (
        editor.get_by_role("button", name="Show my cursor to others").get_attribute("aria-pressed")
        == "true"
    )
    viewer.wait_for_function(
        "[...document.querySelectorAll('.ab-cursor')].every(el => el.hidden)", timeout=WAIT_MS
    )

    # The viewer goes offline, misses a rename, and catches up when it reconnects.
    viewer.evaluate("window.__anchorboard.connection.stop()")
    name = editor.locator("[data-prop=name]")
    name.fill("Moodboard note")
    name.press("Enter")
    editor.wait_for_function("window.__anchorboard.stats().pending === 0", timeout=WAIT_MS)
    assert viewer.evaluate(f"window.__anchorboard.doc.get('{note['id']}').name") == "Note"
    viewer.evaluate("window.__anchorboard.connection.start()")
    viewer.wait_for_function(
        f"window.__anchorboard.doc.get('{note['id']}').name === 'Moodboard note'",
        timeout=WAIT_MS,
    )
    assert stats(viewer)["revision"] == stats(editor)["revision"]
    assert editor_errors == [] and viewer_errors == []


def test_dropping_many_files_places_them_where_dropped_and_explains_failures(server, browser):
    page, errors = open_board(browser, server, "editor")
    before = stats(page)["documentItems"]
    sx, sy = 700, 400  # page coordinates inside the canvas
    drop_board = page.evaluate(
        """([sx, sy]) => {
          const r = document.querySelector('.ab-stage').getBoundingClientRect();
          return window.__anchorboard.editor.toBoard({x: sx - r.left, y: sy - r.top});
        }""",
        [sx, sy],
    )
    page.evaluate(
        """async ([sx, sy]) => {
          const png = (w, h, color) => new Promise((resolve) => {
            const c = document.createElement('canvas'); c.width = w; c.height = h;
            const g = c.getContext('2d'); g.fillStyle = color; g.fillRect(0, 0, w, h);
            c.toBlob(resolve, 'image/png');
          });
          const dt = new DataTransfer();
          dt.items.add(new File([await png(300, 200, '#c33')], 'first.png', {type: 'image/png'}));
          dt.items.add(new File([await png(120, 240, '#3c3')], 'second.png', {type: 'image/png'}));
          dt.items.add(new File(['definitely not a png'], 'broken.png', {type: 'image/png'}));
          const target = document.querySelector('.ab-stage canvas');
          target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true,
            clientX: sx, clientY: sy, dataTransfer: dt}));
        }""",
        [sx, sy],
    )
    page.wait_for_function(
        f"window.__anchorboard.stats().documentItems === {before + 2}"
        " && window.__anchorboard.stats().pending === 0",
        timeout=WAIT_MS,
    )
    page.wait_for_selector(".ab-upload.failed", timeout=WAIT_MS)
    items = page.evaluate(
        "window.__anchorboard.doc.ordered().filter(i => i.kind === 'image'"
        " && ['first', 'second'].includes(i.name))"
    )
    by_name = {i["name"]: i for i in items}
    first, second = by_name["first"], by_name["second"]
    assert first["x"] == pytest.approx(drop_board["x"])
    assert first["y"] == pytest.approx(drop_board["y"])
    assert (first["width"], first["height"]) == (300, 200)
    assert second["x"] == pytest.approx(first["x"] + 300 + 32)
    # The failure row shows the API's own explanation, naming nothing generic.
    message = page.locator(".ab-upload.failed .ab-upload-text").inner_text()
    assert message and "could not be uploaded (server answered" not in message

    # Resizing with the bottom-right handle keeps an image's aspect ratio: one "Resize".
    page.evaluate(f"window.__anchorboard.editor.select(['{first['id']}'])")
    page.evaluate("window.__anchorboard.renderer.flush()")
    zoom = page.evaluate("window.__anchorboard.editor.camera.zoom")
    hx, hy = board_to_screen(page, first["x"] + 300, first["y"] + 200)
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx + 40, hy + 10, steps=3)
    page.mouse.move(hx + 90, hy + 60, steps=3)
    page.mouse.up()
    resized = page.evaluate(f"window.__anchorboard.doc.get('{first['id']}')")
    assert resized["width"] > 300 + 40 / zoom
    assert resized["width"] / resized["height"] == pytest.approx(1.5, rel=0.01)
    assert (resized["x"], resized["y"]) == (pytest.approx(first["x"]), pytest.approx(first["y"]))
    assert page.evaluate("window.__anchorboard.editor.history.undoNames.at(-1)") == "Resize"
    assert errors == []


def test_frame_tool_marquee_and_keyboard_editing(server, browser):
    page, errors = open_board(browser, server, "editor")
    # Work far from what earlier tests left on the shared board.
    page.evaluate(
        "([panX]) => window.__anchorboard.editor.setCamera({panX, panY: 100, zoom: 1})",
        [100 - OX],
    )
    before = stats(page)["documentItems"]

    # Two notes side by side, then a frame drawn around both with the F tool.
    for bx in (50, 450):
        page.keyboard.press("t")
        page.mouse.click(*board_to_screen(page, OX + bx, 50))
        page.wait_for_selector(".ab-text-editor:not([hidden])", timeout=WAIT_MS)
        page.keyboard.press("Escape")  # leave the in-place text editor unchanged
    page.keyboard.press("f")
    page.mouse.move(*board_to_screen(page, OX + 0, 0))
    page.mouse.down()
    page.mouse.move(*board_to_screen(page, OX + 400, 200), steps=3)
    page.mouse.move(*board_to_screen(page, OX + 800, 250), steps=3)
    page.mouse.up()
    page.wait_for_function(
        f"window.__anchorboard.stats().documentItems === {before + 3}", timeout=WAIT_MS
    )
    frame = page.evaluate(
        f"window.__anchorboard.doc.ordered().find(i => i.kind === 'frame' && i.x === {OX})"
    )
    assert (frame["width"], frame["height"]) == (800, 250)
    # New frames go to the bottom so they sit behind what they contain.
    assert frame["z"] == min(i["z"] for i in page.evaluate("window.__anchorboard.doc.ordered()"))

    # A marquee drawn inside the frame selects the notes, not the frame.
    page.keyboard.press("Escape")
    page.mouse.move(*board_to_screen(page, OX + 20, 20))
    page.mouse.down()
    page.mouse.move(*board_to_screen(page, OX + 780, 240), steps=4)
    page.mouse.up()
    selected = page.evaluate(
        "[...window.__anchorboard.editor.selection]"
        ".map(id => window.__anchorboard.doc.get(id).kind)"
    )
    assert sorted(selected) == ["text", "text"]

    # ⌘D duplicates the selection, Delete removes the copies, arrows nudge (Shift = 10).
    page.keyboard.press("Control+d")
    assert stats(page)["documentItems"] == before + 5
    page.keyboard.press("Delete")
    assert stats(page)["documentItems"] == before + 3
    page.keyboard.press("Escape")
    # Dragging the frame by its label carries both notes.
    lx, ly = board_to_screen(page, OX + 10, -8)
    page.mouse.move(lx, ly)
    page.mouse.down()
    page.mouse.move(lx + 30, ly, steps=3)
    page.mouse.move(lx + 60, ly + 40, steps=3)
    page.mouse.up()
    xs = page.evaluate(
        f"window.__anchorboard.doc.ordered().filter(i => i.x >= {OX} && i.y >= 40)"
        f".map(i => [i.kind, i.x - {OX}, i.y])"
    )
    assert sorted(xs) == [["frame", 60, 40], ["text", 110, 90], ["text", 510, 90]]
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate(
        f"window.__anchorboard.doc.ordered().find(i => i.kind === 'frame' && i.x >= {OX}).x"
    ) == pytest.approx(OX + 70)
    # Undo three times: nudge, frame move, delete of the copies.
    for _ in range(3):
        page.keyboard.press("Control+z")
    assert stats(page)["documentItems"] == before + 5
    page.wait_for_function("window.__anchorboard.stats().pending === 0", timeout=WAIT_MS)
    assert errors == []
