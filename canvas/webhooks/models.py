"""Webhook endpoints, the events recorded for them, and one row per delivery.

An ``WebhookEvent`` is written in the same transaction as the change it reports (a job
finished, a decision made), only when an active endpoint of the team subscribes to its
type; its ``id`` is the stable event id every delivery and resend carries. A
``WebhookDelivery`` is one event for one endpoint: pending until a 2xx answer, retried
with backoff until ``give_up_at``. Rows hold data; canvas.webhooks.delivery and
.endpoints write them.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)


def new_secret() -> str:
    """256 random bits, shown to the team admin once (create, roll)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("canvas.Team", on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # event type names, see canvas.webhooks.events
    # Kept readable (the server signs with it); shown to people only when made or rolled.
    secret = models.CharField(max_length=100, default=new_secret)
    # After a roll the old secret still signs (a second v1) until this time, so receivers
    # can switch without dropping deliveries.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"webhook {self.url} of team {self.team_id}"

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery made at ``now`` is signed with, newest first."""
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            keys.append(self.previous_secret)
        return keys

    @property
    def secret_hint(self) -> str:
        """Enough to tell secrets apart, not to use one: ``whsec_…Ab3x``."""
        return f"{SECRET_PREFIX}…{self.secret[-4:]}"


class WebhookEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("canvas.Team", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    # Optional idempotency key of the emitter (e.g. "batch:<id>"): one event per key and team.
    key = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict)  # the envelope's "data"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "key"], condition=~models.Q(key=""), name="webhook_event_key"
            )
        ]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="webhook_event_team"),
            models.Index(fields=["created_at"], name="webhook_event_age"),  # retention
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, the end of its lease (a sender
    # that died mid-attempt leaves the delivery due again then). Null once finished.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=40, blank=True)  # error class: timeout, http_500…
    last_error_message = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.id} of {self.event_id} ({self.state})"
