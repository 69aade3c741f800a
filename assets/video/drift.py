"""Temporal drift of a clip, second by second: does it stay the clip it started as?

Generated video's weak point is temporal consistency (a jacket changes colour by the fourth
second). Four measures per second of the clip, each in its own unit and compared with its
own tolerance; the second's score is the largest ratio (1.0 = at tolerance):

- **palette** (ΔE00): how far the second's colours moved from the first frame's — the
  second's dominant colours (k-means, ``assets.imageops.colour.kmeans``) against the first
  frame's pixels, and the first frame's dominant colours against the second's pixels; the
  worst colour covering at least ``MIN_SHARE`` of the picture counts. **anchor** (ΔE00):
  the same, one way, against the board's palette anchor colours when given.
- **flicker** (L*): standard deviation of the frames' mean lightness over the second (and
  the frame before it), after removing a straight-line trend, so a slow fade is not flicker.
- **structure** (1 − SSIM): the largest structural change between two consecutive frames
  in the second (SSIM, Wang et al. 2004, on L*; scikit-image ``structural_similarity``).
- **warp** (L*): the largest mean residual after warping a frame onto the one before it
  with dense optical flow (Farnebäck 2003, OpenCV ``calcOpticalFlowFarneback``): motion
  explains the change between frames; what motion cannot explain is morphing or popping.

CIEDE2000 is scikit-image's ``deltaE_ciede2000`` with kL = 2, the setting the still-image
palette score uses (docs/governance.md): lightness weighs half, since exposure belongs to
flicker. Frames are read once, shrunk to ``WORK_EDGE`` pixels on the long side; one second
of samples is held at a time. Must not import Django or ``canvas``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from assets.imageops.colour import kmeans, rgb_to_lab
from assets.video.decode import read_frames
from assets.video.encode import Rate, frame_rate
from assets.video.probe import probe
from assets.video.tolerance import DriftTolerance

WORK_EDGE = 192  # pixels on the long side: enough for colour, structure and flow
PALETTE_COLOURS = 6
MIN_SHARE = 0.02  # a colour covering less of the picture is not judged alone
SAMPLE = 4000  # pixels per second fed to k-means
REFERENCE_SAMPLE = 3000  # first-frame pixels colours are matched against
LIGHTNESS_WEIGHT = 2.0  # CIEDE2000 kL, as in canvas/governance/metrics/palette.py
BORDER = 4  # working pixels at the edge left out of the warp residual (flow is unsure there)


@dataclass(frozen=True)
class SecondDrift:
    second: int
    palette: float
    anchor: float | None
    flicker: float
    structure: float
    warp: float
    score: float  # the largest measure / its tolerance
    worst_measure: str  # which one that was


@dataclass(frozen=True)
class DriftReport:
    """The per-second curve, the worst second, and whether the clip drifts too far."""

    seconds: tuple[SecondDrift, ...]
    tolerance: DriftTolerance
    worst_second: int = field(init=False)
    worst_score: float = field(init=False)
    onset_second: int | None = field(init=False)  # the first second at or over tolerance

    def __post_init__(self) -> None:
        worst = max(self.seconds, key=lambda s: s.score)
        flagged = [s.second for s in self.seconds if s.score >= 1.0]
        object.__setattr__(self, "worst_second", worst.second)
        object.__setattr__(self, "worst_score", worst.score)
        object.__setattr__(self, "onset_second", flagged[0] if flagged else None)

    @property
    def flagged(self) -> bool:
        return self.onset_second is not None

    def as_dict(self) -> dict:
        """JSON-ready, for the job's result, the clip's curve and the export manifest."""
        return {
            "seconds": [asdict(s) for s in self.seconds],
            "tolerance": asdict(self.tolerance),
            "worst_second": self.worst_second,
            "worst_score": self.worst_score,
            "onset_second": self.onset_second,
            "flagged": self.flagged,
        }


def score_file(
    path: str | Path,
    *,
    anchor: np.ndarray | None = None,
    tolerance: DriftTolerance | None = None,
) -> DriftReport:
    """``score_frames`` of a stored clip at its own frame rate (``VideoUnreadable`` if it
    cannot be read)."""
    rate = probe(path).frame_rate
    return score_frames(read_frames(path), rate, anchor=anchor, tolerance=tolerance)


def score_frames(
    frames: Iterable[np.ndarray],
    fps: Rate,
    *,
    anchor: np.ndarray | None = None,
    tolerance: DriftTolerance | None = None,
) -> DriftReport:
    """Score a clip given as frames (RGB or RGBA uint8; alpha is ignored).

    ``anchor``: the palette anchor's colours, (n, 3) CIELAB — its dominant colours or a
    sample of its pixels (``anchor_colours``). A last partial second is scored when it
    holds at least half a second of frames."""
    tolerance = tolerance or DriftTolerance()
    per_second = max(1, round(frame_rate(fps)))
    reference: _Reference | None = None
    anchor_lab = None if anchor is None else np.asarray(anchor, np.float64).reshape(-1, 3)
    current = _Second(0)
    seconds: list[SecondDrift] = []
    previous: np.ndarray | None = None
    for index, frame in enumerate(frames):
        lab = _working_lab(frame)
        if reference is None:
            reference = _Reference.of(lab)
        second = index // per_second
        if second != current.index:
            seconds.append(current.result(reference, anchor_lab, tolerance))
            current = _Second(second, previous_lightness=current.lightness[-1])
        current.add(lab, previous)
        previous = lab
    if reference is None:
        raise ValueError("A drift score needs at least one frame.")
    if not seconds or len(current.lightness) * 2 >= per_second:
        seconds.append(current.result(reference, anchor_lab, tolerance))
    return DriftReport(tuple(seconds), tolerance)


def anchor_colours(image: np.ndarray, sample: int = REFERENCE_SAMPLE) -> np.ndarray:
    """A palette anchor's colours for ``score_frames``: a stride sample of its pixels in
    CIELAB (an RGB(A) uint8 still; transparent pixels left out)."""
    lab = _working_lab(image).reshape(-1, 3)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = cv2.resize(image[..., 3], _working_size(image), interpolation=cv2.INTER_AREA)
        visible = alpha.reshape(-1) > 0
        lab = lab[visible] if visible.any() else lab
    return _stride(lab, sample).astype(np.float64)


@dataclass(frozen=True)
class _Reference:
    """The first frame: its pixels (what colours exist) and its dominant colours."""

    pixels: np.ndarray
    centres: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, lab: np.ndarray) -> _Reference:
        pixels = lab.reshape(-1, 3)
        centres, weights = _palette(pixels)
        return cls(_stride(pixels, REFERENCE_SAMPLE).astype(np.float64), centres, weights)


class _Second:
    """What one second of frames leaves behind: pixel samples, mean lightness per frame,
    and the worst pair's structure and warp numbers."""

    def __init__(self, index: int, previous_lightness: float | None = None) -> None:
        self.index = index
        self.samples: list[np.ndarray] = []
        self.lightness: list[float] = []
        self._before = previous_lightness
        self.structure = 0.0
        self.warp = 0.0

    def add(self, lab: np.ndarray, previous: np.ndarray | None) -> None:
        self.samples.append(_stride(lab.reshape(-1, 3), SAMPLE // 8))
        self.lightness.append(float(lab[..., 0].mean()))
        if previous is not None:
            self.structure = max(self.structure, _structure_change(previous, lab))
            self.warp = max(self.warp, _warp_error(previous, lab))

    def result(
        self, reference: _Reference, anchor: np.ndarray | None, tolerance: DriftTolerance
    ) -> SecondDrift:
        pixels = _stride(np.concatenate(self.samples), SAMPLE)
        centres, weights = _palette(pixels)
        palette = max(
            _worst_colour(centres, weights, reference.pixels),
            _worst_colour(reference.centres, reference.weights, pixels.astype(np.float64)),
        )
        anchor_drift = None if anchor is None else _worst_colour(centres, weights, anchor)
        flicker = _flicker(([self._before] if self._before is not None else []) + self.lightness)
        measures = {
            "palette": palette / tolerance.palette,
            "flicker": flicker / tolerance.flicker,
            "structure": self.structure / tolerance.structure,
            "warp": self.warp / tolerance.warp,
        }
        if anchor_drift is not None:
            measures["anchor"] = anchor_drift / tolerance.anchor
        worst = max(measures, key=lambda name: measures[name])
        return SecondDrift(
            second=self.index,
            palette=round(palette, 2),
            anchor=None if anchor_drift is None else round(anchor_drift, 2),
            flicker=round(flicker, 3),
            structure=round(self.structure, 4),
            warp=round(self.warp, 3),
            score=round(measures[worst], 4),
            worst_measure=worst,
        )


def _working_size(image: np.ndarray) -> tuple[int, int]:
    h, w = image.shape[:2]
    scale = min(1.0, WORK_EDGE / max(h, w))
    return max(8, round(w * scale)), max(8, round(h * scale))


def _working_lab(frame: np.ndarray) -> np.ndarray:
    rgb = np.ascontiguousarray(frame[..., :3])
    small = cv2.resize(rgb, _working_size(frame), interpolation=cv2.INTER_AREA)
    return rgb_to_lab(small)


def _stride(pixels: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` rows, evenly spaced: deterministic, unlike a random sample."""
    step = max(1, len(pixels) // limit)
    return pixels[::step][:limit]


def _palette(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centres, counts = kmeans(_stride(pixels, SAMPLE), PALETTE_COLOURS, seed=0)
    return centres.astype(np.float64), counts / counts.sum()


def _worst_colour(centres: np.ndarray, weights: np.ndarray, against: np.ndarray) -> float:
    """ΔE00 from each colour covering at least ``MIN_SHARE`` to its nearest colour in
    ``against``; the largest of those."""
    keep = weights >= MIN_SHARE
    if not keep.any():
        keep = weights == weights.max()
    colours = centres[keep]
    delta = deltaE_ciede2000(
        np.repeat(against[None, :, :], len(colours), axis=0),
        np.repeat(colours[:, None, :], len(against), axis=1),
        kL=LIGHTNESS_WEIGHT,
    )
    return float(delta.min(axis=1).max())


def _flicker(lightness: Sequence[float]) -> float:
    """Standard deviation (L*) of the mean lightness around its straight-line trend."""
    if len(lightness) < 3:
        return 0.0
    values = np.asarray(lightness, np.float64)
    t = np.arange(len(values), dtype=np.float64)
    slope, offset = np.polyfit(t, values, 1)
    return float((values - (slope * t + offset)).std())


def _structure_change(before: np.ndarray, after: np.ndarray) -> float:
    """1 − SSIM of the two frames' lightness (0 identical, up to ~1 unrelated)."""
    similarity = structural_similarity(
        before[..., 0], after[..., 0], data_range=100.0, gaussian_weights=True, sigma=1.5
    )
    return float(1.0 - similarity)


def _warp_error(before: np.ndarray, after: np.ndarray) -> float:
    """Mean |before − after warped back by the flow before → after| (L*), inner pixels.

    Farnebäck's dense flow on 8-bit lightness at the working size (pyramid of 3, window
    15): ``after`` sampled at ``x + flow(x)`` should reproduce ``before`` wherever the
    change is motion."""
    a = np.clip(before[..., 0] * 2.55, 0, 255).astype(np.uint8)
    b = np.clip(after[..., 0] * 2.55, 0, 255).astype(np.uint8)
    h, w = a.shape
    start = np.zeros((h, w, 2), np.float32)  # ignored without OPTFLOW_USE_INITIAL_FLOW
    flow = cv2.calcOpticalFlowFarneback(a, b, start, 0.5, 3, 15, 3, 5, 1.2, 0)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(
        after[..., 0],
        gx + flow[..., 0],
        gy + flow[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    residual = np.abs(warped - before[..., 0])
    inner = residual[BORDER : h - BORDER, BORDER : w - BORDER]
    return float(inner.mean() if inner.size else residual.mean())
