"""The writers: every format probes as what editors and browsers expect, and reads back."""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from assets.video.decode import poster_frame, read_frames
from assets.video.encode import VideoFormat, write_video
from assets.video.probe import probe
from tests.assets.video.conftest import ramp_frames

EXPECTED = {
    # format, alpha in → codec, profile, pixel format as FFmpeg decodes it, alpha out
    (VideoFormat.MP4, False): ("h264", "High", "yuv420p", False),
    (VideoFormat.MP4, True): ("h264", "High", "yuv420p", False),
    # FFmpeg decodes ProRes 4444 to 12-bit whatever it was encoded from (10-bit here).
    (VideoFormat.PRORES_4444, True): ("prores", "4444", "yuva444p12le", True),
    (VideoFormat.PRORES_4444, False): ("prores", "4444", "yuv444p12le", False),
    (VideoFormat.PRORES_422_HQ, False): ("prores", "HQ", "yuv422p10le", False),
}


@pytest.mark.parametrize(("fmt", "alpha"), list(EXPECTED))
@pytest.mark.parametrize("fps", [Fraction(25), Fraction(30000, 1001)])
def test_every_format_probes_as_promised(tmp_path: Path, fmt, alpha, fps) -> None:
    path = tmp_path / f"clip{'.mp4' if fmt is VideoFormat.MP4 else '.mov'}"
    written = write_video(ramp_frames(24, alpha=alpha), path, fps, fmt)
    info = probe(path)
    codec, profile, pixel_format, has_alpha = EXPECTED[(fmt, alpha)]
    assert (info.codec, info.profile, info.pixel_format) == (codec, profile, pixel_format)
    assert info.has_alpha is has_alpha is written.has_alpha
    assert info.frame_rate == fps and info.constant_frame_rate
    assert info.frame_count == written.frame_count == 24
    assert info.duration == pytest.approx(float(24 / fps))
    assert (info.color_primaries, info.color_transfer, info.color_space) == ("bt709",) * 3
    assert info.color_range == "tv"
    assert (info.width, info.height) == (96, 64)
    if fmt is VideoFormat.MP4:
        assert info.faststart is True
    assert info.as_dict()["frame_rate"] == f"{fps.numerator}/{fps.denominator}"


def test_probe_tells_a_variable_frame_rate(tmp_path: Path) -> None:
    """The constant-frame-rate check looks at the timestamps: a gap makes it False."""
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index, pts in enumerate([0, 1, 2, 5, 6, 7]):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 30, np.uint8))
            frame = frame.reformat(format="yuv420p")
            frame.pts = pts
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    info = probe(path)
    assert not info.constant_frame_rate
    assert info.color_primaries is None  # untagged, as ffprobe's "unknown"


@pytest.mark.parametrize("fmt", [VideoFormat.MP4, VideoFormat.PRORES_422_HQ])
def test_frames_read_back_in_order_with_bt709_colour(tmp_path: Path, fmt) -> None:
    path = tmp_path / ("c.mp4" if fmt is VideoFormat.MP4 else "c.mov")
    write_video(ramp_frames(24), path, 24, fmt)
    frames = list(read_frames(path))
    assert len(frames) == 24
    reds = [int(np.median(f[..., 0])) for f in frames]
    assert all(abs(red - (20 + 5 * i)) <= 3 for i, red in enumerate(reds)), reds
    # A saturated colour survives the RGB → Y'CbCr → RGB trip: the BT.601 matrix that
    # FFmpeg's scaler uses by default would move it by ~10 code values.
    saturated = np.broadcast_to(np.array([200, 30, 60], np.uint8), (64, 96, 3)).copy()
    write_video(iter([saturated] * 3), path, 24, fmt)
    back = next(read_frames(path))[32, 48].astype(int)
    assert np.abs(back - [200, 30, 60]).max() <= 4, back


def test_prores_4444_keeps_alpha(tmp_path: Path) -> None:
    path = tmp_path / "alpha.mov"
    write_video(ramp_frames(6, alpha=True), path, 24, VideoFormat.PRORES_4444)
    frame = next(read_frames(path, alpha=True))
    assert frame.shape == (64, 96, 4)
    expected = np.linspace(0, 255, 64).astype(np.uint8)
    assert np.abs(frame[:, 40, 3].astype(int) - expected).max() <= 2


def test_mp4_drops_alpha_and_pads_odd_sizes(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    frames = (f[:63, :95] for f in ramp_frames(4, alpha=True))
    written = write_video(frames, path, 24, VideoFormat.MP4)
    assert (written.width, written.height, written.has_alpha) == (96, 64, False)
    assert next(read_frames(path, alpha=True)).shape == (64, 96, 3)


def test_png_sequence_zip_is_lossless_and_ordered(tmp_path: Path) -> None:
    path = tmp_path / "frames.zip"
    written = write_video(ramp_frames(5, alpha=True), path, 24, VideoFormat.PNG_ZIP)
    assert written.frame_count == 5 and written.has_alpha
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == [f"frame_{i:06d}.png" for i in range(5)]
        third = np.asarray(Image.open(io.BytesIO(archive.read(names[3]))))
    assert np.array_equal(third, list(ramp_frames(5, alpha=True))[3])


def test_png_sequence_folder_must_be_empty(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_video(ramp_frames(3), folder, 24, VideoFormat.PNG_FOLDER)
    assert sorted(p.name for p in folder.iterdir())[-1] == "frame_000002.png"
    with pytest.raises(ValueError, match="not empty"):
        write_video(ramp_frames(3), folder, 24, VideoFormat.PNG_FOLDER)


def test_poster_frame_is_the_frame_at_the_time(tmp_path: Path) -> None:
    path = tmp_path / "poster.mp4"
    write_video(ramp_frames(48), path, 24, VideoFormat.MP4)
    assert abs(int(np.median(poster_frame(path)[..., 0])) - 20) <= 3
    assert abs(int(np.median(poster_frame(path, 1.0)[..., 0])) - (20 + 5 * 24)) <= 3
    assert abs(int(np.median(poster_frame(path, 99.0)[..., 0])) - (20 + 5 * 47)) <= 3


def test_frames_must_agree_with_the_first(tmp_path: Path) -> None:
    frames = [np.zeros((64, 96, 3), np.uint8), np.zeros((64, 98, 3), np.uint8)]
    with pytest.raises(ValueError, match="first frame"):
        write_video(iter(frames), tmp_path / "x.mp4", 24, VideoFormat.MP4)
    with pytest.raises(ValueError, match="uint8"):
        write_video(iter([np.zeros((4, 4, 3))]), tmp_path / "y.mp4", 24, VideoFormat.MP4)
    with pytest.raises(ValueError, match="at least one frame"):
        write_video(iter([]), tmp_path / "z.mov", 24, VideoFormat.PRORES_422_HQ)
