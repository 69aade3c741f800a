"""Celery application for the scaled-out topology (ANCHORBOARD_DISPATCHER=celery).

Workers run ``celery -A anchorboard.celery_app worker``. Every task goes through
anchorboard.background.run_task, so job logic is identical to the embedded dispatcher.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")

app = Celery("anchorboard")
app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL"),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    broker_transport_options={
        # Longer than the longest job, so an unacked job is not redelivered while running.
        "visibility_timeout": int(os.environ.get("ANCHORBOARD_VISIBILITY_TIMEOUT", "7200")),
    },
)


@app.task(name="anchorboard.run_task")
def run_task(name: str, args: list) -> None:
    import django

    django.setup()
    from anchorboard.background import run_task as run

    run(name, args)
