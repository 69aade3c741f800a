"""What a video file is: codec, profile, pixel format, frame rate, colour tags, length.

The ffprobe of Anchorboard, read through the same libavformat/libavcodec that wrote the
file (PyAV): values and names are ffprobe's (``codec_name``, ``profile``, ``pix_fmt``,
``color_primaries`` …), so a test or an export manifest can be compared with what an
editor's "media info" shows. Note the one surprise: FFmpeg decodes ProRes 4444 to 12-bit
(``yuva444p12le`` / ``yuv444p12le``) whatever bit depth it was encoded from, and ffprobe
reports that decoder format too.

Constant frame rate is checked, not assumed: every packet's timestamp must sit on the
``1/fps`` grid with one packet per step. Must not import Django or ``canvas``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

from av.video.reformatter import ColorPrimaries, Colorspace, ColorTrc

from assets.video.decode import check_complete, opened

# FFmpeg's own names (libavutil/pixdesc.c), as ffprobe prints them.
_PRIMARIES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "smpte432"}
_TRANSFER = {1: "bt709", 6: "smpte170m", 8: "linear", 13: "iec61966-2-1", 16: "smpte2084"}
_MATRIX = {0: "gbr", 1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc"}
_RANGE = {1: "tv", 2: "pc"}


@dataclass(frozen=True)
class VideoInfo:
    container: str  # libavformat's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # "h264", "prores"
    profile: str | None  # "High", "4444", "HQ"
    pixel_format: str | None  # "yuv420p", "yuva444p12le"
    width: int
    height: int
    frame_rate: Fraction
    constant_frame_rate: bool
    frame_count: int
    duration: float  # seconds
    color_primaries: str | None  # None when untagged ("unknown" in ffprobe)
    color_transfer: str | None
    color_space: str | None  # the Y'CbCr matrix
    color_range: str | None  # "tv" (limited) or "pc" (full)
    has_alpha: bool
    faststart: bool | None  # MP4/MOV: index (moov) before the media data (mdat)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (frame rate as "num/den"), for manifests and job results."""
        data = asdict(self)
        data["frame_rate"] = f"{self.frame_rate.numerator}/{self.frame_rate.denominator}"
        return data


def probe(path: str | Path) -> VideoInfo:
    """Describe the first video stream of ``path``; ``VideoUnreadable`` when it cannot.

    Reads every packet (demuxing, no decoding) to count frames and check the timing, so it
    costs one pass over the file's bytes."""
    with opened(path) as (container, stream):
        context = stream.codec_context
        fmt = context.format
        rate = Fraction(stream.average_rate or stream.guessed_rate or stream.base_rate or 0)
        stamps = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
        base = stream.time_base or Fraction(0)
        step = (1 / (rate * base)) if rate and base else None
        constant = step is not None and all(b - a == step for a, b in pairwise(stamps))
        count = len(stamps)
        check_complete(Path(path), stream, count)
        duration = float(count / rate) if rate else float(container.duration or 0) / 1e6
        return VideoInfo(
            container=container.format.name,
            codec=context.name,
            profile=context.profile,
            pixel_format=fmt.name if fmt is not None else None,
            width=context.width,
            height=context.height,
            frame_rate=rate,
            constant_frame_rate=constant,
            frame_count=count,
            duration=duration,
            color_primaries=_name(context.color_primaries, _PRIMARIES, ColorPrimaries),
            color_transfer=_name(context.color_trc, _TRANSFER, ColorTrc),
            color_space=_name(context.colorspace, _MATRIX, Colorspace),
            color_range=_RANGE.get(int(context.color_range or 0)),
            has_alpha=fmt is not None and any(c.is_alpha for c in fmt.components),
            faststart=_faststart(Path(path)),
        )


def _name(value: object, names: dict[int, str], enum: Any) -> str | None:
    """ffprobe's name of a colour tag; None for "unspecified" (2) and unset (0 where 0 is
    not a value)."""
    number = int(value or 0)  # type: ignore[call-overload]
    if number in names:
        return names[number]
    if number in (0, 2):
        return None
    try:
        return str(enum(number).name).lower()
    except ValueError:
        return str(number)


def _faststart(path: Path) -> bool | None:
    """Whether the ISO-BMFF ``moov`` box comes before ``mdat`` (None: not an MP4/MOV).

    Walks the top-level boxes by their sizes (ISO/IEC 14496-12 §4.2), reading 16 bytes per
    box, so it never reads the media data."""
    with path.open("rb") as handle:
        offset, size_of_file = 0, path.stat().st_size
        while offset + 8 <= size_of_file:
            handle.seek(offset)
            header = handle.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                return None
            if size < 8:
                return None
            offset += size
    return None
