"""Image files built byte by byte for the asset tests: valid, odd, broken and hostile.

Everything is generated in memory so the tests need no fixture files; hostile files
(bombs, huge text chunks, polyglots) are written chunk by chunk with correct CRCs so that
only the property under test is wrong.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_ihdr(width: int, height: int, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return png_chunk(b"IHDR", header)


def bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` RGB pixels."""
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
    return PNG_SIGNATURE + png_ihdr(width, height) + idat + png_chunk(b"IEND", b"")


def header_only_png(width: int = 32, height: int = 32) -> bytes:
    """Signature, IHDR and IEND: an image that declares pixels and has none."""
    return PNG_SIGNATURE + png_ihdr(width, height) + png_chunk(b"IEND", b"")


def rgb16_png(width: int = 8, height: int = 4, value=(40000, 20000, 1000)) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write these itself)."""
    pixel = struct.pack(">HHH", *value)
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height, bit_depth=16, colour_type=2)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def huge_ztxt_png(before_idat: bool = True, megabytes: int = 20) -> bytes:
    """A valid small PNG carrying a zTXt chunk that inflates to ``megabytes`` MB."""
    base = encode(noise((16, 16)), "PNG")
    ztxt = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * (megabytes << 20), 9))
    cut = 33 if before_idat else len(base) - 12  # after IHDR, or before IEND
    return base[:cut] + ztxt + base[cut:]


def noise(size=(64, 48), mode="RGB", seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    shape = (size[1], size[0], bands) if bands > 1 else (size[1], size[0])
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(size=(60, 40), left=(255, 0, 0), right=(0, 0, 255)) -> Image.Image:
    """Left half one colour, right half another: shows which way an image was turned."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(halves(), "JPEG", quality=95, exif=exif.tobytes())


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (20, 10), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    image.paste(0, (0, 0, 10, 10))  # left half: index 0, transparent
    return encode(image, "PNG", transparency=0)


def animated_gif(colours=((255, 0, 0), (0, 255, 0), (0, 0, 255))) -> bytes:
    frames = [Image.new("RGB", (24, 16), colour) for colour in colours]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def gif_with_script_comment() -> bytes:
    """A valid GIF whose comment block holds HTML: a classic image/HTML polyglot."""
    return encode(
        Image.new("RGB", (8, 8), (10, 20, 30)), "GIF", comment=b"<script>alert(1)</script>"
    )


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n'
)


def html_with_png_inside() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script>" + encode(noise((8, 8)), "PNG")


# --- ICC profiles ----------------------------------------------------------------------------

# sRGB primaries adapted to D50, as ICC v2 stores them.
_SRGB_RED = (0.4361, 0.2225, 0.0139)
_SRGB_GREEN = (0.3851, 0.7169, 0.0971)
_SRGB_BLUE = (0.1431, 0.0606, 0.7141)
_D50 = (0.9642, 1.0, 0.8249)


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ " + b"\x00" * 4 + b"".join(_s15f16(v) for v in xyz)


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    return (
        b"desc"
        + b"\x00" * 4
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # Unicode language code and count
        + struct.pack(">HB", 0, 0)  # ScriptCode code and count
        + b"\x00" * 67
    )


def _curve_tag(gamma: float) -> bytes:
    return b"curv" + b"\x00" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"


def rgb_icc_profile(description: str, red=_SRGB_RED, green=_SRGB_GREEN, blue=_SRGB_BLUE) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with the given D50 primaries."""
    tags = [
        (b"desc", _desc_tag(description)),
        (b"wtpt", _xyz_tag(_D50)),
        (b"rXYZ", _xyz_tag(red)),
        (b"gXYZ", _xyz_tag(green)),
        (b"bXYZ", _xyz_tag(blue)),
        (b"rTRC", _curve_tag(2.2)),
        (b"gTRC", _curve_tag(2.2)),
        (b"bTRC", _curve_tag(2.2)),
        (b"cprt", b"text" + b"\x00" * 4 + b"No copyright\x00"),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = struct.pack(">I", len(tags))
    body = b""
    for signature, data in tags:
        padded = data + b"\x00" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += padded
    size = 128 + table_size + len(body)
    header = (
        struct.pack(">I", size)
        + b"\x00" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\x00" * 12
        + b"acsp"
        + b"\x00" * 24
        + struct.pack(">I", 0)  # perceptual
        + b"".join(_s15f16(v) for v in _D50)
        + b"\x00" * 4
    )
    header += b"\x00" * (128 - len(header))
    return header + table + body


def swapped_primaries_profile() -> bytes:
    """An RGB profile whose 'red' channel is sRGB blue and vice versa."""
    return rgb_icc_profile("Swapped RB test", red=_SRGB_BLUE, blue=_SRGB_RED)
