"""Provider configuration: endpoints, models, keys, timeouts, limits, breaker, fallbacks.

Every value comes from Django settings or the environment variable of the same name
(settings win, so tests can override them); API keys come ONLY from the environment, so
they never end up in a settings file or a repository. Model ids, base URLs and prices live
here as defaults and nowhere else: call sites ask this module. This module must not talk to
the network or the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

# --- Reading values ---------------------------------------------------------------------------


def _raw(name: str) -> object | None:
    value = getattr(settings, name, None)
    if value is None:
        env = os.environ.get(name, "")
        return env if env.strip() else None
    return value


def _str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else str(value).strip()


def _float(name: str, default: float) -> float:
    value = _raw(name)
    return default if value is None else float(value)  # type: ignore[arg-type]


def _int(name: str, default: int) -> int:
    value = _raw(name)
    return default if value is None else int(value)  # type: ignore[call-overload]


def _list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _raw(name)
    if value is None:
        return default
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _pairs(name: str) -> dict[str, str]:
    """``a=1,b=2`` in the environment, or a dict in settings."""
    value = _raw(name)
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    pairs = {}
    for part in str(value).split(","):
        key, _, item = part.partition("=")
        if key.strip() and item.strip():
            pairs[key.strip()] = item.strip()
    return pairs


def api_key(provider: str) -> str:
    """The provider's key, from the environment only.

    ``ANCHORBOARD_<PROVIDER>_API_KEY`` wins; the vendors' own conventional names
    (``GEMINI_API_KEY``, ``OPENAI_API_KEY``) work too, so a key already exported for other
    tools makes the provider appear without renaming it.
    """
    name = provider.upper()
    own = os.environ.get(f"ANCHORBOARD_{name}_API_KEY", "").strip()
    return own or os.environ.get(f"{name}_API_KEY", "").strip()


# --- Models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeminiModel:
    model: str
    label: str
    max_images: int  # images per request, the region included
    image_sizes: tuple[str, ...]  # values of imageConfig.imageSize; () = do not send it
    aspect_ratios: tuple[str, ...]
    cost_per_image_usd: float | None  # estimate shown in call records; billing is per token


_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
_WIDE = ("1:4", "4:1", "1:8", "8:1")

# Known models; unknown ids in ANCHORBOARD_GEMINI_MODELS get conservative defaults.
GEMINI_MODELS = {
    "gemini-2.5-flash-image": GeminiModel(
        "gemini-2.5-flash-image", "Nano Banana (Gemini 2.5 Flash Image)", 3, (), _RATIOS, 0.039
    ),
    "gemini-3-pro-image-preview": GeminiModel(
        "gemini-3-pro-image-preview",
        "Nano Banana Pro (Gemini 3 Pro Image)",
        14,
        ("1K", "2K", "4K"),
        _RATIOS,
        0.134,
    ),
    "gemini-3.1-flash-image-preview": GeminiModel(
        "gemini-3.1-flash-image-preview",
        "Nano Banana 2 (Gemini 3.1 Flash Image)",
        14,
        ("512", "1K", "2K", "4K"),
        _RATIOS + _WIDE,
        0.067,
    ),
}


def gemini_models() -> list[GeminiModel]:
    ids = _list("ANCHORBOARD_GEMINI_MODELS", tuple(GEMINI_MODELS))
    return [
        GEMINI_MODELS.get(m) or GeminiModel(m, f"Gemini ({m})", 3, (), _RATIOS[:9], None)
        for m in ids
    ]


def gemini_base_url() -> str:
    return _str("ANCHORBOARD_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com")


def openai_base_url() -> str:
    return _str("ANCHORBOARD_OPENAI_BASE_URL", "https://api.openai.com")


def openai_models() -> tuple[str, ...]:
    # gpt-image-1 was shut down on 2026-10-23 (the openai SDK's model notes); 1.5 takes the
    # same fields (sizes, qualities, input_fidelity), so it is the drop-in default.
    return _list("ANCHORBOARD_OPENAI_IMAGE_MODELS", ("gpt-image-1.5",))


def openai_quality() -> str:
    return _str("ANCHORBOARD_OPENAI_QUALITY", "medium")


def openai_sizes() -> tuple[str, ...]:
    return _list("ANCHORBOARD_OPENAI_SIZES", ("1024x1024", "1536x1024", "1024x1536"))


# USD per 1M tokens for gpt-image-1.5 (text in, image in, image out); estimates only.
def openai_prices() -> tuple[float, float, float]:
    prices = _list("ANCHORBOARD_OPENAI_PRICES_PER_MTOK", ("5", "8", "32"))
    text_in, image_in, image_out = (float(p) for p in prices[:3])
    return text_in, image_in, image_out


# --- Timeouts, limits, breaker, fallbacks -----------------------------------------------------

DEFAULT_READ_TIMEOUT = {"gemini": 120.0, "openai": 180.0}


def connect_timeout(provider: str) -> float:
    return _float(f"ANCHORBOARD_{provider.upper()}_CONNECT_TIMEOUT", 10.0)


def read_timeout(provider: str) -> float:
    """Seconds to wait for an answer; image models are slow (OpenAI up to ~2 minutes)."""
    return _float(
        f"ANCHORBOARD_{provider.upper()}_TIMEOUT", DEFAULT_READ_TIMEOUT.get(provider, 120.0)
    )


def provider_concurrency(provider: str) -> int | None:
    """Jobs of one engine of this provider running at once (fed to the queue's per-engine
    cap); ``ANCHORBOARD_PROVIDER_CONCURRENCY=gemini=4,openai=2``."""
    value = _pairs("ANCHORBOARD_PROVIDER_CONCURRENCY").get(provider)
    return int(value) if value else {"gemini": 4, "openai": 2}.get(provider)


def breaker_failures() -> int:
    """Consecutive transient failures that open a provider's circuit."""
    return max(1, _int("ANCHORBOARD_BREAKER_FAILURES", 5))


def breaker_cooldown_seconds() -> float:
    """How long an open circuit waits before letting one probe call through."""
    return max(0.0, _float("ANCHORBOARD_BREAKER_COOLDOWN_SECONDS", 60.0))


def breaker_probe_seconds(provider: str) -> float:
    """How long a half-open probe may take before another process may probe instead."""
    return read_timeout(provider) + connect_timeout(provider) + 30.0


def fallback_chains() -> dict[str, tuple[str, ...]]:
    """Engine → engines to try when its provider's circuit is open. Boards opt in.

    ``ANCHORBOARD_ENGINE_FALLBACKS=gemini-3-pro-image-preview=comfyui>local`` in the
    environment, or ``{"gemini-3-pro-image-preview": ["comfyui", "local"]}`` in settings.
    """
    value = _raw("ANCHORBOARD_ENGINE_FALLBACKS")
    if isinstance(value, dict):
        return {str(k): tuple(v) for k, v in value.items()}
    return {
        k: tuple(p for p in v.split(">") if p)
        for k, v in _pairs("ANCHORBOARD_ENGINE_FALLBACKS").items()
    }
