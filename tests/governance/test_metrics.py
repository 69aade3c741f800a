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
    RED = (200, 55, 45)
    BACKDROP = (232, 226, 214)

    def test_the_anchor_itself_is_entirely_on_palette(self):
        anchor = images.disk_on(self.RED)
        score = palette_score(anchor, anchor)
        # Only the disk's outline (its pixels blend both colours at working size) is off.
        assert score.score == pytest.approx(1.0, abs=0.01)
        assert {c.name for c in score.components} == {"subject", "backdrop"}
        assert all(c.distance == pytest.approx(0.0, abs=0.02) for c in score.components)

    def test_a_known_shift_gives_its_ciede2000_on_the_subject(self):
        anchor = images.disk_on(self.RED)
        green = (60, 150, 70)  # the product turned green: far outside any tolerance
        score = palette_score(images.disk_on(green), anchor)
        subject, backdrop = score.component("subject"), score.component("backdrop")
        assert backdrop.distance == pytest.approx(0.0, abs=1e-6)
        # Its ΔE00 (kL = 2) is measured from the nearest palette colour, reference first.
        expected = min(
            deltaE_ciede2000(_lab(brand), _lab(green), kL=palette.LIGHTNESS_WEIGHT)
            for brand in (self.RED, self.BACKDROP)
        )
        assert subject.detail["worst_delta_e"] == pytest.approx(expected, abs=0.5)
        assert subject.detail["worst_colour"] == "#3C9646"
        # All of the subject is off the palette; the distance is that mass × ΔE00 beyond
        # the tolerance, in tolerances.
        assert subject.detail["off_palette_share"] == pytest.approx(1.0, abs=0.01)
        assert subject.distance == pytest.approx(expected / palette.TOLERANCE - 1, rel=0.05)
        assert subject.message.startswith("100% of the subject is in colours off the palette")
        # The score is the frame's on-palette share: the disk is π·0.22² of it.
        assert score.score == pytest.approx(1 - math.pi * 0.22**2, abs=0.03)

    def test_a_small_subject_recoloured_is_not_diluted_by_the_backdrop(self):
        small = {"radius": 0.1}
        anchor = images.disk_on(self.RED, **small)
        score = palette_score(images.disk_on((60, 150, 70), **small), anchor)
        big = palette_score(images.disk_on((60, 150, 70)), images.disk_on(self.RED))
        # 3 % of the frame changed colour, yet the subject is as far off as a big one.
        assert score.score > 0.95
        assert score.component("subject").distance == pytest.approx(
            big.component("subject").distance, rel=0.05
        )

    def test_a_new_backdrop_is_the_backdrops_component(self):
        anchor = images.disk_on(self.RED)
        score = palette_score(images.disk_on(self.RED, backdrop=(90, 160, 210)), anchor)
        assert score.component("subject").distance == pytest.approx(0.0, abs=0.05)
        assert score.component("backdrop").distance > 1.0
        assert score.component("backdrop").message.startswith("100% of the backdrop")

    def test_a_shift_within_tolerance_is_still_on_palette(self):
        nudged = (205, 60, 45)  # ΔE00 about 1.5 from the brand red: the same colour to the eye
        score = palette_score(images.disk_on(nudged), images.disk_on(self.RED))
        assert score.score == pytest.approx(1.0, abs=0.01)
        assert score.component("subject").distance < 0.02

    def test_kit_colours_with_their_own_tolerance(self):
        red = tuple(float(v) for v in _lab(self.RED))
        strict = [palette.ReferenceColour(lab=red, tolerance=0.5, name="Brand red")]
        nudged = images.flat([(205, 60, 45)], [1.0])  # ΔE00 ≈ 1.5: beyond a 0.5 tolerance
        score = palette.compare(palette.features(prepare(nudged)), strict)
        assert score.score < 0.1

    def test_undoing_the_lights_gains_restores_the_palette(self):
        features = palette.features(prepare(images.disk_on(self.RED)))
        warm_light = (1.25, 1.0, 0.6)  # linear RGB gains of a warmer lamp
        under_it = palette.adapt(features.centres, [1 / g for g in warm_light])
        warm = palette.PaletteFeatures(under_it, features.weights, features.regions)
        reference = palette.reference_colours([features])
        # The light backdrop turns visibly yellow under it...
        assert palette.compare(warm, reference).component("backdrop").distance > 0.3
        # ...and is back on the palette once the light's gains are undone.
        restored = palette.compare(warm, reference, warm_light)
        assert restored.score == pytest.approx(1.0, abs=0.01)
        assert restored.component("backdrop").distance < 0.02


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

    def test_exposure_is_the_gain_backdrop_and_subject_share_in_stops(self):
        anchor = lighting.features(prepare(images.ball()))
        darker = lighting.features(prepare(images.ball(gain=(0.6, 0.6, 0.6))))
        exposure = lighting.compare(darker, [anchor]).component("exposure")
        # sRGB × 0.6 is about linear × 0.6^2.2: 1.6 stops down.
        assert exposure.detail["stops"] == pytest.approx(math.log2(0.6**2.2), abs=0.15)
        assert exposure.message.startswith("The whole image is darker")

    def test_a_warm_cast_is_lighting_but_a_new_backdrop_colour_is_not(self):
        anchor = lighting.features(prepare(images.ball()))
        warm = lighting.features(prepare(images.ball(gain=(1.0, 0.85, 0.55))))
        cast = lighting.compare(warm, [anchor]).component("white_balance")
        assert cast.detail["cast_blue_green"] < -0.5 and cast.distance > 1.0
        assert cast.detail["kelvin_shift"] < -500 and "warmer" in cast.message
        new_backdrop = lighting.features(prepare(images.ball(backdrop=(0.6, 0.85, 0.6))))
        # The backdrop alone changed colour (by ~1.2 in ln G/R): what backdrop and subject
        # share is a trace (the ball's rim blends with the backdrop), far below any threshold.
        shared = lighting.compare(new_backdrop, [anchor]).component("white_balance")
        assert shared.distance < 0.3

    def test_a_recoloured_label_is_not_a_harder_light(self):
        anchor = lighting.features(prepare(images.ball(band=(0.2, 0.3, 0.7))))
        relabelled = lighting.features(prepare(images.ball(band=(0.9, 0.85, 0.2))))
        # Contrast is measured within each surface colour, so the label's own lightness
        # does not count as shadow.
        # (The whole subject's ratio moves by more than 1 here: 2.5 against 3.7.)
        assert relabelled.contrast == pytest.approx(anchor.contrast, abs=0.2)
        frontal = lighting.features(prepare(images.ball(band=(0.2, 0.3, 0.7), light=(0, 0, 1))))
        assert frontal.contrast < anchor.contrast - 0.3

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
