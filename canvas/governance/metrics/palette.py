"""Palette: how much of the subject's and of the backdrop's colour lies on the palette.

Recipe (docs/governance.md "Palette"): k-means over CIELAB pixels gives the dominant
colours weighted by area — separately for the subject (``SUBJECT_CLUSTERS``) and for the
backdrop (``BACKDROP_CLUSTERS``), so a product recoloured on an unchanged backdrop is not
diluted by the backdrop's area; each colour is matched to the nearest reference colour by
CIEDE2000 (scikit-image ``deltaE_ciede2000``, reference first); the score is the area
share within ``TOLERANCE``, fading linearly to 0 at twice the tolerance.

Lightness is weighted half (``kL = 2``, the "textiles" setting of CIEDE2000): shading
moves a surface's L* across a photograph while its hue and chroma stay, and exposure is
the lighting metric's business, not the palette's.

Reference colours come from palette anchors (their own k-means centres) and from a brand
kit's named colours (``ReferenceColour`` with the kit's own tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, lab2rgb, lab2xyz, xyz2lab
from skimage.color.colorconv import rgb_from_xyz, xyz_from_rgb

from canvas.governance.metrics.image import FloatArray, Prepared, distinct
from canvas.governance.metrics.result import Component, MetricScore

SUBJECT_CLUSTERS = 4
BACKDROP_CLUSTERS = 3
SAMPLE = 1024  # pixels per region fed to k-means; a stride sample keeps it deterministic
TOLERANCE = 8.0  # ΔE00 (kL = 2) within which a colour counts as on-palette
LIGHTNESS_WEIGHT = 2.0  # CIEDE2000 kL
MIN_REFERENCE_SHARE = 0.02  # anchor colours covering less than this are not "the palette"
MIN_REGION_SHARE = 0.03  # a region smaller than this share of the frame is not judged alone
SUBJECT, BACKDROP = 1, 0
REGION_NAMES = {SUBJECT: "subject", BACKDROP: "backdrop"}


@dataclass(frozen=True)
class PaletteFeatures:
    """Dominant colours (CIELAB), the share of the image each covers (sums to 1) and the
    region each belongs to (``SUBJECT`` or ``BACKDROP``; all subject when not given)."""

    centres: FloatArray
    weights: FloatArray
    regions: FloatArray | None = None

    def region_of(self) -> FloatArray:
        if self.regions is None:
            return np.full(len(self.weights), SUBJECT)
        return self.regions


@dataclass(frozen=True)
class ReferenceColour:
    """A colour the palette allows, with the ΔE00 tolerance around it."""

    lab: tuple[float, float, float]
    tolerance: float = TOLERANCE
    name: str = ""


def _clusters(pixels: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """k-means centres of ``pixels`` (N × 3 Lab) and the share of the pixels each holds."""
    step = max(1, len(pixels) // SAMPLE)
    sample = np.ascontiguousarray(pixels[::step].astype(np.float32))
    k = min(k, distinct(sample, 1.0))
    if k < 2:
        return sample.mean(axis=0, keepdims=True).astype(np.float64), np.ones(1)
    cv2.setRNGSeed(7)  # the same image always gets the same palette
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 0.5)
    _, labels, centres = cv2.kmeans(  # type: ignore[call-overload]  # stubs lack bestLabels=None
        sample, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS
    )
    counts = np.bincount(labels.ravel(), minlength=k).astype(np.float64)
    order = np.argsort(-counts)
    return centres[order].astype(np.float64), counts[order] / counts.sum()


def features(image: Prepared) -> PaletteFeatures:
    pixels = image.lab.reshape(-1, 3)
    subject = image.subject.ravel()
    share = float(subject.mean())
    if share >= 1.0 - MIN_REGION_SHARE or share < MIN_REGION_SHARE:
        centres, weights = _clusters(pixels, SUBJECT_CLUSTERS + BACKDROP_CLUSTERS - 1)
        return PaletteFeatures(centres, weights, np.full(len(weights), SUBJECT))
    inside, inside_w = _clusters(pixels[subject], SUBJECT_CLUSTERS)
    outside, outside_w = _clusters(pixels[~subject], BACKDROP_CLUSTERS)
    return PaletteFeatures(
        np.concatenate([inside, outside]),
        np.concatenate([inside_w * share, outside_w * (1.0 - share)]),
        np.concatenate([np.full(len(inside), SUBJECT), np.full(len(outside), BACKDROP)]),
    )


def reference_colours(anchors: Sequence[PaletteFeatures]) -> list[ReferenceColour]:
    """The palette an anchor set shows: every dominant colour covering a real share of it
    (of the frame, or of its own region: a small product's colours count)."""
    colours: list[ReferenceColour] = []
    for anchor in anchors:
        regions = anchor.region_of()
        for centre, weight, region in zip(anchor.centres, anchor.weights, regions, strict=True):
            region_share = float(anchor.weights[regions == region].sum())
            if weight >= MIN_REFERENCE_SHARE or weight >= 0.1 * region_share:
                colours.append(ReferenceColour(lab=(centre[0], centre[1], centre[2])))
    return colours


def hex_colour(lab: Sequence[float]) -> str:
    rgb = lab2rgb(np.asarray(lab, dtype=np.float64).reshape(1, 1, 3)).reshape(3)
    r, g, b = (round(float(v) * 255) for v in np.clip(rgb, 0, 1))
    return f"#{r:02X}{g:02X}{b:02X}"


def adapt(centres: FloatArray, gains: Sequence[float]) -> FloatArray:
    """Undo the light's change (``lighting.LightChange.gains``: linear RGB multipliers).

    The palette is judged on the surfaces' colours; the colour and strength of the light
    are reported once, by the lighting metric (von Kries: divide each channel by its gain).
    """
    linear = lab2xyz(centres.reshape(1, -1, 3)).reshape(-1, 3) @ rgb_from_xyz.T
    linear = np.clip(linear / np.asarray(gains, dtype=np.float64), 0.0, None)
    return np.asarray(xyz2lab((linear @ xyz_from_rgb.T).reshape(1, -1, 3)).reshape(-1, 3))


def _region_component(
    region: int,
    image: PaletteFeatures,
    excess: FloatArray,
    delta: FloatArray,
    refs: FloatArray,
    nearest: FloatArray,
) -> Component | None:
    members = image.region_of() == region
    share = float(image.weights[members].sum())
    if share < MIN_REGION_SHARE:
        return None
    weights = np.where(members, image.weights / share, 0.0)
    # The distance calibration thresholds: the region's mass-weighted ΔE00 *beyond* the
    # tolerance of the nearest palette colour, in tolerances. Colours within tolerance add
    # nothing (small hue and exposure changes stay quiet); it does not saturate, so a batch
    # that sits a little off a swatch card still shows a further drift.
    distance = float((weights * excess).sum())
    off = float(weights[excess > 0].sum())
    worst = int(np.argmax(weights * excess))
    name = REGION_NAMES[region]
    detail: dict[str, float | str] = {
        "off_palette_share": round(off, 4),
        "region_share": round(share, 4),
        "worst_colour": hex_colour(image.centres[worst]),
        "worst_delta_e": round(float(delta[worst, nearest[worst]]), 1),
        "nearest_palette_colour": hex_colour(refs[nearest[worst]]),
    }
    if distance < 1e-3:
        message = f"Every dominant colour of the {name} is on the palette."
    else:
        message = (
            f"{off:.0%} of the {name} is in colours off the palette, mainly "
            f"{detail['worst_colour']} (ΔE {detail['worst_delta_e']:.0f} from the nearest "
            f"palette colour {detail['nearest_palette_colour']})."
        )
    return Component(name, distance, message, detail)


def compare(
    image: PaletteFeatures,
    palette: Sequence[ReferenceColour],
    light: Sequence[float] | None = None,
) -> MetricScore:
    """Share of the image's colour mass within tolerance of the reference palette; one
    component per region (subject, backdrop), each relative to that region's area.

    ``light`` = the light's linear RGB gains against the lighting anchor: undone first.
    """
    if not palette:
        raise ValueError("A palette score needs at least one reference colour.")
    if light is not None:
        image = PaletteFeatures(adapt(image.centres, light), image.weights, image.regions)
    refs = np.array([c.lab for c in palette], dtype=np.float64)
    tolerances = np.array([c.tolerance for c in palette], dtype=np.float64)
    # deltaE_ciede2000(reference, sample): every image colour against every palette colour.
    delta = deltaE_ciede2000(
        np.repeat(refs[None, :, :], len(image.centres), axis=0),
        np.repeat(image.centres[:, None, :], len(refs), axis=1),
        kL=LIGHTNESS_WEIGHT,
    )
    # Each image colour is judged against the palette colour it is closest to, relative to
    # that colour's tolerance (kit colours may be stricter than anchor colours).
    relative = delta / tolerances[None, :]
    nearest = np.argmin(relative, axis=1)
    ratio = relative[np.arange(len(image.centres)), nearest]
    on_palette = np.clip(2.0 - ratio, 0.0, 1.0)  # 1 within tolerance, 0 at twice it
    score = float((image.weights * on_palette).sum())
    excess = np.maximum(ratio - 1.0, 0.0)
    components = [
        found
        for region in (SUBJECT, BACKDROP)
        if (found := _region_component(region, image, excess, delta, refs, nearest))
    ]
    return MetricScore(metric="palette", score=round(score, 4), components=tuple(components))
