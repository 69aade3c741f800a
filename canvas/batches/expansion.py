"""A batch spec → its ordered job specs, each passed through the one job spec validator.

The expansion is the cartesian product values × anchor sets × seeds × engines × targets, in
that nesting order (the last varies fastest), so a job's index says where it sits in the
matrix. Every raw job spec goes through canvas.jobs.queue.normalise_spec and
check_with_engine — exactly what one submitted job goes through — so the board's brand kit
(template, defaults, locks) and the engine's own limits apply. A job they refuse is kept
with its refusal instead of stopping the expansion: a dry run shows every refusal at once.

This module queues nothing and writes nothing (canvas.batches.runs creates the jobs).
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from canvas.batches.spec import PLACEHOLDER, BatchSpec, EngineChoice, Target
from canvas.compositing import item_bounds
from canvas.engines.base import EngineError
from canvas.jobs.board_reads import BoardReads
from canvas.jobs.queue import InvalidJob, check_with_engine, normalise_spec
from canvas.models import Board, Item
from canvas.protocol import limits
from foundation.errors import AppError


@dataclass(frozen=True)
class Cell:
    """One point of the product: the choices one job is made from."""

    index: int
    values: dict[str, str]
    anchor_set: int  # index into spec.anchor_sets (0 when the batch has none)
    seed: int
    engine: EngineChoice
    target: int  # index into spec.targets


@dataclass
class ExpandedJob:
    """One job of the batch: its cell, the raw spec, and the validated spec or the refusal."""

    cell: Cell
    raw: dict[str, Any]
    spec: dict[str, Any] | None = None
    refusal: dict[str, str] | None = None

    @property
    def engine(self) -> str:
        # The kit may change the engine of a job that did not lock it; the validated one wins.
        return (self.spec or self.raw)["engine"]


@dataclass
class Expansion:
    batch: BatchSpec
    jobs: list[ExpandedJob] = field(default_factory=list)

    def accepted(self) -> list[ExpandedJob]:
        return [job for job in self.jobs if job.spec is not None]

    def refusals(self) -> list[dict[str, Any]]:
        """Refusals grouped by sentence: how many jobs each refuses and the first of them."""
        counts: Counter[tuple[str, str]] = Counter()
        first: dict[tuple[str, str], int] = {}
        for job in self.jobs:
            if job.refusal is not None:
                key = (job.refusal["code"], job.refusal["message"])
                counts[key] += 1
                first.setdefault(key, job.cell.index)
        return [
            {"code": code, "message": message, "jobs": n, "first_job": first[(code, message)]}
            for (code, message), n in counts.items()
        ]


def derive_seed(base: int, seed_index: int) -> int:
    """The seed_index-th seed of a batch whose base seed is ``base``: the same on every
    expansion and every server (a hash, not a random generator whose algorithm may change).

    Seeds depend on the seed's position only, not on the cell, so every cell of the matrix
    uses the same seeds: two variable values are then compared on equal terms.
    """
    digest = hashlib.sha256(f"anchorboard-batch:{base}:{seed_index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % limits.SEED_LIMIT


def batch_seeds(spec: BatchSpec) -> list[int]:
    if isinstance(spec.seeds, list):
        return list(spec.seeds)
    base = spec.seed if spec.seed is not None else 0
    return [derive_seed(base, i) for i in range(spec.seeds)]


def fill(template: str, values: dict[str, str]) -> str:
    """The template with each ``{name}`` that has a value replaced; other braces stay."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def cells(spec: BatchSpec) -> Iterator[Cell]:
    """Every cell of the product, in expansion order."""
    names = list(spec.variables)
    rows = itertools.product(*(spec.variables[n] for n in names))
    anchor_sets = range(max(1, len(spec.anchor_sets)))
    product = itertools.product(
        rows, anchor_sets, batch_seeds(spec), spec.engines, range(len(spec.targets))
    )
    for index, (row, anchor_set, seed, engine, target) in enumerate(product):
        yield Cell(index, dict(zip(names, row, strict=True)), anchor_set, seed, engine, target)


def target_region(board: Board, target: Target) -> dict[str, float]:
    """A target's region in board units; an item target uses the item's bounds now."""
    if target.region is not None:
        return target.region.model_dump()
    assert target.item_id is not None  # Target checks it has one or the other
    item = Item.objects.filter(pk=target.item_id, board=board, deleted=False).first()
    if item is None:
        raise InvalidJob("One of the targets is not an item on this board; pick another frame.")
    x0, y0, x1, y1 = item_bounds(item.x, item.y, item.width, item.height, item.rotation)
    return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}


def raw_job_spec(spec: BatchSpec, cell: Cell, region: dict[str, float]) -> dict[str, Any]:
    """The job spec one cell stands for, as a client would submit it.

    ``variables`` records the values that made the job (the matrix view groups by them) and
    fills the brand kit's own template variables of the same names.
    """
    raw: dict[str, Any] = {
        "mode": spec.mode,
        "engine": cell.engine.name,
        "region": region,
        "prompt": fill(spec.prompt, cell.values),
        "negative_prompt": fill(spec.negative_prompt, cell.values),
        "seed": cell.seed,
        "seed_mode": "fixed",
        "anchors": [a.model_dump() for a in spec.anchor_sets[cell.anchor_set]]
        if spec.anchor_sets
        else [],
        "params": dict(cell.engine.params),
        "variables": dict(cell.values),
    }
    for name in ("strength", "scale"):
        value = getattr(cell.engine, name)
        if value is not None:
            raw[name] = value
    if cell.engine.output_size is not None:
        raw["output_size"] = cell.engine.output_size.model_dump()
    if spec.video is not None:
        raw["video"] = spec.video.model_dump(mode="json")
    return raw


def _refusal(exc: AppError | EngineError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message}


def expand(board: Board, spec: BatchSpec) -> Expansion:
    """Every job of the batch on ``board``, validated; refusals are collected, not raised.

    The board's items and kit are read once for all jobs, each target's layer snapshot
    once (canvas.jobs.board_reads): 500 jobs cost a handful of queries, not thousands.
    """
    reads = BoardReads(board)
    expansion = Expansion(batch=spec)
    regions: dict[int, dict[str, float] | AppError] = {}
    for index, target in enumerate(spec.targets):
        try:
            regions[index] = target_region(board, target)
        except AppError as exc:
            regions[index] = exc
    for cell in cells(spec):
        region = regions[cell.target]
        if isinstance(region, AppError):
            placeholder = {"x": 0.0, "y": 0.0, "width": 0.0, "height": 0.0}
            job = ExpandedJob(cell, raw_job_spec(spec, cell, placeholder), refusal=_refusal(region))
            expansion.jobs.append(job)
            continue
        job = ExpandedJob(cell, raw_job_spec(spec, cell, region))
        try:
            validated = normalise_spec(board, job.raw, reads)
            check_with_engine(validated)
        except (AppError, EngineError) as exc:
            job.refusal = _refusal(exc)
        else:
            job.spec = validated
        expansion.jobs.append(job)
    return expansion
