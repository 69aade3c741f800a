"""Share links: create, change, revoke; their settings and payloads.

Callers have already checked MANAGE on the board (canvas.permissions). This module validates
settings, writes rows and tells open guest sockets after commit; it must not check roles.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from canvas.models import Board, Item, ItemKind, Iteration
from canvas.models.sharing import (
    AuditAction,
    LinkPermission,
    ShareLink,
    ShareScope,
    ShareVisibility,
    hash_share_token,
)
from canvas.sharing.audit import record_audit
from canvas.sharing.groups import CHANGED_EVENT, REVOKED_EVENT, notify_link_after_commit
from foundation import config, knobs
from foundation.errors import AppError

logger = logging.getLogger(__name__)


DEFAULT_EXPIRY_DAYS = 14


MIN_PASSWORD = 6


class InvalidShareLink(AppError):
    code = "invalid_share_link"


def max_expiry_days() -> int:
    return config.read(knobs.SHARE_MAX_DAYS)


def _expiry(expires_at: datetime | None, expires_in_days: int | None) -> datetime:
    now = timezone.now()
    if expires_at is None:
        days = DEFAULT_EXPIRY_DAYS if expires_in_days is None else expires_in_days
        if days < 1:
            raise InvalidShareLink("A share link must stay valid for at least one day.")
        expires_at = now + timedelta(days=days)
    if timezone.is_naive(expires_at):
        raise InvalidShareLink("Give the expiry with a time zone, e.g. 2026-12-01T18:00:00Z.")
    if expires_at <= now:
        raise InvalidShareLink("The expiry is in the past; pick a date in the future.")
    limit = max_expiry_days()
    if expires_at > now + timedelta(days=limit, minutes=1):
        raise InvalidShareLink(
            f"Share links can be valid for at most {limit} days; pick an earlier expiry "
            "(you can always extend it later)."
        )
    return expires_at


def _permissions(raw: Any) -> list[str]:
    if raw is None:
        return [LinkPermission.VIEW.value]
    wanted = set(raw)
    unknown = wanted - set(LinkPermission.values)
    if unknown:
        raise InvalidShareLink(
            f"Unknown permission {sorted(unknown)[0]!r}; use view, comment, approve or download."
        )
    wanted.add(LinkPermission.VIEW.value)  # every link can at least view
    return [p for p in LinkPermission.values if p in wanted]


def _frame(board: Board, frame_id: Any) -> Item:
    try:
        return Item.objects.get(
            pk=uuid.UUID(str(frame_id)), board=board, kind=ItemKind.FRAME, deleted=False
        )
    except (ValueError, Item.DoesNotExist):
        raise InvalidShareLink(
            "Pick a frame of this board to share (the frame id is not a frame here)."
        ) from None


def _selection(board: Board, ids: Any) -> list[str]:
    try:
        wanted = {uuid.UUID(str(i)) for i in ids or []}
    except ValueError:
        raise InvalidShareLink("The selection contains an id that is not a candidate id.") from None
    if not wanted:
        raise InvalidShareLink("Select at least one candidate to share.")
    found = set(Iteration.objects.filter(board=board, pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise InvalidShareLink("Some selected candidates are not on this board any more.")
    return sorted(str(i) for i in wanted)


def _password(raw: str | None) -> str:
    if not raw:
        return ""
    if len(raw) < MIN_PASSWORD:
        raise InvalidShareLink(f"Use a password of at least {MIN_PASSWORD} characters.")
    return make_password(raw)


def _choice(value: Any, choices: Any, what: str) -> str:
    if value not in choices.values:
        raise InvalidShareLink(f"Unknown {what} {value!r}; use {', '.join(choices.values)}.")
    return str(value)


def create_link(board: Board, user: Any, **options: Any) -> tuple[ShareLink, str]:
    """Create a link; returns it with the plain token, which is never stored or shown again."""
    if board.is_archived:
        raise InvalidShareLink("This board is archived; restore it before sharing it.")
    scope = _choice(options.get("scope") or ShareScope.BOARD, ShareScope, "scope")
    link = ShareLink(
        board=board,
        label=(options.get("label") or "")[:200],
        scope=scope,
        permissions=_permissions(options.get("permissions")),
        expires_at=_expiry(options.get("expires_at"), options.get("expires_in_days")),
        password_hash=_password(options.get("password")),
        visibility=_choice(
            options.get("visibility") or ShareVisibility.FINAL_ONLY, ShareVisibility, "visibility"
        ),
        show_metadata=bool(options.get("show_metadata", False)),
        show_presence=bool(options.get("show_presence", False)),
        show_decisions=bool(options.get("show_decisions", False)),
        created_by=user,
    )
    if scope == ShareScope.FRAME:
        link.frame = _frame(board, options.get("frame_id"))
    elif scope == ShareScope.SELECTION:
        link.iteration_ids = _selection(board, options.get("iteration_ids"))
    token = secrets.token_urlsafe(32)
    link.token_hash = hash_share_token(token)
    with transaction.atomic():
        link.save()
        record_audit(link, AuditAction.CREATED, actor=user, details=settings_summary(link))
    logger.info("share link %s created on board %s by %s", link.pk, board.pk, user.pk)
    return link, token


UPDATABLE = (
    "label",
    "permissions",
    "expires_at",
    "expires_in_days",
    "password",
    "visibility",
    "show_metadata",
    "show_presence",
    "show_decisions",
)


def update_link(link: ShareLink, user: Any, changes: dict[str, Any]) -> ShareLink:
    """Change a live link's settings; ``password: ""`` removes the password."""
    if link.revoked_at is not None:
        raise InvalidShareLink("This link has been revoked; create a new one instead.")
    before = settings_summary(link)
    if "label" in changes:
        link.label = (changes["label"] or "")[:200]
    if "permissions" in changes:
        link.permissions = _permissions(changes["permissions"])
    if changes.get("expires_at") is not None or changes.get("expires_in_days") is not None:
        link.expires_at = _expiry(changes.get("expires_at"), changes.get("expires_in_days"))
    if "password" in changes:
        link.password_hash = _password(changes["password"])
    if "visibility" in changes:
        link.visibility = _choice(changes["visibility"], ShareVisibility, "visibility")
    for flag in ("show_metadata", "show_presence", "show_decisions"):
        if flag in changes:
            setattr(link, flag, bool(changes[flag]))
    after = settings_summary(link)
    diff: dict[str, Any] = {
        key: [before[key], after[key]] for key in after if before[key] != after[key]
    }
    if "password" in changes:
        diff["password"] = "changed" if changes["password"] else "removed"
    with transaction.atomic():
        link.save()
        record_audit(link, AuditAction.CHANGED, actor=user, details=diff)
        notify_link_after_commit(link.pk, CHANGED_EVENT)
    return link


def revoke_link(link: ShareLink, user: Any) -> ShareLink:
    if link.revoked_at is None:
        with transaction.atomic():
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at", "updated_at"])
            record_audit(link, AuditAction.REVOKED, actor=user)
            notify_link_after_commit(link.pk, REVOKED_EVENT)
        logger.info("share link %s revoked by %s", link.pk, getattr(user, "pk", None))
    return link


def revoke_all(board: Board, user: Any) -> int:
    links = list(ShareLink.objects.filter(board=board, revoked_at__isnull=True))
    with transaction.atomic():
        for link in links:
            revoke_link(link, user)
    return len(links)


def settings_summary(link: ShareLink) -> dict[str, Any]:
    return {
        "label": link.label,
        "scope": link.scope,
        "permissions": list(link.permissions),
        "expires_at": link.expires_at.isoformat(),
        "has_password": link.has_password,
        "visibility": link.visibility,
        "show_metadata": link.show_metadata,
        "show_presence": link.show_presence,
        "show_decisions": link.show_decisions,
    }


def link_payload(link: ShareLink) -> dict[str, Any]:
    """A link as its owners see it; never includes the token (it is not stored)."""
    now = timezone.now()
    state = "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "active")
    return {
        "id": str(link.pk),
        "board": str(link.board_id),
        **settings_summary(link),
        "frame": str(link.frame_id) if link.frame_id else None,
        "iteration_ids": list(link.iteration_ids or []),
        "state": state,
        "created_by": link.created_by_id,
        "created_at": link.created_at,
        "revoked_at": link.revoked_at,
    }
