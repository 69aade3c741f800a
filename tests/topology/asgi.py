"""ASGI entry point for the topology tests: the real application plus the test engine.

``python -m anchorboard.daphne_server … tests.topology.asgi:application`` (harness.py): web
servers must know the engine too, because a job is checked against its engine before it is
queued.
"""

from anchorboard.asgi import application
from tests.topology import engines as engines

__all__ = ["application"]
