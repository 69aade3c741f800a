"""A fake Veo on the Gemini API: long-running operations, checked like the real service
(docs: ../shared/reference/video-apis.md §2).

- ``POST /v1beta/models/{model}:predictLongRunning`` (``x-goog-api-key``): one instance
  with ``prompt``, ``image`` (``bytesBase64Encoded`` + ``mimeType``), optional
  ``lastFrame`` and up to 3 ``referenceImages`` (``referenceType`` asset or style);
  ``parameters`` ``aspectRatio`` 16:9 | 9:16, ``durationSeconds`` 4 | 6 | 8, ``resolution``
  720p | 1080p (1080p only for 8 s), ``seed``, ``negativePrompt``. Answers
  ``{"name": "models/{model}/operations/{id}"}``;
- ``GET /v1beta/models/{model}/operations/{id}``: ``{"name"}`` without ``done`` while it
  runs (as Google does), then ``done: true`` with
  ``response.generateVideoResponse.generatedSamples[0].video.uri``, or with
  ``raiMediaFilteredCount`` / ``raiMediaFilteredReasons`` and no samples, or ``error``;
- ``GET /v1beta/files/{id}:download?alt=media`` (with the key): 302 to ``/blob/{token}``,
  a signed link that must be fetched *without* the key (a key seen there is recorded in
  ``leaked_keys``); an expired link answers 403;
- ``GET /v1beta/models``: "Check now".

``script`` scripts starts (``rate_limited``, ``filtered``, ``failing``); ``poll_script``
scripts polls.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections import deque
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.providers.fakes.base import Behaviour, FakeServer
from tests.providers.fakes.video_tasks import TaskBook, send_clip

KEY = "test-gemini-key"
MODELS = ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview")
START = re.compile(r"^/v1beta/models/([^/:]+):predictLongRunning$")
OPERATION = re.compile(r"^/v1beta/models/([^/:]+)/operations/([A-Za-z0-9]+)$")
DOWNLOAD = re.compile(r"^/v1beta/files/([A-Za-z0-9]+):download$")
BLOB = re.compile(r"^/blob/([0-9a-f]+)$")


def error(status: int, code: str, message: str, headers=None) -> Behaviour:
    body = {"error": {"code": status, "message": message, "status": code}}
    return Behaviour("error", status=status, body=body, headers=headers or {})


def rate_limited(retry_after: str = "2") -> Behaviour:
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        {"Retry-After": retry_after},
    )


def filtered(reason: str = "Video generation failed due to a safety filter.") -> Behaviour:
    return Behaviour("filtered", reason=reason)


def failing(message: str = "Internal error while generating the video.") -> Behaviour:
    return Behaviour("fail", reason=message)


class FakeVeo(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.book = TaskBook("op")
        self.poll_script: deque[Behaviour] = deque()
        self.leaked_keys: list[str] = []

    def refused(self, handler, query: dict[str, str]) -> bool:
        key = handler.headers.get("x-goog-api-key") or query.get("key")
        if key == KEY:
            return False
        self.send_json(
            handler,
            400 if key else 403,
            {
                "error": {
                    "code": 400 if key else 403,
                    "status": "INVALID_ARGUMENT" if key else "PERMISSION_DENIED",
                    "message": "API key not valid. Please pass a valid API key."
                    if key
                    else "Method doesn't allow unregistered callers.",
                }
            },
        )
        return True

    def handle(self, handler, body: bytes, number: int) -> None:
        path, query = self.target(handler)
        match = START.match(path)
        if not match:
            return self.send_json(handler, 404, {"error": {"code": 404, "message": "Not found"}})
        if self.refused(handler, query):
            return None
        model = match.group(1)
        if model not in MODELS:
            return self.send_json(
                handler,
                404,
                {"error": {"code": 404, "status": "NOT_FOUND", "message": f"models/{model}"}},
            )
        try:
            payload = json.loads(body)
            self.validate(payload)
        except ValueError as exc:
            b = error(400, "INVALID_ARGUMENT", str(exc))
            return self.send_json(handler, b.status, b.body)
        self.requests.append({"model": model, "body": payload})
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        outcome = behaviour.kind if behaviour.kind in ("fail", "filtered") else "ok"
        task = self.book.create({"model": model, **payload}, outcome, behaviour.reason)
        return self.send_json(handler, 200, {"name": f"models/{model}/operations/{task.id}"})

    def handle_get(self, handler) -> None:
        path, query = self.target(handler)
        blob = BLOB.match(path)
        if blob:
            if handler.headers.get("x-goog-api-key"):
                self.leaked_keys.append(handler.headers["x-goog-api-key"])
            clip = self.book.fetch(blob.group(1))
            if clip is None:
                return self.send_bytes(handler, 403, b"Request has expired", "text/plain")
            return send_clip(handler, clip)
        if self.refused(handler, query):
            return None
        if path == "/v1beta/models":
            return self.send_json(
                handler, 200, {"models": [{"name": f"models/{m}"} for m in MODELS]}
            )
        download = DOWNLOAD.match(path)
        if download:
            task = self.book.tasks.get(download.group(1))
            if task is None or query.get("alt") != "media":
                return self.send_json(handler, 404, {"error": {"code": 404, "message": "No file"}})
            token = self.book.sign(task)
            handler.send_response(302)
            handler.send_header("location", f"{self.url}/blob/{token}")
            handler.send_header("content-length", "0")
            handler.end_headers()
            return None
        match = OPERATION.match(path)
        task = self.book.tasks.get(match.group(2)) if match else None
        if task is None:
            return self.send_json(
                handler, 404, {"error": {"code": 404, "status": "NOT_FOUND", "message": path}}
            )
        if self.poll_script:
            behaviour = self.poll_script.popleft()
            if self.common(handler, behaviour):
                return None
        self.book.advance(task)
        name = f"models/{task.body['model']}/operations/{task.id}"
        if not task.finished:
            return self.send_json(handler, 200, {"name": name})
        if task.outcome == "fail":
            return self.send_json(
                handler,
                200,
                {"name": name, "done": True, "error": {"code": 3, "message": task.detail}},
            )
        answer: dict[str, Any] = {}
        if task.outcome == "filtered":
            answer = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [task.detail]}
        else:
            uri = f"{self.url}/v1beta/files/{task.id}:download?alt=media"
            answer = {"generatedSamples": [{"video": {"uri": uri}}]}
        response = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
            "PredictLongRunningResponse",
            "generateVideoResponse": answer,
        }
        return self.send_json(handler, 200, {"name": name, "done": True, "response": response})

    def validate(self, payload: Any) -> None:
        instances = payload.get("instances") if isinstance(payload, dict) else None
        if not isinstance(instances, list) or len(instances) != 1:
            raise ValueError("instances must hold exactly one instance.")
        instance = instances[0]
        if not isinstance(instance.get("prompt"), str):
            raise ValueError("instances[0].prompt is required.")
        for key in ("image", "lastFrame"):
            if key in instance:
                decode(instance[key])
        if "lastFrame" in instance and "image" not in instance:
            raise ValueError("lastFrame requires image.")
        references = instance.get("referenceImages", [])
        if len(references) > 3:
            raise ValueError("At most 3 reference images.")
        for reference in references:
            decode(reference.get("image"))
            if reference.get("referenceType") not in ("asset", "style"):
                raise ValueError("referenceType must be asset or style.")
        parameters = payload.get("parameters") or {}
        if parameters.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            raise ValueError("aspectRatio must be 16:9 or 9:16.")
        duration = parameters.get("durationSeconds", 8)
        if duration not in (4, 6, 8) or isinstance(duration, bool):
            raise ValueError("durationSeconds must be 4, 6 or 8.")
        resolution = parameters.get("resolution", "720p")
        if resolution not in ("720p", "1080p"):
            raise ValueError("resolution must be 720p or 1080p.")
        if resolution == "1080p" and duration != 8:
            raise ValueError("1080p is only available for 8 second videos.")
        seed = parameters.get("seed", 0)
        if not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise ValueError("seed must be a uint32.")


def decode(image: Any) -> Image.Image:
    if not isinstance(image, dict) or image.get("mimeType") not in ("image/png", "image/jpeg"):
        raise ValueError("image needs bytesBase64Encoded and an image mimeType.")
    try:
        picture = Image.open(io.BytesIO(base64.b64decode(image.get("bytesBase64Encoded", ""))))
        picture.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise ValueError("Unable to process input image.") from None
    return picture
