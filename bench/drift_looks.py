"""More looks for the drift evaluation's scenes (bench/drift_scenes.py), added for the
untouched sets of the second round: a different generator from the first round's.

- **shapes**: a cone and a pill (capsule) beside the first round's five;
- **backdrops**: a vertical gradient (poster) or a wall meeting a floor (studio);
- **poster** look: flat colours with three cel tones and dark ink outlines;
- **studio** look: the photographic renderer plus a prop (a small ball in the accent
  colour), a floor, and JPEG compression;
- **textures** (what the style metric is for): paper fibres, pen hatching, halftone dots,
  woven canvas — each modulates brightness around 1, so the colours' means stay put.

Pure NumPy/OpenCV, deterministic for a given ``rng``.
"""

from __future__ import annotations

import cv2
import numpy as np

TEXTURES = ("none", "paper", "hatch", "halftone", "canvas")


def cone(dx, dy):
    """Mask, normals and label band of a cone standing on its base (apex up)."""
    width = np.clip(0.62 * (dy + 0.95) / 1.75, 1e-3, None)
    mask = (np.abs(dx) < width) & (dy > -0.95) & (dy < 0.8)
    nx = np.clip(dx / width, -1, 1) * 0.9
    ny = np.full_like(dx, -0.3)
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    band = mask & (dy > 0.3) & (dy < 0.5)
    return mask, nx, ny, nz, band


def pill(dx, dy):
    """Mask, normals and label band of a capsule lying across the frame."""
    radius, half = 0.36, 0.55
    along = np.clip(np.abs(dx) - half, 0, None) * np.sign(dx)
    r2 = along**2 + dy**2
    mask = r2 < radius**2
    nx = along / radius
    ny = dy / radius
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    band = mask & (np.abs(dx) < 0.18)
    return mask, nx, ny, nz, band


def backdrop(style: str, colour, u, v, light) -> np.ndarray:
    """The backdrop before the subject: plain colour, a gradient, or a wall and a floor."""
    base = np.array(colour)[None, None, :] * np.ones((*u.shape, 1))
    if style == "gradient":
        return base * (1.08 - 0.22 * v)[..., None]
    if style == "floor":
        floor = v > 0.72
        shade = np.where(floor, 0.82 + 0.1 * (v - 0.72) / 0.28, 1.0)
        along = (u - 0.5) * light[0]
        return base * (shade * (0.95 + 0.4 * along))[..., None]
    return base


def outline(image: np.ndarray, masks: list[np.ndarray], width: int, ink=(0.12, 0.1, 0.1)):
    """Dark ink lines along each subject's outline and its label band (poster look)."""
    lines = np.zeros(image.shape[:2], np.uint8)
    for mask in masks:
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
        )
        cv2.drawContours(lines, contours, -1, 1, width)
    return np.where(lines[..., None] > 0, np.array(ink)[None, None, :], image)


def cel(lambert: np.ndarray, ambient: float, tones: int) -> np.ndarray:
    """Cel shading in ``tones`` flat steps between the shadow and the lit tone."""
    if tones <= 2:
        return np.where(lambert > 0.55, 1.0, ambient + 0.25)
    return np.where(lambert > 0.7, 1.0, np.where(lambert > 0.35, 0.55 + ambient / 2, ambient + 0.1))


def texture(kind: str, size: int, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """A brightness modulation around 1 (size × size): the medium the image is drawn in."""
    if kind == "none":
        return np.ones((size, size))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    phase = rng.uniform(0, 2 * np.pi, 2)
    if kind == "paper":
        fibres = cv2.GaussianBlur(rng.normal(0, 1, (size, size)), (0, 0), 1.6)
        fibres /= max(float(fibres.std()), 1e-6)
        pattern = 0.07 * fibres
    elif kind == "hatch":
        pattern = 0.1 * np.sign(np.sin((xs + ys) * 2 * np.pi / 9 + phase[0]))
    elif kind == "halftone":
        pattern = (
            0.11 * np.cos(xs * 2 * np.pi / 8 + phase[0]) * np.cos(ys * 2 * np.pi / 8 + phase[1])
        )
    else:  # canvas: a woven grid
        weave = np.sin(xs * 2 * np.pi / 6 + phase[0]) * np.sign(
            np.sin(ys * 2 * np.pi / 12 + phase[1])
        )
        pattern = 0.06 * weave + 0.03 * rng.normal(0, 1, (size, size))
    return 1.0 + strength * pattern


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip an sRGB uint8 image through JPEG at ``quality``."""
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])
