"""Image engines behind one contract (base), found by name (registry).

Importing this package registers the built-in engines.
"""

from canvas.engines import local as local  # registers "local"
from canvas.engines.base import (
    Anchor,
    Engine,
    EngineCapabilities,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    TransientEngineError,
    UnsupportedRequest,
)
from canvas.engines.registry import available_engines, get_engine, register_engine

__all__ = [
    "Anchor",
    "Engine",
    "EngineCapabilities",
    "EngineRequest",
    "EngineResult",
    "JobCancelled",
    "Mode",
    "PermanentEngineError",
    "ProgressReporter",
    "TransientEngineError",
    "UnsupportedRequest",
    "available_engines",
    "get_engine",
    "register_engine",
]
