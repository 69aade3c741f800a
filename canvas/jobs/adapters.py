"""The job runner's doors to pixels and files owned by other modules.

Compositing (canvas.compositing), storing results (assets.services) and opening stored
images (assets.storage) belong to their own modules; the runner reaches them only through
the functions here, so a change of their signatures is fixed in one place.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from assets.models import Asset, AssetSource
from assets.services import ingest_bytes
from canvas import compositing


def open_asset(asset: Any) -> Image.Image:
    """The asset's original pixels as upright RGBA (EXIF orientation applied)."""
    return compositing.open_original(asset.blob)


def open_blob(blob: Any) -> Image.Image:
    """Stored bytes that are on no board (a brand kit reference), as upright RGBA."""
    return compositing.open_original(blob)


def composite(layers: list[dict[str, Any]], region: dict[str, float]) -> Image.Image:
    """Render the snapshot ``layers`` inside ``region`` to an RGBA image, 1 unit = 1 px."""
    assets = Asset.objects.select_related("blob").in_bulk([layer["asset_id"] for layer in layers])
    images: dict[str, Image.Image] = {}
    items = []
    for layer in layers:
        asset = assets.get(_uuid(layer["asset_id"]))
        if asset is None:
            continue  # the file was removed from the board since submit: draw what is left
        if layer["asset_id"] not in images:
            images[layer["asset_id"]] = compositing.open_original(asset.blob)
        items.append(
            compositing.CompositeItem(
                image=images[layer["asset_id"]],
                x=layer["x"],
                y=layer["y"],
                width=layer["width"],
                height=layer["height"],
                rotation=layer["rotation"],
                opacity=layer["opacity"],
                z=layer["z"],
            )
        )
    box = compositing.Region(region["x"], region["y"], region["width"], region["height"])
    return compositing.composite(items, box)


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(str(value))


def paste_back(
    original: Image.Image, result: Image.Image, mask: Image.Image, feather: int
) -> Image.Image:
    """The result inside the mask, the untouched original outside it."""
    return compositing.paste_back(original, result, mask, feather)


def store_image(job: Any, image: Image.Image, filename: str) -> Any:
    """Store ``image`` as a generated asset of the job's board; returns the Asset."""
    import io

    buffer = io.BytesIO()
    # Fastest zlib level: ~6x quicker than the default on a 2048² result for ~15 % more
    # bytes (measured on this machine) — results are made in hundreds, kept losslessly.
    image.save(buffer, "PNG", compress_level=1)
    return ingest_bytes(
        job.board, job.created_by, buffer.getvalue(), filename, source=AssetSource.GENERATED
    )
