"""The review list: a board's candidates grouped by the job that made them, filtered.

Read-only; the review page, the API and the inbox show what this returns.
"""

from __future__ import annotations

import logging
from typing import Any

from assets.presenters import canvas_asset
from canvas.boards import naming
from canvas.governance import readings
from canvas.models import Batch, Board, Iteration, JobMode
from canvas.models.review import (
    Decision,
    Tier,
)
from canvas.review.decisions import CANDIDATE_STATUSES, default_tier
from canvas.review.payloads import decision_payload

logger = logging.getLogger(__name__)


def _root(iteration: Iteration, by_id: dict[Any, Iteration]) -> Iteration:
    seen = set()
    node = iteration
    while node.parent_id and node.parent_id in by_id and node.pk not in seen:
        seen.add(node.pk)
        node = by_id[node.parent_id]
    return node


def candidate_payload(
    iteration: Iteration, decision: Decision | None, consistency: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A candidate of the review list; ``consistency`` is its drift check (None: not scored
    yet; canvas.governance.readings)."""
    return {
        "id": str(iteration.pk),
        "job": str(iteration.job_id),
        # The batch that made it (None: a job of its own); the board's filmstrip groups by it.
        "batch": str(iteration.job.batch_id) if iteration.job.batch_id else None,
        "mode": iteration.job.mode,
        "parent": str(iteration.parent_id) if iteration.parent_id else None,
        "number": iteration.index + 1,
        "region": iteration.region,
        "status": iteration.status,
        "asset": canvas_asset(iteration.asset),
        "source_asset": (
            canvas_asset(iteration.source_asset) if iteration.source_asset is not None else None
        ),
        "created_at": iteration.created_at.isoformat(),
        "tier": decision.tier if decision else default_tier(iteration),
        "decision": decision_payload(decision) if decision else None,
        "consistency": consistency,
        "clip": clip_payload(iteration),
    }


def clip_payload(iteration: Iteration) -> dict[str, Any] | None:
    """A video result's playable MP4 for members (docs/video.md "The video item"), or None
    for a still: the review grid plays it instead of showing its poster."""
    video = (iteration.provenance or {}).get("video") or {}
    mp4 = video.get("mp4") or {}
    if not mp4.get("asset") or not mp4.get("sha256"):
        return None
    return {
        "url": f"/files/{mp4['asset']}/{mp4['sha256']}/original",
        "mime": mp4.get("mime") or "video/mp4",
        "duration": video.get("duration"),
    }


def review_list(
    board: Board,
    *,
    status: str | None = None,
    rating_gte: int | None = None,
    starred: bool | None = None,
    tier: str | None = None,
    drift: str | None = None,
    sort: str = "job",
) -> dict[str, Any]:
    """Candidates (staged and applied) grouped by job — one job's variations together —
    newest job first, each group titled in words (canvas.boards.naming); ``batches`` names
    the batches that made any of them.

    ``tiers`` counts every candidate (filters do not change it) by the tier it is shown
    with, so the counts add up to ``total``. ``status="undecided"`` selects candidates with
    no verdict yet. ``drift``: ``drifted`` (flagged by their latest check), ``consistent``
    (checked, not flagged) or ``unscored``. ``sort="drift"``: least consistent first —
    drifted ones, then by their lowest score, unscored last — within each group, and the
    groups by their least consistent candidate.
    """
    iterations = list(
        Iteration.objects.filter(board=board, status__in=CANDIDATE_STATUSES)
        .select_related("job", "asset__blob", "source_asset__blob")
        .order_by("-created_at", "index")
    )
    decisions = {d.iteration_id: d for d in Decision.objects.filter(board=board)}
    consistency = readings.consistency_by_asset(it.asset_id for it in iterations)
    by_id = {it.pk: it for it in iterations}
    items = naming.board_items(board.pk)
    groups: dict[Any, dict[str, Any]] = {}
    tiers: dict[str, int] = dict.fromkeys(Tier.values, 0)
    for it in iterations:
        decision = decisions.get(it.pk)
        entry = candidate_payload(it, decision, consistency.get(it.asset_id))
        tiers[entry["tier"]] += 1
        if it.job_id not in groups:
            groups[it.job_id] = job_group(it, by_id, items)
        group = groups[it.job_id]
        group["total"] += 1
        if _matches(entry, decision, status, rating_gte, starred, tier) and _drift_matches(
            entry, drift
        ):
            group["candidates"].append(entry)
    shown = [g for g in groups.values() if g["candidates"]]
    for group in shown:
        group["candidates"].sort(key=drift_rank if sort == "drift" else lambda c: c["number"])
    if sort == "drift":
        shown.sort(key=lambda g: drift_rank(g["candidates"][0]))  # stable: newest job first
    return {
        "board": str(board.pk),
        "groups": shown,
        "tiers": tiers,
        "total": len(iterations),
        "batches": batch_names(iterations),
    }


def batch_names(iterations: list[Iteration]) -> dict[str, str]:
    """Batch id → name for the batches that made these results (one query; none when no
    result came from a batch): the filmstrip titles a batch's group with it."""
    ids = {it.job.batch_id for it in iterations if it.job.batch_id}
    if not ids:
        return {}
    return {
        str(pk): name for pk, name in Batch.objects.filter(pk__in=ids).values_list("pk", "name")
    }


def job_group(first: Iteration, by_id: dict[Any, Iteration], items: list[Any]) -> dict[str, Any]:
    """A review group: one job's results, titled by what its region is of."""
    job = first.job
    parent = by_id.get(job.parent_iteration_id or first.parent_id)
    if job.mode == JobMode.UPSCALE:
        kind = "upscale"
    else:
        kind = "refinement" if first.parent_id else "variations"
    return {
        "job": str(job.pk),
        "root": str(_root(first, by_id).pk),
        "kind": kind,
        "mode": job.mode,
        "title": naming.group_title(items, first),
        "prompt": naming.job_prompt(first),
        "parent": str(parent.pk) if parent else None,
        "parent_label": (
            naming.result_name(parent.index + 1, naming.group_title(items, parent))
            if parent
            else None
        ),
        "region": first.region,
        "source_asset": (
            canvas_asset(first.source_asset) if first.source_asset is not None else None
        ),
        "created_at": first.created_at.isoformat(),
        "total": 0,
        "candidates": [],
    }


DRIFT_FILTERS = ("drifted", "consistent", "unscored")


def _drift_matches(entry: dict[str, Any], drift: str | None) -> bool:
    consistency = entry["consistency"]
    if drift == "drifted":
        return bool(consistency and consistency["drift"])
    if drift == "consistent":
        return bool(consistency and not consistency["drift"])
    if drift == "unscored":
        return consistency is None
    return True


def drift_rank(entry: dict[str, Any]) -> tuple[int, float, int]:
    """Least consistent first: drifted, then the lowest of its scores; unscored last (the
    review grid's "by consistency score", frontend/src/review/drift.ts ``byConsistency``)."""
    consistency = entry["consistency"]
    if consistency is None:
        return (2, 0.0, entry["number"])
    worst = min(consistency["scores"].values(), default=1.0)
    return (0 if consistency["drift"] else 1, worst, entry["number"])


def _matches(
    entry: dict[str, Any],
    decision: Decision | None,
    status: str | None,
    rating_gte: int | None,
    starred: bool | None,
    tier: str | None,
) -> bool:
    if status:
        current = decision.status if decision else ""
        if (status == "undecided" and current) or (status != "undecided" and current != status):
            return False
    if rating_gte is not None and not (decision and (decision.rating or 0) >= rating_gte):
        return False
    if starred is not None and bool(decision and decision.starred) != starred:
        return False
    return not (tier and entry["tier"] != tier)
