"""Which exports a share link's guests may download (canvas.permissions decides whether
the link allows downloads at all; this decides which of the board's exports it covers).

- a link to the whole board: every ready export of the board;
- a link limited to one frame: the exports of that frame;
- a link to selected candidates: none (an export may hold more than the selection).

Reads only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from canvas.exports.models import Export, ExportState
from canvas.models.sharing import ShareScope


def guest_visible(link: Any) -> QuerySet[Export]:
    exports = Export.objects.filter(board_id=link.board_id, state=ExportState.READY)
    if link.scope == ShareScope.BOARD:
        pass
    elif link.scope == ShareScope.FRAME and link.frame_id is not None:
        exports = exports.filter(selection__frame=str(link.frame_id))
    else:
        exports = exports.none()
    return exports.select_related("requested_by").order_by("-created_at", "-id")


def guest_may_download(link: Any, export: Export) -> bool:
    return guest_visible(link).filter(pk=export.pk).exists()
