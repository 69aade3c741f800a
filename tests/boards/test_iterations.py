"""Results: apply (single and grid), discard/restore, make current, re-run, lineage."""

from __future__ import annotations

import contextlib

import pytest

from canvas.boards import iterations as service
from canvas.jobs import queue, runner
from canvas.models import Board, Item, IterationStatus, JobState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("job_settings")]


@contextlib.contextmanager
def announced():
    """Collect the results whose state a batch announces (after commit) to the board."""
    from unittest import mock

    sent: list[str] = []
    with mock.patch(
        "canvas.boards.result_items.broadcast_iteration_after_commit",
        side_effect=lambda pk: sent.append(str(pk)),
    ):
        yield sent


def results(submit, **spec):
    job = submit(**spec)
    claim = queue.claim_next("w")
    assert runner.execute(claim.job_id, "w") == JobState.SUCCEEDED
    return job, list(job.iterations.order_by("index"))


def test_apply_places_the_result_over_its_region_on_top(submit, board, owner, image_item):
    _, (first, _) = results(submit, count=2)
    revision = Board.objects.get(pk=board.pk).revision
    service.apply(first, owner)
    first.refresh_from_db()
    item = Item.objects.get(pk=first.applied_item_id)
    assert (item.x, item.y, item.width, item.height) == (0, 0, 32, 24)
    assert item.asset_id == first.asset_id and item.z > image_item.z
    assert item.props["iteration"] == str(first.id)
    assert first.status == IterationStatus.APPLIED and first.is_current
    assert Board.objects.get(pk=board.pk).revision == revision + 1  # a normal board edit
    service.apply(first, owner)  # already on the canvas: nothing new
    assert Item.objects.filter(asset=first.asset, deleted=False).count() == 1


def test_apply_many_lays_out_a_grid_beside_the_region(submit, board, owner):
    _, found = results(submit, count=4)
    revision = Board.objects.get(pk=board.pk).revision
    service.apply_many(found, owner)
    items = Item.objects.filter(
        pk__in=[it.applied_item_id for it in service.apply_many(found, owner)]
    )
    positions = sorted((item.x, item.y) for item in items)
    # region is 32×24 at (0, 0); gap 24: two columns to the right, two rows.
    assert positions == [(56, 0), (56, 48), (112, 0), (112, 48)]
    assert Board.objects.get(pk=board.pk).revision == revision + 1


def test_discard_removes_from_canvas_and_restore_brings_it_back(submit, owner):
    _, (first,) = results(submit)
    service.apply(first, owner)
    first.refresh_from_db()
    item_id = first.applied_item_id
    service.discard(first, owner)
    first.refresh_from_db()
    assert first.status == IterationStatus.DISCARDED and not first.is_current
    assert Item.objects.get(pk=item_id).deleted  # soft delete: undo can restore it
    service.restore(first)
    first.refresh_from_db()
    assert first.status == IterationStatus.STAGED
    with pytest.raises(service.IterationConflict):
        service.restore(first)
    service.apply(first, owner)
    first.refresh_from_db()
    assert first.applied_item_id != item_id and first.status == IterationStatus.APPLIED


def _ops(board, user, *ops):
    from canvas import protocol
    from canvas.boards.operations import apply_batch

    return apply_batch(board.pk, user, [protocol.parse_operation(op) for op in ops])


def _item_op(item: Item) -> dict:
    """The create op that brings ``item`` back as it was (what a browser's undo sends)."""
    return {
        "op": "create",
        "item": {
            "id": str(item.pk),
            "kind": item.kind,
            "asset": str(item.asset_id),
            "name": item.name,
            "x": item.x,
            "y": item.y,
            "width": item.width,
            "height": item.height,
            "z": item.z,
            "props": item.props,
        },
    }


def test_status_follows_the_layer_through_undo_and_redo(submit, board, owner):
    """Undo of Apply deletes the layer (a normal batch): the result is staged again; redo
    re-creates the same item: applied again, with the same layer."""
    _, (first,) = results(submit)
    service.apply(first, owner)
    first.refresh_from_db()
    layer = Item.objects.get(pk=first.applied_item_id)
    with announced() as sent:
        _ops(board, owner, {"op": "delete", "id": str(layer.pk)})
    first.refresh_from_db()
    assert first.status == IterationStatus.STAGED
    assert first.applied_item_id == layer.pk  # remembered, so a re-creation is recognised
    assert sent == [str(first.pk)]  # everyone is told
    _ops(board, owner, _item_op(layer))
    first.refresh_from_db()
    assert first.status == IterationStatus.APPLIED and first.applied_item_id == layer.pk
    # A copy of the layer (duplicate) is not the result's layer: deleting it changes nothing.
    copy = _item_op(layer)
    copy["item"]["id"] = "0b7e5e3c-8d53-4a7e-9a55-2f1f0c1d2e3f"
    _ops(board, owner, copy)
    _ops(board, owner, {"op": "delete", "id": copy["item"]["id"]})
    first.refresh_from_db()
    assert first.status == IterationStatus.APPLIED


def test_undoing_a_discard_of_an_applied_result_applies_it_again(submit, board, owner):
    _, (first,) = results(submit)
    service.apply(first, owner)
    first.refresh_from_db()
    layer = Item.objects.get(pk=first.applied_item_id)
    service.discard(first, owner)
    first.refresh_from_db()
    assert first.status == IterationStatus.DISCARDED  # not staged on the way
    _ops(board, owner, _item_op(layer))  # the browser's undo re-creates the layer
    first.refresh_from_db()
    assert first.status == IterationStatus.APPLIED
    # Restore keeps the remembered layer, so undoing a restore + discard still works.
    service.discard(first, owner)
    first.refresh_from_db()
    service.restore(first)
    first.refresh_from_db()
    assert first.status == IterationStatus.STAGED and first.applied_item_id == layer.pk


def test_make_current_switches_between_alternatives(submit):
    _, (first, second) = results(submit, count=2)
    service.make_current(first)
    service.make_current(second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    service.discard(first, None)
    with pytest.raises(service.IterationConflict):
        service.make_current(first)


def test_rerun_queues_the_same_spec_and_seed(submit, owner):
    job, (first,) = results(submit, seed=None)
    again = service.rerun(first, owner)
    assert again.state == JobState.QUEUED and again.pk != job.pk
    assert again.spec["seed"] == job.spec["seed"]
    assert again.spec["layers"] == job.spec["layers"]


def test_refinements_form_a_lineage_tree(submit, board, owner):
    _, (root,) = results(submit)
    refine = queue.submit_job(
        board,
        owner,
        {
            "mode": "img2img",
            "engine": "test-echo",
            "region": root.region,
            "seed": 1,
            "count": 2,
            "parent_iteration": str(root.id),
        },
    )
    assert refine.parent_iteration_id == root.id
    claim = queue.claim_next("w")
    runner.execute(claim.job_id, "w")
    child = refine.iterations.first()
    assert child.parent_id == root.id
    tree = service.lineage(child)
    assert tree["id"] == str(root.id)
    assert sorted(c["index"] for c in tree["children"]) == [0, 1]
