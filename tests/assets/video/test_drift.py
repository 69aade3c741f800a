"""The temporal-drift score ranks a drifting clip above a steady one and finds the second."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assets.video.drift import DriftTolerance, anchor_colours, score_file, score_frames
from assets.video.encode import VideoFormat, write_video
from assets.video.errors import VideoUnreadable
from assets.video.loop import LoopPlan
from tests.assets.video.conftest import make_still

FPS = 12


@pytest.fixture(scope="module")
def steady() -> list[np.ndarray]:
    """Eight seconds of the local loop engine on the test still: a steady clip."""
    return list(LoopPlan(make_still(), seconds=8, fps=FPS, seed=2).frames())


def _recolour(frame: np.ndarray) -> np.ndarray:
    """The orange subject turns green (red and green swapped): the jacket changes colour."""
    out = frame.copy()
    orange = (frame[..., 0] > 150) & (frame[..., 2] < 120)
    out[orange] = out[orange][:, [1, 0, 2]]
    return out


def _shifted(frames: list[np.ndarray], seconds: range) -> list[np.ndarray]:
    return [_recolour(f) if i // FPS in seconds else f for i, f in enumerate(frames)]


def test_a_steady_clip_is_not_flagged(steady: list[np.ndarray]) -> None:
    report = score_frames(iter(steady), FPS, anchor=anchor_colours(make_still()))
    assert len(report.seconds) == 8
    assert not report.flagged and report.onset_second is None
    assert report.worst_score < 0.5  # well inside every tolerance
    json.dumps(report.as_dict())  # JSON-ready for job results and manifests


def test_a_colour_shift_at_second_four_is_ranked_and_localised(steady: list[np.ndarray]) -> None:
    calm = score_frames(iter(steady), FPS)
    pulse = score_frames(iter(_shifted(steady, range(4, 5))), FPS)
    assert pulse.flagged and pulse.worst_second == 4 and pulse.onset_second == 4
    assert pulse.worst_score > 3 * calm.worst_score and pulse.worst_score > 1.0
    assert pulse.seconds[4].worst_measure == "palette"
    assert all(s.score < 1.0 for s in pulse.seconds if s.second != 4)


def test_a_lasting_shift_is_localised_by_its_onset(steady: list[np.ndarray]) -> None:
    """From second 4 on the clip stays shifted: every later second is as bad, so the
    onset, not the maximum, says where it went wrong."""
    report = score_frames(iter(_shifted(steady, range(4, 8))), FPS)
    assert report.onset_second == 4 and report.worst_second >= 4
    assert [s.score >= 1.0 for s in report.seconds] == [False] * 4 + [True] * 4


def test_drift_from_the_palette_anchor(steady: list[np.ndarray]) -> None:
    """A clip that is steady in itself but not in the board's colours: the anchor measure."""
    green_still = _recolour(make_still())
    report = score_frames(iter(steady), FPS, anchor=anchor_colours(green_still))
    assert report.flagged and report.seconds[0].worst_measure == "anchor"
    assert all(s.palette < DriftTolerance().palette for s in report.seconds)


def test_flicker_and_a_pop_are_caught(steady: list[np.ndarray]) -> None:
    frames = list(steady)
    for index in range(2 * FPS, 3 * FPS, 2):  # second 2: every other frame 10 % darker
        frames[index] = (frames[index] * 0.9).astype(np.uint8)
    rng = np.random.default_rng(0)
    frames[6 * FPS + 5] = np.roll(frames[6 * FPS + 5], (17, 41), axis=(0, 1))  # a pop
    frames[6 * FPS + 5] = np.clip(
        frames[6 * FPS + 5] + rng.normal(0, 25, frames[0].shape), 0, 255
    ).astype(np.uint8)
    report = score_frames(iter(frames), FPS)
    assert report.seconds[2].worst_measure == "flicker" and report.seconds[2].score >= 1.0
    assert report.seconds[6].structure > 5 * report.seconds[5].structure
    assert report.seconds[6].warp > 5 * report.seconds[5].warp
    assert report.seconds[6].score >= 1.0
    assert report.onset_second == 2


def test_a_stored_clip_is_scored_at_its_own_rate(tmp_path: Path, steady) -> None:
    path = tmp_path / "pulse.mp4"
    write_video(iter(_shifted(steady, range(4, 5))), path, FPS, VideoFormat.MP4)
    report = score_file(path)
    assert report.worst_second == 4 and report.flagged
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(VideoUnreadable):
        score_file(broken)
