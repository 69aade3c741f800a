"""Background task of the atlas (registered with foundation.background by CanvasConfig)."""

from __future__ import annotations

from canvas.atlas import layout
from canvas.atlas.requests import TASK
from foundation.background import task


@task(TASK)
def rebuild(board_id: str) -> int:
    """Bring a board's atlas sheets in step with its images (see canvas.atlas.layout)."""
    return layout.rebuild(board_id)
