"""Apply a batch of board operations: the only code that changes a board's items live.

``apply_batch`` validates every operation against the board's current state, applies them
in one transaction under the board's row lock, gives the batch the next board revision,
logs it for catch-up and broadcasts it after commit. Either the whole batch applies or
nothing changes. Callers check the caller's role first (canvas.permissions); shapes and
value ranges were already checked by canvas.protocol (the ops message's models).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas import protocol, realtime
from canvas.models import Board, BoardOperation, Item
from canvas.services import documents, result_items
from foundation.errors import AppError


class OperationRejected(AppError):
    """An operation that does not fit the board's current state; the batch changed nothing."""

    status = 409
    code = "operation_rejected"
    default_message = "That change no longer fits the board; it was not saved."


class BoardArchived(OperationRejected):
    code = "board_archived"
    default_message = "This board is archived. Restore it from the board list to edit it."


def apply_batch(
    board_id: Any,
    user: Any,
    ops: list[protocol.Operation],
    *,
    sender_channel: str | None = None,
    batch_id: str = "",
) -> tuple[int, list[dict[str, Any]]]:
    """Apply ``ops`` as one batch; return (new board revision, the operations as applied).

    With a ``batch_id`` that ``user`` already committed on this board (a resend after a
    dropped connection), nothing is applied again: the original revision and operations are
    returned. Raises OperationRejected (nothing changed) when any operation does not fit.
    """
    if not 1 <= len(ops) <= protocol.MAX_OPS_PER_BATCH:
        raise protocol.ProtocolError(
            f"A batch must hold 1–{protocol.MAX_OPS_PER_BATCH} operations."
        )
    with transaction.atomic():
        # The row lock serialises writers per board (SQLite's IMMEDIATE transactions
        # already serialise all writers), so revisions are handed out without gaps.
        board = Board.objects.select_for_update().get(pk=board_id)
        if batch_id and getattr(user, "pk", None) is not None:
            done = (
                BoardOperation.objects.filter(board=board, actor=user, batch_id=batch_id)
                .order_by("revision")  # not Meta.ordering: that would join the board table
                .values_list("revision", "ops")
                .first()
            )
            if done is not None:
                return done[0], done[1]
        if board.archived_at is not None:
            raise BoardArchived()
        revision = board.revision + 1
        state = _BatchState(board, revision, user, ops)
        applied = [state.apply(index, op) for index, op in enumerate(ops)]
        state.save()
        # A result whose layer this batch removed or brought back changes status with it.
        result_items.follow_items(board.pk, state.created_or_deleted())
        board.revision = revision
        board.last_activity_at = timezone.now()
        board.save(update_fields=["revision", "last_activity_at"])
        BoardOperation.objects.create(
            board=board, revision=revision, actor=user, batch_id=batch_id, ops=applied
        )
        BoardOperation.objects.filter(
            board=board, revision__lte=revision - documents.operation_log_size()
        ).delete()
        batch = documents.present_batch(revision, user, applied)
        realtime.broadcast_applied_after_commit(board.pk, dict(batch), sender_channel)
    return revision, applied


class _BatchState:
    """The items a batch touches, loaded once, changed in memory, saved at the end."""

    def __init__(
        self, board: Board, revision: int, user: Any, ops: list[protocol.Operation]
    ) -> None:
        self.board = board
        self.revision = revision
        self.user = user
        self.new_ids: set[str] = set()
        self.created_or_deleted_ids: set[str] = set()
        # Two queries for the whole batch, however many operations it has.
        ids = {uuid.UUID(op["item"]["id"] if op["op"] == "create" else op["id"]) for op in ops}
        self.items: dict[str, Item] = {
            str(item.pk): item for item in Item.objects.filter(pk__in=ids)
        }
        self.board_assets = _board_assets(board, ops)

    def _load(self, item_id: str) -> Item | None:
        return self.items.get(item_id)

    def _live(self, index: int, item_id: str) -> Item:
        item = self._load(item_id)
        if item is None or item.board_id != self.board.pk:
            raise OperationRejected(
                f"Change {index + 1}: that item is not on this board (it may never have been "
                "saved). Reload the board to see its current state.",
                code="item_not_found",
            )
        if item.deleted:
            raise OperationRejected(
                f"Change {index + 1}: “{item.name or item.kind}” was deleted, perhaps by "
                "someone else. Undo the delete first if you want it back.",
                code="item_deleted",
            )
        return item

    def apply(self, index: int, op: protocol.Operation) -> dict[str, Any]:
        if op["op"] == "create":
            return self._create(index, op)
        item = self._live(index, op["id"])
        if op["op"] == "update":
            for name, value in op["set"].items():
                setattr(item, name, value)
            item.revision = self.revision
            return {"op": "update", "id": op["id"], "set": dict(op["set"])}
        item.deleted = True
        item.revision = self.revision
        self.created_or_deleted_ids.add(op["id"])
        return {"op": "delete", "id": op["id"]}

    def _create(self, index: int, op: protocol.Operation) -> dict[str, Any]:
        data = op["item"]
        item = self._load(data["id"])
        if item is not None and item.board_id != self.board.pk:
            # Ids are global; say nothing about the other board.
            raise OperationRejected(
                f"Change {index + 1}: that item id is already taken; create it with a new id.",
                code="item_exists",
            )
        if item is not None and not item.deleted:
            raise OperationRejected(
                f"Change {index + 1}: “{item.name or item.kind}” already exists on this board.",
                code="item_exists",
            )
        if item is not None and (item.kind != data["kind"] or _asset_key(item) != data["asset"]):
            raise OperationRejected(
                f"Change {index + 1}: a restored item keeps its kind and image; "
                "create a new item instead.",
                code="item_exists",
            )
        if data["asset"] is not None:
            self._check_asset(index, data["asset"])
        if item is None:
            item = Item(
                id=uuid.UUID(data["id"]),
                board=self.board,
                kind=data["kind"],
                asset_id=uuid.UUID(data["asset"]) if data["asset"] else None,
                created_by=self.user if getattr(self.user, "pk", None) else None,
            )
            item._state.adding = True
            self.items[data["id"]] = item
            self.new_ids.add(data["id"])
        for name in protocol.ITEM_DEFAULTS:
            setattr(item, name, data[name])
        item.deleted = False
        item.revision = self.revision
        self.created_or_deleted_ids.add(data["id"])
        return {"op": "create", "item": dict(data)}

    def _check_asset(self, index: int, asset_id: str) -> None:
        if asset_id not in self.board_assets:
            raise OperationRejected(
                f"Change {index + 1}: that image is not in this board's library. Upload it to "
                "this board first.",
                code="asset_not_found",
            )

    def created_or_deleted(self) -> list[Item]:
        """The items a create or delete of this batch touched, as they are now."""
        return [self.items[i] for i in self.created_or_deleted_ids]

    def save(self) -> None:
        touched = [item for item in self.items.values() if item.revision == self.revision]
        now = timezone.now()
        for item in touched:
            item.updated_at = now  # bulk writes skip auto_now
        new = [item for item in touched if str(item.pk) in self.new_ids]
        changed = [item for item in touched if str(item.pk) not in self.new_ids]
        if new:
            for item in new:
                item.created_at = now
            Item.objects.bulk_create(new)
        if changed:
            Item.objects.bulk_update(changed, _SAVED_FIELDS)


_SAVED_FIELDS = [*protocol.ITEM_DEFAULTS, "deleted", "revision", "updated_at"]


def _board_assets(board: Board, ops: list[protocol.Operation]) -> set[str]:
    """Which of the assets the batch's creates name are in this board's library."""
    from assets.models import Asset

    wanted = {op["item"]["asset"] for op in ops if op["op"] == "create" and op["item"]["asset"]}
    if not wanted:
        return set()
    found = Asset.objects.filter(pk__in=[uuid.UUID(a) for a in wanted], board=board)
    return {str(pk) for pk in found.values_list("pk", flat=True)}


def _asset_key(item: Item) -> str | None:
    return str(item.asset_id) if item.asset_id else None
