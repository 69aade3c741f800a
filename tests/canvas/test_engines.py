"""The engine contract, the registry and every mode of the local (non-generative) engine."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from assets.imageops import colour
from assets.imageops.lighting import luminance_gradient
from assets.imageops.upscale import edge_sharpness
from canvas.engines import (
    Anchor,
    Engine,
    EngineCapabilities,
    EngineRequest,
    JobCancelled,
    Mode,
    PermanentEngineError,
    UnsupportedRequest,
    available_engines,
    get_engine,
    register_engine,
)
from canvas.engines.base import PREVIEW_EDGE, InvalidRequest, NullProgress, ProgressReporter
from canvas.engines.local import LABEL, LocalEngine
from canvas.engines.registry import UnknownEngine


class Recorder:
    """A ProgressReporter that remembers everything and can cancel after N steps."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.steps: list[tuple[int, int, str]] = []
        self.previews: list[Image.Image] = []
        self.cancel_after = cancel_after

    def step(self, done: int, total: int, message: str = "") -> None:
        self.steps.append((done, total, message))

    def preview(self, image: Image.Image) -> None:
        self.previews.append(image)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.steps) >= self.cancel_after


def region(size=(96, 72), seed=0) -> Image.Image:
    """A muted, evenly lit, slightly noisy picture: the selected region."""
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.linspace(80, 170, w)[None, :, None]
    base = np.broadcast_to(ramp, (h, w, 3)) * np.array([0.85, 1.0, 0.75])
    pixels = np.clip(base + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert("RGBA")


def palette_anchor() -> Anchor:
    image = Image.new("RGBA", (60, 40), (30, 60, 200, 255))
    image.paste((230, 120, 30, 255), (0, 0, 30, 40))
    return Anchor("palette", image, "brand palette")


def top_light_anchor() -> Anchor:
    field = np.broadcast_to(np.linspace(230, 30, 64)[:, None], (64, 48))
    rgb = np.dstack([field, field, field]).astype(np.uint8)
    return Anchor("lighting", Image.fromarray(rgb, "RGB").convert("RGBA"), "top light")


def run(request: EngineRequest, progress: ProgressReporter | None = None):
    engine = get_engine("local")
    engine.check(request)
    return engine.run(request, progress or NullProgress())


# --- Registry -------------------------------------------------------------------------------


def test_local_engine_is_registered_and_labelled_non_generative():
    engine = get_engine("local")
    assert isinstance(engine, LocalEngine)
    caps = available_engines()["local"]
    assert caps.label == LABEL == "Local (non-generative)"
    assert caps.generative is False
    assert caps.modes == frozenset(Mode)
    assert caps.as_dict()["upscale_factors"] == [2, 4]


def test_unknown_engine_is_a_clear_400():
    with pytest.raises(UnknownEngine) as caught:
        get_engine("dall-e-9")
    assert caught.value.status == 400
    assert "local" in caught.value.message


def test_engine_names_are_unique():
    with pytest.raises(ValueError):

        @register_engine("local")
        class Impostor(LocalEngine):
            pass


# --- Request validation and the default check ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"mode": "text2video"}, "Unknown mode"),
        ({"strength": 1.5}, "Strength"),
        ({"count": 0}, "between 1 and 32"),
        ({"count": 33}, "between 1 and 32"),
        ({"mask": Image.new("L", (10, 10))}, "same region"),
        ({"anchors": (Anchor("mood", Image.new("RGBA", (4, 4))),)}, "role"),
        ({"seed": -1}, "seed"),
    ],
)
def test_malformed_requests_are_refused_on_construction(changes, needle):
    with pytest.raises(InvalidRequest) as caught:
        EngineRequest(**{"mode": Mode.IMG2IMG, "source": region(), **changes})
    assert needle in caught.value.message
    assert caught.value.status == 400


class TinyEngine(Engine):
    """Not registered: exercises the default check against small capabilities."""

    def capabilities(self) -> EngineCapabilities:
        return EngineCapabilities(
            label="Tiny",
            generative=True,
            modes=frozenset({Mode.IMG2IMG, Mode.UPSCALE}),
            max_references=1,
            anchor_roles=frozenset({"style"}),
            max_input_pixels=50 * 50,
            max_output_pixels=120 * 120,
            upscale_factors=(2,),
        )

    def run(self, request, progress):
        return []


@pytest.mark.parametrize(
    ("request_kwargs", "needle"),
    [
        ({"mode": Mode.INPAINT, "source": region((40, 40))}, "cannot do inpaint"),
        ({"mode": Mode.IMG2IMG, "source": None}, "select an area"),
        (
            {"mode": Mode.IMG2IMG, "source": region((40, 40)), "mask": Image.new("L", (40, 40))},
            "does not support masks",
        ),
        (
            {"mode": Mode.IMG2IMG, "source": region((40, 40)), "anchors": (palette_anchor(),)},
            "cannot use palette anchors",
        ),
        ({"mode": Mode.IMG2IMG, "source": region((60, 60))}, "Select a smaller area"),
        ({"mode": Mode.UPSCALE, "source": region((40, 40)), "scale": 4}, "×2 only"),
        (
            {"mode": Mode.IMG2IMG, "source": region((40, 40)), "output_size": (200, 200)},
            "at most",
        ),
        ({"mode": Mode.IMG2IMG, "source": region((40, 40)), "count": 2}, "at most 1 results"),
    ],
)
def test_default_check_refuses_what_capabilities_rule_out(request_kwargs, needle):
    with pytest.raises(UnsupportedRequest) as caught:
        TinyEngine().check(EngineRequest(**request_kwargs))
    assert needle in caught.value.message
    assert caught.value.status == 400


# --- Local engine refusals -----------------------------------------------------------------


def mask_box(size, box) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return mask


@pytest.mark.parametrize(
    ("request_kwargs", "needle"),
    [
        ({"mode": Mode.IMG2IMG, "prompt": "a castle at dusk"}, "cannot follow a text prompt"),
        (
            {"mode": Mode.IMG2IMG, "anchors": (Anchor("composition", region(), "layout"),)},
            "composition anchor",
        ),
        ({"mode": Mode.IMG2IMG}, "Nothing to transfer"),
        ({"mode": Mode.INPAINT}, "mask is empty"),
        ({"mode": Mode.INPAINT, "mask": Image.new("L", (96, 72))}, "mask is empty"),
        (
            {"mode": Mode.INPAINT, "mask": mask_box((96, 72), (0, 0, 90, 72))},
            "covers 94% of the region",
        ),
        ({"mode": Mode.UPSCALE, "scale": 3}, "×2 or ×4"),
        ({"mode": Mode.UPSCALE, "count": 2}, "ask for 1 result"),
        ({"mode": Mode.UPSCALE, "output_size": (100, 100)}, "192×144"),
        ({"mode": Mode.UPSCALE, "mask": mask_box((96, 72), (0, 0, 5, 5))}, "clear the mask"),
        ({"mode": Mode.VARIATIONS, "anchors": (palette_anchor(),) * 9}, "at most 8 anchors"),
    ],
)
def test_local_engine_refuses_what_it_cannot_do_before_queueing(request_kwargs, needle):
    request = EngineRequest(**{"source": region(), **request_kwargs})
    with pytest.raises(UnsupportedRequest) as caught:
        get_engine("local").check(request)
    assert needle in caught.value.message


def test_local_engine_refuses_text_to_image_without_a_source():
    with pytest.raises(UnsupportedRequest) as caught:
        get_engine("local").check(EngineRequest(mode=Mode.IMG2IMG, source=None, prompt="a cat"))
    assert "select an area" in caught.value.message


def test_run_turns_a_request_check_would_refuse_into_a_permanent_failure():
    request = EngineRequest(mode=Mode.IMG2IMG, source=region(), prompt="a cat")
    with pytest.raises(PermanentEngineError) as caught:
        get_engine("local").run(request, NullProgress())
    assert caught.value.retryable is False
    assert "text prompt" in caught.value.message


# --- img2img --------------------------------------------------------------------------------


def test_img2img_moves_the_region_toward_the_palette_anchor():
    anchor = palette_anchor()
    palette = colour.extract_palette(anchor.image, k=6)
    source = region()
    before = colour.mean_delta_e_to_palette(source, palette)
    weak = run(EngineRequest(mode=Mode.IMG2IMG, source=source, anchors=(anchor,), strength=0.3))
    strong = run(EngineRequest(mode=Mode.IMG2IMG, source=source, anchors=(anchor,), strength=0.9))
    after_weak = colour.mean_delta_e_to_palette(weak[0].image, palette)
    after_strong = colour.mean_delta_e_to_palette(strong[0].image, palette)
    assert after_strong < after_weak < before
    assert after_strong < before * 0.6
    assert len(strong[0].metadata["palette"]) == 2
    assert strong[0].image.size == source.size and strong[0].engine == "local"


def test_img2img_lighting_follows_the_anchor_direction():
    source = region()
    dx0, dy0 = luminance_gradient(source)
    assert dx0 > 10 and abs(dy0) < 2  # lit from the right to begin with
    result = run(
        EngineRequest(mode=Mode.IMG2IMG, source=source, anchors=(top_light_anchor(),), strength=1)
    )
    dx, dy = luminance_gradient(result[0].image)
    assert dy < -15 and abs(dx) < dx0 / 2


def test_img2img_style_anchor_grades_colour():
    style_image = Image.new("RGBA", (32, 32), (180, 40, 160, 255))
    ImageDraw.Draw(style_image).rectangle((0, 0, 15, 31), fill=(120, 20, 110, 255))
    source = region()
    target = colour.lab_statistics(colour.image_lab(style_image)[0])[0]
    before = colour.lab_statistics(colour.image_lab(source)[0])[0]
    result = run(
        EngineRequest(
            mode=Mode.IMG2IMG, source=source, anchors=(Anchor("style", style_image, "s"),)
        )
    )
    after = colour.lab_statistics(colour.image_lab(result[0].image)[0])[0]
    assert np.linalg.norm(after[1:] - target[1:]) < np.linalg.norm(before[1:] - target[1:])


def test_img2img_with_a_mask_leaves_pixels_beyond_the_feather_untouched():
    source = region()
    mask = mask_box(source.size, (30, 20, 60, 50))
    request = EngineRequest(
        mode=Mode.IMG2IMG,
        source=source,
        mask=mask,
        anchors=(palette_anchor(),),
        strength=1.0,
        params={"feather_px": 4},
    )
    out = np.asarray(run(request)[0].image)
    original = np.asarray(source)
    far = np.ones(out.shape[:2], bool)
    far[20 - 5 : 50 + 5, 30 - 5 : 60 + 5] = False
    assert np.array_equal(out[far], original[far])
    assert (out[25:45, 35:55] != original[25:45, 35:55]).any()


def test_img2img_reports_ignored_inputs_and_makes_seeded_extra_results():
    request = EngineRequest(
        mode=Mode.IMG2IMG,
        source=region(),
        anchors=(palette_anchor(), Anchor("composition", region(), "layout")),
        prompt="warmer please",
        count=3,
        seed=100,
    )
    results = run(request)
    assert [r.seed for r in results] == [100, 101, 102]
    assert results[0].metadata["ignored"] == ["composition anchor", "prompt"]
    assert len({r.image.tobytes() for r in results}) == 3
    assert results[0].timings["total"] > 0
    again = run(request)
    assert [r.image.tobytes() for r in again] == [r.image.tobytes() for r in results]


# --- inpaint --------------------------------------------------------------------------------


def test_inpaint_removes_the_masked_blob_and_keeps_the_rest():
    source = region((120, 90))
    ImageDraw.Draw(source).ellipse((45, 30, 70, 55), fill=(230, 20, 20, 255))
    mask = Image.new("L", source.size, 0)
    ImageDraw.Draw(mask).ellipse((42, 27, 73, 58), fill=255)
    request = EngineRequest(
        mode=Mode.INPAINT, source=source, mask=mask, seed=5, params={"feather_px": 3}
    )
    out = run(request)[0].image
    rgb = np.asarray(out.convert("RGB")).astype(int)
    assert (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])).max() < 60
    # Beyond the mask, its 2 px growth and the 3 px feather nothing moved.
    far = np.ones(rgb.shape[:2], bool)
    far[27 - 6 : 58 + 7, 42 - 6 : 73 + 7] = False
    assert np.array_equal(np.asarray(out)[far], np.asarray(source)[far])


def test_inpaint_rejects_an_unknown_fill_method():
    request = EngineRequest(
        mode=Mode.INPAINT,
        source=region(),
        mask=mask_box((96, 72), (10, 10, 20, 20)),
        params={"inpaint_method": "magic"},
    )
    with pytest.raises(PermanentEngineError) as caught:
        run(request)
    assert "telea or ns" in caught.value.message


# --- upscale --------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_multiplies_size_and_is_sharper_than_a_plain_resize(factor):
    source = region((40, 30))
    ImageDraw.Draw(source).rectangle((10, 8, 25, 22), fill=(20, 20, 20, 255))
    result = run(EngineRequest(mode=Mode.UPSCALE, source=source, scale=factor))[0]
    assert result.image.size == (40 * factor, 30 * factor)
    plain = source.resize(result.image.size, Image.Resampling.LANCZOS)
    assert edge_sharpness(result.image) > edge_sharpness(plain)
    assert result.metadata["scale"] == factor


# --- variations -----------------------------------------------------------------------------


def test_variations_are_identical_per_seed_and_different_across_seeds():
    request = EngineRequest(mode=Mode.VARIATIONS, source=region(), count=4, seed=77)
    first = run(request)
    second = run(request)
    assert [r.image.tobytes() for r in first] == [r.image.tobytes() for r in second]
    assert len({r.image.tobytes() for r in first}) == 4
    assert [r.seed for r in first] == [77, 78, 79, 80]
    # Result i is reproducible on its own from its reported seed.
    alone = run(EngineRequest(mode=Mode.VARIATIONS, source=region(), count=1, seed=79))
    assert alone[0].image.tobytes() == first[2].image.tobytes()
    other = run(EngineRequest(mode=Mode.VARIATIONS, source=region(), count=1, seed=1234))
    assert other[0].image.tobytes() != first[0].image.tobytes()


def test_variations_without_a_seed_report_the_one_they_used():
    result = run(EngineRequest(mode=Mode.VARIATIONS, source=region()))[0]
    assert isinstance(result.seed, int)
    replay = run(EngineRequest(mode=Mode.VARIATIONS, source=region(), seed=result.seed))[0]
    assert replay.image.tobytes() == result.image.tobytes()


def test_variations_with_a_mask_change_only_the_masked_area():
    source = region()
    mask = mask_box(source.size, (40, 30, 60, 50))
    request = EngineRequest(
        mode=Mode.VARIATIONS, source=source, mask=mask, count=2, seed=3, params={"feather_px": 0}
    )
    for result in run(request):
        out, original = np.asarray(result.image), np.asarray(source)
        outside = np.asarray(mask) == 0
        assert np.array_equal(out[outside], original[outside])
        assert (out[~outside] != original[~outside]).any()


# --- progress and cancellation --------------------------------------------------------------


def test_progress_reports_ordered_steps_and_low_res_previews():
    recorder = Recorder()
    source = region((600, 400))
    request = EngineRequest(
        mode=Mode.IMG2IMG,
        source=source,
        anchors=(palette_anchor(), top_light_anchor()),
        count=2,
        seed=1,
    )
    run(request, recorder)
    done = [s[0] for s in recorder.steps]
    totals = {s[1] for s in recorder.steps}
    assert done == sorted(done) and len(totals) == 1
    total = totals.pop()
    assert recorder.steps[-1][:2] == (total, total)
    assert all(message for _, _, message in recorder.steps)
    assert len(recorder.previews) >= 3
    assert all(max(p.size) <= PREVIEW_EDGE for p in recorder.previews)
    assert recorder.previews[0].size == (256, 171)


@pytest.mark.parametrize(
    "mode_kwargs",
    [
        {"mode": Mode.IMG2IMG, "anchors": (palette_anchor(), top_light_anchor())},
        {"mode": Mode.VARIATIONS, "count": 5},
        {"mode": Mode.INPAINT, "mask": mask_box((96, 72), (10, 10, 30, 30))},
        {"mode": Mode.UPSCALE},
    ],
)
def test_cancellation_is_honoured_between_steps(mode_kwargs):
    request = EngineRequest(source=region(), seed=1, **mode_kwargs)
    already = Recorder(cancel_after=0)
    with pytest.raises(JobCancelled):
        get_engine("local").run(request, already)
    assert already.steps == [] and already.previews == []
    midway = Recorder(cancel_after=1)
    with pytest.raises(JobCancelled):
        get_engine("local").run(request, midway)
    assert len(midway.steps) == 1  # stopped at the next checkpoint, no "Done"
