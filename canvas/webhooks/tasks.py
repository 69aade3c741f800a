"""Background task of webhooks (registered with foundation.background by WebhooksConfig).

- "canvas.webhooks.deliver" ``(delivery_ids)``: sent after the transaction that recorded an
  event (or a resend) commits. It hands the ids to this process's webhook senders and
  returns at once (canvas.webhooks.sender), so the dispatcher's threads (and Celery's job
  slots) never wait on a receiver. Idempotent: a delivery that is not due is not sent.
"""

from __future__ import annotations

from typing import Any

from canvas.webhooks.sender import hand_over
from foundation.background import task


@task("canvas.webhooks.deliver")
def deliver(delivery_ids: list[Any]) -> None:
    hand_over(delivery_ids)
