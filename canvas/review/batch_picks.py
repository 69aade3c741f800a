""" "Approve the best N per cell" of a batch's matrix, and its undo.

For every cell of the matrix (canvas.review.matrix, with the axes the person is looking
at) that nobody has decided on by hand — no result of it carries a verdict a person gave
(the drift check's automatic verdicts do not count) — the ``per_cell`` best results (the
documented order, ``matrix.BEST_RULE``) that have no verdict and no drift flag are
approved. Each is a normal review decision (canvas.review.decisions.set_decision: by the
person, now, in the history, broadcast after commit, ``review.decided`` for webhooks).

The action is kept (``BatchApproval``) with each decision's time as written, so **undo**
clears exactly the verdicts it gave that nobody changed since; a verdict someone changed
after is left as they set it, and said so. Callers check the role (review).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas.models import Batch, BatchApproval, Decision, DecisionStatus
from canvas.permissions import Principal
from canvas.review import matrix
from canvas.review.decisions import InvalidReview, set_decision
from foundation.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

MAX_PER_CELL = 100


class ApprovalNotFound(NotFound):
    code = "approval_not_found"
    default_message = "This approval does not exist, or you have not been given access to it."


class AlreadyUndone(Conflict):
    code = "approval_already_undone"


def approve_best(
    batch: Batch, user: Any, per_cell: int, rows: str | None = None, cols: str | None = None
) -> tuple[BatchApproval, dict[str, int]]:
    """Approve the ``per_cell`` best undecided, unflagged results of every cell not decided
    by hand. Returns the kept action and ``{approved, cells, skipped_cells}`` (skipped: cells
    decided by hand)."""
    if isinstance(per_cell, bool) or not 1 <= per_cell <= MAX_PER_CELL:
        raise InvalidReview(f"Approve from 1 to {MAX_PER_CELL} results per cell.")
    grid = matrix.build(batch, rows, cols)
    principal = Principal(user=user)
    picks: list[dict[str, str]] = []
    skipped = 0
    with transaction.atomic():
        for cell in grid.cells:
            if cell.decided_by_hand:
                skipped += 1
                continue
            eligible = [r for r in cell.ranked() if r.verdict == "undecided" and not r.drift]
            for result in eligible[:per_cell]:
                decision = set_decision(result.iteration, principal, status=DecisionStatus.APPROVED)
                picks.append(
                    {
                        "iteration": str(result.iteration.pk),
                        "decided_at": decision.decided_at.isoformat(),
                    }
                )
        approval = BatchApproval.objects.create(
            batch=batch,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            per_cell=per_cell,
            rows=grid.rows.key if grid.rows else "",
            cols=grid.cols.key if grid.cols else "",
            picks=picks,
        )
    logger.info(
        "batch %s: best %d per cell approved %d results (%d cells skipped)",
        batch.pk,
        per_cell,
        len(picks),
        skipped,
    )
    return approval, {"approved": len(picks), "cells": len(grid.cells), "skipped_cells": skipped}


def get_approval(batch: Batch, approval_id: Any) -> BatchApproval:
    """The approval, or ``ApprovalNotFound`` for an unknown id and for one that is not a UUID
    (parsed here: the ORM raises ``ValidationError`` for those, which would be a 500)."""
    try:
        key = approval_id if isinstance(approval_id, uuid.UUID) else uuid.UUID(str(approval_id))
        return BatchApproval.objects.get(pk=key, batch=batch)
    except (ValueError, BatchApproval.DoesNotExist):
        raise ApprovalNotFound() from None


def undo_approval(approval: BatchApproval, user: Any) -> dict[str, int]:
    """Clear the verdicts ``approval`` gave that are still as it left them. Returns
    ``{reverted, kept}`` (kept: changed by someone since, left alone)."""
    principal = Principal(user=user)
    reverted = kept = 0
    with transaction.atomic():
        locked = BatchApproval.objects.select_for_update().get(pk=approval.pk)
        if locked.undone_at is not None:
            raise AlreadyUndone("This approval was already undone.")
        ids = [pick["iteration"] for pick in locked.picks]
        current = {
            str(d.iteration_id): d
            for d in Decision.objects.filter(iteration__in=ids).select_related("iteration__job")
        }
        for pick in locked.picks:
            decision = current.get(pick["iteration"])
            unchanged = (
                decision is not None
                and decision.status == DecisionStatus.APPROVED
                and decision.decided_at.isoformat() == pick["decided_at"]
            )
            if not unchanged:
                kept += 1
                continue
            assert decision is not None
            set_decision(decision.iteration, principal, status="")
            reverted += 1
        locked.undone_at = timezone.now()
        locked.undone_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(update_fields=["undone_at", "undone_by"])
    approval.refresh_from_db()
    return {"reverted": reverted, "kept": kept}
