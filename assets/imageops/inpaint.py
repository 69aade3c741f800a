"""Content-aware fill of a masked area from its surroundings (OpenCV Telea / Navier–Stokes).

This is diffusion inpainting: it continues the colours and soft gradients around the hole
inward. It works well for small objects, blemishes, wires and text on plain or smooth
backgrounds; on large holes over busy texture it smears. It does not invent objects or
repeat patterns. After the fill, the hole is colour-matched to the ring around it and given
grain like its surroundings so it does not look like a flat patch. Must not import Django.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from assets.imageops.colour import lab_to_rgb, rgb_to_lab, split_alpha

METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
WORK_EDGE = 1024  # fill at most this long an edge, then upsample the fill into the hole


def binary_mask(mask: Image.Image, grow_px: int = 2) -> np.ndarray:
    """uint8 0/255 mask of every pixel to fill, grown by ``grow_px``.

    Growing swallows the anti-aliased fringe of the object being removed, which would
    otherwise be copied inward as a halo.
    """
    m: np.ndarray = (np.asarray(mask.convert("L")) > 0).astype(np.uint8) * 255
    if grow_px > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow_px + 1, 2 * grow_px + 1))
        m = cv2.dilate(m, kernel)
    return m


def fill(
    image: Image.Image,
    mask: Image.Image,
    method: str = "telea",
    radius: int = 5,
    seed: int = 0,
    grain: bool = True,
    grow_px: int = 2,
) -> Image.Image:
    """``image`` with the masked area filled from around it; other pixels are untouched."""
    if method not in METHODS:
        raise ValueError(f"unknown inpaint method {method!r}")
    rgb, alpha = split_alpha(image)
    hole = binary_mask(mask, grow_px)
    if not hole.any():
        return image.convert("RGBA").copy()
    h, w = hole.shape
    scale = min(1.0, WORK_EDGE / max(w, h))
    filled_rgb = _inpaint(rgb, hole, METHODS[method], radius, scale)
    filled_alpha = _inpaint(alpha, hole, METHODS[method], radius, scale)
    inside = hole > 0
    filled_rgb = match_to_surroundings(filled_rgb, rgb, inside, seed=seed, grain=grain)
    out_rgb = np.where(inside[..., None], filled_rgb, rgb)
    out_alpha = np.where(inside, filled_alpha, alpha)
    return Image.fromarray(np.dstack([out_rgb, out_alpha]).astype(np.uint8), "RGBA")


def _inpaint(pixels: np.ndarray, hole: np.ndarray, flag: int, radius: int, scale: float):
    if scale >= 1.0:
        return cv2.inpaint(pixels, hole, radius, flag)
    h, w = hole.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    small_hole = (cv2.resize(hole, size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    small_filled = cv2.inpaint(small, small_hole * 255, max(1, round(radius * scale)), flag)
    return cv2.resize(small_filled, (w, h), interpolation=cv2.INTER_LINEAR)


def _ring(inside: np.ndarray, px: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return (cv2.dilate(inside.astype(np.uint8), kernel) > 0) & ~inside


def match_to_surroundings(
    filled: np.ndarray,
    original: np.ndarray,
    inside: np.ndarray,
    *,
    seed: int = 0,
    grain: bool = True,
) -> np.ndarray:
    """Shift the fill's mean Lab colour to its close surroundings; add matching grain.

    The mean is matched against a thin (4 px) ring, the pixels the fill was built from; a
    wider ring would drag in neighbouring areas (sky above a lawn). Only the mean: diffusion
    fill has almost no spread, and stretching it would amplify interpolation artefacts.
    Grain is measured per Lab channel on a wider (12 px) ring, for a steadier estimate, and
    synthesised with the job's seed so the patch is neither smoother nor noisier than
    around it.
    """
    near = _ring(inside, 4)
    if not near.any():
        return filled
    lab = rgb_to_lab(filled)
    around = rgb_to_lab(original)
    shift = around[near].mean(axis=0) - lab[inside].mean(axis=0)
    lab[inside] += shift.astype(np.float32)
    if grain:
        wide = _ring(inside, 12)
        rng = np.random.default_rng(seed)
        for channel in range(3):
            plane = around[..., channel]
            detail = plane - cv2.GaussianBlur(plane, (0, 0), 1.5)
            sigma = float(detail[wide].std())
            if sigma < 1e-3:
                continue
            noise: np.ndarray = rng.normal(0.0, 1.0, size=inside.shape).astype(np.float32)
            # The same light blur the measurement used, then scaled to the measured spread.
            noise = noise - cv2.GaussianBlur(noise, (0, 0), 1.5)
            noise *= sigma / max(float(noise.std()), 1e-6)
            lab[..., channel] += np.where(inside, noise, 0.0).astype(np.float32)
    lab[..., 0] = np.clip(lab[..., 0], 0.0, 100.0)
    return lab_to_rgb(lab)
