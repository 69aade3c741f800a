"""Invitation links: create, list, revoke, look up by token, accept.

Callers have checked the caller with canvas.permissions (MANAGE on the board, or admin of
the team) before creating, listing or revoking. Accepting needs only the token: whoever
holds a live link may use it once. A link is live until it is accepted, revoked or
expired (``ANCHORBOARD_INVITATION_DAYS``, default 7). Accepting is one conditional update
(``accepted_at`` still empty, not revoked, not expired), so two people racing with the same
link cannot both get in, and it runs in the same transaction as the membership (and the new
account, for someone who signs up through the link): if any part fails, the link stays
unused.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from canvas.members import services
from canvas.members.models import (
    Invitation,
    InvitationStatus,
    hash_invitation_token,
    new_invitation_token,
)
from canvas.models import Board, Role, Team, TeamRole
from foundation import config, knobs
from foundation.errors import AppError, NotFound

logger = logging.getLogger(__name__)

MAX_DAYS = 30
MAX_PENDING = 100  # per board or team: an invitation is a row, not a free resource


class InvalidInvitation(AppError):
    code = "invalid_invitation"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "There is no such invitation here (it may have been removed)."


class InvitationUnavailable(AppError):
    """The link cannot be used: unknown, expired, used or revoked (each its own code)."""

    status = 410


def default_days() -> int:
    """ANCHORBOARD_INVITATION_DAYS (default 7), kept within the allowed 1–30."""
    return min(MAX_DAYS, max(1, config.read(knobs.INVITATION_DAYS)))


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once; only its hash is stored


def _expiry(days: int | None) -> Any:
    days = default_days() if days is None else days
    if days < 1 or days > MAX_DAYS:
        raise InvalidInvitation(
            f"An invitation link can stay valid for 1 to {MAX_DAYS} days; you asked for {days}."
        )
    return timezone.now() + timedelta(days=days)


def _check_pending_cap(pending: QuerySet[Invitation]) -> None:
    if pending.count() >= MAX_PENDING:
        raise InvalidInvitation(
            f"There are already {MAX_PENDING} unused invitation links here. Revoke the ones "
            "nobody needs before making more."
        )


def _clean_email(email: str | None) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInvitation(
                f"“{email}” is not an e-mail address; leave it empty if you do not know it."
            ) from None
    return email


def pending(qs: QuerySet[Invitation]) -> QuerySet[Invitation]:
    now = timezone.now()
    return qs.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


def _create(
    by: Any,
    role: str,
    *,
    board: Board | None = None,
    team: Team | None = None,
    email: str = "",
    days: int | None = None,
) -> NewInvitation:
    expires_at = _expiry(days)
    email = _clean_email(email)
    target = {"board": board} if board is not None else {"team": team}
    with transaction.atomic():
        _check_pending_cap(pending(Invitation.objects.filter(**target)))
        token = new_invitation_token()
        invitation = Invitation.objects.create(
            token_hash=hash_invitation_token(token),
            role=role,
            email=email,
            created_by=by,
            expires_at=expires_at,
            **target,
        )
    logger.info("invitation %s (%s) as %s by user %s", invitation.pk, invitation, role, by.pk)
    return NewInvitation(invitation, token)


def create_board_invitation(
    board: Board, by: Any, role: str, *, email: str = "", days: int | None = None
) -> NewInvitation:
    """A link that gives whoever uses it ``role`` on ``board`` (not team membership)."""
    return _create(by, Role(role), board=board, email=email, days=days)


def create_team_invitation(
    team: Team, by: Any, role: str, *, email: str = "", days: int | None = None
) -> NewInvitation:
    """A link that makes whoever uses it a member (or admin) of ``team``."""
    return _create(by, TeamRole(role), team=team, email=email, days=days)


def invitations_of(*, board: Board | None = None, team: Team | None = None) -> QuerySet:
    """Every invitation of a board or team, newest first (used, expired and revoked too)."""
    qs = Invitation.objects.filter(board=board) if board else Invitation.objects.filter(team=team)
    return qs.select_related("created_by", "accepted_by").order_by("-created_at", "pk")


def revoke(invitation: Invitation) -> Invitation:
    """Withdraw a link. Revoking a used or already revoked one changes nothing."""
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_in(invitation_id: Any, *, board: Board | None = None, team: Team | None = None):
    """One invitation of this board or team by id; any other id is InvitationNotFound."""
    try:
        key = uuid.UUID(str(invitation_id))
    except ValueError:
        raise InvitationNotFound() from None
    found = invitations_of(board=board, team=team).filter(pk=key).first()
    if found is None:
        raise InvitationNotFound()
    return found


# --- The invitee's side -----------------------------------------------------------------------


def _who(invitation: Invitation) -> str:
    by = invitation.created_by
    return services.display_name(by) if by is not None else "the person who invited you"


def unavailable_reason(invitation: Invitation | None) -> InvitationUnavailable | None:
    """Why a link cannot be used, in words for the person holding it (None: it can)."""
    if invitation is None:
        return InvitationUnavailable(
            "This invitation link is not valid. Check that you copied the whole link, or ask "
            "for a new one.",
            code="invitation_not_found",
            status=404,
        )
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        return InvitationUnavailable(
            "This invitation link has already been used. Each link works once; if you used it, "
            f"log in. Otherwise ask {_who(invitation)} for a new one.",
            code="invitation_used",
        )
    if status == InvitationStatus.REVOKED:
        return InvitationUnavailable(
            f"{_who(invitation)} withdrew this invitation. Ask them for a new link if you "
            "still need access.",
            code="invitation_revoked",
        )
    if status == InvitationStatus.EXPIRED:
        expired = timezone.localtime(invitation.expires_at)
        when = f"{expired.day} {expired:%B %Y}"
        return InvitationUnavailable(
            f"This invitation expired on {when}. Ask {_who(invitation)} for a new link.",
            code="invitation_expired",
        )
    return None


def find(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("board__team", "team", "created_by")
        .filter(token_hash=hash_invitation_token(token))
        .first()
    )


def live(token: str) -> Invitation:
    """The live invitation for ``token``, or InvitationUnavailable saying why not."""
    invitation = find(token)
    reason = unavailable_reason(invitation)
    if reason is not None:
        raise reason
    assert invitation is not None
    return invitation


@dataclass(frozen=True)
class Accepted:
    invitation: Invitation
    changed: bool  # False: the person already had this access (or more)
    role_label: str


def accept(invitation: Invitation, user: Any) -> Accepted:
    """Use the link for ``user``: mark it used (once, atomically) and make them a member.

    Call inside the caller's transaction when an account is created in the same step, so a
    failure undoes both.
    """
    with transaction.atomic():
        used = Invitation.objects.filter(
            pk=invitation.pk,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if used != 1:
            invitation.refresh_from_db()
            reason = unavailable_reason(invitation)
            raise reason or InvitationUnavailable(code="invitation_used")
        if invitation.board_id is not None:
            assert invitation.board is not None
            role, changed = services.join_board(invitation.board, user, invitation.role)
            label = role.label
        else:
            assert invitation.team is not None
            membership, changed = services.join_team(invitation.team, user, invitation.role)
            label = TeamRole(membership.role).label
    invitation.refresh_from_db()
    logger.info("invitation %s accepted by user %s", invitation.pk, user.pk)
    return Accepted(invitation, changed, str(label))
