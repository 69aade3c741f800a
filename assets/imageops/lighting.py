"""Lighting transfer: give a region the anchor's large-scale light falloff and light colour.

Lighting here means the low-frequency part of lightness (where it is bright or dark across
the frame) plus the overall warm/cool cast. Detail, edges and texture of the source are
kept: only the smooth field is swapped. It cannot relight 3D form or move cast shadows;
that needs a generative engine. Must not import Django.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from assets.imageops.colour import image_lab, lab_image, lab_statistics, visible_pixels

GRID = 8  # cells along the long edge of the light field: coarse on purpose
FIELD_EDGE = 64  # the field is smoothed at this size; it has no detail to lose


def light_field(lightness: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The smooth brightness field of an L channel, resampled to ``size`` (w, h)."""
    h, w = lightness.shape
    scale = GRID / max(w, h)
    gw, gh = max(1, round(w * scale)), max(1, round(h * scale))
    coarse = cv2.resize(lightness, (gw, gh), interpolation=cv2.INTER_AREA)
    # Smooth at a small working size (cheap at any output size), then enlarge.
    work_scale = FIELD_EDGE / max(size)
    work = (max(1, round(size[0] * work_scale)), max(1, round(size[1] * work_scale)))
    field = cv2.resize(coarse, work, interpolation=cv2.INTER_LINEAR)
    sigma = FIELD_EDGE / (GRID * 2)
    field = cv2.GaussianBlur(field, (0, 0), sigmaX=sigma, sigmaY=sigma)
    return cv2.resize(field, size, interpolation=cv2.INTER_CUBIC)


def transfer_lighting(
    image: Image.Image,
    reference: Image.Image,
    strength: float,
    cast: float = 0.5,
    exposure: float = 0.5,
) -> Image.Image:
    """Replace ``image``'s light field by ``reference``'s, blended by ``strength``.

    The reference is stretched to the region's shape, so "light from the top left" in the
    anchor lands at the top left of the region whatever their sizes. ``cast`` is how much of
    the reference's warm/cool colour shift comes along (0 = lightness only); ``exposure``
    how much of its overall brightness level.
    """
    lab, alpha = image_lab(image)
    ref_lab, ref_alpha = image_lab(reference)
    size = (lab.shape[1], lab.shape[0])
    own = light_field(lab[..., 0], size)
    wanted = light_field(ref_lab[..., 0], size)
    src_mean, _ = lab_statistics(visible_pixels(lab, alpha))
    ref_mean, _ = lab_statistics(visible_pixels(ref_lab, ref_alpha))
    # The anchor's light *shape* comes over fully, its overall exposure only by
    # ``exposure``: a dusk reference should darken a region, not crush it to its level.
    wanted = (
        wanted - float(ref_mean[0]) + float(src_mean[0] + exposure * (ref_mean[0] - src_mean[0]))
    )
    out = lab.copy()
    out[..., 0] = lab[..., 0] + strength * (wanted - own)
    out[..., 1:] += (strength * cast * (ref_mean[1:] - src_mean[1:])).astype(np.float32)
    out[..., 0] = np.clip(out[..., 0], 0.0, 100.0)
    return lab_image(out, alpha)


def luminance_gradient(image: Image.Image) -> tuple[float, float]:
    """Direction of the overall brightness slope as (dx, dy) per 100 px of width/height.

    Positive dx: brighter toward the right; positive dy: brighter toward the bottom.
    """
    lab, _ = image_lab(image)
    lightness = lab[..., 0].astype(np.float64)
    h, w = lightness.shape
    xs = np.linspace(-0.5, 0.5, w)
    ys = np.linspace(-0.5, 0.5, h)
    cols = lightness.mean(axis=0)
    rows = lightness.mean(axis=1)
    dx = float(np.polyfit(xs, cols, 1)[0]) if w > 1 else 0.0
    dy = float(np.polyfit(ys, rows, 1)[0]) if h > 1 else 0.0
    return dx, dy
