"""What the browser tests of clips on a canvas share (the board's and the share page's):
reading a clip's player state, where an item is on screen, and waiting for a clip to play."""

from __future__ import annotations

WAIT_MS = 60_000

# The state of the player of item ``id`` (render/videoClips.ts ``states``), or null.
CLIP = "(id) => window.__anchorboard.renderer.videoClips.states().find((c) => c.id === id) || null"

# Centre of an item on screen (page coordinates of the canvas host).
CENTRE = """(id) => {
  const ab = window.__anchorboard;
  const item = ab.doc.ordered().find((i) => i.id === id);
  const cam = ab.editor.camera;
  const box = ab.renderer.videoClips.bar.parentElement.getBoundingClientRect();
  return [box.left + (item.x + item.width / 2) * cam.zoom + cam.panX,
          box.top + (item.y + item.height / 2) * cam.zoom + cam.panY];
}"""


def advancing(page, clip_id: str) -> None:
    """The clip's currentTime moves on by itself (it plays) and it has frames to draw."""
    # Its element is made on the next frame after hover or selection: wait for it first.
    page.wait_for_function(f"() => !!({CLIP})('{clip_id}')", timeout=WAIT_MS)
    first = page.evaluate(CLIP, clip_id)["currentTime"]
    page.wait_for_function(
        f"(t) => {{ const c = ({CLIP})('{clip_id}'); "
        "return c && !c.paused && c.readyState >= 2 && c.currentTime > t + 0.2 && c.drawing; }",
        arg=first,
        timeout=WAIT_MS,
    )
