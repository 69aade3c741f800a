"""Decide whether a file is an image we accept, and record the facts about it.

Identification is by content (magic bytes) only: the file name and the Content-Type the
browser sent are never trusted. The checks run cheapest first so that hostile files are
turned away before any pixel is decoded:

1. size on disk: empty files and files over ``ANCHORBOARD_MAX_UPLOAD_BYTES``;
2. magic bytes against the allow-list (and no HTML/SVG markup where browsers sniff);
3. header only: the declared pixel count against ``ANCHORBOARD_MAX_IMAGE_PIXELS``
   (Pillow's own decompression-bomb warning and error, should they fire, are caught too);
4. one full decode of the first frame, so truncated or damaged files are rejected
   instead of being half accepted.

This module reads a file object and returns ``ImageFacts`` or raises ``UploadRejected``.
It must not store anything, touch the database or modify Pillow's process-wide limits
(other code decodes images in the same process).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import asdict, dataclass
from functools import cache
from typing import IO

from PIL import ExifTags, Image, ImageCms, ImageFile, features

from assets.errors import (
    ACCEPTED_NAMES,
    CorruptImage,
    EmptyFile,
    FileTooLarge,
    TooManyPixels,
    UnsupportedType,
)
from foundation import config, knobs

logger = logging.getLogger(__name__)

# A truncated file must fail to decode; partial images are never accepted.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Browsers sniff the first 1445 bytes of a response (WHATWG MIME Sniffing, "resource
# header"); that is where HTML hidden in an image would be dangerous.
SNIFF_BYTES = 1445
HASH_CHUNK = 1024 * 1024
MAX_ICC_BYTES = 4 * 1024 * 1024

MIME_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "AVIF": "image/avif",
    "HEIF": "image/heic",
}
FORMAT_LABELS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "WEBP": "WebP",
    "TIFF": "TIFF",
    "GIF": "GIF",
    "AVIF": "AVIF",
    "HEIF": "HEIC",
}
_MARKUP = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg")
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_ISOBMFF_AVIF = {b"avif", b"avis"}
_ISOBMFF_HEIF = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class ImageFacts:
    """What we know about an accepted image; field names match ``assets.models.Blob``."""

    sha256: str
    size_bytes: int
    format: str
    mime_type: str
    width: int  # after EXIF orientation
    height: int
    stored_width: int  # as encoded
    stored_height: int
    exif_orientation: int
    mode: str
    bit_depth: int
    has_alpha: bool
    frame_count: int
    icc_profile: bytes | None
    icc_description: str

    def blob_fields(self) -> dict[str, object]:
        return asdict(self)


@cache
def accepted_formats() -> tuple[str, ...]:
    """Pillow format names we accept, limited to the codecs this Pillow build has."""
    Image.init()
    wanted = ["PNG", "JPEG", "WEBP", "TIFF", "GIF"]
    if features.check("avif"):
        wanted.append("AVIF")
    if "HEIF" in Image.OPEN:  # only present when a HEIF plugin (pillow-heif) is registered
        wanted.append("HEIF")
    return tuple(fmt for fmt in wanted if fmt in Image.OPEN)


def accepted_label() -> str:
    return ", ".join(FORMAT_LABELS[fmt] for fmt in accepted_formats())


def _ftyp_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box (AVIF, HEIC, MP4…)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    box_size = min(int.from_bytes(head[0:4], "big"), len(head))
    brands = {head[8:12]}
    for offset in range(16, box_size - 3, 4):
        brands.add(head[offset : offset + 4])
    return brands


def sniff_format(head: bytes) -> str | None:
    """The Pillow format name the magic bytes announce, or None if not an image we know."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    brands = _ftyp_brands(head)
    if brands & _ISOBMFF_AVIF:
        return "AVIF"
    if brands & _ISOBMFF_HEIF:
        return "HEIF"
    return None


def describe_content(head: bytes) -> str:
    """A short guess at what a rejected file really is, for the error message."""
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in lowered:
        return "an SVG drawing (vector files are not accepted)"
    if any(tag in lowered for tag in _MARKUP) or lowered.startswith(b"<!doctype"):
        return "an HTML web page"
    if lowered.startswith(b"%pdf"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive or office document"
    if head.startswith(b"8BPS"):
        return "a Photoshop (PSD) file"
    if head.startswith(b"BM"):
        return "a BMP image"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "a JPEG 2000 image"
    if sniff_format(head) == "HEIF":
        return "a HEIC/HEIF photo, which this server cannot read"
    if _ftyp_brands(head):
        return "a video or other media file"
    if lowered.startswith(b"<?xml"):
        return "an XML document"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sniffed window.
        try:
            text = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            text = ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "plain text"
    return "an unrecognised kind of file"


def _human_bytes(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:,.1f} KB".replace(".0 ", " ")
    return f"{count / (1024 * 1024):,.1f} MB".replace(".0 ", " ")


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}".replace(".0", "")


def _too_many_pixels(label: str, size: tuple[int, int] | None) -> TooManyPixels:
    limit = config.read(knobs.MAX_IMAGE_PIXELS)
    if size is None:
        return TooManyPixels(
            f"This {label} declares more pixels than this server will decode; the limit is "
            f"{_megapixels(limit)} megapixels. Scale it down and upload it again."
        )
    width, height = size
    return TooManyPixels(
        f"This {label} is {width:,} × {height:,} pixels ({_megapixels(width * height)} "
        f"megapixels); the limit is {_megapixels(limit)} megapixels. "
        "Scale it down and upload it again."
    )


def _corrupt(label: str, detail: str) -> CorruptImage:
    return CorruptImage(
        f"This file starts like a {label} but {detail}. Re-export it from your image editor "
        "(or upload the original again) and try once more."
    )


def _declared_size(fmt: str, fp: IO[bytes]) -> tuple[int, int] | None:
    """The size a header declares, read by the format plugin without decoding anything.

    ``Image.OPEN`` holds the plugins' factories (filled by ``Image.register_open``); calling
    one parses the header only and skips Pillow's decompression-bomb check, which would
    otherwise warn or raise before we could word our own message. None if unreadable:
    ``Image.open`` then reports the damage.
    """
    try:
        fp.seek(0)
        factory, _accept = Image.OPEN[fmt]
        with factory(fp, "") as probe:
            return probe.size
    except Exception:
        return None


def _file_size(fp: IO[bytes]) -> int:
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    fp.seek(0)
    return size


def _sha256(fp: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fp.seek(0)
    while chunk := fp.read(HASH_CHUNK):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def _bit_depth(image: Image.Image, fmt: str, head: bytes) -> int:
    if fmt == "PNG" and image.mode != "P" and len(head) > 24:
        return head[24]  # IHDR bit depth: Pillow reads 16-bit RGB(A) PNGs as 8-bit modes
    if fmt == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258)
        if isinstance(bits, tuple) and bits:
            return int(max(bits))
        if isinstance(bits, int):
            return bits
    if image.mode == "1":
        return 1
    if image.mode.startswith("I;16"):
        return 16
    if image.mode in ("I", "F"):
        return 32
    return 8


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # malformed EXIF must not reject an otherwise good image
        return 1
    return value if 1 <= value <= 8 else 1


def icc_description(profile: bytes | None) -> str:
    if not profile:
        return ""
    try:
        parsed = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return (ImageCms.getProfileDescription(parsed) or "").strip()[:200]
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return ""


def inspect_image(fp: IO[bytes]) -> ImageFacts:
    """Validate an uploaded image file and describe it; raise ``UploadRejected`` if unfit.

    ``fp`` must be a seekable binary file object; it is left at position 0.
    """
    size = _file_size(fp)
    if size == 0:
        raise EmptyFile()
    limit_bytes = config.read(knobs.MAX_UPLOAD_BYTES)
    if size > limit_bytes:
        raise FileTooLarge(
            f"This file is {_human_bytes(size)}; the upload limit is {_human_bytes(limit_bytes)}. "
            "Export it at a smaller size or with more compression and upload it again."
        )

    head = fp.read(SNIFF_BYTES)
    fp.seek(0)
    fmt = sniff_format(head)
    if fmt is None or fmt not in accepted_formats():
        names = accepted_label() or ACCEPTED_NAMES
        raise UnsupportedType(
            f"This file is not an image Anchorboard accepts ({names}): "
            f"it looks like {describe_content(head)}. "
            "Export it as PNG or JPEG and upload it again."
        )
    label = FORMAT_LABELS[fmt]
    if any(tag in head.lower() for tag in _MARKUP):
        raise UnsupportedType(
            f"This file starts like a {label} but also contains web-page markup (HTML or SVG) "
            "that a browser could run. Re-export it from your image editor and upload it again."
        )

    limit_pixels = config.read(knobs.MAX_IMAGE_PIXELS)
    # Read the declared size first, through the format plugin alone: this rejects bombs
    # before Pillow's own (higher) threshold would warn. Changing warning filters here is
    # not an option: they are process-wide and not thread-safe.
    declared = _declared_size(fmt, fp)
    if declared is not None and declared[0] * declared[1] > limit_pixels:
        raise _too_many_pixels(label, declared)

    fp.seek(0)
    try:
        image = Image.open(fp, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Only reachable when our limit is above Pillow's, or warnings are made errors.
        raise _too_many_pixels(label, declared) from None
    except ValueError as exc:
        if "MAX_TEXT" in str(exc):
            raise _corrupt(label, "carries an oversized block of text metadata") from None
        raise _corrupt(label, "its header cannot be read") from None
    except Exception:  # UnidentifiedImageError and any parser error on hostile bytes
        logger.info("upload rejected: unreadable %s header", fmt, exc_info=True)
        raise _corrupt(label, "its header cannot be read") from None

    with image:
        stored_width, stored_height = image.size
        if stored_width * stored_height > limit_pixels:
            raise _too_many_pixels(label, image.size)
        if stored_width < 1 or stored_height < 1:
            raise _corrupt(label, "declares no pixels")
        try:
            frame_count = int(getattr(image, "n_frames", 1) or 1)
            image.seek(0)
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(label, image.size) from None
        except ValueError as exc:
            if "MAX_TEXT" in str(exc):
                raise _corrupt(label, "carries an oversized block of text metadata") from None
            raise _corrupt(label, "its image data cannot be decoded") from None
        except Exception:
            logger.info("upload rejected: undecodable %s", fmt, exc_info=True)
            raise _corrupt(
                label, "its image data is incomplete or damaged (it may be truncated)"
            ) from None

        orientation = _orientation(image)
        swapped = orientation in (5, 6, 7, 8)
        icc = image.info.get("icc_profile") or None
        if icc is not None and len(icc) > MAX_ICC_BYTES:
            icc = None  # absurd profile: ignore it rather than store megabytes per blob
        facts = ImageFacts(
            sha256=_sha256(fp),
            size_bytes=size,
            format=fmt,
            mime_type=MIME_TYPES[fmt],
            width=stored_height if swapped else stored_width,
            height=stored_width if swapped else stored_height,
            stored_width=stored_width,
            stored_height=stored_height,
            exif_orientation=orientation,
            mode=image.mode,
            bit_depth=_bit_depth(image, fmt, head),
            has_alpha=image.mode in _ALPHA_MODES or "transparency" in image.info,
            frame_count=frame_count,
            icc_profile=bytes(icc) if icc else None,
            icc_description=icc_description(icc),
        )
    fp.seek(0)
    return facts


def describe_own_png(image: Image.Image, data: bytes) -> ImageFacts:
    """The facts of ``data``, a PNG this process just encoded from ``image``, without
    decoding it again: generated results are made here, not uploaded by a stranger, so
    the hostile-file checks of ``inspect_image`` have nothing to find. The size limits
    still hold (the same refusals as an upload of those bytes would get)."""
    limit_bytes = config.read(knobs.MAX_UPLOAD_BYTES)
    if len(data) > limit_bytes:
        raise FileTooLarge(
            f"This image is {_human_bytes(len(data))} as a PNG; the limit is "
            f"{_human_bytes(limit_bytes)}."
        )
    if image.width * image.height > config.read(knobs.MAX_IMAGE_PIXELS):
        raise _too_many_pixels(FORMAT_LABELS["PNG"], image.size)
    icc = image.info.get("icc_profile") or None  # Pillow's PNG writer embeds it
    return ImageFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        format="PNG",
        mime_type=MIME_TYPES["PNG"],
        width=image.width,
        height=image.height,
        stored_width=image.width,
        stored_height=image.height,
        exif_orientation=1,
        mode=image.mode,
        bit_depth=_bit_depth(image, "PNG", data[:SNIFF_BYTES]),
        has_alpha=image.mode in _ALPHA_MODES or "transparency" in image.info,
        frame_count=1,
        icc_profile=bytes(icc) if icc and len(icc) <= MAX_ICC_BYTES else None,
        icc_description=icc_description(icc) if icc and len(icc) <= MAX_ICC_BYTES else "",
    )
