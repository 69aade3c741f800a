"""Images of every accepted format with metadata planted in every place it can hide.

Each sample carries an ICC profile (which must survive) and, where the format has room
for it: EXIF with a GPS position, XMP, IPTC, JPEG comments, PNG tEXt/iTXt/zTXt, WebP
EXIF/XMP chunks, TIFF description/artist/copyright/XMP/IPTC tags, GIF comments and
application extensions. Every planted text contains ``SECRET``; the structure checks
(``metadata_places``) find compressed or binary metadata that a byte search would miss.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin, features

SECRET = b"SECRET"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="SECRET-XMP-CREATOR"/></rdf:RDF></x:xmpmeta>'
)


@cache
def icc_profile() -> bytes:
    """A real ICC profile (LittleCMS's sRGB), made once: its header holds the creation time."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SECRET-EXIF-MAKE"  # Make
    exif[0x013B] = "SECRET-EXIF-ARTIST"  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (48.0, 51.0, 29.0)  # GPSLatitude
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    gps[27] = b"ASCII\x00\x00\x00SECRET-GPS-METHOD"  # GPSProcessingMethod
    return exif.tobytes()


def iptc_app13() -> bytes:
    """A Photoshop APP13 segment holding an IPTC caption (8BIM resource 0x0404)."""
    caption = b"SECRET-IPTC-CAPTION"
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc))
    resource += iptc + (b"\x00" if len(iptc) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def pixels(mode: str = "RGB", size: tuple[int, int] = (48, 32)) -> Image.Image:
    """A gradient with structure, so a wrong rotation or channel swap shows."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=2).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    if mode == "RGBA":
        alpha = Image.fromarray(np.tile(np.linspace(40, 255, width, dtype=np.uint8), (height, 1)))
        image.putalpha(alpha)
    elif mode != "RGB":
        image = image.convert(mode)
    return image


def jpeg() -> bytes:
    out = io.BytesIO()
    pixels().save(
        out,
        "JPEG",
        quality=92,
        exif=exif_with_gps(),
        comment=b"SECRET-JPEG-COMMENT",
        icc_profile=icc_profile(),
        xmp=XMP,
    )
    data = out.getvalue()
    return data[:2] + iptc_app13() + data[2:]  # right after SOI


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRET-PNG-TEXT")
    info.add_text("Comment", "SECRET-PNG-ZTXT " * 20, zip=True)
    info.add_itxt("Description", "SECRET-PNG-ITXT", lang="en", tkey="Beschreibung")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    pixels("RGBA").save(out, "PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=icc_profile())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    pixels("RGBA").save(
        out, "WEBP", lossless=True, exif=exif_with_gps(), xmp=XMP, icc_profile=icc_profile()
    )
    return out.getvalue()


def tiff() -> bytes:
    out = io.BytesIO()
    tags = {
        270: "SECRET-TIFF-DESCRIPTION",  # ImageDescription
        271: "SECRET-TIFF-MAKE",
        315: "SECRET-TIFF-ARTIST",
        33432: "SECRET-TIFF-COPYRIGHT",
        700: XMP,  # XMP packet
        33723: b"\x1c\x02\x78\x00\x13SECRET-IPTC-CAPTION",  # IPTC-NAA
    }
    pixels().save(
        out,
        "TIFF",
        tiffinfo=tags,
        exif=exif_with_gps(),
        icc_profile=icc_profile(),
        compression="tiff_deflate",
    )
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    image = pixels().quantize(64)
    image.save(out, "GIF", comment=b"SECRET-GIF-COMMENT")
    data = out.getvalue()
    # An XMP application extension right after the global colour table.
    packed = data[10]
    table = 3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0
    at = 13 + table
    payload = b"SECRET-GIF-APPEXT " + XMP
    blocks = b"".join(
        bytes([len(payload[i : i + 255])]) + payload[i : i + 255]
        for i in range(0, len(payload), 255)
    )
    extension = b"\x21\xff\x0b" + b"XMP DataXMP" + blocks + b"\x00"
    return data[:at] + extension + data[at:]


def avif() -> bytes:
    out = io.BytesIO()
    pixels().save(out, "AVIF", quality=90, exif=exif_with_gps(), xmp=XMP, icc_profile=icc_profile())
    return out.getvalue()


@dataclass(frozen=True)
class Sample:
    format: str
    data: bytes
    has_icc: bool = True


def samples() -> list[Sample]:
    corpus = [
        Sample("JPEG", jpeg()),
        Sample("PNG", png()),
        Sample("WEBP", webp()),
        Sample("TIFF", tiff()),
        Sample("GIF", gif(), has_icc=False),
    ]
    if features.check("avif"):
        corpus.append(Sample("AVIF", avif()))
    return corpus


# --- What a served file contains --------------------------------------------------------------


def _png_chunks(data: bytes) -> list[bytes]:
    names, pos = [], 8
    while pos + 8 <= len(data):
        length, name = struct.unpack(">I4s", data[pos : pos + 8])
        names.append(name)
        pos += 12 + length
    return names


def _jpeg_markers(data: bytes) -> list[int]:
    markers, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return markers


def _riff_chunks(data: bytes) -> list[bytes]:
    names, pos = [], 12
    while pos + 8 <= len(data):
        name, length = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        names.append(name)
        pos += 8 + length + (length & 1)
    return names


def _gif_extensions(data: bytes) -> list[int]:
    """Labels of the extension blocks (0xFE comment, 0xFF application, 0xF9 control)."""
    packed = data[10]
    pos = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    labels = []
    while pos < len(data) and data[pos] == 0x21:
        labels.append(data[pos + 1])
        pos += 2
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    return labels


# Structural tags a TIFF writer needs, plus the ICC profile (34675).
TIFF_ALLOWED = {
    256,
    257,
    258,
    259,
    262,
    273,
    277,
    278,
    279,
    282,
    283,
    284,
    296,
    317,
    320,
    338,
    339,
    34675,
}


def metadata_places(data: bytes) -> list[str]:
    """Every place in ``data`` that holds metadata other than an ICC profile."""
    found = []
    if SECRET in data:
        found.append("SECRET text in the bytes")
    if data.startswith(b"\x89PNG"):
        allowed = {b"IHDR", b"PLTE", b"tRNS", b"iCCP", b"IDAT", b"IEND"}
        found += [f"PNG chunk {n.decode()}" for n in _png_chunks(data) if n not in allowed]
        for name in _png_chunks(data):
            if name == b"zTXt":
                found.append("zTXt")
    elif data.startswith(b"\xff\xd8"):
        allowed = {0xE0, 0xE2, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA}
        found += [f"JPEG marker {m:02X}" for m in _jpeg_markers(data) if m not in allowed]
    elif data[:4] == b"RIFF":
        allowed = {b"VP8 ", b"VP8L", b"VP8X", b"ICCP", b"ALPH"}
        found += [f"WebP chunk {n.decode()}" for n in _riff_chunks(data) if n not in allowed]
    elif data[:4] in (b"II*\x00", b"MM\x00*"):
        with Image.open(io.BytesIO(data)) as image:
            tags = set(image.tag_v2.keys())
        found += [f"TIFF tag {t}" for t in sorted(tags - TIFF_ALLOWED)]
    elif data[:3] == b"GIF":
        found += [f"GIF extension {x:02X}" for x in _gif_extensions(data) if x != 0xF9]
    if zlib_text := _inflated_text(data):
        found.append(zlib_text)
    return found


def _inflated_text(data: bytes) -> str:
    """Look inside PNG zTXt/iTXt compressed payloads too."""
    if not data.startswith(b"\x89PNG"):
        return ""
    pos = 8
    while pos + 8 <= len(data):
        length, name = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if name in (b"zTXt", b"iTXt"):
            try:
                if SECRET in zlib.decompress(body[body.index(b"\x00") + 2 :]):
                    return f"compressed SECRET in {name.decode()}"
            except (zlib.error, ValueError):
                pass
        pos += 12 + length
    return ""
