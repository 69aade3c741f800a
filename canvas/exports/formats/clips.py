"""Clips in exports: which video items a selection holds, their files, and what the
manifest says about them (docs/exports.md "Clips").

A video item's ``asset`` is its poster; the clip is ``props.video`` (docs/video.md): the
provider's ``original`` as delivered and the browser ``mp4``. Exports read the original
(the better master; the MP4 when there is none); a batch's video results are read from
their result's ``provenance.video``, the same facts. ``ClipPicture`` is a clip as the package
and the video kind see it: the file to read, the poster whose result (``Iteration``) holds
its provenance, and its facts. Reads only.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets import storage
from assets.exports.manifest import ClipFacts, Provenance
from assets.models import Asset
from canvas.exports.formats.sources import batch_rows, frame_of, no_batch_results
from canvas.exports.kinds import InvalidExport
from canvas.models import Item, ItemKind, Iteration


@dataclass(frozen=True)
class ClipPicture:
    name: str
    asset: Asset  # the clip's file (the original, else the browser MP4)
    asset_id: Any
    result_asset_id: Any  # the poster: the result's asset, where the provenance is
    video: dict[str, Any]


def _clip_asset(board: Any, video: dict[str, Any]) -> Asset | None:
    for which in ("original", "mp4"):
        ref = video.get(which) or {}
        if ref.get("asset"):
            found = (
                Asset.objects.select_related("blob")
                .filter(board=board, pk=ref["asset"], blob_id=ref.get("sha256"))
                .first()
            )
            if found is not None:
                return found
    return None


def _overlaps(item: Item, frame: Item) -> bool:
    return (
        item.x < frame.x + frame.width
        and frame.x < item.x + item.width
        and item.y < frame.y + frame.height
        and frame.y < item.y + item.height
    )


def selected_clips(
    board: Any, selection: dict[str, Any], options: dict[str, Any] | None = None
) -> list[ClipPicture]:
    """The video items among ``items`` (in the order given) or overlapping a ``frame``
    (paint order), or a ``batch``'s video results (``batch_clips``), each with its stored
    clip; a job's region history holds none."""
    if "batch" in selection:
        return batch_clips(board, selection["batch"], options or {})
    rows = Item.objects.filter(board=board, deleted=False, kind=ItemKind.VIDEO)
    if "items" in selection:
        ids = [str(i) for i in selection["items"]]
        by_id = {str(row.pk): row for row in rows.filter(pk__in=ids)}
        items = [by_id[i] for i in ids if i in by_id]
    elif "frame" in selection:
        frame = frame_of(board, selection["frame"])
        items = [row for row in rows.order_by("z", "id") if _overlaps(row, frame)]
    else:
        return []
    found = []
    for item in items:
        video = (item.props or {}).get("video") or {}
        clip = _clip_asset(board, video)
        if clip is not None:
            found.append(ClipPicture(item.name or "clip", clip, clip.pk, item.asset_id, video))
    return found


def batch_clips(board: Any, batch_id: str, options: dict[str, Any]) -> list[ClipPicture]:
    """A batch's video results (approved, or all with ``"results": "all"``) in expansion
    order, named by their variable values: the clip of each is its result's
    ``provenance.video`` (placed on the board or not), the poster its result's asset."""
    _batch, rows = batch_rows(board, batch_id, options)
    found = []
    for row in rows:
        video = (row.result.provenance or {}).get("video") or {}
        clip = _clip_asset(board, video) if row.is_clip else None
        if clip is not None:
            found.append(ClipPicture(row.name, clip, clip.pk, row.result.asset_id, video))
    return found


def with_clip_facts(record: Provenance, picture: ClipPicture, fmt: str) -> Provenance:
    """``record`` (the result's provenance, found by the poster) with the clip's facts: its
    source still (asset and SHA-256), timing, the file's format and the drift summary."""
    result = (
        Iteration.objects.filter(asset_id=picture.result_asset_id)
        .select_related("source_asset")
        .order_by("-created_at")
        .first()
    )
    source = result.source_asset if result is not None else None
    drift = picture.video.get("drift") or {}
    facts = ClipFacts(
        source_asset=str(source.pk) if source is not None else None,
        source_sha256=source.blob_id if source is not None else None,
        duration=_number(picture.video.get("duration")),
        fps=_number(picture.video.get("fps")),
        frame_count=picture.video.get("frame_count"),
        format=fmt,
        drift_worst_second=drift.get("worst_second"),
        drift_worst_score=_number(drift.get("worst_score")),
        drift_onset_second=drift.get("onset_second"),
        drift_flagged=drift.get("flagged") if drift else None,
    )
    return dataclasses.replace(record, asset=str(picture.asset_id), clip=facts)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@contextmanager
def local_copy(asset: Asset) -> Iterator[Path]:
    """The stored clip as a local file (decoders need a path), copied in chunks; removed
    after."""
    suffix = ".mov" if asset.blob.format.upper() == "MOV" else ".mp4"
    with tempfile.TemporaryDirectory(prefix="export-clip-") as folder:
        path = Path(folder) / f"clip{suffix}"
        with storage.open_file(asset.blob.storage_key) as handle, path.open("wb") as out:
            shutil.copyfileobj(handle, out, 1024 * 1024)
        yield path


def require_clips(
    found: list[ClipPicture],
    nothing: str,
    board: Any = None,
    selection: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> list[ClipPicture]:
    if found:
        return found
    if selection and "batch" in selection:
        batch, _rows = batch_rows(board, selection["batch"], options or {})
        raise InvalidExport(f"{nothing}: {no_batch_results(batch, options or {}, 'clips')}")
    raise InvalidExport(
        f"{nothing}: the selection holds no video clips. Select video items (or a frame "
        "around them, or a batch of video jobs); still images export as PNG, TIFF, PSD or a "
        "ZIP package."
    )


def naming(board: Any, picture: ClipPicture, record: Provenance, index: int) -> dict[str, Any]:
    """The naming template's values for a clip (assets/exports/package.py)."""
    return {
        "campaign": board.name,
        "variant": picture.name or f"{index:03d}",
        "seed": record.seed if record.seed is not None else "",
        "w": picture.asset.blob.width,
        "h": picture.asset.blob.height,
        "asset": str(picture.asset_id)[:8],
        "engine": record.engine or "",
        "board": board.name,
        "frame": "",
    }


def stored_format(asset: Asset) -> str:
    """The format name of a clip packed as stored: ``mp4`` or ``mov``."""
    return "mov" if asset.blob.format.upper() == "MOV" else "mp4"
