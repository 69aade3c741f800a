"""Pixel helpers the export writers share: RGBA arrays at 8 or 16 bits, the sRGB profile.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageCms

PixelSource = Image.Image | np.ndarray


def rgba_array(pixels: PixelSource) -> np.ndarray:
    """``pixels`` as an H×W×4 ``uint8`` or ``uint16`` RGBA array (arrays keep their depth).

    A PIL image is converted to RGBA (8 bits); an array must be H×W×3 or H×W×4 of
    ``uint8``/``uint16`` (a missing alpha is opaque).
    """
    if isinstance(pixels, Image.Image):
        image = pixels if pixels.mode == "RGBA" else pixels.convert("RGBA")
        return np.asarray(image)
    array = np.asarray(pixels)
    if array.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"pixel arrays must be uint8 or uint16, not {array.dtype}")
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"pixel arrays must be H×W×3 or H×W×4, not {array.shape}")
    if array.shape[2] == 3:
        opaque = np.full((*array.shape[:2], 1), np.iinfo(array.dtype).max, array.dtype)
        array = np.concatenate([array, opaque], axis=2)
    return array


def to_depth(array: np.ndarray, bits: int) -> np.ndarray:
    """An 8- or 16-bit array at ``bits`` per channel (widened ×257 or rounded down)."""
    if bits == 8:
        if array.dtype == np.uint8:
            return array
        return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if bits == 16:
        if array.dtype == np.uint16:
            return array
        return array.astype(np.uint16) * 257
    raise ValueError(f"bits per channel must be 8 or 16, not {bits}")


def to_float(array: np.ndarray) -> np.ndarray:
    """An 8- or 16-bit array as float32 in [0, 1]."""
    return array.astype(np.float32) / float(np.iinfo(array.dtype).max)


_SRGB: bytes | None = None


def srgb_profile() -> bytes:
    """The bytes of an sRGB ICC profile (LittleCMS's built-in sRGB, made once)."""
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _SRGB
