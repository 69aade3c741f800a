"""Per-hour and per-day roll-ups, rebuilt whole from the facts the job path records.

The rule (docs/dashboard.md): an hour's roll-up is a pure function of the rows whose
event time falls in that hour — jobs by ``finished_at``, provider calls by their end
(``created_at``), review decisions by ``DecisionEvent.at``, consistency scores by
``created_at`` — grouped by (team, board, provider, person). A rebuild deletes the hour's
rows and inserts fresh ones in one transaction, so it can run any number of times, in any
process, and a history seeded in bulk is rolled up by the same code as live work. A day is
the sum of its 24 hour rows (UTC days). Each bucket is written at every level of
canvas.ops.levels in that one transaction: the fine rows and their sums per team, per (team,
provider) and per (team, person), which the team views — whole or narrowed to one provider
or one person — read instead of summing every board × provider × person row.

Why a clock and not a counter bumped on each event: the job path stays exactly as fast as
before (it writes its Job and ProviderCall rows and nothing more), a missed or failed
roll-up heals at the next rebuild instead of drifting forever, and late facts (a decision
days after the result) need no special case because they belong to the hour they happened.
The price is lag: the open hour is rebuilt on every run of the chore (canvas.ops.upkeep),
so the dashboard trails the job path by at most a minute; an hour becomes final
(``RollupMark``) once it has been rebuilt GRACE after it closed, so a transaction that
committed a little after its timestamp is still counted.

Only ORM aggregates and plain filters on indexed time columns: the same SQL shape on
SQLite and PostgreSQL, and no date arithmetic in the database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, Min, Model, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from canvas.jobs.slots import provider_of as engine_provider
from canvas.models import ConsistencyScore, DecisionEvent, Iteration, Job, JobState, ProviderCall
from canvas.models.jobs import FINISHED_STATES
from canvas.ops import histogram
from canvas.ops.levels import DIMENSIONS, LEVELS, Level
from canvas.ops.models import (
    COUNTERS,
    HISTOGRAM,
    WAIT_HISTOGRAM,
    BreakdownKind,
    Granularity,
    MetricRollup,
    RollupBreakdown,
    RollupMark,
)

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)  # how long after an hour closes its late commits are awaited
CATCH_UP_HOURS = 48  # closed hours one run rebuilds at most (a long outage catches up)
MARK = "hourly"

Key = tuple[str, str, str, int]  # team, board, provider, user: DIMENSIONS


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def _results_of_job() -> Coalesce:
    """The number of results (iterations) of the outer job, as a correlated subquery."""
    counted = (
        Iteration.objects.filter(job=OuterRef("pk"))
        .order_by()
        .values("job")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


@dataclass
class Tally:
    """One roll-up row being counted: the counters, the histogram and the breakdowns."""

    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    delivery: list[int] = field(default_factory=lambda: [0] * histogram.BUCKETS)
    wait: list[int] = field(default_factory=lambda: [0] * histogram.BUCKETS)
    megapixels: float = 0.0
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cost: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def absorb(self, other: Tally) -> None:
        """Add ``other``'s counts to this one (a team's tally from its fine tallies)."""
        for name, value in other.counters.items():
            self.counters[name] += value
        self.delivery = [a + b for a, b in zip(self.delivery, other.delivery, strict=True)]
        self.wait = [a + b for a, b in zip(self.wait, other.wait, strict=True)]
        self.megapixels += other.megapixels
        for code, count in other.failures.items():
            self.failures[code] += count
        for currency, (calls, amount) in other.cost.items():
            had_calls, had_amount = self.cost.get(currency, (0, Decimal(0)))
            self.cost[currency] = (had_calls + calls, had_amount + amount)


class HourFacts:
    """Reads one hour's facts and counts them per (team, board, provider, person)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.end = start, start + HOUR
        self.tallies: dict[Key, Tally] = defaultdict(Tally)
        self._providers: dict[str, str] = {}

    def provider(self, engine: str | None) -> str:
        if not engine:
            return ""
        if engine not in self._providers:
            self._providers[engine] = engine_provider(engine)
        return self._providers[engine]

    def tally(self, team: Any, board: Any, provider: str, user: Any) -> Tally:
        key = (str(team or ""), str(board or ""), provider or "", int(user or 0))
        return self.tallies[key]

    def read(self) -> HourFacts:
        self._jobs()
        self._calls()
        self._decisions()
        self._scores()
        return self

    def _jobs(self) -> None:
        rows = (
            Job.objects.filter(
                finished_at__gte=self.start, finished_at__lt=self.end, state__in=FINISHED_STATES
            )
            # A count per job through the iteration table's job index: a JOIN … GROUP BY
            # let the planner hash-join the whole iteration table on every hour's rebuild.
            .annotate(results=_results_of_job())
            .order_by()  # not the queue's ordering: nothing here needs a sort
            .values_list(
                "board__team_id", "board_id", "engine", "created_by_id", "state", "error_code",
                "attempts", "queued_at", "first_claimed_at", "started_at", "finished_at",
                "results",
            )
        )  # fmt: skip
        for row in rows:
            team, board, engine, user, state, code, attempts, queued, first, started, ended, n = row
            assert ended is not None  # filtered on finished_at
            tally = self.tally(team, board, self.provider(engine), user)
            if first is not None:  # never claimed (cancelled while queued): no queue wait
                tally.add("first_claims")
                tally.add("first_wait_ms", _ms(first - queued))
                tally.wait[histogram.bucket_of((first - queued).total_seconds())] += 1
            tally.add(f"jobs_{state}")
            tally.add("attempts", attempts)
            tally.add("retried_jobs", int(attempts > 1))
            tally.add("queue_wait_ms", _ms((started or ended) - queued))
            tally.add("run_ms", _ms(ended - (started or ended)))
            if state == JobState.SUCCEEDED:
                tally.add("results", n)
                tally.add("delivery_ms", _ms(ended - queued))
                tally.delivery[histogram.bucket_of((ended - queued).total_seconds())] += 1
            elif state == JobState.FAILED:
                tally.failures[code or "unknown"] += 1

    def _calls(self) -> None:
        rows = ProviderCall.objects.filter(
            created_at__gte=self.start, created_at__lt=self.end
        ).values_list(
            "job__board__team_id", "job__board_id", "provider", "job__created_by_id", "outcome",
            "attempt", "fallback", "images", "megapixels", "cost", "currency",
        )  # fmt: skip
        for team, board, provider, user, outcome, attempt, fallback, images, mp, cost, cur in rows:
            tally = self.tally(team, board, provider, user)
            tally.add("calls")
            tally.add("calls_failed", int(outcome in ("transient", "permanent")))
            tally.add("call_retries", int(attempt > 1))
            tally.add("fallbacks", int(fallback))
            tally.add("images", images)
            tally.megapixels += mp
            if cost is not None and cur:
                calls, amount = tally.cost.get(cur, (0, Decimal(0)))
                tally.cost[cur] = (calls + 1, amount + cost)

    def _decisions(self) -> None:
        rows = DecisionEvent.objects.filter(at__gte=self.start, at__lt=self.end).values_list(
            "board__team_id", "board_id", "iteration__job__engine",
            "iteration__job__created_by_id", "status", "changes", "at", "iteration__created_at",
        )  # fmt: skip
        for team, board, engine, user, status, changes, at, landed in rows:
            if not status or "status" not in (changes or {}):
                continue  # a rating, a star, a tier: not a decision
            tally = self.tally(team, board, self.provider(engine), user)
            tally.add("decisions")
            tally.add("approvals", int(status == "approved"))
            tally.add("rejections", int(status == "rejected"))
            tally.add("decision_ms", _ms(at - landed))

    def _scores(self) -> None:
        rows = ConsistencyScore.objects.filter(
            created_at__gte=self.start, created_at__lt=self.end, iteration__isnull=False
        ).values_list(
            "iteration_id", "board__team_id", "board_id", "iteration__job__engine",
            "iteration__job__created_by_id", "flag",
        )  # fmt: skip
        results: dict[Any, tuple[Tally, bool]] = {}
        for iteration, team, board, engine, user, flag in rows:
            tally = self.tally(team, board, self.provider(engine), user)
            _, flagged = results.get(iteration, (tally, False))
            results[iteration] = (tally, flagged or bool(flag))
        for tally, flagged in results.values():
            tally.add("scored")
            tally.add("drifted", int(flagged))


def _columns(tally: Tally) -> dict[str, Any]:
    """A tally's counter and histogram columns, as a roll-up row takes them."""
    return {
        **tally.counters,
        **dict(zip(HISTOGRAM, tally.delivery, strict=True)),
        **dict(zip(WAIT_HISTOGRAM, tally.wait, strict=True)),
        "megapixels": tally.megapixels,
    }


def _parts(tally: Tally) -> list[dict[str, Any]]:
    """A tally's breakdown rows (failures per error class, cost per currency) as fields."""
    failures = [
        {"kind": BreakdownKind.FAILURE, "key": code[:80], "count": count}
        for code, count in tally.failures.items()
    ]
    costs = [
        {"kind": BreakdownKind.COST, "key": currency, "count": calls, "amount": amount}
        for currency, (calls, amount) in tally.cost.items()
    ]
    return failures + costs


def level_tallies(tallies: dict[Key, Tally], level: Level) -> dict[tuple[Any, ...], Tally]:
    """The fine tallies of one bucket summed per key of ``level`` (per team, per team and
    provider, …): that level's rows' content. The fine level is the tallies themselves."""
    if level.dimensions == DIMENSIONS:
        return dict(tallies)
    picks = [DIMENSIONS.index(name) for name in level.dimensions]
    summed: dict[tuple[Any, ...], Tally] = defaultdict(Tally)
    for key, tally in tallies.items():
        summed[tuple(key[i] for i in picks)].absorb(tally)
    return summed


def _rows(granularity: str, start: datetime, tallies: dict[Key, Tally]) -> list[list[Any]]:
    """Fresh rows of a bucket at every level: counters then breakdowns, level by level in
    ``LEVELS``' order (the order ``_replace`` inserts them in)."""
    rows: list[list[Any]] = []
    bucket = {"granularity": granularity, "bucket_start": start}
    for level in LEVELS:
        counters, breakdowns = [], []
        for key, tally in level_tallies(tallies, level).items():
            dims = {**bucket, **dict(zip(level.dimensions, key, strict=True))}
            counters.append(level.rollup(**dims, **_columns(tally)))
            breakdowns += [level.breakdown(**dims, **part) for part in _parts(tally)]
        rows += [counters, breakdowns]
    return rows


TABLES: tuple[type[Model], ...] = tuple(
    model for level in LEVELS for model in (level.rollup, level.breakdown)
)


def _replace(granularity: str, start: datetime, tallies: dict[Key, Tally]) -> bool:
    """Swap a bucket's rows, at every level, for fresh ones in one transaction (so each
    pre-summed level always equals the sum of the fine rows); False when a racing rebuild
    got there first."""
    rows = _rows(granularity, start, tallies)
    try:
        with transaction.atomic():
            for model in TABLES:
                model._default_manager.filter(granularity=granularity, bucket_start=start).delete()
            for model, fresh in zip(TABLES, rows, strict=True):
                model._default_manager.bulk_create(fresh, batch_size=500)
    except IntegrityError:
        logger.info("%s roll-up of %s rebuilt by another process meanwhile", granularity, start)
        return False
    return True


def rebuild_hour(start: datetime) -> None:
    """Rebuild the hour roll-up starting at ``start`` (on the hour, UTC)."""
    _replace(Granularity.HOUR, start, HourFacts(start).read().tallies)


def rebuild_day(day: datetime) -> None:
    """Rebuild a day's roll-up as the sum of its hour rows (UTC midnight to midnight)."""
    hours = MetricRollup.objects.filter(
        granularity=Granularity.HOUR, bucket_start__gte=day, bucket_start__lt=day + timedelta(1)
    )
    summed = ("megapixels", *COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
    tallies: dict[Key, Tally] = {}
    for row in hours.values(*DIMENSIONS).annotate(**{f"s_{n}": Sum(n) for n in summed}):
        tally = Tally()
        tally.counters = {n: int(row[f"s_{n}"] or 0) for n in COUNTERS}
        tally.delivery = [int(row[f"s_{n}"] or 0) for n in HISTOGRAM]
        tally.wait = [int(row[f"s_{n}"] or 0) for n in WAIT_HISTOGRAM]
        tally.megapixels = float(row["s_megapixels"] or 0)
        tallies[tuple(row[d] for d in DIMENSIONS)] = tally
    parts = RollupBreakdown.objects.filter(
        granularity=Granularity.HOUR, bucket_start__gte=day, bucket_start__lt=day + timedelta(1)
    )
    for row in parts.values(*DIMENSIONS, "kind", "key").annotate(n=Sum("count"), a=Sum("amount")):
        key: Key = tuple(row[d] for d in DIMENSIONS)
        tally = tallies.setdefault(key, Tally())
        if row["kind"] == BreakdownKind.FAILURE:
            tally.failures[row["key"]] = int(row["n"])
        else:
            tally.cost[row["key"]] = (int(row["n"]), Decimal(row["a"]))
    _replace(Granularity.DAY, day, tallies)


def rebuild(start: datetime, end: datetime) -> int:
    """Rebuild every hour from ``start`` up to ``end`` and the days they touch; returns the
    number of hours (an operator's repair, the bench's seeding, the chore's catch-up)."""
    hour, days = floor_hour(start), set()
    count = 0
    while hour < end:
        rebuild_hour(hour)
        days.add(floor_day(hour))
        hour += HOUR
        count += 1
    for day in sorted(days):
        rebuild_day(day)
    return count


def _first_fact() -> datetime | None:
    """When the oldest ended job ended (indexed): where a first roll-up starts."""
    return Job.objects.filter(finished_at__isnull=False).aggregate(first=Min("finished_at"))[
        "first"
    ]


def roll_up_due(now: datetime | None = None) -> int:
    """Rebuild the hours not yet final (at most CATCH_UP_HOURS of them) and the open hour;
    move the mark past those that are now final. Returns the hours rebuilt."""
    now = now or timezone.now()
    current = floor_hour(now)
    mark = RollupMark.objects.filter(name=MARK).values_list("closed_through", flat=True).first()
    if mark is None:
        first = _first_fact()
        mark = floor_hour(first) if first else current
    start = min(floor_hour(mark), current)
    end = min(current, start + CATCH_UP_HOURS * HOUR)
    rebuilt = rebuild(start, end + HOUR if end == current else end)
    if end < current:
        rebuild(current, current + HOUR)  # the open hour too, even while catching up
    final = min(end, floor_hour(now - GRACE))  # hours before this were rebuilt after GRACE
    if final > start:
        row, _ = RollupMark.objects.get_or_create(name=MARK, defaults={"closed_through": final})
        RollupMark.objects.filter(pk=row.pk, closed_through__lt=final).update(closed_through=final)
    return rebuilt
