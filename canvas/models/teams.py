"""Teams (workspaces): the people who share boards."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from canvas.models.roles import Role


class TeamRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    # A member who may also create, edit and unlock the team's brand kits
    # (canvas/governance/kits; docs/governance.md "Brand kits").
    KIT_MANAGER = "kit_manager", "Kit manager"
    MEMBER = "member", "Member"


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    # The role a team member gets on a team board where they have no explicit membership.
    # Empty means "none": such boards are invisible to them until someone adds them.
    default_board_role = models.CharField(
        max_length=16, choices=Role.choices, blank=True, default=Role.EDITOR
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="unique_team_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"
