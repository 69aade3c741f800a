"""Which sockets hear about a share link: the group names of a link's and a board's guest
sockets, and the after-commit notices that make them re-check their link (revoked,
changed, board archived). Review messages for guests are sent by canvas.review.payloads.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from canvas import realtime

logger = logging.getLogger(__name__)


REVOKED_EVENT = "share.revoked"  # dispatched to GuestShareConsumer.share_revoked


CHANGED_EVENT = "share.changed"


def link_group(link_id: Any) -> str:
    return f"sharelink.{link_id}"


def share_board_group(board_id: Any) -> str:
    return f"shareboard.{board_id}"


def notify_link_after_commit(link_id: Any, event_type: str) -> None:
    group = link_group(link_id)
    transaction.on_commit(lambda: realtime.send_group_now(group, {"type": event_type}))


def notify_board_links_after_commit(board_id: Any) -> None:
    """After commit, every guest socket of ``board_id`` re-checks its link at once.

    Archiving or deleting a board ends all its links; the sockets close (4410) now instead
    of at their next periodic re-check.
    """
    group = share_board_group(board_id)
    transaction.on_commit(lambda: realtime.send_group_now(group, {"type": CHANGED_EVENT}))
