"""A fake Gemini ``generateContent`` server that checks requests like the real API."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.providers.fakes.base import Behaviour, FakeServer, png_b64

KEY = "test-gemini-key"
MAX_IMAGES = {
    "gemini-2.5-flash-image": 3,
    "gemini-3-pro-image-preview": 14,
    "gemini-3.1-flash-image-preview": 14,
}
RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
SIZES = {
    "gemini-2.5-flash-image": set(),
    "gemini-3-pro-image-preview": {"1K", "2K", "4K"},
    "gemini-3.1-flash-image-preview": {"512", "1K", "2K", "4K"},
}
MIME = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
PATH = re.compile(r"^/v1beta/models/([^/:]+):generateContent$")
RESULT_COLOR = (20, 180, 60)


def error(status: int, code: str, message: str, details=None) -> Behaviour:
    body = {"error": {"code": status, "message": message, "status": code}}
    if details:
        body["error"]["details"] = details
    return Behaviour("error", status=status, body=body)


def rate_limited(retry_delay: str = "7s") -> Behaviour:
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded.",
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}],
    )


class FakeGemini(FakeServer):
    def handle(self, handler, body: bytes, number: int) -> None:
        match = PATH.match(handler.path)
        if not match:
            return self.send_json(
                handler,
                404,
                {"error": {"code": 404, "status": "NOT_FOUND", "message": "Not found"}},
            )
        model = match.group(1)
        key = handler.headers.get("x-goog-api-key")
        if not key:
            return self.reject(handler, error(403, "PERMISSION_DENIED", "Missing API key."))
        if key != KEY:
            return self.reject(handler, error(400, "INVALID_ARGUMENT", "API key not valid."))
        if model not in MAX_IMAGES:
            return self.reject(handler, error(404, "NOT_FOUND", f"models/{model} is not found"))
        try:
            payload = json.loads(body)
            images, size_ratio = self.validate(model, payload)
        except ValueError as exc:
            return self.reject(handler, error(400, "INVALID_ARGUMENT", str(exc)))
        self.requests.append({"model": model, "body": payload, "images": images})
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        ratio = size_ratio or "1:1"
        w, h = (int(v) for v in ratio.split(":"))
        out = (64, max(1, round(64 * h / w)))
        final = {"inlineData": {"mimeType": "image/png", "data": png_b64(out, RESULT_COLOR)}}
        usage = {"promptTokenCount": 560 * len(images), "candidatesTokenCount": 1120}
        if behaviour.kind == "safety":
            answer = {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": []},
                        "finishReason": behaviour.reason or "IMAGE_SAFETY",
                    }
                ]
            }
        elif behaviour.kind == "block":
            answer = {"promptFeedback": {"blockReason": behaviour.reason or "SAFETY"}}
        elif behaviour.kind == "text_only":
            answer = {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [{"text": "I can't edit this image."}],
                        },
                        "finishReason": "STOP",
                    }
                ]
            }
        elif behaviour.kind == "thought":
            thought = {
                "inlineData": {"mimeType": "image/png", "data": png_b64(out, (250, 0, 0))},
                "thought": True,
            }
            answer = {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [thought, {"text": "Done."}, final]},
                        "finishReason": "STOP",
                    }
                ]
            }
        elif behaviour.kind == "bad_image":
            answer = {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [
                                {
                                    "inlineData": {
                                        "mimeType": "image/png",
                                        "data": "bm90IGFuIGltYWdl",
                                    }
                                }
                            ],
                        },
                        "finishReason": "STOP",
                    }
                ]
            }
        else:
            answer = {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [final]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": model,
            }
        self.send_json(handler, 200, answer)
        return None

    def reject(self, handler, behaviour: Behaviour) -> None:
        self.send_json(handler, behaviour.status, behaviour.body)

    def validate(self, model: str, payload: Any) -> tuple[list[Image.Image], str | None]:
        if not isinstance(payload, dict) or not isinstance(payload.get("contents"), list):
            raise ValueError("contents is required.")
        images = []
        for content in payload["contents"]:
            for part in content.get("parts", []):
                blob = part.get("inlineData") or part.get("inline_data")
                if blob is None:
                    if "text" not in part:
                        raise ValueError("A part needs text or inlineData.")
                    continue
                mime = blob.get("mimeType") or blob.get("mime_type")
                if mime not in MIME:
                    raise ValueError(f"Unsupported MIME type: {mime}")
                try:
                    data = base64.b64decode(blob.get("data", ""), validate=True)
                    image = Image.open(io.BytesIO(data))
                    image.load()
                except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
                    raise ValueError("Unable to process input image.") from None
                if len(data) > 7 * 1024 * 1024:
                    raise ValueError("Inline image is larger than 7 MB.")
                images.append(image)
        if len(images) > MAX_IMAGES[model]:
            raise ValueError(f"Too many images: at most {MAX_IMAGES[model]} per request.")
        config = payload.get("generationConfig") or payload.get("generation_config") or {}
        modalities = config.get("responseModalities") or config.get("response_modalities")
        if not modalities or "IMAGE" not in modalities:
            raise ValueError("responseModalities must include IMAGE for this model.")
        image_config = config.get("imageConfig") or config.get("image_config") or {}
        ratio = image_config.get("aspectRatio") or image_config.get("aspect_ratio")
        if ratio is not None and ratio not in RATIOS:
            raise ValueError(f"Unsupported aspect ratio {ratio}.")
        size = image_config.get("imageSize") or image_config.get("image_size")
        if size is not None and size not in SIZES[model]:
            raise ValueError(f"Unsupported image size {size} for {model}.")
        if "candidateCount" in config and config["candidateCount"] != 1:
            raise ValueError("candidateCount must be 1 for image models.")
        return images, ratio
