"""Layered PSD (assets.exports.psd.write_psd) of a frame, of selected images, or of a
region's history (a job's region and every result made for it).

- ``frame``: canvas = the frame, one pixel layer per visible-or-hidden image item
  overlapping it in the board's paint order (canvas.compositing: ``z``, then creation),
  the server's own composite of the frame stored as the flattened image.
- ``items``: canvas = the union of the selected image items' bounds, rounded out to whole
  board units (1 unit = 1 pixel, the scale every export and the canvas use), one layer
  per selected image item in paint order, and the composite of that rectangle drawn from
  the selected items only (what is not selected is not exported).
- ``job``: canvas = the job's region; the bottom layer is the original under the region
  (the source every result of it was made from), then one layer per result made for that
  exact region on the board (this job, its re-runs and refinements with the same region;
  discarded results left out) in creation order. Only the applied result shows (the
  latest applied one, else the current one, else the newest); the others are hidden. The
  composite is the original with the shown result over it, by canvas.compositing.

Anchors among the layers go in a hidden group. Each layer is its image rendered alone by
canvas.compositing (rotation and scale baked in, opacity left to the layer) over its own
bounds, placed at its offset on the canvas. A result layer is named
"Result N · job xxxxxxxx · engine". Options: ``depth`` 8 (default) or 16.

Layers are rendered one at a time as the writer asks for them (it encodes each and lets it
go), and a document whose pixels (every layer's box plus the composite, twice at 16 bits)
pass ``ANCHORBOARD_EXPORT_PSD_MAX_PIXELS`` is refused before anything is queued: the
writer holds the compressed document in memory (docs/exports.md, "Layered PSD").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from PIL import Image

from assets.exports.psd import PsdError, PsdLayer, write_psd
from canvas import compositing
from canvas.exports.formats import sources
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export
from canvas.models import Item, Iteration, IterationStatus, Job
from foundation import config, knobs


def _depth(options: dict[str, Any]) -> int:
    depth = options.get("depth", 8)
    if depth not in (8, 16) or isinstance(depth, bool):
        raise InvalidExport("depth must be 8 or 16 (bits per channel).")
    return int(depth)


@dataclass(frozen=True)
class Source:
    """One layer to be: a stored file, where it sits on the board, and how it shows."""

    blob: Any
    x: float
    y: float
    width: float
    height: float
    rotation: float = 0.0
    name: str = ""
    opacity: float = 1.0
    visible: bool = True
    anchor: bool = False


@dataclass
class Document:
    """What a PSD is made of: its canvas on the board, its layers bottom to top, how to
    render the flattened image, and the words of its file name."""

    region: compositing.Region
    layers: list[Source]
    composite: Callable[[], Image.Image]
    title: str


def layer_items(board: Any, frame: Item) -> list[Item]:
    """The frame's image items in paint order, hidden ones too (they become hidden layers)."""
    return compositing.board_images(board, sources.region_of(frame))


def _whole(left: float, top: float, right: float, bottom: float) -> compositing.Region:
    """The rectangle rounded out to whole pixels (board units)."""
    x, y = math.floor(left), math.floor(top)
    return compositing.Region(x, y, math.ceil(right) - x, math.ceil(bottom) - y)


def _box(source: Source) -> compositing.Region:
    """The source's bounds on the board, in whole pixels: its layer's size and place."""
    return _whole(
        *compositing.item_bounds(source.x, source.y, source.width, source.height, source.rotation)
    )


def check_document_size(region: compositing.Region, layers: list[Source], depth: int) -> None:
    """Refuse a document whose pixels (each layer's box and the composite; 16 bits count
    twice) pass ``ANCHORBOARD_EXPORT_PSD_MAX_PIXELS``, with what to change."""
    limit = config.read(knobs.EXPORT_PSD_MAX_PIXELS)
    width, height = region.output_size(1.0)
    pixels = width * height + sum(int(_box(s).width) * int(_box(s).height) for s in layers)
    weighted = pixels * (2 if depth == 16 else 1)
    if weighted > limit:
        deep = " at 16 bits (which count twice)" if depth == 16 else ""
        raise InvalidExport(
            f"This PSD would hold {pixels / 1e6:.0f} MP of layers and composite{deep}; this "
            f"server makes PSDs up to {limit / 1e6:.0f} MP (ANCHORBOARD_EXPORT_PSD_MAX_PIXELS). "
            "Export a smaller frame or selection, fewer overlapping images, or 8 bits."
        )


def _result_name(result: Iteration) -> str:
    return f"Result {result.index + 1} · job {str(result.job_id)[:8]} · {result.job.engine}"


def _item_sources(items: list[Item]) -> list[Source]:
    """Image items as layers, named by the result that made them, else by their name."""
    results = {
        it.asset_id: it
        for it in Iteration.objects.filter(asset_id__in=[i.asset_id for i in items]).select_related(
            "job"
        )
    }
    found = []
    for number, item in enumerate(items, start=1):
        assert item.asset is not None  # board_images keeps items with a file
        result = results.get(item.asset_id) if item.asset_id else None
        name = _result_name(result) if result else (item.name or f"Layer {number}")
        found.append(
            Source(
                item.asset.blob,
                item.x,
                item.y,
                item.width,
                item.height,
                item.rotation,
                name=name,
                opacity=item.opacity,
                visible=not item.hidden,
                anchor=bool(item.anchor_role),
            )
        )
    return found


def _frame_document(board: Any, frame_id: str) -> Document:
    frame = sources.frame_of(board, frame_id)
    sources.check_frame_size(frame)
    items = layer_items(board, frame)
    if not items:
        raise InvalidExport("The frame holds no images to put in layers.")
    return Document(
        sources.region_of(frame),
        _item_sources(items),
        lambda: sources.frame_composite(board, frame),
        frame.name or "frame",
    )


def _selection_document(board: Any, ids: list[str]) -> Document:
    chosen = {str(item.pk) for item in sources.image_items(board, ids)}
    if not chosen:
        raise InvalidExport(
            "A layered PSD is made of images: the selection holds none (or they were deleted)."
        )
    everything = compositing.board_images(board)  # paint order
    items = [item for item in everything if str(item.pk) in chosen]
    bounds = [compositing.item_bounds(i.x, i.y, i.width, i.height, i.rotation) for i in items]
    region = _whole(
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )
    sources.check_region_size(region, "selection")
    return Document(
        region,
        _item_sources(items),
        lambda: compositing.composite(compositing.load_items(board, region, only=chosen), region),
        "selection",
    )


def region_history(board: Any, job: Job) -> list[Iteration]:
    """The results made for ``job``'s region on the board, oldest first, discarded ones
    left out: this job's, its re-runs' and refinements' with the very same region."""
    region = job.spec.get("region") or {}
    rows = (
        Iteration.objects.filter(board=board)
        .exclude(status=IterationStatus.DISCARDED)
        .select_related("job", "asset__blob", "source_asset__blob")
        .order_by("created_at", "index")
    )
    return [row for row in rows if row.region == region]


def shown_result(results: list[Iteration]) -> Iteration:
    """The one result left visible: the latest applied, else the current, else the newest."""
    applied = [r for r in results if r.status == IterationStatus.APPLIED]
    current = [r for r in results if r.is_current]
    return (applied or current or results)[-1]


def _history_document(board: Any, job_id: str) -> Document:
    job = Job.objects.filter(board=board, pk=job_id).first()
    if job is None:
        raise InvalidExport("The job was deleted since the export was asked for.")
    results = region_history(board, job)
    if not results:
        raise InvalidExport(
            f"Job {str(job.pk)[:8]} has no results yet: export its region once one has landed."
        )
    spec = job.spec["region"]
    region = compositing.Region(spec["x"], spec["y"], spec["width"], spec["height"])
    sources.check_region_size(region, "region")
    place = (region.x, region.y, region.width, region.height)
    shown = shown_result(results)
    layers = [
        Source(r.asset.blob, *place, name=_result_name(r), visible=r.pk == shown.pk)
        for r in results
    ]
    original = next((r.source_asset for r in results if r.source_asset is not None), None)
    if original is not None:
        layers.insert(0, Source(original.blob, *place, name="Original"))

    def flat() -> Image.Image:
        drawn = [s for s in layers if s.visible]
        return compositing.composite(
            [compositing.CompositeItem(compositing.open_original(s.blob), *place) for s in drawn],
            region,
        )

    return Document(region, layers, flat, f"job-{str(job.pk)[:8]}")


def document_of(board: Any, selection: dict[str, Any]) -> Document:
    """The document a selection makes, or the refusal sentence that says why not."""
    if "frame" in selection:
        return _frame_document(board, selection["frame"])
    if "items" in selection:
        return _selection_document(board, selection["items"])
    if "job" in selection:
        return _history_document(board, selection["job"])
    raise InvalidExport(
        "A layered PSD is made of a frame, selected images or a job's region: "
        "a batch's results have no layers to keep (export them as a zip)."
    )


def _layer(source: Source, origin: compositing.Region) -> PsdLayer:
    box = _box(source)
    alone = compositing.CompositeItem(
        image=compositing.open_original(source.blob),
        x=source.x,
        y=source.y,
        width=source.width,
        height=source.height,
        rotation=source.rotation,
    )
    return PsdLayer(
        name=source.name,
        pixels=compositing.composite([alone], box),
        left=int(box.x - math.floor(origin.x)),
        top=int(box.y - math.floor(origin.y)),
        opacity=source.opacity,
        visible=source.visible,
    )


class PsdKind:
    name = "psd"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        depth = _depth(options)
        document = document_of(board, selection)
        check_document_size(document.region, document.layers, depth)

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        depth = _depth(export.options)
        document = document_of(board, export.selection)
        layers = document.layers
        check_document_size(document.region, layers, depth)  # the board may have changed
        numbers = {id(source): n for n, source in enumerate(layers, start=1)}

        def rendered(chosen: list[Source]) -> Iterator[PsdLayer]:
            """Each layer, rendered when the writer asks for it."""
            for source in chosen:
                number = numbers[id(source)]
                progress(0.1 + 0.8 * number / len(layers), f"Layer {number} of {len(layers)}")
                yield _layer(source, document.region)

        progress(0.05, "Compositing the canvas")
        flat = document.composite()
        try:
            write_psd(
                out,
                size=flat.size,
                layers=rendered([s for s in layers if not s.anchor]),
                composite=flat,
                anchors=rendered([s for s in layers if s.anchor]),
                depth=16 if depth == 16 else 8,
            )
        except PsdError as exc:
            raise InvalidExport(str(exc)) from None
        name = sources.stem(board.name, document.title, f"{flat.width}x{flat.height}")
        return Written(file_name=f"{name}.psd", mime_type="image/vnd.adobe.photoshop")


PSD = PsdKind()
