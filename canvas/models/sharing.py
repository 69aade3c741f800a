"""Share links for people without an account, and the audit log of what happened to them.

A link's token is shown once; only its SHA-256 is stored (``token_hash``), so a database
leak does not leak working links. The password, if any, is stored with Django's password
hasher. What a link may do and see is decided by canvas.permissions; this module holds
data and small read-only helpers, never behaviour that writes (canvas.sharing).
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ShareScope(models.TextChoices):
    BOARD = "board", "Whole board"
    FRAME = "frame", "One frame"
    SELECTION = "selection", "Selected candidates"


class ShareVisibility(models.TextChoices):
    FINAL_ONLY = "final_only", "Final only"
    ALL_CANDIDATES = "all_candidates", "All candidates"


class LinkPermission(models.TextChoices):
    VIEW = "view", "View"
    COMMENT = "comment", "Comment"
    APPROVE = "approve", "Approve / reject"
    DOWNLOAD = "download", "Download"


def hash_share_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ShareLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)
    scope = models.CharField(max_length=16, choices=ShareScope.choices, default=ShareScope.BOARD)
    frame = models.ForeignKey(
        "canvas.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    iteration_ids = models.JSONField(default=list, blank=True)  # scope=selection
    permissions = models.JSONField(default=list)  # LinkPermission values; "view" always
    expires_at = models.DateTimeField()
    password_hash = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=16, choices=ShareVisibility.choices, default=ShareVisibility.FINAL_ONLY
    )
    show_metadata = models.BooleanField(default=False)
    show_presence = models.BooleanField(default=False)
    # The team's verdicts (approved / needs changes / rejected) are internal unless shared.
    show_decisions = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.label or self.id} on {self.board_id}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    REVOKED = "revoked", "Revoked"
    ACCESSED = "accessed", "Accessed"
    PASSWORD_FAILED = "password_failed", "Wrong password"
    COMMENT = "comment", "Comment"
    DECISION = "decision", "Decision"


class ShareAuditEvent(models.Model):
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="audit_events")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)  # guest name, for guests
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.link_id} at {self.at}"
