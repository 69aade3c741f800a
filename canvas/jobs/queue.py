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

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from PIL import Image

from canvas.engines import Anchor, EngineRequest, get_engine
from canvas.governance.kits.enforcement import apply_kit
from canvas.jobs import config, lifecycle
from canvas.jobs.announce import broadcast_queue_after_commit
from canvas.jobs.board_reads import BoardReads
from canvas.jobs.inputs import mask_from_asset
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.models import BatchState, Board
from canvas.models.jobs import FINISHED_STATES, Iteration, Job, JobMode, JobPriority, JobState
from canvas.protocol import ProtocolError, limits, parse_job_spec
from foundation.errors import AppError, Conflict, NotFound

logger = logging.getLogger(__name__)

DEFAULT_ENGINE = limits.DEFAULT_ENGINE
# How many queued rows one claim looks at; jobs beyond it wait for the next claim.
CLAIM_WINDOW = 500


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
    source = Image.new("RGBA", (width, height))
    # The real mask, not a stand-in: engines judge its coverage (empty, too large).
    mask = mask_from_asset(spec["mask"], (width, height)) if spec["mask"] else None
    anchors = [
        Anchor(role=a["role"], image=Image.new("RGBA", (1, 1)), name=a["name"])
        for a in spec["anchors"]
    ]
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
) -> Job:
    """Validate ``raw_spec``, store a queued job and wake a worker after commit."""
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
        )
        wake_workers_after_commit()
    logger.info("job %s queued on board %s by %s", job.pk, board.pk, job.created_by_id)
    return job


# --- Claim ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job_id: uuid.UUID
    attempt: int


def _serialise_claims() -> None:
    """Make concurrent claims take turns, so the caps are counted on settled data.

    SQLite: the IMMEDIATE transaction already holds the database write lock. PostgreSQL:
    a transaction-scoped advisory lock (one fixed key) serialises claimers without blocking
    anything else that touches job rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x4A0B])


def _engine_limit(name: str) -> int | None:
    try:
        caps = get_engine(name).capabilities()
    except Exception:  # an unknown engine fails when run, with a clear message
        caps = None
    return config.engine_concurrency(name, getattr(caps, "max_concurrency", None))


def provider_of(name: str) -> str:
    """The provider an engine calls: its ``provider`` attribute (the circuit breaker's
    name), else the engine name's first word (``gemini`` for ``gemini-2.5-flash-image``),
    as the price table reads it."""
    try:
        provider = getattr(get_engine(name), "provider", "")
    except Exception:
        provider = ""
    return str(provider or name.split("-", 1)[0])


@dataclass
class _Caps:
    """What one claim counts: running jobs per person, engine, provider, batch; job starts
    per provider in the last minute (only when a provider has a per-minute limit)."""

    per_user: Counter[Any]
    per_engine: Counter[str]
    per_provider: Counter[str]
    per_batch: Counter[Any]
    started: Counter[str]
    user_cap: int
    provider_limits: dict[str, tuple[int, int | None]]
    engine_limits: dict[str, int | None]
    providers: dict[str, str]

    @classmethod
    def now(cls, now: Any) -> _Caps:
        running = list(
            Job.objects.filter(state=JobState.RUNNING)
            .order_by()
            .values_list("created_by_id", "engine", "batch_id")
        )
        caps = cls(
            per_user=Counter(user for user, _, _ in running),
            per_engine=Counter(engine for _, engine, _ in running),
            per_provider=Counter(),
            per_batch=Counter(batch for _, _, batch in running),
            started=Counter(),
            user_cap=config.user_concurrency(),
            provider_limits=config.provider_limits(),
            engine_limits={},
            providers={},
        )
        for engine, n in caps.per_engine.items():
            caps.per_provider[caps.provider(engine)] += n
        if any(per_minute for _, per_minute in caps.provider_limits.values()):
            recent = Job.objects.filter(started_at__gte=now - timedelta(minutes=1))
            for engine in recent.order_by().values_list("engine", flat=True):
                caps.started[caps.provider(engine)] += 1
        return caps

    def provider(self, engine: str) -> str:
        if engine not in self.providers:
            self.providers[engine] = provider_of(engine)
        return self.providers[engine]

    def allows(self, row: dict[str, Any]) -> bool:
        user, engine = row["created_by_id"], row["engine"]
        if user is not None and self.per_user[user] >= self.user_cap:
            return False
        if engine not in self.engine_limits:
            self.engine_limits[engine] = _engine_limit(engine)
        limit = self.engine_limits[engine]
        if limit is not None and self.per_engine[engine] >= limit:
            return False
        provider = self.provider(engine)
        parallel, per_minute = self.provider_limits.get(provider, (None, None))
        if parallel is not None and self.per_provider[provider] >= parallel:
            return False
        return per_minute is None or self.started[provider] < per_minute


def _last_started(field: str, keys: list[Any], **scope: Any) -> dict[Any, Any]:
    """When the latest job of each ``field`` value in ``keys`` started."""
    return dict(
        Job.objects.filter(**{f"{field}__in": keys}, **scope)
        .exclude(started_at__isnull=True)
        .order_by()
        .values(field)
        .annotate(last=Max("started_at"))
        .values_list(field, "last")
    )


def _fairest(rows: dict[Any, dict[str, Any]], running: Counter[Any], last: dict[Any, Any], epoch):
    """The key of ``rows`` (lane → its first row) with the fewest running jobs, then the
    one whose last job started longest ago, then the earliest position: round-robin."""
    return min(rows, key=lambda k: (running[k], last.get(k) or epoch, rows[k]["position"]))


def claim_next(worker_id: str) -> Claim | None:
    """Atomically move the next eligible queued job to running for ``worker_id``.

    Order: not on a paused board nor in a paused batch, due (``not_before``), highest
    priority; among the users with work at that priority, the one with the fewest running
    jobs, then the one whose last job started longest ago; among that user's batches (and
    their jobs outside batches) the same rule again; then the lowest position. Users at
    their cap, engines at their limit and providers at their parallel or per-minute limit
    are skipped.
    """
    now = timezone.now()
    with transaction.atomic():
        _serialise_claims()
        caps = _Caps.now(now)
        candidates: list[dict[str, Any]] = [
            dict(row)
            for row in Job.objects.filter(state=JobState.QUEUED, board__queue_paused=False)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .filter(Q(batch__isnull=True) | Q(batch__state=BatchState.RUNNING))
            .order_by("-priority", "position", "queued_at")
            .values("id", "created_by_id", "engine", "priority", "position", "batch_id")[
                :CLAIM_WINDOW
            ]
        ]
        eligible = [row for row in candidates if caps.allows(row)]
        if not eligible:
            return None
        top = eligible[0]["priority"]
        first_by_user: dict[Any, dict[str, Any]] = {}
        for row in eligible:
            if row["priority"] == top:
                first_by_user.setdefault(row["created_by_id"], row)
        epoch = now - timedelta(days=36500)
        users = [u for u in first_by_user if u is not None]
        user = _fairest(first_by_user, caps.per_user, _last_started("created_by_id", users), epoch)
        # The same rule between that person's lanes: each batch, and their jobs outside one.
        lanes: dict[Any, dict[str, Any]] = {}
        for row in eligible:
            if row["priority"] == top and row["created_by_id"] == user:
                lanes.setdefault(row["batch_id"], row)
        lane = next(iter(lanes))
        if len(lanes) > 1:
            batches = [b for b in lanes if b is not None]
            last = _last_started("batch_id", batches)
            if None in lanes:
                last[None] = _last_started("created_by_id", [user], batch__isnull=True).get(user)
            running = Counter({b: caps.per_batch[b] for b in batches})
            running[None] = caps.per_user[user] - sum(running.values())
            lane = _fairest(lanes, running, last, epoch)
        chosen = lanes[lane]
        job = lifecycle.transition(chosen["id"], JobState.QUEUED, JobState.RUNNING, owner=worker_id)
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
    """A failed or cancelled job runs again as a new job with the same spec and seed."""
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise JobStateConflict(
            "Only failed or cancelled jobs can be retried; this one is "
            f"{job.get_state_display().lower()}."
        )
    return submit_job(
        job.board,
        user,
        job.spec,
        priority=job.priority,
        parent_iteration=job.parent_iteration,
        retried_from=job,
        validated_spec=job.spec,
    )


def move_job(job: Job, where: str) -> Job:
    """Put a queued job first or last within its priority (one indexed min/max query)."""
    if where not in ("front", "back"):
        raise InvalidJob("Move a job to the 'front' or the 'back' of the queue.")
    with transaction.atomic():
        _serialise_claims()
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
