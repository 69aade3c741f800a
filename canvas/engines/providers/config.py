"""Provider configuration: endpoints, models, keys, timeouts, limits, breaker, fallbacks.

This is the one reader of provider settings (``value``/``text``/``number``/``integer``/
``flag``/``names``/``pairs``/``secret``): every provider module, ComfyUI's and A1111's
included, reads its ``ANCHORBOARD_*`` variables through it. Every value comes from Django
settings or the environment variable of the same name (settings win, so tests can override
them; blank counts as unset); keys and passwords come ONLY from the environment
(``secret``), so they never end up in a settings file or a repository. The hosted
providers' model ids, base URLs and prices live here as defaults and nowhere else: call
sites ask this module. This module must not talk to the network or the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

# --- Reading values: the one reader every provider uses --------------------------------------


def value(name: str) -> object | None:
    """The Django setting ``name``, else the environment variable; None when unset.

    A blank value (``""`` in settings, an empty variable) counts as unset, so a default
    applies and a URL set to nothing switches its provider off.
    """
    found = getattr(settings, name, None)
    if found is None:
        found = os.environ.get(name)
    if isinstance(found, str) and not found.strip():
        return None
    return found


def text(name: str, default: str = "") -> str:
    found = value(name)
    if isinstance(found, list | tuple):
        return ",".join(str(v).strip() for v in found)
    return default if found is None else str(found).strip()


def first_text(*names: str) -> str:
    """The first of several spellings that is set (ours, then a vendor's usual name)."""
    return next((t for t in (text(n) for n in names) if t), "")


def number(name: str, default: float) -> float:
    found = value(name)
    return default if found is None else float(found)  # type: ignore[arg-type]


def integer(name: str, default: int) -> int:
    found = value(name)
    return default if found is None else int(found)  # type: ignore[call-overload]


def flag(name: str, default: bool) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); a bool in settings."""
    found = value(name)
    if found is None:
        return default
    if isinstance(found, bool):
        return found
    return str(found).strip().lower() not in {"0", "false", "no", "off"}


def names(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A comma-separated list in the environment, or a list in settings."""
    found = value(name)
    if found is None:
        return default
    items = found if isinstance(found, list | tuple) else str(found).split(",")
    return tuple(str(v).strip() for v in items if str(v).strip())


def pairs(name: str) -> dict[str, str]:
    """``a=1,b=2`` in the environment, or a dict in settings."""
    found = value(name)
    if found is None:
        return {}
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    result = {}
    for part in str(found).split(","):
        key, _, item = part.partition("=")
        if key.strip() and item.strip():
            result[key.strip()] = item.strip()
    return result


def secret(name: str) -> str:
    """A key or password: from the environment only, never from a settings file."""
    return os.environ.get(name, "").strip()


def job_time_limit() -> float:
    """The job queue's time limit, the default limit of one self-hosted call."""
    return number("ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", 1800.0)


def api_key(provider: str) -> str:
    """The provider's key, from the environment only.

    ``ANCHORBOARD_<PROVIDER>_API_KEY`` wins; the vendors' own conventional names
    (``GEMINI_API_KEY``, ``OPENAI_API_KEY``) work too, so a key already exported for other
    tools makes the provider appear without renaming it.
    """
    name = provider.upper()
    return secret(f"ANCHORBOARD_{name}_API_KEY") or secret(f"{name}_API_KEY")


def hosted_configuration(
    provider: str, base_url: str, models: tuple[str, ...] | list[str]
) -> list[tuple[str, str]]:
    """A hosted provider's settings for administrators; the key only as "set"/"not set"."""
    return [
        ("Base URL", base_url),
        ("Models", ", ".join(models)),
        ("API key", "set" if api_key(provider) else "not set"),
        ("Timeout", f"{read_timeout(provider):g} s"),
    ]


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
    ids = names("ANCHORBOARD_GEMINI_MODELS", tuple(GEMINI_MODELS))
    return [
        GEMINI_MODELS.get(m) or GeminiModel(m, f"Gemini ({m})", 3, (), _RATIOS[:9], None)
        for m in ids
    ]


def gemini_base_url() -> str:
    return text("ANCHORBOARD_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com")


def openai_base_url() -> str:
    return text("ANCHORBOARD_OPENAI_BASE_URL", "https://api.openai.com")


def openai_models() -> tuple[str, ...]:
    # gpt-image-1 was shut down on 2026-10-23 (the openai SDK's model notes); 1.5 takes the
    # same fields (sizes, qualities, input_fidelity), so it is the drop-in default.
    return names("ANCHORBOARD_OPENAI_IMAGE_MODELS", ("gpt-image-1.5",))


def openai_quality() -> str:
    return text("ANCHORBOARD_OPENAI_QUALITY", "medium")


def openai_sizes() -> tuple[str, ...]:
    return names("ANCHORBOARD_OPENAI_SIZES", ("1024x1024", "1536x1024", "1024x1536"))


# USD per 1M tokens for gpt-image-1.5 (text in, image in, image out); estimates only.
def openai_prices() -> tuple[float, float, float]:
    prices = names("ANCHORBOARD_OPENAI_PRICES_PER_MTOK", ("5", "8", "32"))
    text_in, image_in, image_out = (float(p) for p in prices[:3])
    return text_in, image_in, image_out


# --- Timeouts, limits, breaker, fallbacks -----------------------------------------------------

DEFAULT_READ_TIMEOUT = {"gemini": 120.0, "openai": 180.0}


def connect_timeout(provider: str) -> float:
    return number(f"ANCHORBOARD_{provider.upper()}_CONNECT_TIMEOUT", 10.0)


def read_timeout(provider: str) -> float:
    """Seconds to wait for an answer; image models are slow (OpenAI up to ~2 minutes)."""
    return number(
        f"ANCHORBOARD_{provider.upper()}_TIMEOUT", DEFAULT_READ_TIMEOUT.get(provider, 120.0)
    )


def provider_concurrency(provider: str) -> int | None:
    """Jobs of one engine of this provider running at once (fed to the queue's per-engine
    cap); ``ANCHORBOARD_PROVIDER_CONCURRENCY=gemini=4,openai=2``."""
    value = pairs("ANCHORBOARD_PROVIDER_CONCURRENCY").get(provider)
    return int(value) if value else {"gemini": 4, "openai": 2}.get(provider)


def breaker_failures() -> int:
    """Consecutive transient failures that open a provider's circuit."""
    return max(1, integer("ANCHORBOARD_BREAKER_FAILURES", 5))


def breaker_cooldown_seconds() -> float:
    """How long an open circuit waits before letting one probe call through."""
    return max(0.0, number("ANCHORBOARD_BREAKER_COOLDOWN_SECONDS", 60.0))


def breaker_probe_seconds(provider: str) -> float:
    """How long a half-open probe may take before another process may probe instead."""
    return read_timeout(provider) + connect_timeout(provider) + 30.0


def fallback_chains() -> dict[str, tuple[str, ...]]:
    """Engine → engines to try when its provider's circuit is open. Boards opt in.

    ``ANCHORBOARD_ENGINE_FALLBACKS=gemini-3-pro-image-preview=comfyui>local`` in the
    environment, or ``{"gemini-3-pro-image-preview": ["comfyui", "local"]}`` in settings.
    """
    found = value("ANCHORBOARD_ENGINE_FALLBACKS")
    if isinstance(found, dict):
        return {str(k): tuple(v) for k, v in found.items()}
    return {
        k: tuple(p for p in v.split(">") if p)
        for k, v in pairs("ANCHORBOARD_ENGINE_FALLBACKS").items()
    }
