"""A fake OpenAI ``/v1/images/edits`` server that checks multipart requests like the real API."""

from __future__ import annotations

import io
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.providers.fakes.base import Behaviour, FakeServer, png_b64

KEY = "test-openai-key"
MODELS = {"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"}
SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
QUALITY = {"auto", "low", "medium", "high"}
FORMATS = {"png", "jpeg", "webp"}
RESULT_COLOR = (30, 60, 200)


def error(
    status: int, code: str, message: str, type_: str = "invalid_request_error", headers=None
) -> Behaviour:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Behaviour("error", status=status, body=body, headers=headers or {})


def moderation_blocked() -> Behaviour:
    return error(
        400,
        "moderation_blocked",
        "Your request was rejected by the safety system.",
        "image_generation_user_error",
    )


def rate_limited(retry_after: str = "3") -> Behaviour:
    return error(
        429,
        "rate_limit_exceeded",
        "Rate limit reached for images per minute.",
        "requests",
        {"retry-after": retry_after},
    )


def insufficient_quota() -> Behaviour:
    return error(
        429, "insufficient_quota", "You exceeded your current quota.", "insufficient_quota"
    )


def parse_multipart(content_type: str, body: bytes) -> list[dict[str, Any]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("The body must be multipart/form-data.")
    fields = []
    for part in message.iter_parts():
        fields.append(
            {
                "name": part.get_param("name", header="content-disposition"),
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "data": part.get_payload(decode=True),
            }
        )
    return fields


class FakeOpenAI(FakeServer):
    def handle(self, handler, body: bytes, number: int) -> None:
        if handler.path != "/v1/images/edits":
            return self.send_json(
                handler,
                404,
                {
                    "error": {
                        "message": "Unknown URL",
                        "type": "invalid_request_error",
                        "code": "unknown_url",
                    }
                },
            )
        auth = handler.headers.get("authorization", "")
        if auth != f"Bearer {KEY}":
            b = error(401, "invalid_api_key", "Incorrect API key provided.")
            return self.send_json(handler, b.status, b.body)
        try:
            form = self.validate(handler.headers.get("content-type", ""), body)
        except ValueError as exc:
            b = error(400, "invalid_request", str(exc))
            return self.send_json(handler, b.status, b.body)
        self.requests.append(form)
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        w, h = (1024, 1024) if form["size"] == "auto" else map(int, form["size"].split("x"))
        out = (64, round(64 * h / w))
        n = int(form["n"])
        self.send_json(
            handler,
            200,
            {
                "created": 1760000000,
                "data": [{"b64_json": png_b64(out, RESULT_COLOR)} for _ in range(n)],
                "output_format": form["output_format"],
                "size": form["size"],
                "usage": {
                    "input_tokens": 1200,
                    "output_tokens": 1056 * n,
                    "total_tokens": 0,
                    "input_tokens_details": {"image_tokens": 1100, "text_tokens": 100},
                },
            },
        )
        return None

    def validate(self, content_type: str, body: bytes) -> dict[str, Any]:
        if not content_type.startswith("multipart/form-data"):
            raise ValueError("Use multipart/form-data.")
        fields = parse_multipart(content_type, body)
        single = [f for f in fields if f["name"] == "image"]
        many = [f for f in fields if f["name"] == "image[]"]
        if single and many:
            raise ValueError("Send either image or image[], not both.")
        files = single or many
        if not files:
            raise ValueError("image is required.")
        if len(single) > 1:
            raise ValueError("Use image[] for several images.")
        if len(files) > 16:
            raise ValueError("At most 16 images.")
        images = []
        for f in files:
            if not f["content_type"].startswith("image/"):
                raise ValueError(f"Invalid file type {f['content_type']}.")
            images.append(self.open(f["data"], "image"))
        texts = {f["name"]: f["data"].decode() for f in fields if f["filename"] is None}
        if not texts.get("prompt"):
            raise ValueError("prompt is required.")
        if texts.get("model") not in MODELS:
            raise ValueError(f"Invalid model {texts.get('model')}.")
        if texts.get("size", "auto") not in SIZES:
            raise ValueError(f"Invalid size {texts.get('size')}.")
        if texts.get("quality", "auto") not in QUALITY:
            raise ValueError(f"Invalid quality {texts.get('quality')}.")
        if texts.get("output_format", "png") not in FORMATS:
            raise ValueError("Invalid output_format.")
        if not 1 <= int(texts.get("n", "1")) <= 10:
            raise ValueError("n must be between 1 and 10.")
        mask = None
        masks = [f for f in fields if f["name"] == "mask"]
        if masks:
            mask = self.open(masks[0]["data"], "mask")
            if mask.format != "PNG" or "A" not in mask.getbands():
                raise ValueError("Invalid mask image format - mask must be a PNG with alpha.")
            if mask.size != images[0].size:
                raise ValueError("Invalid mask image - mask size does not match image size.")
        return {
            **{"size": "auto", "n": "1", "output_format": "png"},
            **texts,
            "images": images,
            "fields": [f["name"] for f in fields],
            "mask": mask,
            "filenames": [f["filename"] for f in files],
        }

    @staticmethod
    def open(data: bytes, what: str) -> Image.Image:
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise ValueError(f"Invalid {what} file: could not read the image.") from None
        return image
