"""The fakes are strict like the real services: a client bug must fail here, not in
production. These send wrong requests straight to them."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image

from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes import openai as fake_openai


def png(size=(8, 8), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


def gemini_body(images: int) -> dict:
    data = base64.b64encode(png()).decode()
    parts = [{"text": "edit"}] + [
        {"inline_data": {"mime_type": "image/png", "data": data}} for _ in range(images)
    ]
    return {
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": {"responseModalities": ["IMAGE"]},
    }


def test_fake_gemini_checks_key_image_limit_base64_and_sizes():
    server = fake_gemini.FakeGemini()
    try:
        url = f"{server.url}/v1beta/models/gemini-2.5-flash-image:generateContent"
        key = {"x-goog-api-key": fake_gemini.KEY}
        assert httpx.post(url, json=gemini_body(1)).status_code == 403  # no key
        ok = httpx.post(url, json=gemini_body(3), headers=key)  # snake_case accepted
        assert ok.status_code == 200 and ok.json()["candidates"][0]["finishReason"] == "STOP"
        too_many = httpx.post(url, json=gemini_body(4), headers=key)
        assert too_many.status_code == 400 and "Too many images" in too_many.text
        broken = gemini_body(1)
        broken["contents"][0]["parts"][1]["inline_data"]["data"] = "%%%"
        assert httpx.post(url, json=broken, headers=key).status_code == 400
        sized = gemini_body(1)
        sized["generationConfig"]["imageConfig"] = {"imageSize": "2K"}  # 2.5 Flash: 1K only
        assert httpx.post(url, json=sized, headers=key).status_code == 400
        unknown = url.replace("gemini-2.5-flash-image", "gemini-9")
        assert httpx.post(unknown, json=gemini_body(1), headers=key).status_code == 404
    finally:
        server.close()


def test_fake_openai_checks_multipart_fields_and_the_mask():
    server = fake_openai.FakeOpenAI()
    try:
        url = f"{server.url}/v1/images/edits"
        auth = {"Authorization": f"Bearer {fake_openai.KEY}"}
        data = {"model": "gpt-image-1.5", "prompt": "edit", "size": "1024x1024"}
        image = ("image", ("a.png", png((8, 8)), "image/png"))
        assert httpx.post(url, data=data, files=[image]).status_code == 401
        assert httpx.post(url, data=data, files=[image], headers=auth).status_code == 200
        wrong_mask = ("mask", ("m.png", png((4, 4), "RGBA"), "image/png"))
        answer = httpx.post(url, data=data, files=[image, wrong_mask], headers=auth)
        assert answer.status_code == 400 and "mask size does not match" in answer.text
        no_alpha = ("mask", ("m.png", png((8, 8), "RGB"), "image/png"))
        assert httpx.post(url, data=data, files=[image, no_alpha], headers=auth).status_code == 400
        both = [image, ("image[]", ("b.png", png(), "image/png"))]
        assert httpx.post(url, data=data, files=both, headers=auth).status_code == 400
        octet = [("image", ("a.png", png(), "application/octet-stream"))]
        assert httpx.post(url, data=data, files=octet, headers=auth).status_code == 400
        bad_size = {**data, "size": "640x480"}
        assert httpx.post(url, data=bad_size, files=[image], headers=auth).status_code == 400
    finally:
        server.close()
