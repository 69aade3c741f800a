"""The canvas issue's end-to-end journey, step by step, in two real browser contexts.

Designer A drops two images, moves one with the mouse and marks one as an anchor; designer B
(a second context, another editor) sees both live, makes a change of their own, and A's undo
takes back only A's change. A's socket is then cut, B changes the board, and A reconnects and
catches up to exactly the server's state. Finally a viewer's mouse drag moves nothing.
"""

from __future__ import annotations

import pytest

from tests.frontend.test_canvas_browser import WAIT_MS, open_board, server, stats

__all__ = ["server"]  # the module-scoped server fixture, shared with that module

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

DROP = """async ([sx, sy]) => {
  const png = (w, h, color) => new Promise((resolve) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.fillStyle = color; g.fillRect(0, 0, w, h);
    c.toBlob(resolve, 'image/png');
  });
  const dt = new DataTransfer();
  dt.items.add(new File([await png(200, 150, '#2a6')], 'journey-a.png', {type: 'image/png'}));
  dt.items.add(new File([await png(160, 160, '#a26')], 'journey-b.png', {type: 'image/png'}));
  document.querySelector('.ab-stage canvas').dispatchEvent(new DragEvent('drop',
    {bubbles: true, cancelable: true, clientX: sx, clientY: sy, dataTransfer: dt}));
}"""


def item(page, item_id: str) -> dict:
    return page.evaluate(f"window.__anchorboard.doc.get('{item_id}')")


def screen_center(page, item_id: str) -> tuple[float, float]:
    """Page coordinates of an item's centre (screen = board × zoom + pan, plus the stage)."""
    return tuple(
        page.evaluate(
            """(id) => {
              const ab = window.__anchorboard, it = ab.doc.get(id), c = ab.editor.camera;
              const r = document.querySelector('.ab-stage').getBoundingClientRect();
              return [r.left + (it.x + it.width / 2) * c.zoom + c.panX,
                      r.top + (it.y + it.height / 2) * c.zoom + c.panY];
            }""",
            item_id,
        )
    )


def settled(page, condition: str) -> None:
    page.wait_for_function(
        "(() => { const ab = window.__anchorboard;"
        f" return ab.stats().pending === 0 && ({condition}); }})()",
        timeout=WAIT_MS,
    )


def test_drop_move_anchor_live_undo_own_reconnect_and_viewer(server, browser):
    a, a_errors = open_board(browser, server, "editor")
    b, b_errors = open_board(browser, server, "editor2")
    viewer, viewer_errors = open_board(browser, server, "viewer")
    # Work in an empty part of the (module-shared) board, at 100 %.
    a.evaluate("window.__anchorboard.editor.setCamera({panX: 200000, panY: 200000, zoom: 1})")

    # 1. A drops two images; they land where dropped.
    a.evaluate(DROP, [500, 350])
    settled(a, "ab.doc.ordered().filter(i => i.name.startsWith('journey-')).length === 2")
    ids = a.evaluate(
        "Object.fromEntries(window.__anchorboard.doc.ordered()"
        ".filter(i => i.name.startsWith('journey-')).map(i => [i.name, i.id]))"
    )
    first, second = ids["journey-a"], ids["journey-b"]
    before = item(a, first)

    # 2. A moves the first image with a real mouse drag.
    a.evaluate("window.__anchorboard.editor.setTool('select')")
    x, y = screen_center(a, first)
    a.mouse.move(x, y)
    a.mouse.down()
    a.mouse.move(x + 60, y + 40, steps=6)
    a.mouse.up()
    settled(a, f"Math.abs(ab.doc.get('{first}').x - {before['x'] + 60}) < 1e-6")
    moved = item(a, first)
    assert moved["y"] == pytest.approx(before["y"] + 40)

    # 3. A marks the second image as a palette anchor from the properties panel.
    a.evaluate(f"window.__anchorboard.editor.select(['{second}'])")
    a.select_option("[data-prop=anchor_role]", "palette")
    settled(a, f"ab.doc.get('{second}').anchor_role === 'palette'")

    # 4. B sees both changes live, without a reload.
    settled(
        b,
        f"ab.doc.get('{first}') && Math.abs(ab.doc.get('{first}').x - {moved['x']}) < 1e-6"
        f" && ab.doc.get('{second}') && ab.doc.get('{second}').anchor_role === 'palette'",
    )

    # 5. B makes its own change; A's undo takes back only A's last action (the anchor).
    b.evaluate(f"window.__anchorboard.editor.select(['{first}'])")
    b.fill("[data-prop=name]", "B renamed this")
    b.press("[data-prop=name]", "Enter")
    settled(b, f"ab.doc.get('{first}').name === 'B renamed this'")
    settled(a, f"ab.doc.get('{first}').name === 'B renamed this'")
    a.locator(".ab-surface").focus()
    a.keyboard.press("Control+z")
    settled(b, f"ab.doc.get('{second}').anchor_role === ''")
    assert item(b, first)["name"] == "B renamed this"  # B's change survives A's undo
    assert item(b, first)["x"] == pytest.approx(moved["x"])  # A's earlier move stays too
    assert b.evaluate("window.__anchorboard.editor.history.undoNames.length") >= 1

    # 6. A's socket is cut; B changes the board meanwhile; A reconnects and catches up.
    a.evaluate("window.__anchorboard.connection.stop()")
    b.evaluate(f"window.__anchorboard.editor.select(['{second}'])")
    b.fill("[data-prop=name]", "Changed while A was away")
    b.press("[data-prop=name]", "Enter")
    settled(b, f"ab.doc.get('{second}').name === 'Changed while A was away'")
    assert item(a, second)["name"] == "journey-b"  # A really is offline
    a.evaluate("window.__anchorboard.connection.start()")
    settled(a, f"ab.doc.get('{second}').name === 'Changed while A was away'")
    # A now holds exactly what a fresh load of the board gives.
    caught_up = a.evaluate("window.__anchorboard.doc.ordered()")
    b.reload()
    b.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'",
        timeout=WAIT_MS,
    )
    fresh = b.evaluate("window.__anchorboard.doc.ordered()")

    def comparable(items):
        # The asset reference is compared by the fields the protocol defines for it, except
        # `levels`: previews are generated after an upload and are not operations, so a
        # client that saw the upload early draws from the original until its next load.
        fields = ("id", "sha256", "width", "height", "original_url", "level_url")
        out = []
        for i in items:
            i = {k: v for k, v in i.items() if k != "revision"}
            if i.get("asset"):
                i["asset"] = {k: i["asset"].get(k) for k in fields}
            out.append(i)
        return sorted(out, key=lambda i: i["id"])

    got, want = comparable(caught_up), comparable(fresh)
    assert [i["id"] for i in got] == [i["id"] for i in want]
    for mine, theirs in zip(got, want, strict=True):
        diff = {
            k: (mine.get(k), theirs.get(k))
            for k in set(mine) | set(theirs)
            if mine.get(k) != theirs.get(k)
        }
        assert diff == {}, diff

    # 7. The viewer's mouse drag moves nothing and sends nothing.
    settled(viewer, f"ab.doc.get('{first}') !== undefined")
    viewer.evaluate("window.__anchorboard.editor.setCamera({panX: 200000, panY: 200000, zoom: 1})")
    viewer.evaluate("window.__anchorboard.renderer.flush()")
    vx, vy = screen_center(viewer, first)
    viewer.mouse.move(vx, vy)
    viewer.mouse.down()
    viewer.mouse.move(vx + 80, vy + 80, steps=6)
    viewer.mouse.up()
    assert stats(viewer)["pending"] == 0
    assert item(viewer, first)["x"] == pytest.approx(moved["x"])
    assert a_errors == [] and b_errors == [] and viewer_errors == []
