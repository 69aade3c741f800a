"""Promotion: queue an upscale of the top X% of candidates by rating and move them to
"upres"; the upscale's results start in "upres" and move to "final" when approved.

The upscale is built from the candidate (its own image, its engine), then passes the board's
brand kit like every job (canvas.governance.kits.enforcement.apply_kit_to_promotion): the
kit's locks, defaults and references apply, and the job's spec and its results' provenance
name the kit version. A promotion that would break a lock is refused whole.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.db import transaction

from canvas import protocol
from canvas.governance.kits.enforcement import SHAPE_DEFAULTS, apply_kit_to_promotion
from canvas.jobs.queue import DEFAULT_ENGINE, check_with_engine, submit_job
from canvas.models import Board, Iteration, Job, JobMode, JobPriority
from canvas.models.review import (
    Decision,
    DecisionStatus,
    Tier,
)
from canvas.permissions import Principal
from canvas.review.decisions import CANDIDATE_STATUSES, InvalidReview, set_decision

logger = logging.getLogger(__name__)


def promote(
    board: Board,
    user: Any,
    *,
    percent: float = 10,
    from_tier: str | None = None,
    scale: int | None = None,
) -> list[tuple[Iteration, Job]]:
    """Queue an upscale (bulk priority) of the top ``percent`` of rated candidates.

    Ranking: rating, then starred, then newest. At least one is promoted when any candidate
    in ``from_tier`` is rated. Promoted candidates move to tier "upres". ``scale`` None is
    the board's brand kit's factor, else ×2.
    """
    if not 0 < percent <= 100:
        raise InvalidReview("percent must be more than 0 and at most 100.")
    if from_tier is not None and from_tier not in Tier.values:
        raise InvalidReview(f"from_tier must be one of {', '.join(Tier.values)}.")
    if from_tier in (Tier.UPRES, Tier.FINAL):
        raise InvalidReview("Only generation or refinement candidates can be promoted to upres.")
    rated = [
        d
        for d in Decision.objects.filter(
            board=board, rating__isnull=False, iteration__status__in=CANDIDATE_STATUSES
        )
        .exclude(status=DecisionStatus.REJECTED)
        .select_related("iteration__job", "iteration__asset__blob")
        if (d.tier == from_tier if from_tier else d.tier in (Tier.GENERATION, Tier.REFINEMENT))
    ]
    if not rated:
        raise InvalidReview(
            "No rated candidates to promote. Rate some candidates (1–5) first, then promote."
        )
    rated.sort(key=lambda d: (d.rating or 0, d.starred, d.iteration.created_at), reverse=True)
    count = max(1, math.floor(len(rated) * percent / 100))
    results = []
    with transaction.atomic():
        for decision in rated[:count]:
            iteration = decision.iteration
            spec = upscale_spec(iteration, scale or int(SHAPE_DEFAULTS["scale"]))
            spec = apply_kit_to_promotion(
                board, spec, scale_given=scale is not None, source=iteration
            )
            check_with_engine(spec)
            job = submit_job(
                board,
                user,
                {"mode": JobMode.UPSCALE},
                priority=JobPriority.BULK,
                parent_iteration=iteration,
                validated_spec=spec,
            )
            set_decision(iteration, Principal(user=user), tier=Tier.UPRES)
            results.append((iteration, job))
    logger.info("promoted %d of %d rated candidates on board %s", count, len(rated), board.pk)
    return results


def upscale_spec(iteration: Iteration, scale: int) -> dict[str, Any]:
    """An upscale of the candidate image itself (not of whatever the board shows now).

    ``variables`` are the candidate job's brand-kit template variables, so a kit's template
    writes the same prompt for the upscale.
    """
    import random

    region = {k: float(iteration.region.get(k, 0)) for k in ("x", "y", "width", "height")}
    if region["width"] <= 0 or region["height"] <= 0:
        blob = iteration.asset.blob
        region.update(width=float(blob.width), height=float(blob.height))
    return {
        "mode": JobMode.UPSCALE.value,
        "engine": iteration.job.engine or DEFAULT_ENGINE,
        "prompt": "",
        "negative_prompt": "",
        "strength": 0.0,
        "seed": random.randrange(protocol.SEED_LIMIT),
        "seed_mode": "random",
        "count": 1,
        "output_size": None,
        "scale": scale,
        "anchors": [],
        "region": region,
        "mask": None,
        "params": {},
        # The candidate, as a spec field rather than an engine param: params reach the engine
        # and a kit may lock them.
        "promoted_from": str(iteration.pk),
        "variables": dict((iteration.job.spec or {}).get("variables") or {}),
        "layers": result_layers(iteration, region),
    }


def result_layers(iteration: Iteration, region: dict[str, float]) -> list[dict[str, Any]]:
    """A job's layer snapshot that is the result image alone, over ``region``: a job built
    on a result (an upscale, a batch's refine of a drifted result) works on that image, not
    on whatever the board shows there now."""
    return [
        {
            "item_id": str(iteration.applied_item_id or iteration.pk),
            "asset_id": str(iteration.asset_id),
            **region,
            "rotation": 0.0,
            "opacity": 1.0,
            "z": 0.0,
        }
    ]
