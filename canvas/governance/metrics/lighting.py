"""Lighting: where the key light comes from, how hard it is, exposure and white balance.

Recipe (docs/governance.md "Lighting"), on CIE L*a*b*, with the frame split into the
backdrop (the border's colour) and the subject (what stands out from it):

- **direction**: a plane ``L* ≈ a + b·x + c·y`` fitted by least squares over the subject
  and, at half weight, over the backdrop: ``(b, c)`` points from the shadow side to the lit
  side, towards the key light. Coordinates are normalised to each region's own extent, so
  where the subject sits and how big it is do not matter.
- **contrast** (hardness): ``ln(Y90 / Y10)`` of relative luminance over the subject: a
  ratio of luminances cancels the surface's own lightness (Y = albedo × shading), so a
  dark product and a light one under the same light measure the same.
- **exposure** and **white balance**: a change of light moves *every* region the same
  way, a palette change moves one. So each is the *common* shift of the backdrop and the
  subject relative to the anchor's (L* for exposure, a*/b* for the cast): per axis, the
  smaller of the two shifts when they agree in sign, else none (a "minmod"). A new
  backdrop colour alone is the palette's business, not a lighting change.
  The cast is also said in kelvin (colour-science, McCamy's CCT of the shifted neutral).

Heuristics, not physics: thresholds come from the batch and the anchors (calibration),
never from absolute values.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from skimage.color import lab2xyz

from canvas.governance.metrics.image import FloatArray, Prepared, grid
from canvas.governance.metrics.result import Component, MetricScore

BACKDROP_WEIGHT = 0.5  # the backdrop's falloff counts half as much as the subject's shading
# Scales that turn each component into a distance of about 1 at a clearly visible change;
# calibration sets the actual thresholds from the batch.
ANGLE_SCALE = 90.0  # degrees
EXPOSURE_SCALE = 15.0  # L*
CONTRAST_SCALE = 0.5  # ln of the luminance ratio
WHITE_BALANCE_SCALE = 10.0  # a*b*


@dataclass(frozen=True)
class LightingFeatures:
    direction: tuple[float, float]  # unit vector towards the light, x right, y down
    strength: float  # L* change across the subject explained by the plane
    contrast: float  # ln(Y90 / Y10) over the subject
    backdrop: tuple[float, float, float]  # median L*a*b* of the border
    subject: tuple[float, float, float]  # median L*a*b* of the subject


def _plane_gradient(lightness: FloatArray, mask: np.ndarray, gx: FloatArray, gy: FloatArray):
    """Least-squares plane over ``mask`` in coordinates scaled to the mask's extent."""
    xs, ys, values = gx[mask], gy[mask], lightness[mask]
    if len(values) < 12:
        return np.zeros(2)
    xs = (xs - xs.mean()) / max(xs.std(), 1e-6)
    ys = (ys - ys.mean()) / max(ys.std(), 1e-6)
    design = np.column_stack([np.ones_like(xs), xs, ys])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return coef[1:]


def _words(direction: tuple[float, float], strength: float) -> str:
    if strength < 2.0:
        return "evenly, with no clear key light"
    angle = math.degrees(math.atan2(-direction[1], direction[0])) % 360
    names = ["the right", "the upper right", "above", "the upper left"]
    names += ["the left", "the lower left", "below", "the lower right"]
    return "from " + names[int(((angle + 22.5) % 360) // 45)]


def features(image: Prepared) -> LightingFeatures:
    lightness = cv2.GaussianBlur(image.lightness, (0, 0), 1.5)
    gx, gy = grid(image)
    subject = image.subject
    inside = _plane_gradient(lightness, subject, gx, gy)
    outside = _plane_gradient(lightness, ~subject, gx, gy) if (~subject).sum() > 50 else np.zeros(2)
    vector = inside + BACKDROP_WEIGHT * outside
    norm = float(np.hypot(*vector))
    direction = (float(vector[0] / norm), float(vector[1] / norm)) if norm > 1e-6 else (0.0, 0.0)
    luminance = ((lightness[subject] + 16.0) / 116.0) ** 3  # relative luminance Y from L*
    y10, y90 = np.percentile(luminance, [10, 90])
    centre = np.median(image.lab[subject], axis=0)
    return LightingFeatures(
        direction=direction,
        strength=norm,
        contrast=float(math.log(max(y90, 1e-4) / max(y10, 1e-4))),
        backdrop=(float(image.backdrop[0]), float(image.backdrop[1]), float(image.backdrop[2])),
        subject=(float(centre[0]), float(centre[1]), float(centre[2])),
    )


def common_shift(image: LightingFeatures, anchor: LightingFeatures) -> tuple[float, float, float]:
    """The L*, a*, b* shift backdrop and subject share (minmod per axis): the light's change."""
    shift = []
    for axis in range(3):
        back = image.backdrop[axis] - anchor.backdrop[axis]
        subj = image.subject[axis] - anchor.subject[axis]
        shift.append(math.copysign(min(abs(back), abs(subj)), back) if back * subj > 0 else 0.0)
    return (shift[0], shift[1], shift[2])


@functools.lru_cache(maxsize=1)
def _colour() -> Any:
    """colour-science, imported on first use: its import takes seconds and warns that
    matplotlib (its plotting extra) is absent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour

    return colour


def kelvin(a: float, b: float) -> float:
    """Correlated colour temperature of a neutral seen with cast (a*, b*) (D65 = 6504 K)."""
    colour = _colour()
    xyz = lab2xyz(np.array([[[70.0, a, b]]])).reshape(3)
    xy = xyz[:2] / max(float(xyz.sum()), 1e-9)
    return float(colour.temperature.xy_to_CCT(xy, method="McCamy 1992"))


def _angle_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    dot = max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1]))
    return math.degrees(math.acos(dot))


def _compare_one(image: LightingFeatures, anchor: LightingFeatures) -> list[Component]:
    # A direction only means something when both images have a visible key light.
    confidence = min(1.0, min(image.strength, anchor.strength) / 6.0)
    angle = _angle_between(image.direction, anchor.direction) * confidence
    d_lightness, d_a, d_b = common_shift(image, anchor)
    hardness = image.contrast - anchor.contrast
    cast = math.hypot(d_a, d_b)
    temperature = kelvin(d_a, d_b)
    here, there = _words(image.direction, image.strength), _words(anchor.direction, anchor.strength)
    return [
        Component(
            "direction",
            angle / ANGLE_SCALE,
            f"Lighting comes {here}; the anchor is lit {there}.",
            {"angle_degrees": round(angle, 1)},
        ),
        Component(
            "exposure",
            abs(d_lightness) / EXPOSURE_SCALE,
            f"The whole image is {'brighter' if d_lightness > 0 else 'darker'} than the "
            f"lighting anchor (backdrop and subject {abs(d_lightness):.0f} L* "
            f"{'up' if d_lightness > 0 else 'down'}).",
            {"lightness_shift": round(d_lightness, 1)},
        ),
        Component(
            "contrast",
            abs(hardness) / CONTRAST_SCALE,
            f"The light is {'harder, with deeper shadows' if hardness > 0 else 'flatter'} than "
            f"the anchor's (highlight-to-shadow ratio {math.exp(image.contrast):.1f}:1 vs "
            f"{math.exp(anchor.contrast):.1f}:1).",
            {
                "ratio": round(math.exp(image.contrast), 2),
                "anchor_ratio": round(math.exp(anchor.contrast), 2),
            },
        ),
        Component(
            "white_balance",
            cast / WHITE_BALANCE_SCALE,
            f"The light is {'warmer' if temperature < 6504 else 'cooler'} than the anchor's: "
            f"the whole image has a cast of about {temperature - 6504:+.0f} K.",
            {
                "cast_a": round(d_a, 1),
                "cast_b": round(d_b, 1),
                "kelvin_shift": round(temperature - 6504),
            },
        ),
    ]


def compare(image: LightingFeatures, anchors: Sequence[LightingFeatures]) -> MetricScore:
    """Components against the closest lighting anchor; score = exp(−largest distance)."""
    if not anchors:
        raise ValueError("A lighting score needs at least one lighting anchor.")
    best = min(
        (_compare_one(image, anchor) for anchor in anchors),
        key=lambda parts: max(c.distance for c in parts),
    )
    worst = max(c.distance for c in best)
    return MetricScore("lighting", round(math.exp(-worst), 4), tuple(best))
