"""The ComfyUI engine against a fake ComfyUI speaking the real wire format.

The fake validates submitted graphs like ComfyUI and really pushes images through them
(tests/providers/fakes/comfyui.py), so these tests check which input went where, the slots
that were filled, progress/previews, cancellation, error classification and the
websocket-drop fallback.
"""

from __future__ import annotations

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
from canvas.engines.providers import comfyui
from canvas.engines.providers.comfyui import ComfyConfig, ComfyEngine
from canvas.models import ProviderCall, ProviderHealth
from tests.providers.fakes.comfyui import running_fake_comfy, seed_colour

# django_db: every provider call is recorded (resilience.recorded_call → ProviderCall).
pytestmark = [pytest.mark.timeout(60), pytest.mark.django_db]


class RecordingProgress:
    """A ProgressReporter that records calls; ``cancel_after`` steps it reports cancelled."""

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
    with running_fake_comfy() as server:
        yield server


def engine_for(fake, **overrides) -> ComfyEngine:
    options = {
        "url": fake.url,
        "models": ("sd15.safetensors",),
        "poll_interval": 0.05,
        "cancel_check_interval": 0.05,
        **overrides,
    }
    return ComfyEngine(ComfyConfig(**options))


def region(size=(64, 48), colour=(200, 30, 30, 255)) -> Image.Image:
    return Image.new("RGBA", size, colour)


def left_half_mask(size=(64, 48)) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, (0, 0, size[0] // 2, size[1]))
    return mask


def png_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def node(graph: dict, class_type: str) -> dict:
    return next(n for n in graph.values() if n["class_type"] == class_type)


def test_img2img_uploads_the_region_fills_the_slots_and_returns_the_result(fake):
    request = EngineRequest(
        mode="img2img",
        source=region(),
        prompt="a red door",
        negative_prompt="blurry",
        strength=0.5,
        seed=7,
        params={"steps": 12, "cfg": 5.5},
    )
    progress = RecordingProgress()
    [result] = engine_for(fake).run(request, progress)

    graph = fake.prompts[0]["prompt"]
    source_name = node(graph, "LoadImage")["inputs"]["image"]
    assert png_of(fake.uploads[source_name]).convert("RGB").getpixel((3, 3)) == (200, 30, 30)
    sampler = node(graph, "KSampler")["inputs"]
    assert (sampler["seed"], sampler["steps"], sampler["cfg"], sampler["denoise"]) == (
        7,
        12,
        5.5,
        0.5,
    )
    texts = {n["inputs"]["text"] for n in graph.values() if n["class_type"] == "CLIPTextEncode"}
    assert texts == {"a red door", "blurry"}
    assert node(graph, "CheckpointLoaderSimple")["inputs"]["ckpt_name"] == "sd15.safetensors"
    assert (
        node(graph, "ImageScale")["inputs"]["width"],
        node(graph, "ImageScale")["inputs"]["height"],
    ) == (64, 48)
    assert fake.prompts[0]["client_id"]

    # The fake sampler blends the source halfway toward the seed's colour.
    expected = tuple((a + b) // 2 for a, b in zip((200, 30, 30), seed_colour(7), strict=True))
    assert result.image.mode == "RGBA" and result.image.size == (64, 48)
    assert all(
        abs(a - b) <= 2 for a, b in zip(result.image.getpixel((10, 10))[:3], expected, strict=True)
    )
    assert result.seed == 7 and result.engine == "comfyui" and result.model == "sd15.safetensors"
    assert result.metadata["workflow"] == "img2img"
    assert set(result.timings) >= {"upload", "generate", "download", "total"}

    # Sampler steps and previews reached the reporter, from the caller's thread only.
    messages = [m for _, _, m in progress.steps]
    assert "Step 1 of 3" in messages and "Step 3 of 3" in messages
    assert progress.steps[-1] == (100, 100, "Done")
    dones = [d for d, _, _ in progress.steps]
    assert dones == sorted(dones)
    assert len(progress.previews) == 3
    assert progress.previews[0].getpixel((8, 8))[0] in range(30, 45)  # seed_colour(1) ≈ 37
    assert progress.thread_ids == {threading.get_ident()}


def test_inpaint_uploads_the_mask_and_changes_only_the_masked_half(fake):
    mask = left_half_mask()
    request = EngineRequest(
        mode="inpaint", source=region(), mask=mask, prompt="a window", strength=1.0, seed=3
    )
    [result] = engine_for(fake).run(request, RecordingProgress())

    graph = fake.prompts[0]["prompt"]
    mask_node = node(graph, "LoadImageMask")["inputs"]
    assert mask_node["channel"] == "red"
    assert png_of(fake.uploads[mask_node["image"]]).tobytes() == mask.tobytes()
    assert result.image.getpixel((5, 20))[:3] == seed_colour(3)  # masked: repainted
    assert result.image.getpixel((60, 20))[:3] == (200, 30, 30)  # unmasked: kept


def test_upscale_scales_by_the_factor_and_keeps_transparency(fake):
    source = region((20, 10), (10, 200, 10, 255))
    source.paste((0, 0, 0, 0), (0, 0, 10, 10))  # left half transparent
    [result] = engine_for(fake).run(
        EngineRequest(mode="upscale", source=source, scale=2), RecordingProgress()
    )
    assert node(fake.prompts[0]["prompt"], "ImageScaleBy")["inputs"]["scale_by"] == 2.0
    assert result.image.size == (40, 20)
    assert result.image.getpixel((2, 10))[3] == 0
    assert result.image.getpixel((35, 10)) == (10, 200, 10, 255)


def test_several_results_use_seed_plus_index(fake):
    results = engine_for(fake).run(
        EngineRequest(mode="img2img", source=region(), seed=100, count=2, strength=1.0),
        RecordingProgress(),
    )
    seeds = [node(p["prompt"], "KSampler")["inputs"]["seed"] for p in fake.prompts]
    assert seeds == [100, 101]
    assert [r.seed for r in results] == [100, 101]
    assert results[1].image.getpixel((1, 1))[:3] == seed_colour(101)


def test_a_random_seed_is_chosen_and_reported(fake):
    [result] = engine_for(fake).run(
        EngineRequest(mode="img2img", source=region()), RecordingProgress()
    )
    assert node(fake.prompts[0]["prompt"], "KSampler")["inputs"]["seed"] == result.seed
    assert 0 <= result.seed < 2**32


def test_node_exception_is_permanent_and_names_the_node(fake):
    fake.failure = "error"
    with pytest.raises(PermanentEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert "KSampler" in info.value.message
    assert "Expected all tensors to be on the same device" in info.value.message
    assert "Traceback" not in info.value.message


def test_out_of_memory_is_transient_with_a_retry_delay(fake):
    fake.failure = "oom"
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_out_of_memory"
    assert info.value.retry_after == comfyui.OUT_OF_MEMORY_RETRY_SECONDS
    assert "smaller region" in info.value.message


def test_interruption_by_someone_else_is_transient(fake):
    fake.failure = "interrupt"
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_interrupted"


def test_cancel_while_running_interrupts_our_prompt(fake):
    fake.hold.set()  # the prompt runs until interrupted
    progress = RecordingProgress(cancel_after=3)
    with pytest.raises(JobCancelled):
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), progress)
    assert fake.started.is_set()
    assert fake.interrupts == [{"prompt_id": fake.prompt_ids[0]}]
    assert fake.queue_deletes == []
    assert not any(m == "Done" for _, _, m in progress.steps)


class LeaseLost(Exception):
    pass


class FailingProgress(RecordingProgress):
    """The job runner's reporter raises when the job is no longer this worker's."""

    def step(self, done: int, total: int, message: str = "") -> None:
        super().step(done, total, message)
        if message == "ComfyUI started the workflow":
            raise LeaseLost()


def test_a_failing_reporter_stops_the_prompt_on_the_server(fake):
    fake.hold.set()
    with pytest.raises(LeaseLost):
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), FailingProgress())
    assert fake.interrupts == [{"prompt_id": fake.prompt_ids[0]}]


def test_upscale_count_and_inpaint_without_mask_are_refused(fake):
    engine = engine_for(fake)
    with pytest.raises(UnsupportedRequest, match="one result"):
        engine.check(EngineRequest(mode="upscale", source=region(), count=2))
    with pytest.raises(UnsupportedRequest, match="needs a mask"):
        engine.check(EngineRequest(mode="inpaint", source=region()))


def test_cancel_while_queued_deletes_it_from_the_queue(fake):
    fake.paused.set()  # prompts stay pending
    with pytest.raises(JobCancelled):
        engine_for(fake).run(
            EngineRequest(mode="img2img", source=region()), RecordingProgress(cancel_after=2)
        )
    assert fake.queue_deletes == fake.prompt_ids
    assert fake.interrupts == []
    assert not fake.started.is_set()


def test_dropped_websocket_falls_back_to_polling_history(fake):
    fake.failure = "drop_ws"
    fake.step_delay = 0.05
    progress = RecordingProgress()
    [result] = engine_for(fake).run(
        EngineRequest(mode="img2img", source=region(), seed=5, strength=1.0), progress
    )
    assert fake.ws_dropped == 1
    assert result.image.getpixel((1, 1))[:3] == seed_colour(5)
    assert any("Lost the live connection" in m for _, _, m in progress.steps)


def test_without_a_websocket_the_result_comes_from_polling(fake):
    fake.websocket_enabled = False
    [result] = engine_for(fake).run(
        EngineRequest(mode="img2img", source=region(), seed=9, strength=1.0), RecordingProgress()
    )
    assert fake.ws_connections == 0
    assert result.image.getpixel((1, 1))[:3] == seed_colour(9)


def test_a_graph_comfyui_rejects_is_permanent_and_names_node_and_input(fake):
    engine = engine_for(fake, models=("missing.safetensors",))
    with pytest.raises(PermanentEngineError) as info:
        engine.run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "workflow_rejected"
    assert "CheckpointLoaderSimple" in info.value.message
    assert "missing.safetensors" in info.value.message
    assert fake.prompts == [] and len(fake.rejected) == 1


def test_malformed_history_is_a_clear_permanent_error(fake):
    fake.failure = "malformed_history"
    with pytest.raises(PermanentEngineError) as info:
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_bad_response"
    assert "SaveImage" in info.value.message


def test_time_limit_is_transient_and_stops_the_prompt(fake):
    fake.hold.set()
    with pytest.raises(TransientEngineError) as info:
        engine_for(fake, time_limit=0.5).run(
            EngineRequest(mode="img2img", source=region()), RecordingProgress()
        )
    assert info.value.code == "provider_timeout"
    assert fake.interrupts


def test_unreachable_server_is_transient():
    with running_fake_comfy() as server:
        url = server.url
    engine = ComfyEngine(ComfyConfig(url=url, models=("sd15.safetensors",), connect_timeout=2))
    with pytest.raises(TransientEngineError) as info:
        engine.run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    assert info.value.code == "provider_unreachable"
    assert url in info.value.message


def test_builtin_workflows_refuse_anchors_with_a_reason(fake):
    engine = engine_for(fake)
    request = EngineRequest(
        mode="img2img", source=region(), anchors=(Anchor("style", region(), "moodboard"),)
    )
    with pytest.raises(UnsupportedRequest) as info:
        engine.check(request)
    # capabilities() says 0 references, so the base check refuses first
    assert "anchor" in info.value.message.lower()


def test_a_workflow_needing_a_checkpoint_is_refused_when_none_is_configured(fake):
    with pytest.raises(UnsupportedRequest) as info:
        engine_for(fake, models=()).check(EngineRequest(mode="img2img", source=region()))
    assert "ANCHORBOARD_COMFYUI_MODELS" in info.value.message


USER_WORKFLOW = """{
  "anchorboard": {"mode": "img2img", "description": "blend toward the first anchor"},
  "graph": {
    "1": {"class_type": "LoadImage", "inputs": {"image": "{{source_image}}"}},
    "2": {"class_type": "LoadImage", "inputs": {"image": "{{anchor_1}}"}},
    "3": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["2", 0],
          "blend_factor": "{{denoise}}", "blend_mode": "normal"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}}
  }
}"""


def test_a_user_workflow_with_an_anchor_slot_receives_the_anchor(fake, tmp_path):
    (tmp_path / "styled.json").write_text(USER_WORKFLOW)
    engine = engine_for(fake, workflows_dir=str(tmp_path))
    caps = engine.capabilities()
    assert caps.max_references == 1 and "style" in caps.anchor_roles
    request = EngineRequest(
        mode="img2img",
        source=region(),
        anchors=(Anchor("style", region(colour=(0, 0, 250, 255)), "blue"),),
        strength=1.0,
        params={"workflow": "styled"},
    )
    engine.check(request)
    [result] = engine.run(request, RecordingProgress())
    graph = fake.prompts[0]["prompt"]
    anchor_name = graph["2"]["inputs"]["image"]
    assert png_of(fake.uploads[anchor_name]).convert("RGB").getpixel((0, 0)) == (0, 0, 250)
    assert result.image.getpixel((5, 5))[:3] == (0, 0, 250)
    assert result.model == "styled"  # no checkpoint slot: the workflow names the result


def test_two_anchors_for_a_one_slot_workflow_are_refused(fake, tmp_path):
    (tmp_path / "styled.json").write_text(USER_WORKFLOW)
    engine = engine_for(fake, workflows_dir=str(tmp_path))
    anchors = (Anchor("style", region()), Anchor("palette", region()))
    with pytest.raises(UnsupportedRequest) as info:
        engine.check(
            EngineRequest(
                mode="img2img", source=region(), anchors=anchors, params={"workflow": "styled"}
            )
        )
    assert "at most 1" in info.value.message


def test_settings_of_the_wrong_type_are_refused_before_queueing(fake):
    with pytest.raises(UnsupportedRequest, match="'steps' must be a whole number"):
        engine_for(fake).check(
            EngineRequest(mode="img2img", source=region(), params={"steps": "many"})
        )


def test_unknown_workflow_name_is_refused_with_the_list(fake):
    with pytest.raises(UnsupportedRequest) as info:
        engine_for(fake).check(
            EngineRequest(mode="img2img", source=region(), params={"workflow": "nope"})
        )
    assert "img2img" in info.value.message and "inpaint" in info.value.message


def test_capabilities_follow_the_templates(fake):
    caps = engine_for(fake).capabilities()
    assert {m.value for m in caps.modes} == {"img2img", "inpaint", "upscale"}
    assert caps.supports_mask and caps.max_references == 0 and caps.upscale_factors == (2, 3, 4)
    assert caps.max_concurrency == 1


def test_configured_engines_appear_only_with_a_url(settings):
    settings.ANCHORBOARD_COMFYUI_URL = ""
    assert comfyui.configured_engines() == {}
    settings.ANCHORBOARD_COMFYUI_URL = "http://127.0.0.1:8188/"
    settings.ANCHORBOARD_COMFYUI_MODELS = "a.safetensors,b.safetensors"
    engines = comfyui.configured_engines()
    assert list(engines) == ["comfyui"]
    assert engines["comfyui"].config.url == "http://127.0.0.1:8188"
    assert engines["comfyui"].config.models == ("a.safetensors", "b.safetensors")


def test_ping_reads_system_stats(fake):
    status = comfyui.ping(ComfyConfig(url=fake.url))
    assert status["ok"] and "0.3.99-fake" in status["message"]


def test_every_prompt_is_recorded_and_feeds_the_breaker(fake):
    engine_for(fake).run(
        EngineRequest(mode="img2img", source=region(), count=2), RecordingProgress()
    )
    fake.failure = "oom"
    with pytest.raises(TransientEngineError):
        engine_for(fake).run(EngineRequest(mode="img2img", source=region()), RecordingProgress())
    calls = list(ProviderCall.objects.order_by("id").values_list("provider", "model", "outcome"))
    assert calls == [
        ("comfyui", "sd15.safetensors", "success"),
        ("comfyui", "sd15.safetensors", "success"),
        ("comfyui", "sd15.safetensors", "transient"),
    ]
    health = ProviderHealth.objects.get(provider="comfyui")
    assert health.consecutive_failures == 1 and "GPU memory" in health.last_error
