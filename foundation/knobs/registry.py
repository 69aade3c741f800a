"""The knob registry: every section module declares its knobs through ``declare`` here, in
documentation order (the order ``foundation.knobs`` imports the sections)."""

from __future__ import annotations

from typing import Any, TypeVar

from foundation.config import Knob, Parser, from_environment

T = TypeVar("T")

_ALL: dict[str, Knob[Any]] = {}


def declare(
    name: str, parser: Parser[T], default: T, meaning: str, section: str, **more: Any
) -> Knob[T]:
    if name in _ALL:
        raise ValueError(f"{name} is declared twice")
    knob = Knob(name, parser, default, meaning, section, **more)
    _ALL[name] = knob
    return knob


def every() -> list[Knob[Any]]:
    """Every declared knob, in declaration (= documentation) order."""
    return list(_ALL.values())


def named(name: str) -> Knob[Any] | None:
    """The knob declared as ``name`` (for the per-provider families), or None."""
    return _ALL.get(name)


def check_environment() -> None:
    """Parse every knob set in the environment, so a bad value fails at start-up with a
    sentence naming it rather than at first use (called by anchorboard/settings.py)."""
    for knob in _ALL.values():
        if not knob.read_in:
            from_environment(knob)


DEPLOYMENT = "Deployment and security"
SERVICES = "Database, Redis, background work"
STORAGE = "File storage (S3)"
LIMITS = "Request, upload and image limits"
ACCESS = "Passwords, sign-up, invitations, share links"
BOARD = "Board websocket"
JOBS = "Job queue"
HOSTED = "Hosted providers (Gemini, OpenAI), circuit breaker, fallbacks"
COMFYUI = "ComfyUI"
A1111 = "AUTOMATIC1111 / Forge"
WEBHOOKS = "Webhooks"
EXPORTS = "Exports: Content Credentials (C2PA)"
DEVELOPMENT = "Development and tests"
