"""The one template every remote-provider engine follows (Gemini, OpenAI, ComfyUI, A1111).

``ProviderEngine.run`` owns the shape of a run: re-check the request, choose the seed,
split the results into calls, wrap each call in ``resilience.recorded_call`` (call record,
circuit breaker), check for cancellation between calls, finish every image (RGBA at the
output size, an upscale's transparency restored), attach seeds, timings and metadata,
and report "Done". A provider supplies ``capabilities`` and ``call(Call)``; it overrides a
hook only where its service differs:

- ``images_per_call`` — results one call can return (OpenAI ``n``: 10, A1111 a batch);
- ``draws_seed`` — pick and report a random seed when the job has none (the GPU servers;
  the hosted APIs choose their own and report none);
- ``prepare`` — run-time checks and per-job choices (checkpoint, workflow);
- ``announce`` — the progress step before each call (servers that report their own
  progress from inside the call announce nothing);
- ``accept`` — what an answer with too few images means;
- ``progress_total`` — the scale of the final "Done" step;
- ``previews_results`` — show each finished result as a preview.

Engines must not write to the database themselves (``resilience.recorded_call`` does that
for every call).
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from canvas.engines.base import (
    Anchor,
    Engine,
    EngineCapabilities,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    UnsupportedRequest,
    output_size_of,
    preview_of,
)
from canvas.engines.providers import imaging, resilience
from canvas.protocol.limits import SEED_LIMIT

# The order anchors are sent to models that see numbered images (Gemini, OpenAI): layout
# first, then look; equal roles keep the designer's order.
ROLE_PRIORITY = ("composition", "style", "palette", "lighting")


def ordered_anchors(anchors: tuple[Anchor, ...]) -> list[Anchor]:
    """Anchors by role priority; equal roles keep the order the designer gave them."""
    return sorted(anchors, key=lambda a: ROLE_PRIORITY.index(a.role))


def refuse_without_instruction(request: EngineRequest, name: str) -> None:
    """Instruction-following models need a prompt or an anchor to make an img2img edit."""
    if request.mode == Mode.IMG2IMG and not request.prompt and not request.anchors:
        raise UnsupportedRequest(
            f"{name} needs something to follow: write a prompt or add an anchor."
        )


@dataclass(frozen=True)
class ProviderCapabilities(EngineCapabilities):
    """``max_concurrency`` feeds the job queue's per-engine cap (canvas.jobs.queue)."""

    max_concurrency: int | None = None


@dataclass(frozen=True)
class Call:
    """One provider call of a run: results ``index`` … ``index + n - 1`` of the job."""

    request: EngineRequest
    index: int
    n: int
    seed: int | None  # the seed of result ``index``; None = the provider picks
    size: tuple[int, int] | None  # the job's output size
    progress: ProgressReporter  # only the worker's thread may use it

    @property
    def cancelled(self) -> Callable[[], bool]:
        return self.progress.cancelled


def seed_at(first: int | None, index: int) -> int | None:
    """Result ``index``'s seed: ``first + index``, so any result can be made again alone."""
    return None if first is None else (first + index) % SEED_LIMIT


class ProviderEngine(Engine):
    provider: ClassVar[str] = ""
    label: ClassVar[str] = ""
    engine_name: ClassVar[str] = ""  # set by engine_class; registered under this name
    model: str = ""  # the model of the calls; servers set it per job in ``prepare``
    images_per_call: ClassVar[int] = 1
    draws_seed: ClassVar[bool] = False
    previews_results: ClassVar[bool] = True

    def call(self, call: Call) -> resilience.CallResult:
        """One provider call asking for ``call.n`` images; raises Transient/
        PermanentEngineError, or JobCancelled as soon as ``call.cancelled()`` turns true."""
        raise NotImplementedError

    # --- hooks ------------------------------------------------------------------------------

    def prepare(self, request: EngineRequest) -> None:
        """Run-time checks before any call. The queue checked the request at submit time,
        but configuration may have changed since, and at submit time an inpaint mask is a
        blank stand-in: an empty mask is only known here."""
        try:
            self.check(request)
        except UnsupportedRequest as exc:
            raise PermanentEngineError(exc.message, code=exc.code) from None
        if request.mode == Mode.INPAINT and request.mask_coverage == 0:
            raise PermanentEngineError(
                "The mask is empty: paint over the part of the region to change.",
                code="empty_mask",
            )

    def announce(self, call: Call, progress: ProgressReporter) -> None:
        total = call.request.count
        progress.step(
            call.index, total, f"Waiting for {self.display_label()} ({call.index + 1} of {total})"
        )

    def accept(self, outcome: resilience.CallResult, call: Call) -> None:
        """Refuse an answer that cannot be used. Fewer images than asked is fine for the
        hosted APIs (the next call asks for the rest); none at all must not loop forever."""
        if not outcome.images:
            raise resilience.malformed(self.display_label(), "no image in the answer")

    def progress_total(self, request: EngineRequest) -> int:
        return request.count

    def display_label(self) -> str:
        return self.capabilities().label

    # --- the run ------------------------------------------------------------------------------

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        self.prepare(request)
        size = output_size_of(request)
        first = request.seed
        if first is None and self.draws_seed:
            first = secrets.randbelow(SEED_LIMIT)
        results: list[EngineResult] = []
        started = time.monotonic()
        while len(results) < request.count:
            if progress.cancelled():
                raise JobCancelled()
            index = len(results)
            n = min(self.images_per_call, request.count - index)
            call = Call(request, index, n, seed_at(first, index), size, progress)
            self.announce(call, progress)
            call_started = time.monotonic()
            outcome = resilience.recorded_call(self, progress, functools.partial(self.call, call))
            self.accept(outcome, call)
            timings = outcome.timings or {
                "provider": round((time.monotonic() - call_started) * 1000, 1)
            }
            images = outcome.images[:n]
            seeds = outcome.seeds or [seed_at(first, index + i) for i in range(len(images))]
            clips = outcome.clips or [None] * len(images)  # a video call's clip per image
            for image, seed, clip in zip(images, seeds, clips, strict=False):
                image = imaging.finish(image, request, size)
                if self.previews_results:
                    progress.preview(preview_of(image))
                results.append(
                    EngineResult(
                        image=image,
                        seed=seed,
                        engine=self.name,
                        model=self.model,
                        timings=dict(timings),
                        metadata=dict(outcome.metadata),
                        video=clip,
                    )
                )
        if progress.cancelled():
            raise JobCancelled()
        total_ms = round((time.monotonic() - started) * 1000, 1)
        done = self.progress_total(request)
        progress.step(done, done, "Done")
        return [
            EngineResult(
                r.image,
                r.seed,
                r.engine,
                r.model,
                {**r.timings, "total": total_ms},
                r.metadata,
                r.video,
            )
            for r in results
        ]


_CLASSES: dict[str, type[ProviderEngine]] = {}


def engine_class(base: type[ProviderEngine], name: str, **attrs: Any) -> type[ProviderEngine]:
    """One class per engine name, created once (the registry refuses a second class)."""
    existing = _CLASSES.get(name)
    if existing is not None:
        for key, value in attrs.items():
            setattr(existing, key, value)  # configuration may have changed (tests, reload)
        return existing
    cls = type(f"{base.__name__}_{len(_CLASSES)}", (base,), {"engine_name": name, **attrs})
    _CLASSES[name] = cls
    return cls


def pick_model(wanted: object, offered: tuple[str, ...], server: str) -> str | None:
    """``params.model`` if the server offers it (refused otherwise), else the first offered
    checkpoint, else None (the server's loaded one)."""
    if wanted:
        if wanted not in offered:
            known = ", ".join(offered) or "none configured"
            raise UnsupportedRequest(
                f"{server} model {wanted!r} is not offered here. Available: {known}."
            )
        return str(wanted)
    return offered[0] if offered else None


class ServerEngine(ProviderEngine):
    """A self-hosted GPU server (ComfyUI, A1111): configured by a URL, one instance per
    configuration, a checkpoint per job, a random seed drawn and reported when the job has
    none, and live progress reported from inside the call."""

    draws_seed = True
    previews_results = False
    server: ClassVar[str] = ""  # "ComfyUI", "AUTOMATIC1111": in designer-facing messages
    config: Any

    def prepare(self, request: EngineRequest) -> None:
        if self.config is None:
            raise PermanentEngineError(
                f"{self.server} is not configured on this server.", code="provider_not_configured"
            )
        super().prepare(request)

    def announce(self, call: Call, progress: ProgressReporter) -> None:
        """Nothing: the call itself reports queueing, steps and previews."""

    def unconfigured_capabilities(self) -> ProviderCapabilities:
        return ProviderCapabilities(
            label=f"{self.label} (not configured)", generative=True, modes=frozenset()
        )


class ServerSettings(Protocol):
    @property
    def models(self) -> tuple[str, ...]: ...


Settings = TypeVar("Settings", bound=ServerSettings)


@dataclass(frozen=True)
class ServerProvider(Generic[Settings]):
    """What a GPU server's package answers canvas.engines.providers and the settings page
    (``is_configured``, ``configured_engines``, ``check_now``, ``models``), from its settings
    reader (None while its URL is unset; read at each call, so a changed setting applies),
    its engine and its ping. One definition for ComfyUI and A1111."""

    engine_name: str
    settings: Callable[[], Settings | None]
    engine: Callable[[Settings], ServerEngine]
    ping: Callable[[Settings], dict[str, Any]]

    def is_configured(self) -> bool:
        return self.settings() is not None

    def configured_engines(self) -> dict[str, ServerEngine]:
        """``{engine_name: engine}`` when the server's URL is set, else ``{}``."""
        settings = self.settings()
        return {self.engine_name: self.engine(settings)} if settings is not None else {}

    def check_now(self) -> dict[str, Any]:
        settings = self.settings()
        assert settings is not None  # checks.check_provider asks is_configured() first
        return self.ping(settings)

    def models(self, engines: list[dict[str, Any]]) -> list[str]:
        """The configured checkpoints (none: whatever the server has loaded)."""
        settings = self.settings()
        return list(settings.models) if settings is not None else []
