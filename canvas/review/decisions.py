"""Decisions on candidates: approve, reject, rate, star, move between tiers.

Tiers: generation -> refinement -> upres -> final. Undecided candidates are in "generation",
or "refinement" when they refine an earlier candidate. Callers have checked the caller
(canvas.permissions for members, ``require_link`` for guests); a ``Principal`` only records
who decided. Every change is kept in the history and broadcast after commit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas import protocol
from canvas.models import Iteration, IterationStatus, JobMode
from canvas.models.review import (
    Decision,
    DecisionEvent,
    DecisionStatus,
    Tier,
)
from canvas.models.sharing import AuditAction
from canvas.permissions import Principal
from canvas.review.payloads import broadcast_review_after_commit, decision_payload, who
from canvas.sharing.audit import record_audit
from canvas.webhooks import dispatch as webhooks
from foundation.errors import AppError

logger = logging.getLogger(__name__)


CANDIDATE_STATUSES = (IterationStatus.STAGED, IterationStatus.APPLIED)


class InvalidReview(AppError):
    code = "invalid_review"


def default_tier(iteration: Iteration) -> str:
    job = iteration.job
    if job.mode == JobMode.UPSCALE and job.parent_iteration_id:
        return Tier.UPRES
    return Tier.REFINEMENT if iteration.parent_id else Tier.GENERATION


def current_decision(iteration: Iteration) -> Decision | None:
    return Decision.objects.filter(iteration=iteration).first()


def set_decision(
    iteration: Iteration,
    principal: Principal,
    *,
    automatic: bool = False,
    reason: str = "",
    **fields: Any,
) -> Decision:
    """Change any of status / rating / starred / tier; unspecified fields are kept.

    Rules: rating is 1–5 or None (cleared); guests may set only the status; approving an
    upscale result of a promoted candidate moves it to "final". ``automatic`` (with an
    empty ``Principal()`` and a ``reason``) is the board's drift triage deciding
    (canvas.review.drift); any later change by a person replaces it like any decision.
    """
    allowed = {"status", "rating", "starred", "tier"}
    fields = {key: value for key, value in fields.items() if key in allowed}
    if principal.is_guest and set(fields) - {"status"}:
        raise InvalidReview("Guests can approve, reject or ask for changes; nothing else.")
    if not fields:
        raise InvalidReview("Send at least one of status, rating, starred or tier.")
    if "status" in fields and fields["status"] not in DecisionStatus.values:
        raise InvalidReview(
            "status must be approved, rejected, needs_changes, or empty to clear it."
        )
    if "rating" in fields and fields["rating"] is not None:
        rating = fields["rating"]
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidReview("A rating is a whole number from 1 to 5 (or null to clear it).")
    if "tier" in fields and fields["tier"] not in Tier.values:
        raise InvalidReview(f"tier must be one of {', '.join(Tier.values)}.")
    if iteration.status == IterationStatus.DISCARDED:
        raise InvalidReview("This result was discarded; restore it before deciding on it.")
    with transaction.atomic():
        decision = Decision.objects.select_for_update().filter(iteration=iteration).first()
        if decision is None:
            decision = Decision(
                iteration=iteration,
                board_id=iteration.board_id,
                tier=default_tier(iteration),
                decided_at=timezone.now(),
            )
        before = {k: getattr(decision, k) for k in allowed}
        for key, value in fields.items():
            setattr(decision, key, bool(value) if key == "starred" else value)
        if (
            decision.status == DecisionStatus.APPROVED
            and "tier" not in fields
            and decision.tier == Tier.UPRES
            and iteration.job.mode == JobMode.UPSCALE
        ):
            decision.tier = Tier.FINAL
        changes = {
            k: [before[k], getattr(decision, k)]
            for k in allowed
            if before[k] != getattr(decision, k)
        }
        decision.decided_by = principal.user
        decision.decided_by_link = principal.link
        decision.guest_name = principal.guest_name if principal.is_guest else ""
        decision.automatic = automatic
        decision.reason = reason[:500] if automatic else ""
        decision.decided_at = timezone.now()
        decision.save()
        DecisionEvent.objects.create(
            iteration=iteration,
            board_id=iteration.board_id,
            changes=changes,
            status=decision.status,
            rating=decision.rating,
            starred=decision.starred,
            tier=decision.tier,
            decided_by=principal.user,
            decided_by_link=principal.link,
            guest_name=decision.guest_name,
            automatic=decision.automatic,
            reason=decision.reason,
        )
        if principal.is_guest:
            record_audit(
                principal.link,
                AuditAction.DECISION,
                actor_label=principal.guest_name,
                details={"iteration": str(iteration.pk), "status": decision.status},
            )
        broadcast_review_after_commit(
            iteration.board_id,
            protocol.decision_message(decision_payload(decision)),
            guest_message=protocol.decision_message(decision_payload(decision, public=True)),
            about={
                "kind": "decision",
                "iteration": str(iteration.pk),
                "link": str(principal.link.pk) if principal.link else None,
            },
        )
        webhooks.review_decided(decision, changes)  # recorded here, sent after commit
    return decision


def decision_history(iteration: Iteration) -> list[dict[str, Any]]:
    return [
        {
            "changes": event.changes,
            "status": event.status,
            "rating": event.rating,
            "starred": event.starred,
            "tier": event.tier,
            "by": who(event.decided_by, event.guest_name, automatic=event.automatic),
            "reason": event.reason,
            "at": event.at.isoformat(),
        }
        for event in DecisionEvent.objects.filter(iteration=iteration).select_related("decided_by")
    ]
