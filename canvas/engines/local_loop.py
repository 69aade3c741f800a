"""The local loop engine (``local-loop``, "Local loop (non-generative)"): a seamless moving
plate from one still, on the server's CPU, with no network and no model weights.

The first frame (the region, or a ``first_frame`` image) is cropped to the job's aspect
ratio about its centre and scaled to its resolution (480p/720p/1080p = that many lines,
at most the still's own size times two), then animated by assets.video.loop — slow
pan/zoom, parallax of a foreground split, periodic noise flow, light flicker — and encoded
as H.264 MP4 by assets.video.encode. ``camera_fixed`` turns pan and zoom off (noise flow
and flicker stay). Prompts and anchors are not followed (nothing is generated); they are
listed under ``metadata["ignored"]``. Deterministic: same request and seed → same frames.

Like every engine it never stores anything: the MP4's bytes go back as ``EngineResult.video``
and the job runner lands them (canvas.jobs.video_results).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
from PIL import Image

from assets.video.encode import write_mp4
from assets.video.loop import LoopMotion, LoopPlan
from canvas.engines.base import (
    Engine,
    EngineCapabilities,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    ProgressReporter,
    VideoCapabilities,
    VideoClip,
)
from canvas.engines.registry import register_engine
from canvas.protocol.limits import MAX_VIDEO_SECONDS, VIDEO_RATIOS, VIDEO_RESOLUTIONS

FPS = 24
LINES = {"480p": 480, "720p": 720, "1080p": 1080}
REPORT_EVERY = 12  # frames between progress steps (and cancel checks)


def plate(still: Image.Image, ratio: str, resolution: str) -> Image.Image:
    """``still`` cropped about its centre to ``ratio`` and scaled to ``resolution``'s lines
    (never beyond twice its own size: enlarging a small region only blurs it), even sides."""
    rw, rh = (int(v) for v in ratio.split(":"))
    w, h = still.size
    crop_w, crop_h = float(w), float(h)
    if w * rh > h * rw:
        crop_w = h * rw / rh
    else:
        crop_h = w * rh / rw
    left, top = (w - crop_w) / 2, (h - crop_h) / 2
    box = (round(left), round(top), round(left + crop_w), round(top + crop_h))
    cropped = still.crop(box)
    lines = min(LINES[resolution], cropped.height * 2)
    width = max(16, round(lines * rw / rh) // 2 * 2)
    height = max(16, lines // 2 * 2)
    return cropped.resize((width, height), Image.Resampling.LANCZOS)


@register_engine("local-loop")
class LocalLoopEngine(Engine):
    def capabilities(self) -> EngineCapabilities:
        return EngineCapabilities(
            label="Local loop (non-generative)",
            generative=False,
            modes=frozenset({Mode.VIDEO}),
            max_references=8,
            anchor_roles=frozenset({"composition", "palette", "lighting", "style"}),
            needs_source=True,
            max_count=4,
            max_input_pixels=16_000_000,
            video=VideoCapabilities(
                durations=tuple(range(1, MAX_VIDEO_SECONDS + 1)),
                aspect_ratios=VIDEO_RATIOS,
                resolutions=VIDEO_RESOLUTIONS,
                last_frame=False,
                camera_fixed=True,
                fps=FPS,
            ),
        )

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        self.check(request)
        video = request.video
        assert video is not None and request.source is not None
        started = time.monotonic()
        still = plate(request.source.convert("RGB"), video.aspect_ratio, video.resolution)
        ignored = [
            name
            for name, given in (("prompt", request.prompt), ("anchors", request.anchors))
            if given
        ]
        fps = video.fps or FPS
        motion = LoopMotion(pan=0.0, zoom=0.0) if video.camera_fixed else LoopMotion()
        results = []
        for index in range(request.count):
            seed = ((request.seed or 0) + index) % 2**32
            loop = LoopPlan(
                np.asarray(still), seconds=video.duration, fps=fps, seed=seed, motion=motion
            )
            frames = self._reported(loop, progress, index, request.count)
            clip = VideoClip(VideoClip.new_path(".mp4"), filename="loop.mp4")
            write_mp4(frames, clip.path, fps)
            results.append(
                EngineResult(
                    image=request.source,
                    seed=seed,
                    engine=self.name,
                    model="loop",
                    timings={"total": round((time.monotonic() - started) * 1000, 1)},
                    metadata={"ignored": ignored, "layers": loop.has_layers},
                    video=clip,
                )
            )
        if progress.cancelled():
            raise JobCancelled()
        progress.step(request.count, request.count, "Done")
        return results

    @staticmethod
    def _reported(
        loop: LoopPlan, progress: ProgressReporter, index: int, count: int
    ) -> Iterator[np.ndarray]:
        """The loop's frames, checking for a cancel and reporting every few frames."""
        total = loop.frame_count
        for number in range(total):
            if number % REPORT_EVERY == 0:
                if progress.cancelled():
                    raise JobCancelled()
                progress.step(
                    index * total + number, count * total, f"Frame {number + 1} of {total}"
                )
            yield loop.frame(number)
