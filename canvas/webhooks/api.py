"""Webhooks in the JSON API; team admins only (``TeamPerm.WEBHOOKS``).

- ``GET/POST /teams/{id}/webhooks``: a team's endpoints; register one (the answer holds
  its ``secret``, shown only there).
- ``GET/PATCH/DELETE /webhooks/{id}``; ``POST /webhooks/{id}/secret`` rolls the secret
  (the old one keeps signing for a day; the new one is in this answer only).
- ``GET /webhooks/{id}/deliveries``: the delivery log, newest first (``state`` filter).
- ``POST /webhook-deliveries/{id}/resend``: the same event (same id, same body) again.

Team members who are not admins get 403; anyone outside the team gets the same 404 as a
missing id. Auth, errors and pages are those of the rest of /api/v1/ (docs/api.md);
the guide is docs/webhooks.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from canvas.members.api_auth import api_user
from canvas.permissions import TeamPerm, get_team_for
from canvas.webhooks import endpoints
from canvas.webhooks.models import WebhookDelivery, WebhookEndpoint
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate
from foundation.errors import TeamNotFound

router = Router(tags=["webhooks"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
EventName = Literal[
    "job.succeeded", "job.failed", "batch.completed", "review.decided", "export.ready"
]
StateName = Literal["pending", "delivered", "failed"]


class WebhookIn(Schema):
    url: str = Field(..., max_length=2000, description="https:// URL that receives the POSTs.")
    events: list[EventName] = Field(..., min_length=1)
    description: str = Field("", max_length=200)
    active: bool = True


class WebhookPatch(Schema):
    url: str | None = Field(None, max_length=2000)
    events: list[EventName] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class WebhookOut(Schema):
    id: str
    team: str
    url: str
    description: str
    events: list[str]
    active: bool
    disabled_reason: str
    secret_hint: str = Field(..., description="The end of the secret, to tell secrets apart.")
    created_by: str | None
    created_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(..., description="Shown only in this answer: store it now.")


class EventOut(Schema):
    id: str
    type: str
    created_at: datetime


class DeliveryOut(Schema):
    id: str
    event: EventOut
    state: StateName
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    last_error_message: str
    response_excerpt: str
    delivered_at: datetime | None
    give_up_at: datetime
    resend_of: str | None
    created_at: datetime


class DeliveryFilter(PageParams):
    state: StateName | None = None


def webhook_payload(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.pk),
        "team": str(endpoint.team_id),
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "secret_hint": endpoint.secret_hint,
        "created_by": endpoint.created_by.get_username() if endpoint.created_by else None,
        "created_at": endpoint.created_at,
    }


def delivery_payload(delivery: WebhookDelivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "id": str(delivery.pk),
        "event": {"id": str(event.pk), "type": event.type, "created_at": event.created_at},
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_error_message": delivery.last_error_message,
        "response_excerpt": delivery.response_excerpt,
        "delivered_at": delivery.delivered_at,
        "give_up_at": delivery.give_up_at,
        "resend_of": str(delivery.resend_of_id) if delivery.resend_of_id else None,
        "created_at": delivery.created_at,
    }


def admin_endpoint(request: HttpRequest, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint, if the caller is an admin of its team (outsiders: the webhook's 404)."""
    endpoint = endpoints.load_endpoint(endpoint_id)
    try:
        get_team_for(api_user(request), endpoint.team_id, TeamPerm.WEBHOOKS)
    except TeamNotFound:
        raise endpoints.WebhookNotFound() from None
    return endpoint


@router.get(
    "/teams/{team_id}/webhooks", response={200: Page[WebhookOut], **ERRORS}, summary="Webhooks"
)
def list_webhooks(request: HttpRequest, team_id: str, paging: Query[PageParams]) -> dict[str, Any]:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.WEBHOOKS)
    rows = WebhookEndpoint.objects.filter(team=team).select_related("created_by")
    return paginate(
        request,
        rows.order_by("created_at", "id"),
        paging,
        lambda page: [webhook_payload(e) for e in page],
    )


@router.post(
    "/teams/{team_id}/webhooks",
    response={201: WebhookWithSecret, **ERRORS},
    summary="Register a webhook",
)
def create_webhook(
    request: HttpRequest, team_id: str, payload: WebhookIn
) -> Status[dict[str, Any]]:
    user = api_user(request)
    team, _ = get_team_for(user, team_id, TeamPerm.WEBHOOKS)
    made = endpoints.create(team, user, **payload.dict())
    return Status(201, {**webhook_payload(made.endpoint), "secret": made.secret})


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="A webhook")
def get_webhook(request: HttpRequest, webhook_id: str) -> dict[str, Any]:
    return webhook_payload(admin_endpoint(request, webhook_id))


@router.patch(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Change a webhook"
)
def change_webhook(request: HttpRequest, webhook_id: str, payload: WebhookPatch) -> dict[str, Any]:
    endpoint = admin_endpoint(request, webhook_id)
    return webhook_payload(endpoints.update(endpoint, **payload.dict(exclude_unset=True)))


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook")
def delete_webhook(request: HttpRequest, webhook_id: str) -> Status[None]:
    endpoints.delete(admin_endpoint(request, webhook_id))
    return Status(204, None)


@router.post(
    "/webhooks/{webhook_id}/secret",
    response={200: WebhookWithSecret, **ERRORS},
    summary="Roll a webhook's secret",
)
def roll_webhook_secret(request: HttpRequest, webhook_id: str) -> dict[str, Any]:
    made = endpoints.roll_secret(admin_endpoint(request, webhook_id))
    return {**webhook_payload(made.endpoint), "secret": made.secret}


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: Page[DeliveryOut], **ERRORS},
    summary="A webhook's delivery log",
)
def list_deliveries(
    request: HttpRequest, webhook_id: str, filters: Query[DeliveryFilter]
) -> dict[str, Any]:
    endpoint = admin_endpoint(request, webhook_id)
    rows = endpoints.deliveries_of(endpoint, filters.state)
    return paginate(request, rows, filters, lambda page: [delivery_payload(d) for d in page])


@router.post(
    "/webhook-deliveries/{delivery_id}/resend",
    response={201: DeliveryOut, **ERRORS},
    summary="Resend a delivery",
)
def resend_delivery(request: HttpRequest, delivery_id: str) -> Status[dict[str, Any]]:
    user = api_user(request)
    delivery = endpoints.load_delivery(delivery_id)
    try:
        get_team_for(user, delivery.endpoint.team_id, TeamPerm.WEBHOOKS)
    except TeamNotFound:
        raise endpoints.DeliveryNotFound() from None
    copy = endpoints.resend(delivery, user)
    copy.refresh_from_db()
    return Status(201, delivery_payload(copy))
