"""Accepted formats and the facts recorded about them (assets.inspection)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from assets.inspection import accepted_formats, inspect_image, sniff_format
from tests.assets import samples


def facts_of(data: bytes):
    return inspect_image(io.BytesIO(data))


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
        ("TIFF", "image/tiff"),
        ("GIF", "image/gif"),
        ("AVIF", "image/avif"),
    ],
)
def test_every_allowed_format_is_identified_by_content(fmt, mime):
    if fmt not in accepted_formats():
        pytest.skip(f"this Pillow build cannot read {fmt}")
    data = samples.encode(samples.noise((64, 48)), fmt)
    facts = facts_of(data)
    assert (facts.format, facts.mime_type) == (fmt, mime)
    assert (facts.width, facts.height) == (64, 48)
    assert facts.size_bytes == len(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()


def test_accepted_formats_follow_this_pillow_build():
    formats = accepted_formats()
    assert {"PNG", "JPEG", "WEBP", "TIFF", "GIF"} <= set(formats)
    # HEIC needs a plugin this environment does not ship; it must not be claimed.
    assert ("HEIF" in formats) == ("HEIF" in Image.OPEN)


def test_avif_and_heic_magic_is_recognised():
    assert sniff_format(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf") == "AVIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "HEIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2") is None


def test_exif_rotated_jpeg_reports_display_size_swapped():
    facts = facts_of(samples.exif_rotated_jpeg(orientation=6))
    assert (facts.stored_width, facts.stored_height) == (60, 40)
    assert (facts.width, facts.height) == (40, 60)
    assert facts.exif_orientation == 6


def test_cmyk_jpeg():
    facts = facts_of(samples.encode(Image.new("CMYK", (10, 10), (0, 255, 255, 0)), "JPEG"))
    assert facts.mode == "CMYK"
    assert facts.bit_depth == 8


def test_16_bit_pngs_report_16_bits_per_channel():
    grey = Image.fromarray(np.full((4, 8), 40000, dtype=np.uint16))
    grey_facts = facts_of(samples.encode(grey, "PNG"))
    rgb_facts = facts_of(samples.rgb16_png())
    assert grey_facts.bit_depth == 16
    assert grey_facts.mode.startswith("I")
    assert rgb_facts.bit_depth == 16
    assert rgb_facts.mode == "RGB"


def test_palette_png_with_trns_counts_as_alpha():
    facts = facts_of(samples.palette_png_with_transparency())
    assert facts.mode == "P"
    assert facts.has_alpha is True
    opaque = facts_of(samples.encode(Image.new("P", (4, 4)), "PNG"))
    assert opaque.has_alpha is False


def test_la_and_rgba_have_alpha():
    assert facts_of(samples.encode(Image.new("LA", (4, 4)), "PNG")).has_alpha
    assert facts_of(samples.encode(samples.noise(mode="RGBA"), "PNG")).has_alpha
    assert not facts_of(samples.encode(samples.noise(), "PNG")).has_alpha


def test_animated_gif_counts_frames():
    facts = facts_of(samples.animated_gif())
    assert facts.format == "GIF"
    assert facts.frame_count == 3
    assert (facts.width, facts.height) == (24, 16)


def test_icc_profile_and_description_are_recorded():
    profile = samples.swapped_primaries_profile()
    facts = facts_of(samples.encode(samples.noise((8, 8)), "PNG", icc_profile=profile))
    assert facts.icc_profile == profile
    assert facts.icc_description == "Swapped RB test"


@pytest.mark.parametrize("size", [(1, 1), (8000, 20)])
def test_extreme_aspect_and_tiny_images(size):
    facts = facts_of(samples.encode(Image.new("RGB", size, (9, 9, 9)), "PNG"))
    assert (facts.width, facts.height) == size


def test_file_position_is_left_at_start():
    stream = io.BytesIO(samples.encode(samples.noise(), "PNG"))
    inspect_image(stream)
    assert stream.tell() == 0


def test_multi_frame_webp_and_tiff_count_frames():
    frames = [Image.new("RGB", (16, 16), (i * 60, 0, 0)) for i in range(4)]
    for fmt in ("WEBP", "TIFF"):
        buffer = io.BytesIO()
        frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:])
        assert facts_of(buffer.getvalue()).frame_count == 4
