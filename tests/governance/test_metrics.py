"""The consistency metrics on constructed images (canvas/governance/metrics; no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from canvas.governance.metrics import composition, lighting, palette
from canvas.governance.metrics.image import BadImage, prepare
from tests.governance import images


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    return rgb2lab(np.array(rgb, dtype=np.float64).reshape(1, 1, 3) / 255).reshape(3)


def palette_score(image: np.ndarray, anchor: np.ndarray) -> palette.MetricScore:
    reference = palette.reference_colours([palette.features(prepare(anchor))])
    return palette.compare(palette.features(prepare(image)), reference)


class TestPalette:
    BRAND = [(230, 225, 215), (200, 55, 45), (30, 60, 95)]

    def test_the_anchor_itself_is_entirely_on_palette(self):
        anchor = images.flat(self.BRAND, [0.5, 0.3, 0.2])
        score = palette_score(anchor, anchor)
        assert score.score == pytest.approx(1.0)
        assert score.component("off_palette").distance == pytest.approx(0.0, abs=1e-6)

    def test_a_known_shift_gives_its_ciede2000_and_its_area(self):
        anchor = images.flat(self.BRAND, [0.5, 0.3, 0.2])
        shifted = (60, 150, 70)  # the red band turned green: far outside any tolerance
        image = images.flat([self.BRAND[0], shifted, self.BRAND[2]], [0.5, 0.3, 0.2])
        score = palette_score(image, anchor)
        off = score.component("off_palette")
        # The green band is 30 % of the image and entirely off the palette.
        assert off.detail["off_palette_share"] == pytest.approx(0.3, abs=0.02)
        assert score.score == pytest.approx(0.7, abs=0.02)
        # The calibrated distance: mass × ΔE00 beyond the tolerance, in tolerances.
        excess = off.detail["worst_delta_e"] / palette.TOLERANCE - 1
        assert off.distance == pytest.approx(off.detail["off_palette_share"] * excess, rel=0.1)
        # Its ΔE00 (kL = 2) is measured from the nearest palette colour, reference first.
        candidates = [
            deltaE_ciede2000(_lab(brand), _lab(shifted), kL=palette.LIGHTNESS_WEIGHT)
            for brand in self.BRAND
        ]
        assert off.detail["worst_delta_e"] == pytest.approx(min(candidates), abs=0.5)
        assert off.detail["worst_colour"] == "#3C9646"
        assert off.message.startswith(
            f"{off.detail['off_palette_share']:.0%} of the image is in colours off the palette"
        )

    def test_a_shift_within_tolerance_is_still_on_palette(self):
        anchor = images.flat(self.BRAND, [0.5, 0.3, 0.2])
        nudged = (205, 60, 45)  # ΔE00 about 1.5 from the brand red: the same colour to the eye
        image = images.flat([self.BRAND[0], nudged, self.BRAND[2]], [0.5, 0.3, 0.2])
        assert palette_score(image, anchor).score == pytest.approx(1.0)

    def test_kit_colours_with_their_own_tolerance(self):
        red = tuple(float(v) for v in _lab((200, 55, 45)))
        strict = [palette.ReferenceColour(lab=red, tolerance=0.5, name="Brand red")]
        nudged = images.flat([(205, 60, 45)], [1.0])  # ΔE00 ≈ 1.5: beyond a 0.5 tolerance
        score = palette.compare(palette.features(prepare(nudged)), strict)
        assert score.score < 0.1

    def test_removing_the_lights_cast_restores_the_palette(self):
        anchor = images.flat(self.BRAND, [0.5, 0.3, 0.2])
        features = palette.features(prepare(anchor))
        warm = palette.PaletteFeatures(features.centres + np.array([0, 6, 14]), features.weights)
        reference = palette.reference_colours([features])
        assert palette.compare(warm, reference).score < 0.9
        assert palette.compare(warm, reference, cast=(6, 14)).score == pytest.approx(1.0)


class TestLighting:
    def test_light_from_the_upper_left(self):
        found = lighting.features(prepare(images.ball(light=(-0.6, -0.5, 0.62))))
        assert found.direction[0] < -0.4 and found.direction[1] < -0.3
        assert "upper left" in lighting.compare(found, [found]).component("direction").message

    def test_a_mirrored_light_flips_the_direction(self):
        lit_left = images.ball(light=(-0.7, 0.0, 0.7))
        mirrored = np.ascontiguousarray(lit_left[:, ::-1])
        left = lighting.features(prepare(lit_left))
        right = lighting.features(prepare(mirrored))
        assert left.direction[0] < -0.9 and right.direction[0] > 0.9
        direction = lighting.compare(right, [left]).component("direction")
        assert direction.detail["angle_degrees"] == pytest.approx(180, abs=10)
        assert direction.message == (
            "Lighting comes from the right; the anchor is lit from the left."
        )

    def test_the_subjects_position_does_not_change_the_direction(self):
        here = lighting.features(prepare(images.ball(centre=(0.3, 0.4))))
        there = lighting.features(prepare(images.ball(centre=(0.7, 0.6), radius=0.18)))
        angle = lighting.compare(here, [there]).component("direction").detail["angle_degrees"]
        assert angle < 12

    def test_exposure_is_the_shift_backdrop_and_subject_share(self):
        anchor = lighting.features(prepare(images.ball()))
        darker = lighting.features(prepare(images.ball(gain=(0.6, 0.6, 0.6))))
        exposure = lighting.compare(darker, [anchor]).component("exposure")
        assert exposure.detail["lightness_shift"] < -10
        assert exposure.message.startswith("The whole image is darker")

    def test_a_warm_cast_is_lighting_but_a_new_backdrop_colour_is_not(self):
        anchor = lighting.features(prepare(images.ball()))
        warm = lighting.features(prepare(images.ball(gain=(1.0, 0.85, 0.55))))
        cast = lighting.compare(warm, [anchor]).component("white_balance")
        assert cast.detail["cast_b"] > 5 and cast.distance > 0.5
        assert cast.detail["kelvin_shift"] < -500 and "warmer" in cast.message
        new_backdrop = lighting.features(prepare(images.ball(backdrop=(0.6, 0.85, 0.6))))
        assert lighting.compare(new_backdrop, [anchor]).component("white_balance").distance < 0.1

    def test_flat_light_is_softer_than_the_anchor(self):
        anchor = lighting.features(prepare(images.ball(light=(-0.7, -0.3, 0.6))))
        frontal = lighting.features(prepare(images.ball(light=(0.0, 0.0, 1.0))))
        contrast = lighting.compare(frontal, [anchor]).component("contrast")
        assert frontal.contrast < anchor.contrast
        assert "flatter" in contrast.message


class TestComposition:
    def test_a_moved_mass_moves_the_centroid(self):
        left = composition.features(prepare(images.disk((0.3, 0.5), 0.12)))
        right = composition.features(prepare(images.disk((0.7, 0.5), 0.12)))
        assert left.centroid[0] == pytest.approx(0.3, abs=0.03)
        assert right.centroid[0] == pytest.approx(0.7, abs=0.03)
        assert right.centroid[1] == pytest.approx(0.5, abs=0.03)
        placement = composition.compare(right, [left]).component("placement")
        assert placement.detail["offset"] == pytest.approx(0.4, abs=0.04)
        assert placement.message == (
            "The main subject sits in the right third; the anchor's is in the left third."
        )

    def test_a_bigger_mass_is_measured_as_bigger(self):
        small = composition.features(prepare(images.disk((0.5, 0.5), 0.1)))
        big = composition.features(prepare(images.disk((0.5, 0.5), 0.2)))
        assert big.size / small.size == pytest.approx(2.0, rel=0.2)
        scale = composition.compare(big, [small]).component("scale")
        assert scale.distance > 1.0

    def test_the_same_layout_moved_keeps_its_structure(self):
        anchor = composition.features(prepare(images.disk((0.4, 0.5), 0.15)))
        moved = composition.features(prepare(images.disk((0.6, 0.45), 0.15)))
        other = composition.features(
            prepare(images.flat([(245, 245, 245), (40, 60, 120)], [0.5, 0.5]))
        )
        same = composition.compare(moved, [anchor]).component("structure")
        different = composition.compare(other, [anchor]).component("structure")
        assert same.detail["ssim"] > 0.8
        assert different.detail["ssim"] < same.detail["ssim"] - 0.3


class TestPrepare:
    def test_rgba_is_composited_over_white(self):
        clear = np.zeros((8, 8, 4), np.uint8)
        assert prepare(clear).lab[..., 0].min() == pytest.approx(100, abs=0.01)

    def test_large_images_are_scored_at_working_size(self):
        big = np.zeros((1024, 512, 3), np.uint8)
        prepared = prepare(big)
        assert (prepared.height, prepared.width) == (128, 64)

    @pytest.mark.parametrize("shape", [(5,), (4, 4, 2), (1, 10, 3)])
    def test_bad_arrays_are_refused(self, shape):
        with pytest.raises(BadImage):
            prepare(np.zeros(shape, np.uint8))


def test_score_is_one_when_nothing_differs():
    image = prepare(images.ball())
    assert lighting.compare(lighting.features(image), [lighting.features(image)]).score == 1.0
    assert (
        composition.compare(composition.features(image), [composition.features(image)]).score == 1.0
    )
    assert math.isclose(palette_score(images.ball(), images.ball()).score, 1.0, abs_tol=0.01)
