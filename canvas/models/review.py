"""Review data: decisions on candidates (iterations), comments, and who has read what.

``Decision`` is the current verdict on one iteration (status, rating, star, tier), made by
a person or (``automatic``, with a ``reason``) by the board's drift triage;
``DecisionEvent`` is its append-only history, one row per change, never updated or deleted.
``Comment`` is pinned to a point or an area of the board, or to an asset or an iteration,
and threads through ``parent``; its author is a user or a share-link guest. ``CommentRead``
is one watermark per user and board for unread counts.

Writes happen only in canvas.review; this module holds data, never behaviour.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class DecisionStatus(models.TextChoices):
    UNDECIDED = "", "Undecided"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NEEDS_CHANGES = "needs_changes", "Needs changes"


class Tier(models.TextChoices):
    """The production flow a candidate moves through; "final" is what clients see."""

    GENERATION = "generation", "Generation"
    REFINEMENT = "refinement", "Refinement"
    UPRES = "upres", "Upres"
    FINAL = "final", "Final"


class Decision(models.Model):
    iteration = models.OneToOneField(
        "canvas.Iteration", on_delete=models.CASCADE, related_name="decision"
    )
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=DecisionStatus.choices, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1–5
    starred = models.BooleanField(default=False)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.GENERATION)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_link = models.ForeignKey(
        "canvas.ShareLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guest_name = models.CharField(max_length=100, blank=True)
    # Made by the board's drift triage, not a person; ``reason`` says why (the flag).
    automatic = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["board", "tier"], name="decision_board_tier")]

    def __str__(self) -> str:
        return f"{self.status or 'undecided'} on {self.iteration_id}"


class DecisionEvent(models.Model):
    """One change to a decision: what it became, who did it, when. Append-only."""

    iteration = models.ForeignKey(
        "canvas.Iteration", on_delete=models.CASCADE, related_name="decision_events"
    )
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField(default=dict)  # {field: [old, new]}
    status = models.CharField(max_length=16, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    starred = models.BooleanField(default=False)
    tier = models.CharField(max_length=16)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_link = models.ForeignKey(
        "canvas.ShareLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guest_name = models.CharField(max_length=100, blank=True)
    automatic = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        # The decisions made in an hour (the operations roll-ups, canvas.ops).
        indexes = [models.Index(fields=["at"], name="decision_event_at")]

    def __str__(self) -> str:
        return f"decision change on {self.iteration_id} at {self.at}"


class CommentTarget(models.TextChoices):
    POINT = "point", "Point on the board"
    AREA = "area", "Area of the board"
    ASSET = "asset", "Asset"
    ITERATION = "iteration", "Candidate"


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    target = models.CharField(max_length=16, choices=CommentTarget.choices)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    width = models.FloatField(null=True, blank=True)
    height = models.FloatField(null=True, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    iteration = models.ForeignKey(
        "canvas.Iteration", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A point comment on a video item may be pinned to a moment of its clip (seconds).
    item = models.ForeignKey(
        "canvas.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time = models.FloatField(null=True, blank=True)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    share_link = models.ForeignKey(
        "canvas.ShareLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guest_name = models.CharField(max_length=100, blank=True)
    guest_email = models.EmailField(blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["board", "created_at"], name="comment_board_recent")]

    def __str__(self) -> str:
        return f"comment {self.id} on {self.board_id}"


class CommentRead(models.Model):
    """Everything on ``board`` created up to ``read_at`` counts as read by ``user``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "board"], name="unique_comment_read")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.board_id} up to {self.read_at}"
