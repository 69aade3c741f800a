"""Boards and the people given an explicit role on one."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from canvas.models.roles import Role
from canvas.models.teams import Team


class DriftTriage(models.TextChoices):
    """What happens to a result the drift check flags as it lands (docs/governance.md)."""

    OFF = "off", "Leave it for a person"
    ROUTE = "route", "Mark it Needs changes (the refine step)"
    REJECT = "reject", "Reject it, with the flag as the reason"


class BoardQuerySet(models.QuerySet["Board"]):
    def active(self) -> BoardQuerySet:
        return self.filter(archived_at__isnull=True)


class Board(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Monotonic revision of the board document; every applied operation increments it.
    revision = models.BigIntegerField(default=0)
    cover = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A paused queue keeps its jobs queued; workers skip them until it is resumed.
    queue_paused = models.BooleanField(default=False)
    # The team's brand kit this board's jobs follow (canvas/governance/kits): its latest
    # version, or ``brand_kit_version`` when pinned to one.
    brand_kit = models.ForeignKey(
        "canvas.BrandKit", null=True, blank=True, on_delete=models.SET_NULL, related_name="boards"
    )
    brand_kit_version = models.ForeignKey(
        "canvas.BrandKitVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Off by default: flags inform people; a board can opt in to acting on them.
    drift_triage = models.CharField(
        max_length=8, choices=DriftTriage.choices, default=DriftTriage.OFF
    )

    objects = BoardQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class BoardMember(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "user"], name="unique_board_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.board} ({self.role})"
