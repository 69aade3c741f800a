"""Every error under /api/v1/ as ``{"error": {"code": ..., "message": ...}}``.

The API installs these handlers once (``install_error_handlers``); endpoints just raise an
``AppError`` (or let django-ninja raise its own) and never build error bodies themselves.
Messages are written for the person holding the canvas, not for the server log: say what
went wrong and what to do next. Unexpected exceptions are logged with their traceback and
answered with a generic 500 that reveals nothing about the server.

This module must not decide permissions (canvas.permissions does) and must not swallow an
error silently: everything that reaches a handler is either a 4xx the caller can act on or
a logged 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from foundation.errors import AppError, NotAuthenticated

logger = logging.getLogger("anchorboard.api")

# Codes for errors django-ninja raises with only a status (HttpError and friends).
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}

SERVER_ERROR_MESSAGE = (
    "Something went wrong on our side and the request was not completed. It has been "
    "logged; try again, and if it keeps happening tell whoever runs this Anchorboard."
)


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    """The one error shape, for the OpenAPI schema."""

    error: ErrorDetail


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    if status == 401:
        # HTTP requires a 401 to name the scheme that would work.
        response["WWW-Authenticate"] = 'Bearer realm="Anchorboard API"'
    # Errors depend on who asks; a shared cache must never replay one to someone else.
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def describe_validation_errors(errors: Iterable[dict[str, Any]]) -> str:
    """Turn pydantic/ninja error records into one sentence naming each bad field."""
    parts: list[str] = []
    for err in errors:
        field = field_name(err.get("loc", ()))
        msg = str(err.get("msg", "is invalid"))
        msg = msg[0].lower() + msg[1:] if msg else "is invalid"
        parts.append(f"“{field}”: {msg}" if field else msg)
    if not parts:
        return "The request is not valid."
    return "The request is not valid: " + "; ".join(parts) + "."


def field_name(loc: Iterable[Any]) -> str:
    # ninja locations look like ("body", "payload", "name") or ("query", "page"): the first
    # part says where, then comes the view argument name, which the caller never sees.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        where, rest = parts[0], parts[1:]
        if where in {"body", "form"} and len(rest) > 1:
            rest = rest[1:]
        parts = rest
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers with ones that speak our error format."""

    def app_error(request: HttpRequest, exc: AppError) -> HttpResponse:
        log = logger.warning if exc.status >= 500 else logger.info
        log("%s %s -> %s %s: %s", request.method, request.path, exc.status, exc.code, exc)
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return error_response(exc.status, exc.code, exc.message, headers)

    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        message = describe_validation_errors(exc.errors)
        logger.info("%s %s -> 422 invalid_request: %s", request.method, request.path, message)
        return error_response(422, "invalid_request", message)

    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        logger.info("%s %s -> 401 not authenticated", request.method, request.path)
        return error_response(401, NotAuthenticated.code, NotAuthenticated.default_message)

    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        headers = {"Retry-After": str(exc.wait)} if exc.wait else None
        return error_response(
            429, "too_many_requests", "Too many requests; wait a moment and try again.", headers
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, json.JSONDecodeError):
            # ninja's body parser failed; say where, so the caller can fix the payload.
            err = exc.__cause__
            return error_response(
                400,
                "invalid_json",
                f"The request body is not valid JSON ({err.msg} at line {err.lineno}, "
                f"column {err.colno}).",
            )
        code = STATUS_CODES.get(exc.status_code, "error")
        logger.info("%s %s -> %s %s", request.method, request.path, exc.status_code, code)
        return error_response(exc.status_code, code, str(exc))

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", "Not found.")

    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", str(exc) or "You do not have permission.")

    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Raised by Django while reading the body: too big, too many files or fields.
        status, code, message = request_rejection(exc)
        logger.warning("%s %s -> %s %s: %s", request.method, request.path, status, code, exc)
        return error_response(status, code, message)

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unexpected error in %s %s", request.method, request.path)
        return error_response(500, "server_error", SERVER_ERROR_MESSAGE)

    # Most specific first is not needed: ninja walks each exception's MRO.
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (Exception, unexpected),
        (AppError, app_error),
        (ValidationError, validation_error),
        (AuthenticationError, authentication_error),
        (Throttled, throttled),
        (HttpError, http_error),
        (Http404, not_found),
        (PermissionDenied, permission_denied),
        (SuspiciousOperation, suspicious),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def request_rejection(exc: SuspiciousOperation) -> tuple[int, str, str]:
    if isinstance(exc, RequestDataTooBig):
        return (
            413,
            "request_too_large",
            "The request is too large. Upload big files one at a time.",
        )
    if isinstance(exc, TooManyFilesSent):
        return (
            400,
            "too_many_files",
            "Too many files in one request; send them in smaller groups.",
        )
    if isinstance(exc, TooManyFieldsSent):
        return 400, "too_many_fields", "The request has too many fields."
    return 400, "bad_request", "The request could not be read."


def json_errors_for_django_responses(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """Wrap a URL callback so Django's bare 405 replies use the error format too.

    django-ninja answers a known path with an unsupported method with a plain-text 405
    before any handler runs; this is the only place that can reshape it.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not is_json(response):
            allowed = response.get("Allow", "")
            methods = ", ".join(m.strip() for m in allowed.split(",") if m.strip())
            message = f"This endpoint does not accept {request.method}"
            message += f"; use {methods}." if methods else "."
            headers = {"Allow": allowed} if allowed else None
            return error_response(405, "method_not_allowed", message, headers)
        return response

    return wrapper


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


@csrf_exempt  # a POST to a wrong URL deserves a 404, not a CSRF failure
def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Anything under /api/v1/ that matched no endpoint."""
    logger.info("%s %s -> 404 no such endpoint", request.method, request.path)
    message = f"There is no API endpoint at {request.path}."
    if request.path.endswith("/") and resolves_to_endpoint(request.path.rstrip("/")):
        message += f" API paths have no trailing slash: use {request.path.rstrip('/')}."
    else:
        message += " The list of endpoints is at /api/v1/docs."
    return error_response(404, "unknown_endpoint", message)


def resolves_to_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not unknown_route
