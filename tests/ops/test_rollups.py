"""Roll-ups equal a direct computation over a generated history of 10,000 jobs, at every
level: the fine rows, and their sums per team, per (team, provider), per (team, person).

The expected numbers are computed here from the generated records themselves (what the
generator made, not what the database returns), by the definitions in docs/dashboard.md;
the roll-ups are built by the chore's own entry point, catching up over two runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from canvas.jobs import upkeep as jobs_upkeep
from canvas.ops import histogram, rollups, upkeep
from canvas.ops.dashboard import Scope, numbers
from canvas.ops.levels import DIMENSIONS, TEAM, TEAM_PERSON, TEAM_PROVIDER, Level
from canvas.ops.models import (
    COUNTERS,
    HISTOGRAM,
    WAIT_HISTOGRAM,
    MetricRollup,
    RollupBreakdown,
    RollupMark,
)
from tests.ops.history import ENGINES, seed_history

JOBS = 10_000
HOURS = 60


def _bucket(moment: datetime, day: bool) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if day else moment


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def _histogram_index(seconds: float) -> int:
    for index, edge in enumerate(histogram.EDGES):
        if seconds <= edge:
            return index
    return len(histogram.EDGES)


def expected(history: Any, day: bool) -> tuple[dict, dict]:
    """(counters per bucket and key, breakdowns per bucket, key, kind and key)."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    parts: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])

    def key(job: Any, provider: str) -> tuple:
        board = job.board
        return (str(board.team_id), str(board.pk), provider, job.created_by_id or 0)

    results = Counter(it.job_id for it in history.iterations)
    for job in history.jobs:
        where = (_bucket(job.finished_at, day), *key(job, ENGINES[job.engine][0]))
        c = counts[where]
        c[f"jobs_{job.state}"] += 1
        c["attempts"] += job.attempts
        c["retried_jobs"] += job.attempts > 1
        started = job.started_at or job.finished_at  # never started: cancelled while queued
        c["queue_wait_ms"] += _ms(started - job.queued_at)
        c["run_ms"] += _ms(job.finished_at - started)
        if job.first_claimed_at is not None:
            c["first_claims"] += 1
            c["first_wait_ms"] += _ms(job.first_claimed_at - job.queued_at)
            seconds = (job.first_claimed_at - job.queued_at).total_seconds()
            c[WAIT_HISTOGRAM[_histogram_index(seconds)]] += 1
        if job.state == "succeeded":
            c["results"] += results[job.pk]
            c["delivery_ms"] += _ms(job.finished_at - job.queued_at)
            seconds = (job.finished_at - job.queued_at).total_seconds()
            c[HISTOGRAM[_histogram_index(seconds)]] += 1
        if job.state == "failed":
            parts[(*where, "failure", job.error_code)][0] += 1
    for call in history.calls:
        where = (_bucket(call.created_at, day), *key(call.job, call.provider))
        c = counts[where]
        c["calls"] += 1
        c["calls_failed"] += call.outcome in ("transient", "permanent")
        c["call_retries"] += call.attempt > 1
        c["fallbacks"] += call.fallback
        c["images"] += call.images
        if call.cost is not None:
            part = parts[(*where, "cost", call.currency)]
            part[0] += 1
            part[1] += call.cost
    for event in history.events:
        if "status" not in event.changes:
            continue
        iteration = event.iteration
        where = (_bucket(event.at, day), *key(iteration.job, ENGINES[iteration.job.engine][0]))
        c = counts[where]
        c["decisions"] += 1
        c["approvals"] += event.status == "approved"
        c["rejections"] += event.status == "rejected"
        c["decision_ms"] += _ms(event.at - iteration.created_at)
    scored: dict[tuple, bool] = {}
    for score in history.scores:
        job = score.iteration.job
        where = (_bucket(score.created_at, day), *key(job, ENGINES[job.engine][0]))
        pair = (where, score.iteration.pk)
        scored[pair] = scored.get(pair, False) or score.flag is not None
    for (where, _), flagged in scored.items():
        counts[where]["scored"] += 1
        counts[where]["drifted"] += flagged
    return counts, parts


def stored(granularity: str) -> tuple[dict, dict]:
    counts = {}
    for row in MetricRollup.objects.filter(granularity=granularity).values():
        where = (row["bucket_start"], row["team"], row["board"], row["provider"], row["user"])
        columns = (*COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
        counts[where] = Counter({n: row[n] for n in columns if row[n]})
    parts = {}
    for row in RollupBreakdown.objects.filter(granularity=granularity).values():
        where = (row["bucket_start"], row["team"], row["board"], row["provider"], row["user"])
        parts[(*where, row["kind"], row["key"])] = [row["count"], row["amount"]]
    return counts, parts


def projected(counts: dict, parts: dict, level: Level) -> tuple[dict, dict]:
    """The direct computation's fine numbers added up per key of ``level`` (bucket, team and
    the level's own dimension): what that level's rows must hold."""
    picks = [0, *(1 + DIMENSIONS.index(d) for d in level.dimensions)]
    summed: dict[tuple, Counter] = defaultdict(Counter)
    for where, counter in counts.items():
        summed[tuple(where[i] for i in picks)].update(counter)
    summed_parts: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for (*where, kind, key), (count, amount) in parts.items():
        part = summed_parts[(*(where[i] for i in picks), kind, key)]
        part[0] += count
        part[1] += amount
    return {k: +v for k, v in summed.items() if +v}, dict(summed_parts)


def stored_level(level: Level, granularity: str) -> tuple[dict, dict]:
    """A pre-summed level's rows, keyed like ``projected``."""
    columns = (*COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
    counts = {}
    for row in level.rollup._default_manager.filter(granularity=granularity).values():
        where = (row["bucket_start"], *(row[d] for d in level.dimensions))
        counts[where] = Counter({n: row[n] for n in columns if row[n]})
    parts = {}
    for row in level.breakdown._default_manager.filter(granularity=granularity).values():
        where = (row["bucket_start"], *(row[d] for d in level.dimensions))
        parts[(*where, row["kind"], row["key"])] = [row["count"], row["amount"]]
    return counts, parts


@pytest.mark.django_db
def test_rollups_equal_a_direct_computation_over_ten_thousand_jobs(studio, settings):
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    history = seed_history(
        JOBS,
        boards=[studio.one, studio.two, studio.other],
        users=[studio.admin, studio.member, studio.stranger],
        asset=studio.asset,
        start=start,
        hours=HOURS,
        keep=True,
    )
    assert len(history.jobs) == JOBS and history.calls and history.scores

    # The chore catches up at most CATCH_UP_HOURS per run: two runs cover the 62 hours.
    rollups.roll_up_due(now)
    mark = RollupMark.objects.get().closed_through
    assert mark == start + timedelta(hours=rollups.CATCH_UP_HOURS)
    rollups.roll_up_due(now)
    assert RollupMark.objects.get().closed_through == rollups.floor_hour(now - rollups.GRACE)

    for granularity, day in (("hour", False), ("day", True)):
        counts, parts = expected(history, day)
        got_counts, got_parts = stored(granularity)
        assert got_counts == {k: +v for k, v in counts.items() if +v}, granularity
        assert got_parts == {k: v for k, v in parts.items()}, granularity
        # The pre-summed levels the team views read — whole, one provider, one person —
        # equal the same direct computation added up per their keys.
        for level in (TEAM, TEAM_PROVIDER, TEAM_PERSON):
            want = projected(counts, parts, level)
            assert stored_level(level, granularity) == want, (level.name, granularity)
        assert len({key[2] for key in stored_level(TEAM_PROVIDER, granularity)[0]}) == 3
        assert len({key[2] for key in stored_level(TEAM_PERSON, granularity)[0]}) == 4

    # Rebuilding is idempotent: the same rows again, nothing doubled.
    rows = MetricRollup.objects.count()
    rollups.rebuild(start, rollups.floor_hour(now) + rollups.HOUR)
    assert MetricRollup.objects.count() == rows
    assert stored("hour")[0] == {k: +v for k, v in expected(history, False)[0].items() if +v}

    # Percentiles from the histograms lie in the bucket of the exact percentile: time to
    # delivery, and queue wait to the first claim (a retry's backoff is not in it).
    team = [j for j in history.jobs if j.board.team_id == studio.team.pk]
    seconds = sorted(
        (j.finished_at - j.queued_at).total_seconds() for j in team if j.state == "succeeded"
    )
    waits = sorted(
        (j.first_claimed_at - j.queued_at).total_seconds() for j in team if j.first_claimed_at
    )
    assert len(waits) < len(team)  # some were cancelled before any claim
    scope = Scope(start=start, end=rollups.floor_hour(now) + rollups.HOUR, team=str(studio.team.pk))
    for granularity, first in (("hour", start), ("day", rollups.floor_day(start))):
        whole = {**scope.__dict__, "granularity": granularity, "start": first}
        data = numbers(Scope(**whole))
        totals = data["totals"]
        assert totals["jobs_succeeded"] == len(seconds)
        assert totals["claimed_jobs"] == len(waits)
        for values, q, name in (
            (seconds, 0.5, "delivery_p50_seconds"),
            (seconds, 0.95, "delivery_p95_seconds"),
            (waits, 0.5, "queue_wait_p50_seconds"),
            (waits, 0.95, "queue_wait_p95_seconds"),
        ):
            exact = values[max(1, -(-int(q * len(values) * 1000) // 1000)) - 1]
            lower, upper = histogram.bounds(_histogram_index(exact))
            assert lower <= totals[name] <= upper, (name, exact, totals[name])
        # Failures by error class over time: each bucket's classes, counted from the jobs.
        failed: Counter = Counter(
            (_bucket(j.finished_at, granularity == "day").isoformat(), j.error_code)
            for j in team
            if j.state == "failed"
        )
        shown = Counter(
            {
                (row["bucket"], part["error_class"]): part["jobs"]
                for row in data["series"]
                for part in row["failed_by_class"]
            }
        )
        assert shown == failed and len({code for _, code in shown}) == 3, granularity


def test_the_chore_runs_on_every_workers_tick_at_most_once_a_period(monkeypatch):
    runs: list[int] = []
    clock = [1000.0]
    monkeypatch.setattr(rollups, "roll_up_due", lambda: runs.append(1))
    monkeypatch.setattr(upkeep, "_last_run", [float("-inf")])
    monkeypatch.setattr(upkeep, "_clock", lambda: clock[0])
    assert jobs_upkeep._CHORES["ops.rollups"] is upkeep.roll_up_when_due
    upkeep.roll_up_when_due()
    clock[0] += upkeep.ROLLUP_PERIOD - 1
    upkeep.roll_up_when_due()
    assert runs == [1]
    clock[0] += 1
    upkeep.roll_up_when_due()
    assert runs == [1, 1]
