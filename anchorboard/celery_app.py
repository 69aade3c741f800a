"""Celery application for the scaled-out topology (ANCHORBOARD_DISPATCHER=celery).

Workers run ``celery -A anchorboard.celery_app worker --pool threads --concurrency N``.
Every task goes through foundation.background.run_task, so job logic is identical to the
embedded dispatcher; Celery only carries "a job may be claimable" messages; the job's
state lives in the database (canvas.jobs.queue), never in the broker.

Delivery settings and why:

- **acknowledged when the task starts** (not ``acks_late``): a message only says "a job
  may be claimable"; the job itself, its claim and its lease live in the database. A
  worker killed mid-job loses nothing the database does not know: recovery requeues the
  job from its lease and the sweeper announces it. Acknowledging late would only leave the
  killed worker's messages unacknowledged in Redis until the visibility timeout.
- ``prefetch 1``: a busy worker does not hoard wake-ups other workers could act on.
- a short ``visibility_timeout``: the only unacknowledged messages are wake-ups a worker
  took but had not started when it died; Redis hands them out again after this time and
  they claim whatever is claimable then, or nothing. No job waits for them: the sweepers
  announce every claimable job from the database.

A job whose message was lost (a worker killed, Redis restarted without persistence, a
wake-up that found every slot capped) is found by the sweeper each worker runs
(canvas.jobs.celery_worker), so no periodic ``beat`` process is needed. Workers survive
the broker going away while busy and reconnect by themselves (anchorboard.broker).

This module must not import Django models at import time: the web process imports it to
send messages before any app registry work is finished.
"""

from __future__ import annotations

import os

from celery import Celery, signals

from foundation import knobs
from foundation.config import from_environment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")

BROKER_URL = from_environment(knobs.CELERY_BROKER_URL) or from_environment(knobs.REDIS_URL)

app = Celery("anchorboard")
app.conf.update(
    broker_url=BROKER_URL,
    # kombu's Redis transport, made to survive the broker going away while a worker is
    # busy (anchorboard/broker.py says why). The URL stays redis:// (or rediss://).
    broker_transport=(
        "anchorboard.broker:Transport"
        if (BROKER_URL or "").startswith(("redis://", "rediss://"))
        else None
    ),
    task_acks_late=False,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    # Nobody reads task return values: the job row is the result.
    task_ignore_result=True,
    worker_redirect_stdouts=False,
    broker_connection_retry_on_startup=True,
    # Keep running jobs when the broker connection drops (Redis restart): the job's lease
    # lives in the database, and a second delivery of a message claims nothing.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # Messages are acknowledged when their task starts, so the visibility timeout only
    # bounds how long a dead worker's prefetched, never-started wake-ups stay in Redis.
    broker_transport_options={
        "visibility_timeout": from_environment(knobs.VISIBILITY_TIMEOUT),
    },
)


def _setup_django() -> None:
    import django

    django.setup()


@app.task(name="anchorboard.run_task")
def run_task(name: str, args: list) -> None:
    _setup_django()
    from foundation.background import run_task as run

    run(name, args)


@signals.worker_init.connect
def _django_for_worker(**kwargs) -> None:
    # Before consuming: the app registry and Django's logging configuration are ready.
    _setup_django()


@signals.worker_ready.connect
def _start_sweeper(sender=None, **kwargs) -> None:
    """Once the worker consumes messages, start its sweeper (recovery, due and capped jobs)."""
    _setup_django()
    from canvas.jobs.celery_worker import start_sweeper

    controller = getattr(sender, "controller", None)
    start_sweeper(concurrency=int(getattr(controller, "concurrency", 0) or 1))


@signals.worker_shutting_down.connect
def _stop_sweeper(**kwargs) -> None:
    """Warm shutdown: stop asking for more work; Celery waits for running tasks itself."""
    from canvas.jobs.celery_worker import stop_sweeper

    stop_sweeper()
