"""The base class of remote-provider engines: capabilities with a concurrency limit, the
shared shape of ``run`` (cancellation between calls, progress, recorded calls, results
resized to the output size) and an engine-class factory keyed by engine name.

Subclasses supply ``capabilities`` and ``call(request, index)``; they must not write to
the database themselves (``resilience.recorded_call`` does that for every call).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from canvas.engines.base import (
    Engine,
    EngineCapabilities,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    output_size_of,
    preview_of,
)
from canvas.engines.providers import resilience
from canvas.protocol.limits import SEED_LIMIT


@dataclass(frozen=True)
class ProviderCapabilities(EngineCapabilities):
    """``max_concurrency`` feeds the job queue's per-engine cap (canvas.jobs.queue)."""

    max_concurrency: int | None = None


class ProviderEngine(Engine):
    provider: ClassVar[str] = ""
    model: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # How many images one call returns at most (OpenAI: n; Gemini: 1).
    images_per_call: ClassVar[int] = 1
    engine_name: ClassVar[str] = ""  # set by engine_class; registered under this name

    def call(
        self, request: EngineRequest, index: int, n: int, cancelled: Callable[[], bool]
    ) -> resilience.CallResult:
        """One provider call asking for ``n`` images; raises Transient/PermanentEngineError,
        or JobCancelled as soon as ``cancelled()`` turns true (pass it to http.run_sync)."""
        raise NotImplementedError

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        label = self.capabilities().label
        if request.mode == Mode.INPAINT and request.mask_coverage == 0:
            # Not in check(): at submit time the mask is a blank stand-in of the right size.
            raise PermanentEngineError(
                "The mask is empty: paint over the part of the region to change.",
                code="empty_mask",
            )
        size = output_size_of(request)
        results: list[EngineResult] = []
        started = time.monotonic()
        total = request.count
        while len(results) < total:
            if progress.cancelled():
                raise JobCancelled()
            index = len(results)
            n = min(self.images_per_call, total - index)
            progress.step(index, total, f"Waiting for {label} ({index + 1} of {total})")
            call_started = time.monotonic()
            outcome = resilience.recorded_call(
                self, progress, functools.partial(self.call, request, index, n, progress.cancelled)
            )
            call_ms = (time.monotonic() - call_started) * 1000
            for image in outcome.images[:n]:
                image = fit_to(image, size)
                progress.preview(preview_of(image))
                seed = None if request.seed is None else (request.seed + len(results)) % SEED_LIMIT
                results.append(
                    EngineResult(
                        image=image,
                        seed=seed,
                        engine=self.name,
                        model=self.model,
                        timings={"provider": round(call_ms, 1)},
                        metadata=dict(outcome.metadata),
                    )
                )
            if not outcome.images:  # a client must raise instead; never loop forever
                raise resilience.malformed(label, "no image in the answer")
        if progress.cancelled():
            raise JobCancelled()
        total_ms = round((time.monotonic() - started) * 1000, 1)
        progress.step(total, total, "Done")
        return [
            EngineResult(
                r.image, r.seed, r.engine, r.model, {**r.timings, "total": total_ms}, r.metadata
            )
            for r in results
        ]


def fit_to(image: Image.Image, size: tuple[int, int] | None) -> Image.Image:
    """The provider's image as RGBA at the job's output size.

    Providers choose their own output sizes (1024², 1536×1024, …); the result must cover
    the region exactly so inpaint results can be pasted back through the mask.
    """
    image = image.convert("RGBA")
    if size is None or image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS)


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
