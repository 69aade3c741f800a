"""A clip with nothing in it but its pictures: what share-link guests are sent.

A stored clip is either the provider's file as delivered (when it already was H.264
yuv420p with its index first) or our own encode. A provider's file can carry a title, a
comment, creation times, the encoder and handler names, ``udta``/``meta``/``uuid`` boxes
(XMP, Content Credentials) and, in the H.264 bitstream itself, SEI messages (x264 writes
its version and every setting there). Guests get none of that, the same rule as for
images (previews are re-rendered pixels). ``clean_mp4`` re-muxes the clip without
re-encoding it — the compressed pictures are copied packet by packet, so it is lossless
and costs a demux, not a decode — into a new MP4 that keeps only:

- the first video stream (audio and data tracks are dropped: the board plays clips muted),
- its codec parameters (size, profile, colour tags, frame rate, timestamps),
- ``moov`` first (+faststart) so a browser plays while it downloads.

No container or stream metadata is written (``fflags +bitexact`` also leaves out the
``encoder`` tag and creation times), and ``filter_units`` removes every SEI NAL unit
(type 6) from the bitstream. The same input gives the same bytes, so the copy can be
cached by the source's hash. Only H.264 is accepted: the browser copy always is.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import av
from av.bitstream import BitStreamFilterContext

from assets.video.errors import VideoUnreadable

_SEI = "filter_units=remove_types=6"  # H.264 nal_unit_type 6: supplemental enhancement info
_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}


def clean_mp4(source: str | Path | BinaryIO, out: str | Path) -> Path:
    """Write ``source``'s first video stream to ``out`` as an MP4 with no metadata (above).
    Raises ``VideoUnreadable`` for a file FFmpeg cannot read, with no video or not H.264."""
    out = Path(out)
    name = Path(str(getattr(source, "name", source))).name
    try:
        with av.open(source if not isinstance(source, Path) else str(source), "r") as src:
            if not src.streams.video:
                raise VideoUnreadable(f"{name} has no video track.")
            stream = src.streams.video[0]
            if stream.codec_context.name != "h264":
                raise VideoUnreadable(
                    f"{name} is {stream.codec_context.name}, not the H.264 a browser copy is."
                )
            with av.open(str(out), "w", format="mp4", options=_OPTIONS) as dst:
                copy = dst.add_stream_from_template(stream)
                strip = BitStreamFilterContext(_SEI, stream, copy)
                for packet in src.demux(stream):
                    if packet.dts is None:  # the demuxer's end-of-stream marker
                        continue
                    for filtered in strip.filter(packet):
                        filtered.stream = copy
                        dst.mux(filtered)
                for filtered in strip.filter(None):
                    filtered.stream = copy
                    dst.mux(filtered)
    except av.FFmpegError as error:
        raise VideoUnreadable(
            f"{name} is damaged or not a video FFmpeg can read ({error.strerror})."
        ) from error
    return out
