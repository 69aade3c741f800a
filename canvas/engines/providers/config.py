"""Provider configuration: endpoints, models, keys, timeouts, limits, breaker, fallbacks.

Every value is a knob declared in foundation/knobs/ and read through foundation.config
(a Django setting wins over the environment variable of the same name; blank counts as
unset; keys and passwords come ONLY from the environment, so they never end up in a
settings file or a repository). This module adds what the providers need on top: the
hosted models' descriptions, per-provider lookups, "set"/"not set" for administrators.
The hosted providers' model ids live here and nowhere else: call sites ask this module.
This module must not talk to the network or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundation import knobs
from foundation.config import Knob, read


def job_time_limit() -> float:
    """The job queue's time limit, the default limit of one self-hosted call."""
    return read(knobs.JOB_TIME_LIMIT_SECONDS)


def server_time_limit(knob: Knob[float | None]) -> float:
    """A self-hosted server's own time limit if set, else the job queue's."""
    own = read(knob)
    return job_time_limit() if own is None else own


def api_key(provider: str) -> str:
    """The provider's key, from the environment only.

    ``ANCHORBOARD_<PROVIDER>_API_KEY`` wins; the vendors' own conventional names
    (``GEMINI_API_KEY``, ``OPENAI_API_KEY``) work too, so a key already exported for other
    tools makes the provider appear without renaming it.
    """
    knob = knobs.named(f"ANCHORBOARD_{provider.upper()}_API_KEY")
    return read(knob) if knob is not None else ""


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
    ids = read(knobs.GEMINI_MODELS) or tuple(GEMINI_MODELS)
    return [
        GEMINI_MODELS.get(m) or GeminiModel(m, f"Gemini ({m})", 3, (), _RATIOS[:9], None)
        for m in ids
    ]


def gemini_base_url() -> str:
    return read(knobs.GEMINI_BASE_URL)


def seedance_base_url() -> str:
    return read(knobs.SEEDANCE_BASE_URL)


def seedance_models() -> tuple[str, ...]:
    return read(knobs.SEEDANCE_MODELS)


def veo_models() -> tuple[str, ...]:
    return read(knobs.VEO_MODELS)


def video_poll_seconds() -> tuple[float, float]:
    """(first wait, longest wait) between two polls of a video provider's task."""
    first = max(0.0, read(knobs.VIDEO_POLL_SECONDS))
    return first, max(first, read(knobs.VIDEO_POLL_MAX_SECONDS))


def video_max_clip_bytes() -> int:
    """The largest clip a video provider may deliver (enforced while it streams in)."""
    return max(1, read(knobs.VIDEO_MAX_CLIP_MB)) * 1024 * 1024


def openai_base_url() -> str:
    return read(knobs.OPENAI_BASE_URL)


def openai_models() -> tuple[str, ...]:
    # gpt-image-1 was shut down on 2026-10-23 (the openai SDK's model notes); 1.5 takes the
    # same fields (sizes, qualities, input_fidelity), so it is the drop-in default.
    return read(knobs.OPENAI_IMAGE_MODELS)


def openai_quality() -> str:
    return read(knobs.OPENAI_QUALITY)


def openai_sizes() -> tuple[str, ...]:
    return read(knobs.OPENAI_SIZES)


# USD per 1M tokens for gpt-image-1.5 (text in, image in, image out); estimates only.
def openai_prices() -> tuple[float, float, float]:
    prices = read(knobs.OPENAI_PRICES_PER_MTOK)
    text_in, image_in, image_out = (float(p) for p in prices[:3])
    return text_in, image_in, image_out


# --- Timeouts, limits, breaker, fallbacks -----------------------------------------------------

# A provider without its own timeout knobs (A1111 bounds its calls by its time limit).
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 120.0


def connect_timeout(provider: str) -> float:
    knob = knobs.named(f"ANCHORBOARD_{provider.upper()}_CONNECT_TIMEOUT")
    return DEFAULT_CONNECT_TIMEOUT if knob is None else float(read(knob))


def read_timeout(provider: str) -> float:
    """Seconds to wait for an answer; image models are slow (OpenAI up to ~2 minutes)."""
    knob = knobs.named(f"ANCHORBOARD_{provider.upper()}_TIMEOUT")
    return DEFAULT_READ_TIMEOUT if knob is None else float(read(knob))


def provider_concurrency(provider: str) -> int | None:
    """Jobs of one engine of this provider running at once (fed to the queue's per-engine
    cap); ``ANCHORBOARD_PROVIDER_CONCURRENCY=gemini=4,openai=2``."""
    limits = {**knobs.PROVIDER_CONCURRENCY.default, **read(knobs.PROVIDER_CONCURRENCY)}
    return limits.get(provider)


def breaker_failures() -> int:
    """Consecutive transient failures that open a provider's circuit."""
    return max(1, read(knobs.BREAKER_FAILURES))


def breaker_cooldown_seconds() -> float:
    """How long an open circuit waits before letting one probe call through."""
    return max(0.0, read(knobs.BREAKER_COOLDOWN_SECONDS))


def breaker_probe_seconds(provider: str) -> float:
    """How long a half-open probe may take before another process may probe instead."""
    return read_timeout(provider) + connect_timeout(provider) + 30.0


def fallback_chains() -> dict[str, tuple[str, ...]]:
    """Engine → engines to try when its provider's circuit is open. Boards opt in.

    ``ANCHORBOARD_ENGINE_FALLBACKS=gemini-3-pro-image-preview=comfyui>local`` in the
    environment, or ``{"gemini-3-pro-image-preview": ["comfyui", "local"]}`` in settings.
    """
    return read(knobs.ENGINE_FALLBACKS)
