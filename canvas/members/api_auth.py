"""How API callers prove who they are: bearer tokens, the browser session, /auth/token.

Two ways in, tried in this order on every endpoint:

1. ``Authorization: Bearer <token>`` — for scripts. Only the token's SHA-256 is stored
   (canvas.models.ApiToken). A header that is present but wrong is a 401; we never fall
   back to the session, so a script with a revoked token fails loudly.
2. The Django session cookie — for the canvas in the browser. Unsafe methods must carry
   the CSRF token (``X-CSRFToken``), exactly like a form post, because a cookie is sent by
   any page that makes the browser call us.

``POST /auth/token`` trades a username and password for a token. It answers every wrong
combination the same way (no "unknown user" vs "wrong password"), and goes through the
account-password throttle (foundation.password_throttle, shared with the sign-in pages):
a (username, client address) pair that keeps failing waits longer and longer, answered
with 429 + Retry-After.

This module authenticates; it must not decide what a user may do on a board
(canvas.permissions does).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from canvas.models import ApiToken
from canvas.models.tokens import hash_token
from foundation import password_throttle
from foundation.api_errors import ErrorOut
from foundation.errors import AppError, Forbidden, NotAuthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# last_used_at is informative; writing it on every request would serialise SQLite writers.
LAST_USED_RESOLUTION_SECONDS = 60


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    default_message = (
        "This API token is not valid: it may have been revoked. Request a new one with "
        "POST /api/v1/auth/token."
    )


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = "That username and password do not match an active account."


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = (
        "The request came from the browser session without a valid CSRF token. Reload the "
        "page and try again (scripts should use an API token instead)."
    )


class TooManyAttempts(AppError):
    """429 with ``Retry-After`` (api_errors adds the header from ``retry_after``)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, throttled: password_throttle.Throttled) -> None:
        super().__init__(password_throttle.account_message(throttled))
        self.retry_after = throttled.retry_after


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ab_…`` → the token's user, or a 401 if the token is wrong."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token.strip()))
            .first()
        )
        if row is None or not row.user.is_active:
            raise InvalidToken()
        now = timezone.now()
        if (
            row.last_used_at is None
            or (now - row.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS
        ):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            row.last_used_at = now
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session, with CSRF enforced for unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Anonymous callers get a 401, not a CSRF 403: check CSRF only for a real session.
        if not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return request.COOKIES.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


token_auth = TokenAuth()
session_auth = SessionAuth()
# Every endpoint uses this unless it says otherwise.
default_auth = [token_auth, session_auth]


def api_user(request: HttpRequest) -> Any:
    """The authenticated caller of an API endpoint."""
    return request.auth  # type: ignore[attr-defined]


# --- Endpoints ------------------------------------------------------------------------------

router = Router(tags=["auth"])


class TokenRequest(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    name: str
    created_at: Any


@router.post(
    "/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Exchange a username and password for an API token",
)
def issue_token(request: HttpRequest, payload: TokenRequest) -> Status[dict[str, Any]]:
    """The plain token is returned once; only its hash is kept."""
    try:
        with password_throttle.accounts.attempt(request, payload.username) as attempt:
            user = authenticate(request, username=payload.username, password=payload.password)
            if user is None:
                attempt.failed()
                raise InvalidCredentials()
            attempt.succeeded()
    except password_throttle.Throttled as exc:
        raise TooManyAttempts(exc) from None
    row, token = ApiToken.issue(user, name=payload.name[:100])
    return Status(201, {"token": token, "name": row.name, "created_at": row.created_at})


@router.delete(
    "/token",
    auth=token_auth,
    response={204: None, 401: ErrorOut},
    summary="Revoke the token this request was sent with",
)
def revoke_token(request: HttpRequest) -> Status[None]:
    ApiToken.objects.filter(pk=request.api_token.pk).delete()  # type: ignore[attr-defined]
    return Status(204, None)
