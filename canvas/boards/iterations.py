"""What people do with a job's results: apply, discard, restore, make current, re-run.

Applying puts a result on the canvas as an image item through
``canvas.boards.operations.apply_batch``, so it gets a board revision, enters the
operation log and reaches every client like any other edit. Discarding only changes the
result's status (and removes an applied copy from the canvas with a soft delete): nothing
is lost and ``restore`` brings it back.

From then on the status follows the layer (canvas.boards.result_items): deleting the
layer stages the result again, re-creating the same item (an undo or redo in the browser)
applies it again. ``applied_item`` keeps naming the last item a result was placed as, even
while that item is deleted, so such a re-creation is recognised.

"Current" marks the chosen result among its alternatives: the results with the same parent
(or none) for the same region. Callers check permissions first (edit); this module never
runs an engine or changes a job's state (canvas.jobs does).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from canvas import protocol
from canvas.boards.naming import result_layer_names
from canvas.boards.operations import apply_batch
from canvas.jobs.announce import broadcast_iteration_after_commit
from canvas.jobs.queue import submit_job
from canvas.models import Item, ItemKind, Iteration, IterationStatus, Job
from foundation.errors import AppError, Conflict, NotFound

GRID_GAP = 24.0  # board units between results laid out as a variations grid
MAX_APPLY = 32


class IterationNotFound(NotFound):
    code = "iteration_not_found"
    default_message = "This result does not exist, or you have not been given access to it."


class IterationConflict(Conflict):
    code = "iteration_state_conflict"


def get_iteration(iteration_id: Any) -> Iteration:
    try:
        key = iteration_id if isinstance(iteration_id, uuid.UUID) else uuid.UUID(str(iteration_id))
        return Iteration.objects.select_related("board", "board__team", "job").get(pk=key)
    except (ValueError, Iteration.DoesNotExist):
        raise IterationNotFound() from None


def _top_z(board_id: Any) -> float:
    top = (
        Item.objects.filter(board_id=board_id, deleted=False)
        .order_by("-z")
        .values_list("z", flat=True)
        .first()
    )
    return (top or 0.0) + 1.0


def _create_op(
    iteration: Iteration, item_id: uuid.UUID, x: float, y: float, z: float, name: str
) -> protocol.Operation:
    region = iteration.region
    return protocol.parse_operation(
        {
            "op": "create",
            "item": {
                "id": str(item_id),
                "kind": ItemKind.IMAGE,
                "asset": str(iteration.asset_id),
                "name": name,
                "x": x,
                "y": y,
                "width": region.get("width", 0),
                "height": region.get("height", 0),
                "z": z,
                "props": {"iteration": str(iteration.id), "job": str(iteration.job_id)},
            },
        }
    )


def _live_item(iteration: Iteration) -> bool:
    return (
        iteration.applied_item_id is not None
        and Item.objects.filter(pk=iteration.applied_item_id, deleted=False).exists()
    )


def _mark_applied(iteration: Iteration, item_id: Any) -> None:
    iteration.status = IterationStatus.APPLIED
    iteration.applied_item_id = uuid.UUID(str(item_id))
    iteration.save(update_fields=["status", "applied_item", "updated_at"])
    broadcast_iteration_after_commit(iteration.pk)


def apply(iteration: Iteration, user) -> Iteration:
    """Place the result over its region, on top of everything, and make it current."""
    return apply_many([iteration], user)[0]


def apply_many(iterations: Sequence[Iteration], user) -> list[Iteration]:
    """Apply one result over its region, or several as a grid beside the region.

    Results already on the canvas are left where they are. One board revision for all.
    """
    if not iterations:
        raise AppError("Pick at least one result to apply.", code="nothing_to_apply")
    if len(iterations) > MAX_APPLY:
        raise AppError(f"Apply at most {MAX_APPLY} results at once.", code="too_many_results")
    board_ids = {it.board_id for it in iterations}
    if len(board_ids) != 1:
        raise AppError("All results must come from the same board.", code="mixed_boards")
    with transaction.atomic():
        pending = [it for it in iterations if not _live_item(it)]
        if not pending:
            return list(iterations)
        z = _top_z(pending[0].board_id)
        ops: list[protocol.Operation] = []
        item_ids = [uuid.uuid4() for _ in pending]
        names = result_layer_names(pending)  # "Result 2 of Hero shot"
        if len(iterations) == 1:
            region = pending[0].region
            ops.append(
                _create_op(
                    pending[0], item_ids[0], region["x"], region["y"], z, names[pending[0].pk]
                )
            )
        else:
            # Beside the first result's region: a near-square grid reading left to right.
            region = pending[0].region
            columns = math.ceil(math.sqrt(len(pending)))
            for number, iteration in enumerate(pending):
                row, column = divmod(number, columns)
                width, height = iteration.region["width"], iteration.region["height"]
                x = region["x"] + region["width"] + GRID_GAP + column * (width + GRID_GAP)
                y = region["y"] + row * (height + GRID_GAP)
                ops.append(
                    _create_op(iteration, item_ids[number], x, y, z + number, names[iteration.pk])
                )
        apply_batch(pending[0].board_id, user, ops)
        for iteration, item_id in zip(pending, item_ids, strict=True):
            _mark_applied(iteration, item_id)
        make_current(pending[0])
    return [Iteration.objects.get(pk=it.pk) for it in iterations]


def place_clip(iteration: Iteration, user) -> Iteration:
    """Put a video result on the board at once, as a video item beside its region (the
    still it started from stays visible), sized to the clip's aspect ratio at the region's
    height. Called when the clip lands (canvas.boards.video_items); one board revision."""
    video = (iteration.provenance or {}).get("video") or {}
    region = iteration.region
    height = float(region.get("height") or video.get("height") or 1)
    width = height * float(video.get("width") or 16) / float(video.get("height") or 9)
    item_id = uuid.uuid4()
    names = result_layer_names([iteration])
    op = protocol.parse_operation(
        {
            "op": "create",
            "item": {
                "id": str(item_id),
                "kind": ItemKind.VIDEO,
                "asset": str(iteration.asset_id),  # the poster
                "name": names[iteration.pk],
                "x": region.get("x", 0) + region.get("width", 0) + GRID_GAP,
                "y": region.get("y", 0),
                "width": width,
                "height": height,
                "z": _top_z(iteration.board_id),
                "props": {
                    "iteration": str(iteration.id),
                    "job": str(iteration.job_id),
                    "video": video_props(video),
                },
            },
        }
    )
    with transaction.atomic():
        apply_batch(iteration.board_id, user, [op])
        _mark_applied(iteration, item_id)
    return iteration


def video_props(video: dict[str, Any]) -> dict[str, Any]:
    """What a video item carries for the canvas (docs/video.md "The video item")."""
    keys = ("duration", "fps", "frame_count", "width", "height", "mp4", "original", "drift")
    return {key: video.get(key) for key in keys}


def discard(iteration: Iteration, user) -> Iteration:
    """Hide a result from the staging list (and the canvas, if applied). Recoverable."""
    with transaction.atomic():
        if iteration.status == IterationStatus.DISCARDED:
            return iteration
        on_canvas = _live_item(iteration)
        # Discarded first, so removing the layer below does not stage it on the way.
        iteration.status = IterationStatus.DISCARDED
        iteration.is_current = False
        iteration.save(update_fields=["status", "is_current", "updated_at"])
        broadcast_iteration_after_commit(iteration.pk)
        if on_canvas:
            apply_batch(
                iteration.board_id,
                user,
                [protocol.parse_operation({"op": "delete", "id": str(iteration.applied_item_id)})],
            )
    return iteration


def restore(iteration: Iteration) -> Iteration:
    """Bring a discarded result back to the staging list (apply it again to place it).

    ``applied_item`` is kept: undoing the discard of a result that was on the canvas
    re-creates that item, which applies the result again.
    """
    if iteration.status != IterationStatus.DISCARDED:
        raise IterationConflict("Only discarded results can be restored.")
    with transaction.atomic():
        iteration.status = IterationStatus.STAGED
        iteration.save(update_fields=["status", "updated_at"])
        broadcast_iteration_after_commit(iteration.pk)
    return iteration


def alternatives(iteration: Iteration) -> list[Iteration]:
    """The results competing with ``iteration``: same board, same parent, same region."""
    candidates = Iteration.objects.filter(
        board_id=iteration.board_id, parent_id=iteration.parent_id
    )
    return [it for it in candidates if it.region == iteration.region]


def make_current(iteration: Iteration) -> Iteration:
    """Mark this result as the chosen one among its alternatives."""
    if iteration.status == IterationStatus.DISCARDED:
        raise IterationConflict("Restore this result before making it current.")
    with transaction.atomic():
        for other in alternatives(iteration):
            if other.pk != iteration.pk and other.is_current:
                Iteration.objects.filter(pk=other.pk).update(is_current=False)
                broadcast_iteration_after_commit(other.pk)
        Iteration.objects.filter(pk=iteration.pk).update(is_current=True)
        iteration.is_current = True
        broadcast_iteration_after_commit(iteration.pk)
    return iteration


def rerun(iteration: Iteration, user) -> Job:
    """Queue the job that made this result again: same spec, same seed, same snapshot."""
    job = iteration.job
    return submit_job(
        iteration.board,
        user,
        job.spec,
        priority=job.priority,
        parent_iteration=job.parent_iteration,
        validated_spec=job.spec,
    )


def lineage(iteration: Iteration) -> dict[str, Any]:
    """The whole tree ``iteration`` belongs to: its root and every refinement below it.

    ``{"id", "status", "is_current", "job", "children": [...]}``, children oldest first.
    """
    root = iteration
    seen = {root.pk}
    while root.parent_id is not None and root.parent_id not in seen:
        root = Iteration.objects.get(pk=root.parent_id)
        seen.add(root.pk)
    rows = list(Iteration.objects.filter(board_id=root.board_id).order_by("created_at", "index"))
    children: dict[Any, list[Iteration]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def node(it: Iteration, depth: int = 0) -> dict[str, Any]:
        return {
            "id": str(it.id),
            "job": str(it.job_id),
            "index": it.index,
            "status": it.status,
            "is_current": it.is_current,
            "asset": str(it.asset_id),
            "children": [node(c, depth + 1) for c in children.get(it.pk, []) if depth < 50],
        }

    return node(root)
