"""Asking for an atlas rebuild: a board's set of drawn images changed.

The request side of canvas.atlas.layout, apart so the board's write path
(canvas.boards.operations) imports no pixel code: bumping a counter and scheduling a task
after commit is all it takes. ``changes_atlas`` says which applied operations matter: an
image created, deleted, hidden or shown (an item never changes its asset: replacing an
image is a delete and a create). Moves do not (the atlas is not spatial), so dragging
never rebuilds a sheet.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from canvas.models import BoardAtlas
from foundation.background import dispatch_now, run_after_commit

TASK = "canvas.atlas.rebuild"
_FIELDS = frozenset({"hidden"})


def changes_atlas(op: dict[str, Any]) -> bool:
    """Whether an applied operation can change which images the board's atlas holds."""
    if op["op"] == "create":
        return op["item"].get("asset") is not None
    if op["op"] == "update":
        return bool(_FIELDS & set(op["set"]))
    return True  # delete: only an image's matters, but a spare pass costs one query


def board_changed(board_id: Any) -> None:
    """Ask for a rebuild of the board's atlas (inside the change's transaction; the task
    runs after commit, coalesced with any pass already running)."""
    _bump(board_id)
    run_after_commit(TASK, str(board_id))


def ensure_requested(board_id: Any) -> None:
    """A board that never had an atlas (made before atlases, or by a path that bypasses
    the write path, such as the demo board) gets a first pass now."""
    if not BoardAtlas.objects.filter(pk=board_id).exists():
        _bump(board_id)
        dispatch_now(TASK, str(board_id))


def _bump(board_id: Any) -> None:
    BoardAtlas.objects.bulk_create([BoardAtlas(board_id=board_id)], ignore_conflicts=True)
    BoardAtlas.objects.filter(pk=board_id).update(requested=F("requested") + 1)
