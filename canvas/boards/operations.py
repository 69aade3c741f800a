"""Apply batches of board operations: the only code that changes a board's items live.

``apply_batches`` applies a run of batches of one board in order, in one transaction under
the board's row lock: each batch is validated against the state the batches before it left,
applies all or nothing, gets the next board revision (rejected batches get none, so
revisions stay gapless) and its own row in the operation log for catch-up, and is broadcast
after commit, in revision order. The items they touch are written once at the end
(canvas.boards.batch_state). ``apply_batch`` is the one-batch form most callers use; the
board writer (canvas.boardsocket.writer) hands ``apply_batches`` whatever its sockets sent
meanwhile. Callers check the caller's role first (canvas.permissions); shapes and value
ranges were already checked by canvas.protocol (the ops message's models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from canvas import protocol, realtime, recent_batches
from canvas.atlas import requests as atlas_requests
from canvas.boards import documents, result_items
from canvas.boards.batch_state import BatchState, OperationRejected
from canvas.governance import rescore_requests
from canvas.models import Board, BoardOperation
from foundation.errors import AppError

__all__ = [
    "BatchRequest",
    "BatchResult",
    "BoardArchived",
    "OperationRejected",
    "apply_batch",
    "apply_batches",
]


class BoardArchived(OperationRejected):
    code = "board_archived"
    default_message = "This board is archived. Restore it from the board list to edit it."


@dataclass(frozen=True)
class BatchRequest:
    """One batch as a client sent it."""

    user: Any
    ops: list[protocol.Operation]
    sender_channel: str | None = None  # this socket is not sent its own batch
    batch_id: str = ""  # the client's id; a resend of a committed one is not applied again


@dataclass(frozen=True)
class BatchResult:
    revision: int
    applied: list[dict[str, Any]]  # the operations as applied (and logged)


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
    [outcome] = apply_batches(board_id, [BatchRequest(user, ops, sender_channel, batch_id)])
    if isinstance(outcome, AppError):
        raise outcome
    return outcome.revision, outcome.applied


def apply_batches(board_id: Any, requests: list[BatchRequest]) -> list[BatchResult | AppError]:
    """Apply ``requests`` in order as separate batches in one transaction.

    Returns one outcome per request, in order: a BatchResult, or the AppError that refused
    that batch alone (OperationRejected, BoardArchived, ProtocolError); a refused batch
    changes nothing and the others still apply. Unexpected errors (database, bugs) roll the
    whole run back and propagate. Raises Board.DoesNotExist for an unknown board.
    """
    outcomes: list[BatchResult | AppError] = []
    with transaction.atomic():
        # The row lock serialises writers per board (SQLite's IMMEDIATE transactions
        # already serialise all writers), so revisions are handed out without gaps. The
        # statement that takes it already moves the revision past every batch that may
        # apply, so a run where they all do writes the board row once.
        expected = sum(1 for r in requests if _size_ok(r.ops))
        board, bumped = _lock_and_bump(board_id, expected)
        start = board.revision
        committed = _already_committed(board, requests)
        state = BatchState(board, [r.ops for r in requests if _size_ok(r.ops)])
        logged: list[tuple[BatchRequest, BoardOperation]] = []
        revision = start
        for request in requests:
            key = _resend_key(request)
            if key is not None and key in committed:
                outcomes.append(committed[key])
                continue
            if not _size_ok(request.ops):
                outcomes.append(
                    protocol.ProtocolError(
                        f"A batch must hold 1–{protocol.MAX_OPS_PER_BATCH} operations."
                    )
                )
                continue
            if board.archived_at is not None:
                outcomes.append(BoardArchived())
                continue
            state.begin(revision + 1, request.user)
            try:
                applied = [state.apply(index, op) for index, op in enumerate(request.ops)]
            except OperationRejected as exc:
                state.rollback()
                outcomes.append(exc)
                continue
            revision += 1
            result = BatchResult(revision, applied)
            outcomes.append(result)
            if key is not None:
                committed[key] = result  # the same batch twice in one run applies once
            logged.append((request, _log_row(board, revision, request, applied)))
        if not logged:
            # Nothing applied (refused, resent, archived): undo the bump, write nothing.
            transaction.set_rollback(True)
            return outcomes
        if bumped and revision != start + expected:
            # Some were refused or resent: the bump went too far (rare; one more write).
            Board.objects.filter(pk=board.pk).update(revision=revision)
        _write(board, state, start, revision, logged, write_board=not bumped)
    return outcomes


def _lock_and_bump(board_id: Any, expected: int) -> tuple[Board, bool]:
    """Lock the board's row, add ``expected`` to its revision and note the activity, in one
    statement (``UPDATE … RETURNING``); the Board returned has the revision from *before*.

    This replaced ``SELECT … FOR UPDATE`` first and ``UPDATE`` last: one round trip less
    per run on PostgreSQL. SQLite keeps the read first and the write last (False: not
    bumped yet): its IMMEDIATE transaction already holds the lock, a round trip costs
    nothing there, and in a shared-cache database (as the tests' used to be) a table
    written early stays locked against every other connection's reads until commit
    ("database table is locked"). Raises Board.DoesNotExist for an unknown board."""
    if connection.vendor != "postgresql":
        return Board.objects.select_for_update().get(pk=board_id), False
    meta = Board._meta
    now = meta.get_field("last_activity_at").get_db_prep_save(timezone.now(), connection)
    key = meta.pk.get_db_prep_save(board_id, connection)
    quote = connection.ops.quote_name
    table, revision = quote(meta.db_table), quote("revision")
    # Only the model's own table and column names are formatted in; values are parameters.
    sql = (
        f"UPDATE {table} SET {revision} = {revision} + %s, "  # noqa: S608
        f"{quote('last_activity_at')} = %s WHERE {quote(str(meta.pk.column))} = %s RETURNING *"
    )
    found = list(Board.objects.raw(sql, [expected, now, key]))
    if not found:
        raise Board.DoesNotExist(f"Board {board_id} does not exist.")
    board = found[0]
    board.revision -= expected
    return board, True


def _size_ok(ops: list[protocol.Operation]) -> bool:
    return 1 <= len(ops) <= protocol.MAX_OPS_PER_BATCH


def _resend_key(request: BatchRequest) -> tuple[Any, str] | None:
    user_id = getattr(request.user, "pk", None)
    return (user_id, request.batch_id) if request.batch_id and user_id is not None else None


def _already_committed(
    board: Board, requests: list[BatchRequest]
) -> dict[tuple[Any, str], BatchResult | AppError]:
    """The requests that resend a batch already in the log, by (user id, batch_id)."""
    keys = {key for key in map(_resend_key, requests) if key is not None}
    if not keys:
        return {}
    rows = (
        BoardOperation.objects.filter(board=board, batch_id__in={b for _, b in keys})
        .order_by("revision")  # not Meta.ordering: that would join the board table
        .values_list("actor_id", "batch_id", "revision", "ops")
    )
    found: dict[tuple[Any, str], BatchResult | AppError] = {}
    for actor_id, batch_id, revision, ops in rows:
        if (actor_id, batch_id) in keys:
            found.setdefault((actor_id, batch_id), BatchResult(revision, ops))
    return found


def _log_row(
    board: Board, revision: int, request: BatchRequest, applied: list[dict[str, Any]]
) -> BoardOperation:
    actor = request.user if getattr(request.user, "pk", None) is not None else None
    return BoardOperation(
        board=board, revision=revision, actor=actor, batch_id=request.batch_id, ops=applied
    )


def _edits_anchor(state: BatchState, op: dict[str, Any]) -> bool:
    """Whether an applied operation changes the board's anchor images (not their place)."""
    if op["op"] == "create":
        return bool(op["item"].get("anchor_role")) and op["item"].get("asset") is not None
    if op["op"] == "update":
        return "anchor_role" in op["set"]
    item = state.items.get(op["id"])
    return item is not None and bool(item.anchor_role) and item.asset_id is not None


def _write(
    board: Board,
    state: BatchState,
    start: int,
    revision: int,
    logged: list[tuple[BatchRequest, BoardOperation]],
    *,
    write_board: bool,
) -> None:
    """Save the run: items once, the board's revision (unless already bumped), one log row
    per batch, the log trimmed now and then, broadcasts after commit."""
    state.save()
    # A result whose layer these batches removed or brought back changes status with it.
    result_items.follow_items(board.pk, state.created_or_deleted())
    # Results scored against an anchor these batches added, removed or re-roled are stale.
    if any(_edits_anchor(state, op) for _, row in logged for op in row.ops):
        rescore_requests.anchors_edited(board.pk)
    # The atlas follows the images the board draws (not their places: moves cost nothing).
    if any(atlas_requests.changes_atlas(op) for _, row in logged for op in row.ops):
        atlas_requests.board_changed(board.pk)
    board.revision = revision
    if write_board:
        board.last_activity_at = timezone.now()
        board.save(update_fields=["revision", "last_activity_at"])
    BoardOperation.objects.bulk_create([row for _, row in logged])
    keep = documents.operation_log_size()
    if _trim_due(start, revision, keep):
        BoardOperation.objects.filter(board=board, revision__lte=revision - keep).delete()
    presented = documents.present_batches(
        [(row.revision, request.user, row.ops) for request, row in logged]
    )
    # Kept in this process first, so an acknowledgement never has to read them back.
    origins = [(request.sender_channel or "", request.batch_id) for request, _ in logged]
    transaction.on_commit(lambda: recent_batches.remember(board.pk, presented, origins=origins))
    for (request, _), batch in zip(logged, presented, strict=True):
        realtime.broadcast_applied_after_commit(
            board.pk, dict(batch), request.sender_channel, request.batch_id
        )


def _trim_due(start: int, revision: int, keep: int) -> bool:
    """Whether a run taking the board from ``start`` to ``revision`` trims the log: when it
    passes a multiple of ``keep // 16``. A delete per run was one round trip in every
    transaction for a row or two; so the log holds between ``keep`` and ``keep + keep // 16``
    batches (catch-up only ever needs at least ``keep``)."""
    every = max(1, keep // 16)
    return revision // every > start // every
