"""Seeded variations of an image: small, reproducible shifts of hue, colour, light and crop.

The same image, seed and settings always give the same bytes: every random choice comes
from ``numpy.random.default_rng(seed)`` and every pixel operation is deterministic. A
variation never adds or removes content; it explores colour, light and framing around the
original. Must not import Django.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from assets.imageops.colour import Palette, image_lab, lab_image, map_to_palette
from assets.imageops.lighting import transfer_lighting


@dataclass(frozen=True)
class Jitter:
    """The random choices behind one variation; stored with the result for reproduction."""

    hue_degrees: float
    saturation: float  # multiplier of a/b
    exposure: float  # added to L (0–100 scale)
    contrast: float  # multiplier of L around its mean
    warmth: float  # added to b (positive = warmer)
    crop_zoom: float  # ≥ 1; 1 = no crop
    crop_x: float  # where the crop sits, 0–1 across the slack
    crop_y: float
    palette_strength: float  # pull toward the palette anchor, 0 if none
    lighting_strength: float  # pull toward the lighting anchor, 0 if none

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def jitter_for(seed: int, amount: float = 0.5, palette: bool = False, light: bool = False):
    """Draw a ``Jitter``; ``amount`` 0–1 scales how far variations stray."""
    rng = np.random.default_rng(seed)
    a = float(amount)
    return Jitter(
        hue_degrees=float(rng.uniform(-25, 25) * a),
        saturation=float(1 + rng.uniform(-0.35, 0.35) * a),
        exposure=float(rng.uniform(-8, 8) * a),
        contrast=float(1 + rng.uniform(-0.2, 0.2) * a),
        warmth=float(rng.uniform(-8, 8) * a),
        crop_zoom=float(1 + rng.uniform(0, 0.12) * a),
        crop_x=float(rng.uniform(0, 1)),
        crop_y=float(rng.uniform(0, 1)),
        palette_strength=float(rng.uniform(0.2, 0.8) * a) if palette else 0.0,
        lighting_strength=float(rng.uniform(0.2, 0.8) * a) if light else 0.0,
    )


def apply_jitter(
    image: Image.Image,
    jitter: Jitter,
    palette: Palette | None = None,
    lighting: Image.Image | None = None,
) -> Image.Image:
    image = image.convert("RGBA")
    if palette is not None and jitter.palette_strength > 0:
        image = map_to_palette(image, palette, jitter.palette_strength)
    if lighting is not None and jitter.lighting_strength > 0:
        image = transfer_lighting(image, lighting, jitter.lighting_strength)
    lab, alpha = image_lab(image)
    angle = math.radians(jitter.hue_degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    a, b = lab[..., 1].copy(), lab[..., 2].copy()
    lab[..., 1] = (a * cos - b * sin) * jitter.saturation
    lab[..., 2] = (a * sin + b * cos) * jitter.saturation + jitter.warmth
    mean_l = float(lab[..., 0].mean())
    lightness = (lab[..., 0] - mean_l) * jitter.contrast + mean_l + jitter.exposure
    lab[..., 0] = np.clip(lightness, 0, 100)
    out = lab_image(lab, alpha)
    return _crop(out, jitter)


def _crop(image: Image.Image, jitter: Jitter) -> Image.Image:
    if jitter.crop_zoom <= 1.0:
        return image
    w, h = image.size
    cw, ch = w / jitter.crop_zoom, h / jitter.crop_zoom
    left = (w - cw) * jitter.crop_x
    top = (h - ch) * jitter.crop_y
    box = (left, top, left + cw, top + ch)
    return image.resize((w, h), Image.Resampling.BICUBIC, box=box)


def vary(
    image: Image.Image,
    seed: int,
    amount: float = 0.5,
    palette: Palette | None = None,
    lighting: Image.Image | None = None,
) -> tuple[Image.Image, Jitter]:
    """One variation of ``image`` for ``seed``; returns it with the choices made."""
    jitter = jitter_for(seed, amount, palette is not None, lighting is not None)
    return apply_jitter(image, jitter, palette, lighting), jitter
