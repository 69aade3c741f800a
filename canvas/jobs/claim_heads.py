"""What a claim reads from the queue: the first job of each lane, not the queue itself.

A claim chooses the highest priority with claimable work, then a person, then one of that
person's lanes (each batch, and their jobs outside one), then that lane's first job
(docs/jobs.md "Claiming"). Every one of those choices needs only the *head* of each
(priority, person, lane, engine): the caps hold a person by kind, an engine and its
provider, never one job more than another of the same group. So the database picks the
heads (``ROW_NUMBER() OVER (PARTITION BY …)``) and a claim reads a handful of rows where it
used to read up to ``CLAIM_WINDOW`` whole queued rows into Python and filter them there
(about a third of a worker's CPU on a queue of 200 tiny jobs: bench/README.md).

The heads come from a window of the queue — its first ``CLAIM_WINDOW`` due jobs in claim
order — from which what the caps already block is left out in SQL (``Caps.exclusions``),
so a provider at its limit with a thousand queued jobs no longer hides the work of other
providers behind it. ``Caps.allows`` still judges each head (an engine no longer
registered is only known to it). This module reads; canvas.jobs.queue decides and claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from canvas.jobs.claim_caps import Caps
from canvas.models import BatchState
from canvas.models.jobs import Job, JobState

# How many queued jobs (the claimable ones, in claim order) the heads are taken from; work
# beyond it waits for a later claim.
CLAIM_WINDOW = 500
HEAD_FIELDS = ("id", "created_by_id", "engine", "priority", "position", "batch_id")


def due(now: datetime) -> QuerySet[Job]:
    """Queued jobs a claim may consider: due, on a board whose queue runs, not in a paused
    batch."""
    return (
        Job.objects.filter(state=JobState.QUEUED, board__queue_paused=False)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(batch__isnull=True) | Q(batch__state=BatchState.RUNNING))
    )


def heads(now: datetime, caps: Caps) -> list[dict[str, Any]]:
    """The first due job of each (priority, person, batch, engine) in the window, that the
    caps allow, in claim order (highest priority, then position)."""
    window = (
        due(now)
        .exclude(caps.exclusions())
        .order_by("-priority", "position", "queued_at")
        .values("pk")[:CLAIM_WINDOW]
    )
    rows = (
        Job.objects.filter(pk__in=window)
        .annotate(
            head=Window(
                RowNumber(),
                partition_by=[F("priority"), F("created_by_id"), F("batch_id"), F("engine")],
                order_by=[F("position").asc(), F("queued_at").asc()],
            )
        )
        .filter(head=1)
        .order_by("-priority", "position", "queued_at")
        .values(*HEAD_FIELDS)
    )
    return [row for row in rows if caps.allows(row)]
