"""Palette: how much of the image's colour mass lies on the reference palette.

Recipe (docs/governance.md "Palette"): k-means (k = ``CLUSTERS``) over the image's CIELAB
pixels gives its dominant colours weighted by area; each is matched to the nearest
reference colour by CIEDE2000 (scikit-image ``deltaE_ciede2000``, reference first); the
score is the area share within ``TOLERANCE``, fading linearly to 0 at twice the tolerance.

Lightness is weighted half (``kL = 2``, the "textiles" setting of CIEDE2000): shading
moves a surface's L* across a photograph while its hue and chroma stay, and exposure is
the lighting metric's business, not the palette's.

Reference colours come from palette anchors (their own k-means centres, heavier ones
first) and, later, from a brand kit's named colours (``ReferenceColour`` with the kit's
own tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, lab2rgb

from canvas.governance.metrics.image import FloatArray, Prepared
from canvas.governance.metrics.result import Component, MetricScore

CLUSTERS = 6
SAMPLE = 2048  # pixels fed to k-means; a stride sample keeps it deterministic
TOLERANCE = 8.0  # ΔE00 (kL = 2) within which a colour counts as on-palette
LIGHTNESS_WEIGHT = 2.0  # CIEDE2000 kL
MIN_REFERENCE_SHARE = 0.02  # anchor colours covering less than this are not "the palette"


@dataclass(frozen=True)
class PaletteFeatures:
    """Dominant colours (CIELAB) and the share of the image each covers (sums to 1)."""

    centres: FloatArray
    weights: FloatArray


@dataclass(frozen=True)
class ReferenceColour:
    """A colour the palette allows, with the ΔE00 tolerance around it."""

    lab: tuple[float, float, float]
    tolerance: float = TOLERANCE
    name: str = ""


def features(image: Prepared) -> PaletteFeatures:
    pixels = image.lab.reshape(-1, 3).astype(np.float32)
    step = max(1, len(pixels) // SAMPLE)
    sample = np.ascontiguousarray(pixels[::step])
    k = min(CLUSTERS, len(np.unique(sample.round(0), axis=0)))
    if k < 2:
        return PaletteFeatures(sample.mean(axis=0, keepdims=True).astype(np.float64), np.ones(1))
    cv2.setRNGSeed(7)  # the same image always gets the same palette
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 0.5)
    _, labels, centres = cv2.kmeans(  # type: ignore[call-overload]  # stubs lack bestLabels=None
        sample, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS
    )
    counts = np.bincount(labels.ravel(), minlength=k).astype(np.float64)
    order = np.argsort(-counts)
    return PaletteFeatures(centres[order].astype(np.float64), counts[order] / counts.sum())


def reference_colours(anchors: Sequence[PaletteFeatures]) -> list[ReferenceColour]:
    """The palette an anchor set shows: every dominant colour covering a real share of it."""
    colours: list[ReferenceColour] = []
    for anchor in anchors:
        for centre, weight in zip(anchor.centres, anchor.weights, strict=True):
            if weight >= MIN_REFERENCE_SHARE:
                colours.append(ReferenceColour(lab=(centre[0], centre[1], centre[2])))
    return colours


def hex_colour(lab: Sequence[float]) -> str:
    rgb = lab2rgb(np.asarray(lab, dtype=np.float64).reshape(1, 1, 3)).reshape(3)
    r, g, b = (round(float(v) * 255) for v in np.clip(rgb, 0, 1))
    return f"#{r:02X}{g:02X}{b:02X}"


def adapt(centres: FloatArray, cast: Sequence[float]) -> FloatArray:
    """Remove the light's common cast (lighting.common_shift: a*, b*) from Lab colours.

    The palette is judged on the surfaces' colours; the colour of the light is reported
    once, by the lighting metric.
    """
    adapted = centres.copy()
    adapted[:, 1] -= cast[0]
    adapted[:, 2] -= cast[1]
    return adapted


def compare(
    image: PaletteFeatures,
    palette: Sequence[ReferenceColour],
    cast: Sequence[float] | None = None,
) -> MetricScore:
    """Share of the image's colour mass within tolerance of the reference palette.

    ``cast`` = the light's (a*, b*) cast against the lighting anchor: discounted first.
    """
    if not palette:
        raise ValueError("A palette score needs at least one reference colour.")
    if cast is not None:
        image = PaletteFeatures(adapt(image.centres, cast), image.weights)
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
    rows = np.arange(len(image.centres))
    ratio = relative[rows, nearest]
    on_palette = np.clip(2.0 - ratio, 0.0, 1.0)  # 1 within tolerance, 0 at twice it
    score = float((image.weights * on_palette).sum())
    off_mass = 1.0 - score
    # The distance calibration thresholds: the mass-weighted ΔE00 *beyond* the tolerance of
    # the nearest palette colour, in tolerances. Colours within tolerance add nothing (small
    # hue and exposure changes stay quiet); unlike the share it does not saturate, so a batch
    # that sits a little off a swatch card (a warm campaign light) still shows a further drift.
    distance = float((image.weights * np.maximum(ratio - 1.0, 0.0)).sum())
    worst = int(np.argmax(image.weights * np.maximum(ratio - 1.0, 0.0)))
    worst_delta = float(delta[worst, nearest[worst]])
    detail: dict[str, float | str] = {
        "off_palette_share": round(off_mass, 4),
        "mean_delta_e": round(float((image.weights * delta[rows, nearest]).sum()), 2),
        "worst_colour": hex_colour(image.centres[worst]),
        "worst_delta_e": round(worst_delta, 1),
        "nearest_palette_colour": hex_colour(refs[nearest[worst]]),
    }
    if off_mass < 0.005:
        message = "Every dominant colour is on the palette."
    else:
        message = (
            f"{off_mass:.0%} of the image is in colours off the palette, mainly "
            f"{detail['worst_colour']} (ΔE {worst_delta:.0f} from the nearest palette colour "
            f"{detail['nearest_palette_colour']})."
        )
    return MetricScore(
        metric="palette",
        score=round(score, 4),
        components=(Component("off_palette", distance, message, detail),),
    )
