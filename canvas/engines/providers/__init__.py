"""Remote image providers (Gemini, OpenAI, ComfyUI, AUTOMATIC1111) as engines.

Each provider is one module exposing ``PROVIDER`` (its name), ``LABEL``,
``is_configured()`` and ``configured_engines()`` (engine classes, empty when the server
has no key or URL for it). ``load_provider_engines()`` registers them all, once, when the
engine registry is first used; ``provider_status()`` is what the provider settings page
shows. A provider module that is missing or broken is logged and skipped so the others
still load. Shared failure handling is in ``resilience``; see docs/providers.md.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from canvas.engines import registry
from canvas.engines.providers.resilience import health_of
from canvas.engines.registry import register_engine

logger = logging.getLogger(__name__)

PROVIDER_MODULES = ("gemini", "openai_images", "seedance", "veo", "comfyui", "a1111")


def provider_modules() -> list[ModuleType]:
    modules = []
    for name in PROVIDER_MODULES:
        try:
            modules.append(importlib.import_module(f"canvas.engines.providers.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"canvas.engines.providers.{name}":
                logger.exception("provider module %s could not be imported", name)
        except Exception:
            logger.exception("provider module %s could not be imported", name)
    return modules


def load_provider_engines() -> list[str]:
    """Register every configured provider engine; returns their names."""
    names = []
    for module in provider_modules():
        try:
            classes = module.configured_engines()
        except Exception:
            logger.exception("provider %s: configured_engines() failed", module.__name__)
            continue
        # A list of engine classes, or a mapping name → engine class or instance.
        items = (
            list(classes.items())
            if isinstance(classes, dict)
            else [(getattr(c, "engine_name", "") or c.name, c) for c in classes]
        )
        for name, engine in items:
            cls = engine if isinstance(engine, type) else type(engine)
            try:
                register_engine(name)(cls)
            except ValueError:
                logger.exception("provider engine %s clashes with another engine", name)
                continue
            names.append(name)
    return names


def _engine_classes() -> dict[str, Any]:
    return dict(registry._ENGINES)


def provider_status() -> list[dict[str, Any]]:
    """Per provider: name, label, configured?, engines (name, label, model, capabilities),
    breaker state, last error and the recent success rate. For the provider settings page.
    """
    registered = _engine_classes()
    rows = []
    for module in provider_modules():
        provider = getattr(module, "PROVIDER", module.__name__.rsplit(".", 1)[-1])
        engines = []
        for name, cls in sorted(registered.items()):
            ours = getattr(cls, "provider", None) == provider or cls.__module__ == module.__name__
            if not ours:
                continue
            caps = cls().capabilities()
            engines.append(
                {
                    "name": name,
                    "label": caps.label,
                    "model": getattr(cls, "model", ""),
                    "capabilities": caps.as_dict(),
                }
            )
        try:
            configured = bool(module.is_configured())
        except AttributeError:
            configured = bool(engines)
        except Exception:
            configured = False
        rows.append(
            {
                "name": provider,
                "label": getattr(module, "LABEL", provider),
                "configured": configured,
                "models": [e["model"] for e in engines],
                "engines": engines,
                **health_of(provider),
            }
        )
    return rows


# Which providers exist depends on the configuration, so they register on the registry's
# first read, not at import (CanvasConfig.ready imports this package).
registry.add_loader(load_provider_engines)
