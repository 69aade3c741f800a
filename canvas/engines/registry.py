"""Where engines are found by name: ``register_engine``, ``get_engine``, ``available_engines``,
``registered_engines``.

Adding a provider means writing an ``Engine`` subclass decorated with
``@register_engine("name")`` in its own module and importing that module from
``canvas/engines/__init__.py``. Remote providers (canvas/engines/providers) are registered
on first use by a loader they add (``add_loader``), because which of them exist depends on
the server's configuration. This module must not know any concrete engine.
"""

from __future__ import annotations

from collections.abc import Callable

from canvas.engines.base import Engine, EngineCapabilities
from foundation.errors import AppError

_ENGINES: dict[str, type[Engine]] = {}
_LOADERS: list[Callable[[], object]] = []
_loaded = False


def add_loader(load: Callable[[], object]) -> None:
    """Have ``load`` register engines once, just before the registry is first read.

    For engines that depend on the server's configuration (canvas/engines/providers adds
    its loader when imported, from ``CanvasConfig.ready``): the registry calls them without
    knowing them, so the arrow points one way. A loader added after the first read runs at
    once.
    """
    _LOADERS.append(load)
    if _loaded:
        load()


def _run_loaders() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for load in _LOADERS:
        load()


class UnknownEngine(AppError):
    code = "unknown_engine"
    default_message = "That engine is not available on this server."


def register_engine(name: str) -> Callable[[type[Engine]], type[Engine]]:
    """Class decorator: make ``cls`` available as ``name``. Names are unique."""

    def register(cls: type[Engine]) -> type[Engine]:
        existing = _ENGINES.get(name)
        if existing is not None and existing is not cls:
            raise ValueError(f"engine name {name!r} is already used by {existing.__name__}")
        cls.name = name
        _ENGINES[name] = cls
        return cls

    return register


def get_engine(name: str) -> Engine:
    """A fresh instance of the engine called ``name`` (engines hold no job state)."""
    _run_loaders()
    try:
        cls = _ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(_ENGINES)) or "none"
        raise UnknownEngine(
            f"There is no engine called {name!r} on this server. Available: {known}."
        ) from None
    return cls()


def registered_engines() -> tuple[str, ...]:
    """The names of every registered engine (no instance made)."""
    _run_loaders()
    return tuple(sorted(_ENGINES))


def available_engines() -> dict[str, EngineCapabilities]:
    """Name → capabilities of every registered engine, sorted by name."""
    _run_loaders()
    return {name: _ENGINES[name]().capabilities() for name in sorted(_ENGINES)}
