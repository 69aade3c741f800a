"""A generated history of finished jobs for the roll-up tests and the dashboard bench.

``seed_history`` bulk-creates jobs (succeeded, failed, cancelled), their results, one
provider call per attempt for remote engines (retries, fallbacks, priced images), review
decision events (some of them not decisions: a rating, a star) and consistency scores
(some flagged), spread over ``hours`` from ``start`` with a seeded random generator. The
timestamps are the generated ones: ``keeping_timestamps`` turns ``auto_now(_add)`` off
while it inserts. With ``keep=True`` it also returns the generated records, so a test can
compute the expected numbers itself, without the roll-up code.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from canvas.governance.models import ConsistencyScore
from canvas.models import DecisionEvent, Iteration, Job, ProviderCall

# engine → (provider, price per image in EUR or None); "local" makes no provider calls.
ENGINES = {
    "gemini-3-pro-image-preview": ("gemini", Decimal("0.13")),
    "openai-gpt-image-1.5": ("openai", Decimal("0.04")),
    "local": ("local", None),
}
PRICES = {"gemini": "0.13 EUR/image", "openai": "0.04 EUR/image"}
ERRORS = ("provider_blocked", "provider_timeout", "invalid_input")
STATUSES = ("approved", "approved", "rejected", "needs_changes")
SIZE = (64, 48)


@contextlib.contextmanager
def keeping_timestamps() -> Iterator[None]:
    """Let bulk inserts keep the timestamps they were given."""
    fields = [
        Job._meta.get_field("queued_at"),
        Iteration._meta.get_field("created_at"),
        Iteration._meta.get_field("updated_at"),
        ProviderCall._meta.get_field("created_at"),
        DecisionEvent._meta.get_field("at"),
        ConsistencyScore._meta.get_field("created_at"),
        ConsistencyScore._meta.get_field("updated_at"),
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add  # type: ignore[union-attr]


@dataclass
class History:
    jobs: list[Job] = field(default_factory=list)
    iterations: list[Iteration] = field(default_factory=list)
    calls: list[ProviderCall] = field(default_factory=list)
    events: list[DecisionEvent] = field(default_factory=list)
    scores: list[ConsistencyScore] = field(default_factory=list)

    def clear(self) -> None:
        for part in (self.jobs, self.iterations, self.calls, self.events, self.scores):
            part.clear()

    def insert(self) -> None:
        with keeping_timestamps():
            Job.objects.bulk_create(self.jobs, batch_size=2000)
            Iteration.objects.bulk_create(self.iterations, batch_size=2000)
            ProviderCall.objects.bulk_create(self.calls, batch_size=2000)
            DecisionEvent.objects.bulk_create(self.events, batch_size=2000)
            ConsistencyScore.objects.bulk_create(self.scores, batch_size=2000)


def _job(rng: random.Random, out: History, board: Any, user: Any, asset: Any, at: datetime) -> None:
    engine = rng.choice(list(ENGINES))
    provider, price = ENGINES[engine]
    roll = rng.random()
    state = "succeeded" if roll < 0.8 else "failed" if roll < 0.95 else "cancelled"
    attempts = rng.choices((1, 2, 3), (85, 10, 5))[0]
    first: datetime | None = at + timedelta(seconds=rng.expovariate(1 / 20))
    # Each retry waits out a 30 s backoff after a 5 s failed attempt: the last attempt
    # starts later than the first claim.
    started = first + timedelta(seconds=35 * (attempts - 1))
    finished = started + timedelta(seconds=rng.expovariate(1 / 40))
    if state == "cancelled" and rng.random() < 0.5:  # cancelled while still queued
        attempts, first, started = 0, None, None
    job = Job(
        id=uuid.uuid4(), board=board, created_by=user, mode="img2img", engine=engine,
        state=state, attempts=attempts, queued_at=at, first_claimed_at=first,
        started_at=started, finished_at=finished,
        error_code=rng.choice(ERRORS) if state == "failed" else "",
    )  # fmt: skip
    out.jobs.append(job)
    results = rng.randint(1, 3) if state == "succeeded" else 0
    if provider != "local":
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            outcome = {"succeeded": "success", "failed": "permanent", "cancelled": "cancelled"}
            images = results if last else 0
            out.calls.append(
                ProviderCall(
                    provider=provider, engine=engine, job=job, attempt=attempt,
                    outcome=outcome[state] if last else "transient",
                    error_code="" if last and state == "succeeded" else "provider_unavailable",
                    created_at=finished - timedelta(seconds=(attempts - attempt) * 5),
                    started_at=finished - timedelta(seconds=(attempts - attempt) * 5 + 3),
                    fallback=last and rng.random() < 0.05, images=images,
                    megapixels=images * SIZE[0] * SIZE[1] / 1e6,
                    cost=price * images if images and price else None,
                    currency="EUR" if images and price else "",
                )
            )  # fmt: skip
    for index in range(results):
        iteration = Iteration(
            id=uuid.uuid4(), board=board, job=job, index=index, asset=asset,
            created_at=finished, updated_at=finished,
        )  # fmt: skip
        out.iterations.append(iteration)
        if rng.random() < 0.5:
            status = rng.choice(STATUSES)
            decided = finished + timedelta(seconds=rng.expovariate(1 / 900))
            out.events.append(
                DecisionEvent(
                    iteration=iteration, board=board, status=status, tier="generation",
                    changes={"status": ["", status]}, at=decided,
                )
            )  # fmt: skip
            if rng.random() < 0.2:  # a star later: not a decision
                out.events.append(
                    DecisionEvent(
                        iteration=iteration, board=board, status=status, tier="generation",
                        changes={"starred": [False, True]}, starred=True,
                        at=decided + timedelta(seconds=30),
                    )
                )  # fmt: skip
        if rng.random() < 0.4:
            scored = finished + timedelta(seconds=2)
            for metric in ("palette", "lighting"):
                flag = {"metric": metric} if metric == "lighting" and rng.random() < 0.25 else None
                out.scores.append(
                    ConsistencyScore(
                        board=board, asset=asset, iteration=iteration, metric=metric,
                        fingerprint=iteration.id.hex, score=0.5, flag=flag,
                        created_at=scored, updated_at=scored,
                    )
                )  # fmt: skip


def seed_history(
    jobs: int,
    *,
    boards: list[Any],
    users: list[Any],
    asset: Any,
    start: datetime,
    hours: int,
    seed: int = 17,
    keep: bool = False,
    chunk: int = 5000,
) -> History:
    """Insert ``jobs`` generated jobs (and their facts) queued over ``hours`` from ``start``;
    returns what was generated when ``keep`` (else an empty History)."""
    rng = random.Random(seed)
    kept, part = History(), History()
    for number in range(jobs):
        at = start + timedelta(seconds=rng.uniform(0, hours * 3600 - 600))
        user = rng.choice(users) if rng.random() > 0.05 else None
        _job(rng, part, rng.choice(boards), user, asset, at)
        if len(part.jobs) >= chunk or number == jobs - 1:
            part.insert()
            if keep:
                for name in ("jobs", "iterations", "calls", "events", "scores"):
                    getattr(kept, name).extend(getattr(part, name))
            part = History()
    return kept
