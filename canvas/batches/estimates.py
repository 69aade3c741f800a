"""What a batch will cost and take, per engine, and the brand-kit rules it will be held to.

Cost comes from the operator's price table (canvas.engines.prices: per image or per
megapixel, with a currency, keyed by engine name or by provider). An engine without a
price is ``unknown``, never 0: a free-looking estimate would be worse than none. Time
comes from this server's own history: the median running time of the engine's last
LATENCY_SAMPLE succeeded jobs, or ANCHORBOARD_BATCH_DEFAULT_JOB_SECONDS when it has none
(the estimate says which).

Estimates are read-only and cheap: one query per engine and one for the kit.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from canvas.batches.expansion import ExpandedJob, Expansion
from canvas.engines.prices import Price, price_for, provider_of
from canvas.governance.kits.services import board_kit, content_of
from canvas.jobs import config
from canvas.models import Board, Job, JobState
from foundation import knobs
from foundation.config import read

LATENCY_SAMPLE = 20  # finished jobs per engine the median is taken over


def seconds_per_job(engine: str) -> tuple[float, str]:
    """Median running time of the engine's recent succeeded jobs, and where it came from."""
    recent = (
        Job.objects.filter(
            engine=engine,
            state=JobState.SUCCEEDED,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:LATENCY_SAMPLE]
    )
    durations = [(end - start).total_seconds() for start, end in recent if start and end]
    if not durations:
        return read(knobs.BATCH_DEFAULT_JOB_SECONDS), "default"
    return statistics.median(durations), f"median of the last {len(durations)} jobs"


def _megapixels(job: ExpandedJob) -> float:
    spec = job.spec or job.raw
    size = spec.get("output_size")
    width, height = size if size else (spec["region"]["width"], spec["region"]["height"])
    return width * height / 1e6 * spec.get("count", 1)


def _cost(price: Price | None, jobs: list[ExpandedJob]) -> dict[str, Any] | str:
    if price is None:
        return "unknown"
    if price.unit == "image":
        amount = price.amount * sum((j.spec or j.raw).get("count", 1) for j in jobs)
    else:
        amount = price.amount * sum(_megapixels(j) for j in jobs)
    return {"amount": round(amount, 4), "currency": price.currency, "per": price.unit}


def engine_estimates(expansion: Expansion) -> list[dict[str, Any]]:
    """One row per engine the accepted jobs use: count, cost, time."""
    by_engine: dict[str, list[ExpandedJob]] = defaultdict(list)
    for job in expansion.accepted():
        by_engine[job.engine].append(job)
    rows = []
    for engine, jobs in sorted(by_engine.items()):
        per_job, basis = seconds_per_job(engine)
        parallel = config.engine_concurrency(engine) or 1
        rows.append(
            {
                "engine": engine,
                "provider": provider_of(engine),
                "jobs": len(jobs),
                "cost": _cost(price_for(engine), jobs),
                "seconds_per_job": round(per_job, 2),
                "time_basis": basis,
                "parallel": parallel,
                "seconds": round(math.ceil(len(jobs) / parallel) * per_job, 1),
            }
        )
    return rows


def kit_rules(board: Board) -> dict[str, Any] | None:
    """The brand kit every job of the batch is held to, or None when the board has none."""
    version = board_kit(board)
    if version is None:
        return None
    content = content_of(version)
    return {
        "kit": str(version.kit_id),
        "name": version.name,
        "version": version.number,
        "locks": list(content.locks),
        "engine": content.engine or None,
        "required_roles": list(content.required_roles),
    }
