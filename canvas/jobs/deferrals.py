"""Jobs held back by a provider's open circuit, and their release the moment it closes.

While a provider's circuit is open (canvas/engines/providers/resilience.py) the runner
cannot use it, so the job goes back to the queue without spending an attempt, due at the
provider's next probe (``not_before``) and marked with the provider (``deferred_for``).
When a probe — any job's call on any worker — closes the circuit, ``record_answer`` sends
``circuit_closed`` and ``release`` makes that provider's deferred jobs due at once and
wakes the workers, instead of leaving them to wait out the rest of the window.

A deferral and the close can cross: the job saw the circuit open, the probe closed it,
then the deferral committed — after the release had looked. So ``defer`` looks at the
circuit once more after its own commit; one of the two always sees the other's write.

This module never runs a job and never changes a circuit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F

from canvas.engines import get_engine
from canvas.engines.providers import resilience
from canvas.jobs import lifecycle
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.models.jobs import Job, JobState
from canvas.models.providers import BreakerState, ProviderHealth

logger = logging.getLogger(__name__)


def provider_of(engine_name: str) -> str:
    """The provider whose circuit guards ``engine_name`` ("" for engines without one)."""
    try:
        return str(getattr(get_engine(engine_name), "provider", "") or "")
    except Exception:  # an engine that no longer exists has no circuit to wait for
        return ""


def defer(job: Job, worker_id: str, exc: resilience.ProviderDeferred) -> None:
    """Queue ``job`` again WITHOUT spending an attempt, due when the provider may be tried
    again — or at once, if its circuit closes first."""
    provider = provider_of(job.engine)
    last = (job.notes or [{}])[-1].get("text") if job.notes else None
    with transaction.atomic():
        deferred = lifecycle.transition(
            job.pk,
            JobState.RUNNING,
            JobState.QUEUED,
            owner=worker_id,
            attempts=F("attempts") - 1,
            not_before=exc.until,
            deferred_for=provider,
            progress_message=exc.message[:200],
            notes=job.notes if last == exc.message else lifecycle.noted(job, exc.message),
        )
        if deferred is not None:
            wake_workers_after_commit()
    logger.info("job %s deferred until %s: %s", job.pk, exc.until, exc.message)
    if deferred is not None and provider and circuit_closed_now(provider):
        release(provider)  # it closed while we were deferring


def circuit_closed_now(provider: str) -> bool:
    state = ProviderHealth.objects.filter(provider=provider).values_list("state", flat=True)
    return state.first() in (None, BreakerState.CLOSED)


def release(provider: str) -> list[str]:
    """Make every job deferred for ``provider`` due now and wake the workers."""
    released: list[str] = []
    waiting = Job.objects.filter(state=JobState.QUEUED, deferred_for=provider)
    with transaction.atomic():
        for job_id in waiting.values_list("pk", flat=True):
            done = lifecycle.transition(
                job_id,
                JobState.QUEUED,
                JobState.QUEUED,
                where={"deferred_for": provider},
                deferred_for="",
                not_before=None,
                progress_message="Waiting for a worker",
            )
            if done is not None:
                released.append(str(job_id))
        if released:
            wake_workers_after_commit()
    if released:
        logger.info("provider %s is back: %d deferred job(s) due now", provider, len(released))
    return released


def _on_circuit_closed(sender: Any, provider: str = "", **kwargs: Any) -> None:
    try:
        release(provider)
    except Exception:  # never fail the provider call that closed the circuit
        logger.exception("could not release the jobs deferred for %s", provider)


resilience.circuit_closed.connect(_on_circuit_closed, dispatch_uid="canvas.jobs.deferrals")
