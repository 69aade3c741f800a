"""The dashboard's numbers for one scope and date range, read from the roll-ups only.

``Scope`` says which roll-up rows count (a team's or one board's, optionally one provider's
or one person's, between two instants, by hour or by day) and which level holds them
(canvas.ops.levels.level_for): a team's view, whole or narrowed to one provider or one
person, reads its pre-summed level (one row a bucket); a board's view the fine rows of that
board (docs/dashboard.md, "Levels"); ``numbers`` sums them per bucket and in total and
adds what only the present knows: each provider's breaker now and the queue (depth and
oldest waiting job, a read of the queued jobs only). ``csv_table`` turns one series into
rows for a CSV download. Rates are None, not 0, when nothing was counted.

The caller (canvas.ops.api) has checked the caller's role; this module never does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.utils import timezone

from canvas.jobs.slots import provider_of
from canvas.models import Job, JobState, ProviderHealth
from canvas.ops import histogram
from canvas.ops.levels import Level, level_for
from canvas.ops.models import (
    COUNTERS,
    HISTOGRAM,
    WAIT_HISTOGRAM,
    BreakdownKind,
    Granularity,
)

SUMMED = ("megapixels", *COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
SERIES = (
    "throughput", "delivery", "queue_wait", "failures", "failures_over_time", "retries",
    "approval", "drift", "cost", "breakers", "queue",
)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """Which roll-up rows count: ``team`` or ``board`` (a UUID string), maybe narrowed."""

    start: datetime
    end: datetime
    granularity: str = Granularity.HOUR
    team: str = ""
    board: str = ""
    provider: str = ""
    user: int | None = None

    @property
    def level(self) -> Level:
        """The level whose rows answer this scope (canvas.ops.levels)."""
        return level_for(board=self.board, provider=self.provider, user=self.user)

    def rollups(self) -> QuerySet[Any]:
        """The counter rows that count, from the level that holds this scope."""
        return self.filter(self.level.rollup._default_manager.all())

    def breakdowns(self) -> QuerySet[Any]:
        """The failure and cost rows that count, from the level that holds this scope."""
        return self.filter(self.level.breakdown._default_manager.all())

    def filter(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """The scope's rows of one level's table (the level has every dimension the scope
        narrows by: ``level_for`` picks it so)."""
        rows = rows.filter(
            granularity=self.granularity, bucket_start__gte=self.start, bucket_start__lt=self.end
        )
        rows = rows.filter(board=self.board) if self.board else rows.filter(team=self.team)
        if self.provider:
            rows = rows.filter(provider=self.provider)
        if self.user is not None:
            rows = rows.filter(user=self.user)
        return rows


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean_seconds(total_ms: int, count: int) -> float | None:
    return round(total_ms / count / 1000, 3) if count else None


def _figures(sums: dict[str, Any]) -> dict[str, Any]:
    """The derived numbers of one bucket's (or the range's) summed counters."""
    ended = sums["jobs_succeeded"] + sums["jobs_failed"]
    delivery = [int(sums[n]) for n in HISTOGRAM]
    wait = [int(sums[n]) for n in WAIT_HISTOGRAM]
    return {
        "results": sums["results"],
        "jobs_succeeded": sums["jobs_succeeded"],
        "jobs_failed": sums["jobs_failed"],
        "jobs_cancelled": sums["jobs_cancelled"],
        "failure_rate": _rate(sums["jobs_failed"], ended),
        "delivery_p50_seconds": histogram.percentile(delivery, 0.5),
        "delivery_p95_seconds": histogram.percentile(delivery, 0.95),
        "mean_queue_wait_seconds": _mean_seconds(
            sums["queue_wait_ms"], ended + sums["jobs_cancelled"]
        ),
        "mean_run_seconds": _mean_seconds(sums["run_ms"], ended + sums["jobs_cancelled"]),
        "claimed_jobs": sums["first_claims"],
        "queue_wait_p50_seconds": histogram.percentile(wait, 0.5),
        "queue_wait_p95_seconds": histogram.percentile(wait, 0.95),
        "mean_first_wait_seconds": _mean_seconds(sums["first_wait_ms"], sums["first_claims"]),
        "retried_jobs": sums["retried_jobs"],
        "attempts": sums["attempts"],
        "calls": sums["calls"],
        "calls_failed": sums["calls_failed"],
        "call_retries": sums["call_retries"],
        "fallbacks": sums["fallbacks"],
        "images": sums["images"],
        "megapixels": round(float(sums["megapixels"]), 3),
        "decisions": sums["decisions"],
        "approvals": sums["approvals"],
        "rejections": sums["rejections"],
        "approval_rate": _rate(sums["approvals"], sums["decisions"]),
        "mean_decision_seconds": _mean_seconds(sums["decision_ms"], sums["decisions"]),
        "scored": sums["scored"],
        "drifted": sums["drifted"],
        "drift_rate": _rate(sums["drifted"], sums["scored"]),
    }


def _money(amounts: dict[str, Decimal], per: int | None = None) -> list[dict[str, Any]]:
    """Amounts by currency, optionally divided by ``per`` (None when ``per`` is 0)."""
    out = []
    for currency, amount in sorted(amounts.items()):
        if per is None:
            out.append({"currency": currency, "amount": float(round(amount, 4))})
        else:
            value = float(round(amount / per, 4)) if per else None
            out.append({"currency": currency, "amount": value})
    return out


def _by_class(failed: dict[str, int], sums: dict[str, Any]) -> list[dict[str, Any]]:
    """A bucket's failed jobs per error class, most first, each with its share of the
    bucket's ended jobs (the failure rate that class contributes)."""
    ended = sums["jobs_succeeded"] + sums["jobs_failed"]
    return [
        {"error_class": code, "jobs": count, "rate": _rate(count, ended)}
        for code, count in sorted(failed.items(), key=lambda item: (-item[1], item[0]))
    ]


def breakers(provider: str = "") -> list[dict[str, Any]]:
    """Each known provider's circuit breaker as it is now."""
    rows = ProviderHealth.objects.order_by("provider")
    if provider:
        rows = rows.filter(provider=provider)
    return [
        {
            "provider": row.provider,
            "state": row.state,
            "consecutive_failures": row.consecutive_failures,
            "opened_at": row.opened_at.isoformat() if row.opened_at else None,
            "next_probe_at": row.next_probe_at.isoformat() if row.next_probe_at else None,
            "last_error": row.last_error,
        }
        for row in rows
    ]


def queue(scope: Scope, now: datetime) -> dict[str, Any]:
    """Jobs waiting now in the scope: how many and since when (the queued jobs only)."""
    jobs = Job.objects.filter(state=JobState.QUEUED)
    jobs = (
        jobs.filter(board_id=scope.board) if scope.board else jobs.filter(board__team_id=scope.team)
    )
    if scope.user is not None:
        jobs = jobs.filter(created_by_id=scope.user or None)
    depth, oldest = 0, None
    for row in jobs.values("engine").annotate(n=Count("id"), first=Min("queued_at")):
        if scope.provider and provider_of(row["engine"]) != scope.provider:
            continue
        depth += row["n"]
        oldest = row["first"] if oldest is None else min(oldest, row["first"])
    return {
        "depth": depth,
        "oldest_queued_at": oldest.isoformat() if oldest else None,
        "oldest_wait_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
    }


def numbers(scope: Scope, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for ``scope``: per-bucket series and range totals."""
    now = now or timezone.now()
    rows = scope.rollups()
    per_bucket = rows.values("bucket_start").annotate(**{f"s_{n}": Sum(n) for n in SUMMED})
    totals: dict[str, Any] = dict.fromkeys(SUMMED, 0)
    buckets: dict[datetime, dict[str, Any]] = {}
    for row in per_bucket.order_by("bucket_start"):
        sums = {n: row[f"s_{n}"] or 0 for n in SUMMED}
        buckets[row["bucket_start"]] = sums
        for n in SUMMED:
            totals[n] += sums[n]
    parts = scope.breakdowns()
    failures: dict[str, int] = defaultdict(int)
    failed_by_bucket: dict[datetime, dict[str, int]] = defaultdict(dict)
    costs: dict[datetime, dict[str, Decimal]] = defaultdict(dict)
    cost_total: dict[str, Decimal] = defaultdict(Decimal)
    for row in parts.values("bucket_start", "kind", "key").annotate(
        n=Sum("count"), a=Sum("amount")
    ):
        if row["kind"] == BreakdownKind.FAILURE:
            failures[row["key"]] += int(row["n"])
            failed_by_bucket[row["bucket_start"]][row["key"]] = int(row["n"])
        else:
            costs[row["bucket_start"]][row["key"]] = Decimal(row["a"])
            cost_total[row["key"]] += Decimal(row["a"])
    hours = (scope.end - scope.start) / timedelta(hours=1)
    ended = totals["jobs_succeeded"] + totals["jobs_failed"]
    summary = _figures(totals)
    summary["results_per_hour"] = round(totals["results"] / hours, 3) if hours else None
    summary["results_per_day"] = round(totals["results"] / hours * 24, 3) if hours else None
    summary["cost"] = _money(cost_total)
    summary["cost_per_approved"] = _money(cost_total, totals["approvals"])
    return {
        "scope": {
            "team": scope.team or None,
            "board": scope.board or None,
            "provider": scope.provider or None,
            "user": scope.user,
            "from": scope.start.isoformat(),
            "to": scope.end.isoformat(),
            "granularity": scope.granularity,
        },
        "totals": summary,
        "series": [
            {
                "bucket": start.isoformat(),
                **_figures(sums),
                "cost": _money(costs.get(start, {})),
                "failed_by_class": _by_class(failed_by_bucket.get(start, {}), sums),
            }
            for start, sums in buckets.items()
        ],
        "failures": [
            {"error_class": code, "jobs": count, "rate": _rate(count, ended)}
            for code, count in sorted(failures.items(), key=lambda item: (-item[1], item[0]))
        ],
        "delivery_histogram": {
            "edges_seconds": list(histogram.EDGES),
            "counts": [int(totals[n]) for n in HISTOGRAM],
        },
        "queue_wait_histogram": {
            "edges_seconds": list(histogram.EDGES),
            "counts": [int(totals[n]) for n in WAIT_HISTOGRAM],
        },
        "breakers": breakers(scope.provider),
        "queue": queue(scope, now),
    }


_SERIES_COLUMNS = {
    "throughput": ("results", "jobs_succeeded", "jobs_failed", "jobs_cancelled", "images"),
    "delivery": (
        "delivery_p50_seconds", "delivery_p95_seconds", "mean_queue_wait_seconds",
        "mean_run_seconds",
    ),
    "queue_wait": (
        "claimed_jobs", "queue_wait_p50_seconds", "queue_wait_p95_seconds",
        "mean_first_wait_seconds",
    ),
    "retries": ("retried_jobs", "attempts", "calls", "calls_failed", "call_retries", "fallbacks"),
    "approval": ("decisions", "approvals", "rejections", "approval_rate", "mean_decision_seconds"),
    "drift": ("scored", "drifted", "drift_rate"),
}  # fmt: skip


def csv_table(data: dict[str, Any], series: str) -> list[list[Any]]:
    """One series of ``numbers(...)`` as CSV rows, the header first."""
    if series in _SERIES_COLUMNS:
        columns = _SERIES_COLUMNS[series]
        return [["bucket", *columns]] + [
            [row["bucket"], *(row[c] for c in columns)] for row in data["series"]
        ]
    if series == "failures":
        return [["error_class", "jobs", "rate"]] + [
            [row["error_class"], row["jobs"], row["rate"]] for row in data["failures"]
        ]
    if series == "failures_over_time":
        return [["bucket", "error_class", "jobs", "rate"]] + [
            [row["bucket"], part["error_class"], part["jobs"], part["rate"]]
            for row in data["series"]
            for part in row["failed_by_class"]
        ]
    if series == "cost":
        return [["bucket", "currency", "amount"]] + [
            [row["bucket"], money["currency"], money["amount"]]
            for row in data["series"]
            for money in row["cost"]
        ]
    if series == "breakers":
        columns = ("provider", "state", "consecutive_failures", "opened_at", "next_probe_at")
        return [list(columns)] + [[row[c] for c in columns] for row in data["breakers"]]
    columns = ("depth", "oldest_queued_at", "oldest_wait_seconds")  # "queue"
    return [list(columns), [data["queue"][c] for c in columns]]


__all__ = ["SERIES", "Scope", "breakers", "csv_table", "numbers", "queue"]
