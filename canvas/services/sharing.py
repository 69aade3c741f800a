"""Share links: create, change, revoke; what a guest sees; the audit log; live revocation.

Callers (canvas.api_review, canvas.views.share, the guest consumer) have already checked
the caller: MANAGE on the board for link administration (canvas.permissions), a live link
for guest reads (canvas.sharing_auth). This module validates settings, writes rows, and
tells open guest sockets about changes after commit. It must not check roles itself.
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

from assets.models import Asset
from canvas import protocol, realtime
from canvas.models import Board, Item, ItemKind, Iteration
from canvas.models.sharing import (
    AuditAction,
    LinkPermission,
    ShareAuditEvent,
    ShareLink,
    ShareScope,
    ShareVisibility,
    hash_share_token,
)
from canvas.permissions import link_asset_ids, link_items, link_iterations
from canvas.services import naming
from foundation import config, knobs
from foundation.errors import AppError

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_DAYS = 14
REVOKED_EVENT = "share.revoked"  # dispatched to GuestShareConsumer.share_revoked
CHANGED_EVENT = "share.changed"
MIN_PASSWORD = 6


class InvalidShareLink(AppError):
    code = "invalid_share_link"


def max_expiry_days() -> int:
    return config.read(knobs.SHARE_MAX_DAYS)


def link_group(link_id: Any) -> str:
    return f"sharelink.{link_id}"


def share_board_group(board_id: Any) -> str:
    return f"shareboard.{board_id}"


# --- Validation -----------------------------------------------------------------------------


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


# --- Administration -------------------------------------------------------------------------


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
        _notify_after_commit(link.pk, CHANGED_EVENT)
    return link


def revoke_link(link: ShareLink, user: Any) -> ShareLink:
    if link.revoked_at is None:
        with transaction.atomic():
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at", "updated_at"])
            record_audit(link, AuditAction.REVOKED, actor=user)
            _notify_after_commit(link.pk, REVOKED_EVENT)
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


# --- Audit --------------------------------------------------------------------------------


def record_audit(
    link: ShareLink,
    action: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> ShareAuditEvent:
    return ShareAuditEvent.objects.create(
        link=link,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label[:200],
        ip=ip,
        details=details or {},
    )


def audit_payload(event: ShareAuditEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "at": event.at,
        "details": event.details,
    }


# --- Guest view ---------------------------------------------------------------------------


def guest_file_url(token: str, asset: Asset, what: str) -> str:
    return f"/s/{token}/files/{asset.pk}/{what}"


def guest_asset(token: str, asset: Asset, *, download: bool = True) -> dict[str, Any]:
    """The protocol's AssetData with guest URLs (the team's /files/ URLs would 404).

    ``original_url`` is what the canvas draws at full size and what Download fetches:
    without the download permission it is the full-size view (re-rendered pixels, no
    metadata) instead of the original file, which would be refused.
    """
    blob = asset.blob
    return {
        "id": str(asset.pk),
        "sha256": blob.sha256,
        "width": blob.width,
        "height": blob.height,
        "levels": list(blob.derivative_levels or []),
        "original_url": guest_file_url(token, asset, "original" if download else "view.webp"),
        "level_url": guest_file_url(token, asset, "{level}.webp"),
    }


def guest_items(link: ShareLink, token: str) -> list[dict[str, Any]]:
    """The layers a link shows, locked, with guest file URLs and display names.

    Names come from canvas.services.naming: a layer named after its uploaded file (or not
    named) is "Image 1" unless the link shows metadata, and result layers read "Result 2
    of Hero shot" — never "Image" for everything, never a file name or a prompt.
    """
    from canvas.services.documents import item_payload

    items = link_items(link)
    namer = naming.guest_namer(link, items)
    download = LinkPermission.DOWNLOAD in link.permissions
    out = []
    for item in items:
        data = dict(item_payload(item))
        data["asset"] = guest_asset(token, item.asset, download=download) if item.asset_id else None
        data["locked"] = True
        data["name"] = namer.name(item)
        out.append(data)
    return out


def guest_candidate(
    link: ShareLink, token: str, iteration: Iteration, verdicts: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """A candidate as the guest sees it; ``verdicts`` are ``guest_verdicts(link)``."""
    download = LinkPermission.DOWNLOAD in link.permissions
    data: dict[str, Any] = {
        "id": str(iteration.pk),
        "number": iteration.index + 1,
        "region": iteration.region,
        "asset": guest_asset(token, iteration.asset, download=download),
        "status": iteration.status,
        "created_at": iteration.created_at,
        "decision": None,
    }
    if link.visibility == ShareVisibility.ALL_CANDIDATES and iteration.source_asset is not None:
        data["source_asset"] = guest_asset(token, iteration.source_asset, download=download)
    if link.show_metadata:
        data["provenance"] = iteration.provenance
        data["seed"] = iteration.seed
    if verdicts is None:
        verdicts = guest_verdicts(link, [iteration])
    data["decision"] = verdicts.get(iteration.pk)
    return data


def link_shows_decision(link: ShareLink, decided_via: Any) -> bool:
    """Whether a decision made through link ``decided_via`` (None: by the team) reaches
    this link's guests (the candidate must be shown too; the caller checks that)."""
    if link.show_decisions:
        return True
    return LinkPermission.APPROVE in link.permissions and str(decided_via) == str(link.pk)


def guest_verdicts(link: ShareLink, iterations: list[Iteration]) -> dict[Any, dict[str, Any]]:
    """The verdict a guest sees on each candidate, by iteration id.

    The team's decisions are internal: a link shows them only with ``show_decisions``.
    Without it, a link that lets the client approve shows the client's own latest verdict
    (made through this link), so their choice stays visible even after the team changes
    the decision; anything else shows none.
    """
    from canvas.models.review import Decision, DecisionEvent
    from canvas.services.review import decision_payload, guest_event_payload

    ids = [it.pk for it in iterations]
    if link.show_decisions:
        rows = Decision.objects.filter(iteration_id__in=ids).select_related("decided_by")
        return {d.iteration_id: decision_payload(d, public=True) for d in rows}
    if LinkPermission.APPROVE not in link.permissions:
        return {}
    latest: dict[Any, dict[str, Any]] = {}
    events = DecisionEvent.objects.filter(iteration_id__in=ids, decided_by_link=link)
    for event in events.order_by("at", "pk"):
        latest[event.iteration_id] = guest_event_payload(event)
    return latest


def guest_snapshot(link: ShareLink, token: str) -> dict[str, Any]:
    """What a guest's page draws: the board's visible items and the candidates it shows."""
    candidates = link_iterations(link)
    verdicts = guest_verdicts(link, candidates)
    return protocol.guest_snapshot(
        Board.objects.filter(pk=link.board_id).values_list("revision", flat=True).get(),
        guest_items(link, token),
        [guest_candidate(link, token, it, verdicts) for it in candidates],
    )


def guest_can_fetch(link: ShareLink, asset_id: Any) -> bool:
    return asset_id in link_asset_ids(link)


# --- Live -----------------------------------------------------------------------------------


def _notify_after_commit(link_id: Any, event_type: str) -> None:
    group = link_group(link_id)
    transaction.on_commit(lambda: realtime.send_group_now(group, {"type": event_type}))


def notify_board_links_after_commit(board_id: Any) -> None:
    """After commit, every guest socket of ``board_id`` re-checks its link at once.

    Archiving or deleting a board ends all its links; the sockets close (4410) now instead
    of at their next periodic re-check.
    """
    group = share_board_group(board_id)
    transaction.on_commit(lambda: realtime.send_group_now(group, {"type": CHANGED_EVENT}))
