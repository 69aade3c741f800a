"""Single-image exports: PNG, WebP and JPEG in sRGB with the profile embedded, and 16-bit
PNG and TIFF for retouching.

- **Delivery formats** (``write_image``: PNG, WebP, JPEG, 8 bits) are converted to sRGB
  with LittleCMS (Pillow's ``ImageCms``, relative colorimetric with black-point
  compensation) when the source carries another ICC profile, and always embed the sRGB
  profile. JPEG has no alpha: transparent pixels are flattened over ``background``.
- **Retouching formats** (``write_deep_image``: 16-bit PNG and TIFF) are converted to
  sRGB too, at 16 bits per channel (``deep_colour``: LittleCMS's 16-bit transform, which
  Pillow's ``ImageCms`` does not offer), and embed the sRGB profile: one colour space for
  every file an export hands out, and the retoucher keeps the 16 bits. Pillow cannot write
  16-bit RGB PNGs, so the PNG writer writes the PNG chunks itself (IHDR, iCCP, IDAT with
  the "Up" filter, IEND; PNG spec, ISO/IEC 15948). TIFFs are written by tifffile with
  Deflate (default) or LZW (through imagecodecs), the horizontal predictor, and the
  profile in tag 34675.
- **Sizes**: by ``scale`` or by ``long_edge`` (exclusive); Lanczos on premultiplied
  colour so transparent edges do not darken.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Literal

import numpy as np
import tifffile
from PIL import Image, ImageCms

from assets.exports.deep_colour import DeepColourError, to_srgb_16
from assets.exports.pixels import PixelSource, rgba_array, srgb_profile, to_depth

ImageFormat = Literal["png", "webp", "jpeg"]
DeepFormat = Literal["png16", "tiff16"]
TiffCompression = Literal["deflate", "lzw"]
TIFF_COMPRESSIONS: dict[str, str] = {"deflate": "adobe_deflate", "lzw": "lzw"}
_FORMATS = {
    "png": ("PNG", "png", "image/png"),
    "webp": ("WEBP", "webp", "image/webp"),
    "jpeg": ("JPEG", "jpg", "image/jpeg"),
}
PNG_ROWS = 256  # rows filtered and compressed at a time by the 16-bit PNG writer


@dataclass(frozen=True)
class WrittenImage:
    """What a writer produced: pixel size, MIME type and file extension."""

    width: int
    height: int
    mime_type: str
    extension: str


class ImageExportError(ValueError):
    """The options cannot make an image (the message says why)."""


def target_size(
    size: tuple[int, int], *, scale: float | None = None, long_edge: int | None = None
) -> tuple[int, int]:
    """``size`` scaled by ``scale``, or so its longer side is ``long_edge`` (aspect kept)."""
    width, height = size
    if scale is not None and long_edge is not None:
        raise ImageExportError("Give a scale or a long edge, not both.")
    if scale is not None:
        if not scale > 0:
            raise ImageExportError(f"A scale must be above 0, not {scale}.")
        factor = float(scale)
    elif long_edge is not None:
        if long_edge < 1:
            raise ImageExportError(f"A long edge must be at least 1 pixel, not {long_edge}.")
        factor = long_edge / max(width, height)
    else:
        return size
    return max(1, round(width * factor)), max(1, round(height * factor))


def is_srgb(icc_profile: bytes | None) -> bool:
    """True for no profile (sRGB is assumed) or a profile that describes itself as sRGB."""
    if not icc_profile:
        return True
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    return "sRGB" in ImageCms.getProfileDescription(profile)


def to_srgb(image: Image.Image, icc_profile: bytes | None = None) -> Image.Image:
    """``image`` as 8-bit RGB(A) in sRGB, converted from ``icc_profile`` (default: the
    image's own ``icc_profile``) by LittleCMS; untagged and sRGB images are only re-moded."""
    source_profile = icc_profile if icc_profile is not None else image.info.get("icc_profile")
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    rgb = image.convert("RGBA" if has_alpha else "RGB")
    if is_srgb(source_profile):
        return rgb
    assert source_profile is not None
    converted = ImageCms.profileToProfile(
        rgb,
        ImageCms.ImageCmsProfile(io.BytesIO(source_profile)),
        ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile())),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode=rgb.mode,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    assert converted is not None
    return converted


def write_image(
    out: BinaryIO,
    image: Image.Image,
    fmt: ImageFormat,
    *,
    scale: float | None = None,
    long_edge: int | None = None,
    icc_profile: bytes | None = None,
    quality: int = 92,
    lossless: bool = False,
    background: tuple[int, int, int] = (255, 255, 255),
) -> WrittenImage:
    """Write ``image`` as an sRGB PNG, WebP or JPEG with the sRGB profile embedded.

    ``icc_profile`` overrides the profile the image carries (for pixels decoded
    elsewhere). ``quality`` applies to JPEG and lossy WebP; ``lossless`` to WebP.
    Nothing but the pixels and the profile is written (no EXIF, XMP or text).
    """
    if fmt not in _FORMATS:
        raise ImageExportError(f"Images are exported as png, webp or jpeg, not {fmt!r}.")
    pillow_format, extension, mime_type = _FORMATS[fmt]
    srgb = to_srgb(image, icc_profile)
    size = target_size(srgb.size, scale=scale, long_edge=long_edge)
    if size != srgb.size:
        srgb = srgb.resize(size, Image.Resampling.LANCZOS)  # Pillow premultiplies RGBA
    if fmt == "jpeg" and srgb.mode == "RGBA":
        flat = Image.new("RGB", srgb.size, background)
        flat.paste(srgb, mask=srgb.getchannel("A"))
        srgb = flat
    options: dict = {"icc_profile": srgb_profile()}
    if fmt == "jpeg":
        options.update(quality=quality, subsampling=0, optimize=True)
    elif fmt == "webp":
        options.update(quality=100 if lossless else quality, lossless=lossless, method=4)
    else:
        options.update(optimize=False, compress_level=6)
    srgb.save(out, pillow_format, **options)
    return WrittenImage(size[0], size[1], mime_type, extension)


def deep_pixels(
    pixels: PixelSource, *, scale: float | None = None, long_edge: int | None = None
) -> np.ndarray:
    """``pixels`` as an H×W×4 ``uint16`` array, resized by ``scale`` or ``long_edge``.

    8-bit sources are widened (×257). Resizing is Lanczos on premultiplied float colour,
    one channel at a time (Pillow's float mode), so 16-bit precision survives it.
    """
    array = to_depth(rgba_array(pixels), 16)
    height, width = array.shape[:2]
    size = target_size((width, height), scale=scale, long_edge=long_edge)
    if size == (width, height):
        return array
    values = array.astype(np.float32) / 65535.0
    alpha = values[..., 3]
    resized = []
    for channel in range(4):
        plane = values[..., channel] * (alpha if channel < 3 else 1.0)
        resized.append(
            np.asarray(Image.fromarray(plane, "F").resize(size, Image.Resampling.LANCZOS))
        )
    new_alpha = np.clip(resized[3], 0.0, 1.0)
    safe = np.where(new_alpha > 0, new_alpha, 1.0)
    colour = [np.clip(plane / safe, 0.0, 1.0) for plane in resized[:3]]
    stacked = np.stack([*colour, new_alpha], axis=2)
    return np.rint(stacked * 65535.0).astype(np.uint16)


def write_deep_image(
    out: BinaryIO,
    pixels: PixelSource,
    fmt: DeepFormat,
    *,
    scale: float | None = None,
    long_edge: int | None = None,
    icc_profile: bytes | None = None,
    compression: TiffCompression = "deflate",
) -> WrittenImage:
    """Write ``pixels`` as a 16-bit ``"png16"`` or ``"tiff16"`` file in sRGB for retouching.

    RGB, or RGBA when any pixel is translucent (straight alpha). ``icc_profile`` is the
    pixels' profile (default: sRGB); another one is converted to sRGB at 16 bits
    (``deep_colour.to_srgb_16``), and the sRGB profile is embedded: PNG in an iCCP chunk,
    TIFF in tag 34675. TIFF is compressed with ``compression`` (``"deflate"`` or
    ``"lzw"``, both with the horizontal predictor) and needs a seekable ``out``.
    """
    if fmt not in ("png16", "tiff16"):
        raise ImageExportError(f"16-bit images are png16 or tiff16, not {fmt!r}.")
    if compression not in TIFF_COMPRESSIONS:
        raise ImageExportError(f"TIFF compression is deflate or lzw, not {compression!r}.")
    array = deep_pixels(pixels, scale=scale, long_edge=long_edge)
    if not is_srgb(icc_profile):
        assert icc_profile is not None
        try:
            array = to_srgb_16(array, icc_profile).pixels
        except DeepColourError as exc:
            raise ImageExportError(str(exc)) from None
    if bool((array[..., 3] == 65535).all()):
        array = array[..., :3]
    profile = srgb_profile()
    height, width = array.shape[:2]
    if fmt == "png16":
        _png16(out, array, profile)
        return WrittenImage(width, height, "image/png", "png")
    tifffile.imwrite(
        out,
        array,
        photometric="rgb",
        planarconfig="contig",
        extrasamples=("unassalpha",) if array.shape[2] == 4 else None,
        compression=TIFF_COMPRESSIONS[compression],
        predictor=True,
        iccprofile=profile,
        metadata=None,
    )
    return WrittenImage(width, height, "image/tiff", "tif")


def _png16(out: BinaryIO, array: np.ndarray, profile: bytes) -> None:
    """PNG chunks by hand: Pillow cannot write 16-bit colour PNGs."""
    height, width, channels = array.shape
    colour_type = 6 if channels == 4 else 2
    out.write(b"\x89PNG\r\n\x1a\n")
    _chunk(out, b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))
    _chunk(out, b"iCCP", b"ICC profile\x00\x00" + zlib.compress(profile))
    compressor = zlib.compressobj(6)
    big_endian = array.astype(">u2")
    previous = np.zeros((width * channels * 2,), np.uint8)
    for start in range(0, height, PNG_ROWS):
        rows = big_endian[start : start + PNG_ROWS].reshape(-1, width * channels).view(np.uint8)
        # Filter "Up" (type 2): each byte minus the byte above it, modulo 256.
        above = np.vstack([previous[None, :], rows[:-1]])
        filtered = rows - above  # uint8 arithmetic wraps, as the filter wants
        previous = rows[-1].copy()
        framed = np.hstack([np.full((rows.shape[0], 1), 2, np.uint8), filtered])
        data = compressor.compress(framed.tobytes())
        if data:
            _chunk(out, b"IDAT", data)
    _chunk(out, b"IDAT", compressor.flush())
    _chunk(out, b"IEND", b"")


def _chunk(out: BinaryIO, kind: bytes, data: bytes) -> None:
    out.write(struct.pack(">I", len(data)))
    out.write(kind)
    out.write(data)
    out.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF))
