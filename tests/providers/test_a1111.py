"""The AUTOMATIC1111 / Forge engine against a fake A1111 API speaking the real wire format
(tests/providers/fakes/a1111.py): request mapping, progress polling and previews, cancel,
error classification, upscaling and the honest refusal of anchors."""

from __future__ import annotations

import base64
import io
import threading

import pytest
from PIL import Image

from canvas.engines.base import (
    Anchor,
    EngineRequest,
    JobCancelled,
    PermanentEngineError,
    TransientEngineError,
    UnsupportedRequest,
)
from canvas.engines.providers import a1111
from canvas.engines.providers.a1111 import A1111Config, A1111Engine
from canvas.models import ProviderCall
from tests.providers.fakes.a1111 import running_fake_a1111, seed_colour

# django_db: every provider call is recorded (resilience.recorded_call → ProviderCall).
pytestmark = [pytest.mark.timeout(60), pytest.mark.django_db]


class RecordingProgress:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.steps: list[tuple[int, int, str]] = []
        self.previews: list[Image.Image] = []
        self.cancel_after = cancel_after
        self.thread_ids: set[int] = set()

    def step(self, done: int, total: int, message: str = "") -> None:
        self.thread_ids.add(threading.get_ident())
        self.steps.append((done, total, message))

    def preview(self, image: Image.Image) -> None:
        self.thread_ids.add(threading.get_ident())
        self.previews.append(image)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.steps) >= self.cancel_after


@pytest.fixture
def fake():
    with running_fake_a1111() as server:
        yield server


def engine_for(fake, **overrides) -> A1111Engine:
    options = {
        "url": fake.url,
        "poll_interval": 0.01,
        "cancel_check_interval": 0.01,
        **overrides,
    }
    return A1111Engine(A1111Config(**options))


def region(size=(64, 48), colour=(200, 30, 30, 255)) -> Image.Image:
    return Image.new("RGBA", size, colour)


def decoded(data: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_img2img_body_carries_region_prompt_and_settings(fake):
    fake.step_delay = 0.1
    request = EngineRequest(
        mode="img2img",
        source=region(),
        prompt="a red door",
        negative_prompt="blurry",
        strength=0.5,
        seed=11,
        params={"steps": 12, "cfg": 5.5, "sampler": "DPM++ 2M"},
    )
    progress = RecordingProgress()
    engine = engine_for(fake, models=("sd15.safetensors [6ce0161689]",))
    [result] = engine.run(request, progress)

    body = fake.requests[0]
    assert decoded(body["init_images"][0]).convert("RGB").getpixel((2, 2)) == (200, 30, 30)
    assert (body["prompt"], body["negative_prompt"]) == ("a red door", "blurry")
    assert (body["denoising_strength"], body["seed"], body["steps"], body["cfg_scale"]) == (
        0.5,
        11,
        12,
        5.5,
    )
    assert (body["sampler_name"], body["width"], body["height"], body["batch_size"]) == (
        "DPM++ 2M",
        64,
        48,
        1,
    )
    assert "mask" not in body
    assert body["override_settings"] == {"sd_model_checkpoint": "sd15.safetensors [6ce0161689]"}

    expected = tuple((a + b) // 2 for a, b in zip((200, 30, 30), seed_colour(11), strict=True))
    pixel = result.image.getpixel((10, 10))
    assert all(abs(a - b) <= 2 for a, b in zip(pixel[:3], expected, strict=True))
    assert result.image.size == (64, 48) and result.image.mode == "RGBA"
    assert (result.seed, result.engine, result.model) == (
        11,
        "a1111",
        "sd15.safetensors [6ce0161689]",
    )

    # Polled progress and the live preview reached the reporter from the caller's thread.
    generating = [(d, m) for d, _, m in progress.steps if m.startswith("Generating")]
    assert generating and all(0 < d < 100 for d, _ in generating)
    assert progress.steps[-1] == (100, 100, "Done")
    assert progress.previews
    assert progress.previews[-1].convert("RGB").getpixel((4, 4)) in {
        seed_colour(s) for s in (1, 2, 3)
    }
    assert progress.thread_ids == {threading.get_ident()}


def test_inpaint_sends_the_mask_white_means_change(fake):
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (0, 0, 32, 48))
    request = EngineRequest(mode="inpaint", source=region(), mask=mask, strength=1.0, seed=4)
    [result] = engine_for(fake).run(request, RecordingProgress())

    body = fake.requests[0]
    assert decoded(body["mask"]).tobytes() == mask.tobytes()
    assert body["inpainting_mask_invert"] == 0
    assert (body["inpainting_fill"], body["inpaint_full_res"], body["mask_blur"]) == (1, True, 4)
    assert result.image.getpixel((5, 5))[:3] == seed_colour(4)
    assert result.image.getpixel((60, 5))[:3] == (200, 30, 30)


def test_several_results_are_one_batch_seeded_seed_plus_index_and_skip_the_grid(fake):
    fake.grid = True
    results = engine_for(fake).run(
        EngineRequest(mode="variations", source=region(), seed=20, count=3, strength=1.0),
        RecordingProgress(),
    )
    assert len(fake.requests) == 1 and fake.requests[0]["batch_size"] == 3
    assert [r.seed for r in results] == [20, 21, 22]
    assert [r.image.getpixel((1, 1))[:3] for r in results] == [seed_colour(s) for s in (20, 21, 22)]


def test_upscale_uses_the_extras_endpoint(fake):
    source = region((20, 10), (10, 200, 10, 255))
    [result] = engine_for(fake).run(
        EngineRequest(mode="upscale", source=source, scale=4), RecordingProgress()
    )
    assert fake.requests == []
    assert fake.upscales[0]["upscaling_resize"] == 4
    assert fake.upscales[0]["upscaler_1"] == "Lanczos"
    assert result.image.size == (80, 40)
    assert result.image.getpixel((40, 20)) == (10, 200, 10, 255)


def test_anchors_are_refused_honestly():
    engine = A1111Engine(A1111Config(url="http://127.0.0.1:9"))
    request = EngineRequest(
        mode="img2img", source=region(), anchors=(Anchor("palette", region(), "brand"),)
    )
    with pytest.raises(UnsupportedRequest) as info:
        engine.check(request)
    assert "no reference-image input" in info.value.message
    assert engine.capabilities().max_references == 0


def test_cancel_sends_interrupt(fake):
    fake.hold.set()
    progress = RecordingProgress(cancel_after=2)
    with pytest.raises(JobCancelled):
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), progress)
    assert fake.started.is_set()
    assert fake.interrupts == 1
    assert not any(m == "Done" for _, _, m in progress.steps)


def test_validation_error_422_is_permanent_and_says_which_field(fake):
    with pytest.raises(PermanentEngineError) as info:
        engine_for(fake).run(
            EngineRequest(mode="img2img", source=region(), params={"steps": "many"}),
            RecordingProgress(),
        )
    assert info.value.code == "provider_rejected"
    assert "steps" in info.value.message
    assert fake.requests == []


def test_unknown_sampler_404_is_permanent(fake):
    with pytest.raises(PermanentEngineError) as info:
        engine_for(fake, sampler="Imaginary").run(
            EngineRequest(mode="img2img", source=region()), RecordingProgress()
        )
    assert "Sampler not found: Imaginary" in info.value.message


def test_out_of_memory_500_is_transient_with_retry_after(fake):
    fake.failure = "oom"
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_out_of_memory"
    assert info.value.retry_after == a1111.OUT_OF_MEMORY_RETRY_SECONDS


def test_other_server_errors_are_transient(fake):
    fake.failure = "error500"
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_unavailable"


def test_dropped_connection_is_transient(fake):
    fake.failure = "drop"
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_connection_lost"


def test_connection_refused_is_transient():
    with running_fake_a1111() as server:
        url = server.url
    engine = A1111Engine(A1111Config(url=url, poll_interval=0.01, cancel_check_interval=0.01))
    with pytest.raises(TransientEngineError) as info:
        engine.run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_unreachable"


def test_time_limit_interrupts_and_is_transient(fake):
    fake.hold.set()
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake, time_limit=0.3).run(
            EngineRequest(mode="img2img", source=region()), RecordingProgress()
        )
    assert info.value.code == "provider_timeout"
    assert fake.interrupts == 1


def test_another_jobs_progress_and_preview_are_not_shown(fake):
    fake.busy_with_other_job = True
    fake.step_delay = 0.05
    progress = RecordingProgress()
    engine_for(fake).run(EngineRequest(mode="img2img", source=region()), progress)
    # The foreign job's preview is (1, 2, 3); ours are seed colours of steps 1..3.
    assert all(p.convert("RGB").getpixel((2, 2)) != (1, 2, 3) for p in progress.previews)


def test_cancel_behind_another_job_does_not_interrupt_that_job(fake):
    fake.busy_with_other_job = True
    fake.blocked.set()  # our request waits behind the other job
    progress = RecordingProgress(cancel_after=1)
    with pytest.raises(JobCancelled):
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), progress)
    assert progress.steps == [(0, 100, "Waiting for the A1111 server to finish another job")]
    assert fake.interrupts == 0


def test_unknown_model_is_refused_before_queueing(fake):
    with pytest.raises(UnsupportedRequest) as info:
        engine_for(fake, models=("a.safetensors",)).check(
            EngineRequest(mode="img2img", source=region(), params={"model": "b.safetensors"})
        )
    assert "a.safetensors" in info.value.message


def test_configured_engines_appear_only_with_a_url(settings):
    settings.ANCHORBOARD_A1111_URL = ""
    assert a1111.configured_engines() == {}
    settings.ANCHORBOARD_A1111_URL = "http://gpu-box:7860/"
    engines = a1111.configured_engines()
    assert list(engines) == ["a1111"] and engines["a1111"].config.url == "http://gpu-box:7860"


def test_ping_reports_the_loaded_checkpoint(fake):
    status = a1111.ping(A1111Config(url=fake.url))
    assert status["ok"] and "sd15.safetensors" in status["message"]


def test_calls_are_recorded_with_their_outcome(fake):
    engine = engine_for(fake, models=("sd15.safetensors [6ce0161689]",))
    engine.run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    with pytest.raises(PermanentEngineError):
        engine.run(
            EngineRequest(mode="img2img", source=region(), params={"steps": "x"}),
            RecordingProgress(),
        )
    calls = list(
        ProviderCall.objects.order_by("id").values_list(
            "provider", "outcome", "error_code", "http_status"
        )
    )
    assert calls == [
        ("a1111", "success", "", 200),
        ("a1111", "permanent", "provider_rejected", 422),
    ]
