"""Layered PSD export, read back with psd-tools (an independent reader).

The frame is rendered by the server's own compositor (``canvas.compositing.composite``) and
each item separately as its layer, the way an export job does it; the document must come
back with the right layers, names, offsets and a hidden anchors group, and its stored
composite within ΔE2000 ≤ 1 of the server's.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage

from assets.exports.psd import PsdError, PsdLayer, write_psd
from canvas.compositing import CompositeItem, Region, composite, item_bounds
from tests.assets.colour_checks import delta_e_2000

ROOT = Path(__file__).resolve().parents[2]


def gradient(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = rng.integers(0, 256, 3)
    rgb = np.stack(
        [(base[0] + xs * 3) % 256, (base[1] + ys * 2) % 256, (base[2] + xs + ys) % 256], axis=2
    )
    return Image.fromarray(rgb.astype(np.uint8), "RGB").convert("RGBA")


FRAME = Region(100.0, 50.0, 160.0, 120.0)
ITEMS = [
    CompositeItem(gradient(80, 60, 1), x=90, y=40, width=80, height=60, z=0),
    CompositeItem(gradient(50, 50, 2), x=150, y=90, width=50, height=50, opacity=0.6, z=1),
    CompositeItem(gradient(40, 30, 3), x=200, y=120, width=40, height=30, rotation=30, z=2),
    CompositeItem(gradient(30, 30, 4), x=110, y=60, width=30, height=30, z=3, hidden=True),
]
NAMES = ["Sketch", "Palette wash", "Result 1 · job 7f3a · local", "Hidden note"]


def item_layer(item: CompositeItem, name: str) -> PsdLayer:
    """The item alone, rendered at full opacity over its bounding box, as a layer."""
    left, top, right, bottom = item_bounds(item.x, item.y, item.width, item.height, item.rotation)
    left, top = math.floor(left), math.floor(top)
    box = Region(left, top, math.ceil(right) - left, math.ceil(bottom) - top)
    solo = CompositeItem(
        item.image, item.x, item.y, item.width, item.height, item.rotation, 1.0, 0, False
    )
    return PsdLayer(
        name=name,
        pixels=composite([solo], box),
        left=left - round(FRAME.x),
        top=top - round(FRAME.y),
        opacity=item.opacity,
        visible=not item.hidden,
    )


def frame_document(depth: int) -> tuple[bytes, np.ndarray]:
    flat = np.asarray(composite(ITEMS, FRAME))
    anchors = [
        PsdLayer("composition · Sketch", gradient(20, 20, 9)),
        PsdLayer("palette · Brand", gradient(10, 10, 8), left=30, top=5),
    ]
    out = io.BytesIO()
    write_psd(
        out,
        size=FRAME.output_size(),
        layers=[item_layer(item, name) for item, name in zip(ITEMS, NAMES, strict=True)],
        composite=flat,
        anchors=anchors,
        depth=depth,
    )
    return out.getvalue(), flat


@pytest.mark.parametrize("depth", [8, 16])
def test_psd_reads_back_with_layers_group_and_composite(depth):
    data, flat = frame_document(depth)
    document = PSDImage.open(io.BytesIO(data))

    assert document.size == (160, 120)
    assert document.depth == depth
    top_level = list(document)
    assert [layer.name for layer in top_level] == ["Anchors", *NAMES]
    group = top_level[0]
    assert group.kind == "group" and not group.visible
    assert [layer.name for layer in group] == ["composition · Sketch", "palette · Brand"]
    assert group[1].offset == (30, 5)
    layers = top_level[1:]
    assert [layer.kind for layer in layers] == ["pixel"] * 4
    assert [layer.offset for layer in layers] == [(-10, -10), (50, 40), (85, 70), (10, 10)]
    assert [layer.visible for layer in layers] == [True, True, True, False]
    assert [layer.opacity for layer in layers] == [255, 153, 255, 255]
    assert len(list(document.descendants())) == 7

    # The stored composite is the server's, within ΔE2000 ≤ 1 (8-bit storage over white).
    stored = document.numpy()
    assert stored.shape == (120, 160, 4)
    assert delta_e_2000(stored, flat).max() <= 1.0
    assert np.abs(stored[..., 3] * 255 - flat[..., 3]).max() <= 1
    # And the layers themselves re-composite to the same picture (psd-tools' compositor).
    recomposed = np.asarray(document.composite(ignore_preview=True, apply_icc=False))
    assert np.percentile(delta_e_2000(recomposed, flat), 99) <= 1.0


def test_sixteen_bit_layers_keep_more_than_eight_bits():
    deep = np.zeros((4, 4, 4), np.uint16)
    deep[..., 0] = 1000  # not a multiple of 257: lost at 8 bits
    deep[..., 3] = 65535
    out = io.BytesIO()
    write_psd(out, size=(4, 4), layers=[PsdLayer("deep", deep)], composite=deep, depth=16)
    document = PSDImage.open(io.BytesIO(out.getvalue()))
    assert round(float(document[0].numpy()[0, 0, 0]) * 65535) == 1000
    assert round(float(document.numpy()[0, 0, 0]) * 65535) == 1000


def test_sRGB_profile_is_embedded_and_bad_input_is_refused():
    data, _ = frame_document(8)
    document = PSDImage.open(io.BytesIO(data))
    profile = document.image_resources.get_data(1039)  # ICC_PROFILE
    assert profile and b"acsp" in profile[:64]
    with pytest.raises(PsdError, match="composite is 10×10"):
        write_psd(io.BytesIO(), size=(20, 10), layers=[], composite=Image.new("RGBA", (10, 10)))
    with pytest.raises(PsdError, match="8 or 16"):
        write_psd(
            io.BytesIO(), size=(1, 1), layers=[], composite=Image.new("RGBA", (1, 1)), depth=32
        )


def test_the_stored_composite_is_the_one_given_not_a_recomposite():
    """The merged image is the caller's composite even where the layers say otherwise
    (psd-tools' own compositor would have stored the red layer)."""
    red = np.zeros((6, 8, 4), np.uint8)
    red[..., 0], red[..., 3] = 255, 255
    blue = np.zeros((6, 8, 4), np.uint8)
    blue[..., 2], blue[..., 3] = 255, 128  # translucent: stored matted over white
    out = io.BytesIO()
    write_psd(out, size=(8, 6), layers=[PsdLayer("red", red)], composite=blue)
    document = PSDImage.open(io.BytesIO(out.getvalue()))
    stored = np.rint(document.numpy() * 255)
    assert tuple(stored[0, 0]) == (0, 0, 255, 128)
    assert tuple(np.rint(document[0].numpy()[0, 0] * 255)) == (255, 0, 0, 255)


def test_layers_are_taken_one_at_a_time_from_a_generator():
    """The writer encodes a layer before it asks for the next, so a caller can render
    them lazily and only one layer's pixels are alive at a time."""
    alive: list[weakref.ref] = []

    def layers():
        for number in range(3):
            # The previous layer's pixels were encoded and dropped by the writer.
            assert all(ref() is None for ref in alive)
            pixels = np.full((20, 30, 4), 60 * number, np.uint8)
            pixels[..., 3] = 255
            alive.append(weakref.ref(pixels))
            yield PsdLayer(f"Layer {number}", pixels, left=number)
            del pixels

    flat = np.full((20, 30, 4), 255, np.uint8)
    out = io.BytesIO()
    write_psd(out, size=(30, 20), layers=layers(), composite=flat)
    document = PSDImage.open(io.BytesIO(out.getvalue()))
    assert [layer.name for layer in document] == ["Layer 0", "Layer 1", "Layer 2"]
    assert [layer.offset for layer in document] == [(0, 0), (1, 0), (2, 0)]


MEMORY_SCRIPT = """
import sys
import numpy as np
from assets.exports.psd import PsdLayer, write_psd

width, height, count = (int(v) for v in sys.argv[1:4])
rng = np.random.default_rng(3)
layers = [PsdLayer(str(n), rng.integers(0, 256, (height, width, 4), dtype=np.uint8))
          for n in range(count)]
flat = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)

def status(field):
    with open("/proc/self/status") as handle:
        return next(int(l.split()[1]) * 1024 for l in handle if l.startswith(field + ":"))

with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the peak starts again from the current RSS
before = status("VmRSS")
with open(sys.argv[4], "wb") as out:
    write_psd(out, size=(width, height), layers=layers, composite=flat)
print(status("VmHWM") - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux /proc only")
def test_a_psd_grows_memory_by_a_few_canvases_not_dozens(tmp_path):
    """Peak RSS growth of writing a 1500 × 1000 frame with three full-canvas layers of
    noise (RLE's worst case): psd-tools' layer API and save took ~36× the 8-bit canvas;
    encoded a layer at a time it is ~8× (the compressed document, ~4 canvases of noise,
    plus one layer's planes)."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, "1500", "1000", "3", str(tmp_path / "f.psd")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=280,
    )
    growth = int(result.stdout.split()[-1])
    canvas = 1500 * 1000 * 4
    assert growth <= 12 * canvas, f"RSS grew {growth / 2**20:.0f} MB ({growth / canvas:.1f}×)"
