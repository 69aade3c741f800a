"""Where events enter: ``emit`` and the one-line hooks other rooms call.

``emit(event_type, team, data)`` is the public entry (batches call it with
``batch.completed``, exports with ``export.ready``). Call it inside the transaction that
makes the change it reports: the event and its deliveries are written in that transaction
(in a savepoint: a failure here is logged and never undoes the caller's change), so an
event exists exactly when the change committed, and the deliveries are handed to the
background dispatcher after commit. Nothing here makes an HTTP call or waits for one.

Hooks: ``job_finished(job)`` (canvas.jobs.lifecycle.transition, every change; only
``succeeded`` and ``failed`` count) and ``review_decided(decision, changes)``
(canvas.review.decisions.set_decision; only a change of status counts).

With no active endpoint subscribed to a type, ``emit`` costs one indexed query and
writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas.models import Decision, Job, JobState
from canvas.webhooks import events
from canvas.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent
from foundation.background import run_after_commit

logger = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=24)
DELIVER_TASK = "canvas.webhooks.deliver"

Data = dict[str, Any] | Callable[[], dict[str, Any]]


def emit(
    event_type: str, team: Any, data: Data, *, key: str = "", board: Any = None
) -> WebhookEvent | None:
    """Record ``event_type`` for ``team`` (a Team or its id) with ``data`` (or a function
    building it, called only when someone subscribes) and queue one delivery per active
    endpoint subscribed to it. ``key`` makes the call idempotent per team: a second emit
    with the same key returns the first event. ``board`` (instead of ``team``) finds the
    team through the board in the same query. Returns the event, or None when nobody
    listens or recording failed (logged)."""
    if event_type not in events.EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    try:
        with transaction.atomic():
            recorded = _record(event_type, team, data, key, board)
    except Exception:
        logger.exception("could not record webhook event %s", event_type)
        return None
    if recorded is None:
        return None
    event, delivery_ids = recorded
    if delivery_ids:
        run_after_commit(DELIVER_TASK, delivery_ids)
    return event


def _record(
    event_type: str, team: Any, data: Data, key: str, board: Any
) -> tuple[WebhookEvent, list[str]] | None:
    endpoints = WebhookEndpoint.objects.filter(active=True)
    if board is not None:
        endpoints = endpoints.filter(team__boards=getattr(board, "pk", board))
    else:
        endpoints = endpoints.filter(team_id=getattr(team, "pk", team))
    listening = [e for e in endpoints.only("id", "team_id", "events") if event_type in e.events]
    if not listening:
        return None
    team_id = listening[0].team_id
    if key:
        existing = WebhookEvent.objects.filter(team_id=team_id, key=key).first()
        if existing is not None:
            return existing, []
    payload = data() if callable(data) else data
    event = WebhookEvent.objects.create(team_id=team_id, type=event_type, key=key, payload=payload)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event,
            endpoint=endpoint,
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            give_up_at=now + RETRY_WINDOW,
        )
        for endpoint in listening
    )
    return event, [str(d.pk) for d in deliveries]


def job_finished(job: Job) -> None:
    """The job lifecycle's hook: ``job.succeeded`` / ``job.failed`` when a job ends so.

    Called on every transition (inside its transaction); anything else returns at once.
    """
    if job.state == JobState.SUCCEEDED:
        event_type = events.JOB_SUCCEEDED
    elif job.state == JobState.FAILED:
        event_type = events.JOB_FAILED
    else:
        return
    emit(event_type, None, lambda: events.job_data(job), board=job.board_id)


def review_decided(decision: Decision, changes: dict[str, Any]) -> None:
    """The review hook: ``review.decided`` when a decision's status changed (a rating or a
    star alone is not a decision)."""
    if "status" not in changes:
        return
    emit(
        events.REVIEW_DECIDED,
        None,
        lambda: events.decision_data(decision),
        board=decision.board_id,
    )
