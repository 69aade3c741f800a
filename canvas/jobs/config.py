"""Job queue settings, read from Django settings with documented defaults.

Kept in one place so docs/jobs.md has one list to mirror. Every value can be set in
Django settings or, for deployments, in the environment variable of the same name.
"""

from __future__ import annotations

import os

from django.conf import settings


def _int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "")
        value = int(raw) if raw.strip() else default
    return int(value)


def _float(name: str, default: float) -> float:
    value = _configured(name)
    return float(default if value is None else value)


def _configured(name: str) -> float | None:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "")
        value = float(raw) if raw.strip() else None
    return None if value is None else float(value)


def max_attempts() -> int:
    """How many times a job may start before a transient failure becomes final."""
    return max(1, _int("ANCHORBOARD_JOB_MAX_ATTEMPTS", 3))


def user_concurrency() -> int:
    """How many jobs of one person may run at the same time."""
    return max(1, _int("ANCHORBOARD_JOB_USER_CONCURRENCY", 2))


def engine_concurrency(engine: str, capability_limit: int | None = None) -> int | None:
    """How many jobs of ``engine`` may run at once; None means no limit.

    ``ANCHORBOARD_ENGINE_CONCURRENCY`` (a dict in settings, or ``local=1,openai=4`` in the
    environment) wins over the limit the engine declares in its capabilities.
    """
    limits = getattr(settings, "ANCHORBOARD_ENGINE_CONCURRENCY", None)
    if limits is None:
        limits = {}
        for part in os.environ.get("ANCHORBOARD_ENGINE_CONCURRENCY", "").split(","):
            name, _, value = part.partition("=")
            if name.strip() and value.strip():
                limits[name.strip()] = int(value)
    if engine in limits:
        return int(limits[engine])
    return capability_limit


def lease_seconds() -> float:
    """How long a claim stays valid without a heartbeat; by default three heartbeats.

    A dead worker's job is requeued at most one lease plus one poll period after its last
    heartbeat (canvas.jobs.recovery runs at every upkeep tick).
    """
    lease = _configured("ANCHORBOARD_JOB_LEASE_SECONDS")
    return lease if lease is not None else 3 * _float("ANCHORBOARD_JOB_HEARTBEAT_SECONDS", 2.0)


def heartbeat_seconds() -> float:
    """How often a running job renews its lease; never more than a third of the lease, so
    two late heartbeats (a busy machine) do not cost a live worker its job."""
    return min(_float("ANCHORBOARD_JOB_HEARTBEAT_SECONDS", 2.0), lease_seconds() / 3)


def retry_base_seconds() -> float:
    """First retry delay after a transient failure; doubles per attempt, plus jitter."""
    return _float("ANCHORBOARD_JOB_RETRY_BASE_SECONDS", 5.0)


def poll_seconds() -> float:
    """How often idle workers look for work that became due (backoff), and how often each
    worker process runs its upkeep (recovery, lost announcements: canvas.jobs.upkeep)."""
    return _float("ANCHORBOARD_JOB_POLL_SECONDS", 1.0)


def progress_interval_seconds() -> float:
    """Minimum time between two progress writes/broadcasts of one job."""
    return _float("ANCHORBOARD_JOB_PROGRESS_INTERVAL", 0.5)


def time_limit_seconds() -> float:
    """How long one attempt may run before the engine is asked to stop (timed_out)."""
    return _float("ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", 1800.0)
