"""The engine contract: what every image engine receives, reports and may raise.

An engine turns one ``EngineRequest`` (a region's pixels, an optional mask, anchor
references and settings) into a list of ``EngineResult`` images. Local image operations,
hosted providers (Gemini, OpenAI, …) and self-hosted servers (ComfyUI, A1111) all implement
``Engine`` and are found through ``canvas.engines.registry``.

This module is pure: no database, no storage, no network, no Django settings. The job queue
owns persistence, retries and broadcasting; an engine only computes and reports progress
through the ``ProgressReporter`` it is given. See docs/engines.md.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import os
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from canvas.protocol.limits import (
    MAX_VIDEO_FPS,
    MAX_VIDEO_SECONDS,
    SEED_LIMIT,
    VIDEO_RATIOS,
    VIDEO_RESOLUTIONS,
)
from foundation.errors import AppError


class Mode(enum.StrEnum):
    IMG2IMG = "img2img"
    INPAINT = "inpaint"
    UPSCALE = "upscale"
    VARIATIONS = "variations"
    VIDEO = "video"  # image-to-video: results carry a clip (``EngineResult.video``)


# Same values as canvas.models.AnchorRole; repeated here so the contract stays importable
# without Django models (engines run in workers and in pure tests).
ANCHOR_ROLES = ("composition", "palette", "lighting", "style")

MAX_COUNT = 32
MAX_PROMPT = 4000


# --- Errors ---------------------------------------------------------------------------------


class InvalidRequest(AppError):
    """The request is malformed whatever the engine (caught before anything is queued)."""

    code = "invalid_engine_request"
    default_message = "The image job settings are not valid."


class UnsupportedRequest(AppError):
    """This engine cannot do what was asked; raised by ``Engine.check`` before queueing."""

    code = "unsupported_request"
    default_message = "The selected engine cannot do this. Pick another engine or mode."


class EngineError(Exception):
    """A failure while running. ``message`` is shown to the designer as is."""

    retryable = False
    default_code = "engine_failed"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.message = message
        self.code = code or self.default_code
        super().__init__(message)


class TransientEngineError(EngineError):
    """Worth retrying later: timeouts, rate limits, a provider's 5xx, a busy GPU server."""

    retryable = True
    default_code = "engine_unavailable"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after  # seconds, when the provider said so


class PermanentEngineError(EngineError):
    """Retrying cannot help: content blocked, bad credentials, an image the engine rejects."""

    retryable = False


class JobCancelled(Exception):
    """Raised by an engine that saw ``progress.cancelled()``; the job ends as cancelled."""


# --- Request and result ---------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    role: str  # one of ANCHOR_ROLES
    image: Image.Image
    name: str = ""


@dataclass(frozen=True)
class VideoOptions:
    """What a video job asks for beyond the first frame (``EngineRequest.source``).

    ``last_frame``: an optional RGBA still the clip should end on. ``camera_fixed``: no
    camera move (a locked-off plate). ``fps``: None = the engine's own rate.
    """

    duration: int = 5  # whole seconds
    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    camera_fixed: bool = False
    fps: int | None = None
    last_frame: Image.Image | None = None

    def __post_init__(self) -> None:
        if not 1 <= int(self.duration) <= MAX_VIDEO_SECONDS:
            raise InvalidRequest(f"A clip lasts 1 to {MAX_VIDEO_SECONDS} seconds.")
        if self.aspect_ratio not in VIDEO_RATIOS:
            raise InvalidRequest(f"Use one of the aspect ratios {', '.join(VIDEO_RATIOS)}.")
        if self.resolution not in VIDEO_RESOLUTIONS:
            raise InvalidRequest(f"Use one of the resolutions {', '.join(VIDEO_RESOLUTIONS)}.")
        if self.fps is not None and not 1 <= int(self.fps) <= MAX_VIDEO_FPS:
            raise InvalidRequest(f"The frame rate must be 1 to {MAX_VIDEO_FPS} per second.")
        if self.last_frame is not None and self.last_frame.mode != "RGBA":
            raise InvalidRequest("The last frame must be an RGBA image.")


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@dataclass(frozen=True, eq=False)
class VideoClip:
    """One generated clip, as the engine has it: the file the provider delivered (or the
    local engine encoded), untouched, in a temporary file on disk — a clip can be hundreds
    of megabytes, so it is never held in memory. The job runner keeps it as the original,
    makes the browser's H.264 MP4 and the poster from it, and measures the clip
    (canvas.jobs.video_results); an engine never stores anything itself.

    The clip owns its file: it is removed when the clip is dropped (garbage-collected), so
    a failed or cancelled job leaves nothing behind. Make the file with ``new_path``."""

    path: Path
    mime: str = "video/mp4"
    filename: str = "clip.mp4"

    def __post_init__(self) -> None:
        weakref.finalize(self, _remove_quietly, str(self.path))

    @staticmethod
    def new_path(suffix: str = ".mp4") -> Path:
        """An empty temporary file for a clip (the suffix names the container)."""
        fd, name = tempfile.mkstemp(prefix="anchorboard-clip-", suffix=suffix)
        os.close(fd)
        return Path(name)

    @classmethod
    def of_bytes(cls, data: bytes, **kwargs: Any) -> VideoClip:
        """A clip from bytes already in memory (a provider that answers inline)."""
        path = cls.new_path()
        path.write_bytes(data)
        return cls(path, **kwargs)

    def read_bytes(self) -> bytes:
        """The whole file (tests and small clips only)."""
        return self.path.read_bytes()


@dataclass(frozen=True)
class EngineRequest:
    """One job, independent of the engine. Validated on construction (``InvalidRequest``).

    ``source`` is the composited region (RGBA) and may be None only for engines that can
    generate from nothing. ``mask`` is mode L, the size of ``source``, 255 = change.
    ``output_size`` None means "the source's size" (× ``scale`` for upscale).
    """

    mode: Mode
    source: Image.Image | None
    mask: Image.Image | None = None
    anchors: tuple[Anchor, ...] = ()
    prompt: str = ""
    negative_prompt: str = ""
    strength: float = 0.6
    seed: int | None = None
    count: int = 1
    output_size: tuple[int, int] | None = None
    scale: int = 2
    params: Mapping[str, Any] = field(default_factory=dict)
    video: VideoOptions | None = None  # set exactly when ``mode`` is video

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "mode", Mode(self.mode))
        except ValueError:
            modes = ", ".join(m.value for m in Mode)
            raise InvalidRequest(f"Unknown mode {self.mode!r}; use one of {modes}.") from None
        object.__setattr__(self, "anchors", tuple(self.anchors))
        if self.source is not None and self.source.mode != "RGBA":
            raise InvalidRequest("The source region must be an RGBA image.")
        if self.mask is not None:
            if self.mask.mode != "L":
                raise InvalidRequest("The mask must be a greyscale (L) image.")
            if self.source is not None and self.mask.size != self.source.size:
                raise InvalidRequest(
                    f"The mask is {_wh(self.mask.size)} but the region is "
                    f"{_wh(self.source.size)}; draw the mask on the same region."
                )
        for anchor in self.anchors:
            if anchor.role not in ANCHOR_ROLES:
                raise InvalidRequest(
                    f"Anchor {anchor.name or '(unnamed)'} has role {anchor.role!r}; "
                    f"use one of {', '.join(ANCHOR_ROLES)}."
                )
        if not 0.0 <= float(self.strength) <= 1.0:
            raise InvalidRequest("Strength must be between 0 and 1.")
        if not 1 <= int(self.count) <= MAX_COUNT:
            raise InvalidRequest(f"Ask for between 1 and {MAX_COUNT} results.")
        if self.seed is not None and not 0 <= int(self.seed) < SEED_LIMIT:
            raise InvalidRequest("The seed must be a whole number from 0 to 4294967295.")
        if self.output_size is not None:
            w, h = self.output_size
            if int(w) < 1 or int(h) < 1:
                raise InvalidRequest("The output size must be at least 1×1 pixels.")
        if int(self.scale) < 1:
            raise InvalidRequest("The upscale factor must be at least 1.")
        if len(self.prompt) > MAX_PROMPT or len(self.negative_prompt) > MAX_PROMPT:
            raise InvalidRequest(f"Prompts can be at most {MAX_PROMPT} characters long.")
        if (self.mode == Mode.VIDEO) != (self.video is not None):
            raise InvalidRequest("Video options go with a video job, and only with one.")

    def anchors_with(self, role: str) -> list[Anchor]:
        return [a for a in self.anchors if a.role == role]

    @property
    def mask_coverage(self) -> float:
        """Share of the region the mask asks to change, 0–1 (1 when there is no mask)."""
        if self.mask is None:
            return 1.0
        histogram = self.mask.histogram()
        return 1.0 - histogram[0] / max(1, self.mask.width * self.mask.height)


@dataclass(frozen=True)
class EngineResult:
    """One result. For a video job ``video`` is the clip and ``image`` the still it
    started from (the poster is taken from the clip itself when it lands)."""

    image: Image.Image
    seed: int | None
    engine: str
    model: str = ""
    timings: Mapping[str, float] = field(default_factory=dict)  # milliseconds per phase
    metadata: Mapping[str, Any] = field(default_factory=dict)
    video: VideoClip | None = None


@dataclass(frozen=True)
class VideoCapabilities:
    """What a video engine can make: whole-second durations, aspect ratios, resolutions,
    whether it takes a last frame and a fixed camera, its frame rate."""

    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    last_frame: bool = False
    camera_fixed: bool = True
    fps: int = 24

    def as_dict(self) -> dict[str, Any]:
        return {
            "durations": list(self.durations),
            "aspect_ratios": list(self.aspect_ratios),
            "resolutions": list(self.resolutions),
            "last_frame": self.last_frame,
            "camera_fixed": self.camera_fixed,
            "fps": self.fps,
        }


@dataclass(frozen=True)
class EngineCapabilities:
    """What an engine can do; shown in the UI and used by the default ``Engine.check``."""

    label: str
    generative: bool
    modes: frozenset[Mode]
    max_references: int = 0
    anchor_roles: frozenset[str] = frozenset()
    supports_mask: bool = False
    needs_source: bool = True
    max_count: int = 1
    max_input_pixels: int = 16_000_000
    max_output_pixels: int = 16_000_000
    upscale_factors: tuple[int, ...] = ()
    sizes: tuple[tuple[int, int], ...] = ()  # fixed output sizes, empty = any size
    video: VideoCapabilities | None = None  # set by engines whose modes include video

    def as_dict(self) -> dict[str, Any]:
        return {
            "video": self.video.as_dict() if self.video is not None else None,
            "label": self.label,
            "generative": self.generative,
            "modes": sorted(m.value for m in self.modes),
            "max_references": self.max_references,
            "anchor_roles": sorted(self.anchor_roles),
            "supports_mask": self.supports_mask,
            "needs_source": self.needs_source,
            "max_count": self.max_count,
            "max_input_pixels": self.max_input_pixels,
            "max_output_pixels": self.max_output_pixels,
            "upscale_factors": list(self.upscale_factors),
            "sizes": [list(s) for s in self.sizes],
        }


# --- Progress -------------------------------------------------------------------------------


@runtime_checkable
class ProgressReporter(Protocol):
    """How a running engine talks to its job. Implementations must be cheap to call."""

    def step(self, done: int, total: int, message: str = "") -> None:
        """``done`` of ``total`` steps finished; ``message`` is designer-readable."""

    def preview(self, image: Image.Image) -> None:
        """A low-resolution look at work in progress (long edge ≤ PREVIEW_EDGE)."""

    def cancelled(self) -> bool:
        """True once someone cancelled the job; the engine then raises ``JobCancelled``."""


PREVIEW_EDGE = 256


class NullProgress:
    """A reporter that ignores everything; for scripts and one-off calls."""

    def step(self, done: int, total: int, message: str = "") -> None:
        pass

    def preview(self, image: Image.Image) -> None:
        pass

    def cancelled(self) -> bool:
        return False


def preview_of(image: Image.Image, edge: int = PREVIEW_EDGE) -> Image.Image:
    """A small copy for ``ProgressReporter.preview``; never upscales."""
    small = image.copy()
    small.thumbnail((edge, edge), Image.Resampling.BILINEAR)
    return small


# --- Engine ---------------------------------------------------------------------------------


class Engine(abc.ABC):
    """One way of producing images. Subclasses are registered with ``register_engine``.

    Contract:
    - ``check`` is fast and side-effect free; it runs in the request before a job is queued
      and raises ``UnsupportedRequest`` with a message a designer can act on.
    - ``run`` may be called more than once for the same request (a retry after a crash), so
      it must not depend on state left by an earlier attempt; with a fixed seed a
      deterministic engine returns the same pixels.
    - ``run`` polls ``progress.cancelled()`` between steps and raises ``JobCancelled``.
    - ``run`` raises ``TransientEngineError`` (retry) or ``PermanentEngineError`` (do not);
      anything else is treated as a permanent, unexpected failure by the job runner.
    """

    name: str = ""

    @abc.abstractmethod
    def capabilities(self) -> EngineCapabilities: ...

    @abc.abstractmethod
    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]: ...

    def check(self, request: EngineRequest) -> None:
        """Refuse what the capabilities rule out; subclasses add their own rules."""
        caps = self.capabilities()
        if request.mode not in caps.modes:
            can = ", ".join(sorted(m.value for m in caps.modes)) or "nothing"
            raise UnsupportedRequest(
                f"{caps.label} cannot do {request.mode.value}; it can do: {can}."
            )
        if request.source is None and caps.needs_source:
            raise UnsupportedRequest(
                f"{caps.label} needs a region to work on: select an area of the board first."
            )
        if request.mask is not None and not caps.supports_mask:
            raise UnsupportedRequest(
                f"{caps.label} does not support masks; clear the mask or pick another engine."
            )
        if len(request.anchors) > caps.max_references:
            raise UnsupportedRequest(
                f"{caps.label} takes at most {caps.max_references} anchors; this job has "
                f"{len(request.anchors)}. Remove some anchors from the job."
            )
        for anchor in request.anchors:
            if anchor.role not in caps.anchor_roles:
                raise UnsupportedRequest(
                    f"{caps.label} cannot use {anchor.role} anchors "
                    f"({anchor.name or 'unnamed'}); remove it from the job."
                )
        if request.count > caps.max_count:
            raise UnsupportedRequest(
                f"{caps.label} makes at most {caps.max_count} results per job."
            )
        if request.source is not None:
            pixels = request.source.width * request.source.height
            if pixels > caps.max_input_pixels:
                raise UnsupportedRequest(
                    f"The region is {_wh(request.source.size)} "
                    f"({pixels / 1e6:.1f} MP); {caps.label} accepts up to "
                    f"{caps.max_input_pixels / 1e6:.0f} MP. Select a smaller area."
                )
        if request.mode == Mode.UPSCALE and request.scale not in caps.upscale_factors:
            factors = " or ".join(f"×{f}" for f in caps.upscale_factors)
            raise UnsupportedRequest(f"{caps.label} can upscale by {factors} only.")
        if request.video is not None:
            check_video(caps, request.video)
            return  # a clip's size comes from its resolution, not the region
        size = output_size_of(request)
        if size is not None:
            if size[0] * size[1] > caps.max_output_pixels:
                raise UnsupportedRequest(
                    f"The result would be {_wh(size)}; {caps.label} produces at most "
                    f"{caps.max_output_pixels / 1e6:.0f} MP. Use a smaller region or factor."
                )
            if caps.sizes and size not in caps.sizes:
                allowed = ", ".join(_wh(s) for s in caps.sizes)
                raise UnsupportedRequest(f"{caps.label} can only produce {allowed}.")


def check_video(caps: EngineCapabilities, video: VideoOptions) -> None:
    """Refuse a clip the engine cannot make, naming what it can."""
    offer = caps.video
    if offer is None:
        raise UnsupportedRequest(f"{caps.label} does not make video; pick a video engine.")
    if video.duration not in offer.durations:
        can = ", ".join(str(d) for d in offer.durations)
        raise UnsupportedRequest(f"{caps.label} makes clips of {can} seconds.")
    if video.aspect_ratio not in offer.aspect_ratios:
        raise UnsupportedRequest(
            f"{caps.label} makes {', '.join(offer.aspect_ratios)} clips, not {video.aspect_ratio}."
        )
    if video.resolution not in offer.resolutions:
        raise UnsupportedRequest(
            f"{caps.label} makes {', '.join(offer.resolutions)} clips, not {video.resolution}."
        )
    if video.last_frame is not None and not offer.last_frame:
        raise UnsupportedRequest(f"{caps.label} cannot end on a given last frame; remove it.")
    if video.camera_fixed and not offer.camera_fixed:
        raise UnsupportedRequest(f"{caps.label} cannot hold the camera still.")


def output_size_of(request: EngineRequest) -> tuple[int, int] | None:
    """The size results will have, or None when it is up to the engine."""
    if request.output_size is not None:
        return (int(request.output_size[0]), int(request.output_size[1]))
    if request.source is None:
        return None
    w, h = request.source.size
    if request.mode == Mode.UPSCALE:
        return (w * request.scale, h * request.scale)
    return (w, h)


def _wh(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"
