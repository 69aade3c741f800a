"""Websocket handlers for job requests: submit, cancel, retry, move, pause/resume, and what
people do with results (apply, discard, restore, make current, re-run).

Each handler is registered in canvas.boardsocket.routes with the permission it needs (edit;
checked by the consumer before the handler runs; canvas.apps imports this module at
start-up), calls one function of canvas.jobs.queue or canvas.boards.iterations on the
consumer's board, and answers the requester
(``job_accepted`` / ``request_done``; errors become ``error`` with the ``request_id`` in
canvas.boardsocket.consumer). Everyone, the requester included, sees the effect through the
after-commit ``job`` / ``iteration`` / ``job_queue`` / ``applied`` broadcasts. Shapes are
parsed in canvas.protocol; this module must not build messages or change state itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from canvas import protocol
from canvas.boards import iterations
from canvas.boardsocket.routes import handles
from canvas.jobs import queue
from canvas.jobs.payloads import job_payload
from canvas.permissions import Perm

if TYPE_CHECKING:
    from canvas.boardsocket.consumer import BoardConsumer


def _iteration_on(board: Any, iteration_id: str) -> Any:
    iteration = iterations.get_iteration(iteration_id)
    if iteration.board_id != board.pk:  # ids of other boards look exactly like unknown ones
        raise iterations.IterationNotFound()
    return iteration


def _submit(board: Any, user: Any, message: protocol.JobSubmitMessage) -> dict[str, Any]:
    return job_payload(queue.submit_job(board, user, protocol.job_spec(message)))


def _retry(board: Any, user: Any, job_id: str) -> dict[str, Any]:
    return job_payload(queue.retry_job(queue.get_job(job_id, board.pk), user))


def _rerun(board: Any, user: Any, iteration_id: str) -> dict[str, Any]:
    return job_payload(iterations.rerun(_iteration_on(board, iteration_id), user))


def _cancel(board: Any, user: Any, job_id: str) -> None:
    queue.cancel_job(queue.get_job(job_id, board.pk))


def _move(board: Any, job_id: str, where: str) -> None:
    queue.move_job(queue.get_job(job_id, board.pk), where)


def _apply(board: Any, user: Any, ids: list[str]) -> dict[str, str]:
    """Apply; answer which item each result is on the canvas as (for the requester's undo)."""
    applied = iterations.apply_many([_iteration_on(board, i) for i in ids], user)
    return {str(it.pk): str(it.applied_item_id) for it in applied if it.applied_item_id}


_ITERATION_ACTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "iteration_discard": iterations.discard,
    "iteration_restore": lambda iteration, user: iterations.restore(iteration),
    "iteration_make_current": lambda iteration, user: iterations.make_current(iteration),
}


def _iteration_action(board: Any, user: Any, kind: str, iteration_id: str) -> None:
    _ITERATION_ACTIONS[kind](_iteration_on(board, iteration_id), user)


@handles("job_submit", perm=Perm.EDIT, doing="run jobs")
async def handle_job_submit(consumer: BoardConsumer, message: protocol.JobSubmitMessage) -> None:
    job = await database_sync_to_async(_submit)(consumer.board, consumer.user, message)
    await consumer.send_json(protocol.job_accepted(message.request_id, job))


@handles("job_retry", perm=Perm.EDIT, doing="retry jobs")
async def handle_job_retry(consumer: BoardConsumer, message: protocol.JobRefMessage) -> None:
    job = await database_sync_to_async(_retry)(consumer.board, consumer.user, message.job_id)
    await consumer.send_json(protocol.job_accepted(message.request_id, job))


@handles("iteration_rerun", perm=Perm.EDIT, doing="re-run jobs")
async def handle_iteration_rerun(
    consumer: BoardConsumer, message: protocol.IterationRefMessage
) -> None:
    job = await database_sync_to_async(_rerun)(consumer.board, consumer.user, message.id)
    await consumer.send_json(protocol.job_accepted(message.request_id, job))


@handles("job_cancel", perm=Perm.EDIT, doing="cancel jobs")
async def handle_job_cancel(consumer: BoardConsumer, message: protocol.JobRefMessage) -> None:
    await database_sync_to_async(_cancel)(consumer.board, consumer.user, message.job_id)
    await consumer.send_json(protocol.request_done(message.request_id, message.type))


@handles("job_move", perm=Perm.EDIT, doing="reorder the queue")
async def handle_job_move(consumer: BoardConsumer, message: protocol.JobMoveMessage) -> None:
    await database_sync_to_async(_move)(consumer.board, message.job_id, message.to)
    await consumer.send_json(protocol.request_done(message.request_id, message.type))


@handles("queue_pause", "queue_resume", perm=Perm.EDIT, doing="pause or resume the queue")
async def handle_queue(consumer: BoardConsumer, message: protocol.QueueMessage) -> None:
    paused = message.type == "queue_pause"
    await database_sync_to_async(queue.set_queue_paused)(consumer.board, paused)
    await consumer.send_json(protocol.request_done(message.request_id, message.type))


@handles("iteration_apply", perm=Perm.EDIT, doing="apply results")
async def handle_iteration_apply(
    consumer: BoardConsumer, message: protocol.IterationApplyMessage
) -> None:
    items = await database_sync_to_async(_apply)(consumer.board, consumer.user, message.ids)
    await consumer.send_json(protocol.request_done(message.request_id, message.type, items))


@handles(
    "iteration_discard",
    "iteration_restore",
    "iteration_make_current",
    perm=Perm.EDIT,
    doing="change results",
)
async def handle_iteration_action(
    consumer: BoardConsumer, message: protocol.IterationRefMessage
) -> None:
    await database_sync_to_async(_iteration_action)(
        consumer.board, consumer.user, message.type, message.id
    )
    await consumer.send_json(protocol.request_done(message.request_id, message.type))
