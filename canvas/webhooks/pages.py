"""The webhooks page of a team (``/teams/<id>/webhooks/``) and its actions; admins only.

The page lists the team's endpoints and, for the one chosen (``?endpoint=``, else the
first), its delivery log with a Resend button per delivery. Every action is a POST with
CSRF that redirects back with a message; a refusal shows the page again with the reason
and its 4xx status. A new or rolled secret is shown once, in the answer to that POST.
The work is done by canvas.webhooks.endpoints; who may is canvas.permissions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from canvas.models import Team
from canvas.permissions import TeamPerm, get_team_for
from canvas.views.errors import app_error_response
from canvas.webhooks import endpoints, events
from canvas.webhooks.models import WebhookEndpoint
from foundation.errors import AppError, TeamNotFound

logger = logging.getLogger(__name__)

DELIVERIES_SHOWN = 50  # newest first; the API pages through all of them


def _team(request: HttpRequest, team_id: Any) -> Team:
    team, _ = get_team_for(request.user, team_id, TeamPerm.WEBHOOKS)
    return team


def _endpoint(request: HttpRequest, endpoint_id: Any) -> WebhookEndpoint:
    endpoint = endpoints.load_endpoint(endpoint_id)
    try:
        _team(request, endpoint.team_id)
    except TeamNotFound:
        raise endpoints.WebhookNotFound() from None
    return endpoint


def page_url(team_id: Any, endpoint_id: Any = None) -> str:
    url = reverse("team-webhooks", args=[team_id])
    return f"{url}?endpoint={endpoint_id}" if endpoint_id else url


def _render(
    request: HttpRequest, team: Team, *, status: int = 200, chosen: Any = None, **extra: Any
) -> HttpResponse:
    hooks = list(WebhookEndpoint.objects.filter(team=team).order_by("created_at", "id"))
    wanted = str(chosen or request.GET.get("endpoint") or "")
    current = next((e for e in hooks if str(e.pk) == wanted), hooks[0] if hooks else None)
    log = []
    if current is not None:
        log = list(endpoints.deliveries_of(current)[:DELIVERIES_SHOWN])
    context = {
        "team": team,
        "hooks": hooks,
        "current": current,
        "log": log,
        "event_types": [
            (name, meaning, events.NOT_SENT_YET.get(name, ""))
            for name, meaning in events.EVENT_TYPES.items()
        ],
        "form": extra.pop("form", None) or {"events": [events.JOB_SUCCEEDED, events.JOB_FAILED]},
        **extra,
    }
    return render(request, "webhooks/webhooks.html", context, status=status)


def _refused(request: HttpRequest, team_id: Any, exc: AppError, **extra: Any) -> HttpResponse:
    logger.info("webhooks action %s refused: %s %s", request.path, exc.code, exc.message)
    try:
        team = _team(request, team_id) if team_id else None
    except AppError as again:
        return app_error_response(request, again)
    if team is None or exc.status == 404:
        return app_error_response(request, exc)
    messages.error(request, exc.message)
    return _render(request, team, status=exc.status, **extra)


@login_required
def webhooks_page(request: HttpRequest, team_id: Any) -> HttpResponse:
    try:
        team = _team(request, team_id)
    except AppError as exc:
        return app_error_response(request, exc)
    return _render(request, team)


@login_required
@require_POST
def add_webhook(request: HttpRequest, team_id: Any) -> HttpResponse:
    form: dict[str, Any] = {
        "url": request.POST.get("url", ""),
        "description": request.POST.get("description", ""),
        "events": request.POST.getlist("events"),
    }
    try:
        team = _team(request, team_id)
        made = endpoints.create(team, request.user, **form)
    except AppError as exc:
        return _refused(request, team_id, exc, form=form)
    return _render(request, team, status=201, chosen=made.endpoint.pk, new_secret=made.secret)


def _on_endpoint(
    request: HttpRequest, endpoint_id: Any, action: Callable[[WebhookEndpoint], HttpResponse]
) -> HttpResponse:
    """Load the endpoint for an admin of its team and run ``action``; a refusal shows the
    page again with the reason (or the error page when even that is refused)."""
    team_id = None
    try:
        endpoint = _endpoint(request, endpoint_id)
        team_id = endpoint.team_id
        return action(endpoint)
    except AppError as exc:
        return _refused(request, team_id, exc)


@login_required
@require_POST
def toggle_webhook(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    def toggle(endpoint: WebhookEndpoint) -> HttpResponse:
        endpoints.update(endpoint, active=not endpoint.active)
        messages.success(request, f"Webhook switched {'on' if endpoint.active else 'off'}.")
        return redirect(page_url(endpoint.team_id, endpoint.pk))

    return _on_endpoint(request, endpoint_id, toggle)


@login_required
@require_POST
def roll_secret(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    def roll(endpoint: WebhookEndpoint) -> HttpResponse:
        made = endpoints.roll_secret(endpoint)
        return _render(
            request, endpoint.team, chosen=endpoint.pk, new_secret=made.secret, rolled=True
        )

    return _on_endpoint(request, endpoint_id, roll)


@login_required
@require_POST
def delete_webhook(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    def delete(endpoint: WebhookEndpoint) -> HttpResponse:
        endpoints.delete(endpoint)
        messages.success(request, f"Webhook to {endpoint.url} deleted.")
        return redirect(page_url(endpoint.team_id))

    return _on_endpoint(request, endpoint_id, delete)


@login_required
@require_POST
def resend_delivery(request: HttpRequest, delivery_id: Any) -> HttpResponse:
    team_id = None
    try:
        delivery = endpoints.load_delivery(delivery_id)
        try:
            _team(request, delivery.endpoint.team_id)
        except TeamNotFound:
            raise endpoints.DeliveryNotFound() from None
        team_id = delivery.endpoint.team_id
        endpoints.resend(delivery, request.user)
    except AppError as exc:
        return _refused(request, team_id, exc)
    messages.success(
        request, f"Sending {delivery.event.type} {delivery.event_id} again (same event id)."
    )
    return redirect(page_url(team_id, delivery.endpoint_id))
