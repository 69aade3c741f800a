"""The consistency test: five variations of the same product shot with the board's anchors.

``begin`` starts a batch (canvas.batches.runs.start_batch, so the board's brand kit and the
engine's limits hold as for any batch) of one job per seed over the target, every job held
to the board's anchor images. The batch's results are scored by governance as they land
(canvas.governance: the board's anchors and kit, its calibrated drift flags); ``ready``
waits for the batch to end and for its results' scores (at most ``SCORE_WAIT`` after the
batch ended); ``result`` reads the jobs and the stored scores into the report. ``judge``
is the verdict, a pure function of the rows.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from django.utils import timezone

from canvas.batches.runs import start_batch
from canvas.governance.readings import consistency_by_asset
from canvas.models import Batch, Iteration, Job
from canvas.pilot import thresholds
from canvas.pilot.models import PilotRun, batch_key
from canvas.pilot.report import (
    ConsistencyNumbers,
    ConsistencyRow,
    ImageRef,
    MetricSpread,
    TestReport,
    Verdict,
)
from canvas.pilot.spec import anchor_items

SCORE_WAIT = timedelta(minutes=3)  # after the batch ended, for scores still being written
METRICS = ("lighting", "palette", "composition", "style")


def begin(run: PilotRun) -> dict[str, Any]:
    """Start the variations' batch; returns the run's fields to set. Raises AppError (a
    sentence) when the board's kit or the engine refuses every job."""
    anchors = [{"role": a.anchor_role, "item_id": str(a.pk)} for a in anchor_items(run.board)]
    raw = {
        "name": f"Pilot of {run.engine}: consistency",
        "prompt": run.settings["prompt"],
        "seeds": thresholds.CONSISTENCY_VARIATIONS,
        "engines": [run.engine],
        "targets": [run.settings["target"]],
        "anchor_sets": [anchors] if anchors else [],
    }
    batch, _ = start_batch(run.board, run.created_by, raw)
    return {"consistency_batch": batch}


def _jobs(batch_id: Any) -> list[Job]:
    return list(Job.objects.filter(batch_id=batch_key(batch_id)).order_by("position", "queued_at"))


def ready(run: PilotRun) -> bool:
    batch = Batch.objects.filter(pk=batch_key(run.consistency_batch_id)).first()
    if batch is None or batch.finished_at is None:
        return batch is None  # a deleted batch has nothing more to wait for
    if timezone.now() - batch.finished_at >= SCORE_WAIT:
        return True
    assets = Iteration.objects.filter(job__batch=batch).values_list("asset_id", flat=True)
    return all(found is not None for found in consistency_by_asset(assets).values())


def progress(run: PilotRun) -> float:
    jobs = _jobs(run.consistency_batch_id)
    return sum(j.is_finished for j in jobs) / max(1, len(jobs))


def rows_of(run: PilotRun) -> tuple[list[ConsistencyRow], list[ImageRef]]:
    """One row per variation job (its first result) and the images: results, then anchors."""
    jobs = _jobs(run.consistency_batch_id)
    results = {
        it.job_id: it for it in Iteration.objects.filter(job__in=jobs).order_by("-index")
    }  # a job's first result wins (index 0 read last)
    readings = consistency_by_asset(it.asset_id for it in results.values())
    rows: list[ConsistencyRow] = []
    images: list[ImageRef] = []
    for number, job in enumerate(jobs, start=1):
        it = results.get(job.pk)
        reading = readings.get(it.asset_id) if it is not None else None
        rows.append(
            {
                "job": str(job.pk),
                "state": job.state,
                "error_code": job.error_code,
                "iteration": str(it.pk) if it else None,
                "asset": str(it.asset_id) if it else None,
                "seed": job.spec.get("seed"),
                "scores": dict(reading["scores"]) if reading else {},
                "flags": list(reading["flags"]) if reading else [],
                "within_tolerance": (not reading["drift"]) if reading else None,
            }
        )
        if it is not None:
            images.append(
                {
                    "asset": str(it.asset_id),
                    "iteration": str(it.pk),
                    "job": str(job.pk),
                    "item": None,
                    "label": f"variation {number} (seed {job.spec.get('seed')})",
                }
            )
    for anchor in anchor_items(run.board):
        images.append(
            {
                "asset": str(anchor.asset_id),
                "iteration": None,
                "job": None,
                "item": str(anchor.pk),
                "label": f"{anchor.anchor_role} anchor “{anchor.name or 'unnamed'}”",
            }
        )
    return rows, images


def spreads(rows: list[ConsistencyRow]) -> list[MetricSpread]:
    out: list[MetricSpread] = []
    for metric in METRICS:
        values = [row["scores"][metric] for row in rows if metric in row["scores"]]
        if not values:
            continue
        out.append(
            {
                "metric": metric,
                "count": len(values),
                "min": round(min(values), 4),
                "max": round(max(values), 4),
                "mean": round(statistics.fmean(values), 4),
                "stdev": round(statistics.pstdev(values), 4),
                "spread": round(max(values) - min(values), 4),
            }
        )
    return out


def judge(rows: list[ConsistencyRow], wanted: int) -> tuple[Verdict, str, ConsistencyNumbers]:
    """Production when every variation was delivered and scored, none drifted and no
    metric's spread is above the limit (docs/pilot.md); the reason names what decided."""
    delivered = [row for row in rows if row["iteration"]]
    scored = [row for row in delivered if row["scores"]]
    flagged = [row for row in scored if row["within_tolerance"] is False]
    metrics = spreads(scored)
    numbers: ConsistencyNumbers = {
        "variations_requested": wanted,
        "variations_delivered": len(delivered),
        "jobs_failed": sum(row["state"] == "failed" for row in rows),
        "images_scored": len(scored),
        "images_flagged": len(flagged),
        "metrics": metrics,
    }
    limit = thresholds.CONSISTENCY_MAX_SPREAD
    if not delivered:
        errors = sorted({row["error_code"] for row in rows if row["error_code"]})
        why = f" ({', '.join(errors)})" if errors else ""
        return (
            "ideation",
            f"No variation was delivered: {len(rows)} jobs ended without a result{why}.",
            numbers,
        )
    problems = []
    if len(delivered) < wanted:
        problems.append(f"only {len(delivered)} of {wanted} variations were delivered")
    if len(scored) < len(delivered):
        problems.append(f"{len(delivered) - len(scored)} variations could not be scored")
    if flagged:
        first = flagged[0]["flags"][0]["message"] if flagged[0]["flags"] else ""
        problems.append(
            f"{len(flagged)} of {len(scored)} drifted outside the board's tolerance"
            + (f" (“{first}”)" if first else "")
        )
    wide = [m for m in metrics if (m["spread"] or 0) > limit]
    if wide:
        named = ", ".join(f"{m['metric']} {m['spread']:.2f}" for m in wide)
        problems.append(f"the scores spread too far ({named}; limit {limit:.2f})")
    if problems:
        return "ideation", _sentence(problems), numbers
    widest = max(metrics, key=lambda m: m["spread"] or 0, default=None)
    detail = (
        f"; the widest spread is {widest['metric']}'s {widest['spread']:.2f} (limit {limit:.2f})"
        if widest
        else ""
    )
    return (
        "production",
        f"All {len(delivered)} variations are within the board's tolerance{detail}.",
        numbers,
    )


def _sentence(problems: list[str]) -> str:
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "."


def result(run: PilotRun, test: TestReport) -> TestReport:
    """The finished test: ``test`` (its start time) completed from the jobs and scores."""
    rows, images = rows_of(run)
    verdict, reason, numbers = judge(rows, thresholds.CONSISTENCY_VARIATIONS)
    return {
        **test,
        "status": "done",
        "verdict": verdict,
        "reason": reason,
        "thresholds": thresholds.consistency(),
        "finished_at": timezone.now().isoformat(),
        "numbers": dict(numbers),
        "images": list(images),
        "rows": [dict(row) for row in rows],
        "batch": str(run.consistency_batch_id) if run.consistency_batch_id else None,
    }
