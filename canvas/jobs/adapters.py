"""The job runner's doors to pixels and files owned by other modules.

Compositing (canvas.compositing) and opening stored images belong to their own modules;
the runner reaches them only through the functions here, so a change of their signatures
is fixed in one place. Storing results is canvas.jobs.results' (through assets.generated
and assets.services).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from assets import generated
from assets.models import Asset, AssetSource
from assets.services import ingest_encoded
from canvas import compositing


def open_asset(asset: Any) -> Image.Image:
    """The asset's original pixels as upright RGBA (EXIF orientation applied)."""
    return compositing.open_original(asset.blob)


def open_blob(blob: Any) -> Image.Image:
    """Stored bytes that are on no board (a brand kit reference), as upright RGBA."""
    return compositing.open_original(blob)


def composite(layers: list[dict[str, Any]], region: dict[str, float]) -> Image.Image:
    """Render the snapshot ``layers`` inside ``region`` to an RGBA image, 1 unit = 1 px.

    Layers that cannot show (wholly under an opaque layer above them) are culled before
    their originals are opened (``compositing.uncovered``)."""
    assets = Asset.objects.select_related("blob").in_bulk([layer["asset_id"] for layer in layers])
    box = compositing.Region(region["x"], region["y"], region["width"], region["height"])
    present = []
    for layer in sorted(layers, key=lambda layer: layer["z"]):  # paint order, stable
        asset = assets.get(_uuid(layer["asset_id"]))
        if asset is None or layer["opacity"] <= 0:
            continue  # the file was removed from the board since submit: draw what is left
        present.append(
            compositing.Placement(
                key=(layer, asset),
                x=layer["x"],
                y=layer["y"],
                width=layer["width"],
                height=layer["height"],
                rotation=layer["rotation"],
                opacity=layer["opacity"],
                opaque=compositing.is_opaque(asset.blob),
            )
        )
    images: dict[str, Image.Image] = {}
    items = []
    for placement in compositing.uncovered(present, box):
        layer, asset = placement.key
        if layer["asset_id"] not in images:
            images[layer["asset_id"]] = compositing.open_original(asset.blob)
        items.append(
            compositing.CompositeItem(
                image=images[layer["asset_id"]],
                x=placement.x,
                y=placement.y,
                width=placement.width,
                height=placement.height,
                rotation=placement.rotation,
                opacity=placement.opacity,
                z=layer["z"],
                opaque=placement.opaque,
            )
        )
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
    """Store ``image`` as a generated asset of the job's board; returns the Asset. Encoded
    once (assets.generated: PNG level 1, no alpha when opaque), previews after commit. The
    image results' own path is canvas.jobs.results; video results use this."""
    return ingest_encoded(
        job.board, job.created_by, generated.encode_png(image), filename,
        source=AssetSource.GENERATED,
    )  # fmt: skip
