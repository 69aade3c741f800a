"""What the browser tests of clips on a canvas share (the board's and the share page's):
the seed of a board whose clips a real local-loop job made, reading a clip's player state,
where an item is on screen, and waiting for a clip to play."""

from __future__ import annotations

WAIT_MS = 60_000


def video_job_seed(board_name: str, jobs: int) -> str:
    """The start of a seed script: user ``ed`` (``client``, signed in), ``board`` named
    ``board_name`` with a 160×120 still (a gradient and a yellow square) at 0, 0 shown
    320×240, and ``jobs`` local-loop video jobs of 3 s over it, run by the embedded worker
    (each lands a video item and a video result)."""
    return f"""
import io, json, tempfile, uuid
import numpy as np
from django.test import Client
from PIL import Image
from assets.services import ingest_bytes
from canvas import protocol
from canvas.boards.operations import apply_batch
from canvas.models import Item, Iteration
from foundation.background import registered
from tests import factories

user = factories.make_user("ed")
board = factories.make_board(name={board_name!r}, owner=user)
yy, xx = np.mgrid[0:120, 0:160]
pixels = np.stack([xx * 255 // 159, yy * 255 // 119, 255 - xx * 255 // 159], -1).astype(np.uint8)
pixels[30:90, 50:110] = (230, 200, 40)
buffer = io.BytesIO()
Image.fromarray(pixels).save(buffer, "PNG")
asset = ingest_bytes(board, user, buffer.getvalue(), "still.png")
apply_batch(board.pk, user, [protocol.parse_operation({{"op": "create", "item": {{
    "id": str(uuid.uuid4()), "kind": "image", "asset": str(asset.pk), "name": "still",
    "x": 0, "y": 0, "width": 320, "height": 240, "rotation": 0, "opacity": 1, "z": 1,
    "hidden": False, "locked": False, "anchor_role": "", "props": {{}}}}}})])
client = Client()
client.force_login(user)
spec = {{"mode": "video", "engine": "local-loop", "seed": 5, "prompt": "a slow loop",
        "region": {{"x": 0, "y": 0, "width": 320, "height": 240}},
        "video": {{"duration": 3, "aspect_ratio": "4:3", "resolution": "480p"}}}}
for _ in range({jobs}):
    response = client.post(f"/api/v1/boards/{{board.pk}}/jobs", json.dumps(spec),
                           content_type="application/json")
    assert response.status_code == 201, response.content
while registered("canvas.jobs.work")():  # the embedded worker's unit of work, here
    pass
"""


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
