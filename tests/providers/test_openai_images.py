"""The OpenAI image-edit client against a fake OpenAI server: multipart mapping, errors."""

from __future__ import annotations

import pytest

from canvas.engines import PermanentEngineError, TransientEngineError
from canvas.engines.base import NullProgress
from canvas.engines.registry import get_engine
from canvas.models import ProviderCall
from tests.providers.fakes import openai as fake
from tests.providers.fakes.base import Behaviour
from tests.providers.fixtures import REGION_COLOR, left_half_mask, make_request

ENGINE = "openai-gpt-image-1.5"

pytestmark = pytest.mark.django_db


def test_a_single_region_goes_up_as_image_with_the_job_settings(openai_server):
    results = get_engine(ENGINE).run(make_request(count=3), NullProgress())
    [sent] = openai_server.requests  # n results in one call
    assert sent["fields"].count("image") == 1 and "image[]" not in sent["fields"]
    assert "mask" not in sent["fields"]
    assert sent["images"][0].size == (64, 48)
    assert sent["images"][0].convert("RGBA").getpixel((3, 3)) == REGION_COLOR
    assert sent["model"] == "gpt-image-1.5"
    assert sent["n"] == "3" and sent["size"] == "1536x1024"  # closest to 4:3
    assert sent["quality"] == "medium" and sent["output_format"] == "png"
    assert "Instructions: warmer light" in sent["prompt"]
    assert len(results) == 3 and [r.seed for r in results] == [11, 12, 13]
    assert results[0].image.size == (64, 48)
    assert results[0].image.getpixel((5, 5)) == (*fake.RESULT_COLOR, 255)


def test_anchors_go_up_as_repeated_image_parts_region_first(openai_server):
    request = make_request(
        anchors=[("palette", (0, 255, 0, 255), "swatch"), ("style", (0, 0, 255, 255), "ink")]
    )
    get_engine(ENGINE).run(request, NullProgress())
    [sent] = openai_server.requests
    assert sent["fields"].count("image[]") == 3 and "image" not in sent["fields"]
    assert sent["filenames"] == ["region.png", "anchor-1-style.png", "anchor-2-palette.png"]
    colours = [img.convert("RGBA").getpixel((0, 0)) for img in sent["images"]]
    assert colours == [REGION_COLOR, (0, 0, 255, 255), (0, 255, 0, 255)]
    assert "Image 2 is the style reference" in sent["prompt"]
    assert "Image 3 is the palette reference: use its colours" in sent["prompt"]


def test_inpaint_mask_is_transparent_where_the_designer_painted(openai_server):
    get_engine(ENGINE).run(make_request("inpaint", mask=left_half_mask()), NullProgress())
    [sent] = openai_server.requests
    mask = sent["mask"]
    assert mask.size == sent["images"][0].size  # checked by the fake like the real API
    assert mask.getpixel((5, 5))[3] == 0  # painted: edit here
    assert mask.getpixel((60, 5))[3] == 255  # not painted: keep


@pytest.mark.parametrize(
    ("behaviour", "error", "code", "words"),
    [
        (
            fake.moderation_blocked(),
            PermanentEngineError,
            "provider_blocked",
            "safety system rejected this request (moderation_blocked); nothing was charged",
        ),
        (
            fake.insufficient_quota(),
            PermanentEngineError,
            "provider_quota",
            "billing problem, not a busy server",
        ),
        (fake.rate_limited("3"), TransientEngineError, "provider_rate_limited", "busy"),
        (
            fake.error(400, "invalid_value", "Invalid size"),
            PermanentEngineError,
            "provider_invalid_request",
            "Invalid size",
        ),
        (
            fake.error(500, "server_error", "oops", "server_error"),
            TransientEngineError,
            "provider_unavailable",
            "HTTP 500",
        ),
        (
            fake.error(503, None, "overloaded", "server_error"),
            TransientEngineError,
            "provider_unavailable",
            "HTTP 503",
        ),
        (Behaviour("malformed"), TransientEngineError, "provider_bad_response", "could not"),
        (Behaviour("drop"), TransientEngineError, "provider_unreachable", "connection"),
        (
            Behaviour("slow", seconds=1.5),
            TransientEngineError,
            "provider_timeout",
            "did not answer",
        ),
    ],
)
def test_every_failure_is_classified_with_plain_words(
    openai_server, settings, behaviour, error, code, words
):
    if behaviour.kind == "slow":
        settings.ANCHORBOARD_OPENAI_TIMEOUT = 0.5  # the fake answers after 1.5 s
    openai_server.script(behaviour)
    with pytest.raises(error) as raised:
        get_engine(ENGINE).run(make_request(), NullProgress())
    assert raised.value.code == code
    assert words in raised.value.message
    call = ProviderCall.objects.get()
    assert call.provider == "openai" and call.error_code == code


def test_rate_limit_retry_after_header_is_honoured(openai_server):
    openai_server.script(fake.rate_limited("3"))
    with pytest.raises(TransientEngineError) as raised:
        get_engine(ENGINE).run(make_request(), NullProgress())
    assert raised.value.retry_after == 3.0


def test_a_wrong_key_is_an_auth_failure(openai_server, monkeypatch):
    monkeypatch.setenv("ANCHORBOARD_OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(PermanentEngineError) as raised:
        get_engine(ENGINE).run(make_request(), NullProgress())
    assert raised.value.code == "provider_auth"
    assert "HTTP 401" in raised.value.message


def test_cost_comes_from_usage(openai_server):
    get_engine(ENGINE).run(make_request(count=2), NullProgress())
    call = ProviderCall.objects.get()
    # 100 text + 1100 image input tokens, 2 × 1056 output tokens at gpt-image-1.5's
    # 5/8/32 USD per 1M.
    expected = (100 * 5 + 1100 * 8 + 2112 * 32) / 1e6
    assert float(call.cost_usd) == pytest.approx(expected, abs=1e-5)
    assert call.outcome == "success" and call.http_status == 200


def test_a_retired_model_is_a_configuration_error_not_a_retry(openai_server, settings):
    """gpt-image-1 was shut down; a server still configured for it gets the service's 404
    and a message that sends the designer to the administrator, without retrying."""
    from tests.providers.fixtures import registered_providers

    settings.ANCHORBOARD_OPENAI_IMAGE_MODELS = ["gpt-image-1"]
    with registered_providers(), pytest.raises(PermanentEngineError) as raised:
        get_engine("openai-gpt-image-1").run(make_request(), NullProgress())
    assert raised.value.code == "provider_model_not_found"
    assert "model name" in raised.value.message and openai_server.requests == []
