"""Celery application for the scaled-out topology (ANCHORBOARD_DISPATCHER=celery).

Workers run ``celery -A anchorboard.celery_app worker --pool threads --concurrency N``.
Every task goes through anchorboard.background.run_task, so job logic is identical to the
embedded dispatcher; Celery only carries "a job may be claimable" messages; the job's
state lives in the database (canvas.jobs.queue), never in the broker.

Delivery settings and why:

- ``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only after its task
  returns, so a worker killed mid-task leaves it to be delivered again. Running it twice is
  harmless (claims are atomic; results are keyed (job, index)).
- ``prefetch 1``: a busy worker does not hoard wake-ups other workers could act on.
- ``visibility_timeout`` longer than the longest job, so an unacknowledged task is not
  handed to a second worker while the first is still running it.

A job whose message was lost (a worker killed, Redis restarted without persistence, a
wake-up that found every slot capped) is found by the sweeper each worker runs
(canvas.jobs.celery_worker), so no periodic ``beat`` process is needed.

This module must not import Django models at import time: the web process imports it to
send messages before any app registry work is finished.
"""

from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")

# Longer than the longest job (ANCHORBOARD_JOB_TIME_LIMIT_SECONDS defaults to 30 minutes).
DEFAULT_VISIBILITY_TIMEOUT = 7200

app = Celery("anchorboard")
app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL"),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    # Nobody reads task return values: the job row is the result.
    task_ignore_result=True,
    worker_redirect_stdouts=False,
    broker_connection_retry_on_startup=True,
    # Keep running jobs when the broker connection drops (Redis restart): the job's lease
    # lives in the database, and a second delivery of the message claims nothing.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    broker_transport_options={
        "visibility_timeout": int(
            os.environ.get("ANCHORBOARD_VISIBILITY_TIMEOUT", str(DEFAULT_VISIBILITY_TIMEOUT))
        ),
    },
)


def _setup_django() -> None:
    import django

    django.setup()


@app.task(name="anchorboard.run_task")
def run_task(name: str, args: list) -> None:
    _setup_django()
    from anchorboard.background import run_task as run

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
