"""Veo (Google) image-to-video through the Gemini API's long-running operations, as engines.

One engine per configured model (``ANCHORBOARD_VEO_MODELS``), named by its model id; it
uses the Gemini key and base URL, with a breaker of its own (provider ``veo``: video
quotas are not image quotas). The REST endpoints are called directly with httpx (the
``google-genai`` 3.x SDK refuses ``generate_videos`` on the Gemini API; see
docs/providers.md). One result is one operation (canvas.engines.providers.video):

- start: ``POST {base}/v1beta/models/{model}:predictLongRunning`` with ``x-goog-api-key``,
  ``{"instances": [{"prompt", "image": {"bytesBase64Encoded", "mimeType"}, "lastFrame"?,
  "referenceImages"?: [{"image", "referenceType": "asset"}]}], "parameters":
  {"aspectRatio", "durationSeconds", "resolution", "negativePrompt"?, "seed"?}}`` →
  ``{"name": "models/…/operations/…"}``;
- poll: ``GET /v1beta/{name}`` until ``done`` is true (Google usually omits ``done`` while
  the operation runs); then ``response.generateVideoResponse.generatedSamples[0].video.uri``,
  or ``raiMediaFilteredCount`` / ``raiMediaFilteredReasons`` (a safety block), or ``error``;
- download: ``GET {uri}`` with the key; it answers with a redirect to the file, which is
  followed *without* the key (httpx would carry a custom key header across hosts).

Veo has no "fixed camera" parameter: a fixed camera is asked for in words. This module
holds the wire format only; no database access here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import httpx

from canvas.engines.base import EngineRequest, VideoCapabilities
from canvas.engines.providers import config, http, imaging, resilience
from canvas.engines.providers.engine import Call, ProviderEngine, engine_class, ordered_anchors
from canvas.engines.providers.hosted import HostedService
from canvas.engines.providers.video import Poll, VideoEngine

PROVIDER = "veo"
LABEL = "Google Veo"
NOT_CONFIGURED = "Veo uses the Gemini API key, and this server has none."
MAX_SENT_EDGE = 1920
MAX_IMAGE_BYTES = 15 * 1024 * 1024
STILL_CAMERA = "The camera stays completely still: no pan, tilt, zoom or dolly."
OFFER = VideoCapabilities(
    durations=(4, 6, 8),
    aspect_ratios=("16:9", "9:16"),
    resolutions=("720p", "1080p"),
    last_frame=True,
    camera_fixed=True,
    fps=24,
)
LABELS = {
    "veo-3.1-generate-preview": "Veo 3.1",
    "veo-3.1-fast-generate-preview": "Veo 3.1 Fast",
    "veo-3.0-generate-001": "Veo 3",
    "veo-3.0-fast-generate-001": "Veo 3 Fast",
}

SERVICE = HostedService(
    "gemini",  # the key, base URL and "Check now" are Gemini's
    LABEL,
    base_url=lambda: config.gemini_base_url(),
    models_path="/v1beta/models?pageSize=1",
    key_header=lambda key: {"x-goog-api-key": key},
)
is_configured = SERVICE.is_configured
check_now = SERVICE.check_now


def configuration() -> list[tuple[str, str]]:
    return SERVICE.configuration(list(config.veo_models()))


def configured_engines() -> list[type[ProviderEngine]]:
    if not is_configured():
        return []
    return [
        engine_class(VeoEngine, model, model=model, label=f"{LABELS.get(model, model)} ({model})")
        for model in config.veo_models()
    ]


def inline(image: Any) -> dict[str, str]:
    return {
        "bytesBase64Encoded": imaging.png_b64(
            image, max_edge=MAX_SENT_EDGE, max_bytes=MAX_IMAGE_BYTES
        ),
        "mimeType": "image/png",
    }


class VeoEngine(VideoEngine):
    provider = PROVIDER
    service = SERVICE
    video_offer = OFFER
    max_references: ClassVar[int] = 3

    def speaker(self) -> str:
        return LABELS.get(self.model, "Veo")

    def check(self, request: EngineRequest) -> None:
        super().check(request)
        video = request.video
        if video is not None and video.resolution == "1080p" and video.duration != 8:
            raise self.refusal("makes 1080p clips of 8 seconds only; pick 8 s or 720p.")

    def build_body(self, call: Call) -> dict[str, Any]:
        request, video = call.request, call.request.video
        assert video is not None and request.source is not None
        prompt = request.prompt + (f" {STILL_CAMERA}" if video.camera_fixed else "")
        instance: dict[str, Any] = {"prompt": prompt, "image": inline(request.source)}
        if video.last_frame is not None:
            instance["lastFrame"] = inline(video.last_frame)
        if request.anchors:
            instance["referenceImages"] = [
                {"image": inline(a.image), "referenceType": "asset"}
                for a in ordered_anchors(request.anchors)
            ]
        parameters: dict[str, Any] = {
            "aspectRatio": video.aspect_ratio,
            "durationSeconds": video.duration,
            "resolution": video.resolution,
        }
        if request.negative_prompt:
            parameters["negativePrompt"] = request.negative_prompt
        if call.seed is not None:
            parameters["seed"] = int(call.seed) % 2**32
        return {"instances": [instance], "parameters": parameters}

    async def start(self, call: Call) -> str:
        path = f"/v1beta/models/{self.model}:predictLongRunning"
        response = await self.answer("POST", path, json=self.build_body(call))
        if response.status_code != 200:
            raise self.http_error(response)
        name = (http.json_body(response) or {}).get("name")
        if not isinstance(name, str) or "/operations/" not in name:
            raise resilience.malformed(self.speaker(), "no operation name")
        return name

    async def poll(self, task: str) -> Poll:
        response = await self.answer("GET", f"/v1beta/{task}")
        if response.status_code != 200:
            raise self.http_error(response)
        body = http.json_body(response)
        if body is None:
            raise resilience.malformed(self.speaker(), "not JSON")
        if not body.get("done"):
            return Poll(status="generating")
        if body.get("error"):
            raise self.operation_failed(body["error"])
        answer = (body.get("response") or {}).get("generateVideoResponse") or {}
        samples = answer.get("generatedSamples") or []
        uri = ((samples[0] or {}).get("video") or {}).get("uri") if samples else None
        if not uri:
            reasons = answer.get("raiMediaFilteredReasons") or []
            if answer.get("raiMediaFilteredCount") or reasons:
                raise self.blocked("; ".join(str(r) for r in reasons)[:300] or "filtered")
            raise resilience.permanent(
                f"{self.speaker()} finished without a clip and gave no reason. Try "
                "rephrasing the prompt.",
                code="provider_no_video",
                http_status=200,
            )
        return Poll(done=True, status="done", url=str(uri), metadata={"provider_model": self.model})

    async def fetch(self, poll: Poll) -> Path:
        # With the key; the file answers with a redirect to a signed URL, followed without it.
        return await self.download(poll.url)

    def operation_failed(self, error: Any) -> Exception:
        message = str(error.get("message", ""))[:300] if isinstance(error, dict) else ""
        code = error.get("code") if isinstance(error, dict) else None
        if code in (8, 14, 13, 4):  # RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL, DEADLINE
            return resilience.transient(
                f"{self.speaker()} could not finish the clip ({message or code}). The job "
                "will be retried.",
                code="provider_unavailable",
                http_status=200,
            )
        return resilience.permanent(
            f"{self.speaker()} could not make this clip ({message or code}). Change the "
            "prompt or the settings and try again.",
            code="provider_failed",
            http_status=200,
        )

    def http_error(self, response: httpx.Response) -> Exception:
        error = (http.json_body(response) or {}).get("error") or {}
        status_text = str(error.get("status", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", ""))[:300] if isinstance(error, dict) else ""
        status = response.status_code
        if status == 400 and "api key" in message.lower():
            return resilience.status_failure(403, self.speaker())
        if status == 400:
            return resilience.permanent(
                f"{self.speaker()} rejected the request ({message or status_text}). Change "
                "the settings and try again.",
                code="provider_invalid_request",
                http_status=status,
            )
        if status == 429:
            return resilience.transient(
                f"{self.speaker()} is over its request quota right now (RESOURCE_EXHAUSTED). "
                "The job will be retried automatically.",
                code="provider_rate_limited",
                http_status=status,
                retry_after=http.retry_after(response),
            )
        return resilience.status_failure(
            status, self.speaker(), detail=status_text, retry_after=http.retry_after(response)
        )
