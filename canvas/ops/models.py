"""Roll-ups of the operations numbers: one row per (hour or day, team, board, provider,
person) holding counters and a time-to-delivery histogram, and one row per error class
or currency beside it; and the same pre-summed per (hour or day, team) — ``TeamRollup`` and
``TeamBreakdown`` — per (…, team, provider) and per (…, team, person) — ``TeamProvider…``,
``TeamPerson…`` — for the team views whole or narrowed to one provider or one person, which
would otherwise add up every board × provider × person row of their range on each page
view (docs/dashboard.md, "Levels"; canvas.ops.levels names them).

Rows are written only by canvas.ops.rollups, which rebuilds a whole bucket at a time
from the facts the job path records (docs/dashboard.md); the dashboard reads only these
tables, so a page view never scans the job table. The dimensions are plain values, not
foreign keys: a deleted board's numbers stay in its team's totals, and deleting a board
never waits on its history. ``team``/``board`` are UUID strings ("" when the fact has
none, e.g. a provider check), ``user`` the person's id (0: nobody, e.g. a guest).
"""

from __future__ import annotations

from django.db import models

from canvas.ops.histogram import BUCKETS


class Granularity(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


# Counter columns: name → what one unit is. All are sums, so any selection adds up.
COUNTERS: dict[str, str] = {
    "jobs_succeeded": "a job that ended succeeded in the bucket",
    "jobs_failed": "a job that ended failed",
    "jobs_cancelled": "a job that ended cancelled",
    "results": "a result (iteration) that landed on the board",
    "attempts": "an attempt spent by a job that ended",
    "retried_jobs": "a job that ended after more than one attempt",
    "queue_wait_ms": "milliseconds from submit to the start of the last attempt (ended jobs)",
    "first_claims": "an ended job whose first claim by a worker is known (Job.first_claimed_at)",
    "first_wait_ms": "milliseconds from submit to the first claim (those jobs)",
    "run_ms": "milliseconds from the last attempt's start to the end (ended jobs)",
    "delivery_ms": "milliseconds from submit to the results on the board (succeeded jobs)",
    "calls": "a provider call that ended",
    "calls_failed": "a provider call that failed (transient or permanent)",
    "call_retries": "a provider call made by a job's second or later attempt",
    "fallbacks": "a provider call made on a fallback engine",
    "images": "an image a provider call delivered",
    "decisions": "a review decision made (a status set: approved, rejected, needs changes)",
    "approvals": "a decision that approved a result",
    "rejections": "a decision that rejected a result",
    "decision_ms": "milliseconds from a result landing to a decision on it",
    "scored": "a result scored for consistency",
    "drifted": "a scored result with a drift flag",
}
HISTOGRAM = tuple(f"delivery_{i:02d}" for i in range(BUCKETS))
# Queue wait to the first claim, in the same buckets (canvas.ops.histogram).
WAIT_HISTOGRAM = tuple(f"wait_{i:02d}" for i in range(BUCKETS))


def scope_indexes(prefix: str) -> list[models.Index]:
    """One index per way the dashboard picks rows (canvas.ops.dashboard.Scope): a team's, a
    board's, and a team's narrowed to one person or one provider — so a narrowed view reads
    its own rows, not every row of the team's range."""
    ways = {"team": ["team"], "board": ["board"], "team_user": ["team", "user"]}
    ways["team_provider"] = ["team", "provider"]
    return [
        models.Index(fields=["granularity", *fields, "bucket_start"], name=f"{prefix}_{way}")
        for way, fields in ways.items()
    ]


class TeamBucket(models.Model):
    """The bucket and the team: all a team-level row is keyed by."""

    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    bucket_start = models.DateTimeField()  # UTC, on the hour or at midnight
    team = models.CharField(max_length=36, blank=True)

    class Meta:
        abstract = True


class Dimensions(TeamBucket):
    """The bucket and the four things a roll-up can be filtered by."""

    board = models.CharField(max_length=36, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    user = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class MetricRollup(Dimensions):
    """Counters and the time-to-delivery and queue-wait histograms for one bucket and one
    combination."""

    megapixels = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "bucket_start", "team", "board", "provider", "user"],
                name="unique_metric_rollup",
            )
        ]
        indexes = scope_indexes("rollup")

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} {self.board or self.team}"


def _add_counters(model: type[models.Model]) -> None:
    for name in (*COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM):
        model.add_to_class(name, models.BigIntegerField(default=0))


_add_counters(MetricRollup)


class TeamRollup(TeamBucket):
    """The sum of one bucket's ``MetricRollup`` rows of one team: written with them, in the
    same transaction, by the rebuild of that bucket (canvas.ops.rollups), never on its own —
    so it always equals that sum, and a team-wide view reads one row a bucket."""

    megapixels = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "bucket_start", "team"], name="unique_team_rollup"
            )
        ]
        indexes = [
            models.Index(fields=["granularity", "team", "bucket_start"], name="team_rollup_scope")
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} team {self.team}"


_add_counters(TeamRollup)


class BreakdownKind(models.TextChoices):
    FAILURE = "failure", "Failed jobs by error class"
    COST = "cost", "Cost by currency"


class BreakdownValue(models.Model):
    """A count (failures: jobs per error class) or an amount (cost per currency, with the
    number of priced calls) that does not fit a fixed column."""

    kind = models.CharField(max_length=8, choices=BreakdownKind.choices)
    key = models.CharField(max_length=80)
    count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=5, default=0)

    class Meta:
        abstract = True


class RollupBreakdown(Dimensions, BreakdownValue):
    """A breakdown of one bucket and one combination of the dimensions."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "granularity", "bucket_start", "team", "board", "provider", "user", "kind",
                    "key",
                ],
                name="unique_rollup_breakdown",
            )
        ]  # fmt: skip
        indexes = scope_indexes("breakdown")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.bucket_start:%Y-%m-%d %H:%M}"


class TeamBreakdown(TeamBucket, BreakdownValue):
    """The sum of one bucket's ``RollupBreakdown`` rows of one team per kind and key (failed
    jobs of an error class, cost in a currency), kept like ``TeamRollup``."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "bucket_start", "team", "kind", "key"],
                name="unique_team_breakdown",
            )
        ]
        indexes = [
            models.Index(
                fields=["granularity", "team", "bucket_start"], name="team_breakdown_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.bucket_start:%Y-%m-%d %H:%M} team {self.team}"


def level_unique(name: str, *fields: str) -> list[models.BaseConstraint]:
    """A pre-summed level's key (bucket, team, its own dimension, maybe kind and key): a
    racing rebuild of the same bucket loses on it, as on the other levels."""
    unique = ["granularity", "bucket_start", "team", *fields]
    return [models.UniqueConstraint(fields=unique, name=f"unique_{name}")]


def level_index(name: str, dimension: str) -> list[models.Index]:
    """The index a narrowed team view reads a pre-summed level through: the team and the
    level's own dimension, then the range."""
    fields = ["granularity", "team", dimension, "bucket_start"]
    return [models.Index(fields=fields, name=f"{name}_scope")]


class TeamProviderBucket(TeamBucket):
    """A bucket, a team and a provider (the engine's provider; "" for facts without one)."""

    provider = models.CharField(max_length=40, blank=True)

    class Meta:
        abstract = True


class TeamPersonBucket(TeamBucket):
    """A bucket, a team and a person (who submitted the job; 0 for nobody)."""

    user = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class TeamProviderRollup(TeamProviderBucket):
    """The sum of one bucket's ``MetricRollup`` rows of one team and one provider, kept like
    ``TeamRollup``: a team's view narrowed to one provider reads one row a bucket."""

    megapixels = models.FloatField(default=0)

    class Meta:
        constraints = level_unique("team_provider_rollup", "provider")
        indexes = level_index("team_provider_rollup", "provider")

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} {self.team} {self.provider}"


_add_counters(TeamProviderRollup)


class TeamProviderBreakdown(TeamProviderBucket, BreakdownValue):
    """The sum of one bucket's ``RollupBreakdown`` rows of one team and one provider per
    kind and key."""

    class Meta:
        constraints = level_unique("team_provider_breakdown", "provider", "kind", "key")
        indexes = level_index("team_provider_breakdown", "provider")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.bucket_start:%Y-%m-%d %H:%M} {self.provider}"


class TeamPersonRollup(TeamPersonBucket):
    """The sum of one bucket's ``MetricRollup`` rows of one team and one person, kept like
    ``TeamRollup``: a team's view narrowed to one person reads one row a bucket."""

    megapixels = models.FloatField(default=0)

    class Meta:
        constraints = level_unique("team_person_rollup", "user")
        indexes = level_index("team_person_rollup", "user")

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} {self.team} #{self.user}"


_add_counters(TeamPersonRollup)


class TeamPersonBreakdown(TeamPersonBucket, BreakdownValue):
    """The sum of one bucket's ``RollupBreakdown`` rows of one team and one person per kind
    and key."""

    class Meta:
        constraints = level_unique("team_person_breakdown", "user", "kind", "key")
        indexes = level_index("team_person_breakdown", "user")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.bucket_start:%Y-%m-%d %H:%M} #{self.user}"


class RollupMark(models.Model):
    """How far the hourly roll-ups are final: every hour before ``closed_through`` was
    rebuilt after it closed (and its grace period passed)."""

    name = models.CharField(max_length=20, unique=True)
    closed_through = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} closed through {self.closed_through}"
