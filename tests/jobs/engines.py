"""Engines for job tests only. Imported by tests and by ``run_workers --import``.

- ``test-echo``    inverts the region (deterministic per seed), reports progress and a preview.
- ``test-gate``    signals ``STARTED``, waits for ``GATE``, then honours ``cancelled()``.
- ``test-flaky``   always raises TransientEngineError.
- ``test-broken``  always raises PermanentEngineError.
- ``test-crash``   raises an unexpected exception.
- ``test-provider`` like echo, behind the circuit breaker of provider "test-provider".
- ``test-slow``    when ANCHORBOARD_TEST_ENGINE_MARKER is set: writes that file and works
                   until cancelled or killed (for the restart test); otherwise like echo.
- ``test-counted`` behind provider "test-counted": records in the file named by
                   ANCHORBOARD_TEST_CALLS_FILE how many of its calls run at once, across
                   processes (tests/jobs/test_slots.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

from PIL import Image, ImageChops

from canvas.engines import (
    EngineCapabilities,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    TransientEngineError,
    register_engine,
)
from canvas.engines.base import ANCHOR_ROLES, Engine

STARTED = threading.Event()
GATE = threading.Event()
CALLS: dict[str, int] = {}


def _caps(label: str) -> EngineCapabilities:
    return EngineCapabilities(
        label=label,
        generative=False,
        modes=frozenset(Mode),
        max_references=8,
        anchor_roles=frozenset(ANCHOR_ROLES),
        supports_mask=True,
        max_count=32,
        upscale_factors=(2, 4),
    )


def _results(engine: str, request) -> list[EngineResult]:
    inverted = ImageChops.invert(request.source.convert("RGB")).convert("RGBA")
    out = []
    for index in range(request.count):
        seed = (request.seed or 0) + index
        image = Image.blend(
            inverted, Image.new("RGBA", inverted.size, (seed % 256, 0, 0, 255)), 0.1
        )
        out.append(EngineResult(image=image, seed=seed, engine=engine, model="test"))
    return out


class _Base(Engine):
    def capabilities(self) -> EngineCapabilities:
        return _caps(self.name)

    def run(self, request, progress):
        CALLS[self.name] = CALLS.get(self.name, 0) + 1
        return self.work(request, progress)

    def work(self, request, progress):
        raise NotImplementedError


@register_engine("test-echo")
class EchoEngine(_Base):
    def work(self, request, progress):
        progress.step(0, 2, "Thinking")
        progress.preview(request.source)
        progress.step(2, 2, "Done")
        return _results(self.name, request)


@register_engine("test-gate")
class GateEngine(_Base):
    def work(self, request, progress):
        STARTED.set()
        GATE.wait()
        if progress.cancelled():
            raise JobCancelled()
        return _results(self.name, request)


@register_engine("test-flaky")
class FlakyEngine(_Base):
    def work(self, request, progress):
        raise TransientEngineError("The test provider is busy.")


@register_engine("test-broken")
class BrokenEngine(_Base):
    def work(self, request, progress):
        raise PermanentEngineError("The test provider refused this image.", code="refused")


@register_engine("test-crash")
class CrashEngine(_Base):
    def work(self, request, progress):
        raise RuntimeError("boom: secret internals")


@register_engine("test-slow")
class SlowEngine(_Base):
    def work(self, request, progress):
        marker = os.environ.get("ANCHORBOARD_TEST_ENGINE_MARKER")
        if marker:
            Path(marker).write_text(str(os.getpid()))
            stop = threading.Event()
            while not progress.cancelled():
                stop.wait(0.2)  # a long render: only cancel or SIGKILL ends it
            raise JobCancelled()
        return _results(self.name, request)


@register_engine("test-provider")
class ProviderEngine(_Base):
    """A remote provider's stand-in: guarded by the circuit of provider "test-provider"."""

    provider = "test-provider"

    def work(self, request, progress):
        return _results(self.name, request)


def _count_call(change: int, **seen: bool) -> dict:
    """Add ``change`` to the calls running now, under a file lock any process shares."""
    path = Path(os.environ["ANCHORBOARD_TEST_CALLS_FILE"])
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        calls = json.loads(text) if text else {"now": 0, "max": 0, "calls": 0, "pids": []}
        calls["now"] += change
        calls["max"] = max(calls["max"], calls["now"])
        calls["calls"] += max(0, change)
        if change > 0 and os.getpid() not in calls["pids"]:
            calls["pids"].append(os.getpid())
        for key, value in seen.items():
            calls[key] = calls.get(key, False) or value
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(calls))
        return calls


@register_engine("test-counted")
class CountedEngine(_Base):
    """A provider that counts its concurrent calls. Its first ``ANCHORBOARD_TEST_CALLS_LIMIT``
    calls stay until that many run at once and another job is seen waiting for a slot (a
    claimed, prepared job the limit holds back), at most 60 s; later calls return at once."""

    provider = "test-counted"

    def work(self, request, progress):
        from canvas.models.jobs import Job, SlotState

        limit = int(os.environ.get("ANCHORBOARD_TEST_CALLS_LIMIT", "0"))
        calls = _count_call(+1)
        try:
            deadline = time.monotonic() + 60
            while calls["calls"] <= limit and time.monotonic() < deadline:
                full = _count_call(0)["now"] >= limit
                if full and Job.objects.filter(slot_state=SlotState.WAITING).exists():
                    _count_call(0, waiter_seen=True)
                    break
                time.sleep(0.05)
            return _results(self.name, request)
        finally:
            _count_call(-1)
