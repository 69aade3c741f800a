"""The provider settings page (``/providers/``): which image providers this server offers,
what each can do, how healthy it is, and a "check now" button.

Every signed-in person sees providers, models, capabilities and health; team admins and
staff also see configuration (URLs, folders, limits; secrets only as "set"). ``POST`` with
``provider=<name>`` pings that provider once (canvas.engines.providers.checks) and shows
the answer; JSON callers get ``{"provider", "ok", "message", "latency_ms"}``. This view
only gathers and renders: status comes from ``provider_status()``, checks from ``checks``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from canvas.engines.providers import checks, provider_status
from canvas.engines.registry import available_engines
from canvas.models import TeamMembership, TeamRole
from canvas.views.errors import app_error_response, wants_json
from foundation.errors import AppError

logger = logging.getLogger(__name__)


def sees_configuration(user: Any) -> bool:
    return (
        bool(user.is_staff)
        or TeamMembership.objects.filter(user=user, role=TeamRole.ADMIN).exists()
    )


def _provider_rows(admin: bool) -> list[dict[str, Any]]:
    available_engines()  # registers the configured provider engines on first use
    rows = provider_status()
    for row in rows:
        row["configuration"] = checks.configuration_of(row["name"]) if admin else []
        row["model_names"] = checks.models_of(row["name"], row.get("engines", []))
        row["workflows"], problems = (
            checks.comfy_workflows() if row["name"] == "comfyui" else ([], [])
        )
        row["problems"] = problems if admin else []
        for key in ("last_error_at", "next_probe_at", "opened_at"):
            if isinstance(row.get(key), str):
                row[key] = datetime.fromisoformat(row[key])
        rate = row.get("recent_success_rate")
        row["success_percent"] = None if rate is None else round(rate * 100)
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def providers_page(request: HttpRequest) -> HttpResponse:
    admin = sees_configuration(request.user)
    check: dict[str, Any] | None = None
    if request.method == "POST":
        name = request.POST.get("provider", "")
        try:
            check = {"provider": name, **checks.check_provider(name)}
        except AppError as exc:
            return app_error_response(request, exc)
        logger.info("provider check %s by %s: %s", name, request.user.pk, check)
        if wants_json(request):
            return JsonResponse(check)
    return render(
        request,
        "canvas/providers.html",
        {"providers": _provider_rows(admin), "admin": admin, "check": check},
    )
