"""Lighting: where the key light comes from, how hard it is, exposure and white balance.

Recipe (docs/governance.md "Lighting"), with the frame split into the backdrop (the
border's colour) and the subject (what stands out from it):

- **direction**: a plane ``L* ≈ a + b·x + c·y`` fitted by least squares over the subject
  and, at half weight, over the backdrop: ``(b, c)`` points from the shadow side to the lit
  side, towards the key light. Coordinates are normalised to each region's own extent, so
  where the subject sits and how big it is do not matter.
- **contrast** (hardness): ``ln(Y90 / Y10)`` of relative luminance *within each surface
  colour* of the subject, averaged by area. Surfaces are told apart by their chromaticity
  (r, g of linear RGB over their sum), which shading does not change (Y = albedo ×
  shading), so a label band next to a bottle's body, or a product recoloured, does not
  count as shadow: only the light's shading does. Cel-shaded illustrations get their
  lit-to-shadow tone ratio per colour.
- **exposure** and **white balance**: a change of light multiplies every surface's linear
  RGB by the same gains (von Kries), a palette change alters one surface. So each region's
  gains against the anchor's (medians of linear RGB) are compared, and only what backdrop
  and subject *share* counts (per component the smaller of the two when they agree in
  sign, else none: a "minmod"). Exposure is the shared change of ln Y (said in stops),
  white balance the shared change of ln(R/G) and ln(B/G) (said in kelvin, colour-science's
  McCamy CCT of a grey under the new light). A backdrop clipped to white cannot show an
  exposure rise: then the subject's rise counts alone if its own colour did not change.

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
from skimage.color.colorconv import xyz_from_rgb

from canvas.governance.metrics.image import FloatArray, Prepared, distinct, grid
from canvas.governance.metrics.result import Component, MetricScore, closest

BACKDROP_WEIGHT = 0.5  # the backdrop's falloff counts half as much as the subject's shading
# Scales that turn each component into a distance of about 1 at a clearly visible change;
# calibration sets the actual thresholds from the batch.
ANGLE_SCALE = 90.0  # degrees
EXPOSURE_SCALE = 0.35  # ln Y: half a stop
CONTRAST_SCALE = 0.5  # ln of the luminance ratio
WHITE_BALANCE_SCALE = 0.3  # ln of the R/G, B/G ratios (6,500 K against 3,500 K ≈ 1.6)
SURFACES = 3  # chromaticity clusters of the subject for the contrast
MIN_SURFACE_SHARE = 0.12  # a surface smaller than this share of the subject has no say
CLIPPED = 0.95  # linear value of a channel at which the backdrop counts as clipped
STEADY_COLOUR = 0.12  # ln-chromaticity change below which a surface kept its colour
SAMPLE = 1024
EPS = 1e-3


@dataclass(frozen=True)
class LightingFeatures:
    direction: tuple[float, float]  # unit vector towards the light, x right, y down
    strength: float  # L* change across the subject explained by the plane
    contrast: float  # area-weighted ln(Y90 / Y10) within each of the subject's surfaces
    backdrop: tuple[float, float, float]  # median linear RGB of the border
    subject: tuple[float, float, float]  # median linear RGB of the subject


@dataclass(frozen=True)
class LightChange:
    """What backdrop and subject share of their change against an anchor: the light's."""

    exposure: float  # ln of the luminance gain
    chroma: tuple[float, float]  # change of ln(R/G) and ln(B/G)

    @property
    def gains(self) -> tuple[float, float, float]:
        """Linear RGB multipliers of the change, at the luminance gain ``exp(exposure)``."""
        rgb = np.exp(np.array([self.chroma[0], 0.0, self.chroma[1]]))
        rgb /= float(xyz_from_rgb[1] @ rgb)  # unit luminance, then the exposure on top
        rgb *= math.exp(self.exposure)
        return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


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


def _log_ratio(luminance: FloatArray) -> float:
    y10, y90 = np.percentile(luminance, [10, 90])
    return float(math.log(max(y90, 1e-4) / max(y10, 1e-4)))


def surface_contrast(linear: FloatArray, luminance: FloatArray) -> float:
    """Area-weighted ``ln(Y90 / Y10)`` within each surface colour (chromaticity cluster)."""
    total = linear.sum(axis=1)
    lit = total > 0.02  # chromaticity of near-black pixels is noise
    if lit.sum() < 24:
        return _log_ratio(luminance)
    chroma = (linear[lit, :2] / total[lit, None]).astype(np.float32)
    step = max(1, len(chroma) // SAMPLE)
    sample = np.ascontiguousarray(chroma[::step])
    k = min(SURFACES, distinct(sample, 0.01))
    if k < 2:
        return _log_ratio(luminance[lit])
    cv2.setRNGSeed(11)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1e-3)
    _, _, centres = cv2.kmeans(  # type: ignore[call-overload]  # stubs lack bestLabels=None
        sample, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS
    )
    labels = np.argmin(((chroma[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    values, weights = [], []
    for cluster in range(k):
        members = labels == cluster
        share = float(members.mean())
        if share >= MIN_SURFACE_SHARE and members.sum() >= 12:
            values.append(_log_ratio(luminance[lit][members]))
            weights.append(share)
    if not values:
        return _log_ratio(luminance[lit])
    return float(np.average(values, weights=weights))


def features(image: Prepared) -> LightingFeatures:
    lightness = cv2.GaussianBlur(image.lightness, (0, 0), 1.5)
    gx, gy = grid(image)
    subject = image.subject
    inside = _plane_gradient(lightness, subject, gx, gy)
    outside = _plane_gradient(lightness, ~subject, gx, gy) if (~subject).sum() > 50 else np.zeros(2)
    vector = inside + BACKDROP_WEIGHT * outside
    norm = float(np.hypot(*vector))
    direction = (float(vector[0] / norm), float(vector[1] / norm)) if norm > 1e-6 else (0.0, 0.0)
    linear = np.clip(cv2.GaussianBlur(image.linear, (0, 0), 1.0), 0.0, None)
    luminance = np.clip(cv2.GaussianBlur(image.xyz[..., 1], (0, 0), 1.5), 0.0, None)
    contrast = surface_contrast(linear[subject], luminance[subject])
    border = image.border_mask & ~subject
    if border.sum() < 24:
        border = image.border_mask
    subject_rgb = np.median(linear[subject], axis=0)
    backdrop_rgb = np.median(linear[border], axis=0)
    return LightingFeatures(
        direction=direction,
        strength=norm,
        contrast=contrast,
        backdrop=(float(backdrop_rgb[0]), float(backdrop_rgb[1]), float(backdrop_rgb[2])),
        subject=(float(subject_rgb[0]), float(subject_rgb[1]), float(subject_rgb[2])),
    )


def _minmod(a: float, b: float) -> float:
    return math.copysign(min(abs(a), abs(b)), a) if a * b > 0 else 0.0


def _change(image: Sequence[float], anchor: Sequence[float]) -> tuple[float, float, float]:
    """ln of the luminance gain and the ln-chromaticity changes (R/G, B/G) of one region."""
    gains = [math.log(max(i, EPS) / max(a, EPS)) for i, a in zip(image, anchor, strict=True)]
    lum = math.log(
        max(float(xyz_from_rgb[1] @ np.asarray(image)), EPS)
        / max(float(xyz_from_rgb[1] @ np.asarray(anchor)), EPS)
    )
    return lum, gains[0] - gains[1], gains[2] - gains[1]


def light_change(image: LightingFeatures, anchor: LightingFeatures) -> LightChange:
    """The change backdrop and subject share against ``anchor`` (minmod per component)."""
    back = _change(image.backdrop, anchor.backdrop)
    subj = _change(image.subject, anchor.subject)
    exposure = _minmod(back[0], subj[0])
    # A backdrop at white cannot get brighter: the subject's rise speaks alone, if the
    # subject kept its colour (a recoloured subject is the palette's business).
    clipped = max(image.backdrop) >= CLIPPED and max(anchor.backdrop) >= CLIPPED * 0.8
    if clipped and subj[0] > back[0] >= -0.05 and math.hypot(subj[1], subj[2]) < STEADY_COLOUR:
        exposure = subj[0]
    return LightChange(exposure, (_minmod(back[1], subj[1]), _minmod(back[2], subj[2])))


@functools.lru_cache(maxsize=1)
def _colour() -> Any:
    """colour-science, imported on first use: its import takes seconds and warns that
    matplotlib (its plotting extra) is absent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour

    return colour


def kelvin(change: LightChange) -> float:
    """Correlated colour temperature of a D65 grey seen under the change (D65 = 6504 K)."""
    colour = _colour()
    xyz = xyz_from_rgb @ np.array(change.gains)
    xy = xyz[:2] / max(float(xyz.sum()), 1e-9)
    return float(colour.temperature.xy_to_CCT(xy, method="McCamy 1992"))


def _angle_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    dot = max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1]))
    return math.degrees(math.acos(dot))


def _compare_one(image: LightingFeatures, anchor: LightingFeatures) -> list[Component]:
    # A direction only means something when both images have a visible key light.
    confidence = min(1.0, min(image.strength, anchor.strength) / 6.0)
    angle = _angle_between(image.direction, anchor.direction) * confidence
    change = light_change(image, anchor)
    stops = change.exposure / math.log(2)
    hardness = image.contrast - anchor.contrast
    cast = math.hypot(*change.chroma)
    temperature = kelvin(change) if cast > 1e-4 else 6504.0
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
            abs(change.exposure) / EXPOSURE_SCALE,
            f"The whole image is {'brighter' if stops > 0 else 'darker'} than the lighting "
            f"anchor (backdrop and subject {abs(stops):.1f} stop{'s' if abs(stops) >= 1.5 else ''}"
            f" {'up' if stops > 0 else 'down'}).",
            {"stops": round(stops, 2)},
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
                "cast_red_green": round(change.chroma[0], 3),
                "cast_blue_green": round(change.chroma[1], 3),
                "kelvin_shift": round(temperature - 6504),
            },
        ),
    ]


def compare(image: LightingFeatures, anchors: Sequence[LightingFeatures]) -> MetricScore:
    """Components against the closest lighting anchor; score = exp(−largest distance)."""
    if not anchors:
        raise ValueError("A lighting score needs at least one lighting anchor.")
    return closest("lighting", (_compare_one(image, anchor) for anchor in anchors))
