"""Server-side compositing must match what the browser draws, pixel for pixel where exact."""

from __future__ import annotations

import hashlib
import io
import math

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from assets.models import Asset, Blob
from canvas import compositing
from canvas.compositing import (
    AnchorNotUsable,
    CompositeItem,
    ImageUnreadable,
    Region,
    RegionTooLarge,
    composite,
    composite_board_region,
    item_bounds,
    load_anchors,
    paste_back,
)
from canvas.models import Item, ItemKind
from tests import factories

RED = (255, 0, 0, 255)
GREEN = (0, 255, 0, 255)
BLUE = (0, 0, 255, 255)


def solid(size, colour) -> Image.Image:
    return Image.new("RGBA", size, colour)


def quadrants() -> Image.Image:
    """2×2: red, green / blue, white."""
    image = Image.new("RGBA", (2, 2))
    image.putdata([RED, GREEN, BLUE, (255, 255, 255, 255)])
    return image


def px(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(image)[y, x])


def test_translation_places_pixels_exactly_and_leaves_the_rest_transparent():
    source = Image.new("RGBA", (3, 2), RED)
    source.putpixel((0, 0), GREEN)
    out = composite([CompositeItem(source, x=12, y=7, width=3, height=2)], Region(10, 5, 8, 6))
    assert out.size == (8, 6)
    assert px(out, 2, 2) == GREEN
    assert px(out, 3, 2) == RED
    assert px(out, 4, 3) == RED
    alpha = np.asarray(out)[..., 3]
    assert alpha.sum() == 6 * 255  # exactly the 3×2 item, nothing bled
    assert alpha[2:4, 2:5].min() == 255


def test_fractional_edges_fade_over_one_pixel_like_the_browser():
    out = composite([CompositeItem(solid((4, 4), RED), 0.5, 0, 4, 4)], Region(0, 0, 6, 4))
    alpha = np.asarray(out)[0, :, 3]
    # Column 0 is half covered, columns 1–3 fully, column 4 half, column 5 not at all.
    assert list(alpha) == [128, 255, 255, 255, 128, 0]
    assert px(out, 0, 0)[:3] == (255, 0, 0)  # a faded edge keeps its colour


def test_item_is_stretched_to_its_box_and_region_scale_multiplies_output():
    item = CompositeItem(quadrants(), x=0, y=0, width=8, height=8)
    out = composite([item], Region(0, 0, 8, 8))
    # Far from the seams bilinear sampling gives the source colours unchanged.
    assert px(out, 0, 0) == RED
    assert px(out, 7, 0) == GREEN
    assert px(out, 0, 7) == BLUE
    assert px(out, 7, 7) == (255, 255, 255, 255)
    # Across the seam the browser's smoothing blends: a middle pixel mixes red and green.
    middle = px(out, 4, 0)
    assert 0 < middle[0] < 255 and 0 < middle[1] < 255

    doubled = composite([CompositeItem(solid((5, 5), BLUE), 1, 1, 2, 2)], Region(0, 0, 4, 4), 2)
    assert doubled.size == (8, 8)
    alpha = np.asarray(doubled)[..., 3]
    assert alpha[2:6, 2:6].min() == 255
    assert alpha.sum() == 16 * 255


def test_rotation_90_turns_clockwise_about_the_top_left_corner():
    source = Image.new("RGBA", (4, 2), RED)
    source.putpixel((0, 0), GREEN)
    out = composite([CompositeItem(source, 5, 1, 4, 2, rotation=90)], Region(0, 0, 10, 8))
    alpha = np.asarray(out)[..., 3]
    expected = np.zeros_like(alpha)
    expected[1:5, 3:5] = 255  # width runs down from the corner, height runs left
    assert np.array_equal(alpha, expected)
    assert px(out, 4, 1) == GREEN  # the source's top-left pixel hugs the pivot
    assert px(out, 3, 4) == RED


def test_rotation_180_mirrors_around_the_pivot():
    source = Image.new("RGBA", (3, 3), RED)
    source.putpixel((0, 0), GREEN)
    out = composite([CompositeItem(source, 6, 6, 3, 3, rotation=180)], Region(0, 0, 8, 8))
    assert px(out, 5, 5) == GREEN
    alpha = np.asarray(out)[..., 3]
    assert alpha[3:6, 3:6].min() == 255 and alpha.sum() == 9 * 255


def test_arbitrary_rotation_covers_exactly_the_rotated_box():
    angle = 30.0
    item = CompositeItem(solid((40, 20), BLUE), x=30, y=10, width=40, height=20, rotation=angle)
    out = composite([item], Region(0, 0, 80, 60))
    alpha = np.asarray(out)[..., 3].astype(int)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    inside = outside = 0
    for y in range(60):
        for x in range(80):
            # Pixel centre in the item's own (unrotated) frame.
            dx, dy = x + 0.5 - 30, y + 0.5 - 10
            u, v = dx * cos + dy * sin, -dx * sin + dy * cos
            if 1 < u < 39 and 1 < v < 19:
                inside += 1
                assert alpha[y, x] == 255, (x, y)
            elif u < -1 or u > 41 or v < -1 or v > 21:
                outside += 1
                assert alpha[y, x] == 0, (x, y)
    assert inside > 600 and outside > 3000
    # The rotated box lies where the geometry says it does.
    left, top, right, bottom = item_bounds(30, 10, 40, 20, angle)
    ys, xs = np.nonzero(alpha)
    assert xs.min() >= math.floor(left) and xs.max() <= math.ceil(right)
    assert ys.min() >= math.floor(top) and ys.max() <= math.ceil(bottom)


def test_opacity_multiplies_alpha_and_blends_source_over():
    under = CompositeItem(solid((4, 4), BLUE), 0, 0, 4, 4, z=0)
    over = CompositeItem(solid((2, 4), RED), 0, 0, 2, 4, opacity=0.5, z=1)
    out = composite([under, over], Region(0, 0, 4, 4))
    assert px(out, 0, 0) == (128, 0, 128, 255)
    assert px(out, 3, 0) == BLUE
    alone = composite([over], Region(0, 0, 4, 4))
    assert px(alone, 1, 1) == (255, 0, 0, 128)  # straight colour kept, alpha halved


def test_z_order_not_input_order_decides_what_is_on_top():
    low = CompositeItem(solid((4, 4), RED), 0, 0, 4, 4, z=1)
    high = CompositeItem(solid((2, 2), GREEN), 1, 1, 2, 2, z=5)
    for order in ([low, high], [high, low]):
        out = composite(order, Region(0, 0, 4, 4))
        assert px(out, 1, 1) == GREEN
        assert px(out, 0, 0) == RED


def test_hidden_items_are_not_drawn():
    visible = CompositeItem(solid((4, 4), RED), 0, 0, 4, 4, z=0)
    hidden = CompositeItem(solid((4, 4), GREEN), 0, 0, 4, 4, z=1, hidden=True)
    out = composite([visible, hidden], Region(0, 0, 4, 4))
    assert px(out, 2, 2) == RED


def test_items_partly_outside_the_region_are_clipped_at_its_edges():
    source = Image.new("RGBA", (6, 6), RED)
    source.putpixel((5, 5), GREEN)
    out = composite([CompositeItem(source, -2, -3, 6, 6)], Region(0, 0, 10, 10))
    alpha = np.asarray(out)[..., 3]
    assert alpha[:3, :4].min() == 255 and alpha.sum() == 12 * 255
    assert px(out, 3, 2) == GREEN
    # Region itself offset into negative board space.
    out = composite([CompositeItem(source, 0, 0, 6, 6)], Region(-5, 4, 7, 4))
    alpha = np.asarray(out)[..., 3]
    assert alpha[:2, 5:7].min() == 255 and alpha.sum() == 4 * 255
    assert px(out, 6, 1) == RED


def test_empty_region_is_fully_transparent_and_translucent_colour_survives():
    assert np.asarray(composite([], Region(0, 0, 5, 3))).sum() == 0
    glass = CompositeItem(solid((3, 3), (10, 200, 30, 64)), 0, 0, 3, 3)
    out = composite([glass], Region(0, 0, 3, 3))
    # Like a 2D canvas, colour is held premultiplied in 8 bits, so a 25%-opaque pixel
    # comes back within a few levels (not bit-exact), and never darkened toward black.
    colour = px(out, 1, 1)
    assert colour[3] == 64
    assert max(abs(a - b) for a, b in zip(colour[:3], (10, 200, 30), strict=True)) <= 2


def test_large_downscale_averages_instead_of_aliasing():
    ys, xs = np.mgrid[0:400, 0:400]
    checker = np.where((xs + ys) % 2 == 0, 255, 0).astype(np.uint8)
    source = Image.fromarray(checker, "L").convert("RGBA")
    out = composite([CompositeItem(source, 0.3, 0.7, 21, 21)], Region(0, 0, 22, 22))
    grey = np.asarray(out)[3:18, 3:18, 0].astype(float)
    assert abs(grey.mean() - 127.5) < 4
    assert grey.std() < 6  # point-sampling a 1 px checker would flicker between 0 and 255


def test_rendering_in_bands_gives_the_same_pixels(monkeypatch):
    rng = np.random.default_rng(2)
    source = Image.fromarray(rng.integers(0, 256, (30, 50, 4), dtype=np.uint8), "RGBA")
    items = [
        CompositeItem(source, 3.5, 2.25, 37, 23, rotation=33, opacity=0.8, z=1),
        CompositeItem(source, -10, 5, 90, 40, rotation=-12, z=0),
    ]
    whole = composite(items, Region(-2, -1, 60, 45), scale=1.5)
    monkeypatch.setattr(compositing, "BAND_ROWS", 7)
    banded = composite(items, Region(-2, -1, 60, 45), scale=1.5)
    assert banded.tobytes() == whole.tobytes()


# --- paste_back -----------------------------------------------------------------------------


def test_paste_back_is_bit_exact_outside_the_feather_band_and_replaces_the_inside():
    rng = np.random.default_rng(4)
    original = Image.fromarray(rng.integers(0, 256, (60, 80, 4), dtype=np.uint8), "RGBA")
    result = Image.fromarray(rng.integers(0, 256, (60, 80, 4), dtype=np.uint8), "RGBA")
    mask = Image.new("L", (80, 60), 0)
    mask.paste(255, (30, 20, 50, 40))
    feather = 6
    out = np.asarray(paste_back(original, result, mask, feather))
    orig, res = np.asarray(original), np.asarray(result)
    ys, xs = np.mgrid[0:60, 0:80]
    dx = np.maximum(np.maximum(30 - xs, xs - 49), 0)
    dy = np.maximum(np.maximum(20 - ys, ys - 39), 0)
    distance = np.hypot(dx, dy)
    far = distance > feather
    assert np.array_equal(out[far], orig[far])
    inside = distance == 0
    assert np.array_equal(out[inside], res[inside])
    band = (distance > 0) & ~far
    assert (out[band] != orig[band]).any()


def test_paste_back_feather_band_falls_off_monotonically():
    original = Image.new("RGBA", (60, 20), (0, 0, 0, 255))
    result = Image.new("RGBA", (60, 20), (255, 255, 255, 255))
    mask = Image.new("L", (60, 20), 0)
    mask.paste(255, (0, 0, 20, 20))
    out = np.asarray(paste_back(original, result, mask, 10))[10, :, 0].astype(int)
    assert (out[:20] == 255).all()  # the mask itself: fully replaced
    band = out[20:30]  # 1 to 10 px from the mask
    assert (np.diff(band) < 0).all() and band[0] < 255 and band[-1] > 0
    assert (out[30:] == 0).all()  # beyond the feather: untouched


def test_paste_back_without_feather_is_a_hard_cut():
    original = Image.new("RGBA", (10, 10), RED)
    result = Image.new("RGBA", (10, 10), GREEN)
    mask = Image.new("L", (10, 10), 0)
    mask.paste(255, (2, 2, 5, 5))
    out = np.asarray(paste_back(original, result, mask, 0))
    assert (out[..., 1] == 255).sum() == 9


# --- Adapter from the database --------------------------------------------------------------


def store_png(image: Image.Image, **save) -> Blob:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save)
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    key = default_storage.save(f"originals/{sha}.png", ContentFile(data))
    return Blob.objects.create(
        sha256=sha,
        storage_key=key,
        format="PNG",
        mime_type="image/png",
        size_bytes=len(data),
        width=image.width,
        height=image.height,
        stored_width=image.width,
        stored_height=image.height,
        mode=image.mode,
    )


@pytest.mark.django_db
def test_board_region_is_composited_from_items_and_originals(media_root):
    board = factories.make_board()
    red = Asset.objects.create(board=board, blob=store_png(solid((4, 4), RED)), filename="r.png")
    # Stored 4×2 with EXIF orientation 6: displayed rotated 90° clockwise, i.e. 2×4.
    stored = Image.new("RGBA", (4, 2), BLUE)
    stored.putpixel((0, 0), GREEN)
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = Asset.objects.create(
        board=board, blob=store_png(stored, exif=exif.tobytes()), filename="t.png"
    )
    Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=red, x=0, y=0, width=4, height=4)
    Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=turned, x=4, y=0, width=2, height=4, z=1
    )
    Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=red, x=0, y=0, width=8, height=8, z=9,
        hidden=True,
    )  # fmt: skip
    Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=red, x=0, y=0, width=8, height=8, z=9,
        deleted=True,
    )  # fmt: skip
    out = composite_board_region(board, Region(0, 0, 8, 4))
    assert px(out, 1, 1) == RED
    assert px(out, 5, 0) == GREEN  # top-left pixel moved to the top-right by orientation 6
    assert px(out, 4, 3) == BLUE
    assert np.asarray(out)[:, 6:, 3].sum() == 0


@pytest.mark.django_db
def test_board_region_refuses_renders_above_the_pixel_cap(media_root):
    board = factories.make_board()
    with pytest.raises(RegionTooLarge) as caught:
        composite_board_region(board, Region(0, 0, 4000, 4000), scale=2, max_pixels=1_000_000)
    assert "Select a smaller area" in caught.value.message
    assert caught.value.status == 400


@pytest.mark.django_db
def test_anchors_load_from_board_items_in_the_order_picked(media_root):
    board = factories.make_board()
    other_board = factories.make_board()
    asset = Asset.objects.create(board=board, blob=store_png(solid((3, 2), RED)), filename="a")
    palette = Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=asset, anchor_role="palette", name="Brand"
    )
    light = Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=asset, anchor_role="lighting", name="Dusk"
    )
    plain = Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, name="Photo")
    foreign = Item.objects.create(
        board=other_board, kind=ItemKind.IMAGE, asset=asset, anchor_role="style"
    )
    anchors = load_anchors(board, [light.pk, palette.pk])
    assert [(a.role, a.name) for a in anchors] == [("lighting", "Dusk"), ("palette", "Brand")]
    assert anchors[0].image.size == (3, 2) and anchors[0].image.mode == "RGBA"
    with pytest.raises(AnchorNotUsable, match="not marked as an anchor"):
        load_anchors(board, [plain.pk])
    with pytest.raises(AnchorNotUsable, match="no longer on this board"):
        load_anchors(board, [foreign.pk])


@pytest.mark.django_db
def test_a_missing_or_corrupt_original_is_a_clear_422(media_root):
    board = factories.make_board()
    blob = store_png(solid((4, 4), RED))
    asset = Asset.objects.create(board=board, blob=blob, filename="gone.png")
    Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=4, height=4)
    default_storage.delete(blob.storage_key)
    default_storage.save(blob.storage_key, ContentFile(b"not an image at all"))
    with pytest.raises(ImageUnreadable) as caught:
        composite_board_region(board, Region(0, 0, 4, 4))
    assert caught.value.status == 422 and "re-upload" in caught.value.message
    default_storage.delete(blob.storage_key)
    with pytest.raises(ImageUnreadable):
        composite_board_region(board, Region(0, 0, 4, 4))


@pytest.mark.django_db
def test_board_images_is_what_the_board_draws_in_paint_order(media_root):
    """The one read of a board's drawn images (compositing, a job's layers, exports)."""
    from canvas.compositing import board_images
    from canvas.jobs.board_reads import BoardReads

    board = factories.make_board()
    asset = Asset.objects.create(board=board, blob=store_png(solid((4, 4), RED)), filename="r")

    def image(**fields):
        return Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, **fields)

    top = image(x=0, y=0, width=4, height=4, z=5)
    low = image(x=2, y=2, width=4, height=4, z=1)
    hidden = image(x=0, y=0, width=4, height=4, z=3, hidden=True)
    far = image(x=100, y=100, width=4, height=4, z=2)
    image(x=0, y=0, width=4, height=4, z=4, deleted=True)
    Item.objects.create(board=board, kind=ItemKind.IMAGE, x=0, y=0, width=4, height=4)  # no file
    Item.objects.create(board=board, kind=ItemKind.FRAME, x=0, y=0, width=9, height=9)
    assert board_images(board) == [low, far, hidden, top]
    assert board_images(board, Region(0, 0, 8, 8)) == [low, hidden, top]
    # A job's layer snapshot: the visible ones in the region, each with its placement.
    layers = BoardReads(board).layers({"x": 0, "y": 0, "width": 8, "height": 8})
    assert [layer["item_id"] for layer in layers] == [str(low.pk), str(top.pk)]
    assert layers[1] == {"item_id": str(top.pk), "asset_id": str(asset.pk), **top.placement()}
    assert top.placement() == {
        "x": 0, "y": 0, "width": 4, "height": 4, "rotation": 0, "opacity": 1, "z": 5,
    }  # fmt: skip
