"""Copies of stored images that carry pixels and nothing else (plus the ICC profile).

What a guest of a share link downloads is rebuilt here rather than "stripped": the first
frame is decoded, turned upright (the EXIF orientation is baked into the pixels, since the
EXIF goes), and a new image is made from the pixel buffer alone, with ``info`` reset to an
allow-list: the ICC profile (colour, not metadata) and the palette transparency (part of
the pixels). It is then encoded with explicit options only, so no Pillow plugin can carry
over EXIF, GPS, XMP, IPTC, comments, text chunks, TIFF tags or GIF extensions it read.
Dropping a field we did not know about is the default; keeping one needs a line here.

| stored | served | pixels |
| --- | --- | --- |
| JPEG | JPEG, quality 95, 4:4:4 | re-encoded: within a few levels per channel |
| PNG | PNG | identical (16-bit colour PNGs as 8-bit: Pillow decodes them so) |
| WebP | WebP lossless | identical to the decoded image |
| TIFF | TIFF, deflate | identical |
| GIF, AVIF, HEIC | PNG | identical (first frame of an animation) |

This module reads an opened original and writes a new file; it must not decide who gets
which copy (canvas.sharing.views does) or touch storage keys.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps

# Formats a copy is written in, by stored format: (Pillow format, extension, MIME type).
TARGETS = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
    "TIFF": ("TIFF", "tif", "image/tiff"),
}
FALLBACK = ("PNG", "png", "image/png")
# The only ``info`` entries a copy keeps.
KEPT_INFO = ("icc_profile", "transparency")
_MODES = {
    "JPEG": {"L", "RGB", "CMYK"},
    "PNG": {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"},
    "WEBP": {"RGB", "RGBA"},
}
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass
class CleanCopy:
    file: IO[bytes]  # positioned at 0; the caller closes it
    size: int
    mime_type: str
    extension: str


def pixels_only(image: Image.Image, icc_profile: bytes | None = None) -> Image.Image:
    """A new image with ``image``'s pixels (and palette) and only the allowed ``info``."""
    clean = image.copy()  # the pixel buffer and palette; no file, no EXIF/XMP/tag cache
    kept: dict[str | tuple[int, int], Any] = {
        key: image.info[key] for key in KEPT_INFO if key in image.info
    }
    if icc_profile:
        kept["icc_profile"] = icc_profile
    clean.info = kept
    return clean


def _fit_mode(image: Image.Image, fmt: str) -> Image.Image:
    allowed = _MODES.get(fmt)
    if allowed is None or image.mode in allowed:
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha and fmt != "JPEG" else "RGB")


def _options(fmt: str, icc_profile: bytes | None) -> dict[str, Any]:
    options: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt == "JPEG":
        options.update(quality=95, subsampling=0)
    elif fmt == "WEBP":
        options.update(lossless=True, exact=True)
    elif fmt == "TIFF":
        options.update(compression="tiff_deflate")
    return options


def clean_image(handle: IO[bytes], stored_format: str) -> tuple[Image.Image, str]:
    """The upright first frame of ``handle`` as a metadata-free image, and its target format."""
    fmt = TARGETS.get(stored_format.upper(), FALLBACK)[0]
    with Image.open(handle, formats=[stored_format.upper()]) as image:
        image.seek(0)
        icc = image.info.get("icc_profile") or None
        upright = ImageOps.exif_transpose(image) or image
        clean = pixels_only(_fit_mode(upright, fmt), icc)
    return clean, fmt


def clean_copy(handle: IO[bytes], stored_format: str) -> CleanCopy:
    """Write the metadata-free copy of an original to a temporary file (see module doc)."""
    clean, fmt = clean_image(handle, stored_format)
    _, extension, mime = TARGETS.get(stored_format.upper(), FALLBACK)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (caller closes)
    try:
        clean.save(out, fmt, **_options(fmt, clean.info.get("icc_profile")))
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return CleanCopy(out, size, mime, extension)
