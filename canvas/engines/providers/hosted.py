"""What the hosted image APIs (Gemini, OpenAI) share: a service reached at a base URL with
an API key, and an engine that posts one request per call and reads one JSON answer.

``HostedService`` answers the provider-module questions for such a service (is a key set,
"Check now" as one GET of its model list, the settings page's rows); ``HostedEngine`` is
the HTTP leg of a call: open the shared client with the key's header, POST, turn a
network failure into the contract's transient error, hand a non-200 answer to the
provider's ``http_error`` and a 200 to its ``parse``, and decode the base64 images in it.

What differs stays in each provider's module: the wire format (paths, bodies, fields), the
error bodies and what they mean, the messages naming the model. This module sends nothing
the provider module did not build, so the two wire formats stay their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from PIL import Image

from canvas.engines.base import EngineRequest, Mode
from canvas.engines.providers import config, http, imaging, resilience
from canvas.engines.providers.engine import (
    ROLE_PRIORITY,
    ProviderCapabilities,
    ProviderEngine,
    refuse_without_instruction,
)


@dataclass(frozen=True)
class HostedService:
    """A hosted API: its provider name, how its base URL is read (at call time, so a
    changed setting applies at once), the path "Check now" lists models at, and the
    header its key travels in."""

    provider: str
    label: str
    base_url: Callable[[], str]
    models_path: str
    key_header: Callable[[str], dict[str, str]]

    def headers(self) -> dict[str, str]:
        return self.key_header(config.api_key(self.provider))

    def is_configured(self) -> bool:
        return bool(config.api_key(self.provider))

    def check_now(self) -> dict[str, Any]:
        """``GET <models_path>``: the key works and the service answers; nothing generated."""
        return http.check_key(
            f"{self.base_url().rstrip('/')}{self.models_path}",
            where=self.label,
            timeout=config.connect_timeout(self.provider),
            headers=self.headers(),
        )

    def configuration(self, models: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        return config.hosted_configuration(self.provider, self.base_url(), models)


class HostedEngine(ProviderEngine):
    """A ``ProviderEngine`` of a ``HostedService``: subclasses set ``service``, build their
    request, and give ``http_error`` (a non-200 answer as the contract's error) and
    ``parse`` (a 200 as a ``CallResult``); ``speaker()`` names the model in messages."""

    service: ClassVar[HostedService]

    def speaker(self) -> str:
        return self.label

    def hosted_capabilities(
        self, *, label: str, max_references: int, max_count: int, max_output_pixels: int
    ) -> ProviderCapabilities:
        """What both hosted image APIs do: edit a region (img2img, inpaint with a mask,
        variations) with anchors of every role, up to 16 MP in; the limits are the model's."""
        return ProviderCapabilities(
            label=label,
            generative=True,
            modes=frozenset({Mode.IMG2IMG, Mode.INPAINT, Mode.VARIATIONS}),
            max_references=max_references,
            anchor_roles=frozenset(ROLE_PRIORITY),
            supports_mask=True,
            needs_source=True,
            max_count=max_count,
            max_input_pixels=16_000_000,
            max_output_pixels=max_output_pixels,
            max_concurrency=config.provider_concurrency(self.provider),
        )

    def check(self, request: EngineRequest) -> None:
        super().check(request)
        # Both models edit from words: a job without a prompt or a kit template is refused.
        refuse_without_instruction(request, self.speaker())

    def http_error(self, response: httpx.Response) -> Exception:
        raise NotImplementedError

    def parse(self, response: httpx.Response) -> resilience.CallResult:
        raise NotImplementedError

    async def send(self, path: str, **request: Any) -> resilience.CallResult:
        """POST ``request`` (``json=`` or ``data=``/``files=``, as httpx takes them) to
        ``path``; the parsed answer, or the contract's error."""
        async with http.make_client(
            self.provider, self.service.base_url(), self.service.headers()
        ) as client:
            try:
                response = await client.post(path, **request)
            except httpx.HTTPError as exc:
                waited = config.read_timeout(self.provider)
                raise resilience.network_failure(exc, self.speaker(), waited=waited) from None
        if response.status_code != 200:
            raise self.http_error(response)
        return self.parse(response)

    def decoded(self, data: object) -> Image.Image:
        """One base64 image of an answer; damaged data is a malformed (retried) answer."""
        try:
            return imaging.b64_image(data)
        except imaging.UnreadableImage:
            raise resilience.malformed(self.speaker(), "the image data is damaged") from None
