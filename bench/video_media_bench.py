"""Video media layer benchmark (issue 19): how long the pixels take, and that memory stays flat.

Prints, for a procedural still (gradient, grain, a striped disc as the subject):
  (a) the local loop engine: preparing a ``LoopPlan`` and rendering one frame, at 1280×720
      and 1920×1080 (median over the frames rendered);
  (b) encoding 1080p frames: H.264 MP4, ProRes 4444, ProRes 422 HQ, PNG zip (ms per frame
      and the file's size), then ``probe`` and decoding the MP4 (ms per frame);
  (c) the temporal-drift score of the 1080p MP4 (ms per frame);
  (d) peak RSS of a fresh process encoding 24 and then 120 720p RGBA frames to ProRes 4444
      from a generator: streaming means the two peaks are about the same (holding 120
      frames would add ~440 MB).

Usage: .venv/bin/python bench/video_media_bench.py [--frames 24]

Writes only to a temporary folder, deleted at the end. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets.video.decode import read_frames  # noqa: E402
from assets.video.drift import score_file  # noqa: E402
from assets.video.encode import VideoFormat, write_video  # noqa: E402
from assets.video.loop import LoopPlan  # noqa: E402
from assets.video.probe import probe  # noqa: E402


def still(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[..., 0] = 40 + 60 * x / width
    image[..., 1] = 90 + 40 * y / height
    image[..., 2] = 150
    image += rng.normal(0, 5, (height, width, 1)).astype(np.float32)
    disc = (x - width * 0.55) ** 2 + (y - height * 0.5) ** 2 < (0.22 * height) ** 2
    image[disc] = (220, 120, 40)
    image[disc] += (20 * np.sin(x[disc] / 5.0))[:, None]
    return np.clip(image, 0, 255).astype(np.uint8)


def loop_timing(width: int, height: int, frames: int) -> None:
    started = time.perf_counter()
    plan = LoopPlan(still(width, height), seconds=frames / 24, fps=24, seed=1)
    prepared = time.perf_counter() - started
    times = []
    for index in range(plan.frame_count):
        t = time.perf_counter()
        plan.frame(index)
        times.append(time.perf_counter() - t)
    print(
        f"loop {width}×{height}: prepare {prepared * 1000:.0f} ms, "
        f"frame median {statistics.median(times) * 1000:.0f} ms (layers: {plan.has_layers})"
    )


def encode_timing(folder: Path, frames: int) -> Path:
    plan = LoopPlan(still(1920, 1080), seconds=frames / 24, fps=24, seed=1)
    clip = list(plan.frames())
    mp4 = folder / "clip.mp4"
    for fmt, name in [
        (VideoFormat.MP4, "clip.mp4"),
        (VideoFormat.PRORES_4444, "clip4444.mov"),
        (VideoFormat.PRORES_422_HQ, "clip422.mov"),
        (VideoFormat.PNG_ZIP, "clip.zip"),
    ]:
        t = time.perf_counter()
        written = write_video(iter(clip), folder / name, 24, fmt)
        per_frame = (time.perf_counter() - t) / len(clip) * 1000
        size = written.path.stat().st_size / 1e6
        print(f"encode 1920×1080 {fmt.value}: {per_frame:.0f} ms/frame, {size:.1f} MB")
    t = time.perf_counter()
    probe(mp4)
    print(f"probe mp4 ({len(clip)} frames): {(time.perf_counter() - t) * 1000:.0f} ms")
    t = time.perf_counter()
    count = sum(1 for _ in read_frames(mp4))
    print(f"decode mp4: {(time.perf_counter() - t) / count * 1000:.1f} ms/frame")
    return mp4


def drift_timing(mp4: Path) -> None:
    t = time.perf_counter()
    report = score_file(mp4)
    count = probe(mp4).frame_count
    print(
        f"drift score 1920×1080: {(time.perf_counter() - t) / count * 1000:.0f} ms/frame "
        f"(worst score {report.worst_score}, flagged {report.flagged})"
    )


CHILD = """
import resource, sys
import numpy as np
sys.path.insert(0, {root!r})
from assets.video.encode import write_video
ramp = np.linspace(0, 255, 1280, dtype=np.float32)
frame = np.dstack([np.broadcast_to(ramp, (720, 1280))] * 4).astype(np.uint8)
frames = (np.roll(frame, 8 * i, axis=1) for i in range({count}))
write_video(frames, {path!r}, 24, "prores_4444")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def memory(folder: Path) -> None:
    for count in (24, 120):
        path = str(folder / f"mem{count}.mov")
        code = CHILD.format(root=str(ROOT), count=count, path=path)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        size = os.path.getsize(path) / 1e6
        print(
            f"peak RSS, {count} frames 1280×720 RGBA → ProRes 4444: {float(out):.0f} MiB "
            f"(file {size:.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    args = parser.parse_args()
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="anchorboard-video-bench-") as tmp:
        folder = Path(tmp)
        loop_timing(1280, 720, args.frames)
        loop_timing(1920, 1080, args.frames)
        mp4 = encode_timing(folder, args.frames)
        drift_timing(mp4)
        memory(folder)
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
