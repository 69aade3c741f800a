"""The fake Gemini against Google's official ``google-genai`` SDK.

The app talks to Gemini with its own httpx client; these tests prove that the fake it is
tested against accepts what Google's SDK sends and answers what the SDK can parse — so a
request the real service would treat differently cannot pass the app's tests unnoticed.
The SDK is pointed at the fake's loopback URL; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import io

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

from canvas.engines.base import Anchor, EngineRequest
from tests.providers.fakes import gemini as fake
from tests.providers.fakes.base import Behaviour

PRO = "gemini-3-pro-image-preview"
FLASH = "gemini-2.5-flash-image"
NB2 = "gemini-3.1-flash-image-preview"


def png(color, size=(16, 12), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


def image_part(color, size=(16, 12)) -> types.Part:
    return types.Part.from_bytes(data=png(color, size), mime_type="image/png")


def client_for(server, key=fake.KEY, **options) -> genai.Client:
    """The SDK as a developer would set it up, only pointed at the fake."""
    return genai.Client(
        api_key=key,
        http_options=types.HttpOptions(
            base_url=server.url, client_args={"trust_env": False}, **options
        ),
    )


@pytest.fixture
def server():
    running = fake.FakeGemini()
    yield running
    running.close()


@pytest.fixture
def client(server):
    return client_for(server)


def pixels(part: types.Part) -> tuple[tuple[int, int], tuple[int, ...]]:
    assert part.inline_data is not None and part.inline_data.data is not None
    image = Image.open(io.BytesIO(part.inline_data.data)).convert("RGB")
    return image.size, image.getpixel((0, 0))


def test_an_edit_with_region_anchors_and_mask_picture_as_the_app_makes_it(server, client):
    answer = client.models.generate_content(
        model=PRO,
        contents=[
            "Image 1 is the region. Image 2 is the palette reference. Image 3 is a mask.",
            image_part((200, 40, 40)),
            image_part((0, 255, 0)),
            image_part((255, 255, 255)),
        ],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="4:3", image_size="1K"),
            seed=11,
        ),
    )
    [sent] = server.requests
    assert sent["version"] == "v1"  # the SDK's default API version is served
    assert [im.convert("RGB").getpixel((0, 0)) for im in sent["images"]] == [
        (200, 40, 40),
        (0, 255, 0),
        (255, 255, 255),
    ]
    config = sent["body"]["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "4:3", "imageSize": "1K"}
    assert config["seed"] == 11
    candidate = answer.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    [part] = candidate.content.parts
    assert pixels(part) == ((64, 48), fake.RESULT_COLOR)
    assert answer.usage_metadata.prompt_token_count == 3 * 560
    assert answer.model_version == PRO


def test_the_sdks_url_safe_base64_is_accepted(server, client):
    # Find a picture whose standard base64 has "+" or "/", so URL-safe differs from it.
    color = next(
        c
        for c in ((i, 7, 9) for i in range(256))
        if set("+/") & set(base64.b64encode(png(c)).decode())
    )
    client.models.generate_content(model=FLASH, contents=["edit", image_part(color)])
    data = server.requests[-1]["body"]["contents"][0]["parts"][1]["inlineData"]["data"]
    assert set("-_") & set(data), "the SDK no longer sends URL-safe base64"
    assert server.requests[-1]["images"][0].convert("RGB").getpixel((0, 0)) == color


def test_googles_own_example_without_response_modalities_gets_text_and_image(server, client):
    answer = client.models.generate_content(model=NB2, contents=["Make it dusk", image_part(1)])
    parts = answer.candidates[0].content.parts
    assert [p.text for p in parts if p.text] == ["Here is the edited image."]
    assert pixels(next(p for p in parts if p.inline_data))[1] == fake.RESULT_COLOR
    assert "generationConfig" not in server.requests[-1]["body"]


def test_a_prompt_alone_generates_an_image(server, client):
    answer = client.models.generate_content(
        model=PRO,
        contents="A lighthouse at dusk",
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert server.requests[-1]["images"] == []
    assert pixels(answer.candidates[0].content.parts[-1])[1] == fake.RESULT_COLOR


def test_the_wide_ratios_are_nano_banana_2s_only(server, client):
    tall = types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:4")
    )
    answer = client.models.generate_content(model=NB2, contents=["x", image_part(1)], config=tall)
    assert pixels(answer.candidates[0].content.parts[0])[0] == (64, 256)
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=PRO, contents=["x", image_part(1)], config=tall)
    assert refused.value.code == 400 and refused.value.status == "INVALID_ARGUMENT"
    assert "1:4" in refused.value.message


def test_the_apps_api_version_v1beta_is_served_too(server):
    client = client_for(server, api_version="v1beta")
    client.models.generate_content(model=FLASH, contents=["x", image_part(1)])
    assert server.requests[-1]["version"] == "v1beta"


def test_streaming_sends_thought_images_then_the_final_one(server, client):
    server.script(Behaviour("thought"))
    chunks = list(
        client.models.generate_content_stream(
            model=PRO,
            contents=["x", image_part(1)],
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )
    )
    assert server.requests[-1]["method"] == "streamGenerateContent"
    parts = [p for chunk in chunks for p in chunk.candidates[0].content.parts]
    assert [bool(p.thought) for p in parts] == [True, False, False]
    assert pixels(parts[0])[1] == (250, 0, 0) and pixels(parts[-1])[1] == fake.RESULT_COLOR
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_safety_blocks_parse_as_the_sdks_reasons(server, client):
    server.script(Behaviour("block", reason="PROHIBITED_CONTENT"), Behaviour("safety"))
    blocked = client.models.generate_content(model=PRO, contents=["x", image_part(1)])
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    assert not blocked.candidates
    unsafe = client.models.generate_content(model=PRO, contents=["x", image_part(1)])
    assert unsafe.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    assert not unsafe.candidates[0].content.parts


def test_a_text_only_answer_has_no_image(server, client):
    server.script(Behaviour("text_only"))
    answer = client.models.generate_content(model=PRO, contents=["x", image_part(1)])
    assert answer.text == "I can't edit this image."
    assert not [p for p in answer.candidates[0].content.parts if p.inline_data]


@pytest.mark.parametrize(
    ("behaviour", "kind", "code", "status"),
    [
        (fake.rate_limited("12s"), errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
        (
            fake.error(400, "FAILED_PRECONDITION", "Not in your region."),
            errors.ClientError,
            400,
            "FAILED_PRECONDITION",
        ),
        (fake.error(500, "INTERNAL", "Internal error."), errors.ServerError, 500, "INTERNAL"),
        (
            fake.error(503, "UNAVAILABLE", "The model is overloaded."),
            errors.ServerError,
            503,
            "UNAVAILABLE",
        ),
    ],
)
def test_error_bodies_parse_as_the_sdks_errors(server, client, behaviour, kind, code, status):
    server.script(behaviour)
    with pytest.raises(kind) as raised:
        client.models.generate_content(model=PRO, contents=["x", image_part(1)])
    assert (raised.value.code, raised.value.status) == (code, status)
    assert raised.value.message == behaviour.body["error"]["message"]
    if code == 429:
        [retry] = raised.value.details["error"]["details"]
        assert retry["retryDelay"] == "12s"


def test_a_wrong_key_and_an_unknown_model_are_refused(server, client):
    stranger = client_for(server, key="wrong")  # kept: a dropped Client closes its connection
    with pytest.raises(errors.ClientError) as wrong_key:
        stranger.models.generate_content(model=PRO, contents="x")
    assert wrong_key.value.code == 400 and "API key not valid" in wrong_key.value.message
    with pytest.raises(errors.ClientError) as unknown:
        client.models.generate_content(model="gemini-9-image", contents="x")
    assert unknown.value.code == 404 and unknown.value.status == "NOT_FOUND"
    assert server.requests == []


def test_models_list_pages_through_every_model_and_get_reads_one(server, client):
    listed = list(client.models.list(config={"page_size": 1}))
    assert [m.name for m in listed] == [f"models/{m}" for m in fake.MAX_IMAGES]
    assert "generateContent" in listed[0].supported_actions
    assert client.models.get(model=NB2).display_name == "Nano Banana 2"
    with pytest.raises(errors.ClientError) as missing:
        client.models.get(model="gemini-9-image")
    assert missing.value.code == 404


def app_body(model: str, request: EngineRequest) -> dict:
    from canvas.engines.providers import config
    from canvas.engines.providers.engine import engine_class
    from canvas.engines.providers.gemini import GeminiEngine

    spec = config.GEMINI_MODELS[model]
    engine = engine_class(GeminiEngine, model, spec=spec, model=model)()
    return engine.build_body(request, 0)


def normalised(value):
    """A request body as the service reads it: field names in camelCase (the SDK writes some
    in snake_case, the proto-JSON parser takes both) and image bytes decoded, whatever base64
    alphabet carried them."""
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {fake.camel(k): normalised(v) for k, v in value.items()}
    if "inlineData" in out:
        out["inlineData"]["data"] = fake.decode_bytes(out["inlineData"]["data"])
    return out


def test_the_apps_request_is_the_one_the_sdk_would_send(server, client):
    """The body the app builds, rebuilt with the SDK from the same inputs, is identical:
    the app sends nothing the service would read differently from Google's own client."""
    mask = Image.new("L", (40, 160), 0)
    mask.paste(255, (0, 0, 20, 160))
    request = EngineRequest(
        mode="inpaint",
        source=Image.new("RGBA", (40, 160), (200, 40, 40, 255)),
        mask=mask,
        anchors=(Anchor("palette", Image.new("RGBA", (8, 8), (0, 255, 0, 255)), "swatch"),),
        prompt="warmer",
        seed=5,
    )
    ours = app_body(NB2, request)
    assert ours["generationConfig"]["imageConfig"]["aspectRatio"] == "1:4"  # a tall region
    parts = ours["contents"][0]["parts"]
    config = ours["generationConfig"]
    client.models.generate_content(
        model=NB2,
        contents=[
            types.Part(text=parts[0]["text"]),
            *(
                types.Part.from_bytes(
                    data=base64.b64decode(p["inlineData"]["data"]),
                    mime_type=p["inlineData"]["mimeType"],
                )
                for p in parts[1:]
            ),
        ],
        config=types.GenerateContentConfig(
            response_modalities=config["responseModalities"],
            image_config=types.ImageConfig(
                aspect_ratio=config["imageConfig"]["aspectRatio"],
                image_size=config["imageConfig"].get("imageSize"),
            ),
            seed=config["seed"],
        ),
    )
    assert normalised(server.requests[-1]["body"]) == normalised(ours)
