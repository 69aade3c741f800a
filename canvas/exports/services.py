"""Domain operations of exports that requests call: ask for one, find one, list a board's.

``request_export`` checks the request (canvas.exports.requests: 400 with a sentence for an
unknown kind, an empty selection, items not on the board), stores the queued export and
hands its run to the background dispatcher once the transaction commits. Who may ask is
the caller's business (canvas.permissions, in the edges).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from canvas.exports import lifecycle
from canvas.exports.links import ExportNotFound
from canvas.exports.models import Export
from canvas.exports.recovery import RUN_TASK
from canvas.exports.requests import check_request
from canvas.jobs import config as job_config
from canvas.models import Board
from foundation.background import run_after_commit


def request_export(board: Board, user: Any, payload: dict[str, Any]) -> Export:
    kind, selection, options = check_request(board, payload)
    with transaction.atomic():
        export = lifecycle.create(
            board=board,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
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
