"""All-time totals per provider, read from the daily roll-ups: what ``/metrics`` exports as
Prometheus counters (anchorboard/prometheus.py), so an operator's Grafana can ``rate()`` or
``increase()`` cost, review decisions, drift and queue wait over any window it likes.

Why the roll-ups and not counters kept in memory: under Celery or with several web
processes an in-process counter is only that process's share, and it restarts at 0 with
the process. A daily row is rebuilt from the facts every minute for the open day
(canvas.ops.rollups), so these sums only grow as facts arrive; Prometheus treats the rare
fall (an operator's repair that removed facts) as a counter reset. One grouped read of the
day rows: a few hundred rows per day of history, never the job table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from canvas.ops import histogram
from canvas.ops.models import (
    WAIT_HISTOGRAM,
    BreakdownKind,
    Granularity,
    MetricRollup,
    RollupBreakdown,
)

SUMMED = ("decisions", "approvals", "scored", "drifted", "first_claims", "first_wait_ms")


@dataclass
class ProviderTotals:
    """One provider's totals since the roll-ups began."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    wait: list[int] = field(default_factory=lambda: [0] * histogram.BUCKETS)
    cost: dict[str, Decimal] = field(default_factory=dict)  # currency → amount


def by_provider() -> dict[str, ProviderTotals]:
    """Every provider's totals ("" for facts without one, e.g. a job with no engine)."""
    out: dict[str, ProviderTotals] = {}
    days = MetricRollup.objects.filter(granularity=Granularity.DAY).order_by()
    columns = (*SUMMED, *WAIT_HISTOGRAM)
    rows: Iterable[Mapping[str, Any]] = days.values("provider").annotate(
        **{f"s_{n}": Sum(n) for n in columns}
    )
    for row in rows:
        totals = out.setdefault(row["provider"], ProviderTotals())
        totals.counts = {n: int(row[f"s_{n}"] or 0) for n in SUMMED}
        totals.wait = [int(row[f"s_{n}"] or 0) for n in WAIT_HISTOGRAM]
    costs = RollupBreakdown.objects.filter(granularity=Granularity.DAY, kind=BreakdownKind.COST)
    for row in costs.order_by().values("provider", "key").annotate(amount=Sum("amount")):
        totals = out.setdefault(row["provider"], ProviderTotals())
        totals.cost[row["key"]] = Decimal(row["amount"] or 0)
    return out
