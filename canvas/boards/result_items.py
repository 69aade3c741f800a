"""A result's status follows its layer on the canvas.

A result (``Iteration``) is *applied* exactly while the image item it was placed as
(``applied_item``) is live on the board. Whoever removes or brings back that item —
``apply``/``discard`` in canvas.boards.iterations, a person deleting the layer, or an undo
or redo sending ``delete``/``create`` through the normal batch path — the status changes with
it, in the same transaction as the board revision, and is broadcast after commit. That is
what makes Apply undoable like any other edit: the browser's undo deletes the layer and the
result is staged again; redo re-creates the same item (same id) and it is applied again.

Only ``canvas.boards.operations.apply_batch`` calls this; it must not change items.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from canvas.jobs.announce import broadcast_iteration_after_commit
from canvas.models import Item, Iteration, IterationStatus
from canvas.models.items import KINDS_WITH_ASSET


def _may_be_a_result(item: Item) -> bool:
    return (
        item.kind in KINDS_WITH_ASSET and isinstance(item.props, dict) and "iteration" in item.props
    )


def follow_items(board_id: Any, touched: Iterable[Item]) -> None:
    """Bring results whose applied item a batch created or deleted in line with it.

    ``touched``: the items the batch created or deleted, in their state after the batch.
    Costs no query unless one of them is an image placed from a result.
    """
    live = {str(item.pk): not item.deleted for item in touched if _may_be_a_result(item)}
    if not live:
        return
    for iteration in Iteration.objects.filter(board_id=board_id, applied_item_id__in=list(live)):
        on_canvas = live[str(iteration.applied_item_id)]
        if on_canvas and iteration.status != IterationStatus.APPLIED:
            iteration.status = IterationStatus.APPLIED
        elif not on_canvas and iteration.status == IterationStatus.APPLIED:
            iteration.status = IterationStatus.STAGED
        else:
            continue
        iteration.save(update_fields=["status", "updated_at"])
        broadcast_iteration_after_commit(iteration.pk)
