"""The share-link principal: turn a token from a URL into a checked ``Principal``.

Every guest route — the page, the guest API, the file routes and the guest websocket —
calls ``authorize`` (or ``authorize_scope`` for sockets) with the token from its URL, on
every request and every message. It:

1. hashes the token and finds the link by hash, comparing hashes in constant time;
2. refuses revoked and expired links (410) and unknown tokens (404);
3. if the link has a password, requires the signed "password entered" cookie
   (django.core.signing, per-link salt, ``max_age``), which names the current password
   hash, so changing the password signs everyone out;
4. records one "accessed" audit event per visitor per hour.

Password guesses go through the share-link password throttle
(foundation.password_throttle); this module owns the rate limit of guest comments (cache
counters per client address and per link). It must not decide what a link may see or do: that is
canvas.permissions (``require_link``, ``link_iterations``...).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from canvas.models.sharing import AuditAction, ShareLink, hash_share_token
from canvas.permissions import Principal
from canvas.sharing.audit import record_audit
from foundation import config, knobs, password_throttle
from foundation.client_address import UNKNOWN, client_address
from foundation.errors import AppError, NotFound

logger = logging.getLogger(__name__)

PASSWORD_SALT = "anchorboard.share.password"  # noqa: S105 - a signing salt, not a secret
ACCESS_AUDIT_SECONDS = 3600


def password_cookie_name(link: ShareLink) -> str:
    return f"ab_share_{link.pk.hex[:16]}"


def guest_session_key(link: ShareLink) -> str:
    return f"share_guest_{link.pk}"


class ShareLinkNotFound(NotFound):
    code = "share_link_not_found"
    default_message = (
        "This share link does not exist. Check that you copied the whole address, or ask "
        "the person who sent it for a new link."
    )


class ShareLinkGone(AppError):
    status = 410
    code = "share_link_expired"
    default_message = "This share link has expired. Ask the person who sent it for a new one."


class ShareLinkRevoked(ShareLinkGone):
    code = "share_link_revoked"
    default_message = (
        "This share link has been turned off by the board's owner. Ask them for a new one."
    )


class PasswordRequired(AppError):
    status = 401
    code = "share_password_required"
    default_message = "This share link is protected by a password. Enter it to continue."


class WrongPassword(AppError):
    status = 401
    code = "share_password_wrong"
    default_message = "That password is not right. Check it with the person who sent the link."


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- Resolving a link -----------------------------------------------------------------------


def find_link(token: str) -> ShareLink:
    """The link for ``token`` whatever its state; ShareLinkNotFound if there is none."""
    if not isinstance(token, str) or not (20 <= len(token) <= 100):
        raise ShareLinkNotFound()
    wanted = hash_share_token(token)
    link = ShareLink.objects.select_related("board", "frame").filter(token_hash=wanted).first()
    # The lookup is by an indexed hash; the constant-time comparison makes sure nothing
    # about the stored value leaks through timing of our own code either.
    if link is None or not hmac.compare_digest(link.token_hash, wanted):
        raise ShareLinkNotFound()
    return link


def check_link_state(link: ShareLink) -> None:
    """Raise unless the link is live right now (not revoked, not expired, board not gone)."""
    if link.revoked_at is not None:
        raise ShareLinkRevoked()
    if link.expires_at <= timezone.now():
        raise ShareLinkGone()
    if link.board.is_archived:
        raise ShareLinkGone(
            "The board behind this link has been archived. Ask its owner to restore it."
        )


def password_cookie_value(link: ShareLink) -> str:
    return signing.dumps({"link": str(link.pk), "pw": link.password_hash[-16:]}, salt=PASSWORD_SALT)


def password_ok(link: ShareLink, cookies: dict[str, str]) -> bool:
    if not link.has_password:
        return True
    raw = cookies.get(password_cookie_name(link), "")
    try:
        data = signing.loads(
            raw, salt=PASSWORD_SALT, max_age=config.read(knobs.SHARE_PASSWORD_COOKIE_SECONDS)
        )
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return (
        isinstance(data, dict)
        and data.get("link") == str(link.pk)
        and hmac.compare_digest(str(data.get("pw", "")), link.password_hash[-16:])
    )


def _guest(link: ShareLink, session: Any) -> Principal:
    guest = (session or {}).get(guest_session_key(link)) or {}
    return Principal(
        link=link, guest_name=guest.get("name", ""), guest_email=guest.get("email", "")
    )


def authorize(request: HttpRequest, token: str, *, require_password: bool = True) -> Principal:
    """The guest behind ``request``, or an AppError saying why the link does not work."""
    link = find_link(token)
    check_link_state(link)
    if require_password and not password_ok(link, request.COOKIES):
        raise PasswordRequired()
    _audit_access(link, client_ip(request), _visitor(request))
    return _guest(link, getattr(request, "session", None))


def authorize_scope(scope: dict[str, Any], token: str) -> Principal:
    """``authorize`` for a websocket handshake scope (cookies and session from middleware)."""
    link = find_link(token)
    check_link_state(link)
    if not password_ok(link, scope.get("cookies") or {}):
        raise PasswordRequired()
    return _guest(link, scope.get("session"))


def recheck(link_id: Any) -> ShareLink:
    """Re-read a link and raise unless it is still live: sockets call this on every message."""
    link = ShareLink.objects.select_related("board", "frame").filter(pk=link_id).first()
    if link is None:
        raise ShareLinkRevoked()
    check_link_state(link)
    return link


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (behind trusted proxies too), for audit and rate limits."""
    address = client_address(request)
    return None if address == UNKNOWN else address


def _visitor(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    return key or client_ip(request) or "unknown"


def _audit_access(link: ShareLink, ip: str | None, visitor: str) -> None:
    # One "accessed" row per visitor per hour: the log shows who opened the link, and a
    # guest paging through thumbnails does not write a row per image.
    key = f"share-access:{link.pk}:{hash_share_token(visitor)[:24]}"
    if cache.add(key, 1, ACCESS_AUDIT_SECONDS):
        record_audit(link, AuditAction.ACCESSED, ip=ip)


# --- Password ---------------------------------------------------------------------------


def _count_keys(kind: str, link: ShareLink, ip: str | None) -> list[str]:
    return [f"share-{kind}:ip:{ip or 'unknown'}", f"share-{kind}:link:{link.pk}"]


def _over_limit(keys: list[str], limits: list[int]) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in zip(keys, limits, strict=True))


def _bump(keys: list[str], window: int) -> None:
    for key in keys:
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def unlock(request: HttpRequest, token: str, password: str, response: HttpResponse) -> Principal:
    """Check a typed password; on success set the signed cookie on ``response``.

    Guesses go through the share-link password throttle (foundation.password_throttle):
    counted per (link, client address), so guessers elsewhere never slow down a guest
    who has the right password.
    """
    link = find_link(token)
    check_link_state(link)
    if not link.has_password:
        return _unlocked(request, link, response)
    ip = client_ip(request)
    try:
        with password_throttle.share_links.attempt(request, str(link.pk)) as attempt:
            if check_password(password or "", link.password_hash):
                attempt.succeeded()
                return _unlocked(request, link, response)
            attempt.failed()
    except password_throttle.Throttled as exc:
        raise TooManyAttempts(share_throttle_message(exc), retry_after=exc.retry_after) from None
    record_audit(link, AuditAction.PASSWORD_FAILED, ip=ip)
    logger.info("share link %s: wrong password from %s", link.pk, ip)
    raise WrongPassword()


def share_throttle_message(exc: password_throttle.Throttled) -> str:
    if exc.in_progress:
        return "Another password for this link from your address is being checked; try again."
    return (
        f"Too many wrong passwords for this link from your address. Wait {exc.wait_text()} "
        "and try again, or ask the person who sent it to check the password."
    )


def _unlocked(request: HttpRequest, link: ShareLink, response: HttpResponse) -> Principal:
    response.set_cookie(
        password_cookie_name(link),
        password_cookie_value(link),
        max_age=config.read(knobs.SHARE_PASSWORD_COOKIE_SECONDS),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
        path="/",
    )
    return _guest(link, getattr(request, "session", None))


# --- Guest comments -----------------------------------------------------------------------


def check_guest_comment_allowed(link: ShareLink, ip: str | None) -> None:
    """Count one guest comment; raise TooManyAttempts over the per-address/per-link limit."""
    window = config.read(knobs.SHARE_COMMENT_WINDOW_SECONDS)
    keys = _count_keys("comment", link, ip)
    limits = [
        config.read(knobs.SHARE_COMMENTS_PER_IP),
        config.read(knobs.SHARE_COMMENTS_PER_LINK),
    ]
    if _over_limit(keys, limits):
        raise TooManyAttempts(
            "You have sent many comments in a short time. Wait a few minutes and try again.",
            retry_after=window,
        )
    _bump(keys, window)


def remember_guest(request: HttpRequest, link: ShareLink, name: str, email: str) -> None:
    request.session[guest_session_key(link)] = {"name": name, "email": email}
