"""The temporal-drift tolerance: how far each drift measure may go before a second of a clip
is flagged. Its own light module (no NumPy, OpenCV or scikit-image) so a brand kit's
settings (canvas.governance.kits.content) can take their defaults and bounds from here
without loading the scoring code; assets.video.drift re-exports it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MEASURES = ("palette", "anchor", "flicker", "structure", "warp")


@dataclass(frozen=True)
class DriftTolerance:
    """How far each measure may go before a second is flagged (a brand kit may set its own).

    Defaults: palette and anchor as the still-image palette score (8 ΔE00); flicker and
    structure from the local loop engine and steady clips (which stay well under half of
    these) and from clips with a cut or pop (which go past them)."""

    palette: float = 8.0  # ΔE00 (kL = 2)
    anchor: float = 8.0  # ΔE00 (kL = 2)
    flicker: float = 1.5  # L*
    structure: float = 0.3  # 1 − SSIM
    warp: float = 6.0  # L*

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> DriftTolerance:
        """From a stored dict (a kit's, a job's); unknown keys ignored, missing ones default."""
        given = {k: float(v) for k, v in (values or {}).items() if k in MEASURES and v is not None}
        return cls(**given)
