"""A batch with a known matrix, for the matrix's API tests and its browser test.

``product`` × ``background`` (2 × 2) × 2 seeds = 8 jobs of the test-echo engine, run for
real through the queue; the job of (boot, snow, second seed) runs on test-broken and fails.
Consistency readings are written as scored rows (the stored form the review reads), so the
best-per-cell order is known exactly:

| cell            | first seed               | second seed  | best |
| sneaker · sand  | 0.80                     | 0.90         | second |
| sneaker · snow  | 0.30, drifted (lighting) | 0.70         | second |
| boot · sand     | 0.85                     | 0.85 (a tie) | first (completed earlier) |
| boot · snow     | 0.60                     | failed       | first |
"""

from __future__ import annotations

from typing import Any

from canvas.batches import runs
from canvas.jobs import queue, runner
from canvas.models import ConsistencyScore, Iteration, Job
from tests.jobs import engines  # noqa: F401  (registers test-echo and test-broken)
from tests.jobs.conftest import REGION, add_image

SCORES: dict[tuple[str, str], list[float | None]] = {
    ("sneaker", "sand"): [0.80, 0.90],
    ("sneaker", "snow"): [0.30, 0.70],
    ("boot", "sand"): [0.85, 0.85],
    ("boot", "snow"): [0.60, None],
}
DRIFTED = ("sneaker", "snow", 0)  # (product, background, seed position)
FAILED = ("boot", "snow", 1)


def spec() -> dict[str, Any]:
    return {
        "name": "Spring shoes",
        "prompt": "a {product} on {background}",
        "variables": {"product": ["sneaker", "boot"], "background": ["sand", "snow"]},
        "seeds": 2,
        "seed": 42,
        "engines": ["test-echo"],
        "targets": [{"region": REGION}],
    }


def run_all(worker: str = "matrix-test") -> int:
    ran = 0
    while (claim := queue.claim_next(worker)) is not None:
        runner.execute(claim.job_id, worker)
        ran += 1
    return ran


def cell_of(job: Job) -> tuple[str, str]:
    values = job.spec["variables"]
    return values["product"], values["background"]


def score(result: Iteration, value: float, *, drifted: bool = False) -> None:
    """A stored reading of ``result``: every metric at ``value``, lighting flagged."""
    for metric in ("palette", "lighting"):
        flag = None
        if drifted and metric == "lighting":
            flag = {
                "metric": "lighting",
                "component": "direction",
                "value": 0.7,
                "threshold": 0.35,
                "message": "The light comes from the other side.",
                "rank": 0,
            }
        ConsistencyScore.objects.create(
            board_id=result.board_id,
            asset_id=result.asset_id,
            iteration=result,
            metric=metric,
            fingerprint="refs-1",
            score=value,
            flag=flag,
        )


def seed_batch(board, owner) -> dict[str, Any]:
    """Start, run and score the batch on ``board`` (which needs no image: one is added).
    Returns the batch and, per cell, its results in seed order."""
    add_image(board, owner)
    batch, _ = runs.start_batch(board, owner, spec())
    seeds = [job.spec["seed"] for job in Job.objects.filter(batch=batch).order_by("position")[:2]]
    for job in Job.objects.filter(batch=batch):
        if (*cell_of(job), seeds.index(job.spec["seed"])) == FAILED:
            Job.objects.filter(pk=job.pk).update(engine="test-broken")
    run_all()
    cells: dict[tuple[str, str], list[Iteration]] = {key: [] for key in SCORES}
    for it in Iteration.objects.filter(job__batch=batch).select_related("job"):
        cells[cell_of(it.job)].append(it)
    for key, found in cells.items():
        found.sort(key=lambda it: seeds.index(it.job.spec["seed"]))
        for n, it in enumerate(found):
            value = SCORES[key][n]
            assert value is not None
            score(it, value, drifted=(*key, n) == DRIFTED)
    batch.refresh_from_db()
    return {"batch": batch, "cells": cells, "seeds": seeds}
