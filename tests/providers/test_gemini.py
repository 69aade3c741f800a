"""The Gemini client against a fake Gemini server: request mapping and every failure."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from canvas.engines import PermanentEngineError, TransientEngineError, UnsupportedRequest
from canvas.engines.base import EngineRequest, NullProgress
from canvas.engines.registry import get_engine
from canvas.models import ProviderCall
from tests.providers.fakes import gemini as fake
from tests.providers.fakes.base import Behaviour
from tests.providers.fixtures import REGION_COLOR, left_half_mask, make_request

PRO = "gemini-3-pro-image-preview"
FLASH = "gemini-2.5-flash-image"

pytestmark = pytest.mark.django_db


def sent_text(request_record) -> str:
    parts = request_record["body"]["contents"][0]["parts"]
    return "\n".join(p["text"] for p in parts if "text" in p)


def test_region_first_then_anchors_by_role_priority_with_instructions(gemini_server):
    request = make_request(
        anchors=[
            ("lighting", (0, 0, 255, 255), "lamp"),
            ("palette", (0, 255, 0, 255), "swatch"),
            ("composition", (255, 255, 0, 255), "layout"),
        ],
        count=2,
    )
    results = get_engine(PRO).run(request, NullProgress())
    assert len(gemini_server.requests) == 2  # one call per result
    first = gemini_server.requests[0]
    colours = [img.convert("RGBA").getpixel((0, 0)) for img in first["images"]]
    assert colours == [REGION_COLOR, (255, 255, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255)]
    text = sent_text(first)
    assert "Image 1 is the region" in text
    assert "Image 2 is the composition reference" in text
    assert "Image 3 is the palette reference: use its colours" in text
    assert "Image 4 is the lighting reference" in text
    assert "Instructions: warmer light" in text
    config = first["body"]["generationConfig"]
    assert config["responseModalities"] == ["IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "4:3", "imageSize": "1K"}
    assert [r["body"]["generationConfig"]["seed"] for r in gemini_server.requests] == [11, 12]
    # The answer (64×48 from a 4:3 request, green) is returned at the region's size.
    assert [r.seed for r in results] == [11, 12]
    assert results[0].image.mode == "RGBA" and results[0].image.size == (64, 48)
    assert results[0].image.getpixel((10, 10)) == (*fake.RESULT_COLOR, 255)
    assert results[0].engine == PRO and results[0].model == PRO


def test_flash_sends_no_image_size_and_respects_its_three_image_limit(gemini_server):
    engine = get_engine(FLASH)
    assert engine.capabilities().max_references == 2
    too_many = make_request(anchors=[("style", (1, 1, 1, 255), "a")] * 3)
    with pytest.raises(UnsupportedRequest, match="at most 2 anchors"):
        engine.check(too_many)
    # Inpaint at the limit: region + 2 anchors fill it, so no mask picture is added, and
    # the masked area is described in words instead.
    request = make_request(
        "inpaint",
        mask=left_half_mask(),
        anchors=[("style", (1, 1, 1, 255), "a"), ("palette", (2, 2, 2, 255), "b")],
    )
    engine.check(request)
    engine.run(request, NullProgress())
    sent = gemini_server.requests[-1]
    assert len(sent["images"]) == 3
    assert "imageSize" not in sent["body"]["generationConfig"]["imageConfig"]
    text = sent_text(sent)
    assert "Change only the area from 0% to 50% across and 0% to 100% down" in text
    assert "mask" not in text.lower().split("change only")[0]


def test_inpaint_sends_a_mask_picture_when_there_is_room(gemini_server):
    get_engine(PRO).run(make_request("inpaint", mask=left_half_mask()), NullProgress())
    sent = gemini_server.requests[-1]
    assert len(sent["images"]) == 2
    mask_picture = sent["images"][1].convert("L")
    assert mask_picture.getpixel((5, 5)) == 255 and mask_picture.getpixel((60, 5)) == 0
    assert "Image 2 is a mask of image 1: change only where it is white" in sent_text(sent)


def test_the_last_non_thought_image_is_the_result(gemini_server):
    gemini_server.script(Behaviour("thought"))
    [result] = get_engine(PRO).run(make_request(), NullProgress())
    assert result.image.getpixel((0, 0)) == (*fake.RESULT_COLOR, 255)


@pytest.mark.parametrize(
    ("behaviour", "error", "code", "words"),
    [
        (
            fake.error(400, "INVALID_ARGUMENT", "Bad image"),
            PermanentEngineError,
            "provider_invalid_request",
            "rejected the request (Bad image)",
        ),
        (
            fake.error(400, "FAILED_PRECONDITION", "Billing"),
            PermanentEngineError,
            "provider_unavailable_for_account",
            "region or billing",
        ),
        (
            fake.error(403, "PERMISSION_DENIED", "No"),
            PermanentEngineError,
            "provider_auth",
            "API key",
        ),
        (
            fake.error(404, "NOT_FOUND", "No model"),
            PermanentEngineError,
            "provider_model_not_found",
            "model",
        ),
        (fake.rate_limited("7s"), TransientEngineError, "provider_rate_limited", "quota"),
        (
            fake.error(500, "INTERNAL", "oops"),
            TransientEngineError,
            "provider_unavailable",
            "HTTP 500",
        ),
        (
            fake.error(503, "UNAVAILABLE", "busy"),
            TransientEngineError,
            "provider_unavailable",
            "HTTP 503",
        ),
        (
            fake.error(504, "DEADLINE_EXCEEDED", "slow"),
            TransientEngineError,
            "provider_unavailable",
            "HTTP 504",
        ),
        (Behaviour("malformed"), TransientEngineError, "provider_bad_response", "could not"),
        (Behaviour("bad_image"), TransientEngineError, "provider_bad_response", "damaged"),
        (Behaviour("drop"), TransientEngineError, "provider_unreachable", "connection"),
        (
            Behaviour("slow", seconds=1.5),
            TransientEngineError,
            "provider_timeout",
            "did not answer within 0.5 seconds",
        ),
        (
            Behaviour("block", reason="PROHIBITED_CONTENT"),
            PermanentEngineError,
            "provider_blocked",
            "safety reasons (PROHIBITED_CONTENT)",
        ),
        (
            Behaviour("block", reason="OTHER"),
            PermanentEngineError,
            "provider_blocked",
            "refused this request (OTHER)",
        ),
        (
            Behaviour("text_only"),
            PermanentEngineError,
            "provider_no_image",
            "I can't edit this image",
        ),
        (
            Behaviour("safety", reason="NO_IMAGE"),
            PermanentEngineError,
            "provider_no_image",
            "without an image (NO_IMAGE)",
        ),
    ],
)
def test_every_failure_is_classified_with_plain_words(
    gemini_server, settings, behaviour, error, code, words
):
    if behaviour.kind == "slow":
        settings.ANCHORBOARD_GEMINI_TIMEOUT = 0.5  # the fake answers after 1.5 s
    gemini_server.script(behaviour)
    with pytest.raises(error) as raised:
        get_engine(PRO).run(make_request(), NullProgress())
    assert raised.value.code == code
    assert words in raised.value.message
    assert "Traceback" not in raised.value.message
    call = ProviderCall.objects.get()
    assert call.outcome == ("transient" if error is TransientEngineError else "permanent")
    assert call.error_code == code and call.provider == "gemini" and call.model == PRO


def test_safety_block_message_names_the_model_and_says_nothing_was_charged(gemini_server):
    gemini_server.script(Behaviour("safety", reason="IMAGE_SAFETY"))
    with pytest.raises(PermanentEngineError) as raised:
        get_engine(PRO).run(make_request(), NullProgress())
    assert raised.value.message.startswith(
        "Nano Banana Pro blocked this request for safety reasons (IMAGE_SAFETY); nothing was "
        "charged"
    )


def test_retry_delay_from_retry_info_is_passed_on(gemini_server):
    gemini_server.script(fake.rate_limited("12.5s"))
    with pytest.raises(TransientEngineError) as raised:
        get_engine(PRO).run(make_request(), NullProgress())
    assert raised.value.retry_after == 12.5


def test_a_wrong_key_is_an_auth_failure(gemini_server, monkeypatch):
    monkeypatch.setenv("ANCHORBOARD_GEMINI_API_KEY", "wrong")
    with pytest.raises(PermanentEngineError) as raised:
        get_engine(PRO).run(make_request(), NullProgress())
    assert raised.value.code == "provider_auth"
    assert gemini_server.requests == []  # refused before the request was looked at


def test_successful_calls_are_recorded_with_cost_and_latency(gemini_server):
    get_engine(PRO).run(make_request(count=2), NullProgress())
    calls = list(ProviderCall.objects.order_by("id"))
    assert [c.outcome for c in calls] == ["success", "success"]
    assert all(c.http_status == 200 and c.engine == PRO for c in calls)
    assert float(calls[0].cost_usd) == pytest.approx(0.134)
    assert all(c.job_id is None and c.latency_ms >= 0 for c in calls)


def test_images_are_sent_as_valid_base64_png(gemini_server):
    get_engine(FLASH).run(make_request(), NullProgress())
    part = gemini_server.requests[-1]["body"]["contents"][0]["parts"][1]["inlineData"]
    assert part["mimeType"] == "image/png"
    assert Image.open(io.BytesIO(base64.b64decode(part["data"]))).size == (64, 48)


class CancelAfterFirstLook:
    """A progress reporter whose job is cancelled once the call is under way."""

    def __init__(self) -> None:
        self.looks = 0

    def step(self, done, total, message=""):
        pass

    def preview(self, image):
        pass

    def cancelled(self) -> bool:
        self.looks += 1
        return self.looks > 1  # the check before the call passes; the next one cancels


def test_cancel_during_a_long_call_stops_waiting_for_it(gemini_server, settings):
    from canvas.engines import JobCancelled

    settings.ANCHORBOARD_GEMINI_TIMEOUT = 30
    gemini_server.script(Behaviour("slow", seconds=5))
    with pytest.raises(JobCancelled):
        get_engine(PRO).run(make_request(), CancelAfterFirstLook())
    # Recorded as cancelled: the client gave up on the call instead of waiting it out.
    assert ProviderCall.objects.get().outcome == "cancelled"


def test_an_empty_mask_is_refused_without_a_call(gemini_server):
    from PIL import Image as PILImage

    with pytest.raises(PermanentEngineError) as raised:
        get_engine(PRO).run(
            make_request("inpaint", mask=PILImage.new("L", (64, 48), 0)), NullProgress()
        )
    assert raised.value.code == "empty_mask" and gemini_server.requests == []


def test_a_region_too_detailed_for_one_inline_image_is_sent_smaller(gemini_server, monkeypatch):
    """Google refuses an inline image over its size limit; a detailed region is shrunk until
    its PNG fits instead of failing the job (the limit is lowered here to keep the test
    small: noise does not compress, like a detailed photo)."""
    import numpy as np

    from canvas.engines.providers import gemini

    monkeypatch.setattr(gemini, "MAX_INLINE_BYTES", 100_000)
    noise = np.random.default_rng(3).integers(0, 256, (240, 320, 4), dtype=np.uint8)
    noise[..., 3] = 255
    request = EngineRequest(
        mode="img2img", source=Image.fromarray(noise, "RGBA"), prompt="warmer", seed=1
    )
    [result] = get_engine(PRO).run(request, NullProgress())
    part = gemini_server.requests[-1]["body"]["contents"][0]["parts"][1]["inlineData"]
    sent = base64.b64decode(part["data"])
    assert len(sent) <= 100_000
    width, height = Image.open(io.BytesIO(sent)).size
    assert width < 320 and abs(width / height - 320 / 240) < 0.02  # smaller, same shape
    assert result.image.size == (320, 240)  # the result still covers the whole region
