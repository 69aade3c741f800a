"""Invitation links and the open sign-up switch.

An invitation's token is shown once, to the person who made it; only its SHA-256 is
stored (the pattern of canvas.models.tokens and canvas.models.sharing), so a database leak
does not leak working links. An invitation is for exactly one board or one team, is used at
most once (``accepted_at``), expires, and can be revoked. This module holds data and small
read-only helpers; canvas.members.invitations writes the rows.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from canvas.models.roles import Role
from canvas.models.teams import TeamRole

TOKEN_PREFIX = "inv_"  # noqa: S105  (a public prefix, not a secret)


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitation_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """A link that makes whoever opens it a member of one board or one team.

    ``role`` is a board role (owner, editor, reviewer, viewer) for a board invitation and a
    team role (admin, member) for a team invitation. ``email`` is only a note of whom it was
    meant for (pre-filled on the sign-up form); the link works for whoever holds it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    board = models.ForeignKey(
        "canvas.Board", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    team = models.ForeignKey(
        "canvas.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(board__isnull=False, team__isnull=True)
                    | models.Q(board__isnull=True, team__isnull=False)
                ),
                name="invitation_for_board_or_team",
            )
        ]

    def __str__(self) -> str:
        target = f"board {self.board_id}" if self.board_id else f"team {self.team_id}"
        return f"invitation to {target} as {self.role} ({self.status})"

    @property
    def is_board(self) -> bool:
        return self.board_id is not None

    @property
    def target_name(self) -> str:
        target = self.board if self.board_id else self.team
        return str(getattr(target, "name", ""))

    @property
    def role_label(self) -> str:
        choices = Role if self.board_id else TeamRole
        try:
            return str(choices(self.role).label)
        except ValueError:
            return self.role

    def status_at(self, now: datetime | None = None) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at()


class SignupPolicy(models.Model):
    """The site-wide open sign-up switch: one row (pk 1), off unless someone turned it on."""

    open = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sign-up policy"
        verbose_name_plural = "sign-up policy"

    def __str__(self) -> str:
        return "open sign-up" if self.open else "sign-up closed (invitations only)"
