"""The websocket protocol: every message of the board and share sockets, declared once.

Each message is a pydantic model (validation, limits and JSON Schema from one declaration),
grouped by socket and direction in ``catalog``; the TypeScript types in
frontend/src/protocol/generated.ts and the reference section of docs/protocol.md are
generated from them (``python manage.py protocol_schema``). Modules:

- ``limits``  – every limit and close code (plain constants);
- ``types``   – the model base class, errors, and field types (ids, text, numbers, props);
- ``batches`` – the ``batch_progress`` message;
- ``board``   – items, operations, sync, presence; ``jobs`` – job requests, job messages and
  the job spec; ``review`` – decisions and comments; ``governance`` – consistency with the
  anchors (drift flags); ``exports`` – an export's progress for its requester;
  ``share`` – the guest socket;
- ``catalog`` – which messages each socket speaks; ``codec`` – bounded decoding and
  readable errors; ``schema`` – the JSON Schema export.

Server → client messages are built only by the builder functions re-exported here. This
package must not touch the database or the channel layer.
"""

from canvas.protocol.batches import BATCH_PROGRESS_FIELDS, batch_progress_message
from canvas.protocol.board import (
    ITEM_DEFAULTS,
    UPDATABLE_PROPS,
    AckMessage,
    AppliedBatch,
    AppliedMessage,
    AssetData,
    CatchupMessage,
    CreateOp,
    DeleteOp,
    ErrorMessage,
    ItemData,
    OpsMessage,
    PingMessage,
    PresenceInMessage,
    SnapshotMessage,
    SyncMessage,
    UpdateOp,
    UserRef,
    ack,
    applied,
    applied_batch,
    catchup,
    encoded_size,
    error,
    operation_data,
    pong,
    presence,
    presence_leave,
    snapshot,
    snapshot_parts,
    user_ref,
    welcome,
)
from canvas.protocol.catalog import (
    BOARD_CLIENT_MESSAGES,
    GUEST_CLIENT_MESSAGES,
    JOB_REQUEST_TYPES,
)
from canvas.protocol.codec import decode, encode, parse, parse_client_message, parse_operation
from canvas.protocol.exports import export_message
from canvas.protocol.governance import brand_kit_message, consistency_message
from canvas.protocol.jobs import (
    IterationApplyMessage,
    IterationRefMessage,
    JobMoveMessage,
    JobRefMessage,
    JobSpec,
    JobSubmitMessage,
    QueueMessage,
    iteration_message,
    job_accepted,
    job_message,
    job_preview_message,
    job_spec,
    parse_job_spec,
    queue_message,
    request_done,
)
from canvas.protocol.limits import (
    MAX_MESSAGE_BYTES,
    MAX_OPS_PER_BATCH,
    MAX_OUTGOING_BYTES,
    SEED_LIMIT,
)
from canvas.protocol.review import comment_message, decision_message
from canvas.protocol.share import guest_pong, guest_snapshot, guest_welcome
from canvas.protocol.types import MessageTooLarge, ProtocolError, ProtocolModel, Wire

Operation = Wire  # an operation as canvas.boards.operations applies it (operation_data)

__all__ = [
    "BATCH_PROGRESS_FIELDS",
    "BOARD_CLIENT_MESSAGES",
    "GUEST_CLIENT_MESSAGES",
    "ITEM_DEFAULTS",
    "JOB_REQUEST_TYPES",
    "MAX_MESSAGE_BYTES",
    "MAX_OPS_PER_BATCH",
    "MAX_OUTGOING_BYTES",
    "SEED_LIMIT",
    "UPDATABLE_PROPS",
    "AckMessage",
    "AppliedBatch",
    "AppliedMessage",
    "AssetData",
    "CatchupMessage",
    "CreateOp",
    "DeleteOp",
    "ErrorMessage",
    "ItemData",
    "IterationApplyMessage",
    "IterationRefMessage",
    "JobMoveMessage",
    "JobRefMessage",
    "JobSpec",
    "JobSubmitMessage",
    "MessageTooLarge",
    "Operation",
    "OpsMessage",
    "PingMessage",
    "PresenceInMessage",
    "ProtocolError",
    "ProtocolModel",
    "QueueMessage",
    "SnapshotMessage",
    "SyncMessage",
    "UpdateOp",
    "UserRef",
    "Wire",
    "ack",
    "applied",
    "applied_batch",
    "batch_progress_message",
    "brand_kit_message",
    "catchup",
    "comment_message",
    "consistency_message",
    "decision_message",
    "decode",
    "encode",
    "encoded_size",
    "error",
    "export_message",
    "guest_pong",
    "guest_snapshot",
    "guest_welcome",
    "iteration_message",
    "job_accepted",
    "job_message",
    "job_preview_message",
    "job_spec",
    "operation_data",
    "parse",
    "parse_client_message",
    "parse_job_spec",
    "parse_operation",
    "pong",
    "presence",
    "presence_leave",
    "queue_message",
    "request_done",
    "snapshot",
    "snapshot_parts",
    "user_ref",
    "welcome",
]
