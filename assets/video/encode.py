"""Frames in, files out: H.264 MP4, ProRes 4444 / 422 HQ .mov and PNG sequences.

Every writer takes an iterable of frames (H×W×3 RGB or H×W×4 RGBA, uint8, sRGB code
values) and a constant frame rate, and encodes each frame as it arrives: a clip is never
held in memory. Frame ``i`` gets presentation time ``i / fps`` exactly (time base
``1/fps``), so the files are constant frame rate, which editors (Premiere, Resolve) need.

Colour: RGB is converted to Y'CbCr with the BT.709 matrix, limited ("tv") range, and the
stream is tagged bt709 primaries / transfer / matrix in the bitstream and in the container's
``colr`` atom. The code values are written as they are (no transfer-curve conversion), which
is what every web and editing tool does with 8-bit sRGB material. FFmpeg's scaler would use
the BT.601 matrix if not told otherwise; ``_to_yuv`` tells it.

Must not import Django or ``canvas``. Why PyAV and not imageio-ffmpeg: docs/video.md.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc
from av.video.stream import VideoStream
from PIL import Image

Rate = int | Fraction | str


class VideoFormat(StrEnum):
    """The files Anchorboard writes, each for one audience."""

    MP4 = "mp4"  # H.264 High, yuv420p, +faststart: browsers, share links
    PRORES_4444 = "prores_4444"  # .mov, yuv444p10le or yuva444p10le (alpha): compositing
    PRORES_422_HQ = "prores_422_hq"  # .mov, yuv422p10le: the edit
    PNG_ZIP = "png_zip"  # frame_000000.png … in a zip: any tool
    PNG_FOLDER = "png_folder"  # the same frames in a folder


SUFFIXES = {
    VideoFormat.MP4: ".mp4",
    VideoFormat.PRORES_4444: ".mov",
    VideoFormat.PRORES_422_HQ: ".mov",
    VideoFormat.PNG_ZIP: ".zip",
    VideoFormat.PNG_FOLDER: "",
}

# prores_ks profile numbers (libavcodec/proresenc_kostya.c): 3 = HQ, 4 = 4444.
_PRORES_PROFILE = {VideoFormat.PRORES_422_HQ: "3", VideoFormat.PRORES_4444: "4"}
H264_CRF = 18  # visually lossless for texture plates; the browser copy, not the master
H264_PRESET = "medium"
PNG_COMPRESS_LEVEL = 3  # zlib level: most of level 9's size at a fraction of its time


@dataclass(frozen=True)
class Written:
    """What a writer produced: enough for a job's result item or an export's manifest."""

    path: Path
    format: VideoFormat
    frame_count: int
    fps: Fraction
    width: int
    height: int
    has_alpha: bool

    @property
    def duration(self) -> float:
        return float(self.frame_count / self.fps)


def frame_rate(fps: Rate) -> Fraction:
    """``24``, ``"30000/1001"`` or ``Fraction(25)`` as an exact positive rate."""
    rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise ValueError(f"A frame rate must be positive, not {fps!r}.")
    return rate


def write_video(
    frames: Iterable[np.ndarray], path: str | Path, fps: Rate, fmt: VideoFormat | str
) -> Written:
    """Write ``frames`` to ``path`` in ``fmt`` (one entry point for jobs and exports)."""
    fmt = VideoFormat(fmt)
    if fmt is VideoFormat.MP4:
        return write_mp4(frames, path, fps)
    if fmt in _PRORES_PROFILE:
        return write_prores(frames, path, fps, fmt)
    return write_png_sequence(frames, path, fps, as_zip=fmt is VideoFormat.PNG_ZIP)


def write_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: Rate,
    *,
    crf: int = H264_CRF,
    preset: str = H264_PRESET,
) -> Written:
    """H.264 High profile, yuv420p, BT.709 tags, ``moov`` before ``mdat`` (+faststart) so a
    browser starts playing before the download ends. Alpha is dropped (MP4 has none); odd
    widths/heights are padded by one repeated edge row/column (4:2:0 needs even sizes)."""
    options = {"crf": str(crf), "preset": preset}
    return _encode(
        frames,
        Path(path),
        frame_rate(fps),
        VideoFormat.MP4,
        codec="libx264",
        pixel_format=lambda _alpha: "yuv420p",
        codec_options=options,
        container_options={"movflags": "+faststart+write_colr"},
    )


def write_prores(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: Rate,
    fmt: VideoFormat = VideoFormat.PRORES_4444,
) -> Written:
    """ProRes in QuickTime .mov (FFmpeg's ``prores_ks``, vendor ``apl0`` so Apple and
    Adobe decoders take it as their own). 4444 keeps alpha when the frames are RGBA
    (yuva444p10le, 16-bit alpha); 422 HQ is yuv422p10le and drops alpha."""
    if fmt not in _PRORES_PROFILE:
        raise ValueError(f"{fmt} is not a ProRes format.")
    four = fmt is VideoFormat.PRORES_4444
    return _encode(
        frames,
        Path(path),
        frame_rate(fps),
        fmt,
        codec="prores_ks",
        pixel_format=lambda alpha: (
            ("yuva444p10le" if alpha else "yuv444p10le") if four else "yuv422p10le"
        ),
        codec_options={"profile": _PRORES_PROFILE[fmt], "vendor": "apl0"},
        container_options={"movflags": "+write_colr"},
        keep_alpha=four,
    )


def _encode(
    frames: Iterable[np.ndarray],
    path: Path,
    rate: Fraction,
    fmt: VideoFormat,
    *,
    codec: str,
    pixel_format,
    codec_options: dict[str, str],
    container_options: dict[str, str],
    keep_alpha: bool = False,
) -> Written:
    source = checked_frames(frames)
    first = next(source, None)
    if first is None:
        raise ValueError("A video needs at least one frame.")
    alpha = keep_alpha and first.shape[2] == 4
    height, width = _even(first).shape[:2]
    pix_fmt = pixel_format(alpha)
    count = 0
    with av.open(str(path), "w", options=container_options) as container:
        stream = cast(VideoStream, container.add_stream(codec, rate=rate, options=codec_options))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        _tag_bt709(stream.codec_context)
        for count, frame in enumerate(_prepend(first, source), start=1):
            pixels = _even(frame if alpha else frame[..., :3])
            video_frame = _to_yuv(pixels, pix_fmt)
            video_frame.pts = count - 1
            container.mux(stream.encode(video_frame))
        container.mux(stream.encode(None))
    return Written(path, fmt, count, rate, width, height, alpha)


def _tag_bt709(context) -> None:
    context.color_primaries = ColorPrimaries.BT709
    context.color_trc = ColorTrc.BT709
    context.colorspace = Colorspace.ITU709
    context.color_range = ColorRange.MPEG


def _to_yuv(pixels: np.ndarray, pix_fmt: str) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(pixels, format="rgba" if pixels.shape[2] == 4 else "rgb24")
    return frame.reformat(
        format=pix_fmt,
        dst_colorspace=Colorspace.ITU709,
        dst_color_range=ColorRange.MPEG,
        dst_color_trc=ColorTrc.BT709,
        dst_color_primaries=ColorPrimaries.BT709,
    )


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad an odd width or height with a copy of the last column/row."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_png_sequence(
    frames: Iterable[np.ndarray], path: str | Path, fps: Rate, *, as_zip: bool = True
) -> Written:
    """One PNG per frame (``frame_000000.png`` …; RGBA stays RGBA), into a zip (stored: PNG
    is already compressed) or a folder that must not exist yet or be empty."""
    rate = frame_rate(fps)
    target = Path(path)
    if not as_zip:
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()):
            raise ValueError(f"{target.name} is not empty; a PNG sequence needs its own folder.")
    count, shape = 0, (0, 0, 3)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) if as_zip else _NoZip() as archive:
        for count, frame in enumerate(checked_frames(frames), start=1):
            shape = frame.shape
            name = f"frame_{count - 1:06d}.png"
            if archive is not None:
                archive.writestr(name, png_bytes(frame))
            else:
                (target / name).write_bytes(png_bytes(frame))
    if count == 0:
        raise ValueError("A video needs at least one frame.")
    fmt = VideoFormat.PNG_ZIP if as_zip else VideoFormat.PNG_FOLDER
    return Written(target, fmt, count, rate, shape[1], shape[0], shape[2] == 4)


class _NoZip:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def png_bytes(frame: np.ndarray) -> bytes:
    """One frame as PNG (a poster, a sequence frame)."""
    mode = "RGBA" if frame.shape[2] == 4 else "RGB"
    out = io.BytesIO()
    Image.fromarray(frame, mode).save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def checked_frames(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``frames`` as they come, each checked against the first: uint8, 3 or 4 channels,
    one size. A mismatch is a programming error (an engine bug), so it is a ValueError."""
    expected: tuple[int, ...] | None = None
    for index, frame in enumerate(frames):
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
            raise ValueError(
                f"Frame {index} is {frame.dtype} {frame.shape}; frames are H×W×3 or H×W×4 uint8."
            )
        if expected is None:
            expected = frame.shape
        elif frame.shape != expected:
            raise ValueError(f"Frame {index} is {frame.shape}, the first frame was {expected}.")
        yield np.ascontiguousarray(frame)


def _prepend(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
