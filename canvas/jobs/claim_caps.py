"""What a claim counts before it hands out a job: the caps per person, engine, batch and
provider, and the round-robin order between people and batches (docs/jobs.md "Fairness").

canvas.jobs.queue.claim_next reads these inside its serialised transaction; recovery takes
the same turn (``serialise_claims``) so no claim hands out a job while leases are looked at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Max

from canvas.engines import get_engine, registered_engines
from canvas.jobs import config
from canvas.jobs.slots import calls_last_minute, provider_of
from canvas.models.jobs import Job, JobPriority, JobState, SlotState


def serialise_claims() -> None:
    """Make concurrent claims take turns, so the caps are counted on settled data.

    SQLite: the IMMEDIATE transaction already holds the database write lock. PostgreSQL:
    a transaction-scoped advisory lock (one fixed key) serialises claimers without blocking
    anything else that touches job rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x4A0B])


def engine_limit(name: str) -> int | None:
    try:
        caps = get_engine(name).capabilities()
    except Exception:  # an unknown engine fails when run, with a clear message
        caps = None
    return config.engine_concurrency(name, getattr(caps, "max_concurrency", None))


def is_bulk(priority: int) -> bool:
    """Bulk work (a batch's jobs, ``priority="bulk"``) is priority 0 or below; the rest is
    interactive. The two are capped per person apart (see ``Caps``)."""
    return priority <= JobPriority.BULK


@dataclass
class Caps:
    """What one claim counts: running jobs per (person, bulk or not), engine, batch; per
    provider, its running jobs not yet past their call, and its calls in the last minute
    plus its claimed jobs that have not called yet (only when it has a per-minute limit).

    A provider's limits hold its *calls* (canvas.jobs.slots); a claim keeps at most
    ``config.provider_claim_limit(C)`` of its jobs before or in their call (the next ones
    prepared while the slots are busy) and within its per-minute limit.

    The per-person cap (``ANCHORBOARD_JOB_USER_CONCURRENCY``) counts a person's running
    *interactive* jobs: it keeps one designer's burst of clicks from filling the workers,
    and a person's own batch never holds their interactive work back. Bulk jobs have a cap
    of their own only when ``ANCHORBOARD_JOB_BULK_USER_CONCURRENCY`` is set; otherwise a
    batch uses every slot its provider and engine allow, shared fairly between people and
    batches by the claim order, and yields each freed slot to waiting interactive work.
    """

    per_user: Counter[Any]  # (person, is bulk) → running
    per_engine: Counter[str]
    per_provider: Counter[str]  # running, not yet past the provider call
    per_batch: Counter[Any]
    started: Counter[str]  # calls in the last minute + claimed, not yet called
    user_cap: int
    bulk_user_cap: int | None
    provider_limits: dict[str, tuple[int, int | None]]
    engine_limits: dict[str, int | None]
    providers: dict[str, str]

    @classmethod
    def now(cls, now: Any) -> Caps:
        running = list(
            Job.objects.filter(state=JobState.RUNNING)
            .order_by()
            .values_list("created_by_id", "engine", "batch_id", "priority", "slot_state")
        )
        caps = cls(
            per_user=Counter((user, is_bulk(priority)) for user, _, _, priority, _ in running),
            per_engine=Counter(engine for _, engine, _, _, _ in running),
            per_provider=Counter(),
            per_batch=Counter(batch for _, _, batch, _, _ in running),
            started=Counter(),
            user_cap=config.user_concurrency(),
            bulk_user_cap=config.bulk_user_concurrency(),
            provider_limits=config.provider_limits(),
            engine_limits={},
            providers={},
        )
        for _, engine, _, _, slot in running:
            if slot != SlotState.CALLED:
                caps.per_provider[caps.provider(engine)] += 1
            if slot in (SlotState.BEFORE, SlotState.WAITING):
                caps.started[caps.provider(engine)] += 1
        for provider, (_, per_minute) in caps.provider_limits.items():
            if per_minute is not None:
                caps.started[provider] += calls_last_minute(provider, now)
        return caps

    def provider(self, engine: str) -> str:
        if engine not in self.providers:
            self.providers[engine] = provider_of(engine)
        return self.providers[engine]

    def running_of(self, user: Any, bulk: bool) -> int:
        """The person's running jobs of that kind (bulk or interactive)."""
        return self.per_user[(user, bulk)]

    def blocks_user(self, user: Any, bulk: bool) -> bool:
        """The person already runs their cap of jobs of that kind."""
        cap = self.bulk_user_cap if bulk else self.user_cap
        return user is not None and cap is not None and self.running_of(user, bulk) >= cap

    def blocks_engine(self, engine: str) -> bool:
        """The engine runs its limit, or its provider has enough jobs claimed for its
        parallel or per-minute limit."""
        if engine not in self.engine_limits:
            self.engine_limits[engine] = engine_limit(engine)
        limit = self.engine_limits[engine]
        if limit is not None and self.per_engine[engine] >= limit:
            return True
        return self.provider(engine) in self.blocked_providers

    @cached_property
    def blocked_providers(self) -> frozenset[str]:
        """Providers with enough jobs claimed for their parallel or per-minute limit."""
        blocked = set()
        for provider, (parallel, per_minute) in self.provider_limits.items():
            claimed = self.per_provider[provider]
            full = parallel is not None and claimed >= config.provider_claim_limit(parallel)
            if full or (per_minute is not None and self.started[provider] >= per_minute):
                blocked.add(provider)
        return frozenset(blocked)

    def allows(self, row: Mapping[str, Any]) -> bool:
        """Whether a queued job (its author, engine and priority) may be claimed now."""
        bulk = is_bulk(row["priority"])
        return not self.blocks_user(row["created_by_id"], bulk) and not self.blocks_engine(
            row["engine"]
        )

    def blocked_people(self, bulk: bool) -> list[Any]:
        """People at their cap of that kind (bulk or interactive) now."""
        return [u for (u, kind) in self.per_user if kind == bulk and self.blocks_user(u, bulk)]

    def blocked_engines(self) -> list[str]:
        """Engines at their limit, and the registered engines of providers at theirs, now
        (an engine no longer registered is only known to ``allows``)."""
        engines = set(self.per_engine)
        if self.blocked_providers:
            engines.update(registered_engines())
        return sorted(engine for engine in engines if self.blocks_engine(engine))


def last_started(field: str, keys: list[Any], **scope: Any) -> dict[Any, Any]:
    """When the latest job of each ``field`` value in ``keys`` started."""
    return dict(
        Job.objects.filter(**{f"{field}__in": keys}, **scope)
        .exclude(started_at__isnull=True)
        .order_by()
        .values(field)
        .annotate(last=Max("started_at"))
        .values_list(field, "last")
    )


def fairest(rows: dict[Any, dict[str, Any]], running: Counter[Any], last: dict[Any, Any], epoch):
    """The key of ``rows`` (lane → its first row) with the fewest running jobs, then the
    one whose last job started longest ago, then the earliest position: round-robin."""
    return min(rows, key=lambda k: (running[k], last.get(k) or epoch, rows[k]["position"]))
