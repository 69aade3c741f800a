"""Re-scoring after the anchors change: a board's results were scored against anchors that
were since replaced, re-roled or removed, so their readings are stale until re-scored.

``anchors_edited`` is called by the board's write path (canvas.boards.operations) inside
the transaction of a batch that created, deleted or re-roled an anchor image. It bumps the
board's ``Rescore`` request and schedules the task ``canvas.governance.rescore_board``
after commit. Readings written before the request say ``stale: true`` until the re-score
writes new ones (canvas.governance.readings).

Cost stays bounded however many edits arrive (docs/governance.md "Re-scoring after anchor
edits"):

- one pass at a time per board: a pass holds a lease on the board's row; a task that finds
  it held returns at once, and the pass that holds it loops once more if requests arrived
  meanwhile — a burst of edits costs at most the pass in progress plus one;
- a pass re-scores only results whose latest check used other references than the board's
  current ones (an edit undone costs nothing: the rows of the old set are reused), at most
  ``RESCORE_LIMIT`` of the most recent, in chunks of ``CHUNK``; before each chunk it checks
  whether a newer edit superseded it and, if so, starts over with the new references (at
  most one chunk is wasted per edit);
- a board left with no references keeps its readings, stale, until anchors come back.

Nothing here reads pixels itself: ``services.check`` does, and sends ``results_scored``
(the live ``consistency`` message, canvas.review.drift); ``readings_changed`` announces
the stale readings at the start of a pass, and the ones it found current at its end.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from canvas.governance import readings, signals
from canvas.governance.models import Rescore
from canvas.models import Board, Iteration
from foundation.background import run_after_commit

logger = logging.getLogger(__name__)

TASK = "canvas.governance.rescore_board"
# The most recent scored results a pass re-scores (the calibration window of
# services.CALIBRATION_WINDOW): older ones keep their stale readings.
RESCORE_LIMIT = 300
CHUNK = 50  # results per check; a newer edit is noticed between chunks
LEASE = timedelta(minutes=10)  # a crashed pass's board is free again after this


def anchors_edited(board_id: Any) -> None:
    """Ask for a re-score of the board's results (inside the edit's transaction; the task
    runs after commit). Callers hold the board's row lock, so the counter needs no more."""
    now = timezone.now()
    bumped = Rescore.objects.filter(pk=board_id).update(
        requested=F("requested") + 1, requested_at=now
    )
    if not bumped:
        Rescore.objects.create(board_id=board_id, requested=1, requested_at=now)
    run_after_commit(TASK, str(board_id))


def _claim(board_id: Any) -> bool:
    now = timezone.now()
    free = Q(running_until__isnull=True) | Q(running_until__lt=now)
    claimed = (
        Rescore.objects.filter(pk=board_id, requested__gt=F("done"))
        .filter(free)
        .update(running_until=now + LEASE)
    )
    return claimed == 1


def _requested(board_id: Any) -> int | None:
    return Rescore.objects.filter(pk=board_id).values_list("requested", flat=True).first()


def _finish(board_id: Any, generation: int, covered: bool) -> bool:
    """Record a pass (``covered``: its results are now scored against the references of
    request ``generation``); give the lease back unless a newer request came meanwhile.
    Returns True when the lease was given back."""
    if covered:
        Rescore.objects.filter(pk=board_id, done__lt=generation).update(done=generation)
    released = Rescore.objects.filter(pk=board_id, requested=generation).update(running_until=None)
    if not released:
        Rescore.objects.filter(pk=board_id).update(running_until=timezone.now() + LEASE)
    return released == 1


def _scored_results(board: Board) -> list[Any]:
    """Asset ids of the board's most recent results that have ever been scored."""
    return list(
        Iteration.objects.filter(board=board, consistency_scores__isnull=False)
        .order_by("-created_at")
        .values_list("asset_id", flat=True)
        .distinct()[:RESCORE_LIMIT]
    )


def _pass(board: Board, generation: int) -> tuple[str, list[Any]]:
    """One pass: ("done", results already scored against the current references, whose
    readings are fresh again once the pass is recorded), ("superseded", []) when a newer
    edit came (start over), or ("no_references", [])."""
    from canvas.governance import services  # the metrics' imports cost seconds: only here

    results = _scored_results(board)
    if results:
        signals.readings_changed.send(sender=None, board=board, asset_ids=results)
    try:
        anchors, kit = services.resolve_references(board, None)
    except services.NoReferences:
        return "no_references", []
    current = services.fingerprint(anchors, kit)
    latest = readings.latest_fingerprints(results)
    stale = [asset_id for asset_id in results if latest.get(asset_id) != current]
    for start in range(0, len(stale), CHUNK):
        if _requested(board.pk) != generation:
            return "superseded", []
        services.check(board, stale[start : start + CHUNK])
    return "done", [asset_id for asset_id in results if latest.get(asset_id) == current]


def run(board_id: Any) -> int:
    """Re-score the board's results until no request is pending; returns the passes run
    (0: nothing pending, or another pass holds the board and will cover this request)."""
    if not _claim(board_id):
        return 0
    passes = 0
    try:
        while True:
            generation = _requested(board_id)
            board = Board.objects.filter(pk=board_id).first()
            if generation is None or board is None:
                return passes
            passes += 1
            outcome, unchanged = _pass(board, generation)
            if outcome == "superseded":
                continue
            released = _finish(board_id, generation, covered=outcome == "done")
            if unchanged:  # e.g. an edit undone: their readings are current again
                signals.readings_changed.send(sender=None, board=board, asset_ids=unchanged)
            if released:
                return passes
    except BaseException:
        Rescore.objects.filter(pk=board_id).update(running_until=None)
        raise
