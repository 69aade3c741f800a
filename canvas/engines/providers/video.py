"""The template every hosted video engine follows (Seedance on ModelArk, Veo on the Gemini
API): start a task, poll it with growing waits, download the file at once.

A video provider answers in minutes, not seconds, so one result is one *task*:

1. ``start(call)`` — the provider's create request; its answer names the task;
2. polls, ``poll(task)``, after waits that grow ×1.5 from ``ANCHORBOARD_VIDEO_POLL_SECONDS``
   up to ``…_POLL_MAX_SECONDS``. Between polls the worker's thread checks
   ``progress.cancelled()`` every half second (a cancel, a lost lease or the job's time
   limit stop the wait at once; the remote task is then cancelled where the provider
   allows it, best effort). A poll the provider refuses for a while (429, 5xx, a lost
   connection) is retried after its ``Retry-After``; only ``MAX_POLL_FAILURES`` refusals
   in a row fail the attempt (transient): the task is already paid for, so the job keeps
   asking rather than starting a new one;
3. ``fetch(result)`` as soon as the task is done: result URLs are signed and expire. An
   expired URL is asked for once more (a fresh poll); expired again is
   ``provider_result_expired`` (transient: the job runs again). The file streams to a
   temporary file chunk by chunk (``download``), never whole into memory, and is refused
   (``provider_clip_too_large``) as soon as it passes ``ANCHORBOARD_VIDEO_MAX_CLIP_MB`` —
   from its declared length before a byte is read, else while counting.

The whole task is one ``resilience.recorded_call`` (one call record, one breaker verdict),
made by ``ProviderEngine.run``. A subclass writes the wire format only: ``start``, ``poll``,
``fetch``, ``stop`` and ``http_error``. Engines never store anything: the clip's file goes
back in ``CallResult.clips`` and the job runner lands it (canvas.jobs.video_results).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from canvas.engines.base import (
    EngineRequest,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    TransientEngineError,
    UnsupportedRequest,
    VideoCapabilities,
    VideoClip,
)
from canvas.engines.providers import config, http, resilience
from canvas.engines.providers.engine import Call, ProviderCapabilities
from canvas.engines.providers.hosted import HostedEngine

logger = logging.getLogger(__name__)

MAX_POLL_FAILURES = 6  # refused polls in a row before the attempt gives up (transient)
GROWTH = 1.5
CHUNK = 1024 * 1024  # bytes read from a download at a time
REDIRECTS = (301, 302, 303, 307, 308)


class ResultExpired(Exception):
    """The result URL no longer serves the file (signed URLs expire)."""


@dataclass
class Poll:
    """What one poll says. ``done`` with a ``url`` (or inline ``data``) when the clip is
    ready; ``status`` is the provider's word for the task ("queued", "running")."""

    done: bool = False
    status: str = ""
    url: str = ""
    data: bytes | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def wait(seconds: float, progress: ProgressReporter) -> None:
    """Sleep ``seconds`` on the worker's thread, checking for a cancel every half second."""
    until = time.monotonic() + seconds
    while True:
        if progress.cancelled():
            raise JobCancelled()
        left = until - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(http.CANCEL_POLL_SECONDS, left))


class VideoEngine(HostedEngine):
    """A hosted image-to-video engine: one task per result, polled until its clip is ready."""

    images_per_call = 1
    previews_results = False
    video_offer: ClassVar[VideoCapabilities]
    max_references: ClassVar[int] = 0

    # --- what each provider writes ------------------------------------------------------------

    async def start(self, call: Call) -> str:
        """Create the task; its id (or operation name)."""
        raise NotImplementedError

    async def poll(self, task: str) -> Poll:
        raise NotImplementedError

    async def fetch(self, poll: Poll) -> Path:
        """The clip in a temporary file (``download``, or ``inline`` for bytes the poll
        carried); ``ResultExpired`` when its URL no longer serves it."""
        raise NotImplementedError

    async def stop(self, task: str) -> None:
        """Cancel the remote task if the provider allows it (best effort)."""

    # --- shared -----------------------------------------------------------------------------

    def capabilities(self) -> ProviderCapabilities:
        return ProviderCapabilities(
            label=self.label,
            generative=True,
            modes=frozenset({Mode.VIDEO}),
            max_references=self.max_references,
            anchor_roles=frozenset({"composition", "style", "palette", "lighting"}),
            needs_source=True,
            max_count=1,
            max_input_pixels=16_000_000,
            video=self.video_offer,
            max_concurrency=config.provider_concurrency(self.provider),
        )

    def check(self, request: EngineRequest) -> None:
        super(HostedEngine, self).check(request)  # the contract's checks; no prompt rule
        if not request.prompt:
            raise self.refusal("needs a prompt saying what moves: describe the motion.")

    def refusal(self, what: str) -> UnsupportedRequest:
        return UnsupportedRequest(f"{self.speaker()} {what}")

    async def answer(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """One request to the provider with the key's header (``headers`` replaces them:
        a signed download URL gets none); network trouble is the contract's transient."""
        sent = self.service.headers() if headers is None else headers
        async with http.make_client(self.provider, self.service.base_url(), sent) as client:
            try:
                return await client.request(method, url, **kw)
            except httpx.HTTPError as exc:
                waited = config.read_timeout(self.provider)
                raise resilience.network_failure(exc, self.speaker(), waited=waited) from None

    async def download(self, url: str, headers: dict[str, str] | None = None) -> Path:
        """Stream a clip to a temporary file; 403/404/410 = expired. A redirect is followed
        once, without our key (it points at a signed URL). Refused with
        ``provider_clip_too_large`` as soon as it is over the cap; the partial file is
        removed on any failure or cancel."""
        target = VideoClip.new_path()
        try:
            location = await self._stream_to(url, headers, target)
            if location and await self._stream_to(location, {}, target):
                raise resilience.malformed(self.speaker(), "a redirect to another redirect")
            return target
        except BaseException:
            target.unlink(missing_ok=True)
            raise

    async def _stream_to(self, url: str, headers: dict[str, str] | None, target: Path) -> str:
        """GET ``url`` into ``target`` chunk by chunk; the redirect's target, or "" when
        the file was written."""
        cap = config.video_max_clip_bytes()
        sent = self.service.headers() if headers is None else headers
        async with http.make_client(self.provider, self.service.base_url(), sent) as client:
            try:
                async with client.stream("GET", url) as response:
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("location", "")
                        if not location:
                            what = "a redirect without a location"
                            raise resilience.malformed(self.speaker(), what)
                        return str(response.url.join(location))
                    if response.status_code in (403, 404, 410):
                        raise ResultExpired(str(response.status_code))
                    if response.status_code != 200:
                        await response.aread()
                        raise self.http_error(response)
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > cap:
                        raise self.too_large(cap, int(declared))
                    written = 0
                    with target.open("wb") as out:
                        async for chunk in response.aiter_bytes(CHUNK):
                            written += len(chunk)
                            if written > cap:
                                raise self.too_large(cap, None)
                            out.write(chunk)
                    return ""
            except httpx.HTTPError as exc:
                waited = config.read_timeout(self.provider)
                raise resilience.network_failure(exc, self.speaker(), waited=waited) from None

    def too_large(self, cap: int, declared: int | None) -> PermanentEngineError:
        size = f" ({declared / 2**20:.0f} MB)" if declared else ""
        return resilience.permanent(
            f"{self.speaker()} delivered a clip{size} larger than the {cap // 2**20} MB "
            "this server accepts (ANCHORBOARD_VIDEO_MAX_CLIP_MB). Ask for a shorter or "
            "lower-resolution clip, or raise the limit.",
            code="provider_clip_too_large",
        )

    @staticmethod
    def inline(data: bytes) -> Path:
        """A clip the provider sent inside its answer, put in a temporary file like a
        download (it is already in memory: the answer carried it)."""
        target = VideoClip.new_path()
        target.write_bytes(data)
        return target

    def call(self, call: Call) -> resilience.CallResult:
        assert call.request.video is not None and call.request.source is not None
        task = http.run_sync(self.start(call), call.cancelled)
        try:
            poll = self.wait_until_done(task, call)
            path = self.fetch_now(task, poll, call)
        except JobCancelled:
            self.abandon(task)
            raise
        except TransientEngineError as exc:
            if exc.code == "provider_timeout":
                self.abandon(task)
            raise
        return resilience.CallResult(
            images=[call.request.source],
            clips=[VideoClip(path, filename=f"{self.engine_name or self.name}.mp4")],
            seconds=float(call.request.video.duration),
            metadata={"provider_task": task, **poll.metadata},
        )

    def wait_until_done(self, task: str, call: Call) -> Poll:
        first, longest = config.video_poll_seconds()
        delay, refused, started = first, 0, time.monotonic()
        while True:
            wait(delay, call.progress)
            delay = min(longest, max(delay, 0.05) * GROWTH)
            try:
                poll = http.run_sync(self.poll(task), call.cancelled)
            except TransientEngineError as exc:
                refused += 1
                if refused >= MAX_POLL_FAILURES:
                    raise
                delay = max(delay, exc.retry_after or 0.0)
                call.progress.step(call.index, call.request.count, f"{exc.message}"[:200])
                continue
            refused = 0
            if poll.done:
                return poll
            seconds = round(time.monotonic() - started)
            call.progress.step(
                call.index,
                call.request.count,
                f"{self.speaker()}: {poll.status or 'working'} ({seconds} s)",
            )

    def fetch_now(self, task: str, poll: Poll, call: Call) -> Path:
        """The clip, fetched at once; an expired URL is asked for again, once."""
        call.progress.step(call.index, call.request.count, "Downloading the clip")
        try:
            return http.run_sync(self.fetch(poll), call.cancelled)
        except ResultExpired:
            fresh = http.run_sync(self.poll(task), call.cancelled)
            try:
                return http.run_sync(self.fetch(fresh), call.cancelled)
            except ResultExpired:
                raise resilience.transient(
                    f"{self.speaker()} finished the clip but its download link had expired "
                    "before it could be fetched. The job will be retried.",
                    code="provider_result_expired",
                ) from None

    def abandon(self, task: str) -> None:
        try:
            http.run_sync(self.stop(task))
        except Exception as exc:  # best effort: the provider may not allow it any more
            logger.info("%s: task %s not cancelled remotely: %s", self.speaker(), task, exc)

    def blocked(self, reason: str) -> PermanentEngineError:
        return resilience.permanent(
            f"{self.speaker()} blocked this clip for safety reasons ({reason}). Change the "
            "prompt, the first frame or the anchors and try again.",
            code="provider_blocked",
            http_status=200,
        )
