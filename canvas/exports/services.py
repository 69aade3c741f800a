"""Domain operations of exports that requests call: ask for one, find one, list a board's.

``request_export`` checks the request (canvas.exports.requests: 400 with a sentence for an
unknown kind, an empty selection, items not on the board), stores the queued export and
hands its run to the background dispatcher once the transaction commits — unless the
requester already has ``ANCHORBOARD_EXPORT_USER_CONCURRENCY`` exports queued or running
(429 ``too_many_exports``). ``cancel_export`` ends a queued or running export as failed
``export_cancelled``; a running one's worker stops at its next progress step and deletes
its partial files (canvas.exports.runner). Who may ask is the caller's business
(canvas.permissions, in the edges).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from canvas.exports import lifecycle
from canvas.exports.links import ExportNotFound
from canvas.exports.models import Export, ExportState
from canvas.exports.recovery import RUN_TASK
from canvas.exports.requests import check_request
from canvas.jobs import config as job_config
from canvas.models import Board
from canvas.permissions import Perm, can, role_for
from foundation import config, knobs
from foundation.background import run_after_commit
from foundation.errors import AppError, Forbidden

ACTIVE = (ExportState.QUEUED, ExportState.RUNNING)


class TooManyExports(AppError):
    status = 429
    code = "too_many_exports"


class ExportFinished(AppError):
    status = 409
    code = "export_finished"


def _check_user_cap(user: Any) -> None:
    """Refuse a new export while the user has the most allowed queued or running. The
    user's row is locked first, so two requests at once cannot both slip under the cap."""
    cap = config.read(knobs.EXPORT_USER_CONCURRENCY)
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    active = Export.objects.filter(requested_by=user, state__in=ACTIVE).count()
    if active >= cap:
        exports = "export" if active == 1 else "exports"
        raise TooManyExports(
            f"You already have {active} {exports} running; wait for one to finish, or cancel "
            "one, before starting another."
        )


def request_export(board: Board, user: Any, payload: dict[str, Any]) -> Export:
    kind, selection, options = check_request(board, payload)
    signed_in = getattr(user, "is_authenticated", False)
    with transaction.atomic():
        if signed_in:
            _check_user_cap(user)
        export = lifecycle.create(
            board=board,
            requested_by=user if signed_in else None,
            kind=kind,
            selection=selection,
            options=options,
            max_attempts=job_config.max_attempts(),
        )
        run_after_commit(RUN_TASK, str(export.pk))
    return export


def export_again(export: Export, user: Any) -> Export:
    """The same kind, selection and options, checked again (items may be gone since)."""
    payload = {"kind": export.kind, **export.selection, "options": export.options}
    return request_export(export.board, user, payload)


def may_cancel(user: Any, export: Export) -> bool:
    """The requester, or whoever manages the board (its owner), may cancel an export."""
    return export.requested_by_id == user.pk or can(user, export.board, Perm.MANAGE)


def cancel_export(export: Export, user: Any) -> Export:
    """Stop ``export``: queued → failed at once; running → failed in its worker's name, so
    the worker stops at its next progress step and deletes its partial files. An export
    that already ended is a 409 saying so; someone else's export a 403."""
    if not may_cancel(user, export):
        role = role_for(user, export.board)
        yours = f"Your role on “{export.board.name}” is {role.label.lower()}; " if role else ""
        raise Forbidden(
            f"{yours}only the person who asked for this export, or the board's owner, can "
            "cancel it."
        )
    who = getattr(user, "get_username", lambda: "someone")()
    fields: dict[str, Any] = {
        "error_code": "export_cancelled",
        "error_message": f"Cancelled by {who}.",
        "progress_message": "Cancelled",
    }
    for _ in range(3):  # the state may move under us (claimed, finished): read it again
        current = Export.objects.filter(pk=export.pk).values("state", "worker_id").first()
        if current is None:
            break
        if current["state"] == ExportState.QUEUED:
            done = lifecycle.transition(export.pk, ExportState.QUEUED, ExportState.FAILED, **fields)
        elif current["state"] == ExportState.RUNNING:
            done = lifecycle.transition(
                export.pk,
                ExportState.RUNNING,
                ExportState.FAILED,
                owner=current["worker_id"] or "cancel",
                **fields,
            )
        else:
            break
        if done is not None:
            return done
    raise ExportFinished("This export has already finished; there is nothing to cancel.")


def get_export(export_id: Any) -> Export:
    try:
        return Export.objects.select_related("board", "board__team", "requested_by").get(
            pk=export_id
        )
    except (Export.DoesNotExist, ValueError, TypeError):
        raise ExportNotFound() from None
    except Exception as exc:  # a malformed UUID raises ValidationError
        if exc.__class__.__name__ == "ValidationError":
            raise ExportNotFound() from None
        raise


def board_exports(board: Board) -> QuerySet[Export]:
    return (
        Export.objects.filter(board=board)
        .select_related("requested_by")
        .order_by("-created_at", "-id")
    )
