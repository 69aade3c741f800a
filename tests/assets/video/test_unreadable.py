"""A damaged video is a ``VideoUnreadable`` with a sentence, never FFmpeg's own error."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.video.decode import poster_frame, read_frames
from assets.video.encode import VideoFormat, write_video
from assets.video.errors import VideoTruncated, VideoUnreadable
from assets.video.probe import probe
from tests.assets.video.conftest import ramp_frames


@pytest.fixture
def clip(tmp_path: Path) -> bytes:
    path = tmp_path / "good.mp4"
    write_video(ramp_frames(48, width=160, height=96), path, 24, VideoFormat.MP4)
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut-in-half"),
        pytest.param(lambda data: data[:100], id="header-only"),
        pytest.param(lambda data: b"not a video " * 50, id="junk"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_damaged_mp4_is_a_clear_error(tmp_path: Path, clip: bytes, damage) -> None:
    path = tmp_path / "damaged.mp4"
    path.write_bytes(damage(clip))
    with pytest.raises(VideoUnreadable) as raised:
        list(read_frames(path))
    assert "damaged.mp4" in raised.value.message
    assert raised.value.status == 422
    with pytest.raises(VideoUnreadable):
        probe(path)


@pytest.mark.parametrize("data", [b"", b"not a video " * 50])
def test_poster_of_a_non_video_is_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "poster.mp4"
    path.write_bytes(data)
    with pytest.raises(VideoUnreadable, match=r"poster\.mp4"):
        poster_frame(path)


def test_cut_off_mp4_names_how_far_it_got(tmp_path: Path, clip: bytes) -> None:
    """With +faststart the index survives a cut: the reader says the file ended early."""
    path = tmp_path / "cut.mp4"
    path.write_bytes(clip[: int(len(clip) * 0.8)])
    with pytest.raises(VideoUnreadable) as raised:
        list(read_frames(path))
    assert raised.value.code in {"video_truncated", "video_unreadable"}
    if isinstance(raised.value, VideoTruncated):
        assert "of its 48 frames" in raised.value.message


def test_cut_off_mov_without_its_index(tmp_path: Path) -> None:
    path = tmp_path / "cut.mov"
    write_video(ramp_frames(12), path, 24, VideoFormat.PRORES_422_HQ)
    path.write_bytes(path.read_bytes()[:-400])  # the moov box sits at the end of a .mov
    with pytest.raises(VideoUnreadable):
        probe(path)
