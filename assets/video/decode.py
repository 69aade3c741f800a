"""Files in, frames out: decode a clip frame by frame, pick a poster frame.

Frames come back as H×W×3 RGB (or H×W×4 RGBA when asked and the clip has alpha) uint8,
converted with the matrix and range the stream is tagged with (BT.709 for ours). Decoding
is a generator: one frame in memory at a time.

Every failure to read — not a video, no video track, damaged data, a file cut off before
its last frame — is a ``VideoUnreadable`` (``assets.video.errors``), never PyAV's own
exceptions, so jobs and exports can show one sentence. Must not import Django or ``canvas``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
from av.container import InputContainer
from av.video.stream import VideoStream

from assets.video.errors import VideoTruncated, VideoUnreadable


@contextmanager
def opened(path: str | Path) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The container and its first video stream; FFmpeg's errors become ``VideoUnreadable``
    whether they happen while opening or while the caller reads."""
    name = Path(path).name
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.video:
                raise VideoUnreadable(f"{name} has no video track.")
            stream = container.streams.video[0]
            if stream.codec_context is None or not stream.codec_context.width:
                raise VideoUnreadable(f"{name} is damaged: its video track cannot be described.")
            yield container, stream
    except av.FFmpegError as error:
        raise VideoUnreadable(
            f"{name} is damaged or not a video FFmpeg can read ({error.strerror})."
        ) from error


def read_frames(path: str | Path, *, alpha: bool = False) -> Iterator[np.ndarray]:
    """Every frame of the clip in order. ``alpha=True`` yields RGBA when the stream has an
    alpha plane (ProRes 4444), RGB otherwise. Raises ``VideoTruncated`` after the last
    readable frame when the container's index promised more."""
    with opened(path) as (container, stream):
        stream.thread_type = "AUTO"
        target = "rgba" if alpha and _has_alpha(stream) else "rgb24"
        count = 0
        for frame in container.decode(stream):
            count += 1
            yield frame.to_ndarray(format=target)
        check_complete(Path(path), stream, count)
        if count == 0:
            raise VideoUnreadable(f"{Path(path).name} has no frame that can be decoded.")


def check_complete(path: Path, stream: VideoStream, count: int) -> None:
    """``VideoTruncated`` when fewer than the frames the container's index promises were
    read (a file cut off after its ``moov`` box, as a +faststart MP4 is)."""
    promised = stream.frames
    if promised and count < promised:
        raise VideoTruncated(
            f"{path.name} ends after {count} of its {promised} frames: the file was cut "
            "off. Download or export it again, then retry."
        )


def poster_frame(path: str | Path, seconds: float = 0.0) -> np.ndarray:
    """The RGB frame shown at ``seconds`` (the first frame by default; clamped to the last).

    Seeks to the key frame before ``seconds`` and decodes forward, so a poster from the end
    of a long clip does not decode the whole clip."""
    with opened(path) as (container, stream):
        base = stream.time_base
        if seconds > 0 and base:
            container.seek(int(seconds / base), stream=stream, backward=True, any_frame=False)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.time is None or frame.time + _half_frame(stream) >= seconds:
                break
        if last is None:
            raise VideoUnreadable(f"{Path(path).name} has no frame that can be decoded.")
        return last.to_ndarray(format="rgb24")


def _half_frame(stream: VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate
    return float(0.5 / rate) if rate else 0.0


def _has_alpha(stream: VideoStream) -> bool:
    fmt = stream.codec_context.format
    return fmt is not None and any(component.is_alpha for component in fmt.components)
