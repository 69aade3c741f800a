"""Upscaling by ×2 or ×4: Lanczos resampling followed by an unsharp mask.

It makes pixels bigger and edges crisper; it cannot add detail that is not there (no
super-resolution model). Alpha is resampled but never sharpened, so cut-out edges do not
grow halos. Must not import Django.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

FACTORS = (2, 4)


def upscale(image: Image.Image, factor: int, sharpen: float = 1.0) -> Image.Image:
    """``image`` × ``factor`` (2 or 4), sharpened by ``sharpen`` (0 = plain Lanczos)."""
    if factor not in FACTORS:
        raise ValueError(f"upscale factor must be one of {FACTORS}, not {factor}")
    image = image.convert("RGBA")
    size = (image.width * factor, image.height * factor)
    # Pillow resizes RGBA on premultiplied colour, so transparent pixels do not bleed.
    big = image.resize(size, Image.Resampling.LANCZOS)
    if sharpen <= 0:
        return big
    rgb = big.convert("RGB")
    # Radius follows the factor: the blur to undo is about one source pixel wide.
    rgb = rgb.filter(
        ImageFilter.UnsharpMask(radius=0.6 * factor, percent=round(90 * sharpen), threshold=1)
    )
    rgb.putalpha(big.getchannel("A"))
    return rgb


def edge_sharpness(image: Image.Image) -> float:
    """Gradient energy (mean squared lightness step); larger = steeper, crisper edges.

    Squared, not absolute: a blurred edge spreads the same total step over more pixels,
    which leaves the sum of absolute steps unchanged but lowers the sum of squares.
    """
    grey = np.asarray(image.convert("L")).astype(np.float64)
    return float((np.diff(grey, axis=1) ** 2).mean() + (np.diff(grey, axis=0) ** 2).mean())
