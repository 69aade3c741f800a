"""Seedance (ModelArk tasks) and Veo (Gemini API operations) against their fakes: request
mapping, polling, downloads of expiring links, safety blocks, failures, 429s, cancel."""

from __future__ import annotations

import pytest

from canvas.engines import (
    JobCancelled,
    PermanentEngineError,
    TransientEngineError,
    UnsupportedRequest,
)
from canvas.engines.registry import get_engine
from canvas.models import ProviderCall
from tests.providers.fakes import ark as fake_ark
from tests.providers.fakes import veo as fake_veo
from tests.providers.fixtures import video_request

SEEDANCE = f"seedance-{fake_ark.MODELS[0]}"
VEO = fake_veo.MODELS[0]

pytestmark = pytest.mark.django_db


class Recorder:
    """A reporter that keeps every step and can cancel after ``cancel_after`` looks."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.steps: list[str] = []
        self.looks = 0
        self.cancel_after = cancel_after

    def step(self, done: int, total: int, message: str = "") -> None:
        self.steps.append(message)

    def preview(self, image) -> None:
        pass

    def cancelled(self) -> bool:
        self.looks += 1
        return self.cancel_after is not None and self.looks > self.cancel_after


def roles(record) -> list[str]:
    return [c.get("role") for c in record["body"]["content"] if c["type"] == "image_url"]


# --- Seedance -------------------------------------------------------------------------------


def test_seedance_creates_a_task_polls_it_and_downloads_the_clip(ark_server):
    progress = Recorder()
    [result] = get_engine(SEEDANCE).run(video_request(last_frame=True, duration=6), progress)
    assert result.video is not None and result.video.read_bytes() == ark_server.book.clip
    body = ark_server.requests[0]["body"]
    assert body["model"] == fake_ark.MODELS[0]
    assert roles(ark_server.requests[0]) == ["first_frame", "last_frame"]
    assert (body["duration"], body["ratio"], body["resolution"]) == (6, "16:9", "720p")
    assert body["seed"] == 11 and body["camera_fixed"] is False
    task = ark_server.book.tasks[result.metadata["provider_task"]]
    assert task.polls >= 2  # queued, then running/succeeded: it polled until done
    assert any("queued" in s for s in progress.steps)
    assert progress.steps[-1] == "Done"
    call = ProviderCall.objects.get()
    assert call.outcome == "success" and call.provider == "seedance"


def test_seedance_sends_anchors_as_references_not_frames(ark_server):
    request = video_request(anchors=[("style", (0, 200, 0, 255), "look")])
    get_engine(SEEDANCE).run(request, Recorder())
    assert roles(ark_server.requests[0]) == ["reference_image", "reference_image"]


def test_an_expired_link_is_asked_for_again_and_then_downloaded(ark_server):
    ark_server.book.expire_links = 1
    [result] = get_engine(SEEDANCE).run(video_request(), Recorder())
    assert result.video.read_bytes() == ark_server.book.clip
    assert len(ark_server.book.downloads) == 2  # the expired link, then a fresh one


def test_a_link_expired_twice_is_a_transient_failure(ark_server):
    ark_server.book.expire_links = 2
    with pytest.raises(TransientEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_result_expired"
    assert "expired" in caught.value.message


def test_sensitive_input_is_a_safety_block(ark_server):
    ark_server.script(fake_ark.sensitive_input())
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_blocked"
    assert "InputTextSensitiveContentDetected" in caught.value.message


def test_a_filtered_output_is_a_safety_block_after_polling(ark_server):
    ark_server.script(fake_ark.output_blocked())
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_blocked"
    assert not ark_server.book.downloads


def test_a_failed_task_is_a_permanent_failure_naming_the_code(ark_server):
    ark_server.script(fake_ark.failing("InvalidParameter.ImageRatio"))
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_failed"
    assert "InvalidParameter.ImageRatio" in caught.value.message


def test_429_on_create_is_transient_with_the_providers_wait(ark_server):
    ark_server.script(fake_ark.rate_limited("3"))
    with pytest.raises(TransientEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_rate_limited"
    assert caught.value.retry_after == 3
    assert ProviderCall.objects.get().outcome == "transient"


def test_429_while_polling_backs_off_and_keeps_the_task(ark_server, settings):
    ark_server.poll_script.extend([fake_ark.rate_limited("0"), fake_ark.rate_limited("0")])
    progress = Recorder()
    [result] = get_engine(SEEDANCE).run(video_request(), progress)
    assert result.video is not None
    assert len(ark_server.book.tasks) == 1  # no second task was paid for
    assert any("rate limit" in s for s in progress.steps)


def test_cancel_mid_poll_stops_and_cancels_the_remote_task(ark_server):
    ark_server.book.polls_until_done = 1000
    with pytest.raises(JobCancelled):
        get_engine(SEEDANCE).run(video_request(), Recorder(cancel_after=3))
    [task] = ark_server.book.tasks.values()
    assert ark_server.deleted == [task.id]
    assert ProviderCall.objects.get().outcome == "cancelled"


def test_seedance_refuses_what_it_cannot_make_before_calling(ark_server):
    with pytest.raises(UnsupportedRequest, match="4, 5, 6"):
        get_engine(SEEDANCE).check(video_request(duration=2))
    with pytest.raises(UnsupportedRequest, match="prompt"):
        get_engine(SEEDANCE).check(video_request(prompt=""))
    assert not ark_server.requests


# --- Veo ------------------------------------------------------------------------------------


def test_veo_starts_an_operation_polls_it_and_downloads_without_leaking_the_key(veo_server):
    request = video_request(
        last_frame=True, duration=8, camera_fixed=True, anchors=[("palette", (9, 9, 9, 255), "")]
    )
    progress = Recorder()
    [result] = get_engine(VEO).run(request, progress)
    assert result.video is not None and result.video.read_bytes() == veo_server.book.clip
    body = veo_server.requests[0]["body"]
    instance = body["instances"][0]
    assert {"image", "lastFrame", "referenceImages"} <= set(instance)
    assert instance["referenceImages"][0]["referenceType"] == "asset"
    assert "camera stays completely still" in instance["prompt"]
    assert body["parameters"] == {
        "aspectRatio": "16:9",
        "durationSeconds": 8,
        "resolution": "720p",
        "seed": 11,
    }
    assert veo_server.leaked_keys == []  # the redirect was followed without the key
    assert any("generating" in s for s in progress.steps)


def test_veo_safety_filter_is_a_block_with_its_reason(veo_server):
    veo_server.script(fake_veo.filtered("The prompt could not be submitted (celebrity)."))
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(VEO).run(video_request(), Recorder())
    assert caught.value.code == "provider_blocked"
    assert "celebrity" in caught.value.message


def test_veo_operation_error_is_a_failure(veo_server):
    veo_server.script(fake_veo.failing("Unsupported first frame."))
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(VEO).run(video_request(), Recorder())
    assert caught.value.code == "provider_failed"


def test_veo_429_is_transient_and_an_expired_file_is_fetched_again(veo_server):
    veo_server.script(fake_veo.rate_limited("2"))
    with pytest.raises(TransientEngineError) as caught:
        get_engine(VEO).run(video_request(), Recorder())
    assert caught.value.retry_after == 2
    veo_server.book.expire_links = 1
    [result] = get_engine(VEO).run(video_request(), Recorder())
    assert result.video.read_bytes() == veo_server.book.clip


def test_veo_refuses_1080p_shorter_than_8_seconds(veo_server):
    with pytest.raises(UnsupportedRequest, match="8 seconds"):
        get_engine(VEO).check(video_request(resolution="1080p", duration=4))
    with pytest.raises(UnsupportedRequest, match="16:9, 9:16"):
        get_engine(VEO).check(video_request(aspect_ratio="1:1"))
