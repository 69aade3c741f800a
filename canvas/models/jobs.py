"""Region jobs and their results (iterations).

A ``Job`` row exists before anything runs: it is the durable queue entry, the record of
what was asked (``spec``, including a snapshot of the layers under the region at submit
time) and the live status clients watch. An ``Iteration`` is one result of a job, kept
forever (discarding only hides it) and linked into a lineage tree through ``parent``.

State changes happen only in canvas.jobs (queue, runner, recovery) and
canvas.boards.iterations; this module holds data and small read-only helpers, never
behaviour that writes.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobMode(models.TextChoices):
    IMG2IMG = "img2img", "Image to image"
    INPAINT = "inpaint", "Inpaint"
    UPSCALE = "upscale", "Upscale"
    VARIATIONS = "variations", "Variations"
    VIDEO = "video", "Video (image to video)"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class SlotState(models.TextChoices):
    """Where a running job stands with its provider's slot (canvas.jobs.slots)."""

    BEFORE = "", "Before its provider call"
    WAITING = "waiting", "Waiting for a provider slot"
    CALLING = "calling", "Holding a provider slot"
    CALLED = "called", "Past its provider call"


class JobPriority(models.IntegerChoices):
    BULK = 0, "Bulk"
    INTERACTIVE = 100, "Interactive"


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField(max_length=16, choices=JobMode.choices)
    engine = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    # Higher runs first; within a priority, lower position runs first. Moving a job to the
    # front/back sets its position just below the minimum / above the maximum.
    priority = models.IntegerField(default=JobPriority.INTERACTIVE)
    position = models.FloatField(default=0)
    spec = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    cancel_requested = models.BooleanField(default=False)
    progress = models.FloatField(default=0)  # 0–1
    progress_message = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    # Things that happened to the job a designer may want to know (retries, restarts).
    notes = models.JSONField(default=list, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    # When a worker first claimed the job (set once: a retry after a transient error keeps
    # it), so queue wait to the first claim excludes retry backoff (canvas.ops roll-ups).
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # the last attempt's start
    finished_at = models.DateTimeField(null=True, blank=True)
    worker_id = models.CharField(max_length=128, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # retry backoff
    # The provider whose open circuit deferred this queued job: when that circuit closes,
    # the job is due at once instead of at ``not_before`` (canvas.jobs.deferrals).
    deferred_for = models.CharField(max_length=40, blank=True, default="")
    retried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    parent_iteration = models.ForeignKey(
        "canvas.Iteration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refinement_jobs",
    )
    # The batch that made this job (canvas.models.batches); claims go round-robin between
    # batches and skip a paused batch's jobs.
    batch = models.ForeignKey(
        "canvas.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # The provider slot of this attempt (canvas.jobs.slots): a provider's limit counts its
    # running jobs in ``calling``, never beyond it; reset by every claim. ``slot_provider``
    # and ``slot_taken_at`` stay after the call (a provider's calls in the last minute).
    slot_state = models.CharField(
        max_length=8, choices=SlotState.choices, blank=True, default=SlotState.BEFORE
    )
    slot_provider = models.CharField(max_length=40, blank=True, default="")
    slot_wanted_at = models.DateTimeField(null=True, blank=True)
    slot_taken_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change so clients can drop updates older than what they show.
    version = models.BigIntegerField(default=1)
    # Set by every state change, cleared once the change was handed to the channel layer:
    # a change whose announcer died first is re-sent by a sweeper from this time on
    # (canvas.jobs.announce). Null: nothing left to announce.
    announce_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "position"]
        indexes = [
            models.Index(fields=["state", "-priority", "position"], name="job_queue_order"),
            models.Index(fields=["board", "-queued_at"], name="job_board_recent"),
            models.Index(fields=["state", "lease_expires_at"], name="job_lease"),
            models.Index(
                fields=["announce_after"],
                condition=models.Q(announce_after__isnull=False),
                name="job_unannounced",
            ),
            models.Index(
                fields=["deferred_for"],
                condition=~models.Q(deferred_for=""),
                name="job_deferred",
            ),
            # A batch's counts by state; requests per minute of a provider (recent starts).
            models.Index(fields=["batch", "state"], name="job_batch_state"),
            models.Index(fields=["started_at"], name="job_started"),
            # A provider's calls in the last minute (its per-minute limit, canvas.jobs.slots).
            models.Index(fields=["slot_taken_at"], name="job_slot_taken"),
            # The jobs that ended in an hour (the operations roll-ups, canvas.ops).
            models.Index(fields=["finished_at"], name="job_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} job {self.id} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class IterationStatus(models.TextChoices):
    STAGED = "staged", "Staged"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


class Iteration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="iterations")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="iterations")
    index = models.PositiveIntegerField()  # 0-based result number within the job
    # RESTRICT, not PROTECT: deleting a whole board removes its iterations and assets together.
    asset = models.ForeignKey("assets.Asset", on_delete=models.RESTRICT, related_name="+")
    source_asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    region = models.JSONField(default=dict)  # {x, y, width, height} in board units
    status = models.CharField(
        max_length=16, choices=IterationStatus.choices, default=IterationStatus.STAGED
    )
    applied_item = models.ForeignKey(
        "canvas.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_current = models.BooleanField(default=False)
    seed = models.BigIntegerField(null=True, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="unique_iteration_per_job")
        ]
        indexes = [models.Index(fields=["board", "-created_at"], name="iteration_board_recent")]

    def __str__(self) -> str:
        return f"iteration {self.index} of job {self.job_id} ({self.status})"
