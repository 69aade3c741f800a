"""What an engine gets for a job: the region as it looked at submit, the mask, the anchors
(the board's, and the brand kit's references that canvas.jobs.queue added to the spec).

Read from the job's frozen spec and the assets it names; the job queue also uses
``mask_from_asset`` to let an engine check a job before it is queued. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from assets.models import Asset, Blob
from canvas.engines import Anchor, EngineRequest, VideoOptions
from canvas.jobs import adapters
from canvas.models.jobs import Job


def _open_asset_image(asset_id: Any) -> Image.Image:
    asset = Asset.objects.select_related("blob").get(pk=asset_id)
    return adapters.open_asset(asset)


def composite_region(job: Job) -> Image.Image:
    """The region as it looked at submit time, RGBA, at full resolution; for a video job
    with a ``first_frame`` image, that whole image instead (the clip starts on it)."""
    first = (job.spec.get("video") or {}).get("first_frame")
    if first:
        return _open_asset_image(first["asset_id"]).convert("RGBA")
    return adapters.composite(job.spec["layers"], job.spec["region"])


def _frame_image(frame: dict[str, Any]) -> Image.Image:
    return _open_asset_image(frame["asset_id"]).convert("RGBA")


def video_options(
    video: dict[str, Any] | None,
    open_frame: Callable[[dict[str, Any]], Image.Image] = _frame_image,
) -> VideoOptions | None:
    """A job spec's ``video`` as the engine contract's options (None for image jobs);
    ``open_frame`` reads the last frame's pixels (a stand-in when only checking)."""
    if not video:
        return None
    last = video.get("last_frame")
    return VideoOptions(
        duration=int(video["duration"]),
        aspect_ratio=video["aspect_ratio"],
        resolution=video["resolution"],
        camera_fixed=bool(video.get("camera_fixed")),
        fps=video.get("fps"),
        last_frame=open_frame(last) if last else None,
    )


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
        video=video_options(spec.get("video")),
    )
