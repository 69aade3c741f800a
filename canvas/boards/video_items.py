"""Video results land on the board as video items.

Connected to ``canvas.jobs.signals.clip_landed`` when the canvas app is ready: the job
runner stores a clip as a result and says so; this module places it
(``canvas.boards.iterations.place_clip``) in the same transaction, so the item, its board
revision and the result commit together and reach every client after commit, like any
edit. The job room cannot import this one (layers), hence the signal.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from canvas.boards.iterations import place_clip
from canvas.jobs.signals import clip_landed


@receiver(clip_landed, dispatch_uid="canvas.boards.video_items.clip_landed")
def clip_landed_on_board(sender: Any, iteration: Any, user: Any = None, **kwargs: Any) -> None:
    place_clip(iteration, user)
