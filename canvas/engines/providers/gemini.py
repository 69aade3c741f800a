"""Google Gemini native image models ("Nano Banana" family) as engines.

One engine per configured model (``ANCHORBOARD_GEMINI_MODELS``), named by its model id.
A call is ``POST {base}/v1beta/models/{model}:generateContent`` with ``x-goog-api-key``;
one call per result (these models always answer with one candidate).

What is sent, in this order (the model sees images numbered from 1):

1. the region (image 1);
2. the anchors, by role priority composition → style → palette → lighting (then board
   order), each explained in the text part ("Image 2 is the palette reference: …");
3. inpaint only, when the model's image limit leaves room: a black/white picture of the
   mask (white = change). These models take no mask parameter, so the text also names
   the masked area; the job runner pastes the result back through the real mask.

This module holds Gemini's wire format: the body above, its error bodies and its answers.
The HTTP leg, the key header and "Check now" are shared with OpenAI (``hosted``); breaker,
retries and call records with every provider (``resilience``). No database access here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from PIL import Image

from canvas.engines.base import EngineRequest, Mode, output_size_of
from canvas.engines.providers import config, http, imaging, resilience
from canvas.engines.providers.engine import (
    Call,
    ProviderCapabilities,
    ProviderEngine,
    engine_class,
    ordered_anchors,
)
from canvas.engines.providers.hosted import HostedEngine, HostedService

PROVIDER = "gemini"
LABEL = "Google Gemini"

ROLE_INSTRUCTIONS = {
    "composition": (
        "Image {n} is the composition reference: follow its layout, framing and the "
        "placement of its main shapes; do not copy its colours or subject."
    ),
    "style": (
        "Image {n} is the style reference: match its rendering technique, brushwork and "
        "texture; do not copy its subject."
    ),
    "palette": (
        "Image {n} is the palette reference: use its colours for the result; do not copy "
        "its content."
    ),
    "lighting": (
        "Image {n} is the lighting reference: match the direction, colour and softness of "
        "its light and shadows."
    ),
}
SAFETY_REASONS = {
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
}
MAX_SENT_EDGE = 2048  # long edge of images sent inline
MAX_ANCHOR_EDGE = 1024
MAX_INLINE_BYTES = 7 * 1024 * 1024  # per inline image; larger ones are refused (400)


NOT_CONFIGURED = "Gemini has no API key on this server."
SERVICE = HostedService(
    PROVIDER,
    LABEL,
    base_url=lambda: config.gemini_base_url(),
    models_path="/v1beta/models?pageSize=1",  # "Check now"
    key_header=lambda key: {"x-goog-api-key": key},
)
is_configured = SERVICE.is_configured
check_now = SERVICE.check_now


def configuration() -> list[tuple[str, str]]:
    return SERVICE.configuration([m.model for m in config.gemini_models()])


def configured_engines() -> list[type[ProviderEngine]]:
    """One engine class per configured model, or none without an API key."""
    if not is_configured():
        return []
    return [
        engine_class(GeminiEngine, m.model, spec=m, model=m.model, label=m.label)
        for m in config.gemini_models()
    ]


def short_label(label: str) -> str:
    return label.split(" (")[0]


def image_size_for(size: tuple[int, int], sizes: tuple[str, ...]) -> str | None:
    if not sizes:
        return None
    edge = max(size)
    for name, limit in (("512", 512), ("1K", 1024), ("2K", 2048)):
        if name in sizes and edge <= limit:
            return name
    return sizes[-1]


def mask_area_words(mask: Image.Image) -> str:
    box = mask.point(lambda v: 255 if v >= 128 else 0).getbbox() or mask.getbbox()
    if box is None:
        return "nothing"
    w, h = mask.size
    left, top, right, bottom = (round(100 * v / d) for v, d in zip(box, (w, h, w, h), strict=True))
    return f"the area from {left}% to {right}% across and {top}% to {bottom}% down"


def _strength_words(strength: float) -> str:
    if strength < 0.35:
        return "Make only subtle changes; stay very close to image 1."
    if strength < 0.7:
        return "Make clear but moderate changes; keep the overall structure of image 1."
    return "You may change image 1 substantially."


class GeminiEngine(HostedEngine):
    provider = PROVIDER
    service = SERVICE
    spec: ClassVar[config.GeminiModel]

    def speaker(self) -> str:
        return short_label(self.spec.label)

    def capabilities(self) -> ProviderCapabilities:
        return self.hosted_capabilities(
            label=self.spec.label,
            max_references=self.spec.max_images - 1,  # image 1 is the region
            max_count=4,
            max_output_pixels=16_777_216,
        )

    # --- request --------------------------------------------------------------------------

    def build_body(self, request: EngineRequest, index: int) -> dict[str, Any]:
        assert request.source is not None
        anchors = ordered_anchors(request.anchors)
        lines = ["Image 1 is the region of the artwork to work on."]
        parts: list[dict[str, Any]] = [
            {
                "inlineData": {
                    "mimeType": "image/png",
                    "data": imaging.png_b64(
                        request.source, max_edge=MAX_SENT_EDGE, max_bytes=MAX_INLINE_BYTES
                    ),
                }
            }
        ]
        for n, anchor in enumerate(anchors, start=2):
            lines.append(ROLE_INSTRUCTIONS[anchor.role].format(n=n))
            parts.append(
                {
                    "inlineData": {
                        "mimeType": "image/png",
                        "data": imaging.png_b64(
                            anchor.image, max_edge=MAX_ANCHOR_EDGE, max_bytes=MAX_INLINE_BYTES
                        ),
                    }
                }
            )
        if request.mode == Mode.INPAINT and request.mask is not None:
            area = mask_area_words(request.mask)
            lines.append(f"Change only {area} of image 1; keep everything else exactly as it is.")
            if len(parts) < self.spec.max_images:
                n = len(parts) + 1
                lines.append(f"Image {n} is a mask of image 1: change only where it is white.")
                mask = request.mask.point(lambda v: 255 if v >= 128 else 0).convert("RGB")
                data = imaging.png_b64(mask, max_edge=MAX_SENT_EDGE, max_bytes=MAX_INLINE_BYTES)
                parts.append({"inlineData": {"mimeType": "image/png", "data": data}})
        if request.mode == Mode.VARIATIONS:
            lines.append(
                "Make a variation of image 1: keep its subject and composition, vary details, "
                f"colours and texture (variation {index + 1})."
            )
        lines.append(_strength_words(request.strength))
        if request.prompt:
            lines.append(f"Instructions: {request.prompt}")
        if request.negative_prompt:
            lines.append(f"Avoid: {request.negative_prompt}")
        lines.append("Answer with the edited image only, same framing as image 1.")
        size = output_size_of(request) or request.source.size
        image_config: dict[str, Any] = {
            "aspectRatio": request.params.get("aspect_ratio")
            or imaging.closest_aspect(size, self.spec.aspect_ratios)
        }
        image_size = request.params.get("image_size") or image_size_for(size, self.spec.image_sizes)
        if image_size:
            image_config["imageSize"] = image_size
        generation: dict[str, Any] = {"responseModalities": ["IMAGE"], "imageConfig": image_config}
        if request.seed is not None:
            generation["seed"] = (int(request.seed) + index) % 2**31
        return {
            "contents": [{"role": "user", "parts": [{"text": "\n".join(lines)}, *parts]}],
            "generationConfig": generation,
        }

    # --- call -----------------------------------------------------------------------------

    def call(self, call: Call) -> resilience.CallResult:
        body = self.build_body(call.request, call.index)
        return http.run_sync(self._post(body), call.cancelled)

    async def _post(self, body: dict[str, Any]) -> resilience.CallResult:
        return await self.send(f"/v1beta/models/{self.spec.model}:generateContent", json=body)

    def http_error(self, response: httpx.Response) -> Exception:
        name = self.speaker()
        error = (http.json_body(response) or {}).get("error") or {}
        status_text = str(error.get("status", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", ""))[:300] if isinstance(error, dict) else ""
        code = response.status_code
        if code == 400 and status_text == "FAILED_PRECONDITION":
            return resilience.permanent(
                f"{name} is not available to this server's Google account (region or billing: "
                f"{message or 'FAILED_PRECONDITION'}). Ask your administrator.",
                code="provider_unavailable_for_account",
                http_status=code,
            )
        if code == 400 and "api key" in message.lower():
            return resilience.status_failure(403, name)  # a wrong key, reported as 400
        if code == 400:
            return resilience.permanent(
                f"{name} rejected the request ({message or status_text or 'INVALID_ARGUMENT'}). "
                "Change the prompt, anchors or region and try again.",
                code="provider_invalid_request",
                http_status=code,
            )
        if code == 429:
            return resilience.transient(
                f"{name} is over its request quota right now (RESOURCE_EXHAUSTED). The job "
                "will be retried automatically.",
                code="provider_rate_limited",
                http_status=code,
                retry_after=_retry_delay(error) or http.retry_after(response),
            )
        return resilience.status_failure(
            code, name, detail=status_text, retry_after=http.retry_after(response)
        )

    def parse(self, response: httpx.Response) -> resilience.CallResult:
        name = self.speaker()
        body = http.json_body(response)
        if body is None:
            raise resilience.malformed(name, "not JSON")
        feedback = body.get("promptFeedback") or {}
        block = feedback.get("blockReason") if isinstance(feedback, dict) else None
        if block:
            raise self.blocked(str(block))
        candidates = body.get("candidates") or []
        if not isinstance(candidates, list) or not candidates:
            raise resilience.permanent(
                f"{name} returned no image and gave no reason; nothing was charged. Try "
                "rephrasing the prompt.",
                code="provider_no_image",
                http_status=200,
            )
        candidate = candidates[0] if isinstance(candidates[0], dict) else {}
        parts = (candidate.get("content") or {}).get("parts") or []
        images = [
            p
            for p in parts
            if isinstance(p, dict)
            and not p.get("thought")
            and (p.get("inlineData") or p.get("inline_data"))
        ]
        reason = str(candidate.get("finishReason") or candidate.get("finish_reason") or "")
        if not images:
            if reason in SAFETY_REASONS:
                raise self.blocked(reason)
            said = " ".join(
                str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("text")
            ).strip()
            detail = f' It said: "{said[:200]}"' if said else ""
            raise resilience.permanent(
                f"{name} answered without an image ({reason or 'NO_IMAGE'}); nothing was "
                f"charged.{detail} Try rephrasing the prompt.",
                code="provider_no_image",
                http_status=200,
            )
        blob = images[-1].get("inlineData") or images[-1].get("inline_data")  # the final one
        return resilience.CallResult(
            images=[self.decoded((blob or {}).get("data"))],
            http_status=200,
            cost_usd=self.spec.cost_per_image_usd,
            metadata={"provider_model": str(body.get("modelVersion") or self.spec.model)},
        )

    def blocked(self, reason: str) -> Exception:
        name = self.speaker()
        if reason in SAFETY_REASONS:
            return resilience.permanent(
                f"{name} blocked this request for safety reasons ({reason}); nothing was "
                "charged. Change the prompt or the anchors and try again.",
                code="provider_blocked",
                http_status=200,
            )
        return resilience.permanent(
            f"{name} refused this request ({reason}); nothing was charged. Change the prompt "
            "or the anchors and try again.",
            code="provider_blocked",
            http_status=200,
        )


def _retry_delay(error: Any) -> float | None:
    """``google.rpc.RetryInfo.retryDelay`` ("12s") from an error body's details."""
    if not isinstance(error, dict):
        return None
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and "retryDelay" in detail:
            return http.parse_duration(str(detail["retryDelay"]))
    return None
