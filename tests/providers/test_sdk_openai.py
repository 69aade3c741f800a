"""The fake OpenAI Images API against OpenAI's official ``openai`` SDK.

The app talks to OpenAI with its own httpx client; these tests prove that the fake it is
tested against accepts what OpenAI's SDK sends and answers what the SDK can parse. The SDK
is pointed at the fake's loopback URL; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import io

import openai
import pytest
from PIL import Image

from canvas.engines.base import Anchor, EngineRequest
from tests.providers.fakes import openai as fake

MODEL = "gpt-image-1.5"


def png(color, size=(16, 12), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, color, size=(16, 12)) -> tuple[str, bytes, str]:
    return (name, png(color, size), "image/png")


def client_for(server, key=fake.KEY, retries=0) -> openai.OpenAI:
    """The SDK as a developer would set it up, only pointed at the fake."""
    return openai.OpenAI(
        api_key=key,
        base_url=f"{server.url}/v1",
        max_retries=retries,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )


@pytest.fixture
def server():
    running = fake.FakeOpenAI()
    yield running
    running.close()


@pytest.fixture
def client(server):
    with client_for(server) as sdk:
        yield sdk


def decoded(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_an_edit_with_several_images_and_a_mask_as_the_app_makes_it(server, client):
    mask = Image.new("RGBA", (16, 12), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 8, 12))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    answer = client.images.edit(
        image=[
            upload("region.png", (200, 40, 40)),
            upload("anchor-1-style.png", (0, 0, 255), (8, 8)),
            upload("anchor-2-palette.png", (0, 255, 0), (8, 8)),
        ],
        mask=("mask.png", buffer.getvalue(), "image/png"),
        prompt="Image 2 is the style reference.",
        model=MODEL,
        n=3,
        size="1536x1024",
        quality="medium",
        output_format="png",
    )
    [sent] = server.requests
    assert sent["fields"].count("image[]") == 3 and "mask" in sent["fields"]
    assert [im.convert("RGB").getpixel((0, 0)) for im in sent["images"]] == [
        (200, 40, 40),
        (0, 0, 255),
        (0, 255, 0),
    ]
    assert sent["mask"].getpixel((2, 2))[3] == 0 and sent["mask"].getpixel((12, 2))[3] == 255
    assert (sent["model"], sent["n"], sent["size"], sent["quality"]) == (
        MODEL,
        "3",
        "1536x1024",
        "medium",
    )
    assert len(answer.data) == 3
    image = decoded(answer.data[0].b64_json)
    assert image.format == "PNG" and image.size == (64, 43)
    assert image.convert("RGB").getpixel((0, 0)) == fake.RESULT_COLOR
    assert answer.usage.input_tokens_details.image_tokens == 1100
    assert answer.output_format == "png" and answer.size == "1536x1024"


def test_one_image_goes_up_as_image_and_the_model_may_be_left_out(server, client):
    answer = client.images.edit(image=upload("region.png", 1), prompt="warmer")
    [sent] = server.requests
    assert sent["fields"].count("image") == 1 and "model" not in sent["fields"]
    assert sent["model"] == fake.DEFAULT_MODEL  # the service picks its default model
    assert len(answer.data) == 1


@pytest.mark.parametrize(("output_format", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP")])
def test_the_answer_is_in_the_requested_format(client, output_format, pil_format):
    answer = client.images.edit(
        image=upload("region.png", 1), prompt="x", model=MODEL, output_format=output_format
    )
    assert decoded(answer.data[0].b64_json).format == pil_format
    assert answer.output_format == output_format


def test_a_transparent_background_comes_back_with_alpha(client):
    answer = client.images.edit(
        image=upload("region.png", 1), prompt="x", model=MODEL, background="transparent"
    )
    assert decoded(answer.data[0].b64_json).mode == "RGBA"
    assert answer.background == "transparent"


def test_a_streamed_edit_sends_partial_images_then_the_result(server, client):
    events = list(
        client.images.edit(
            image=upload("region.png", 1), prompt="x", model=MODEL, stream=True, partial_images=2
        )
    )
    assert [e.type for e in events] == [
        "image_edit.partial_image",
        "image_edit.partial_image",
        "image_edit.completed",
    ]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert isinstance(events[-1], openai.types.ImageEditCompletedEvent)
    assert events[-1].usage.output_tokens == 1056
    assert decoded(events[-1].b64_json).convert("RGB").getpixel((0, 0)) == fake.RESULT_COLOR
    assert server.requests[-1]["stream"] == "true"


def test_generation_answers_plain_and_streamed(server, client):
    answer = client.images.generate(prompt="A lighthouse", model=MODEL, size="1024x1536")
    assert decoded(answer.data[0].b64_json).size == (64, 96)
    events = list(
        client.images.generate(prompt="A lighthouse", model=MODEL, stream=True, partial_images=1)
    )
    assert [e.type for e in events] == [
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    assert server.requests[-1]["images"] == []


def test_models_list_offers_current_models_and_not_retired_ones(client):
    ids = {m.id for m in client.models.list()}
    assert MODEL in ids and "gpt-image-1" not in ids
    assert client.models.retrieve(MODEL).owned_by == "system"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-image-1")
    assert missing.value.code == "model_not_found"


def test_a_retired_model_is_refused_like_the_service_does(server, client):
    with pytest.raises(openai.NotFoundError) as retired:
        client.images.edit(image=upload("region.png", 1), prompt="x", model="gpt-image-1")
    assert retired.value.code == "model_not_found" and server.requests == []


def test_bytes_without_an_image_type_are_refused(server, client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.images.edit(image=png(1), prompt="x", model=MODEL)  # sent as octet-stream
    assert refused.value.code == "unsupported_file_mimetype"
    assert refused.value.param == "image"


@pytest.mark.parametrize(
    ("behaviour", "kind", "status", "code"),
    [
        (fake.moderation_blocked(), openai.BadRequestError, 400, "moderation_blocked"),
        (fake.rate_limited("3"), openai.RateLimitError, 429, "rate_limit_exceeded"),
        (fake.insufficient_quota(), openai.RateLimitError, 429, "insufficient_quota"),
        (
            fake.error(500, "server_error", "Internal error.", "server_error"),
            openai.InternalServerError,
            500,
            "server_error",
        ),
        (
            fake.error(503, "service_unavailable", "Overloaded.", "server_error"),
            openai.InternalServerError,
            503,
            "service_unavailable",
        ),
    ],
)
def test_error_bodies_parse_as_the_sdks_errors(server, client, behaviour, kind, status, code):
    server.script(behaviour)
    with pytest.raises(kind) as raised:
        client.images.edit(image=upload("region.png", 1), prompt="x", model=MODEL)
    assert raised.value.status_code == status and raised.value.code == code
    assert raised.value.type == behaviour.body["error"]["type"]
    assert raised.value.request_id == "req_fake"
    if code == "rate_limit_exceeded":
        assert raised.value.response.headers["retry-after"] == "3"


def test_a_wrong_key_is_an_authentication_error(server):
    with (
        client_for(server, key="wrong") as stranger,
        pytest.raises(openai.AuthenticationError) as refused,
    ):
        stranger.images.edit(image=upload("region.png", 1), prompt="x", model=MODEL)
    assert refused.value.code == "invalid_api_key" and server.requests == []


def test_the_sdk_honours_retry_after_and_gets_the_image(server):
    server.script(fake.rate_limited("0.05"))
    with client_for(server, retries=1) as patient:
        answer = patient.images.edit(image=upload("region.png", 1), prompt="x", model=MODEL)
    assert server.count == 2 and len(answer.data) == 1


def test_the_apps_request_is_the_one_the_sdk_would_send(server, client, settings, monkeypatch):
    """The multipart form the app builds, sent again by the SDK from the same values, has
    the same fields, files and values: the app sends nothing the service would read
    differently from OpenAI's own client."""
    from canvas.engines.providers import http
    from canvas.engines.providers.engine import engine_class
    from canvas.engines.providers.openai_images import OpenAIImageEngine

    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (0, 0, 32, 48))
    request = EngineRequest(
        mode="inpaint",
        source=Image.new("RGBA", (64, 48), (200, 40, 40, 255)),
        mask=mask,
        anchors=(Anchor("palette", Image.new("RGBA", (8, 8), (0, 255, 0, 255)), "swatch"),),
        prompt="warmer",
        seed=5,
        count=2,
    )
    engine = engine_class(OpenAIImageEngine, f"openai-{MODEL}", model=MODEL)()
    data, files = engine.build_form(request, 2)
    images = [f for name, f in files if name in ("image", "image[]")]
    [mask_file] = [f for name, f in files if name == "mask"]
    client.images.edit(
        image=images,
        mask=mask_file,
        prompt=data["prompt"],
        model=data["model"],
        n=int(data["n"]),
        size=data["size"],  # type: ignore[arg-type]
        quality=data["quality"],  # type: ignore[arg-type]
        output_format=data["output_format"],  # type: ignore[arg-type]
    )
    sdk = server.requests[-1]
    settings.ANCHORBOARD_OPENAI_BASE_URL = server.url
    monkeypatch.setenv("ANCHORBOARD_OPENAI_API_KEY", fake.KEY)
    http.run_sync(engine._post(data, files))  # the app's own client, as in a job
    app = server.requests[-1]
    assert sorted(app["fields"]) == sorted(sdk["fields"])  # text fields' order is free
    for key in (
        "filenames",
        "content_types",
        "prompt",
        "model",
        "n",
        "size",
        "quality",
        "output_format",
    ):
        assert app[key] == sdk[key], key
    assert [im.tobytes() for im in app["images"]] == [im.tobytes() for im in sdk["images"]]
    assert app["mask"].tobytes() == sdk["mask"].tobytes()
