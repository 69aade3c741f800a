"""The dry run: what a batch would do on a board, without creating a single job.

One domain function for the API (used by the CLI and the canvas's Batch… dialog): parse the spec,
expand it through the one job spec validator, estimate per engine, name the brand kit — and
shape it all as the reply. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from canvas.batches.estimates import engine_estimates, kit_rules
from canvas.batches.expansion import ExpandedJob, batch_seeds, expand
from canvas.batches.spec import parse_batch_spec
from canvas.jobs.queue import InvalidJob
from canvas.models import Board

SHOWN_JOBS = 10  # how many expanded jobs the preview spells out


def job_preview(job: ExpandedJob) -> dict[str, Any]:
    spec = job.spec or job.raw
    return {
        "index": job.cell.index,
        "prompt": spec["prompt"],
        "engine": job.engine,
        "seed": spec["seed"],
        "variables": dict(job.cell.values),
        "anchor_set": job.cell.anchor_set,
        "target": job.cell.target,
        "refusal": job.refusal,
    }


def dry_run(board: Board, raw: Any) -> dict[str, Any]:
    """The expansion summary and estimates of ``raw`` (a batch spec) on ``board``.

    Raises InvalidBatch for a spec that cannot be expanded at all; jobs the board's kit or
    an engine refuses are reported in ``refusals``, not raised.
    """
    if board.is_archived:
        raise InvalidJob("This board is archived; restore it before running batches.")
    spec = parse_batch_spec(raw)
    expansion = expand(board, spec)
    accepted = expansion.accepted()
    return {
        "dry_run": True,
        "name": spec.name,
        "seed": spec.seed,
        "seeds": batch_seeds(spec),
        "jobs": len(expansion.jobs),
        "accepted": len(accepted),
        "refused": len(expansion.jobs) - len(accepted),
        "engines": engine_estimates(expansion),
        "first_jobs": [job_preview(job) for job in expansion.jobs[:SHOWN_JOBS]],
        "refusals": expansion.refusals(),
        "brand_kit": kit_rules(board),
    }
