"""What an engine gets for a job: the region as it looked at submit, the mask, the anchors
(the board's, and the brand kit's references that canvas.jobs.queue added to the spec).

Read from the job's frozen spec and the assets it names; the job queue also uses
``mask_from_asset`` to let an engine check a job before it is queued. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from assets.models import Asset, Blob
from canvas.engines import Anchor, EngineRequest
from canvas.jobs import adapters
from canvas.models.jobs import Job


def _open_asset_image(asset_id: Any) -> Image.Image:
    asset = Asset.objects.select_related("blob").get(pk=asset_id)
    return adapters.open_asset(asset)


def composite_region(job: Job) -> Image.Image:
    """The region as it looked at submit time, RGBA, at full resolution."""
    return adapters.composite(job.spec["layers"], job.spec["region"])


def load_mask(job: Job, size: tuple[int, int]) -> Image.Image | None:
    if not job.spec.get("mask"):
        return None
    return mask_from_asset(job.spec["mask"], size)


def mask_from_asset(asset_id: Any, size: tuple[int, int]) -> Image.Image:
    """The mask asset as an L image of ``size`` (255 = change)."""
    image = _open_asset_image(asset_id)  # RGBA
    alpha = image.getchannel("A")
    # A painted overlay on transparency: paint = change. An opaque black/white mask:
    # white = change.
    lowest_alpha = alpha.getextrema()[0]
    mask = alpha if isinstance(lowest_alpha, int) and lowest_alpha < 255 else image.convert("L")
    if mask.size != size:
        mask = mask.resize(size, Image.Resampling.BILINEAR)
    return mask


def _open_anchor(entry: dict[str, Any]) -> Image.Image:
    """A board anchor (an asset) or a brand kit reference (a blob that is on no board)."""
    if entry.get("asset_id"):
        return _open_asset_image(entry["asset_id"])
    return adapters.open_blob(Blob.objects.get(pk=entry["blob"]))


def load_anchors(job: Job) -> tuple[Any, ...]:
    anchors = []
    for entry in job.spec.get("anchors", []):
        image = _open_anchor(entry).convert("RGBA")
        anchors.append(Anchor(role=entry["role"], image=image, name=entry.get("name", "")))
    return tuple(anchors)


def build_request(job: Job, source: Image.Image, mask: Image.Image | None, anchors) -> Any:
    spec = job.spec
    return EngineRequest(
        mode=spec["mode"],
        source=source,
        mask=mask,
        anchors=anchors,
        prompt=spec.get("prompt", ""),
        negative_prompt=spec.get("negative_prompt", ""),
        strength=spec.get("strength", 0.6),
        seed=spec.get("seed"),
        count=spec.get("count", 1),
        output_size=tuple(spec["output_size"]) if spec.get("output_size") else None,
        scale=spec.get("scale", 2),
        params=spec.get("params") or {},
    )
