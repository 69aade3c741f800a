"""Image engines behind one contract (base), found by name (registry).

Importing this package registers the built-in engines.
"""

from canvas.engines import local as local  # registers "local"
from canvas.engines import local_loop as local_loop  # registers "local-loop"
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
    VideoCapabilities,
    VideoClip,
    VideoOptions,
)
from canvas.engines.registry import (
    available_engines,
    get_engine,
    register_engine,
    registered_engines,
)

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
    "VideoCapabilities",
    "VideoClip",
    "VideoOptions",
    "available_engines",
    "get_engine",
    "register_engine",
    "registered_engines",
]
