"""The one reader of Anchorboard's configuration: every knob, typed, from one place.

A *knob* is a value an operator may set (``ANCHORBOARD_JOB_MAX_ATTEMPTS``,
``DATABASE_URL`` …). Each is declared once, with its type, default and meaning, in
``foundation/knobs/``; docs/configuration.md is generated from those declarations. Code
never reads ``os.environ`` or ``getattr(settings, …)`` for a knob: it calls

- ``read(knob)`` at run time: the Django setting of that name if there is one (so a
  settings file or a test's ``settings`` fixture wins), else the environment variable, else
  the declared default;
- ``from_environment(knob)`` where Django is not configured yet (``anchorboard/settings.py``
  builds the settings from it; ``celery_app.py``; ``manage.py serve``'s port).

A blank value (an empty variable, ``""`` in settings) counts as unset. A value that does not
parse fails with ``ImproperlyConfigured`` naming the variable and what it must be.
Secrets (API keys, passwords) are read from the environment only, never from a settings
file. Knobs the vendors also spell their own way (``GEMINI_API_KEY``) list those spellings
as aliases, read after ours.

Why our own ~200 lines rather than pydantic-settings or django-environ: both read a fixed
set of fields once into an object, while here (1) Django settings must win at *read* time
(tests and settings files override single knobs, the providers' fakes rely on it), (2) the
same declarations serve ``settings.py`` before Django exists, and (3) the declarations are
also the documentation and the list that the tests hold the code to. Parsing itself is
small (whole numbers, numbers, flags, lists, ``a=1,b=2`` pairs).

This module imports nothing of the project and does no I/O but reading the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class BadValue(ValueError):
    """A value that does not parse; ``read`` turns it into ImproperlyConfigured."""


@dataclass(frozen=True)
class Parser(Generic[T_co]):
    """How to turn an environment string (or a Django setting's value) into the knob's type."""

    parse: Callable[[object], T_co]
    expected: str  # "a whole number", for the error message and the docs


@dataclass(frozen=True)
class Knob(Generic[T_co]):
    """One setting an operator may change.

    ``default`` is what ``read`` returns when nothing is set; ``shown_default`` is how the
    docs show it when the value alone would mislead ("3 × heartbeat", "generated").
    ``environment_only`` knobs (secrets) ignore Django settings. ``read_in`` names the
    places outside the apps that read a knob (``dev.py``, the tests) — such knobs are
    documented here but read with plain ``os.environ`` by code that cannot import Django.
    """

    name: str
    parser: Parser[T_co]
    default: T_co
    meaning: str
    section: str
    shown_default: str = ""
    aliases: tuple[str, ...] = ()
    environment_only: bool = False
    read_in: str = ""

    def convert(self, value: object, spelled: str | None = None) -> T_co:
        try:
            return self.parser.parse(value)
        except (BadValue, ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{spelled or self.name} must be {self.parser.expected}, got {value!r}."
            ) from None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _django_setting(name: str) -> object | None:
    from django.conf import settings

    # Before Django is configured (settings.py itself is being imported) there is nothing
    # to ask, and asking would import the settings module again.
    if not settings.configured:
        return None
    return getattr(settings, name, None)


def raw(knob: Knob[Any], *, settings_first: bool = True) -> tuple[str, object] | None:
    """The spelling that is set and its unparsed value, or None when nothing is set."""
    for name in (knob.name, *knob.aliases):
        if settings_first and not knob.environment_only:
            found = _django_setting(name)
            if found is not None:
                # A setting wins even when blank: "" in settings switches a knob off
                # whatever the environment says (the next spelling may still be set).
                if _blank(found):
                    continue
                return name, found
        found = os.environ.get(name)
        if not _blank(found):
            return name, found
    return None


def read(knob: Knob[T]) -> T:
    """The knob's value: Django setting, else environment, else the declared default."""
    found = raw(knob)
    return knob.default if found is None else knob.convert(found[1], found[0])


def from_environment(knob: Knob[T]) -> T:
    """The knob's value from the environment alone (for code that runs before Django)."""
    found = raw(knob, settings_first=False)
    return knob.default if found is None else knob.convert(found[1], found[0])


def is_set(knob: Knob[Any]) -> bool:
    return raw(knob) is not None


# --- Parsers ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v).strip() for v in value)
    return str(value).strip()


def _whole(value: object) -> int:
    if isinstance(value, bool):
        raise BadValue(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not text.lstrip("+-").isdigit():
        raise BadValue(value)
    return int(text)


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise BadValue(value)
    return float(value if isinstance(value, int | float) else str(value).strip())


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(value)


def _names(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(v).strip() for v in items if str(v).strip())


def _pairs(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    result = {}
    for part in str(value).split(","):
        key, sep, item = part.partition("=")
        if not part.strip():
            continue
        if not sep or not key.strip() or not item.strip():
            raise BadValue(value)
        result[key.strip()] = item.strip()
    return result


def _whole_pairs(value: object) -> dict[str, int]:
    return {k: _whole(v) for k, v in _pairs(value).items()}


TEXT: Parser[str] = Parser(_text, "text")
WHOLE: Parser[int] = Parser(_whole, "a whole number")
NUMBER: Parser[float] = Parser(_number, "a number")
FLAG: Parser[bool] = Parser(_flag, "1/true/yes/on or 0/false/no/off")
NAMES: Parser[tuple[str, ...]] = Parser(_names, "a comma-separated list")
PAIRS: Parser[dict[str, str]] = Parser(_pairs, "name=value pairs separated by commas")
WHOLE_PAIRS: Parser[dict[str, int]] = Parser(_whole_pairs, "name=number pairs separated by commas")


def choice(*allowed: str) -> Parser[str]:
    def parse(value: object) -> str:
        text = _text(value)
        if text not in allowed:
            raise BadValue(value)
        return text

    return Parser(parse, ", ".join(allowed[:-1]) + " or " + allowed[-1])


def optional(parser: Parser[T]) -> Parser[T | None]:
    """The same parser, for knobs whose default is None (computed from another knob)."""
    return Parser(parser.parse, parser.expected)


def provider_limits(value: object) -> dict[str, tuple[int, int | None]]:
    """``gemini=4/60,openai=8`` in the environment (parallel calls, then optionally requests
    per minute), or ``{"gemini": "4/60"}`` / ``{"gemini": [4, 60]}`` in settings."""
    pairs = value if isinstance(value, dict) else _pairs(value)
    limits: dict[str, tuple[int, int | None]] = {}
    for name, raw in pairs.items():
        parts = [str(p) for p in raw] if isinstance(raw, list | tuple) else str(raw).split("/")
        if not 1 <= len(parts) <= 2 or not all(p.strip().isdigit() for p in parts):
            raise BadValue(value)
        parallel = int(parts[0])
        per_minute = int(parts[1]) if len(parts) == 2 else None
        if parallel < 1 or (per_minute is not None and per_minute < 1):
            raise BadValue(value)
        limits[str(name)] = (parallel, per_minute)
    return limits


def chains(value: object) -> dict[str, tuple[str, ...]]:
    """``engine=next>next2,…`` in the environment, or ``{engine: [next, …]}`` in settings."""
    if isinstance(value, dict):
        return {str(k): tuple(str(v) for v in vs) for k, vs in value.items()}
    return {k: tuple(p for p in v.split(">") if p) for k, v in _pairs(value).items()}


CHAINS: Parser[dict[str, tuple[str, ...]]] = Parser(
    chains, "engine=next>next2 pairs separated by commas"
)
LIMIT_PAIRS: Parser[dict[str, tuple[int, int | None]]] = Parser(
    provider_limits, "provider=parallel or provider=parallel/per-minute pairs separated by commas"
)
