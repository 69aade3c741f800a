"""A batch's results, filtered by the values that made them, their review decision and
drift: what the API's ``GET /batches/{id}/results`` (and, later, the matrix view) reads.

Read-only. Each result carries its job's ``variables`` (the batch's values for that cell),
its review decision's status and whether it was flagged for drift, next to the usual
result payload (canvas.jobs.payloads).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from canvas.batches.spec import PLACEHOLDER, InvalidBatch
from canvas.jobs.payloads import iteration_payloads
from canvas.models import Batch, ConsistencyScore, Decision, DecisionStatus, Iteration

DECISIONS = ("approved", "rejected", "needs_changes", "undecided")


def parse_variable_filters(pairs: list[str]) -> dict[str, list[str]]:
    """``["product:sneaker", "product:boot", "background:sand"]`` → name → values."""
    wanted: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not PLACEHOLDER.fullmatch(f"{{{name}}}") or not value:
            raise InvalidBatch(f"“{pair}” is not a variable filter; write name:value.")
        wanted.setdefault(name, []).append(value)
    return wanted


def batch_results(
    batch: Batch,
    *,
    variables: dict[str, list[str]] | None = None,
    decision: str | None = None,
    drift: bool | None = None,
) -> QuerySet[Iteration]:
    """The batch's results in expansion order (job position, then result index).

    ``variables``: each name must have one of its values (names AND, values OR);
    ``decision``: approved, rejected, needs_changes or undecided; ``drift``: True for
    results with a drift flag, False for those without one (unscored ones included).
    """
    rows = Iteration.objects.filter(job__batch=batch).select_related("job")
    for name, values in (variables or {}).items():
        rows = rows.filter(**{f"job__spec__variables__{name}__in": values})
    if decision is not None:
        if decision not in DECISIONS:
            raise InvalidBatch(f"decision must be one of {', '.join(DECISIONS)}.")
        if decision == "undecided":
            rows = rows.filter(Q(decision__isnull=True) | Q(decision__status=""))
        else:
            rows = rows.filter(decision__status=decision)
    if drift is not None:
        flagged = Exists(
            ConsistencyScore.objects.filter(asset=OuterRef("asset"), flag__isnull=False)
        )
        rows = rows.filter(flagged) if drift else rows.exclude(flagged)
    return rows.order_by("job__position", "index", "pk")


def result_payloads(rows: list[Iteration]) -> list[dict[str, Any]]:
    """Results with their cell's values, decision status and drift (a few queries a page)."""
    statuses = dict(
        Decision.objects.filter(iteration__in=[r.pk for r in rows]).values_list(
            "iteration_id", "status"
        )
    )
    out = []
    for row, payload in zip(rows, iteration_payloads(rows), strict=True):
        status = statuses.get(row.pk) or DecisionStatus.UNDECIDED
        consistency = payload.get("consistency")
        out.append(
            {
                **payload,
                "variables": dict(row.job.spec.get("variables") or {}),
                "decision": status or "undecided",
                "drift": bool(consistency and consistency.get("drift")),
            }
        )
    return out
