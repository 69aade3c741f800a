"""Background tasks of the assets app (registered with foundation.background).

Each task takes JSON-able arguments and is idempotent; the work lives in domain modules.
"""

from __future__ import annotations

from assets.derivatives import build_derivatives
from foundation.background import task


@task("assets.derivatives")
def derivatives(sha256: str) -> list[int]:
    """Render the WebP preview pyramid of one blob (see assets.derivatives)."""
    return build_derivatives(sha256)
