"""Colour management at 16 bits per channel, for the retouching exports (16-bit PNG, TIFF).

Pillow's ``ImageCms`` converts 8-bit modes only (Pillow has no 16-bit RGB mode), so a
16-bit Display P3 or Adobe RGB original converted through it would lose the 8 bits a
retoucher asked for. LittleCMS itself converts 16 bits per channel (``TYPE_RGB_16``); it is
called here through ``ctypes``, from the copy Pillow's wheel ships (``pillow.libs``, the
library ``ImageCms`` already loaded) or else the system's ``liblcms2.so.2``. Rows are
converted a band at a time into the output array, so memory stays at the image plus one
band. Where neither library can be found, ``to_srgb_16`` falls back to Pillow's 8-bit
conversion widened back to 16 bits, and says so (``Converted.exact`` is False).

Intent and flags match the 8-bit delivery path (``images.to_srgb``): relative colorimetric
with black-point compensation; colours outside sRGB are clipped to its gamut. Alpha is
copied untouched (straight alpha).

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import PIL
from PIL import Image, ImageCms

from assets.exports.pixels import srgb_profile

# lcms2.h: COLORSPACE_SH(PT_RGB = 4) | CHANNELS_SH(3) | BYTES_SH(2), native byte order.
TYPE_RGB_16 = (4 << 16) | (3 << 3) | 2
INTENT_RELATIVE_COLORIMETRIC = 1
FLAGS_BLACKPOINTCOMPENSATION = 0x2000
FLAGS_HIGHRESPRECALC = 0x0400  # a finer precalculated table (16-bit transforms use one)
BAND_ROWS = 256


@dataclass(frozen=True)
class Converted:
    """The converted pixels, and whether every one of their 16 bits went through LittleCMS
    (False: the 8-bit fallback, the source's low byte lost)."""

    pixels: np.ndarray
    exact: bool


class DeepColourError(ValueError):
    """A profile LittleCMS cannot use for an RGB transform (the message says why)."""


@functools.cache
def _lcms() -> ctypes.CDLL | None:
    """LittleCMS 2, with the signatures used here declared; None when not found."""
    candidates = sorted((Path(PIL.__file__).parent.parent / "pillow.libs").glob("liblcms2*"))
    system = ctypes.util.find_library("lcms2")
    for path in [*map(str, candidates), *([system] if system else [])]:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        void_p, uint32 = ctypes.c_void_p, ctypes.c_uint32
        library.cmsOpenProfileFromMem.argtypes = [ctypes.c_char_p, uint32]
        library.cmsOpenProfileFromMem.restype = void_p
        library.cmsCreateTransform.argtypes = [void_p, uint32, void_p, uint32, uint32, uint32]
        library.cmsCreateTransform.restype = void_p
        library.cmsDoTransform.argtypes = [void_p, void_p, void_p, uint32]
        library.cmsDoTransform.restype = None
        library.cmsDeleteTransform.argtypes = [void_p]
        library.cmsDeleteTransform.restype = None
        library.cmsCloseProfile.argtypes = [void_p]
        library.cmsCloseProfile.restype = ctypes.c_int
        return library
    return None


def lcms_available() -> bool:
    """True when 16-bit conversions go through LittleCMS (no 8-bit fallback)."""
    return _lcms() is not None


def to_srgb_16(array: np.ndarray, icc_profile: bytes) -> Converted:
    """An H×W×3 or H×W×4 ``uint16`` array in ``icc_profile``'s colours, as sRGB.

    A new array; the input is not changed. Raises ``DeepColourError`` for a profile that
    is not an RGB profile LittleCMS can open.
    """
    if array.dtype != np.uint16 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an H×W×3/4 uint16 array, not {array.dtype} {array.shape}")
    library = _lcms()
    if library is None:
        return Converted(_through_8_bits(array, icc_profile), exact=False)
    source = library.cmsOpenProfileFromMem(icc_profile, len(icc_profile))
    target_bytes = srgb_profile()
    target = library.cmsOpenProfileFromMem(target_bytes, len(target_bytes))
    transform = None
    try:
        if source:
            transform = library.cmsCreateTransform(
                source, TYPE_RGB_16, target, TYPE_RGB_16, INTENT_RELATIVE_COLORIMETRIC,
                FLAGS_BLACKPOINTCOMPENSATION | FLAGS_HIGHRESPRECALC,
            )  # fmt: skip
        if not transform:
            raise DeepColourError(
                "The image's ICC profile cannot convert RGB to sRGB (not an RGB profile, or "
                "damaged)."
            )
        out = array.copy()
        height, width = array.shape[:2]
        for start in range(0, height, BAND_ROWS):
            band = np.ascontiguousarray(array[start : start + BAND_ROWS, :, :3])
            converted = np.empty_like(band)
            library.cmsDoTransform(
                transform, band.ctypes.data, converted.ctypes.data, band.shape[0] * width
            )
            out[start : start + BAND_ROWS, :, :3] = converted
        return Converted(out, exact=True)
    finally:
        if transform:
            library.cmsDeleteTransform(transform)
        for profile in (source, target):
            if profile:
                library.cmsCloseProfile(profile)


def _through_8_bits(array: np.ndarray, icc_profile: bytes) -> np.ndarray:
    """The best Pillow alone can do: round to 8 bits, convert, widen back (×257)."""
    eight = ((array[..., :3].astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    converted = ImageCms.profileToProfile(
        Image.fromarray(eight, "RGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
        ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile())),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="RGB",
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    assert converted is not None
    out = array.copy()
    out[..., :3] = np.asarray(converted).astype(np.uint16) * 257
    return out
