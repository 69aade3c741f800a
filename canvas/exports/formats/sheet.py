"""Contact sheet PDF for clients (assets.exports.contact_sheet.write_contact_sheet): a grid
of the selected images (image items, every image in a frame, or a batch's approved — or
all — results) with their names, the
review decision and comment count of the result each one is, and engine and seed.

Options: ``columns`` and ``rows`` per page (1–8), ``paper`` ``a4`` or ``letter``; for a
batch, ``results`` (``approved``, the default, or ``all``).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from django.db.models import Count
from django.utils import timezone

from assets.exports.contact_sheet import ContactSheetError, SheetCandidate, write_contact_sheet
from canvas import compositing
from canvas.exports.formats import sources
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export
from canvas.models import Iteration
from canvas.models.review import Comment, Decision


def _layout(options: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("columns", "rows"):
        value = options.get(key)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 8:
                raise InvalidExport(f"{key} must be a whole number from 1 to 8.")
            out[key] = value
    paper = options.get("paper")
    if paper is not None:
        if paper not in ("a4", "letter"):
            raise InvalidExport("paper must be a4 or letter.")
        out["paper"] = paper
    return out


class SheetKind:
    name = "pdf"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        _layout(options)
        sources.selected_images(board, selection, "Nothing to put on a contact sheet", options)

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        items, frame = sources.selected_images(
            board, export.selection, "Nothing to put on a contact sheet", export.options
        )
        results = {
            it.asset_id: it
            for it in Iteration.objects.filter(asset_id__in=[i.asset_id for i in items])
            .select_related("job")
            .order_by("created_at")
        }
        decisions = dict(
            Decision.objects.filter(iteration__in=[r.pk for r in results.values()]).values_list(
                "iteration_id", "status"
            )
        )
        comments = dict(
            Comment.objects.filter(iteration__in=[r.pk for r in results.values()])
            .values_list("iteration_id")
            .annotate(n=Count("id"))
            .values_list("iteration_id", "n")
        )
        candidates = []
        for number, item in enumerate(items, start=1):
            progress(0.05 + 0.6 * number / len(items), f"Image {number} of {len(items)}")
            assert item.asset is not None
            result = results.get(item.asset_id) if item.asset_id else None
            detail = ""
            if result is not None:
                detail = (
                    f"{result.job.engine} · seed {result.seed}"
                    if result.seed is not None
                    else result.job.engine
                )
            candidates.append(
                SheetCandidate(
                    name=item.name or item.asset.filename,
                    image=compositing.open_original(item.asset.blob),
                    decision=(decisions.get(result.pk) or None) if result else None,
                    comments=comments.get(result.pk, 0) if result else 0,
                    detail=detail,
                )
            )
        progress(0.7, "Laying out the pages")
        try:
            write_contact_sheet(
                out, board=board.name, candidates=candidates, on=timezone.localdate(),
                **_layout(export.options),
            )  # fmt: skip
        except ContactSheetError as exc:
            raise InvalidExport(str(exc)) from None
        name = sources.stem(board.name, frame.name if frame is not None else "", "contact-sheet")
        return Written(file_name=f"{name}.pdf", mime_type="application/pdf")


SHEET = SheetKind()
