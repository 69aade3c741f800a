"""The latency test: N jobs at concurrency C, steady or as a burst.

``begin`` starts one batch of N jobs (canvas.batches.runs.start_batch: bulk priority, the
board's kit, the queue's retries and fallbacks) and, in the same transaction, holds all but
the first C of them (``not_before`` = ``HELD``: the queue does not claim them). ``top_up``
releases held jobs as released ones end, so at most C are queued or running at once:

- **steady** (default): a released job's ``queued_at`` becomes its release time — each job
  is submitted when a slot frees, as C designers working in turn would;
- **burst**: ``queued_at`` stays the batch's start — all N arrive at once, as at peak
  hours, and the wait for a free slot counts in their time to delivery.

``top_up`` runs in the transaction of a job's end (canvas.pilot.tasks, on ``job_changed``)
and on every upkeep tick; the batch row is locked first, so two workers ending jobs at
once count settled numbers and never release more than C.

``result`` reads only what the job path recorded: the jobs' times, attempts and error
classes, and their ``ProviderCall`` rows (calls, failures, retries, fallbacks). No second
clock: time to delivery is ``finished_at − queued_at`` of each succeeded job, as the
dashboard defines it (docs/dashboard.md).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas.batches.runs import start_batch
from canvas.jobs import lifecycle
from canvas.models import Batch, BatchState, Iteration, Job, JobState, ProviderCall
from canvas.pilot import thresholds
from canvas.pilot.models import PilotRun, batch_key
from canvas.pilot.report import (
    FailureClass,
    ImageRef,
    LatencyNumbers,
    LatencyRow,
    TestReport,
    Verdict,
)
from canvas.pilot.spec import anchor_items

HELD = datetime(2999, 1, 1, tzinfo=UTC)  # a pilot's job not yet released to the queue
OUTSTANDING = (JobState.QUEUED, JobState.RUNNING)


def begin(run: PilotRun) -> dict[str, Any]:
    """Start the batch with all but C jobs held; returns the run's fields to set. Call it
    inside a transaction (the hold must commit with the jobs)."""
    anchors = [{"role": a.anchor_role, "item_id": str(a.pk)} for a in anchor_items(run.board)]
    raw = {
        "name": f"Pilot of {run.engine}: latency",
        "prompt": run.settings["prompt"],
        "seeds": run.settings["jobs"],
        "engines": [run.engine],
        "targets": [run.settings["target"]],
        "anchor_sets": [anchors] if anchors else [],
    }
    batch, _ = start_batch(run.board, run.created_by, raw)
    jobs = Job.objects.filter(batch=batch).order_by("position").values_list("pk", flat=True)
    held = list(jobs[run.settings["concurrency"] :])
    Job.objects.filter(pk__in=held).update(not_before=HELD)
    return {"latency_batch": batch}


def top_up(batch_id: Any, concurrency: int, burst: bool) -> int:
    """Release held jobs of the batch until C are queued or running; returns how many."""
    with transaction.atomic():
        state = Batch.objects.select_for_update().filter(pk=batch_id).values_list("state")
        if [row[0] for row in state] != [BatchState.RUNNING]:
            return 0  # paused, cancelled or gone: its held jobs stay held (or are cancelled)
        jobs = Job.objects.filter(batch_id=batch_id)
        outstanding = jobs.filter(state__in=OUTSTANDING).exclude(not_before=HELD).count()
        free = concurrency - outstanding
        if free <= 0:
            return 0
        held = jobs.filter(state=JobState.QUEUED, not_before=HELD).order_by("position")
        released = 0
        now = timezone.now()
        for pk in held.values_list("pk", flat=True)[:free]:
            fields: dict[str, Any] = {"not_before": None}
            if not burst:
                fields["queued_at"] = now
            if lifecycle.transition(pk, JobState.QUEUED, JobState.QUEUED, **fields):
                released += 1
        if released:
            lifecycle.wake_workers_after_commit()
    return released


def ready(run: PilotRun) -> bool:
    batch = (
        Batch.objects.filter(pk=batch_key(run.latency_batch_id)).values_list("finished_at").first()
    )
    return batch is None or batch[0] is not None


def progress(run: PilotRun) -> float:
    jobs = Job.objects.filter(batch_id=batch_key(run.latency_batch_id))
    total = jobs.count()
    return jobs.exclude(state__in=OUTSTANDING).count() / max(1, total)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds(), 3)


def nearest_rank(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (the value at rank ⌈share·n⌉): an observed value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def max_running(rows: list[LatencyRow]) -> int:
    """The most jobs running at once, from each job's last attempt's start and its end."""
    edges: list[tuple[str, int]] = []
    for row in rows:
        if row["started_at"] and row["finished_at"]:
            edges += [(row["started_at"], 1), (row["finished_at"], -1)]
    running = peak = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):  # ends before starts at a tie
        running += step
        peak = max(peak, running)
    return peak


def rows_of(run: PilotRun) -> tuple[list[LatencyRow], list[dict[str, Any]], list[ImageRef]]:
    """One row per job, the provider calls behind them, and the results' images."""
    jobs = list(Job.objects.filter(batch_id=batch_key(run.latency_batch_id)).order_by("position"))
    calls = list(ProviderCall.objects.filter(job__in=jobs).order_by("created_at", "pk"))
    by_job: dict[Any, list[ProviderCall]] = {}
    for call in calls:
        by_job.setdefault(call.job_id, []).append(call)
    rows: list[LatencyRow] = []
    for job in jobs:
        mine = by_job.get(job.pk, [])
        rows.append(
            {
                "job": str(job.pk),
                "state": job.state,
                "error_code": job.error_code,
                "attempts": job.attempts,
                "queued_at": job.queued_at.isoformat(),
                "started_at": job.started_at.isoformat() if job.started_at else None,
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "delivery_seconds": _seconds(job.queued_at, job.finished_at)
                if job.state == JobState.SUCCEEDED
                else None,
                "calls": len(mine),
                "calls_failed": sum(c.outcome in ("transient", "permanent") for c in mine),
                "fallback": any(c.fallback for c in mine),
                "providers": [c.provider for c in mine],
            }
        )
    call_rows = [
        {
            "job": str(c.job_id),
            "provider": c.provider,
            "model": c.model,
            "attempt": c.attempt,
            "outcome": c.outcome,
            "error_code": c.error_code,
            "fallback": c.fallback,
            "latency_ms": c.latency_ms,
            "cost": str(c.cost) if c.cost is not None else None,
            "currency": c.currency,
        }
        for c in calls
    ]
    images: list[ImageRef] = [
        {
            "asset": str(it.asset_id),
            "iteration": str(it.pk),
            "job": str(it.job_id),
            "item": None,
            "label": f"latency result {n}",
        }
        for n, it in enumerate(
            Iteration.objects.filter(job__in=jobs).order_by("job__position", "index"), start=1
        )
    ]
    return rows, call_rows, images


def numbers_of(
    rows: list[LatencyRow], call_rows: list[dict[str, Any]], settings: dict[str, Any]
) -> LatencyNumbers:
    states = Counter(row["state"] for row in rows)
    ended = states[JobState.SUCCEEDED] + states[JobState.FAILED]
    delivery = [row["delivery_seconds"] for row in rows if row["delivery_seconds"] is not None]
    waits = [
        (datetime.fromisoformat(r["started_at"]) - datetime.fromisoformat(r["queued_at"]))
        for r in rows
        if r["started_at"] and r["finished_at"]
    ]
    runs = [
        (datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["started_at"]))
        for r in rows
        if r["started_at"] and r["finished_at"]
    ]
    classes: dict[str, FailureClass] = {}
    for row in rows:
        if row["state"] == JobState.FAILED:
            code = row["error_code"] or "unknown"
            entry = classes.setdefault(code, {"error_class": code, "jobs": 0, "message": ""})
            entry["jobs"] += 1
    return {
        "jobs": len(rows),
        "concurrency": settings["concurrency"],
        "burst": settings["burst"],
        "succeeded": states[JobState.SUCCEEDED],
        "failed": states[JobState.FAILED],
        "cancelled": states[JobState.CANCELLED],
        "failure_rate": round(states[JobState.FAILED] / ended, 4) if ended else None,
        "delivery_p50_seconds": nearest_rank(delivery, 0.5),
        "delivery_p95_seconds": nearest_rank(delivery, 0.95),
        "delivery_max_seconds": max(delivery) if delivery else None,
        "mean_queue_wait_seconds": round(sum(w.total_seconds() for w in waits) / len(waits), 3)
        if waits
        else None,
        "mean_run_seconds": round(sum(r.total_seconds() for r in runs) / len(runs), 3)
        if runs
        else None,
        "failures": sorted(classes.values(), key=lambda c: (-c["jobs"], c["error_class"])),
        "retried_jobs": sum(row["attempts"] > 1 for row in rows),
        "attempts": sum(row["attempts"] for row in rows),
        "calls": len(call_rows),
        "calls_failed": sum(c["outcome"] in ("transient", "permanent") for c in call_rows),
        "call_retries": sum(c["attempt"] > 1 for c in call_rows),
        "fallbacks": sum(bool(c["fallback"]) for c in call_rows),
        "max_running_observed": max_running(rows),
    }


def judge(numbers: LatencyNumbers) -> tuple[Verdict, str]:
    """Production when the failure rate and the p95 time to delivery are within the limits."""
    rate_limit = thresholds.LATENCY_MAX_FAILURE_RATE
    p95_limit = thresholds.LATENCY_MAX_P95_SECONDS
    rate, p95 = numbers["failure_rate"], numbers["delivery_p95_seconds"]
    failed, ended = numbers["failed"], numbers["succeeded"] + numbers["failed"]
    if rate is None:
        return "ideation", f"No job ended: {numbers['cancelled']} were cancelled."
    failures = f"{failed} of {ended} jobs failed ({rate:.0%}, limit {rate_limit:.0%})"
    worst = f", mostly {numbers['failures'][0]['error_class']}" if numbers["failures"] else ""
    if p95 is None:
        return "ideation", f"No job was delivered: {failures}{worst}."
    timing = f"p95 time to delivery was {p95:.1f} s (limit {p95_limit:.0f} s)"
    problems = []
    if rate > rate_limit:
        problems.append(f"{failures}{worst}")
    if p95 > p95_limit:
        problems.append(timing)
    if problems:
        text = "; ".join(problems)
        return "ideation", text[0].upper() + text[1:] + "."
    return "production", f"{timing[0].upper() + timing[1:]}; {failures}."


def result(run: PilotRun, test: TestReport) -> TestReport:
    rows, call_rows, images = rows_of(run)
    numbers = numbers_of(rows, call_rows, run.settings)
    messages = dict(
        Job.objects.filter(batch_id=batch_key(run.latency_batch_id), state=JobState.FAILED)
        .order_by("position")
        .values_list("error_code", "error_message")
    )
    for entry in numbers["failures"]:
        entry["message"] = messages.get(entry["error_class"], "") or ""
    verdict, reason = judge(numbers)
    return {
        **test,
        "status": "done",
        "verdict": verdict,
        "reason": reason,
        "thresholds": thresholds.latency(),
        "finished_at": timezone.now().isoformat(),
        "numbers": dict(numbers),
        "images": list(images),
        "rows": [dict(row) for row in rows],
        "batch": str(run.latency_batch_id) if run.latency_batch_id else None,
        "calls": call_rows,
    }
