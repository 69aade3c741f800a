"""Seedance (ByteDance) image-to-video through BytePlus ModelArk's task API, as engines.

One engine per configured model (``ANCHORBOARD_SEEDANCE_MODELS``), named
``seedance-<model>``. One result is one task (canvas.engines.providers.video):

- create: ``POST {base}/api/v3/contents/generations/tasks`` with ``Authorization: Bearer``
  and ``{"model", "content": [text, image_url…], "resolution", "ratio", "duration", "seed",
  "camera_fixed", "watermark": false, "generate_audio": false}``. The first frame (the
  region) is an ``image_url`` data URL with ``role: first_frame``, the last frame
  ``role: last_frame``. Seedance takes frames *or* reference images, not both: a job with
  anchors sends the region and the anchors as ``reference_image`` (the clip then follows
  the region's look rather than starting on it; the result's metadata says so);
- poll: ``GET …/tasks/{id}`` → ``status`` queued | running | succeeded | failed |
  cancelled; ``content.video_url`` (signed, valid about a day) when it succeeded;
  ``error.code`` / ``error.message`` when it failed;
- cancel: ``DELETE …/tasks/{id}`` (a queued task only; otherwise refused, which is fine).

Errors are ``{"error": {"code", "message"}}``: codes naming sensitive content (input text
or image, output video or audio) are safety blocks; 429 is a rate or quota limit. This
module holds the wire format only; no database access here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import httpx

from canvas.engines.base import VideoCapabilities
from canvas.engines.providers import config, http, imaging, resilience
from canvas.engines.providers.engine import Call, ProviderEngine, engine_class, ordered_anchors
from canvas.engines.providers.hosted import HostedService
from canvas.engines.providers.video import Poll, VideoEngine

PROVIDER = "seedance"
LABEL = "Seedance (BytePlus ModelArk)"
NOT_CONFIGURED = "Seedance has no ModelArk API key on this server."
TASKS = "/api/v3/contents/generations/tasks"
MAX_SENT_EDGE = 1920
MAX_IMAGE_BYTES = 10 * 1024 * 1024
OFFER = VideoCapabilities(
    durations=tuple(range(4, 16)),
    aspect_ratios=("16:9", "4:3", "1:1", "3:4", "9:16", "21:9"),
    resolutions=("480p", "720p", "1080p"),
    last_frame=True,
    camera_fixed=True,
    fps=24,
)

SERVICE = HostedService(
    PROVIDER,
    LABEL,
    base_url=lambda: config.seedance_base_url(),
    models_path="/api/v3/models",  # "Check now"
    key_header=lambda key: {"Authorization": f"Bearer {key}"},
)
is_configured = SERVICE.is_configured
check_now = SERVICE.check_now


def configuration() -> list[tuple[str, str]]:
    return SERVICE.configuration(list(config.seedance_models()))


def configured_engines() -> list[type[ProviderEngine]]:
    """One engine per configured model, or none without a key."""
    if not is_configured():
        return []
    return [
        engine_class(SeedanceEngine, f"seedance-{model}", model=model, label=f"Seedance ({model})")
        for model in config.seedance_models()
    ]


def data_url(image: Any) -> str:
    return "data:image/png;base64," + imaging.png_b64(
        image, max_edge=MAX_SENT_EDGE, max_bytes=MAX_IMAGE_BYTES
    )


def is_sensitive(code: str) -> bool:
    """Ark's moderation codes: InputTextSensitiveContentDetected,
    OutputVideoSensitiveContentDetected, … (and their dotted variants)."""
    return "sensitive" in code.lower()


class SeedanceEngine(VideoEngine):
    provider = PROVIDER
    service = SERVICE
    video_offer = OFFER
    max_references: ClassVar[int] = 4

    def speaker(self) -> str:
        return "Seedance"

    # --- request ------------------------------------------------------------------------------

    def build_body(self, call: Call) -> dict[str, Any]:
        request, video = call.request, call.request.video
        assert video is not None and request.source is not None
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        if request.anchors:
            images = [request.source, *(a.image for a in ordered_anchors(request.anchors))]
            content += [
                {"type": "image_url", "image_url": {"url": data_url(i)}, "role": "reference_image"}
                for i in images
            ]
        else:
            content.append(
                {
                    "type": "image_url",
                    "image_url": {"url": data_url(request.source)},
                    "role": "first_frame",
                }
            )
            if video.last_frame is not None:
                content.append(
                    {
                        "type": "image_url",
                        "image_url": {"url": data_url(video.last_frame)},
                        "role": "last_frame",
                    }
                )
        body: dict[str, Any] = {
            "model": self.model,
            "content": content,
            "resolution": video.resolution,
            "ratio": video.aspect_ratio,
            "duration": video.duration,
            "camera_fixed": video.camera_fixed,
            "watermark": False,
            "generate_audio": False,
        }
        if call.seed is not None:
            body["seed"] = int(call.seed) % 2**32
        return body

    # --- the task -----------------------------------------------------------------------------

    async def start(self, call: Call) -> str:
        response = await self.answer("POST", TASKS, json=self.build_body(call))
        if response.status_code != 200:
            raise self.http_error(response)
        task = (http.json_body(response) or {}).get("id")
        if not isinstance(task, str) or not task:
            raise resilience.malformed(self.speaker(), "no task id")
        return task

    async def poll(self, task: str) -> Poll:
        response = await self.answer("GET", f"{TASKS}/{task}")
        if response.status_code != 200:
            raise self.http_error(response)
        body = http.json_body(response)
        if body is None:
            raise resilience.malformed(self.speaker(), "not JSON")
        status = str(body.get("status", ""))
        if status in ("queued", "running"):
            return Poll(status=status)
        if status == "succeeded":
            url = (body.get("content") or {}).get("video_url")
            if not isinstance(url, str) or not url:
                raise resilience.malformed(self.speaker(), "no video_url")
            usage = body.get("usage") or {}
            return Poll(
                done=True,
                status=status,
                url=url,
                metadata={
                    "provider_model": str(body.get("model") or self.model),
                    "provider_seed": body.get("seed"),
                    "completion_tokens": usage.get("completion_tokens"),
                },
            )
        if status == "cancelled":
            raise resilience.permanent(
                "The Seedance task was cancelled on ModelArk before it finished.",
                code="provider_cancelled",
                http_status=200,
            )
        if status == "failed":
            raise self.task_failed(body.get("error") or {})
        raise resilience.malformed(self.speaker(), f"unknown status {status!r}")

    async def fetch(self, poll: Poll) -> Path:
        if poll.data is not None:
            return self.inline(poll.data)
        return await self.download(poll.url, headers={})  # signed: never send our key there

    async def stop(self, task: str) -> None:
        await self.answer("DELETE", f"{TASKS}/{task}")

    # --- errors -------------------------------------------------------------------------------

    def task_failed(self, error: Any) -> Exception:
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", ""))[:300] if isinstance(error, dict) else ""
        if is_sensitive(code):
            return self.blocked(code)
        if "internal" in code.lower() or "timeout" in code.lower():
            return resilience.transient(
                f"Seedance could not finish the clip ({code}). The job will be retried.",
                code="provider_unavailable",
                http_status=200,
            )
        return resilience.permanent(
            f"Seedance could not make this clip ({code or 'failed'}: {message}). Change the "
            "prompt or the settings and try again.",
            code="provider_failed",
            http_status=200,
        )

    def http_error(self, response: httpx.Response) -> Exception:
        error = (http.json_body(response) or {}).get("error") or {}
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", ""))[:300] if isinstance(error, dict) else ""
        status = response.status_code
        if status == 400 and is_sensitive(code):
            blocked = self.blocked(code)
            blocked.http_status = status  # type: ignore[attr-defined]
            return blocked
        if status == 400:
            return resilience.permanent(
                f"Seedance rejected the request ({code or 'InvalidParameter'}: {message}). "
                "Change the settings and try again.",
                code="provider_invalid_request",
                http_status=status,
            )
        if status == 429:
            return resilience.transient(
                f"Seedance is over its rate limit or quota right now ({code or 'HTTP 429'}). "
                "The job will be retried automatically.",
                code="provider_rate_limited",
                http_status=status,
                retry_after=http.retry_after(response),
            )
        return resilience.status_failure(
            status, "Seedance", detail=code, retry_after=http.retry_after(response)
        )
