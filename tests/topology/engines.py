"""A fake provider for the topology tests and the scale-out benchmark (test-only).

``topology-sleep`` takes ``ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS`` (default 1) per job, the
way a remote provider keeps a worker slot busy while it waits, and reports progress in ten
steps so a client can watch the job move. Its result depends only on the region's pixels
and the seed, so a job that runs again after its worker was killed produces the same bytes
(the same content-addressed blob). ``topology-provider`` is the same behind the circuit
breaker of provider "topology-provider" (bench/recovery_bench.py --circuit). Imported by
``tests.topology.asgi`` (web servers) and by ``celery worker -I tests.topology.engines``;
never by the application.
"""

from __future__ import annotations

import os
import threading

from PIL import Image, ImageChops

from canvas.engines import EngineCapabilities, EngineResult, JobCancelled, Mode, register_engine
from canvas.engines.base import ANCHOR_ROLES, Engine

STEPS = 10


def seconds_per_job() -> float:
    return float(os.environ.get("ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS", "1"))


@register_engine("topology-sleep")
class SleepEngine(Engine):
    def capabilities(self) -> EngineCapabilities:
        return EngineCapabilities(
            label="Topology test provider",
            generative=True,
            modes=frozenset(Mode),
            max_references=8,
            anchor_roles=frozenset(ANCHOR_ROLES),
            supports_mask=True,
            max_count=8,
            upscale_factors=(2, 4),
        )

    def run(self, request, progress):
        pause = threading.Event()  # never set: wait() is an interruptible sleep
        for step in range(STEPS):
            if progress.cancelled():
                raise JobCancelled()
            progress.step(step, STEPS, f"Rendering ({step}/{STEPS})")
            pause.wait(seconds_per_job() / STEPS)
        inverted = ImageChops.invert(request.source.convert("RGB")).convert("RGBA")
        results = []
        for index in range(request.count):
            seed = (request.seed or 0) + index
            tint = Image.new("RGBA", inverted.size, (seed % 256, (seed >> 8) % 256, 0, 255))
            results.append(
                EngineResult(
                    image=Image.blend(inverted, tint, 0.2),
                    seed=seed,
                    engine=self.name,
                    model="sleep",
                )
            )
        return results


@register_engine("topology-provider")
class ProviderSleepEngine(SleepEngine):
    """``topology-sleep`` behind a provider's circuit breaker."""

    provider = "topology-provider"
