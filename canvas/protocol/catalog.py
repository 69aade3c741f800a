"""Which messages each socket speaks, in each direction: the discriminated unions.

Consumers look client messages up by ``type`` here (``BOARD_CLIENT_MESSAGES``,
``GUEST_CLIENT_MESSAGES``); the schema export and the tests' check of outgoing messages use
the server unions. A message type is added by declaring its model in
board/jobs/review/share/governance/batches/exports
and listing it below (docs/protocol.md "Adding a message type").
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter

from canvas.protocol import batches, board, exports, governance, jobs, review, share
from canvas.protocol.types import ProtocolModel

BoardClientMessage = Annotated[
    board.SyncMessage
    | board.OpsMessage
    | board.PresenceInMessage
    | board.PingMessage
    | jobs.JobSubmitMessage
    | jobs.JobRefMessage
    | jobs.JobMoveMessage
    | jobs.QueueMessage
    | jobs.IterationApplyMessage
    | jobs.IterationRefMessage,
    Field(discriminator="type"),
]

BoardServerMessage = Annotated[
    board.WelcomeMessage
    | board.SnapshotMessage
    | board.CatchupMessage
    | board.AppliedMessage
    | board.AckMessage
    | board.ErrorMessage
    | board.PresenceOutMessage
    | board.PresenceLeaveMessage
    | board.PongMessage
    | jobs.JobMessage
    | jobs.JobPreviewMessage
    | jobs.IterationMessage
    | jobs.JobQueueMessage
    | jobs.JobAcceptedMessage
    | jobs.RequestDoneMessage
    | review.DecisionMessage
    | review.CommentMessage
    | governance.ConsistencyMessage
    | governance.BrandKitMessage
    | batches.BatchProgressMessage
    | exports.ExportMessage,
    Field(discriminator="type"),
]

GuestClientMessage = Annotated[
    share.GuestSyncMessage | share.GuestPingMessage | share.GuestEditMessage,
    Field(discriminator="type"),
]

GuestServerMessage = Annotated[
    share.GuestWelcomeMessage
    | share.GuestSnapshotMessage
    | board.ErrorMessage
    | share.GuestPongMessage
    | board.PresenceOutMessage
    | board.PresenceLeaveMessage
    | review.DecisionMessage
    | review.CommentMessage
    | governance.ConsistencyMessage,
    Field(discriminator="type"),
]


def by_type(union: Any) -> dict[str, type[ProtocolModel]]:
    """Each ``type`` value of a union's members → its model."""
    members = get_args(get_args(union)[0])
    table: dict[str, type[ProtocolModel]] = {}
    for model in members:
        for value in get_args(model.model_fields["type"].annotation):
            table[value] = model
    return table


BOARD_CLIENT_MESSAGES = by_type(BoardClientMessage)
GUEST_CLIENT_MESSAGES = by_type(GuestClientMessage)
JOB_REQUEST_TYPES = frozenset(
    name for name, model in BOARD_CLIENT_MESSAGES.items() if "request_id" in model.model_fields
)

BOARD_SERVER = TypeAdapter(BoardServerMessage)
GUEST_SERVER = TypeAdapter(GuestServerMessage)
