"""Asking for a re-score: a board's references changed, so its readings are stale.

The request side of canvas.governance.rescore, apart so that what changes references
(canvas.boards.operations, canvas.governance.kits.services) imports neither the pass nor
the scoring services: bumping a counter and scheduling a task is all it takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F
from django.utils import timezone

from canvas.governance.models import Rescore
from foundation.background import run_after_commit

TASK = "canvas.governance.rescore_board"


def anchors_edited(board_id: Any) -> None:
    """Ask for a re-score of the board's results (inside the edit's transaction; the task
    runs after commit)."""
    references_changed([board_id])


def references_changed(board_ids: Iterable[Any]) -> None:
    """Ask for a re-score of these boards' results: what they are scored against changed
    (inside the change's transaction; the tasks run after commit). Safe without the boards'
    row locks: the row is created if missing, then bumped in one UPDATE."""
    ids = list(dict.fromkeys(board_ids))
    if not ids:
        return
    Rescore.objects.bulk_create([Rescore(board_id=pk) for pk in ids], ignore_conflicts=True)
    Rescore.objects.filter(pk__in=ids).update(
        requested=F("requested") + 1, requested_at=timezone.now()
    )
    for board_id in ids:
        run_after_commit(TASK, str(board_id))
