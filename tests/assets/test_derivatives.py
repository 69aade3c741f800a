"""WebP preview pyramids: levels, orientation, colour management, alpha, idempotency."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from assets import storage
from assets.derivatives import build_derivatives, level_size, plan_levels
from assets.models import DerivativeState
from tests.assets import samples
from tests.assets.conftest import stored_files

pytestmark = pytest.mark.django_db


def preview(media, asset, level: int) -> Image.Image:
    data = (media / storage.derivative_key(asset.blob_id, level)).read_bytes()
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()
    return image


def close(pixel, expected, tolerance=12) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, expected, strict=True))


@pytest.mark.parametrize(
    ("size", "levels"),
    [
        ((1, 1), [256]),
        ((200, 100), [256]),
        ((256, 100), [256]),
        ((300, 200), [256]),
        ((1024, 10), [256]),
        ((1500, 1000), [256, 1024]),
        ((2048, 2048), [256, 1024]),
        ((8000, 20), [256, 1024, 2048]),
    ],
)
def test_plan_levels_never_upscales_but_always_has_the_smallest(size, levels):
    assert plan_levels(*size, (256, 1024, 2048)) == levels


def test_level_sizes_keep_aspect_and_stay_at_least_one_pixel():
    assert level_size(8000, 20, 256) == (256, 1)
    assert level_size(6000, 4000, 1024) == (1024, 683)
    assert level_size(1, 1, 256) == (1, 1)


def test_pyramid_is_stored_as_webp_and_recorded(upload, media):
    asset = upload(samples.encode(samples.noise((1500, 1000)), "JPEG"), "big.jpg")
    blob = asset.blob
    blob.refresh_from_db()
    assert blob.derivative_state == DerivativeState.READY
    assert blob.derivative_levels == [256, 1024]
    assert blob.derivative_error == ""
    assert preview(media, asset, 256).size == (256, 171)
    assert preview(media, asset, 1024).size == (1024, 683)
    assert sorted(p for p in stored_files(media) if p.startswith("derivatives/")) == [
        f"derivatives/{blob.sha256}/1024.webp",
        f"derivatives/{blob.sha256}/256.webp",
    ]


@pytest.mark.parametrize("size", [(1, 1), (8000, 20)])
def test_tiny_and_extreme_aspect_images(upload, media, size):
    asset = upload(samples.encode(Image.new("RGB", size, (10, 200, 30)), "PNG"), "odd.png")
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_levels == plan_levels(*size, (256, 1024, 2048))
    smallest = preview(media, asset, 256)
    assert smallest.size == level_size(*size, 256)
    assert close(smallest.convert("RGB").getpixel((0, 0)), (10, 200, 30))


def test_exif_rotated_jpeg_preview_is_upright(upload, media):
    # Stored 60×40 with red on the left; orientation 6 means "turn 90° clockwise to view",
    # so the upright image is 40×60 with red on top.
    asset = upload(samples.exif_rotated_jpeg(orientation=6), "phone.jpg")
    image = preview(media, asset, 256).convert("RGB")
    assert image.size == (40, 60)
    assert close(image.getpixel((20, 5)), (255, 0, 0), 40)
    assert close(image.getpixel((20, 55)), (0, 0, 255), 40)


def test_non_srgb_profile_is_converted_to_srgb(upload, media):
    # Under this profile the first channel is the blue primary: (255, 0, 0) means blue.
    profile = samples.swapped_primaries_profile()
    data = samples.encode(Image.new("RGB", (40, 30), (255, 0, 0)), "PNG", icc_profile=profile)
    asset = upload(data, "tagged.png")
    assert asset.blob.icc_description == "Swapped RB test"
    pixel = preview(media, asset, 256).convert("RGB").getpixel((20, 15))
    assert close(pixel, (0, 0, 255), 16), pixel


def test_srgb_tagged_image_keeps_its_colours(upload, media):
    profile = samples.rgb_icc_profile("sRGB-like test")
    data = samples.encode(Image.new("RGB", (40, 30), (200, 60, 20)), "PNG", icc_profile=profile)
    asset = upload(data, "srgb.png")
    assert close(preview(media, asset, 256).convert("RGB").getpixel((5, 5)), (200, 60, 20), 8)


def test_cmyk_jpeg_preview_is_rgb(upload, media):
    data = samples.encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", quality=95)
    asset = upload(data, "print.jpg")
    image = preview(media, asset, 256)
    assert image.mode == "RGB"
    assert close(image.getpixel((10, 10)), (255, 0, 0), 16)


def test_16_bit_grey_is_scaled_not_clipped(upload, media):
    grey = Image.fromarray(np.full((30, 40), 32896, dtype=np.uint16))  # 0x8080 ≈ 50 %
    asset = upload(samples.encode(grey, "PNG"), "scan16.png")
    assert asset.blob.bit_depth == 16
    assert close(preview(media, asset, 256).convert("RGB").getpixel((5, 5)), (128, 128, 128), 4)


def test_16_bit_rgb_png(upload, media):
    asset = upload(samples.rgb16_png(value=(65535, 32896, 0)), "deep.png")
    assert close(preview(media, asset, 256).convert("RGB").getpixel((1, 1)), (255, 128, 0), 6)


def test_palette_transparency_becomes_alpha(upload, media):
    asset = upload(samples.palette_png_with_transparency(), "sprite.png")
    image = preview(media, asset, 256)
    assert image.mode == "RGBA"
    assert image.getpixel((2, 5))[3] < 20  # left half was the transparent index
    assert image.getpixel((17, 5))[3] > 235
    assert close(image.getpixel((17, 5))[:3], (255, 0, 0), 16)


def test_grey_with_alpha_keeps_alpha(upload, media):
    image = Image.new("LA", (40, 20), (90, 255))
    image.paste((90, 0), (0, 0, 20, 20))
    asset = upload(samples.encode(image, "PNG"), "mask.png")
    rendered = preview(media, asset, 256)
    assert rendered.mode == "RGBA"
    assert rendered.getpixel((5, 5))[3] < 20
    assert close(rendered.getpixel((35, 5)), (90, 90, 90, 255), 8)


def test_animated_gif_preview_is_its_first_frame(upload, media):
    asset = upload(samples.animated_gif(), "loop.gif")
    assert asset.blob.frame_count == 3
    assert close(preview(media, asset, 256).convert("RGB").getpixel((5, 5)), (255, 0, 0), 16)


def test_rebuilding_is_idempotent(upload, media):
    asset = upload(samples.encode(samples.noise((1500, 1000)), "PNG"), "a.png")
    files = stored_files(media)
    assert build_derivatives(asset.blob_id) == [256, 1024]
    (media / storage.derivative_key(asset.blob_id, 1024)).unlink()
    assert build_derivatives(asset.blob_id) == [256, 1024]  # a missing level is rebuilt
    assert stored_files(media) == files


def test_unreadable_original_marks_blob_failed(upload, media):
    asset = upload(samples.encode(samples.noise(), "PNG"), "a.png", run_tasks=False)
    (media / asset.blob.storage_key).write_bytes(b"\x89PNG\r\n\x1a\n broken later")
    assert build_derivatives(asset.blob_id) == []
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_state == DerivativeState.FAILED
    assert asset.blob.derivative_error.startswith("Previews could not be generated")


def test_unknown_blob_is_a_no_op(db):
    assert build_derivatives("0" * 64) == []


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF", "GIF", "AVIF"])
def test_every_accepted_format_gets_a_correct_preview(upload, media, fmt):
    from assets.inspection import accepted_formats

    if fmt not in accepted_formats():
        pytest.skip(f"this Pillow build cannot read {fmt}")
    data = samples.encode(Image.new("RGB", (320, 200), (30, 140, 220)), fmt)
    asset = upload(data, f"solid.{fmt.lower()}")
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_levels == [256]
    image = preview(media, asset, 256).convert("RGB")
    assert image.size == (256, 160)
    assert close(image.getpixel((128, 80)), (30, 140, 220), 12)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillows_reference(upload, media, orientation):
    from PIL import ImageOps

    quadrants = Image.new("RGB", (60, 40), (0, 0, 255))
    quadrants.paste((255, 0, 0), (0, 0, 30, 20))
    quadrants.paste((0, 255, 0), (30, 0, 60, 20))
    quadrants.paste((255, 255, 0), (0, 20, 30, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = samples.encode(quadrants, "PNG", exif=exif.tobytes())
    asset = upload(data, f"o{orientation}.png")
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    rendered = preview(media, asset, 256).convert("RGB")
    assert rendered.size == expected.size == (asset.blob.width, asset.blob.height)
    w, h = expected.size
    for x, y in [
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    ]:
        assert close(rendered.getpixel((x, y)), expected.getpixel((x, y)), 40)
