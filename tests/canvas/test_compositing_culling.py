"""Covered layers are culled before compositing: never decoded, never drawn, and the
composite is the same pixels as drawing everything; the 1:1 copy path draws what
resampling would."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from canvas import compositing
from canvas.compositing import CompositeItem, Placement, Region, composite, uncovered
from canvas.models import Item, ItemKind


def noise(size, seed, mode="RGBA") -> Image.Image:
    rng = np.random.default_rng(seed)
    bands = len(mode)
    pixels = rng.integers(0, 256, (size[1], size[0], bands), dtype=np.uint8)
    if mode == "RGBA":
        pixels[..., 3] = np.where(pixels[..., 3] > 60, 255, pixels[..., 3])
    return Image.fromarray(pixels, mode)


def keys(layers) -> list:
    return [layer.key for layer in layers]


def test_a_layer_wholly_under_an_opaque_one_is_dropped_and_others_stay():
    region = Region(0, 0, 100, 100)
    low = Placement("low", 0, 10, 50, 50)
    aside = Placement("aside", 85, 85, 10, 10)
    top = Placement("top", 0, 0, 80, 80, opaque=True)
    assert keys(uncovered([low, aside, top], region)) == ["aside", "top"]
    # Anything less than a full, opaque, upright cover keeps what is under it.
    for cover in (
        Placement("top", 0, 0, 80, 80, opaque=False),  # may have transparent pixels
        Placement("top", 0, 0, 80, 80, opacity=0.99, opaque=True),
        Placement("top", 0, 0, 80, 80, rotation=0.5, opaque=True),
        Placement("top", 1, 0, 80, 80, opaque=True),  # low sticks out by one unit
        Placement("top", 0.5, 0, 80, 80, opaque=True),  # low's first column half covered
    ):
        assert keys(uncovered([low, cover], region)) == ["low", "top"], cover
    # Only what lies inside the region must be covered; layers outside it are dropped.
    wide = Placement("wide", -500, 10, 560, 50)
    far = Placement("far", 400, 400, 10, 10)
    assert keys(uncovered([wide, far, top], region)) == ["top"]
    # An opaque layer below does not hide one above it.
    assert keys(uncovered([top, low], region)) == ["top", "low"]


def _scene() -> list[CompositeItem]:
    """Opaque and translucent layers, whole and fractional placements, a rotation, a
    downscale; several of them fully covered."""
    return [
        CompositeItem(noise((40, 30), 1, "RGB"), 2, 3, 40, 30, z=0, opaque=True),
        CompositeItem(noise((20, 20), 2), 5.5, 6.25, 20, 20, z=1),
        CompositeItem(noise((30, 30), 3, "RGB"), 10, 8, 15, 15, rotation=30, z=2, opaque=True),
        CompositeItem(noise((64, 64), 4, "RGB"), 1, 1, 44, 40, z=3, opaque=True),  # covers 0–2
        CompositeItem(noise((12, 12), 5), 30, 30, 12, 12, opacity=0.6, z=4),
        CompositeItem(noise((16, 16), 6, "RGB"), 30.5, 2.5, 16, 16, z=5, opaque=True),
        CompositeItem(noise((10, 10), 7, "RGB"), 30, 5, 10, 10, z=4.5, opaque=True),
        CompositeItem(noise((10, 10), 8, "RGB"), 33, 5, 10, 10, z=4.6, opaque=True),
    ]


def test_culling_never_changes_a_pixel(monkeypatch):
    items = _scene()
    region = Region(0, 0, 48, 44)
    drawn = []
    real_draw = compositing._draw

    def draw(band, row, item, *rest):
        drawn.append(item.z)
        real_draw(band, row, item, *rest)

    monkeypatch.setattr(compositing, "_draw", draw)
    culled = np.asarray(composite(items, region))
    assert 0 not in drawn and 1 not in drawn and 2 not in drawn  # under the z=3 cover
    assert 4.5 in drawn  # its first column only half under the fractional z=5 layer: kept
    assert 4.6 not in drawn  # wholly under it
    monkeypatch.setattr(compositing, "uncovered", lambda layers, region, scale=1.0: list(layers))
    assert np.array_equal(culled, np.asarray(composite(items, region)))


def test_the_one_to_one_copy_draws_what_resampling_draws(monkeypatch):
    items = [
        CompositeItem(noise((20, 16), 11), 3, 2, 20, 16, z=0),
        CompositeItem(noise((20, 16), 12, "RGB").convert("RGBA"), 10, 9, 20, 16, z=1),
        CompositeItem(noise((8, 8), 13), 20, 1, 8, 8, opacity=0.4, z=2),
        CompositeItem(noise((12, 12), 14), -4, 20, 12, 12, z=3),  # clipped at the edge
    ]
    region = Region(0, 0, 30, 30)
    copied = np.asarray(composite(items, region))
    monkeypatch.setattr(compositing, "_draw_aligned", lambda *args: False)
    assert np.array_equal(copied, np.asarray(composite(items, region)))


@pytest.mark.django_db
def test_twenty_stacked_results_decode_once(media_root, monkeypatch):
    """A region under 20 opaque results applied over it: only the top one is read."""
    from assets.services import ingest_bytes
    from canvas.compositing import composite_board_region
    from canvas.jobs.adapters import composite as composite_snapshot
    from canvas.jobs.board_reads import BoardReads
    from tests import factories

    board = factories.make_board()
    assets = []
    for index in range(20):
        colour = (10 * index, 255 - 10 * index, 7)
        data = factories.png_bytes((32, 24), colour)  # RGB: no alpha channel
        assets.append(ingest_bytes(board, None, data, f"result-{index}.png"))
        Item.objects.create(
            board=board, kind=ItemKind.IMAGE, asset=assets[-1], width=32, height=24, z=index
        )
    decoded = []
    real_decode = compositing._decode_original

    def decode(blob):
        decoded.append(blob.sha256)
        return real_decode(blob)

    monkeypatch.setattr(compositing, "_decode_original", decode)
    region = {"x": 0, "y": 0, "width": 32, "height": 24}
    out = composite_snapshot(BoardReads(board).layers(region), region)
    assert decoded == [assets[-1].blob.sha256]
    assert out.getpixel((5, 5)) == (190, 65, 7, 255)
    decoded.clear()
    from assets import decoded as decoded_cache

    decoded_cache.clear()
    composite_board_region(board, Region(0, 0, 32, 24))
    assert decoded == [assets[-1].blob.sha256]
