"""OpenAI image edits (GPT Image models: ``gpt-image-1.5`` and newer) as engines.

One engine per configured model (``ANCHORBOARD_OPENAI_IMAGE_MODELS``), named
``openai-<model>``. A call is ``POST {base}/v1/images/edits`` as multipart/form-data with
``Authorization: Bearer``: the region as ``image`` — or, with anchors, repeated
``image[]`` parts, region first then anchors by role priority (composition → style →
palette → lighting) — a ``mask`` PNG the size of the region whose TRANSPARENT pixels mark
what to change (it applies to the first image), the ``prompt`` naming what each image is
for, and ``model``, ``size``, ``quality``, ``n``, ``output_format``. Results come back as
``data[].b64_json``; ``n`` images per call.

Only OpenAI's wire format lives here (the multipart form, its error codes, ``data[]`` and
``usage``); the HTTP leg, the key header and "Check now" are the hosted APIs' (``hosted``),
breaker, retries and call records every provider's (``resilience``). It never touches the
database.
"""

from __future__ import annotations

import io
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

PROVIDER = "openai"
LABEL = "OpenAI"
MAX_IMAGES = 16
MAX_SENT_EDGE = 2048
MAX_ANCHOR_EDGE = 1024

ROLE_WORDS = {
    "composition": "follow its layout, framing and the placement of its main shapes",
    "style": "match its rendering technique, brushwork and texture, not its subject",
    "palette": "use its colours, not its content",
    "lighting": "match the direction, colour and softness of its light and shadows",
}


NOT_CONFIGURED = "OpenAI has no API key on this server."
SERVICE = HostedService(
    PROVIDER,
    LABEL,
    base_url=lambda: config.openai_base_url(),
    models_path="/v1/models",  # "Check now"
    key_header=lambda key: {"Authorization": f"Bearer {key}"},
)
is_configured = SERVICE.is_configured
check_now = SERVICE.check_now


def configuration() -> list[tuple[str, str]]:
    return SERVICE.configuration(config.openai_models())


def configured_engines() -> list[type[ProviderEngine]]:
    if not is_configured():
        return []
    return [
        engine_class(
            OpenAIImageEngine, f"openai-{model}", model=model, label=f"OpenAI GPT Image ({model})"
        )
        for model in config.openai_models()
    ]


def mask_png(mask: Image.Image, size: tuple[int, int]) -> bytes:
    """Our mask (255 = change) as OpenAI's: transparent = change, opaque = keep."""
    if mask.size != size:
        mask = mask.resize(size, Image.Resampling.BILINEAR)
    alpha = mask.point(lambda v: 0 if v >= 128 else 255)
    image = Image.new("RGBA", size, (0, 0, 0, 255))
    image.putalpha(alpha)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class OpenAIImageEngine(HostedEngine):
    provider = PROVIDER
    service = SERVICE
    images_per_call: ClassVar[int] = 10

    def capabilities(self) -> ProviderCapabilities:
        return self.hosted_capabilities(
            label=self.label,
            max_references=MAX_IMAGES - 1,
            max_count=10,
            max_output_pixels=16_000_000,
        )

    # --- request --------------------------------------------------------------------------

    def prompt_for(self, request: EngineRequest) -> str:
        anchors = ordered_anchors(request.anchors)
        lines = ["Image 1 is the region of the artwork to work on."]
        for n, anchor in enumerate(anchors, start=2):
            lines.append(f"Image {n} is the {anchor.role} reference: {ROLE_WORDS[anchor.role]}.")
        if request.mode == Mode.INPAINT:
            lines.append("Change only the masked area of image 1; keep the rest as it is.")
        if request.mode == Mode.VARIATIONS:
            lines.append(
                "Make a variation of image 1: keep its subject and composition, vary details."
            )
        if request.strength < 0.35:
            lines.append("Make only subtle changes.")
        elif request.strength >= 0.7:
            lines.append("You may change image 1 substantially.")
        if request.prompt:
            lines.append(f"Instructions: {request.prompt}")
        if request.negative_prompt:
            lines.append(f"Avoid: {request.negative_prompt}")
        return "\n".join(lines)

    def build_form(
        self, request: EngineRequest, n: int
    ) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
        assert request.source is not None
        anchors = ordered_anchors(request.anchors)
        region = imaging.png_bytes(request.source, max_edge=MAX_SENT_EDGE)
        field = "image[]" if anchors else "image"
        files: list[tuple[str, tuple[str, bytes, str]]] = [
            (field, ("region.png", region, "image/png"))
        ]
        for i, anchor in enumerate(anchors, start=1):
            files.append(
                (
                    "image[]",
                    (
                        f"anchor-{i}-{anchor.role}.png",
                        imaging.png_bytes(anchor.image, max_edge=MAX_ANCHOR_EDGE),
                        "image/png",
                    ),
                )
            )
        if request.mode == Mode.INPAINT and request.mask is not None:
            sent_size = Image.open(io.BytesIO(region)).size
            files.append(("mask", ("mask.png", mask_png(request.mask, sent_size), "image/png")))
        size = output_size_of(request) or request.source.size
        data = {
            "model": self.model,
            "prompt": self.prompt_for(request),
            "n": str(n),
            "size": str(
                request.params.get("size") or imaging.closest_aspect(size, config.openai_sizes())
            ),
            "quality": str(request.params.get("quality") or config.openai_quality()),
            "output_format": "png",
        }
        return data, files

    # --- call -----------------------------------------------------------------------------

    def call(self, call: Call) -> resilience.CallResult:
        data, files = self.build_form(call.request, call.n)
        return http.run_sync(self._post(data, files), call.cancelled)

    async def _post(self, data: dict[str, str], files: list[Any]) -> resilience.CallResult:
        return await self.send("/v1/images/edits", data=data, files=files)

    def http_error(self, response: httpx.Response) -> Exception:
        error = (http.json_body(response) or {}).get("error") or {}
        if not isinstance(error, dict):
            error = {}
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")[:300]
        status = response.status_code
        if code == "moderation_blocked":
            return resilience.permanent(
                "OpenAI's safety system rejected this request (moderation_blocked); nothing "
                "was charged. Change the prompt, the region or the anchors and try again.",
                code="provider_blocked",
                http_status=status,
            )
        if code == "insufficient_quota":
            return resilience.permanent(
                "The server's OpenAI account has no credit left (insufficient_quota). This is "
                "a billing problem, not a busy server, so the job was not retried. Ask your "
                "administrator to check the OpenAI billing settings.",
                code="provider_quota",
                http_status=status,
            )
        if status == 429:
            wait = http.retry_after(response)
            if wait is None:
                wait = http.parse_duration(response.headers.get("x-ratelimit-reset-requests", ""))
            return resilience.status_failure(status, self.label, retry_after=wait)
        if status == 400:
            return resilience.permanent(
                f"{self.label} rejected the request ({message or code or 'invalid request'}). "
                "Change the settings or the region and try again.",
                code="provider_invalid_request",
                http_status=status,
            )
        return resilience.status_failure(
            status, self.label, detail=code, retry_after=http.retry_after(response)
        )

    def parse(self, response: httpx.Response) -> resilience.CallResult:
        body = http.json_body(response)
        if body is None or not isinstance(body.get("data"), list):
            raise resilience.malformed(self.label, "not the expected JSON")
        images = [
            self.decoded(entry.get("b64_json") if isinstance(entry, dict) else None)
            for entry in body["data"]
        ]
        if not images:
            raise resilience.malformed(self.label, "no image in the answer")
        return resilience.CallResult(
            images=images, http_status=200, cost_usd=cost_of(body.get("usage"))
        )


def cost_of(usage: Any) -> float | None:
    """USD from the answer's ``usage`` (bill from usage, not from request parameters)."""
    if not isinstance(usage, dict):
        return None
    text_in, image_in, image_out = config.openai_prices()
    details = usage.get("input_tokens_details") or {}
    try:
        image_tokens = float(details.get("image_tokens", 0))
        text_tokens = float(details.get("text_tokens", usage.get("input_tokens", 0) - image_tokens))
        output = float(usage.get("output_tokens", 0))
    except (TypeError, ValueError, AttributeError):
        return None
    return (text_tokens * text_in + image_tokens * image_in + output * image_out) / 1e6
