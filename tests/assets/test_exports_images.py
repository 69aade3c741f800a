"""Image exports read back by independent readers: Pillow (ICC, sRGB, sizes), OpenCV for
16-bit PNG samples, tifffile for 16-bit TIFF (dtype, compression, ICC tag 34675); wide-gamut
sources checked against plain matrix arithmetic (tests/assets/icc_profiles.py)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from assets.exports import deep_colour
from assets.exports.images import (
    ImageExportError,
    target_size,
    to_srgb,
    write_deep_image,
    write_image,
)
from assets.exports.pixels import srgb_profile
from tests.assets.colour_checks import delta_e_2000
from tests.assets.icc_profiles import (
    P3_PRIMARIES,
    SRGB_PRIMARIES,
    adobe_rgb_profile,
    adobe_rgb_to_srgb,
    display_p3_profile,
    p3_to_srgb,
    rgb_to_xyz,
    srgb_decode,
    srgb_encode,
)


def swatches() -> Image.Image:
    """Saturated and neutral patches, 8×8 px each, over a 16×8 grid of colours."""
    rng = np.random.default_rng(5)
    colours = rng.integers(0, 256, (8, 16, 3)).astype(np.uint8)
    colours[0, :6] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (128,) * 3]
    return Image.fromarray(np.repeat(np.repeat(colours, 8, 0), 8, 1), "RGB")


def described(profile: bytes) -> str:
    return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile)))


@pytest.mark.parametrize("fmt", ["png", "webp", "jpeg"])
def test_delivery_formats_are_srgb_with_the_profile_embedded(fmt):
    out = io.BytesIO()
    written = write_image(out, swatches(), fmt, long_edge=64)
    back = Image.open(io.BytesIO(out.getvalue()))
    assert back.format == {"png": "PNG", "webp": "WEBP", "jpeg": "JPEG"}[fmt]
    assert back.size == (written.width, written.height) == (64, 32)
    assert back.info["icc_profile"] == srgb_profile()
    assert "sRGB" in described(back.info["icc_profile"])
    assert not {"exif", "xmp"} & set(back.info)


def test_display_p3_source_is_converted_to_srgb():
    p3 = swatches()
    p3.info["icc_profile"] = display_p3_profile()
    out = io.BytesIO()
    write_image(out, p3, "png")
    back = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
    expected = p3_to_srgb(np.asarray(p3))
    # LittleCMS against plain matrix arithmetic: within 2 levels and ΔE2000 ≤ 1 per pixel
    # (out-of-gamut P3 colours are clipped the same way by both).
    assert np.abs(back.astype(float) - expected * 255).max() <= 2.0
    assert delta_e_2000(back, (expected * 255).round().astype(np.uint8)).max() <= 1.0
    # And it really was converted: the same numbers in P3 are other numbers in sRGB.
    assert np.abs(back.astype(int) - np.asarray(p3).astype(int)).max() > 20
    assert to_srgb(swatches()).tobytes() == swatches().tobytes()  # untagged = sRGB


def test_jpeg_flattens_alpha_over_the_background_and_sizes_by_scale():
    image = Image.new("RGBA", (40, 20), (0, 0, 255, 0))
    out = io.BytesIO()
    written = write_image(out, image, "jpeg", scale=0.5, background=(255, 255, 255))
    back = Image.open(io.BytesIO(out.getvalue()))
    assert (written.width, written.height) == back.size == (20, 10)
    assert min(back.convert("RGB").getpixel((10, 5))) >= 250
    assert target_size((4000, 3000), long_edge=1000) == (1000, 750)
    assert target_size((3000, 4000), scale=0.25) == (750, 1000)
    with pytest.raises(ImageExportError, match="not both"):
        target_size((10, 10), scale=1, long_edge=5)


def deep_ramp() -> np.ndarray:
    """A 16-bit RGBA ramp whose values are not multiples of 257 (lost at 8 bits)."""
    ramp = np.zeros((32, 48, 4), np.uint16)
    ramp[..., 0] = np.arange(48)[None, :] * 1000 + 7
    ramp[..., 1] = np.arange(32)[:, None] * 2000 + 3
    ramp[..., 2] = 12345
    ramp[..., 3] = 65535
    ramp[0, 0, 3] = 30000  # one translucent pixel keeps the alpha channel
    return ramp


def test_png16_keeps_sixteen_bits_alpha_and_profile():
    out = io.BytesIO()
    written = write_deep_image(out, deep_ramp(), "png16")
    data = out.getvalue()
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.dtype == np.uint16 and decoded.shape == (32, 48, 4)
    rgba = decoded[..., [2, 1, 0, 3]]  # OpenCV reads BGRA
    assert np.array_equal(rgba, deep_ramp())
    back = Image.open(io.BytesIO(data))
    assert back.info["icc_profile"] == srgb_profile()
    assert (written.width, written.height) == back.size == (48, 32)


@pytest.mark.parametrize(
    ("compression", "tag"),
    [("deflate", tifffile.COMPRESSION.ADOBE_DEFLATE), ("lzw", tifffile.COMPRESSION.LZW)],
)
def test_tiff16_compression_icc_tag_and_resize(compression, tag):
    out = io.BytesIO()
    written = write_deep_image(out, deep_ramp(), "tiff16", long_edge=24, compression=compression)
    with tifffile.TiffFile(io.BytesIO(out.getvalue())) as tiff:
        page = tiff.pages[0]
        assert page.dtype == np.uint16
        assert page.shape == (16, 24, 4) == (written.height, written.width, 4)
        assert page.compression == tag
        assert page.predictor == tifffile.PREDICTOR.HORIZONTAL
        assert page.tags[34675].value == srgb_profile()
        pixels = page.asarray()
    # A smooth ramp resized stays a ramp with 16-bit steps (not 257 multiples).
    assert len(np.unique(pixels[..., 0] % 257)) > 4


def test_tiff16_lzw_and_deflate_hold_the_same_samples():
    files = {}
    for compression in ("deflate", "lzw"):
        out = io.BytesIO()
        write_deep_image(out, deep_ramp(), "tiff16", compression=compression)
        files[compression] = tifffile.imread(io.BytesIO(out.getvalue()))
    assert np.array_equal(files["lzw"], deep_ramp())
    assert np.array_equal(files["deflate"], files["lzw"])
    with pytest.raises(ImageExportError, match="deflate or lzw"):
        write_deep_image(io.BytesIO(), deep_ramp(), "tiff16", compression="jpeg")  # type: ignore[arg-type]


def wide_gamut_source() -> np.ndarray:
    """16-bit RGB: the swatches (saturated, neutral, random), the last row a fine grey ramp."""
    colours = np.asarray(swatches()).astype(np.uint16) * 257
    colours[-1, :, :] = np.arange(colours.shape[1])[:, None] * 300 + 20000  # 128 steps
    return colours


def _read_deep(data: bytes, fmt: str) -> np.ndarray:
    if fmt == "tiff16":
        return tifffile.imread(io.BytesIO(data))
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return decoded[..., ::-1]  # OpenCV reads BGR


def _embedded_profile(data: bytes, fmt: str) -> bytes:
    if fmt == "tiff16":
        with tifffile.TiffFile(io.BytesIO(data)) as tiff:
            return tiff.pages[0].tags[34675].value
    return Image.open(io.BytesIO(data)).info["icc_profile"]


@pytest.mark.parametrize("fmt", ["png16", "tiff16"])
@pytest.mark.parametrize(
    ("profile", "reference"),
    [("display-p3", "p3_to_srgb_16"), ("adobe-rgb", "adobe_rgb_to_srgb")],
)
def test_deep_exports_convert_wide_gamut_sources_to_srgb_at_16_bits(fmt, profile, reference):
    source = wide_gamut_source()
    out = io.BytesIO()
    profiles = {"display-p3": display_p3_profile, "adobe-rgb": adobe_rgb_profile}
    write_deep_image(out, source, fmt, icc_profile=profiles[profile]())
    data = out.getvalue()
    assert _embedded_profile(data, fmt) == srgb_profile()
    back = _read_deep(data, fmt)
    assert back.dtype == np.uint16 and back.shape == source.shape
    convert = {"p3_to_srgb_16": p3_to_srgb_16, "adobe_rgb_to_srgb": adobe_rgb_to_srgb}
    expected = convert[reference](source.astype(np.float64) / 65535)
    got = back.astype(np.float64) / 65535
    assert delta_e_2000(got, expected).max() <= 2.0
    assert delta_e_2000(got, expected).mean() <= 0.5
    # It was converted (the same numbers are other colours in sRGB) and kept 16 bits: the
    # ramp row's 128 steps of 300 stay 128 distinct values, not 8-bit values widened.
    assert np.abs(back.astype(int) - source.astype(int)).max() > 5000
    ramp = back[-1, :, 0]
    assert len(np.unique(ramp)) == ramp.size == 128 and len(np.unique(ramp % 257)) > 50
    assert deep_colour.lcms_available()


def p3_to_srgb_16(values: np.ndarray) -> np.ndarray:
    """Display P3 → sRGB on float values (the 8-bit reference's arithmetic, any depth)."""
    matrix = np.linalg.solve(rgb_to_xyz(SRGB_PRIMARIES), rgb_to_xyz(P3_PRIMARIES))
    return srgb_encode(srgb_decode(values) @ matrix.T)


def test_deep_conversion_without_lcms_falls_back_to_8_bits(monkeypatch):
    """Where LittleCMS cannot be loaded, Pillow's 8-bit conversion widened is the best
    available: the colours are still right, the low byte is not kept."""
    monkeypatch.setattr(deep_colour, "_lcms", lambda: None)
    converted = deep_colour.to_srgb_16(wide_gamut_source(), display_p3_profile())
    assert not converted.exact
    assert np.all(converted.pixels % 257 == 0)
    expected = p3_to_srgb_16(wide_gamut_source().astype(np.float64) / 65535)
    assert delta_e_2000(converted.pixels.astype(np.float64) / 65535, expected).max() <= 2.0


def test_tiff16_opaque_eight_bit_source_is_widened_and_rgb():
    out = io.BytesIO()
    write_deep_image(out, Image.new("RGB", (3, 2), (1, 128, 255)), "tiff16")
    pixels = tifffile.imread(io.BytesIO(out.getvalue()))
    assert pixels.shape == (2, 3, 3) and pixels.dtype == np.uint16
    assert tuple(pixels[0, 0]) == (257, 128 * 257, 65535)


def test_deep_formats_are_named():
    with pytest.raises(ImageExportError, match="png16 or tiff16"):
        write_deep_image(io.BytesIO(), deep_ramp(), "jpeg16")  # type: ignore[arg-type]
