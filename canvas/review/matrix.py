"""A batch's results as a matrix: rows = one axis, columns = another, each cell the jobs and
results of one pair of values, with its counts and its results best first.

Axes are the batch's variables (in the spec's order, values as written) and, when they
vary, its engines, seeds and anchor sets (built-in axes ``engine``, ``seed``,
``anchor_set``; a variable of the same name wins). A job's place comes from what it
recorded: its spec's ``variables``, engine, seed and anchors — re-runs and refine jobs
copy them, so they land in the cell of the job they redo.

**Best** (docs/batches.md "The matrix"): results the drift check did not flag before
flagged ones, scored before unscored, then the highest consistency score (a result's
*worst* metric score of its latest check, as the review grid's consistency order reads it),
then the earlier completed, then expansion order. ``ranked`` is that order; the cell lists
its results in it.

Counts are of the batch's jobs that still count: a job retried in the batch (a re-run,
canvas.review.reruns, or the job's own Retry) is replaced by its retry, here as in the
batch's progress (canvas.batches.progress.current_jobs). Read-only: canvas.review.batch_picks and
canvas.review.reruns write.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from assets.presenters import canvas_asset
from canvas.batches.expansion import batch_seeds
from canvas.batches.progress import current_jobs
from canvas.batches.spec import BatchSpec, InvalidBatch
from canvas.governance import readings
from canvas.members.services import display_name
from canvas.models import Batch, BatchApproval, Decision, Iteration, Job, JobState
from canvas.review.decisions import CANDIDATE_STATUSES

BUILT_IN_AXES = ("engine", "seed", "anchor_set")
BEST_RULE = (
    "Not drifted before drifted, scored before unscored, then the highest consistency "
    "score (the worst metric of the latest check), then the earliest completed."
)


@dataclass(frozen=True)
class Axis:
    key: str
    label: str
    kind: str  # variable, engine, seed, anchor_set
    values: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kind": self.kind, "values": self.values}


def _anchor_key(anchors: list[Any]) -> tuple[str, ...]:
    return tuple(sorted(str(a.get("item_id")) for a in anchors if isinstance(a, dict)))


def axes(batch: Batch) -> list[Axis]:
    """Every axis a matrix of ``batch`` can use: its variables, then the built-ins that vary."""
    spec = BatchSpec.model_validate(batch.spec)
    found = [Axis(name, name, "variable", tuple(values)) for name, values in spec.variables.items()]
    engines = tuple(dict.fromkeys(choice.name for choice in spec.engines))
    seeds = tuple(str(seed) for seed in batch_seeds(spec))
    sets = tuple(str(n + 1) for n in range(len(spec.anchor_sets)))
    for key, label, values in (
        ("engine", "Engine", engines),
        ("seed", "Seed", seeds),
        ("anchor_set", "Anchor set", sets),
    ):
        if len(values) > 1 and key not in spec.variables:
            found.append(Axis(key, label, key, values))
    return found


def value_of(axis: Axis, job: Job, anchor_sets: dict[tuple[str, ...], str]) -> str | None:
    spec = job.spec or {}
    if axis.kind == "variable":
        value = (spec.get("variables") or {}).get(axis.key)
        return None if value is None else str(value)
    if axis.kind == "engine":
        return job.engine
    if axis.kind == "seed":
        return None if spec.get("seed") is None else str(spec["seed"])
    return anchor_sets.get(_anchor_key(spec.get("anchors") or []))


@dataclass
class Result:
    iteration: Iteration
    decision: Decision | None
    consistency: dict[str, Any] | None

    @property
    def drift(self) -> bool:
        return bool(self.consistency and self.consistency.get("drift"))

    @property
    def score(self) -> float | None:
        scores = (self.consistency or {}).get("scores") or {}
        return min(scores.values()) if scores else None

    @property
    def verdict(self) -> str:
        return (self.decision.status if self.decision else "") or "undecided"

    @property
    def decided_by_hand(self) -> bool:
        return bool(self.decision and self.decision.status and not self.decision.automatic)

    def rank(self) -> tuple[Any, ...]:
        it = self.iteration
        score = self.score
        return (
            self.drift,
            score is None,
            -(score or 0.0),
            it.created_at,
            it.job.position,
            it.index,
        )

    def payload(self) -> dict[str, Any]:
        it, consistency = self.iteration, self.consistency or {}
        flags = consistency.get("flags") or []
        return {
            "id": str(it.pk),
            "job": str(it.job_id),
            "number": it.index + 1,
            "refines": str(it.job.parent_iteration_id) if it.job.parent_iteration_id else None,
            "asset": canvas_asset(it.asset),
            "created_at": it.created_at.isoformat(),
            "decision": self.verdict,
            "automatic": bool(self.decision and self.decision.automatic),
            "drift": self.drift,
            "drift_metric": flags[0]["metric"] if flags else None,
            "score": None if self.score is None else round(self.score, 4),
        }


@dataclass
class Cell:
    row: str | None
    col: str | None
    states: dict[str, int] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    def ranked(self) -> list[Result]:
        return sorted(self.results, key=Result.rank)

    @property
    def decided_by_hand(self) -> bool:
        return any(r.decided_by_hand for r in self.results)

    def payload(self) -> dict[str, Any]:
        states = self.states
        return {
            "row": self.row,
            "col": self.col,
            "jobs": sum(states.values()),
            "done": states.get(JobState.SUCCEEDED, 0),
            "failed": states.get(JobState.FAILED, 0),
            "active": states.get(JobState.QUEUED, 0) + states.get(JobState.RUNNING, 0),
            "cancelled": states.get(JobState.CANCELLED, 0),
            "results": len(self.results),
            "drifted": sum(r.drift for r in self.results),
            "approved": sum(r.verdict == "approved" for r in self.results),
            "decided_by_hand": self.decided_by_hand,
            "candidates": [r.payload() for r in self.ranked()],
        }


@dataclass
class Matrix:
    batch: Batch
    axes: list[Axis]
    rows: Axis | None
    cols: Axis | None
    cells: list[Cell]


def _pick(found: list[Axis], key: str | None, what: str) -> Axis | None:
    if not key:
        return None
    for axis in found:
        if axis.key == key:
            return axis
    names = ", ".join(a.key for a in found) or "none"
    raise InvalidBatch(f"This batch has no axis “{key}” for the {what}; it has: {names}.")


def default_axes(found: list[Axis]) -> tuple[str | None, str | None]:
    """Two variables: the first down, the second across; one: a single row across."""
    if len(found) >= 2:
        return found[0].key, found[1].key
    return None, (found[0].key if found else None)


def build(batch: Batch, rows: str | None = None, cols: str | None = None) -> Matrix:
    """The matrix of ``batch`` with ``rows`` down and ``cols`` across (axis keys; None: one
    row or one column). A job whose value is not among the axis's values (an engine the
    brand kit chose instead) adds that value at the end."""
    found = axes(batch)
    row_axis, col_axis = _pick(found, rows, "rows"), _pick(found, cols, "columns")
    if row_axis is not None and col_axis is not None and row_axis.key == col_axis.key:
        raise InvalidBatch("Pick two different axes for the rows and the columns.")
    spec = BatchSpec.model_validate(batch.spec)
    anchor_sets = {
        _anchor_key([a.model_dump() for a in group]): str(n + 1)
        for n, group in enumerate(spec.anchor_sets)
    }
    row_values: list[str | None] = list(row_axis.values) if row_axis else [None]
    col_values: list[str | None] = list(col_axis.values) if col_axis else [None]
    jobs = list(current_jobs(batch.pk).only("pk", "state", "engine", "spec", "position"))
    place: dict[Any, tuple[str | None, str | None]] = {}
    for job in jobs:
        row = value_of(row_axis, job, anchor_sets) if row_axis else None
        col = value_of(col_axis, job, anchor_sets) if col_axis else None
        if row_axis and row not in row_values:
            row_values.append(row)
        if col_axis and col not in col_values:
            col_values.append(col)
        place[job.pk] = (row, col)
    cells = {key: Cell(*key) for key in itertools.product(row_values, col_values)}
    for job in jobs:
        states = cells[place[job.pk]].states
        states[job.state] = states.get(job.state, 0) + 1
    iterations = list(
        Iteration.objects.filter(job__in=list(place), status__in=CANDIDATE_STATUSES)
        .select_related("job", "asset__blob")
        .order_by("job__position", "index")
    )
    decisions = {d.iteration_id: d for d in Decision.objects.filter(iteration__in=iterations)}
    consistency = readings.consistency_by_asset(it.asset_id for it in iterations)
    for it in iterations:
        result = Result(it, decisions.get(it.pk), consistency.get(it.asset_id))
        cells[place[it.job_id]].results.append(result)
    return Matrix(batch, found, row_axis, col_axis, list(cells.values()))


def drifted_unrefined(batch: Batch, matrix: Matrix) -> list[Iteration]:
    """Flagged results of the batch that no refine job of the batch works on yet."""
    refined = set(
        Job.objects.filter(batch=batch, parent_iteration__isnull=False).values_list(
            "parent_iteration_id", flat=True
        )
    )
    return [
        r.iteration
        for cell in matrix.cells
        for r in cell.results
        if r.drift and r.iteration.pk not in refined
    ]


def failed_jobs(batch: Batch) -> QuerySet[Job]:
    """The batch's failed jobs that were not re-run yet."""
    return current_jobs(batch.pk).filter(state=JobState.FAILED)


def matrix_payload(matrix: Matrix) -> dict[str, Any]:
    batch = matrix.batch
    last = (
        BatchApproval.objects.filter(batch=batch, undone_at__isnull=True)
        .select_related("created_by")
        .first()
    )
    cells = [cell.payload() for cell in matrix.cells]
    totals = {
        key: sum(c[key] for c in cells)
        for key in ("jobs", "done", "failed", "active", "results", "drifted", "approved")
    }
    return {
        "batch": {"id": str(batch.pk), "name": batch.name, "state": batch.state},
        "axes": [axis.payload() for axis in matrix.axes],
        "rows": matrix.rows.payload() if matrix.rows else None,
        "cols": matrix.cols.payload() if matrix.cols else None,
        "row_values": list(dict.fromkeys(c.row for c in matrix.cells)),
        "col_values": list(dict.fromkeys(c.col for c in matrix.cells)),
        "cells": cells,
        "totals": totals,
        "best_rule": BEST_RULE,
        "can_rerun": {
            "failed": failed_jobs(batch).count(),
            "drifted": len(drifted_unrefined(batch, matrix)),
        },
        "last_approval": approval_payload(last) if last else None,
    }


def approval_payload(approval: BatchApproval) -> dict[str, Any]:
    by = approval.created_by
    return {
        "id": str(approval.pk),
        "batch": str(approval.batch_id),
        "per_cell": approval.per_cell,
        "approved": len(approval.picks),
        "by": {"id": by.pk, "name": display_name(by)} if by else None,
        "at": approval.created_at.isoformat(),
        "undone_at": approval.undone_at.isoformat() if approval.undone_at else None,
    }
