"""Whether a request may send its body at all, decided from its headers alone.

A body costs the server disk, time and (if anything buffers it) memory before a view
runs, so every request with a body is admitted here first, by the server before it reads
the body (anchorboard.daphne_server) or by the ASGI guard before Django does
(anchorboard.asgi_guard):

- **How big.** The upload routes (``POST /api/v1/boards/<id>/assets``, a board's asset
  library; ``POST /api/v1/brand-kits/<id>/references``, a kit's images) may carry
  ``ANCHORBOARD_MAX_UPLOAD_BYTES`` plus a little multipart framing; every other request
  ``ANCHORBOARD_MAX_REQUEST_BYTES`` (JSON, forms). A declared ``Content-Length`` over the
  limit is refused with 413 at once; a chunked body is cut off with 413 as soon as it
  passes the limit (the caller of ``admit`` counts).
- **Who.** The upload routes also authenticate the caller (API token, or session plus
  CSRF header, exactly like the API: canvas.members.api_auth) and check the board's edit
  role or the kit's team role (canvas.permissions) first, so an anonymous or unauthorised
  upload is refused before a byte of it is read.

Refusals are complete HTTP answers in the API's error shape (foundation.api_errors). This
module decides; it reads no body and sends nothing itself.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

from canvas.members.api_auth import default_auth
from foundation import config, knobs
from foundation.api_errors import error_response
from foundation.errors import AppError, NotAuthenticated

logger = logging.getLogger(__name__)

# Room for the multipart boundaries and part headers around the files themselves.
MULTIPART_ALLOWANCE = 1024 * 1024
UPLOAD_ROUTES = {
    "board": re.compile(r"^/api/v1/boards/(?P<id>[^/]+)/assets/?$"),
    "brand_kit": re.compile(r"^/api/v1/brand-kits/(?P<id>[^/]+)/references/?$"),
}
# Headers that describe the body: left out of the request used for authentication, so
# Django's CSRF check reads the token from the X-CSRFToken header instead of a form body.
_BODY_HEADERS = {b"content-type", b"content-length", b"transfer-encoding"}


@dataclass(frozen=True)
class Refusal:
    """A complete answer sent instead of reading the body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass(frozen=True)
class Admission:
    """``limit``: the most body bytes this request may send; ``refusal``: or answer this."""

    limit: int
    refusal: Refusal | None = None
    upload: bool = False


def _mb(count: int) -> str:
    return f"{count / (1024 * 1024):,.1f}".removesuffix(".0") + " MB"


def upload_route(method: str, path: str) -> tuple[str, str] | None:
    """("board" or "brand_kit", its id) if this is an upload route, else None."""
    if method.upper() != "POST":
        return None
    for kind, pattern in UPLOAD_ROUTES.items():
        match = pattern.match(path)
        if match:
            return kind, match["id"]
    return None


def body_limit(method: str, path: str) -> int:
    if upload_route(method, path) is not None:
        return config.read(knobs.MAX_UPLOAD_BYTES) + MULTIPART_ALLOWANCE
    return config.read(knobs.MAX_REQUEST_BYTES)


def refusal_from_error(exc: AppError) -> Refusal:
    return as_refusal(error_response(exc.status, exc.code, exc.message))


def as_refusal(response: Any) -> Refusal:
    headers = tuple(
        (name.encode("latin-1"), str(value).encode("latin-1")) for name, value in response.items()
    )
    return Refusal(response.status_code, headers, response.content)


def too_large(method: str, path: str, declared: int | None) -> Refusal:
    """413 in the API's error shape, saying what the limit is and what to do."""
    limit = body_limit(method, path)
    size = f"This request is {_mb(declared)}; " if declared else "This request is too large; "
    if upload_route(method, path) is not None:
        upload_limit = config.read(knobs.MAX_UPLOAD_BYTES)
        message = (
            f"{size}one upload can carry at most {_mb(upload_limit)} of files. "
            "Upload big files one at a time, or export them at a smaller size."
        )
        code = "file_too_large"
    else:
        message = (
            f"{size}requests to this address may carry at most {limit // 1024:,} KB. "
            "Send less data in one request."
        )
        code = "request_too_large"
    logger.info("%s %s -> 413 %s (declared %s bytes)", method, path, code, declared)
    return as_refusal(error_response(413, code, message))


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length header as a number (None if absent, e.g. a chunked body)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def head_request(method: str, path: str, headers: Iterable[tuple[bytes, bytes]], client: Any):
    """A Django request with these headers and no body, for authentication only."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower(), v) for k, v in headers if k.lower() not in _BODY_HEADERS],
        "client": client,
        "server": None,
    }
    request = ASGIRequest(scope, io.BytesIO())
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    request.user = get_user(request)
    return request


def authenticate(request: HttpRequest) -> Any:
    """The caller as the API would see it: token first, then session with CSRF."""
    for auth in default_auth:
        user = auth(request)  # raises InvalidToken / CsrfFailed like the API does
        if user:
            return user
    raise NotAuthenticated()


def check_upload(
    method: str,
    path: str,
    headers: Iterable[tuple[bytes, bytes]],
    client: Any,
    target: tuple[str, str],
) -> Refusal | None:
    """Refusal for a caller who may not upload to ``target`` (401/403/404), else None."""
    # Imported here: canvas depends on the app registry; the guard is built before it.
    from canvas.permissions import Perm, TeamPerm, get_board_for, get_kit_for

    kind, target_id = target
    try:
        user = authenticate(head_request(method, path, headers, client))
        if kind == "brand_kit":
            get_kit_for(user, target_id, TeamPerm.KITS)
        else:
            get_board_for(user, target_id, Perm.EDIT)
    except AppError as exc:
        logger.info("%s %s -> %s %s before reading the body", method, path, exc.status, exc.code)
        return refusal_from_error(exc)
    except SuspiciousOperation as exc:  # e.g. a Host header not in ALLOWED_HOSTS
        logger.warning("%s %s -> 400 before reading the body: %s", method, path, exc)
        return as_refusal(error_response(400, "bad_request", "The request could not be read."))
    return None


_check_upload_async = database_sync_to_async(check_upload, thread_sensitive=False)


def admit_now(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Admission | None:
    """The decision when the headers settle it; None when the caller must be checked."""
    limit = body_limit(method, path)
    declared = declared_length(headers)
    if declared is not None and declared > limit:
        return Admission(limit, too_large(method, path, declared))
    if upload_route(method, path) is None:
        return Admission(limit)
    return None


async def admit(
    method: str, path: str, headers: list[tuple[bytes, bytes]], client: Any = None
) -> Admission:
    """Decide from the request line and headers whether the body may be read, and how much."""
    decided = admit_now(method, path, headers)
    if decided is not None:
        return decided
    target = upload_route(method, path)
    assert target is not None
    refusal = await _check_upload_async(method, path, headers, client, target)
    return Admission(body_limit(method, path), refusal, upload=True)
