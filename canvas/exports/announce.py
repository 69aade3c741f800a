"""Telling the requester what happened to their export, over the board socket, after commit.

The message (canvas.protocol ``export``) goes to the board's group as a personal event:
the board socket relays it only to the requester's sockets (canvas.realtime
``PERSONAL_EVENT``). A ready export carries a download link signed for the requester.
A lost message is not re-sent: the next one supersedes it, and the API and the exports
page always show the stored row.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from canvas import protocol, realtime
from canvas.exports import links
from canvas.exports.models import Export
from canvas.exports.payloads import export_payload

logger = logging.getLogger(__name__)


def export_message(export: Export) -> dict[str, Any]:
    url = None
    if export.requested_by_id is not None and export.downloadable():
        url = links.member_url(export.pk, export.requested_by_id)
    return protocol.export_message(export_payload(export, url))


def send_now(export: Export) -> bool:
    if export.requested_by_id is None:
        return False
    event = {
        "type": realtime.PERSONAL_EVENT,
        "user": export.requested_by_id,
        "message": export_message(export),
    }
    return realtime.send_group_now(realtime.board_group(export.board_id), event)


def export_after_commit(export: Export) -> None:
    transaction.on_commit(lambda: send_now(export))
