"""How long the delivery log keeps events: ``RETENTION`` (30 days), then an event and its
deliveries are deleted, unless one of them is still pending.

``prune`` deletes at most ``BATCH`` events per call (one indexed read on ``created_at``,
one delete), so no call scans the table; the sweep of canvas.webhooks.sender calls it at
most every ``PRUNE_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from canvas.webhooks.models import DeliveryState, WebhookEvent

RETENTION = timedelta(days=30)
BATCH = 1000
PRUNE_SECONDS = 3600.0


def prune(now: datetime | None = None) -> int:
    """Delete up to BATCH events older than RETENTION with nothing pending; returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    old = (
        WebhookEvent.objects.filter(created_at__lt=cutoff)
        .exclude(deliveries__state=DeliveryState.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    ids = list(old)
    if not ids:
        return 0
    WebhookEvent.objects.filter(pk__in=ids).delete()
    return len(ids)
