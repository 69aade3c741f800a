"""Re-scoring after the references change: a board's results were scored against anchors
that were since replaced, re-roled or removed, or against a brand kit whose colours or
reference images changed, so their readings are stale until re-scored.

The requests come from canvas.governance.rescore_requests: ``anchors_edited`` is called by
the board's write path (canvas.boards.operations) inside the transaction of a batch that
created, deleted or re-roled an anchor image, ``references_changed`` by the kit services
(canvas.governance.kits.services) when boards' kits change what they score against (a new
version that follows, another kit, a pin, the kit removed). Both bump each board's
``Rescore`` request and schedule the task ``canvas.governance.rescore_board`` after commit.
Readings written before the request say ``stale: true`` until the re-score writes new ones
(canvas.governance.readings).

Cost stays bounded however many edits and results there are (docs/governance.md
"Re-scoring after reference edits"):

- one pass at a time per board: a pass holds a lease on the board's row; a task that finds
  it held returns at once, and the pass that holds it loops once more if requests arrived
  meanwhile — a burst of edits costs at most the pass in progress plus one;
- a pass re-scores only results whose latest check used other references than the board's
  current ones (an edit undone costs nothing: the rows of the old set are reused), at most
  ``RESCORE_LIMIT`` of them, most recent first, in chunks of ``CHUNK``; before each chunk
  it checks whether a newer edit superseded it and, if so, starts over with the new
  references (at most one chunk is wasted per edit);
- a board with more stale results than that gets them in further passes: the pass gives
  the lease back and dispatches the task again for the next ``RESCORE_LIMIT`` (older)
  results, so one worker is never held for more than one page and other tasks run in
  between; the request stays pending, and the readings not re-scored yet stay stale,
  until the last page is done;
- a board left with no references keeps its readings, stale, until anchors come back.

Nothing here reads pixels itself: ``services.check`` does, and sends ``results_scored``
(the live ``consistency`` message, canvas.review.drift); ``readings_changed`` announces
the stale readings at the start of a request's first pass (in messages of at most
``RESCORE_LIMIT`` results), and the ones it found current at its end.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from canvas.governance import readings, rescore_requests, signals
from canvas.governance.models import ConsistencyScore, Rescore
from canvas.models import Board, Iteration
from foundation.background import dispatch_now

logger = logging.getLogger(__name__)

TASK = rescore_requests.TASK  # the request side: canvas.governance.rescore_requests
# The stale results one pass re-scores, most recent first (the calibration window of
# services.CALIBRATION_WINDOW, ≈ 10 s of a worker): older ones wait for the next pass.
RESCORE_LIMIT = 300
CHUNK = 50  # results per check; a newer edit is noticed between chunks
LEASE = timedelta(minutes=10)  # a crashed pass's board is free again after this


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
    """Asset ids of the board's results that have ever been scored, most recent first."""
    scored = ConsistencyScore.objects.filter(iteration=OuterRef("pk"))
    ids = (
        Iteration.objects.filter(board=board)
        .filter(Exists(scored))
        .order_by("-created_at", "pk")
        .values_list("asset_id", flat=True)
    )
    return list(dict.fromkeys(ids))


def _announce(board: Board, asset_ids: list[Any]) -> None:
    """Tell the board these readings changed, ``RESCORE_LIMIT`` results per message (a
    board's every result in one message could pass the websocket's size cap)."""
    for start in range(0, len(asset_ids), RESCORE_LIMIT):
        signals.readings_changed.send(
            sender=None, board=board, asset_ids=asset_ids[start : start + RESCORE_LIMIT]
        )


def _pass(board: Board, generation: int, announce: bool) -> tuple[str, list[Any]]:
    """One pass: ("done", results that were already scored against the current references,
    whose readings are fresh again once the pass is recorded), ("more", []) when older stale
    results are left for the next pass, ("superseded", []) when a newer edit came (start
    over), or ("no_references", []). ``announce``: first pass of this request, tell the
    board its readings went stale."""
    from canvas.governance import services  # the metrics' imports cost seconds: only here

    results = _scored_results(board)
    if results and announce:
        _announce(board, results)
    try:
        anchors, kit = services.resolve_references(board, None)
    except services.NoReferences:
        return "no_references", []
    current = services.fingerprint(anchors, kit)
    latest = readings.latest_checks(results)
    stale = [asset_id for asset_id in results if latest[asset_id][0] != current]
    page = stale[:RESCORE_LIMIT]
    for start in range(0, len(page), CHUNK):
        if _requested(board.pk) != generation:
            return "superseded", []
        services.check(board, page[start : start + CHUNK])
    if len(stale) > len(page):
        return "more", []
    # Current without a re-score (an edit undone): announced stale, current again. Results
    # re-scored by earlier pages of this request were announced by their check.
    asked = Rescore.objects.filter(pk=board.pk).values_list("requested_at", flat=True).first()
    rescored = set(page)
    unchanged = [
        asset_id
        for asset_id in results
        if asset_id not in rescored
        and latest[asset_id][0] == current
        and (asked is None or latest[asset_id][1] < asked)
    ]
    return "done", unchanged


def _release(board_id: Any) -> None:
    Rescore.objects.filter(pk=board_id).update(running_until=None)


def run(board_id: Any, announced: int = 0) -> int:
    """Re-score the board's results until no request is pending, one page of
    ``RESCORE_LIMIT`` per pass; returns the passes run here (0: nothing pending, or another
    pass holds the board and will cover this request). ``announced``: the request whose
    stale readings a previous pass already announced (a continuation)."""
    if not _claim(board_id):
        return 0
    passes = 0
    try:
        while True:
            generation = _requested(board_id)
            board = Board.objects.filter(pk=board_id).first()
            if generation is None or board is None:
                _release(board_id)
                return passes
            passes += 1
            outcome, unchanged = _pass(board, generation, announce=generation != announced)
            announced = generation
            if outcome == "superseded":
                continue
            if outcome == "more":
                # Give the worker back: the next page runs as its own task, after what queued.
                _release(board_id)
                dispatch_now(TASK, str(board_id), generation)
                return passes
            released = _finish(board_id, generation, covered=outcome == "done")
            if unchanged:  # e.g. an edit undone: their readings are current again
                _announce(board, unchanged)
            if released:
                return passes
    except BaseException:
        _release(board_id)
        raise
