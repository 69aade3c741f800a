"""What review does with drift flags (canvas.governance): tell the board, and triage.

When results are scored (``canvas.governance.signals.results_scored``), ``on_results_scored``

- sends their new ``consistency`` after commit: one ``consistency`` message with every
  result to the board's members (any role: consistency is review data, like decisions), and
  one per result to the board's guest sockets, each of which passes it on only when its link
  shows that candidate and shares the team's decisions (canvas.sharing.consumer);
- sends the same message when readings went stale or current again without a check
  (``readings_changed``: the anchors changed, canvas.governance.rescore);
- when the check is the one of a job's results landing and the board's ``drift_triage`` is
  on, decides on each flagged result nobody has decided on yet: ``route`` marks it *Needs
  changes* (the refine step), ``reject`` rejects it; the decision is automatic, by "Drift
  check", with the first flag's sentence as its reason, and a person changes or clears it
  like any decision (docs/review.md "Drift triage"); results already on the board when
  the setting is turned on are triaged only on an owner's confirmation (``triage_existing``,
  ``untriaged`` counts them).

Nothing here scores or reads pixels.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from canvas import protocol
from canvas.governance import readings
from canvas.governance.signals import readings_changed, results_scored
from canvas.models import Board, DriftTriage, Iteration
from canvas.models.review import Decision, DecisionEvent, DecisionStatus
from canvas.permissions import Principal
from canvas.review.decisions import CANDIDATE_STATUSES, InvalidReview, set_decision
from canvas.review.payloads import broadcast_after_commit

logger = logging.getLogger(__name__)

TRIAGE_STATUS: dict[str, str] = {
    DriftTriage.ROUTE.value: DecisionStatus.NEEDS_CHANGES.value,
    DriftTriage.REJECT.value: DecisionStatus.REJECTED.value,
}


def consistency_results(iterations: list[Iteration]) -> list[dict[str, Any]]:
    """``ConsistencyResult`` payloads of scored results (unscored ones are left out)."""
    found = readings.consistency_by_asset(it.asset_id for it in iterations)
    return [
        {"iteration": str(it.pk), "asset": str(it.asset_id), "consistency": found[it.asset_id]}
        for it in iterations
        if found.get(it.asset_id) is not None
    ]


def announce(board_id: Any, results: list[dict[str, Any]]) -> None:
    """Send scored results to the board's members and (filtered there) guests, after commit."""
    if not results:
        return
    broadcast_after_commit(
        board_id,
        protocol.consistency_message(results),
        [
            (
                protocol.consistency_message([result]),
                {"kind": "consistency", "iteration": result["iteration"]},
            )
            for result in results
        ],
    )


def triageable(board: Board, iterations: list[Iteration]) -> list[tuple[Iteration, str]]:
    """The results triage would decide on, with the sentence it would give: candidates whose
    current (not stale) reading is flagged and that nobody ever decided on."""
    candidates = [it for it in iterations if it.status in CANDIDATE_STATUSES]
    found = readings.consistency_by_asset(it.asset_id for it in candidates)
    decided = set(
        DecisionEvent.objects.filter(iteration__in=candidates).values_list(
            "iteration_id", flat=True
        )
    )
    out = []
    for iteration in candidates:
        consistency = found.get(iteration.asset_id)
        if not consistency or not consistency["drift"] or consistency.get("stale"):
            continue
        if iteration.pk not in decided:
            out.append((iteration, consistency["flags"][0]["message"]))
    return out


def triage(board: Board, iterations: list[Iteration]) -> list[Decision]:
    """Decide on the flagged, undecided results per the board's setting; returns the
    decisions made. A result a person (or an earlier triage) ever decided on is left alone."""
    status = TRIAGE_STATUS.get(board.drift_triage)
    if status is None:
        return []
    made = [
        set_decision(iteration, Principal(), automatic=True, reason=reason, status=status)
        for iteration, reason in triageable(board, iterations)
    ]
    if made:
        logger.info(
            "drift triage (%s) decided on %d result(s) of board %s",
            board.drift_triage,
            len(made),
            board.pk,
        )
    return made


def _board_results(board: Board) -> list[Iteration]:
    return list(
        Iteration.objects.filter(board=board, status__in=CANDIDATE_STATUSES).order_by("created_at")
    )


def untriaged(board: Board) -> int:
    """How many results already on the board the current setting would decide on if it were
    applied to them (0 when triage is off): what the review page offers to triage."""
    if board.drift_triage not in TRIAGE_STATUS:
        return 0
    return len(triageable(board, _board_results(board)))


class TriageOff(InvalidReview):
    code = "drift_triage_off"
    default_message = "Drift triage is off on this board: choose route or reject first."


def triage_existing(board: Board) -> list[Decision]:
    """Apply the board's triage to the flagged results already on it (an owner confirmed);
    the same rules as for results landing. Raises TriageOff when the setting is off."""
    if board.drift_triage not in TRIAGE_STATUS:
        raise TriageOff()
    with transaction.atomic():
        return triage(board, _board_results(board))


def set_triage(board: Board, mode: str) -> Board:
    """Turn the board's drift triage off, or to ``route`` / ``reject`` (callers check the
    caller may manage the board). Applies to results that land from now on; results
    already on the board are triaged only when an owner asks (``triage_existing``)."""
    if mode not in DriftTriage.values:
        raise InvalidReview(f"drift_triage must be one of {', '.join(DriftTriage.values)}.")
    board.drift_triage = mode
    board.save(update_fields=["drift_triage"])
    return board


def on_results_scored(
    sender: Any, *, board: Board, asset_ids: list[Any], landed: bool = False, **kwargs: Any
) -> None:
    iterations = list(
        Iteration.objects.filter(board=board, asset_id__in=asset_ids).order_by("created_at")
    )
    if not iterations:
        return
    with transaction.atomic():
        if landed:
            triage(board, iterations)
        announce(board.pk, consistency_results(iterations))


def on_readings_changed(sender: Any, *, board: Board, asset_ids: list[Any], **kwargs: Any) -> None:
    """Readings went stale (the anchors changed) or current again: tell the board."""
    iterations = list(
        Iteration.objects.filter(board=board, asset_id__in=asset_ids).order_by("created_at")
    )
    announce(board.pk, consistency_results(iterations))


results_scored.connect(on_results_scored, dispatch_uid="canvas.review.drift")
readings_changed.connect(on_readings_changed, dispatch_uid="canvas.review.drift.readings")
