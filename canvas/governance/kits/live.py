"""Open boards follow their brand kit: the ``brand_kit`` message (canvas.protocol).

When the kit a board's jobs use changes — the kit is edited into a new version (boards that
follow its latest), a board is given another kit, pinned or unpinned, or loses its kit
(removed, or the kit deleted) — each such board's sockets get the board's kit as it is now,
after the transaction commits, so the badge and the generation panel's kit box change
without a reload. The message goes to the board group, whose sockets joined after the
server checked the user's role on that board; share-link guests never get it (their
sockets drop members' board events, and the kit is not shown to clients).

canvas.governance.kits.services calls these from the operations that change a board's
kit; nothing here decides who may make those changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from canvas import protocol, realtime
from canvas.governance.kits.models import BrandKitVersion
from canvas.governance.kits.payloads import board_kit_payload
from canvas.jobs.announce import JOB_EVENT
from canvas.models import Board

KitOf = Callable[[Board], BrandKitVersion | None]


def board_kit_message(board: Board, kit_of: KitOf) -> dict[str, Any]:
    """The ``brand_kit`` message of the kit ``board`` uses now (``kit_of``: services'
    ``board_kit``, passed in because services calls this module)."""
    payload = board_kit_payload(kit_of(board), board.brand_kit_version_id is not None)
    return protocol.brand_kit_message(payload)


def announce_after_commit(board_ids: Iterable[Any], kit_of: KitOf) -> None:
    """Send each board its kit once this transaction commits (read then, not now)."""
    ids = sorted({str(board_id) for board_id in board_ids})
    if not ids:
        return

    def send() -> None:
        for board in Board.objects.filter(pk__in=ids, archived_at__isnull=True):
            message = board_kit_message(board, kit_of)
            realtime.send_group_now(
                realtime.board_group(board.pk), {"type": JOB_EVENT, "message": message}
            )

    transaction.on_commit(send)


def following(kit_id: Any) -> list[Any]:
    """The boards that follow a kit's latest version (a new version changes their kit)."""
    return list(
        Board.objects.filter(brand_kit_id=kit_id, brand_kit_version__isnull=True).values_list(
            "pk", flat=True
        )
    )
