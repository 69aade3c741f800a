"""WebP previews of a stored original, in sRGB and upright, at a few long-edge sizes.

The canvas draws the smallest preview that is sharp enough at the current zoom, so each
blob gets a pyramid at ``settings.ANCHORBOARD_DERIVATIVE_SIZES`` (long edge in pixels):
only the sizes smaller than the image, plus always the smallest one, and never upscaled.
Previews are what browsers display, so they are converted to sRGB through the embedded
ICC profile (browsers disagree about colour-managing untagged and CMYK images), turned
upright according to EXIF, and keep transparency.

``build_derivatives`` is idempotent: it may run twice or after a crash, and only its last
step (updating the Blob row) makes the previews visible. Rendering is pure
(``render_levels``); this module must not validate uploads or serve files.
"""

from __future__ import annotations

import io
import logging

import numpy as np
from django.conf import settings
from PIL import Image, ImageCms

from assets import storage
from assets.clean_copy import pixels_only
from assets.models import Blob, DerivativeState

logger = logging.getLogger(__name__)

WEBP_QUALITY = 82
# Encoder effort: on a 2048 px photo, method 4 took ~3x as long as 2 for files within
# a few percent of the size (bench/upload_bench.py); previews should appear quickly.
WEBP_METHOD = 2
_SRGB = ImageCms.createProfile("sRGB")
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def plan_levels(width: int, height: int, sizes: tuple[int, ...] | list[int]) -> list[int]:
    """The preview levels an image of this size gets: smaller than it, plus the smallest."""
    ordered = sorted(set(sizes))
    long_edge = max(width, height)
    levels = [size for size in ordered if size < long_edge]
    if ordered and ordered[0] not in levels:
        levels.insert(0, ordered[0])
    return levels


def level_size(width: int, height: int, level: int) -> tuple[int, int]:
    """Pixel size of ``level`` for an image of ``width`` × ``height`` (never upscaled)."""
    scale = min(1.0, level / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_8bit(image: Image.Image, bit_depth: int) -> Image.Image:
    """Scale 16/32-bit and float greyscale into 8 bits (Pillow's convert would clip)."""
    values = np.asarray(image)
    if image.mode == "F":
        peak = 1.0 if float(values.max(initial=0.0)) <= 1.0 else 255.0
    else:
        peak = float(2 ** min(max(bit_depth, 8), 32) - 1)
        if float(values.max(initial=0)) > peak:
            peak = float(values.max())
    scaled = np.clip(values.astype(np.float64) * (255.0 / peak), 0, 255)
    return Image.fromarray(np.rint(scaled).astype(np.uint8), "L")


def normalise_mode(image: Image.Image, bit_depth: int = 8) -> Image.Image:
    """Bring any decoded mode to L, LA, RGB, RGBA or CMYK (plus LAB), keeping alpha."""
    mode = image.mode
    if mode in ("L", "RGB") and "transparency" in image.info:
        return image.convert("RGBA")  # greyscale/RGB PNG with a tRNS colour key
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK", "LAB"):
        return image
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        return _to_8bit(image, bit_depth)
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # RGBX, YCbCr, HSV, …


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert a normalised image to sRGB ``RGB`` or ``RGBA`` through its ICC profile.

    An unreadable or mismatched profile is logged and ignored (the image is treated as
    already sRGB) rather than failing the previews.
    """
    alpha = None
    if image.mode in ("LA", "RGBA"):
        alpha = image.getchannel("A")
        image = image.convert(image.mode[:-1])
    converted = None
    if image.mode == "LAB":
        lab = ImageCms.createProfile("LAB")
        converted = ImageCms.profileToProfile(image, lab, _SRGB, outputMode="RGB")
    elif icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image,
                source,
                _SRGB,
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.warning("ignoring an ICC profile that does not fit a %s image", image.mode)
    if converted is None:
        converted = image.convert("RGB")
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def render_levels(
    image: Image.Image,
    levels: list[int],
    *,
    orientation: int = 1,
    icc_profile: bytes | None = None,
    bit_depth: int = 8,
    stored_size: tuple[int, int] | None = None,
) -> dict[int, Image.Image]:
    """Render each level of a decoded (first-frame) image; returns {level: RGB/RGBA image}.

    ``stored_size`` is the full encoded size when ``image`` was decoded at reduced scale
    (JPEG draft), so level sizes do not depend on how it was decoded.
    """
    if not levels:
        return {}
    stored_w, stored_h = stored_size or image.size
    swapped = orientation in (5, 6, 7, 8)
    display_w, display_h = (stored_h, stored_w) if swapped else (stored_w, stored_h)

    work = normalise_mode(image, bit_depth)
    biggest = max(levels)
    # Resize in the stored orientation first: colour conversion and rotation then run on
    # the small image instead of on every original pixel.
    target = level_size(stored_w, stored_h, biggest)
    if target != work.size:
        work = work.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    work = to_srgb(work, icc_profile)
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])

    rendered: dict[int, Image.Image] = {biggest: work}
    previous = work
    for level in sorted(levels, reverse=True)[1:]:
        size = level_size(display_w, display_h, level)
        previous = (
            previous.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            if size != previous.size
            else previous
        )
        rendered[level] = previous
    return rendered


def encode_webp(image: Image.Image) -> bytes:
    """WebP of the pixels alone: previews reach share-link guests, so no metadata goes in."""
    buffer = io.BytesIO()
    pixels_only(image).save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def _decode_first_frame(blob: Blob, levels: list[int]) -> Image.Image:
    # The upload was checked against our pixel limit already. (Warning filters are left
    # alone: they are process-wide and not thread-safe.)
    with storage.open_file(blob.storage_key) as handle:
        image = Image.open(handle, formats=[blob.format])
        image.seek(0)
        if blob.format == "JPEG" and levels:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the largest preview allows.
            image.draft(None, level_size(blob.stored_width, blob.stored_height, max(levels)))
        image.load()
        return image


def render_one(blob: Blob, level: int | None = None) -> Image.Image:
    """One level of ``blob`` as previews are made (sRGB, upright), rendered from the
    original; ``None`` means full size. Nothing is stored."""
    full = max(blob.width, blob.height)
    size = full if level is None else min(level, full)
    image = _decode_first_frame(blob, [] if level is None else [size])
    rendered = render_levels(
        image,
        [size],
        orientation=blob.exif_orientation,
        icc_profile=bytes(blob.icc_profile) if blob.icc_profile else None,
        bit_depth=blob.bit_depth,
        stored_size=(blob.stored_width, blob.stored_height),
    )
    return rendered[size]


def full_size_webp(blob: Blob) -> bytes:
    """The whole image as previews are made (sRGB, upright, pixels only), at full size.

    Rendered on request for share-link guests who may look at an image closely but not
    download the original (canvas.sharing.views); not stored.
    """
    return encode_webp(render_one(blob))


def build_derivatives(sha256: str) -> list[int]:
    """Create (or re-create) the WebP previews of one blob and mark it ready."""
    blob = Blob.objects.filter(pk=sha256).first()
    if blob is None:
        logger.info("no blob %s (upload rolled back?); nothing to render", sha256)
        return []
    if blob.derivative_state == DerivativeState.READY and all(
        storage.exists(storage.derivative_key(sha256, level)) for level in blob.derivative_levels
    ):
        return list(blob.derivative_levels)

    levels = plan_levels(blob.width, blob.height, settings.ANCHORBOARD_DERIVATIVE_SIZES)
    try:
        image = _decode_first_frame(blob, levels)
        rendered = render_levels(
            image,
            levels,
            orientation=blob.exif_orientation,
            icc_profile=bytes(blob.icc_profile) if blob.icc_profile else None,
            bit_depth=blob.bit_depth,
            stored_size=(blob.stored_width, blob.stored_height),
        )
        for level in levels:
            storage.write_bytes(storage.derivative_key(sha256, level), encode_webp(rendered[level]))
    except Exception as exc:
        logger.exception("previews of blob %s failed", sha256)
        Blob.objects.filter(pk=sha256).update(
            derivative_state=DerivativeState.FAILED,
            derivative_error=f"Previews could not be generated: {type(exc).__name__}: {exc}"[:2000],
        )
        return []
    Blob.objects.filter(pk=sha256).update(
        derivative_state=DerivativeState.READY, derivative_levels=levels, derivative_error=""
    )
    return levels
