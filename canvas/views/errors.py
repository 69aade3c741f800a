"""Error responses: HTML for pages, JSON for the API, chosen by what the caller asked for.

Installed as Django's handler400/403/404/500 (anchorboard/urls.py) and used by the HTML
views for AppErrors. JSON always has the shape ``{"error": {"code", "message"}}`` of
foundation.errors. This module must not decide permissions or swallow unexpected errors
silently: every error it renders is logged.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from foundation.errors import AppError

logger = logging.getLogger(__name__)

_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood. Reload the page and try again."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "This page does not exist, or you have not been given access to it."),
    500: (
        "server_error",
        "Something went wrong on our side. Nothing you saved is lost; reload and try again.",
    ),
}


def wants_json(request: HttpRequest) -> bool:
    """API paths and callers that ask for JSON (and not HTML) get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: HttpRequest, status: int, *, code: str | None = None, message: str | None = None
) -> HttpResponse:
    default_code, default_message = _DEFAULTS.get(status, _DEFAULTS[400])
    code = code or default_code
    if wants_json(request):
        return JsonResponse(
            {"error": {"code": code, "message": message or default_message}}, status=status
        )
    template = f"{status}.html" if status in _DEFAULTS else "400.html"
    # The 500 page is rendered without the request: the failure may be in what the
    # context processors need (database, session).
    context = {"message": message, "code": code} if status != 500 else {}
    body = loader.render_to_string(template, context, request=None if status == 500 else request)
    return HttpResponse(body, status=status)


def app_error_response(request: HttpRequest, exc: AppError) -> HttpResponse:
    """Render an AppError raised by domain code as an error page (or JSON)."""
    logger.info("%s %s -> %s %s: %s", request.method, request.path, exc.status, exc.code, exc)
    return error_response(request, exc.status, code=exc.code, message=exc.message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    logger.info("400 on %s %s: %s", request.method, request.path, exception)
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    logger.info("403 on %s %s: %s", request.method, request.path, exception)
    return error_response(request, 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token: usually a page left open across a login."""
    logger.info("CSRF failure on %s %s: %s", request.method, request.path, reason)
    return error_response(
        request,
        403,
        code="csrf_failed",
        message=(
            "This form has expired (your session changed since the page was loaded). "
            "Reload the page and try again; nothing was changed."
        ),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # django.request has already logged the traceback.
    return error_response(request, 500)
