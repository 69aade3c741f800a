"""A fake Gemini Developer API that checks requests like the real service.

Served like ``generativelanguage.googleapis.com`` under both API versions the service
answers, ``/v1`` (the official ``google-genai`` SDK's default) and ``/v1beta`` (the app's):

- ``POST /{v}/models/{model}:generateContent`` — JSON answer;
- ``POST /{v}/models/{model}:streamGenerateContent`` — server-sent events with
  ``?alt=sse`` (what the SDK asks for), else one JSON array of the chunks;
- ``GET /{v}/models`` (``pageSize``, ``pageToken``) and ``GET /{v}/models/{model}``.

The key comes in ``x-goog-api-key`` or ``?key=``. Bodies are read the way Google's
proto-JSON parser reads them: camelCase or snake_case field names, and ``bytes`` fields in
standard or URL-safe base64, padded or not (the SDK sends URL-safe). Answers use camelCase
and standard padded base64, as the service does. ``responseModalities`` is optional (image
models then answer with a text part and the image, as in Google's own examples); aspect
ratios and image sizes are checked per model (the extra-wide ratios are 3.1 Flash's only).
"""

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
LABELS = {
    "gemini-2.5-flash-image": "Nano Banana",
    "gemini-3-pro-image-preview": "Nano Banana Pro",
    "gemini-3.1-flash-image-preview": "Nano Banana 2",
}
RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
WIDE_RATIOS = {"1:4", "4:1", "1:8", "8:1"}
MODEL_RATIOS = {
    "gemini-2.5-flash-image": RATIOS,
    "gemini-3-pro-image-preview": RATIOS,
    "gemini-3.1-flash-image-preview": RATIOS | WIDE_RATIOS,
}
SIZES = {
    "gemini-2.5-flash-image": set(),
    "gemini-3-pro-image-preview": {"1K", "2K", "4K"},
    "gemini-3.1-flash-image-preview": {"512", "1K", "2K", "4K"},
}
MODALITIES = {"TEXT", "IMAGE", "AUDIO"}
# ImageConfig fields of Vertex AI only: the Gemini Developer API refuses them.
VERTEX_ONLY = {
    "personGeneration",
    "prominentPeople",
    "outputMimeType",
    "outputCompressionQuality",
    "imageOutputOptions",
}
MIME = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
POST_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):(generateContent|streamGenerateContent)$")
MODEL_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+)$")
LIST_PATH = re.compile(r"^/(v1|v1beta)/models$")
RESULT_COLOR = (20, 180, 60)
_B64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")


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


def key_not_valid() -> Behaviour:
    return error(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ],
    )


def decode_bytes(text: Any) -> bytes:
    """A proto-JSON ``bytes`` value: standard or URL-safe base64, padding optional."""
    if not isinstance(text, str) or not _B64.match(text):
        raise ValueError("Unable to process input image.")
    standard = text.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("Unable to process input image.") from None


def field(obj: dict[str, Any], camel: str) -> Any:
    """``obj[camel]``, or its snake_case spelling (the proto-JSON parser takes both)."""
    if camel in obj:
        return obj[camel]
    return obj.get(re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower())


def model_resource(model: str) -> dict[str, Any]:
    return {
        "name": f"models/{model}",
        "version": "001",
        "displayName": LABELS[model],
        "description": f"{LABELS[model]} image generation and editing.",
        "inputTokenLimit": 65536,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": ["generateContent", "countTokens", "batchGenerateContent"],
        "temperature": 1.0,
        "topP": 0.95,
        "maxTemperature": 2.0,
    }


class FakeGemini(FakeServer):
    def authorised(self, handler, query: dict[str, str]) -> Behaviour | None:
        """None when the key is right, else the service's answer to a missing/wrong key."""
        key = handler.headers.get("x-goog-api-key") or query.get("key")
        if not key:
            return error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        return None if key == KEY else key_not_valid()

    def not_found(self, handler, what: str) -> None:
        self.send_json(
            handler, 404, {"error": {"code": 404, "status": "NOT_FOUND", "message": what}}
        )

    # --- model listing (the app's "Check now", the SDK's models.list / models.get) ---------

    def handle_get(self, handler) -> None:
        path, query = self.target(handler)
        refused = self.authorised(handler, query)
        if refused is not None:
            return self.send_json(handler, refused.status, refused.body)
        if LIST_PATH.match(path):
            models = list(MAX_IMAGES)
            size = max(1, min(1000, int(query.get("pageSize") or 50)))
            start = int(query.get("pageToken") or 0)
            page: dict[str, Any] = {
                "models": [model_resource(m) for m in models[start : start + size]]
            }
            if start + size < len(models):
                page["nextPageToken"] = str(start + size)
            return self.send_json(handler, 200, page)
        match = MODEL_PATH.match(path)
        if match and match.group(2) in MAX_IMAGES:
            return self.send_json(handler, 200, model_resource(match.group(2)))
        if match:
            return self.not_found(handler, f"models/{match.group(2)} is not found.")
        return self.not_found(handler, "Not found")

    # --- generateContent / streamGenerateContent ------------------------------------------

    def handle(self, handler, body: bytes, number: int) -> None:
        path, query = self.target(handler)
        match = POST_PATH.match(path)
        if not match:
            return self.not_found(handler, "Not found")
        version, model, method = match.groups()
        refused = self.authorised(handler, query)
        if refused is not None:
            return self.send_json(handler, refused.status, refused.body)
        if model not in MAX_IMAGES:
            return self.not_found(
                handler,
                f"models/{model} is not found for API version {version}, or is not supported "
                "for generateContent. Call ListModels to see the list of available models.",
            )
        try:
            payload = json.loads(body)
            images, ratio, modalities = self.validate(model, payload)
        except ValueError as exc:
            b = error(400, "INVALID_ARGUMENT", str(exc))
            return self.send_json(handler, b.status, b.body)
        self.requests.append(
            {
                "model": model,
                "body": payload,
                "images": images,
                "version": version,
                "method": method,
            }
        )
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        chunks = self.answer(model, behaviour, ratio, modalities, len(images))
        if method == "generateContent":
            return self.send_json(handler, 200, merge(chunks))
        if query.get("alt") == "sse":
            return self.send_events(handler, [(None, chunk) for chunk in chunks])
        return self.send_json(handler, 200, chunks)

    def answer(
        self, model: str, behaviour: Behaviour, ratio: str | None, modalities: set[str], count: int
    ) -> list[dict[str, Any]]:
        """The answer as the chunks a stream would carry (one chunk per part)."""
        w, h = (int(v) for v in (ratio or "1:1").split(":"))
        out = (64, max(1, round(64 * h / w)))
        final = {"inlineData": {"mimeType": "image/png", "data": png_b64(out, RESULT_COLOR)}}
        if behaviour.kind == "block":
            return [{"promptFeedback": {"blockReason": behaviour.reason or "SAFETY"}}]
        parts: list[dict[str, Any]] = []
        reason = "STOP"
        if behaviour.kind == "safety":
            reason = behaviour.reason or "IMAGE_SAFETY"
        elif behaviour.kind == "text_only":
            parts = [{"text": "I can't edit this image."}]
        elif behaviour.kind == "bad_image":
            parts = [{"inlineData": {"mimeType": "image/png", "data": "bm90IGFuIGltYWdl"}}]
        else:
            if behaviour.kind == "thought":
                interim = png_b64(out, (250, 0, 0))
                parts.append(
                    {"inlineData": {"mimeType": "image/png", "data": interim}, "thought": True}
                )
                parts.append({"text": "Done."})
            elif "TEXT" in modalities:
                parts.append({"text": "Here is the edited image."})
            parts.append(final)
        usage = {
            "promptTokenCount": 560 * count,
            "candidatesTokenCount": 1120,
            "totalTokenCount": 560 * count + 1120,
        }
        chunks = [
            {"candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0}]}
            for part in parts
        ] or [{"candidates": [{"content": {"role": "model", "parts": []}, "index": 0}]}]
        last = chunks[-1]
        last["candidates"][0]["finishReason"] = reason
        last["usageMetadata"] = usage
        last["modelVersion"] = model
        last["responseId"] = f"fake-{self.count}"
        return chunks

    def validate(self, model: str, payload: Any) -> tuple[list[Image.Image], str | None, set[str]]:
        if not isinstance(payload, dict) or not isinstance(payload.get("contents"), list):
            raise ValueError("contents is required.")
        images = []
        for content in payload["contents"]:
            for part in content.get("parts", []):
                blob = field(part, "inlineData")
                if blob is None:
                    if "text" not in part:
                        raise ValueError("A part needs text or inlineData.")
                    continue
                mime = field(blob, "mimeType")
                if mime not in MIME:
                    raise ValueError(f"Unsupported MIME type: {mime}")
                data = decode_bytes(blob.get("data", ""))
                try:
                    image = Image.open(io.BytesIO(data))
                    image.load()
                except (UnidentifiedImageError, OSError):
                    raise ValueError("Unable to process input image.") from None
                if len(data) > 7 * 1024 * 1024:
                    raise ValueError("Inline image is larger than 7 MB.")
                images.append(image)
        if len(images) > MAX_IMAGES[model]:
            raise ValueError(f"Too many images: at most {MAX_IMAGES[model]} per request.")
        config = field(payload, "generationConfig") or {}
        modalities = field(config, "responseModalities")
        if modalities is None:
            modalities = ["TEXT", "IMAGE"]  # image models' default: text and image
        if not set(modalities) <= MODALITIES:
            raise ValueError(
                f"Invalid value at 'generation_config.response_modalities': {modalities}"
            )
        if "IMAGE" not in modalities:
            raise ValueError("This model only supports responses that include IMAGE.")
        image_config = field(config, "imageConfig") or {}
        vertex = {camel(k) for k in image_config} & VERTEX_ONLY
        if vertex:
            raise ValueError(f"{sorted(vertex)[0]} is not supported in the Gemini API.")
        ratio = field(image_config, "aspectRatio")
        if ratio is not None and ratio not in MODEL_RATIOS[model]:
            raise ValueError(f"Unsupported aspect ratio {ratio} for {model}.")
        size = field(image_config, "imageSize")
        if size is not None and size not in SIZES[model]:
            raise ValueError(f"Unsupported image size {size} for {model}.")
        count = field(config, "candidateCount")
        if count is not None and count != 1:
            raise ValueError("candidateCount must be 1 for image models.")
        seed = config.get("seed")
        if seed is not None and not (isinstance(seed, int) and -(2**31) <= seed < 2**31):
            raise ValueError("seed must be a 32-bit integer.")
        return images, ratio, set(modalities)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def merge(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The one JSON answer of ``generateContent``: the stream's chunks joined."""
    answer: dict[str, Any] = {}
    parts: list[dict[str, Any]] = []
    for chunk in chunks:
        for key, value in chunk.items():
            if key != "candidates":
                answer[key] = value
        for candidate in chunk.get("candidates", []):
            parts.extend(candidate["content"]["parts"])
            merged = answer.setdefault("candidates", [{"index": 0}])[0]
            merged.update({k: v for k, v in candidate.items() if k != "content"})
    if "candidates" in answer:
        answer["candidates"][0]["content"] = {"role": "model", "parts": parts}
    return answer
