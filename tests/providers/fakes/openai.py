"""A fake OpenAI Images API that checks requests like the real service.

Routes (under ``/v1``, ``Authorization: Bearer``):

- ``POST /v1/images/edits`` — multipart/form-data: ``image`` or repeated ``image[]`` parts
  (png/jpeg/webp content types; ``application/octet-stream`` is refused as the service
  does), an optional ``mask`` (PNG with alpha, the first image's size), ``prompt`` and the
  optional fields of the current API. ``model`` is optional (the service's default is
  used); retired models (``gpt-image-1``, DALL·E) are 404 ``model_not_found``.
- ``POST /v1/images/generations`` — the same answer from a JSON body, without images.
- ``GET /v1/models`` and ``GET /v1/models/{id}``.

Answers carry images in the requested ``output_format`` (PNG, JPEG or WebP bytes), and
``stream=true`` answers with server-sent events (``image_edit.partial_image`` ×
``partial_images``, then ``image_edit.completed``; ``image_generation.*`` for
generations), each with an ``event:`` and a ``data:`` line.
"""

from __future__ import annotations

import base64
import io
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.providers.fakes.base import Behaviour, FakeServer

KEY = "test-openai-key"
DEFAULT_MODEL = "gpt-image-1.5"  # what the service uses when a request names no model
FREE_SIZE_MODELS = {
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08",
    "gpt-image-2.5-flare",
    "gpt-image-2.5-flare-2026-09-08",
}
MAX_QUALITY_MODELS = {m for m in FREE_SIZE_MODELS if m.startswith("gpt-image-2.5")}
MODELS = {
    "gpt-image-1-mini",
    "gpt-image-1.5",
    "gpt-image-2.6-sunburst",
    "gpt-image-2.6-flare",
    "chatgpt-image-latest",
    *FREE_SIZE_MODELS,
}
RETIRED = {"gpt-image-1", "dall-e-2", "dall-e-3"}
SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
QUALITY = {"auto", "low", "medium", "high"}
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}
COMMON_FIELDS = {
    "prompt",
    "model",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "partial_images",
    "stream",
    "user",
    "safety_identifier",
    "moderation",
}
EDIT_FIELDS = COMMON_FIELDS | {"image", "image[]", "mask", "input_fidelity"}
RESULT_COLOR = (30, 60, 200)
EDIT_EVENTS = ("image_edit.partial_image", "image_edit.completed")
GENERATION_EVENTS = ("image_generation.partial_image", "image_generation.completed")


class Refused(ValueError):
    """A request the service refuses: HTTP status and the error object's fields."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        status: int = 400,
        code: str | None = "invalid_value",
    ) -> None:
        super().__init__(message)
        self.param, self.status, self.code = param, status, code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": str(self),
                "type": "invalid_request_error",
                "param": self.param,
                "code": self.code,
            }
        }


def error(
    status: int, code: str, message: str, type_: str = "invalid_request_error", headers=None
) -> Behaviour:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Behaviour(
        "error", status=status, body=body, headers={"x-request-id": "req_fake", **(headers or {})}
    )


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
        {"retry-after": retry_after, "x-ratelimit-reset-requests": f"{retry_after}s"},
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
        raise Refused("The body must be multipart/form-data.")
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


def encoded(size: tuple[int, int], output_format: str, transparent: bool) -> str:
    """A result image in the requested format, base64 (what ``b64_json`` carries)."""
    mode = "RGBA" if transparent and output_format != "jpeg" else "RGB"
    image = Image.new(mode, size, (*RESULT_COLOR, 255)[: len(mode)])
    buffer = io.BytesIO()
    image.save(buffer, FORMATS[output_format])
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class FakeOpenAI(FakeServer):
    def answer_error(self, handler, refused: Refused) -> None:
        self.send_json(handler, refused.status, refused.body(), {"x-request-id": "req_fake"})

    def authorised(self, handler) -> Refused | None:
        auth = handler.headers.get("authorization", "")
        if not auth:
            return Refused("You didn't provide an API key.", status=401, code=None, param=None)
        if auth != f"Bearer {KEY}":
            return Refused("Incorrect API key provided.", status=401, code="invalid_api_key")
        return None

    # --- model listing (the app's "Check now", the SDK's models.list / retrieve) ----------

    def handle_get(self, handler) -> None:
        path, _ = self.target(handler)
        refused = self.authorised(handler)
        if refused is not None:
            return self.answer_error(handler, refused)
        if path == "/v1/models":
            data = [model_object(m) for m in sorted(MODELS)]
            return self.send_json(handler, 200, {"object": "list", "data": data})
        match = re.fullmatch(r"/v1/models/([^/]+)", path)
        if match and match.group(1) in MODELS:
            return self.send_json(handler, 200, model_object(match.group(1)))
        if match:
            return self.answer_error(handler, model_not_found(match.group(1)))
        return self.answer_error(handler, unknown_url(handler.command, path))

    # --- edits and generations -------------------------------------------------------------

    def handle(self, handler, body: bytes, number: int) -> None:
        path, _ = self.target(handler)
        if path not in ("/v1/images/edits", "/v1/images/generations"):
            return self.answer_error(handler, unknown_url("POST", path))
        refused = self.authorised(handler)
        if refused is not None:
            return self.answer_error(handler, refused)
        content_type = handler.headers.get("content-type", "")
        try:
            if path == "/v1/images/edits":
                form = self.validate(content_type, body)
            else:
                form = self.validate_generation(content_type, body)
        except Refused as exc:
            return self.answer_error(handler, exc)
        self.requests.append(form)
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        self.answer(handler, form, path.endswith("/edits"))
        return None

    def answer(self, handler, form: dict[str, Any], edit: bool) -> None:
        size = form["size"]
        w, h = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        out = (64, round(64 * h / w))
        n, output_format = int(form["n"]), form["output_format"]
        transparent = form["background"] == "transparent"
        usage = {
            "input_tokens": 1200,
            "input_tokens_details": {"image_tokens": 1100 if edit else 0, "text_tokens": 100},
            "output_tokens": 1056 * n,
            "total_tokens": 1200 + 1056 * n,
        }
        shared = {
            "background": "transparent" if transparent else "opaque",
            "output_format": output_format,
            "quality": "medium" if form["quality"] == "auto" else form["quality"],
            "size": "1024x1024" if size == "auto" else size,
        }
        headers = {"x-request-id": "req_fake"}
        if form["stream"] == "true":
            partial, completed = EDIT_EVENTS if edit else GENERATION_EVENTS
            events: list[tuple[str | None, Any]] = []
            for index in range(int(form["partial_images"])):
                data = {"type": partial, "b64_json": encoded(out, output_format, transparent)}
                events.append(
                    (
                        partial,
                        {**data, **shared, "created_at": 1760000000, "partial_image_index": index},
                    )
                )
            for _ in range(n):
                data = {"type": completed, "b64_json": encoded(out, output_format, transparent)}
                events.append(
                    (completed, {**data, **shared, "created_at": 1760000000, "usage": usage})
                )
            return self.send_events(handler, events, headers)
        images = [{"b64_json": encoded(out, output_format, transparent)} for _ in range(n)]
        self.send_json(
            handler, 200, {"created": 1760000000, "data": images, **shared, "usage": usage}, headers
        )
        return None

    # --- validation --------------------------------------------------------------------------

    def validate(self, content_type: str, body: bytes) -> dict[str, Any]:
        if not content_type.startswith("multipart/form-data"):
            raise Refused("Use multipart/form-data.", code=None)
        fields = parse_multipart(content_type, body)
        for f in fields:
            if f["name"] not in EDIT_FIELDS:
                raise Refused(
                    f"Unknown parameter: '{f['name']}'.", param=f["name"], code="unknown_parameter"
                )
        single = [f for f in fields if f["name"] == "image"]
        many = [f for f in fields if f["name"] == "image[]"]
        if single and many:
            raise Refused("Send either image or image[], not both.", param="image")
        files = single or many
        if not files:
            raise Refused("image is required.", param="image", code="missing_required_parameter")
        if len(single) > 1:
            raise Refused("Use image[] for several images.", param="image")
        if len(files) > 16:
            raise Refused("At most 16 images.", param="image")
        images = []
        for f in files:
            if f["content_type"] not in IMAGE_TYPES:
                raise Refused(
                    f"Invalid file 'image': unsupported mimetype ('{f['content_type']}'). "
                    "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.",
                    param="image",
                    code="unsupported_file_mimetype",
                )
            images.append(self.open(f["data"], "image"))
        texts = {f["name"]: f["data"].decode() for f in fields if f["filename"] is None}
        form = self.common_fields(texts)
        if "input_fidelity" in texts:
            fidelity = texts["input_fidelity"]
            allowed = {"low"} if form["model"] == "gpt-image-1-mini" else {"low", "high"}
            if form["model"] in {"gpt-image-2", "gpt-image-2-2026-04-21"}:
                allowed = set()  # "For gpt-image-2, omit this parameter"
            if fidelity not in allowed:
                raise Refused(
                    f"input_fidelity={fidelity} is not supported by {form['model']}.",
                    param="input_fidelity",
                )
        mask = None
        masks = [f for f in fields if f["name"] == "mask"]
        if masks:
            mask = self.open(masks[0]["data"], "mask")
            if mask.format != "PNG" or "A" not in mask.getbands():
                raise Refused(
                    "Invalid mask image format - mask must be a PNG with alpha.", param="mask"
                )
            if mask.size != images[0].size:
                raise Refused(
                    "Invalid mask image - mask size does not match image size.", param="mask"
                )
            if len(masks[0]["data"]) > 4 * 1024 * 1024:
                raise Refused("The mask must be smaller than 4 MB.", param="mask")
        return {
            **form,
            "images": images,
            "fields": [f["name"] for f in fields],
            "mask": mask,
            "filenames": [f["filename"] for f in files],
            "content_types": [f["content_type"] for f in files],
        }

    def validate_generation(self, content_type: str, body: bytes) -> dict[str, Any]:
        if not content_type.startswith("application/json"):
            raise Refused("Use a JSON body.", code=None)
        try:
            payload = json.loads(body)
        except ValueError:
            raise Refused("We could not parse the JSON body of your request.", code=None) from None
        if not isinstance(payload, dict):
            raise Refused("The body must be a JSON object.", code=None)
        unknown = set(payload) - COMMON_FIELDS
        if unknown:
            name = sorted(unknown)[0]
            raise Refused(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
        texts = {
            k: (json.dumps(v) if isinstance(v, bool) else str(v))
            for k, v in payload.items()
            if v is not None
        }
        return {**self.common_fields(texts), "images": [], "fields": sorted(payload), "mask": None}

    def common_fields(self, texts: dict[str, str]) -> dict[str, Any]:
        """Check the fields edits and generations share; fill in the service's defaults."""
        if not texts.get("prompt"):
            raise Refused("prompt is required.", param="prompt", code="missing_required_parameter")
        model = texts.get("model") or DEFAULT_MODEL
        if model in RETIRED or model not in MODELS:
            raise model_not_found(model)
        size = texts.get("size", "auto")
        if size not in SIZES and not (model in FREE_SIZE_MODELS and free_size_ok(size)):
            raise Refused(f"Invalid size '{size}' for {model}.", param="size")
        quality = texts.get("quality", "auto")
        allowed = QUALITY | ({"xhigh", "max"} if model in MAX_QUALITY_MODELS else set())
        if quality not in allowed:
            raise Refused(f"Invalid value: '{quality}'.", param="quality")
        output_format = texts.get("output_format", "png")
        if output_format not in FORMATS:
            raise Refused(f"Invalid value: '{output_format}'.", param="output_format")
        background = texts.get("background", "auto")
        if background not in {"transparent", "opaque", "auto"}:
            raise Refused(f"Invalid value: '{background}'.", param="background")
        if background == "transparent" and output_format == "jpeg":
            raise Refused("Transparent backgrounds need png or webp output.", param="background")
        if "output_compression" in texts and (
            output_format == "png" or not 0 <= _int(texts, "output_compression") <= 100
        ):
            raise Refused(
                "output_compression is 0-100, for jpeg or webp only.",
                param="output_compression",
            )
        if not 1 <= _int(texts, "n", 1) <= 10:
            raise Refused("n must be between 1 and 10.", param="n")
        stream = texts.get("stream", "false")
        if stream not in {"true", "false"}:
            raise Refused(f"Invalid value: '{stream}'.", param="stream")
        if not 0 <= _int(texts, "partial_images", 0) <= 3:
            raise Refused("partial_images must be between 0 and 3.", param="partial_images")
        return {
            **texts,
            "model": model,
            "size": size,
            "quality": quality,
            "output_format": output_format,
            "background": background,
            "n": texts.get("n", "1"),
            "stream": stream,
            "partial_images": texts.get("partial_images", "0"),
        }

    @staticmethod
    def open(data: bytes, what: str) -> Image.Image:
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise Refused(f"Invalid {what} file: could not read the image.", param=what) from None
        return image


def _int(texts: dict[str, str], name: str, default: int = 0) -> int:
    try:
        return int(texts.get(name, default))
    except ValueError:
        raise Refused(f"Invalid value for {name}: expected an integer.", param=name) from None


def free_size_ok(size: str) -> bool:
    """``WxH`` for the GPT Image 2 family: multiples of 16, 1:3 to 3:1, at most 3840×2160."""
    match = re.fullmatch(r"(\d+)x(\d+)", size)
    if not match:
        return False
    w, h = int(match.group(1)), int(match.group(2))
    return (
        w % 16 == 0
        and h % 16 == 0
        and max(w, h) <= 3840
        and min(w, h) <= 2160
        and 1 / 3 <= w / h <= 3
    )


def model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1760000000, "owned_by": "system"}


def model_not_found(model: str) -> Refused:
    return Refused(
        f"The model `{model}` does not exist or you do not have access to it.",
        status=404,
        code="model_not_found",
    )


def unknown_url(method: str, path: str) -> Refused:
    return Refused(f"Invalid URL ({method} {path})", status=404, code=None)
