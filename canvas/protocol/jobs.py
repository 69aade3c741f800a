"""Job messages and the one declaration of a job's spec (docs/jobs.md "Using region jobs").

``JobShape`` holds every field of a job request with its limits. The websocket's
``job_submit`` is a ``JobShape`` plus ``request_id``; ``JobSpec`` (a ``JobShape`` plus the
API's ``seed_mode`` and engine ``params``) is what canvas.jobs.queue.normalise_spec checks
every submitted spec against, whether it came from the websocket or from the JSON API. Only
shapes and ranges live here: whether the anchors and the mask belong to the board, and
whether the engine can do the job, is decided by canvas.jobs.queue.

``request_id`` is client-made and echoed in the reply (``job_accepted`` / ``request_done``
/ ``error``) so the client can tell which button the answer belongs to; it is optional
everywhere but on ``job_submit``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from canvas.models.items import AnchorRole
from canvas.models.jobs import JobMode
from canvas.protocol import limits
from canvas.protocol.errors import error_from_validation
from canvas.protocol.governance import Consistency
from canvas.protocol.types import (
    Coordinate,
    EngineName,
    Flag,
    Fraction,
    Id,
    Name,
    Number,
    OneOf,
    Prompt,
    ProtocolModel,
    RequestId,
    Says,
    Text,
    Whole,
    Wire,
    check_free_json,
    invalid,
)

JobModeName = Annotated[
    str, OneOf.of(JobMode, title="JobMode", says="Unknown mode {value}; use one of")
]
JobAnchorRole = Annotated[
    str, OneOf.of(AnchorRole, title="JobAnchorRole", says="{value} is unknown; use one of")
]
RegionEdge = Annotated[
    float,
    Number(
        1,
        limits.MAX_REGION_EDGE,
        f"must be 1 to {limits.MAX_REGION_EDGE} board units: the region is empty or too "
        "large; drag a rectangle over the part to change",
    ),
]
Seed = Annotated[int, Whole(0, limits.SEED_LIMIT - 1)]
OutputEdge = Annotated[int, Whole(1, limits.MAX_REGION_EDGE)]
Count = Annotated[int, Whole(1, limits.MAX_JOB_COUNT)]
Scale = Annotated[int, Whole(1, limits.MAX_SCALE)]
SeedMode = Annotated[str, OneOf(("fixed", "random"))]
MoveTo = Annotated[str, OneOf(("front", "back"))]
Layout = Annotated[str, OneOf(("single", "grid"))]
VariableName = Annotated[str, Text(limits.MAX_VARIABLE_NAME, 1, "a variable name")]
VideoSeconds = Annotated[int, Whole(1, limits.MAX_VIDEO_SECONDS)]
VideoFps = Annotated[int, Whole(1, limits.MAX_VIDEO_FPS)]
VideoRatio = Annotated[str, OneOf(limits.VIDEO_RATIOS)]
VideoResolution = Annotated[str, OneOf(limits.VIDEO_RESOLUTIONS)]


def _check_params(value: dict[str, Any]) -> dict[str, Any]:
    return check_free_json(
        value, max_bytes=limits.MAX_PROPS_BYTES, max_depth=limits.MAX_PROPS_DEPTH
    )


Params = Annotated[dict[str, Any], Says("must be an object"), AfterValidator(_check_params)]


class RegionRect(ProtocolModel):
    """The part of the board a job works on, in board units."""

    x: Coordinate
    y: Coordinate
    width: RegionEdge
    height: RegionEdge


class JobAnchorRef(ProtocolModel):
    role: JobAnchorRole
    item_id: Id


class OutputSize(ProtocolModel):
    width: OutputEdge
    height: OutputEdge


class VideoSpec(ProtocolModel):
    """What a video job (mode ``video``) makes from its first frame: the region, or the
    whole of ``first_frame`` (an image item of the board); docs/video.md."""

    duration: VideoSeconds = limits.DEFAULT_VIDEO_SECONDS
    """Whole seconds; each engine lists the durations it makes."""
    aspect_ratio: VideoRatio = "16:9"
    resolution: VideoResolution = "720p"
    camera_fixed: Flag = False
    """true: a locked-off camera (no pan, zoom or dolly)."""
    fps: VideoFps | None = None
    """null: the engine's own frame rate."""
    first_frame: Id | None = None
    """An image item whose whole picture starts the clip (null: the region)."""
    last_frame: Id | None = None
    """An image item the clip should end on (engines that offer it)."""


# Fields where null or "" means "not given" (older clients and forms send either).
_BLANK_MEANS_DEFAULT = (
    "engine",
    "prompt",
    "negative_prompt",
    "output_size",
    "anchors",
    "mask",
    "parent_iteration",
    "seed_mode",
    "video",
)


class JobShape(ProtocolModel):
    """Every field of a job request, with its limits."""

    mode: JobModeName
    engine: EngineName = limits.DEFAULT_ENGINE
    """An engine name from the board's engine list."""
    region: RegionRect
    prompt: Prompt = ""
    negative_prompt: Prompt = ""
    strength: Fraction = 0.6
    """0 keeps the region, 1 ignores it."""
    seed: Seed | None = None
    """null: the server draws a random seed (and records it)."""
    count: Count = 1
    output_size: OutputSize | None = None
    scale: Scale = 2
    """Upscale factor (2 or 4 for the built-in engines)."""
    anchors: list[JobAnchorRef] = Field(default_factory=list, max_length=limits.MAX_JOB_ANCHORS)
    mask: Id | None = None
    """Id of a PNG asset uploaded to this board: painted (opaque) pixels are changed."""
    parent_iteration: Id | None = None
    """The result this job refines (lineage)."""
    variables: dict[VariableName, Name] = Field(
        default_factory=dict, max_length=limits.MAX_JOB_VARIABLES
    )
    """Values for the board's brand kit prompt template, e.g. {"product": "sneaker"};
    ``style`` names one of the kit's style presets."""
    video: VideoSpec | None = None
    """Mode ``video`` only (its defaults when left out)."""

    @model_validator(mode="after")
    def _video_only_with_video_mode(self) -> JobShape:
        if self.mode == JobMode.VIDEO and self.video is None:
            self.video = VideoSpec()
        elif self.mode != JobMode.VIDEO and self.video is not None:
            raise invalid("video: only a video job (mode video) takes video options")
        return self

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (key in _BLANK_MEANS_DEFAULT and value in ("", None))
            }
        return data


class JobSpec(JobShape):
    """A job spec as canvas.jobs.queue.submit_job takes it (websocket and API alike)."""

    seed_mode: SeedMode | None = None
    """random (the default without a seed) draws one seed at submit."""
    params: Params = Field(default_factory=dict)
    """Engine-specific extras."""


def parse_job_spec(raw: Any) -> JobSpec:
    """Check a raw spec's shape and ranges; ProtocolError names the first problem."""
    try:
        return JobSpec.model_validate(raw)
    except ValidationError as exc:
        raise error_from_validation(exc, "") from None


# --- Client → server -------------------------------------------------------------------------


class JobSubmitMessage(JobShape):
    type: Literal["job_submit"]
    request_id: RequestId
    engine: EngineName


def job_spec(message: JobSubmitMessage) -> dict[str, Any]:
    """The raw spec canvas.jobs.queue.submit_job expects, from a parsed ``job_submit``."""
    # Only what the client said: a brand kit's defaults fill what it left out.
    spec = message.model_dump(exclude={"type", "request_id"}, exclude_unset=True)
    spec["seed_mode"] = "random" if message.seed is None else "fixed"
    return spec


class JobRefMessage(ProtocolModel):
    """``job_cancel`` / ``job_retry``."""

    type: Literal["job_cancel", "job_retry"]
    request_id: RequestId | None = None
    job_id: Id


class JobMoveMessage(ProtocolModel):
    type: Literal["job_move"]
    request_id: RequestId | None = None
    job_id: Id
    to: MoveTo


class QueueMessage(ProtocolModel):
    """``queue_pause`` / ``queue_resume``: the board's whole queue."""

    type: Literal["queue_pause", "queue_resume"]
    request_id: RequestId | None = None


class IterationApplyMessage(ProtocolModel):
    """Apply results: ``single`` (one id, over its region) or ``grid`` (beside the region;
    the default for several ids)."""

    type: Literal["iteration_apply"]
    request_id: RequestId | None = None
    ids: list[Id] = Field(min_length=1, max_length=limits.MAX_APPLY_IDS)
    layout: Layout | None = None
    """Default: ``single`` for one id, else ``grid``."""

    @model_validator(mode="after")
    def _layout(self) -> IterationApplyMessage:
        if self.layout is None:
            self.layout = "single" if len(self.ids) == 1 else "grid"
        elif self.layout == "single" and len(self.ids) != 1:
            raise invalid("Apply one result over the region, or several as a grid")
        return self


class IterationRefMessage(ProtocolModel):
    """``iteration_discard`` / ``_restore`` / ``_make_current`` / ``_rerun``: one result."""

    type: Literal[
        "iteration_discard", "iteration_restore", "iteration_make_current", "iteration_rerun"
    ]
    request_id: RequestId | None = None
    id: Id


# --- Server → client -------------------------------------------------------------------------


class JobError(ProtocolModel):
    code: str
    message: str


class JobData(ProtocolModel):
    """A job as the API and the ``job`` message show it (canvas.jobs.payloads.job_payload)."""

    id: str
    board: str
    created_by: int | None
    mode: str
    engine: str
    state: str
    """queued, running, succeeded, failed or cancelled."""
    priority: int
    position: float
    spec: dict[str, Any]
    attempts: int
    max_attempts: int
    cancel_requested: bool
    progress: float
    progress_message: str
    error: JobError | None
    notes: list[dict[str, Any]]
    queued_at: str | None
    started_at: str | None
    finished_at: str | None
    not_before: str | None
    retried_from: str | None
    parent_iteration: str | None
    version: int
    """Grows with every change; drop older updates."""
    batch: str | None = None
    """The batch that made the job (docs/batches.md); null for a job submitted on its own."""


class IterationData(ProtocolModel):
    """A result (canvas.jobs.payloads.iteration_payload)."""

    id: str
    board: str
    job: str
    index: int
    asset: str
    source_asset: str | None
    parent: str | None
    region: dict[str, Any]
    status: str
    """staged, applied or discarded."""
    applied_item: str | None
    is_current: bool
    seed: int | None
    provenance: dict[str, Any]
    created_at: str | None
    consistency: Consistency | None
    """Its latest consistency check against the board's anchors; null until scored (a
    ``consistency`` message follows when scoring finishes)."""


class JobMessage(ProtocolModel):
    """A job changed (state, progress, position); everyone on the board gets it."""

    type: Literal["job"]
    job: JobData


class JobPreviewMessage(ProtocolModel):
    type: Literal["job_preview"]
    job: str
    version: int
    image: str
    """data: URL of a small JPEG preview."""


class IterationMessage(ProtocolModel):
    type: Literal["iteration"]
    iteration: IterationData


class JobQueueMessage(ProtocolModel):
    type: Literal["job_queue"]
    board: str
    paused: bool


class JobAcceptedMessage(ProtocolModel):
    """To the requester only: its submit / retry / re-run was queued as ``job``."""

    type: Literal["job_accepted"]
    request_id: str | None
    job: JobData


class RequestDoneMessage(ProtocolModel):
    """To the requester only: a cancel / move / pause / apply / discard … was carried out;
    everyone (the requester too) sees its effect in ``job`` / ``iteration`` / ``applied``."""

    type: Literal["request_done"]
    request_id: str | None
    request: str
    items: dict[str, str] | None = None
    """``iteration_apply`` only: result id → id of the image item it is on the canvas as
    (what the requester's undo removes)."""


# --- Builders --------------------------------------------------------------------------------


def job_message(job: Wire) -> Wire:
    return {"type": "job", "job": job}


def job_preview_message(job_id: Any, version: int, data_url: str) -> Wire:
    return {"type": "job_preview", "job": str(job_id), "version": version, "image": data_url}


def iteration_message(iteration: Wire) -> Wire:
    return {"type": "iteration", "iteration": iteration}


def queue_message(board_id: Any, paused: bool) -> Wire:
    return {"type": "job_queue", "board": str(board_id), "paused": paused}


def job_accepted(request_id: str | None, job: Wire) -> Wire:
    return {"type": "job_accepted", "request_id": request_id, "job": job}


def request_done(request_id: str | None, request: str, items: dict[str, str] | None = None) -> Wire:
    return {"type": "request_done", "request_id": request_id, "request": request, "items": items}
