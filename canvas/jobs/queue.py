"""The job queue: submitting, claiming, and what people do to queued and running jobs.

submit → (claim) → run → finish is the lifecycle (docs/jobs.md). This module validates and
queues jobs, hands the next job to a worker under the concurrency caps and fairness rule,
and cancels, retries, moves and pauses. The state changes themselves (conditional update,
version bump, broadcast after commit) are canvas.jobs.lifecycle's; workers are woken after
commit too, so nobody ever sees a job that might still roll back.

Callers (API, consumers) check permissions first; this module does not know who may do
what, only what is valid. It never runs an engine (canvas.jobs.runner does).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from PIL import Image

from canvas.engines import Anchor, EngineRequest, get_engine
from canvas.governance.kits.enforcement import apply_kit
from canvas.jobs import claim_caps, claim_heads, config, lifecycle
from canvas.jobs.announce import broadcast_queue_after_commit
from canvas.jobs.board_reads import BoardReads
from canvas.jobs.inputs import mask_from_asset, video_options
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.models import Board
from canvas.models.jobs import (
    FINISHED_STATES,
    Iteration,
    Job,
    JobMode,
    JobPriority,
    JobState,
)
from canvas.protocol import ProtocolError, limits, parse_job_spec
from foundation.errors import AppError, Conflict, NotFound

logger = logging.getLogger(__name__)

DEFAULT_ENGINE = limits.DEFAULT_ENGINE


class InvalidJob(AppError):
    code = "invalid_job"
    default_message = "The job settings are not valid."


class JobNotFound(NotFound):
    code = "job_not_found"
    default_message = "This job does not exist, or you have not been given access to it."


class JobStateConflict(Conflict):
    code = "job_state_conflict"


# --- Submit ---------------------------------------------------------------------------------


def layer_snapshot(board: Board, region: dict[str, float]) -> list[dict[str, Any]]:
    """The visible image layers intersecting ``region``, bottom to top, as they are now."""
    return BoardReads(board).layers(region)


def _anchors(reads: BoardReads, refs: list[Any]) -> list[dict[str, str]]:
    """Resolve anchor refs (shape already checked) to this board's live image items."""
    anchors = []
    for ref in refs:
        item = reads.image_item(ref.item_id)
        if item is None:
            raise InvalidJob(
                "One of the anchors is no longer an image on this board; remove it and try again."
            )
        anchors.append(
            {
                "item_id": str(item.id),
                "asset_id": str(item.asset_id),
                "role": ref.role,
                "name": item.name,
            }
        )
    return anchors


def _frame(reads: BoardReads, item_id: str | None, which: str) -> dict[str, str] | None:
    """A video job's first or last frame: an image item of this board, by id."""
    if item_id is None:
        return None
    item = reads.image_item(item_id)
    if item is None:
        raise InvalidJob(
            f"The {which} frame is no longer an image on this board; pick another image."
        )
    return {"item_id": str(item.id), "asset_id": str(item.asset_id)}


def _video(reads: BoardReads, shape: Any) -> dict[str, Any] | None:
    """The video options of a video job, its frames resolved to this board's images."""
    if shape.video is None:
        return None
    video = shape.video.model_dump()
    video["first_frame"] = _frame(reads, video["first_frame"], "first")
    video["last_frame"] = _frame(reads, video["last_frame"], "last")
    return video


def _mask_asset(reads: BoardReads, asset_id: str | None) -> str | None:
    if asset_id is None:
        return None
    if not reads.is_board_asset(asset_id):
        raise InvalidJob("The mask image is not part of this board; draw the mask again.")
    return asset_id


def _priority(raw: Any) -> int:
    if raw in (None, "interactive"):
        return JobPriority.INTERACTIVE
    if raw == "bulk":
        return JobPriority.BULK
    if isinstance(raw, int) and not isinstance(raw, bool) and -1000 <= raw <= 1000:
        return raw
    raise InvalidJob("priority must be 'interactive', 'bulk' or a whole number.")


def normalise_spec(
    board: Board, raw: dict[str, Any], reads: BoardReads | None = None
) -> dict[str, Any]:
    """Validate a submitted spec and resolve everything that must not change later.

    Shapes and ranges are checked by the one spec declaration, canvas.protocol.JobSpec
    (the websocket's ``job_submit`` and the API's body both end here); this adds what
    depends on the board, the board's brand kit included
    (canvas.governance.kits.enforcement). A random seed is drawn here, once, so a retry or re-run
    reproduces the same result. ``reads``: the board's items and kit already read for
    other jobs (a batch); by default they are read for this one (canvas.jobs.board_reads).
    """
    reads = reads if reads is not None else BoardReads(board)
    try:
        shape = parse_job_spec(raw)
    except ProtocolError as exc:
        raise InvalidJob(exc.message) from None
    seed_mode = shape.seed_mode or ("fixed" if shape.seed is not None else "random")
    if seed_mode == "fixed":
        seed = shape.seed if shape.seed is not None else 0
    else:
        seed = random.randrange(limits.SEED_LIMIT)
    region = shape.region.model_dump()
    mask = _mask_asset(reads, shape.mask)
    if shape.mode == JobMode.INPAINT and mask is None:
        raise InvalidJob("Inpainting needs a mask: paint over the part you want changed.")
    output = shape.output_size
    spec = {
        "mode": shape.mode,
        "engine": shape.engine,
        "prompt": shape.prompt.strip(),
        "negative_prompt": shape.negative_prompt.strip(),
        "strength": shape.strength,
        "seed": seed,
        "seed_mode": seed_mode,
        "count": shape.count,
        "output_size": [output.width, output.height] if output else None,
        "scale": shape.scale,
        "anchors": _anchors(reads, shape.anchors),
        "region": region,
        "mask": mask,
        "params": shape.params,
        "variables": shape.variables,
    }
    if shape.mode == JobMode.VIDEO:
        spec["video"] = _video(reads, shape)
    # The board's brand kit: template, defaults, references, locks (may refuse the job).
    spec = apply_kit(board, shape.model_fields_set, spec, kit_now=reads.kit())
    spec["layers"] = reads.layers(region)
    if not spec["layers"]:
        raise InvalidJob(
            "There are no visible images under the selected region; move the selection "
            "over an image or show the hidden layers."
        )
    return spec


def check_with_engine(spec: dict[str, Any]) -> None:
    """Ask the engine whether it can do this job before anything is queued.

    Stand-in images of the right sizes are enough for the source and anchors: ``Engine.check``
    looks at modes, sizes and anchor roles, never at their pixels; the mask is read for real.
    """
    engine = get_engine(spec["engine"])
    caps = engine.capabilities()
    width, height = round(spec["region"]["width"]), round(spec["region"]["height"])
    if width * height > caps.max_input_pixels:
        raise InvalidJob(
            f"The region is {width}×{height} ({width * height / 1e6:.1f} MP); {caps.label} "
            f"accepts up to {caps.max_input_pixels / 1e6:.0f} MP. Select a smaller area."
        )
    # Not initialised (``None``): a 2048² stand-in filled with zeros cost ~10 ms of the
    # submit, and nothing reads its pixels.
    source = Image.new("RGBA", (width, height), None)
    # The real mask, not a stand-in: engines judge its coverage (empty, too large).
    mask = mask_from_asset(spec["mask"], (width, height)) if spec["mask"] else None
    anchors = [
        Anchor(role=a["role"], image=Image.new("RGBA", (1, 1)), name=a["name"])
        for a in spec["anchors"]
    ]
    stand_in = Image.new("RGBA", (1, 1))
    request = EngineRequest(
        mode=spec["mode"],
        source=source,
        mask=mask,
        anchors=tuple(anchors),
        prompt=spec["prompt"],
        negative_prompt=spec["negative_prompt"],
        strength=spec["strength"],
        seed=spec["seed"],
        count=spec["count"],
        output_size=tuple(spec["output_size"]) if spec["output_size"] else None,
        scale=spec["scale"],
        params=spec["params"],
        video=video_options(spec.get("video"), lambda frame: stand_in),
    )
    engine.check(request)


def submit_job(
    board: Board,
    user,
    raw_spec: dict[str, Any],
    *,
    priority: Any = None,
    parent_iteration: Iteration | None = None,
    retried_from: Job | None = None,
    validated_spec: dict[str, Any] | None = None,
    batch_id: Any = None,
) -> Job:
    """Validate ``raw_spec``, store a queued job and wake a worker after commit.

    ``batch_id``: the batch the job belongs to (a retry of one of its jobs); the batch hears
    of it through ``canvas.jobs.signals.job_changed`` (its counts, and it reopens if it had
    ended).
    """
    if board.is_archived:
        raise InvalidJob("This board is archived; restore it before running jobs.")
    spec = validated_spec if validated_spec is not None else normalise_spec(board, raw_spec)
    check_with_engine(spec)
    if parent_iteration is None and raw_spec.get("parent_iteration"):
        try:
            parent_iteration = Iteration.objects.get(
                pk=uuid.UUID(str(raw_spec["parent_iteration"])), board=board
            )
        except (ValueError, Iteration.DoesNotExist):
            raise InvalidJob(
                "The result you are refining no longer exists on this board."
            ) from None
    with transaction.atomic():
        job = lifecycle.create(
            board=board,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            mode=spec["mode"],
            engine=spec["engine"],
            priority=_priority(priority if priority is not None else raw_spec.get("priority")),
            position=time.time(),
            spec=spec,
            max_attempts=config.max_attempts(),
            parent_iteration=parent_iteration,
            retried_from=retried_from,
            batch_id=batch_id,
        )
        wake_workers_after_commit()
    logger.info("job %s queued on board %s by %s", job.pk, board.pk, job.created_by_id)
    return job


# --- Claim ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job_id: uuid.UUID
    attempt: int


def claim_next(worker_id: str) -> Claim | None:
    """Atomically move the next eligible queued job to running for ``worker_id``.

    Order: not on a paused board nor in a paused batch, due (``not_before``), highest
    priority; among the users with work at that priority, the one with the fewest running
    jobs of that kind (interactive or bulk), then the one whose last job started longest
    ago; among that user's batches (and their jobs outside batches) the same rule again;
    then the lowest position. Users at their cap for that kind (``claim_caps.Caps``), engines at
    their limit and providers with enough jobs claimed for their parallel or per-minute
    limit are skipped (the calls themselves wait for a slot: canvas.jobs.slots).
    """
    now = timezone.now()
    with transaction.atomic():
        claim_caps.serialise_claims()
        caps = claim_caps.Caps.now(now)
        # The first claimable job of each lane, not the queue (canvas.jobs.claim_heads).
        eligible = claim_heads.heads(now, caps)
        if not eligible:
            return None
        top = eligible[0]["priority"]
        bulk = claim_caps.is_bulk(top)
        first_by_user: dict[Any, dict[str, Any]] = {}
        for row in eligible:
            if row["priority"] == top:
                first_by_user.setdefault(row["created_by_id"], row)
        epoch = now - timedelta(days=36500)
        user = next(iter(first_by_user))
        if len(first_by_user) > 1:
            users = [u for u in first_by_user if u is not None]
            # Fair share counts the work of the kind being handed out: a person whose
            # batch holds six slots still gets the next interactive slot before a
            # colleague's second interactive job, and two people's batches converge to
            # equal shares.
            running_by_user = Counter({u: caps.running_of(u, bulk) for u in first_by_user})
            last_by_user = claim_caps.last_started("created_by_id", users)
            user = claim_caps.fairest(first_by_user, running_by_user, last_by_user, epoch)
        # The same rule between that person's lanes: each batch, and their jobs outside one.
        lanes: dict[Any, dict[str, Any]] = {}
        for row in eligible:
            if row["priority"] == top and row["created_by_id"] == user:
                lanes.setdefault(row["batch_id"], row)
        lane = next(iter(lanes))
        if len(lanes) > 1:
            batches = [b for b in lanes if b is not None]
            last = claim_caps.last_started("batch_id", batches)
            if None in lanes:
                alone = claim_caps.last_started("created_by_id", [user], batch__isnull=True)
                last[None] = alone.get(user)
            running = Counter({b: caps.per_batch[b] for b in batches})
            running[None] = max(0, caps.running_of(user, bulk) - sum(running.values()))
            lane = claim_caps.fairest(lanes, running, last, epoch)
        chosen = lanes[lane]
        # The runner's first step is said here, in the claim's own write (one write less).
        job = lifecycle.transition(
            chosen["id"],
            JobState.QUEUED,
            JobState.RUNNING,
            owner=worker_id,
            progress=0.01,
            progress_message="Preparing the region",
        )
        if job is None:  # cannot happen while claims are serialised; be safe anyway
            return None
    return Claim(job_id=job.pk, attempt=job.attempts)


# --- Changes requested by people ------------------------------------------------------------


def get_job(job_id: Any, board_id: Any = None) -> Job:
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
        queryset = Job.objects.select_related("board", "board__team")
        if board_id is not None:
            queryset = queryset.filter(board_id=board_id)
        return queryset.get(pk=key)
    except (ValueError, Job.DoesNotExist):
        raise JobNotFound() from None


def cancel_job(job: Job) -> Job:
    """Queued: cancelled at once. Running: flagged; the runner stops at its next check."""
    with transaction.atomic():
        changed = lifecycle.transition(
            job.pk, JobState.QUEUED, JobState.CANCELLED, progress_message="Cancelled"
        ) or lifecycle.transition(
            job.pk,
            JobState.RUNNING,
            JobState.RUNNING,
            where={"cancel_requested": False},
            cancel_requested=True,
            progress_message="Cancelling…",
        )
        if changed is None:
            current = Job.objects.get(pk=job.pk)
            if current.state == JobState.RUNNING:
                return current  # already being cancelled: nothing more to do
            raise JobStateConflict(
                f"This job has already {current.state}; there is nothing to cancel."
            )
    job.refresh_from_db()
    logger.info("job %s cancel requested (now %s)", job.pk, job.state)
    return job


def retry_job(job: Job, user) -> Job:
    """A failed or cancelled job runs again as a new job with the same spec and seed.

    A job of a batch stays in its batch: the new job takes the old one's place in the
    batch's counts (canvas.batches.progress), so a cell is retried once — retrying the old
    job again is a conflict; retry the new one if it fails too.
    """
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise JobStateConflict(
            "Only failed or cancelled jobs can be retried; this one is "
            f"{job.get_state_display().lower()}."
        )
    with transaction.atomic():
        if job.batch_id is not None:
            # One retry per batch job: lock the job so two retries at once take turns.
            list(Job.objects.select_for_update().filter(pk=job.pk).values_list("pk"))
            if Job.objects.filter(retried_from=job, batch_id=job.batch_id).exists():
                raise JobStateConflict(
                    "This job of the batch was already retried; retry the newer job instead."
                )
        return submit_job(
            job.board,
            user,
            job.spec,
            priority=job.priority,
            parent_iteration=job.parent_iteration,
            retried_from=job,
            validated_spec=job.spec,
            batch_id=job.batch_id,
        )


def move_job(job: Job, where: str) -> Job:
    """Put a queued job first or last within its priority (one indexed min/max query)."""
    if where not in ("front", "back"):
        raise InvalidJob("Move a job to the 'front' or the 'back' of the queue.")
    with transaction.atomic():
        claim_caps.serialise_claims()
        current = Job.objects.filter(pk=job.pk).values_list("state", "priority").get()
        if current[0] != JobState.QUEUED:
            raise JobStateConflict("Only jobs still waiting in the queue can be moved.")
        peers = Job.objects.filter(state=JobState.QUEUED, priority=current[1])
        if where == "front":
            edge = peers.aggregate(edge=Min("position"))["edge"]
            position = (edge if edge is not None else 0) - 1
        else:
            edge = peers.aggregate(edge=Max("position"))["edge"]
            position = (edge if edge is not None else 0) + 1
        lifecycle.transition(job.pk, JobState.QUEUED, JobState.QUEUED, position=position)
    job.refresh_from_db()
    return job


def set_queue_paused(board: Board, paused: bool) -> Board:
    """Pause or resume a board's queue: running jobs finish, queued ones wait."""
    with transaction.atomic():
        Board.objects.filter(pk=board.pk).update(queue_paused=paused)
        board.queue_paused = paused
        broadcast_queue_after_commit(board.pk, paused)
        if not paused:
            wake_workers_after_commit()
    return board


def finished_states() -> tuple[str, ...]:
    return tuple(FINISHED_STATES)
