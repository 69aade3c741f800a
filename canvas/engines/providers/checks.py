"""What the provider settings page adds to ``provider_status()``: an on-demand "check now"
ping per provider and each provider's configuration, described for administrators.

Each provider module answers for itself (``check_now()``, ``configuration()``,
``models(engines)``, ``NOT_CONFIGURED``); this module finds the module by provider name.
A check is one cheap, side-effect-free GET (``http.check_get``): ComfyUI
``/system_stats``, A1111 ``/sdapi/v1/options``, Gemini and OpenAI their model list. Checks
are not recorded as provider calls and do not move the circuit breaker: a ping proves the
server answers, not that image jobs work. Configuration never includes secrets (keys,
passwords): only whether one is set. This module must not touch the database.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from canvas.engines.providers import comfyui, provider_modules
from foundation.errors import AppError, NotFound


class ProviderNotConfigured(AppError):
    code = "provider_not_configured"
    default_message = "That provider is not configured on this server."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    default_message = "There is no such provider."


def _module(name: str) -> ModuleType | None:
    return next((m for m in provider_modules() if getattr(m, "PROVIDER", "") == name), None)


def check_provider(name: str) -> dict[str, Any]:
    """Ping one provider now: ``{"ok", "message", "latency_ms"?}``."""
    module = _module(name)
    if module is None:
        raise UnknownProvider(f"There is no provider called {name!r}.")
    if not module.is_configured():
        raise ProviderNotConfigured(module.NOT_CONFIGURED)
    result: dict[str, Any] = module.check_now()
    return result


def configuration_of(name: str) -> list[tuple[str, str]]:
    """(setting, value) rows for administrators; secrets only as "set"/"not set"."""
    module = _module(name)
    return list(module.configuration()) if module is not None else []


def models_of(name: str, engines: list[dict[str, Any]]) -> list[str]:
    """Model names to show everyone: the configured checkpoints of the self-hosted servers,
    the engines' models for the hosted ones."""
    module = _module(name)
    if module is not None and hasattr(module, "models"):
        return list(module.models(engines))
    return [e["model"] for e in engines if e.get("model")]


def comfy_workflows() -> tuple[list[dict[str, Any]], list[str]]:
    """The ComfyUI workflows on offer and the problems of the ones that were refused."""
    return comfyui.workflows_on_offer()
