"""The items a run of batches touches: loaded once, changed in memory, written once.

canvas.boards.operations applies several batches of one board in one transaction (the
board writer hands it whatever queued up meanwhile). This module holds their items between
the first load and the final write, so that

- each batch stays all or nothing: a batch that does not fit is undone in memory
  (``rollback``) and the batches around it still apply;
- an item changed by many batches (a drag sends an ``update`` per frame) is written once,
  with its final values and the revision of the last batch that touched it;
- only the columns that really changed are written, with one prepared ``UPDATE … SET x,
  y`` per item instead of Django's ``bulk_update`` of every column through ``CASE WHEN``
  (which cost more than the rest of a batch together).

It decides nothing about permissions or revisions and sends nothing; its caller does.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from assets.models import Asset
from canvas import protocol
from canvas.models import Board, Item
from foundation.errors import AppError


class OperationRejected(AppError):
    """An operation that does not fit the board's current state; the batch changed nothing."""

    status = 409
    code = "operation_rejected"
    default_message = "That change no longer fits the board; it was not saved."


# Every column an operation can change; only those that differ from the loaded row are written.
SAVED_FIELDS = (*protocol.ITEM_DEFAULTS, "deleted")


def item_ids(ops: list[protocol.Operation]) -> set[uuid.UUID]:
    return {uuid.UUID(op["item"]["id"] if op["op"] == "create" else op["id"]) for op in ops}


class BatchState:
    """Items of one board as a run of batches leaves them (in memory until ``save``)."""

    def __init__(self, board: Board, all_ops: list[list[protocol.Operation]]) -> None:
        self.board = board
        self.start_revision = board.revision
        ids = set().union(*(item_ids(ops) for ops in all_ops))
        # Two queries for the whole run, however many batches and operations it has.
        self.items: dict[str, Item] = {
            str(item.pk): item for item in Item.objects.filter(pk__in=ids)
        }
        self.loaded: dict[str, dict[str, Any]] = {
            key: {name: getattr(item, name) for name in SAVED_FIELDS}
            for key, item in self.items.items()
        }
        self.new_ids: set[str] = set()
        self.created_or_deleted_ids: set[str] = set()
        self.board_assets = _board_assets(board, all_ops)
        self._undo: dict[str, dict[str, Any] | None] = {}
        self._undo_sets: tuple[set[str], set[str]] = (set(), set())
        self.revision = board.revision
        self.user: Any = None

    # --- one batch -------------------------------------------------------------------------

    def begin(self, revision: int, user: Any) -> None:
        """Start a batch that will get ``revision`` if it applies."""
        self.revision = revision
        self.user = user
        self._undo = {}
        self._undo_sets = (set(self.new_ids), set(self.created_or_deleted_ids))

    def rollback(self) -> None:
        """Forget everything the current batch changed (it was rejected)."""
        for key, before in self._undo.items():
            if before is None:
                self.items.pop(key, None)
            else:
                self.items[key].__dict__.update(before)
        self.new_ids, self.created_or_deleted_ids = self._undo_sets
        self._undo = {}

    def _touch(self, key: str) -> None:
        if key not in self._undo:
            item = self.items.get(key)
            # Field values are replaced, never mutated in place, so a shallow copy suffices.
            self._undo[key] = None if item is None else dict(item.__dict__)

    def apply(self, index: int, op: protocol.Operation) -> dict[str, Any]:
        if op["op"] == "create":
            return self._create(index, op)
        item = self._live(index, op["id"])
        self._touch(op["id"])
        if op["op"] == "update":
            for name, value in op["set"].items():
                setattr(item, name, value)
            item.revision = self.revision
            return {"op": "update", "id": op["id"], "set": dict(op["set"])}
        item.deleted = True
        item.revision = self.revision
        self.created_or_deleted_ids.add(op["id"])
        return {"op": "delete", "id": op["id"]}

    def _live(self, index: int, item_id: str) -> Item:
        item = self.items.get(item_id)
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

    def _create(self, index: int, op: protocol.Operation) -> dict[str, Any]:
        data = op["item"]
        item = self.items.get(data["id"])
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
        if data["asset"] is not None and data["asset"] not in self.board_assets:
            raise OperationRejected(
                f"Change {index + 1}: that image is not in this board's library. Upload it to "
                "this board first.",
                code="asset_not_found",
            )
        self._touch(data["id"])
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

    # --- the whole run -----------------------------------------------------------------------

    def created_or_deleted(self) -> list[Item]:
        """The items a create or delete of the applied batches touched, as they are now."""
        return [self.items[i] for i in self.created_or_deleted_ids]

    def save(self) -> None:
        """Write every touched item once: new ones in one insert, the others column-wise."""
        touched = [item for item in self.items.values() if item.revision > self.start_revision]
        now = timezone.now()
        new: list[Item] = []
        by_columns: dict[tuple[str, ...], list[Item]] = defaultdict(list)
        for item in touched:
            item.updated_at = now  # bulk writes skip auto_now
            key = str(item.pk)
            if key in self.new_ids:
                item.created_at = now
                new.append(item)
                continue
            before = self.loaded[key]
            changed = tuple(name for name in SAVED_FIELDS if getattr(item, name) != before[name])
            by_columns[(*changed, "revision", "updated_at")].append(item)
        if new:
            Item.objects.bulk_create(new)
        for columns, items in by_columns.items():
            _update_columns(columns, items)


# The concrete fields ``save`` may write, by name (all plain columns of the item table).
_COLUMNS: dict[str, Field[Any, Any]] = {
    field.name: field for field in Item._meta.concrete_fields if isinstance(field, Field)
}


def _update_columns(columns: tuple[str, ...], items: list[Item]) -> None:
    """``UPDATE item SET <columns> WHERE id = …`` for each of ``items``, as one prepared
    statement run once per item. The ORM's ``bulk_update`` builds a ``CASE WHEN`` per
    column and item in Python, which under load cost more than the rest of the batch."""
    meta = Item._meta
    fields = [_COLUMNS[name] for name in columns]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    # Only the model's own table and column names are formatted in; values are parameters.
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(item, field.attname), connection) for field in fields]
        + [meta.pk.get_db_prep_save(item.pk, connection)]
        for item in items
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _board_assets(board: Board, all_ops: list[list[protocol.Operation]]) -> set[str]:
    """Which of the assets the batches' creates name are in this board's library."""
    wanted = {
        op["item"]["asset"]
        for ops in all_ops
        for op in ops
        if op["op"] == "create" and op["item"]["asset"]
    }
    if not wanted:
        return set()
    found = Asset.objects.filter(pk__in=[uuid.UUID(a) for a in wanted], board=board)
    return {str(pk) for pk in found.values_list("pk", flat=True)}


def _asset_key(item: Item) -> str | None:
    return str(item.asset_id) if item.asset_id else None
