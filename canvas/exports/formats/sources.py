"""What the kinds read from a board: the selected image items (or a batch's results),
their originals with the ICC profile they carry, a frame's region and composite, and
neutral file names.

A kind works on ``Picture``s: something with a name and a stored file (``asset``). An
image item is one; so is a batch's result (``BatchResult``), which may never have been
placed on the board. ``options["results"]`` says which of a batch's results:
``approved`` (the default) or ``all``; ``options["result"]`` (a result's id) narrows them
to that one result, so a one-image kind (a 16-bit TIFF, a PNG) can export any result of a
batch, not only a batch that happens to hold one. ``batch_rows`` reads them for the image
kinds and for canvas.exports.formats.clips, which exports a video result's clip.

Reads only. Originals are opened from storage one at a time (a seekable file; on S3
django-storages downloads it to a temporary file past ``AWS_S3_MAX_MEMORY_SIZE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image, ImageOps

from assets import storage
from assets.exports.package import safe_stem
from assets.models import Asset
from canvas import compositing
from canvas.batches.results import batch_results
from canvas.exports.kinds import InvalidExport
from canvas.models import Batch, Item, ItemKind, Iteration, live_images
from foundation import config, knobs


@dataclass
class Original:
    image: Image.Image
    icc_profile: bytes | None


class Picture(Protocol):
    """What the image kinds export: a name and a stored file."""

    @property
    def name(self) -> str: ...

    @property
    def asset(self) -> Asset | None: ...

    @property
    def asset_id(self) -> Any: ...


@dataclass(frozen=True)
class BatchResult:
    """A batch's result as a picture: its file and the variable values that made it."""

    name: str
    asset: Asset
    asset_id: Any
    variables: dict[str, str] = field(default_factory=dict)


BATCH_RESULTS = ("approved", "all")


def result_option(options: dict[str, Any]) -> str | None:
    """``options["result"]``: one result's id (an iteration of the batch), or None."""
    value = options.get("result")
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise InvalidExport(f"result {str(value)[:60]!r} is not a result's id.") from None


@dataclass(frozen=True)
class BatchRow:
    """One of a batch's results to export, named by its variable values."""

    result: Iteration
    name: str
    variables: dict[str, str]

    @property
    def is_clip(self) -> bool:
        """A video result: its ``asset`` is the poster, the clip is ``provenance.video``."""
        return bool((self.result.provenance or {}).get("video"))


def batch_rows(board: Any, batch_id: str, options: dict[str, Any]) -> tuple[Batch, list[BatchRow]]:
    """The batch and its approved results (``options["results"] == "all"``: every result),
    in expansion order, named by their variable values, stills and clips alike — only the
    one whose id is ``options["result"]`` when given (named as in the whole list, refused
    when the batch does not have it)."""
    which = options.get("results", "approved")
    if which not in BATCH_RESULTS:
        raise InvalidExport('results must be "approved" (the default) or "all".')
    chosen = result_option(options)
    batch = Batch.objects.filter(board=board, pk=batch_id).first()
    if batch is None:
        raise InvalidExport("The batch was deleted since the export was asked for.")
    rows = batch_results(batch, decision="approved" if which == "approved" else None)
    found = []
    for number, row in enumerate(rows.select_related("asset__blob"), start=1):
        variables = {str(k): str(v) for k, v in (row.job.spec.get("variables") or {}).items()}
        name = " ".join(variables.values()) or f"{batch.name} {number}"
        if chosen is None or str(row.pk) == chosen:
            found.append(BatchRow(row, name, variables))
    if chosen is not None and not found:
        if which == "approved":
            raise InvalidExport(
                f"Result {chosen} is not an approved result of batch “{batch.name}”: approve "
                'it in the review, or add "results": "all" to export it anyway.'
            )
        raise InvalidExport(f"Result {chosen} is not a result of batch “{batch.name}”.")
    return batch, found


def no_batch_results(batch: Batch, options: dict[str, Any], what: str = "results") -> str:
    """The refusal when a batch has nothing of ``what`` to export."""
    if options.get("results", "approved") == "approved":
        return (
            f"Batch “{batch.name}” has no approved {what} yet: approve some in the "
            'review, or export all its results (option "results": "all").'
        )
    return f"Batch “{batch.name}” has no {what} yet."


def batch_pictures(
    board: Any, batch_id: str, options: dict[str, Any], *, stills_only: bool = False
) -> list[BatchResult]:
    """The batch's results as pictures (a video result's poster, unless ``stills_only``:
    then clips are left to canvas.exports.formats.clips); a refusal sentence when none."""
    batch, rows = batch_rows(board, batch_id, options)
    found = [
        BatchResult(row.name, row.result.asset, row.result.asset_id, row.variables)
        for row in rows
        if not (stills_only and row.is_clip)
    ]
    if not found:
        raise InvalidExport(no_batch_results(batch, options))
    return found


def image_items(board: Any, ids: list[str]) -> list[Item]:
    """The selection's live image items (with a file), in the order given."""
    rows = live_images(board).filter(pk__in=ids).select_related("asset__blob")
    by_id = {str(row.pk): row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def frame_of(board: Any, frame_id: str) -> Item:
    frame = Item.objects.filter(
        board=board, pk=frame_id, deleted=False, kind=ItemKind.FRAME
    ).first()
    if frame is None:
        raise InvalidExport("The frame was deleted since the export was asked for.")
    return frame


def region_of(frame: Item) -> compositing.Region:
    return compositing.Region(frame.x, frame.y, frame.width, frame.height)


def check_frame_size(frame: Item) -> None:
    check_region_size(region_of(frame), "frame")


def check_region_size(region: compositing.Region, what: str) -> None:
    """Refuse a ``what`` (frame, selection, region) that renders past MAX_IMAGE_PIXELS."""
    limit = config.read(knobs.MAX_IMAGE_PIXELS)
    width, height = region.output_size(1.0)
    if region.width <= 0 or region.height <= 0:
        raise InvalidExport(f"The {what} has no area to export.")
    if width * height > limit:
        raise InvalidExport(
            f"The {what} would render at {width}×{height} pixels; this server renders up to "
            f"{limit / 1e6:.0f} MP. Export a smaller {what}."
        )


def frame_composite(board: Any, frame: Item) -> Image.Image:
    return compositing.composite_board_region(board, region_of(frame))


def open_original(item: Picture) -> Original:
    """The item's original as stored (its mode and depth kept, EXIF rotation applied) and
    the ICC profile it carries, for colour-managed writers."""
    assert item.asset is not None
    with storage.open_file(item.asset.blob.storage_key) as handle:
        opened = Image.open(handle)
        profile = opened.info.get("icc_profile")
        opened.load()
    image = ImageOps.exif_transpose(opened)
    return Original(image, profile)


def stem(*parts: Any) -> str:
    return safe_stem("_".join(str(p) for p in parts if p not in (None, "")))


def selected_images(
    board: Any,
    selection: dict[str, Any],
    nothing: str,
    options: dict[str, Any] | None = None,
    *,
    stills_only: bool = False,
) -> tuple[list[Picture], Item | None]:
    """The image items of ``items``, every image item overlapping a ``frame`` (paint
    order) with the frame, or a ``batch``'s results (``batch_pictures``; ``stills_only``
    leaves its video results out); ``nothing`` starts the refusal when there are none."""
    found: list[Picture]
    if "job" in selection:
        raise InvalidExport(
            f"{nothing}: a job's region history exports only as a layered PSD (kind psd)."
        )
    if "batch" in selection:
        found = list(
            batch_pictures(board, selection["batch"], options or {}, stills_only=stills_only)
        )
        return found, None
    if "frame" in selection:
        frame = frame_of(board, selection["frame"])
        inside = compositing.board_images(board, region_of(frame))
        found, chosen = list[Picture](inside), frame
    else:
        found, chosen = list[Picture](image_items(board, selection.get("items") or [])), None
    if not found:
        raise InvalidExport(f"{nothing}: the selection holds no images (or they were deleted).")
    return found, chosen
