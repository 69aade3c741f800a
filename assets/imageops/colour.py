"""Colour in CIELAB: statistics transfer, k-means palettes and mapping toward a palette.

Works on the RGB part of RGBA images and never touches alpha. Fully transparent pixels are
left out of every statistic so a region's empty corners do not drag colours toward black.
Everything is deterministic for a given seed. Must not import Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

_CHUNK = 1 << 20  # pixels per block when a full-size (n, k) distance matrix would be large


def split_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """(H×W×3 uint8 RGB, H×W uint8 alpha) of any PIL image."""
    rgba = np.asarray(image.convert("RGBA"))
    return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])


def join_alpha(rgb: np.ndarray, alpha: np.ndarray) -> Image.Image:
    return Image.fromarray(np.dstack([rgb, alpha]).astype(np.uint8), "RGBA")


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB → float32 CIELAB (L 0–100, a/b about ±128), D65."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """float32 CIELAB → uint8 sRGB, clipped to the gamut."""
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def image_lab(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """(CIELAB array, alpha array) of an image."""
    rgb, alpha = split_alpha(image)
    return rgb_to_lab(rgb), alpha


def lab_image(lab: np.ndarray, alpha: np.ndarray) -> Image.Image:
    return join_alpha(lab_to_rgb(lab), alpha)


def visible_pixels(lab: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(n, 3) Lab values of pixels that are not fully transparent (all, if none are)."""
    flat = lab.reshape(-1, 3)
    keep = alpha.reshape(-1) > 0
    return flat[keep] if keep.any() else flat


def lab_statistics(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of (n, 3) Lab pixels."""
    pixels = pixels.reshape(-1, 3).astype(np.float64)
    return pixels.mean(axis=0), pixels.std(axis=0)


def transfer_statistics(
    lab: np.ndarray,
    source_stats: tuple[np.ndarray, np.ndarray],
    target_stats: tuple[np.ndarray, np.ndarray],
    strength: float,
    channel_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    max_stretch: float = 4.0,
) -> np.ndarray:
    """Reinhard transfer: give ``lab`` the target mean/std, blended by ``strength``.

    The std ratio is kept within [1/max_stretch, max_stretch] per channel.
    """
    s_mean, s_std = source_stats
    t_mean, t_std = target_stats
    # A flat source (std 0) has no spread to stretch; only shift its mean.
    ratio = np.where(s_std > 1e-3, t_std / np.maximum(s_std, 1e-3), 1.0)
    # Limit how far contrast can be stretched so noise in a flat region is not amplified.
    ratio = np.clip(ratio, 1.0 / max_stretch, max_stretch)
    moved = (lab - s_mean) * ratio + t_mean
    weights = strength * np.asarray(channel_weights, dtype=np.float64)
    return (lab + (moved - lab) * weights).astype(np.float32)


def transfer_colour(image: Image.Image, reference: Image.Image, strength: float) -> Image.Image:
    """Colour-grade ``image`` toward ``reference``'s overall colour statistics."""
    lab, alpha = image_lab(image)
    ref_lab, ref_alpha = image_lab(reference)
    out = transfer_statistics(
        lab,
        lab_statistics(visible_pixels(lab, alpha)),
        lab_statistics(visible_pixels(ref_lab, ref_alpha)),
        strength,
    )
    return lab_image(out, alpha)


# --- Palettes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """Dominant colours in Lab with their share of the pixels, most common first."""

    lab: np.ndarray  # (k, 3) float32
    weights: np.ndarray  # (k,) sums to 1

    @property
    def rgb(self) -> list[tuple[int, int, int]]:
        rgb = lab_to_rgb(self.lab.reshape(1, -1, 3)).reshape(-1, 3)
        return [tuple(int(c) for c in row) for row in rgb]  # type: ignore[misc]

    def hex(self) -> list[str]:
        return ["#{:02x}{:02x}{:02x}".format(*c) for c in self.rgb]


def sample_pixels(pixels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(pixels) <= limit:
        return pixels
    rng = np.random.default_rng(seed)
    return pixels[rng.choice(len(pixels), size=limit, replace=False)]


def kmeans(
    pixels: np.ndarray, k: int, seed: int = 0, iterations: int = 15
) -> tuple[np.ndarray, np.ndarray]:
    """Plain Lloyd k-means with k-means++ seeding; returns (centres, counts)."""
    data = pixels.astype(np.float32)
    k = max(1, min(k, len(np.unique(data, axis=0))))
    rng = np.random.default_rng(seed)
    centres = [data[rng.integers(len(data))]]
    closest = ((data - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = float(closest.sum())
        if total <= 0:
            break
        pick = data[rng.choice(len(data), p=closest / total)]
        centres.append(pick)
        closest = np.minimum(closest, ((data - pick) ** 2).sum(axis=1))
    c = np.array(centres, dtype=np.float32)
    labels = np.zeros(len(data), dtype=np.int64)
    for _ in range(iterations):
        labels = _nearest(data, c)
        # An empty cluster keeps its centre rather than collapsing onto another.
        moved = np.array(
            [_centre(data, labels, j, c[j]) for j in range(len(c))],
            dtype=np.float32,
        )
        if np.allclose(moved, c, atol=0.05):
            c = moved
            break
        c = moved
    labels = _nearest(data, c)
    counts = np.bincount(labels, minlength=len(c)).astype(np.float64)
    return c, counts


def _centre(data: np.ndarray, labels: np.ndarray, j: int, fallback: np.ndarray) -> np.ndarray:
    members = data[labels == j]
    return members.mean(axis=0) if len(members) else fallback


def _squared_distances(block: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, k) squared Euclidean distances; |x|² − 2x·c + |c|² avoids an (n, k, 3) array."""
    d2 = (block * block).sum(axis=1, keepdims=True) - 2.0 * (block @ centres.T)
    d2 += (centres * centres).sum(axis=1)[None, :]
    return np.maximum(d2, 0.0)


def _nearest(data: np.ndarray, centres: np.ndarray) -> np.ndarray:
    out = np.empty(len(data), dtype=np.int64)
    for start in range(0, len(data), _CHUNK):
        block = data[start : start + _CHUNK]
        out[start : start + _CHUNK] = _squared_distances(block, centres).argmin(axis=1)
    return out


def extract_palette(
    images: Image.Image | list[Image.Image], k: int = 6, seed: int = 0, sample: int = 20_000
) -> Palette:
    """The ``k`` dominant colours of one or more images (visible pixels only)."""
    if isinstance(images, Image.Image):
        images = [images]
    parts = []
    for index, image in enumerate(images):
        lab, alpha = image_lab(image)
        parts.append(sample_pixels(visible_pixels(lab, alpha), sample, seed + index))
    pixels = sample_pixels(np.concatenate(parts), sample, seed)
    centres, counts = kmeans(pixels, k, seed)
    order = np.argsort(-counts, kind="stable")
    return Palette(lab=centres[order], weights=counts[order] / counts.sum())


def map_to_palette(
    image: Image.Image,
    palette: Palette,
    strength: float,
    softness: float = 18.0,
    lightness_weight: float = 0.5,
) -> Image.Image:
    """Pull every pixel toward the palette colours near it.

    The pull is decided on an edge-preserving smoothed copy and added to the real pixels:
    grain and texture stay as they are instead of each noisy pixel jumping to a different
    palette colour. Soft assignment (a Gaussian of the ΔE to each palette colour, width
    ``softness``) keeps areas between two palette colours from splitting into bands.
    Lightness moves only ``lightness_weight`` as far as colour so shading survives.
    """
    lab, alpha = image_lab(image)
    # Bilateral: smooths grain (ΔE well under sigmaColor) but not edges between areas.
    smooth = cv2.bilateralFilter(lab, d=7, sigmaColor=20.0, sigmaSpace=3.0)
    flat = smooth.reshape(-1, 3)
    shift = np.empty_like(flat)
    weights = np.array([lightness_weight, 1.0, 1.0], dtype=np.float32) * float(strength)
    centres = palette.lab.astype(np.float32)
    for start in range(0, len(flat), _CHUNK):
        block = flat[start : start + _CHUNK]
        d2 = _squared_distances(block, centres)
        d2 -= d2.min(axis=1, keepdims=True)  # stable exp: the nearest colour gets weight 1
        w = np.exp(d2 * np.float32(-1.0 / (2.0 * softness**2)))
        w /= w.sum(axis=1, keepdims=True)
        target = w @ centres
        shift[start : start + _CHUNK] = (target - block) * weights
    return lab_image(lab + shift.reshape(lab.shape), alpha)


def mean_delta_e_to_palette(image: Image.Image, palette: Palette) -> float:
    """Mean CIE76 ΔE from each visible pixel to its nearest palette colour."""
    lab, alpha = image_lab(image)
    pixels = visible_pixels(lab, alpha)
    total = 0.0
    for start in range(0, len(pixels), _CHUNK):
        block = pixels[start : start + _CHUNK].astype(np.float64)
        d2 = _squared_distances(block, palette.lab.astype(np.float64))
        total += float(np.sqrt(d2.min(axis=1)).sum())
    return total / max(1, len(pixels))
