"""Job queue settings: what the queue asks, answered from the declared knobs.

The knobs themselves (names, defaults, meaning) are declared in foundation/knobs/ and read
through foundation.config, so a Django setting wins over the environment variable of the
same name; this module only adds the rules between them (bounds, the lease that follows the
heartbeat). docs/configuration.md lists them; docs/jobs.md says what they do.
"""

from __future__ import annotations

from foundation import knobs
from foundation.config import read


def max_attempts() -> int:
    """How many times a job may start before a transient failure becomes final."""
    return max(1, read(knobs.JOB_MAX_ATTEMPTS))


def user_concurrency() -> int:
    """How many interactive jobs of one person may run at the same time."""
    return max(1, read(knobs.JOB_USER_CONCURRENCY))


def bulk_user_concurrency() -> int | None:
    """How many bulk jobs (a batch's) of one person may run at the same time; None: no cap
    of its own (the provider and engine limits hold bulk work, shared fairly)."""
    cap = read(knobs.JOB_BULK_USER_CONCURRENCY)
    return None if cap is None else max(1, cap)


def engine_concurrency(engine: str, capability_limit: int | None = None) -> int | None:
    """How many jobs of ``engine`` may run at once; None means no limit.

    ``ANCHORBOARD_ENGINE_CONCURRENCY`` (a dict in settings, or ``local=1,openai=4`` in the
    environment) wins over the limit the engine declares in its capabilities.
    """
    return read(knobs.ENGINE_CONCURRENCY).get(engine, capability_limit)


def provider_limits() -> dict[str, tuple[int, int | None]]:
    """Per provider: (parallel calls, job starts per minute or None) from
    ``ANCHORBOARD_PROVIDER_LIMITS``; providers not named have no limit of their own."""
    return read(knobs.PROVIDER_LIMITS)


def provider_claim_limit(parallel: int) -> int:
    """How many jobs of a provider allowing ``parallel`` calls may be claimed and not yet
    past their call: C calling and a quarter of C more (at least one) prepared and waiting
    for the next free slot (canvas.jobs.slots), so a slot that frees is taken at once
    instead of after the next job's claim and composite. Few enough that a provider's
    waiting jobs never hold many workers another provider's jobs could use."""
    return parallel + max(1, parallel // 4)


def lease_seconds() -> float:
    """How long a claim stays valid without a heartbeat; by default three heartbeats.

    A dead worker's job is requeued at most one lease plus one poll period after its last
    heartbeat (canvas.jobs.recovery runs at every upkeep tick).
    """
    lease = read(knobs.JOB_LEASE_SECONDS)
    return lease if lease is not None else 3 * read(knobs.JOB_HEARTBEAT_SECONDS)


def heartbeat_seconds() -> float:
    """How often a running job renews its lease; never more than a third of the lease, so
    two late heartbeats (a busy machine) do not cost a live worker its job."""
    return min(read(knobs.JOB_HEARTBEAT_SECONDS), lease_seconds() / 3)


def retry_base_seconds() -> float:
    """First retry delay after a transient failure; doubles per attempt, plus jitter."""
    return read(knobs.JOB_RETRY_BASE_SECONDS)


def poll_seconds() -> float:
    """How often idle workers look for work that became due (backoff), and how often each
    worker process runs its upkeep (recovery, lost announcements: canvas.jobs.upkeep)."""
    return read(knobs.JOB_POLL_SECONDS)


def progress_interval_seconds() -> float:
    """Minimum time between two progress writes/broadcasts of one job."""
    return read(knobs.JOB_PROGRESS_INTERVAL)


def time_limit_seconds() -> float:
    """How long one attempt may run before the engine is asked to stop (timed_out)."""
    return read(knobs.JOB_TIME_LIMIT_SECONDS)
