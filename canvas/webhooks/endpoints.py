"""What a team admin does with webhooks: register an endpoint, change it, switch it on or
off, roll its secret, delete it, resend a delivery. Callers (API, pages) have checked that
the caller is an admin of the team (canvas.permissions, ``TeamPerm.WEBHOOKS``).

A secret is shown once: ``create`` and ``roll_secret`` return it beside the endpoint, and
nothing else ever does (lists show ``secret_hint``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from canvas.models import Team
from canvas.webhooks import addresses, dispatch, events
from canvas.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    new_secret,
)
from foundation.errors import AppError, Conflict, NotFound

MAX_ENDPOINTS_PER_TEAM = 20
OLD_SECRET_GRACE = timedelta(hours=24)


class InvalidWebhook(AppError):
    code = "invalid_webhook"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    default_message = "This webhook does not exist, or you are not an admin of its team."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = "This delivery does not exist, or you are not an admin of its team."


@dataclass(frozen=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str


def clean_events(names: Any) -> list[str]:
    chosen = list(dict.fromkeys(names or []))
    unknown = [n for n in chosen if n not in events.EVENT_TYPES]
    if unknown:
        raise InvalidWebhook(
            f"Unknown event {', '.join(map(str, unknown))}; choose from "
            f"{', '.join(events.EVENT_TYPES)}."
        )
    if not chosen:
        raise InvalidWebhook("Choose at least one event to send.")
    return chosen


def clean_url(url: str) -> str:
    addresses.check_url(url)  # raises RefusedURL (400) with the reason
    return url.strip()


def create(
    team: Team, user: Any, *, url: str, events: Any, description: str = "", active: bool = True
) -> WithSecret:
    if WebhookEndpoint.objects.filter(team=team).count() >= MAX_ENDPOINTS_PER_TEAM:
        raise Conflict(
            f"A team can have at most {MAX_ENDPOINTS_PER_TEAM} webhooks; delete one first."
        )
    endpoint = WebhookEndpoint.objects.create(
        team=team,
        url=clean_url(url),
        events=clean_events(events),
        description=(description or "").strip()[:200],
        active=active,
        created_by=user if getattr(user, "pk", None) else None,
    )
    return WithSecret(endpoint, endpoint.secret)


def update(endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change any of url / description / events / active; switching on clears the reason
    it was switched off (e.g. a 410 Gone)."""
    if "url" in changes and changes["url"] is not None:
        endpoint.url = clean_url(changes["url"])
    if "description" in changes and changes["description"] is not None:
        endpoint.description = changes["description"].strip()[:200]
    if "events" in changes and changes["events"] is not None:
        endpoint.events = clean_events(changes["events"])
    if "active" in changes and changes["active"] is not None:
        endpoint.active = bool(changes["active"])
        if endpoint.active:
            endpoint.disabled_reason = ""
        else:
            endpoint.disabled_reason = endpoint.disabled_reason or "Switched off by an admin."
    endpoint.save()
    return endpoint


def roll_secret(endpoint: WebhookEndpoint) -> WithSecret:
    """A new secret; the old one keeps signing (a second ``v1``) for a day."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + OLD_SECRET_GRACE
    endpoint.secret = new_secret()
    endpoint.save()
    return WithSecret(endpoint, endpoint.secret)


def delete(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its deliveries go with it; events stay for other endpoints


def resend(original: WebhookDelivery, user: Any) -> WebhookDelivery:
    """Send the same event (same event id, same body) to the same endpoint again, as a new
    delivery row with its own day of retries; the log keeps both."""
    endpoint = original.endpoint
    if not endpoint.active:
        raise Conflict("This webhook is switched off; switch it on before resending.")
    now = timezone.now()
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            event_id=original.event_id,
            endpoint=endpoint,
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            give_up_at=now + dispatch.RETRY_WINDOW,
            resend_of=original,
            resent_by=user if getattr(user, "pk", None) else None,
        )
        dispatch.run_after_commit(dispatch.DELIVER_TASK, [str(copy.pk)])
    return copy


def _one(rows: QuerySet[Any], key: Any, missing: type[NotFound]) -> Any:
    """The row with primary key ``key`` (any form of a UUID), else ``missing`` (404)."""
    try:
        pk = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
    except ValueError:
        raise missing() from None
    found = rows.filter(pk=pk).first()
    if found is None:
        raise missing()
    return found


def load_endpoint(endpoint_id: Any) -> WebhookEndpoint:
    """The endpoint (the caller checks the team role next; both misses are the same 404)."""
    rows = WebhookEndpoint.objects.select_related("team", "created_by")
    return _one(rows, endpoint_id, WebhookNotFound)


def load_delivery(delivery_id: Any) -> WebhookDelivery:
    rows = WebhookDelivery.objects.select_related("endpoint__team", "event")
    return _one(rows, delivery_id, DeliveryNotFound)


def deliveries_of(endpoint: WebhookEndpoint, state: str | None = None):
    """The delivery log of an endpoint, newest first."""
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")
