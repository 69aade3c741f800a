"""A fake BytePlus ModelArk video-generation task API (Seedance), checking requests like
the real service (docs: ../shared/reference/video-apis.md §1).

- ``POST /api/v3/contents/generations/tasks`` (``Authorization: Bearer``): the body is
  validated — known model, ``content`` items (``text``, ``image_url`` with a decodable
  URL and a ``role`` of first_frame / last_frame / reference_image; frames and reference
  images not mixed; a last frame needs a first frame), ``resolution``, ``ratio``, integer
  ``duration`` 4–15, 32-bit ``seed``, boolean flags — and answers ``{"id": "cgt-…"}``;
- ``GET …/tasks/{id}``: ``queued``, then ``running``, then ``succeeded`` with
  ``content.video_url`` (a signed link into this server, freshly signed on every poll),
  ``usage`` and ``seed``; or ``failed`` with ``error.code``/``message``;
- ``DELETE …/tasks/{id}``: cancels a queued task; a running one is refused (400);
- ``GET /tos/{token}.mp4``: the clip, or 403 ``AccessDenied`` once the link expired;
- ``GET /api/v3/models``: the "Check now" listing.

Errors are ``{"error": {"code", "message", "param", "type"}}`` with 400 (invalid
parameters, sensitive input), 401, 429 and 5xx. ``script`` scripts creates; ``poll_script``
scripts polls (a 429 or a 500 in the middle of polling).
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

KEY = "test-ark-key"
MODELS = ("dreamina-seedance-2-0-260128", "seedance-1-0-pro-250528")
TASKS = "/api/v3/contents/generations/tasks"
TASK_PATH = re.compile(r"^/api/v3/contents/generations/tasks/([A-Za-z0-9-]+)$")
FILE_PATH = re.compile(r"^/tos/([0-9a-f]+)\.mp4$")
RESOLUTIONS = {"480p", "720p", "1080p"}
RATIOS = {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"}
ROLES = {"first_frame", "last_frame", "reference_image"}
FLAGS = ("camera_fixed", "watermark", "generate_audio", "return_last_frame")


def error(status: int, code: str, message: str, headers=None) -> Behaviour:
    body = {"error": {"code": code, "message": message, "param": "", "type": "BadRequest"}}
    return Behaviour("error", status=status, body=body, headers=headers or {})


def rate_limited(retry_after: str = "3") -> Behaviour:
    return error(
        429,
        "RateLimitExceeded.EndpointRPMExceeded",
        "Request rate limit exceeded for this endpoint.",
        {"Retry-After": retry_after},
    )


def sensitive_input() -> Behaviour:
    return error(
        400,
        "InputTextSensitiveContentDetected",
        "The request failed because the input text may contain sensitive information.",
    )


def failing(code: str = "InternalServiceError") -> Behaviour:
    """The task is accepted, then fails with ``code``."""
    return Behaviour("fail", reason=code)


def output_blocked() -> Behaviour:
    """The task is accepted, then its output is filtered."""
    return Behaviour("fail", reason="OutputVideoSensitiveContentDetected")


class FakeArk(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.book = TaskBook("cgt-20261206-")
        self.poll_script: deque[Behaviour] = deque()
        self.deleted: list[str] = []

    # --- helpers ------------------------------------------------------------------------------

    def refused(self, handler) -> bool:
        header = handler.headers.get("authorization", "")
        if header == f"Bearer {KEY}":
            return False
        self.send_json(
            handler,
            401,
            {
                "error": {
                    "code": "AuthenticationError",
                    "message": "The API key in the request is missing or invalid.",
                    "type": "Unauthorized",
                }
            },
        )
        return True

    def task_json(self, task) -> dict[str, Any]:
        body = task.body
        answer: dict[str, Any] = {
            "id": task.id,
            "model": body.get("model"),
            "created_at": 1765000000,
            "updated_at": 1765000000 + task.polls,
        }
        if task.cancelled:
            return {**answer, "status": "cancelled"}
        if not task.finished:
            return {**answer, "status": "queued" if task.polls <= 1 else "running"}
        if task.outcome != "ok":
            message = (
                "The output video may contain sensitive information."
                if "Sensitive" in task.detail
                else "The service encountered an unexpected internal error."
            )
            return {
                **answer,
                "status": "failed",
                "error": {"code": task.detail, "message": message},
            }
        token = self.book.sign(task)
        duration = body.get("duration", 5)
        return {
            **answer,
            "status": "succeeded",
            "content": {"video_url": f"{self.url}/tos/{token}.mp4"},
            "usage": {"completion_tokens": 10_000 * duration, "total_tokens": 10_000 * duration},
            "seed": body.get("seed", 42),
            "resolution": body.get("resolution", "720p"),
            "ratio": body.get("ratio", "16:9"),
            "duration": duration,
            "framespersecond": 24,
        }

    # --- routes -------------------------------------------------------------------------------

    def handle(self, handler, body: bytes, number: int) -> None:
        path, _ = self.target(handler)
        if path != TASKS:
            return self.send_json(handler, 404, {"error": {"code": "NotFound", "message": path}})
        if self.refused(handler):
            return None
        try:
            payload = json.loads(body)
            self.validate(payload)
        except ValueError as exc:
            b = error(400, "InvalidParameter", str(exc))
            return self.send_json(handler, b.status, b.body)
        self.requests.append({"body": payload})
        behaviour = self.next_behaviour(number)
        if self.common(handler, behaviour):
            return None
        outcome = "fail" if behaviour.kind == "fail" else "ok"
        task = self.book.create(payload, outcome, behaviour.reason)
        return self.send_json(handler, 200, {"id": task.id})

    def handle_get(self, handler) -> None:
        path, _ = self.target(handler)
        file = FILE_PATH.match(path)
        if file:
            clip = self.book.fetch(file.group(1))
            if clip is None:
                data = (
                    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                    b"<Message>Request has expired</Message></Error>"
                )
                return self.send_bytes(handler, 403, data, "application/xml")
            return send_clip(handler, clip)
        if self.refused(handler):
            return None
        if path == "/api/v3/models":
            return self.send_json(handler, 200, {"data": [{"id": m} for m in MODELS]})
        match = TASK_PATH.match(path)
        task = self.book.tasks.get(match.group(1)) if match else None
        if task is None:
            return self.send_json(
                handler,
                404,
                {"error": {"code": "ResourceNotFound", "message": "The task does not exist."}},
            )
        if self.poll_script:
            behaviour = self.poll_script.popleft()
            if self.common(handler, behaviour):
                return None
        self.book.advance(task)
        return self.send_json(handler, 200, self.task_json(task))

    def handle_delete(self, handler) -> None:
        path, _ = self.target(handler)
        if self.refused(handler):
            return None
        match = TASK_PATH.match(path)
        task = self.book.tasks.get(match.group(1)) if match else None
        if task is None:
            return self.send_json(
                handler, 404, {"error": {"code": "ResourceNotFound", "message": "No task."}}
            )
        self.deleted.append(task.id)
        if task.polls > 1 or task.finished:  # only a queued task can be cancelled
            return self.send_json(
                handler,
                400,
                {
                    "error": {
                        "code": "InvalidParameter",
                        "message": "Only queued tasks can be cancelled.",
                    }
                },
            )
        task.cancelled = True
        return self.send_json(handler, 200, {})

    # --- validation ---------------------------------------------------------------------------

    def validate(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise ValueError("The request body must be a JSON object.")
        if payload.get("model") not in MODELS:
            raise ValueError(f"The model {payload.get('model')!r} does not exist.")
        content = payload.get("content")
        if not isinstance(content, list) or not content:
            raise ValueError("content is required.")
        roles = []
        for item in content:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "text":
                if not isinstance(item.get("text"), str):
                    raise ValueError("content.text must be a string.")
            elif kind == "image_url":
                url = (item.get("image_url") or {}).get("url")
                decode_image(url)
                role = item.get("role")
                if role not in ROLES:
                    raise ValueError(f"content.role {role!r} is not valid.")
                roles.append(role)
            else:
                raise ValueError(f"content.type {kind!r} is not valid.")
        frames = {"first_frame", "last_frame"} & set(roles)
        if frames and "reference_image" in roles:
            raise ValueError("first_frame/last_frame cannot be used with reference_image.")
        if "last_frame" in roles and "first_frame" not in roles:
            raise ValueError("last_frame requires first_frame.")
        if roles.count("first_frame") > 1 or roles.count("last_frame") > 1:
            raise ValueError("At most one first_frame and one last_frame.")
        if roles.count("reference_image") > 9:
            raise ValueError("At most 9 reference images.")
        if payload.get("resolution", "720p") not in RESOLUTIONS:
            raise ValueError("resolution must be 480p, 720p or 1080p.")
        if payload.get("ratio", "adaptive") not in RATIOS:
            raise ValueError("ratio is not valid.")
        duration = payload.get("duration", 5)
        if not isinstance(duration, int) or isinstance(duration, bool) or not 4 <= duration <= 15:
            raise ValueError("duration must be an integer from 4 to 15.")
        seed = payload.get("seed", -1)
        if not isinstance(seed, int) or not -1 <= seed < 2**32:
            raise ValueError("seed must be an integer from -1 to 4294967295.")
        for flag in FLAGS:
            if flag in payload and not isinstance(payload[flag], bool):
                raise ValueError(f"{flag} must be a boolean.")


def decode_image(url: Any) -> Image.Image:
    """A data URL's picture (https URLs are not fetched by the fake)."""
    if not isinstance(url, str) or not url.startswith("data:image/"):
        raise ValueError("image_url.url must be a data URL or an https URL.")
    head, _, data = url.partition(",")
    if not head.endswith(";base64"):
        raise ValueError("image_url.url must be base64.")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
        image.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise ValueError("The image could not be decoded.") from None
    return image
