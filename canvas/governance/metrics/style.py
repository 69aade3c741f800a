"""Style: the medium's texture against the style anchor.

Recipe (docs/governance.md "Style"), on the grey detail copy (up to 256 px) in log
luminance relative to the image's median, so a texture that modulates brightness by a
tenth measures the same on a dark backdrop as on a light one, and at any exposure.
Masked out: the subject's outlines (Canny edges of a blurred copy, dilated) — what is
measured is the surface (grain, paper, hatching, halftone, brush marks), not the layout —
and pixels clipped to black or white, where no medium shows:

- **texture**: the energy of three band-pass layers (differences of Gaussians, σ 0.7–1.4,
  1.4–2.8, 2.8–5.6 px), as ``ln(mean |band| + ε)``; ε keeps the sensor noise of a clean
  render from counting as a texture. Component = the largest difference of the three log
  energies (a medium's texture lives in one band) / ``TEXTURE_SCALE``.
- **strokes**: the direction of the fine marks — a histogram of gradient orientation (mod
  180°, 8 bins, magnitude-weighted; the same statistic as a HOG cell, here over the whole
  surface) — compared by the Hellinger distance, counted only as far as both images have a
  texture to speak of. Hatching runs diagonally, canvas weave along the axes, paper has no
  direction.

Colour statistics are left to the palette and lighting metrics: a colourfulness component
(Hasler and Süsstrunk) was tried and dropped, because it moves with every palette, light
and framing change and took their flags (docs/governance.md).

Only scored when the board has a style anchor. Heuristics: thresholds come from the batch
and the anchors (calibration).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from canvas.governance.metrics.image import FloatArray, Prepared
from canvas.governance.metrics.result import Component, MetricScore, closest

BANDS = (0.7, 1.4, 2.8, 5.6)  # Gaussian σ (px at DETAIL_SIZE) bounding the band-pass layers
EPSILON = 0.005  # added to the mean |band| (ln luminance) before the log: below, no texture
DARK = 0.05  # offset of the log (luma / median): noise in near-black pixels does not explode
CLIPPED = (0.02, 0.98)  # luma outside this range is crushed or clipped: no medium shows
TEXTURE_SCALE = math.log(2.0)  # twice (or half) the texture energy in every band ≈ 1
ORIENTATIONS = 8
STROKE_SCALE = 0.5  # Hellinger distance


@dataclass(frozen=True)
class StyleFeatures:
    energy: tuple[float, ...]  # ln(mean |band| + ε), fine to coarse
    orientation: FloatArray  # magnitude-weighted orientation histogram, sums to 1
    textured: float  # 0–1: how far above ε the finest band is (confidence in orientation)


def _surface(grey: FloatArray) -> np.ndarray:
    """Pixels away from the layout's outlines and not clipped: where the medium shows."""
    smooth = cv2.GaussianBlur(grey, (0, 0), 2.5)
    edges = cv2.Canny(np.clip(smooth * 255, 0, 255).astype(np.uint8), 20, 50)
    near = cv2.dilate(edges, np.ones((7, 7), np.uint8))
    extreme = ((grey <= CLIPPED[0]) | (grey >= CLIPPED[1])).astype(np.uint8)
    clipped = cv2.dilate(extreme, np.ones((3, 3), np.uint8))
    surface = (np.asarray(near) == 0) & (np.asarray(clipped) == 0)
    if surface.sum() > 0.05 * surface.size:
        return surface
    open_ = np.asarray(near) == 0
    return open_ if open_.sum() > 0.05 * open_.size else np.ones_like(surface)


def features(image: Prepared) -> StyleFeatures:
    grey = image.detail if image.detail is not None else image.lightness / 100.0
    grey = np.asarray(grey, dtype=np.float32)
    surface = _surface(grey)
    # Relative to the image's own median brightness: an exposure change is not a texture.
    middle = max(float(np.median(grey[surface])), 0.05)
    shade = np.log(grey / middle + DARK).astype(np.float32)
    layers = [cv2.GaussianBlur(shade, (0, 0), sigma) for sigma in BANDS]
    energy = tuple(
        float(math.log(float(np.abs(fine - coarse)[surface].mean()) + EPSILON))
        for fine, coarse in itertools.pairwise(layers)
    )
    marks = shade - layers[1]
    gx = cv2.Sobel(marks, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(marks, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)[surface]
    angle = np.mod(np.arctan2(gy, gx)[surface], np.pi)
    histogram = np.bincount(
        np.minimum((angle / np.pi * ORIENTATIONS).astype(int), ORIENTATIONS - 1),
        weights=magnitude,
        minlength=ORIENTATIONS,
    )
    total = float(histogram.sum())
    orientation = histogram / total if total > 1e-9 else np.full(ORIENTATIONS, 1 / ORIENTATIONS)
    textured = min(1.0, max(0.0, (math.exp(energy[0]) - EPSILON) / (2 * EPSILON)))
    return StyleFeatures(energy, orientation, textured)


def _hellinger(p: FloatArray, q: FloatArray) -> float:
    return float(math.sqrt(max(0.0, 1.0 - float(np.sqrt(p * q).sum()))))


_DIRECTIONS = ["across", "diagonal (rising)", "up and down", "diagonal (falling)"]


def _direction(histogram: FloatArray) -> str:
    # Gradients run across the marks: a mark's own direction is the gradient's + 90°.
    folded = histogram.reshape(4, 2).sum(axis=1)
    return _DIRECTIONS[(int(np.argmax(folded)) + 2) % 4]


def _compare_one(image: StyleFeatures, anchor: StyleFeatures) -> list[Component]:
    gap = np.array(image.energy) - np.array(anchor.energy)
    # A medium's texture lives in one band (fine grain, a hatching's pitch): the band that
    # moved most speaks, rather than an average that dilutes it.
    widest = int(np.argmax(np.abs(gap)))
    texture = abs(float(gap[widest]))
    stronger = float(gap[widest]) > 0
    confidence = min(image.textured, anchor.textured)
    strokes = _hellinger(image.orientation, anchor.orientation) * confidence
    return [
        Component(
            "texture",
            texture / TEXTURE_SCALE,
            f"The surface is {'more textured' if stronger else 'smoother'} than the style "
            f"anchor's (grain, paper, hatching or brush marks "
            f"{math.exp(texture):.1f}× {'stronger' if stronger else 'weaker'}).",
            {"energy": [round(e, 3) for e in image.energy].__str__()},
        ),
        Component(
            "strokes",
            strokes / STROKE_SCALE,
            f"The marks run {_direction(image.orientation)}; the style anchor's run "
            f"{_direction(anchor.orientation)}.",
            {"hellinger": round(strokes, 3)},
        ),
    ]


def compare(image: StyleFeatures, anchors: Sequence[StyleFeatures]) -> MetricScore:
    """Components against the closest style anchor; score = exp(−largest distance)."""
    if not anchors:
        raise ValueError("A style score needs at least one style anchor.")
    return closest("style", (_compare_one(image, anchor) for anchor in anchors))
