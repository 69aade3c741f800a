"""The board websocket protocol: every message type, defined once (see docs/protocol.md).

Client → server messages are parsed and validated here (``parse_client_message``): shape,
types and value ranges only. Whether an operation makes sense for the board's current state
(does the item exist, is the asset on this board) is decided by canvas.services.operations.
Server → client messages are built only by the named builder functions below, so the
wire format lives in one file and is mirrored once in frontend/src/protocol.ts.

This module must not touch the database or the channel layer.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from typing import Any, Literal, NotRequired, TypedDict

from anchorboard.errors import AppError
from canvas.models.items import AnchorRole, ItemKind
from canvas.models.jobs import JobMode

# --- Limits ----------------------------------------------------------------------------------

MAX_MESSAGE_BYTES = 256 * 1024
MAX_OPS_PER_BATCH = 500
MAX_NAME_LENGTH = 200
MAX_PROPS_BYTES = 16 * 1024
MAX_SELECTION = 500
MAX_BATCH_ID_LENGTH = 64
MAX_REQUEST_ID_LENGTH = 64
MAX_JOB_COUNT = 32
MAX_JOB_ANCHORS = 64
MAX_PROMPT_LENGTH = 4000
MAX_APPLY_IDS = 32
SEED_LIMIT = 2**32
# Board units; far beyond any real canvas, small enough that arithmetic stays exact-ish.
MAX_COORDINATE = 1e9

UPDATABLE_PROPS = (
    "name",
    "x",
    "y",
    "width",
    "height",
    "rotation",
    "opacity",
    "z",
    "hidden",
    "locked",
    "anchor_role",
    "props",
)
ITEM_DEFAULTS: dict[str, Any] = {
    "name": "",
    "x": 0.0,
    "y": 0.0,
    "width": 0.0,
    "height": 0.0,
    "rotation": 0.0,
    "opacity": 1.0,
    "z": 0.0,
    "hidden": False,
    "locked": False,
    "anchor_role": "",
    "props": {},
}


class ProtocolError(AppError):
    """A client message that is not valid protocol; the socket stays open."""

    code = "bad_message"
    default_message = "The board could not understand that message."
    batch_id: str | None = None  # set when the broken message was an identifiable batch
    request_id: str | None = None  # set when the broken message was an identifiable job request


class MessageTooLarge(ProtocolError):
    code = "message_too_large"
    default_message = (
        f"That change is too large to send at once (limit {MAX_MESSAGE_BYTES // 1024} KiB); "
        "make it in smaller steps."
    )


# --- Shared shapes ---------------------------------------------------------------------------


class UserRef(TypedDict):
    id: int
    name: str


class Point(TypedDict):
    x: float
    y: float


class AssetData(TypedDict):
    id: str
    sha256: str
    width: int
    height: int
    levels: list[int]
    original_url: str
    level_url: str


class ItemFields(TypedDict):
    """Every property of an item except id/kind/asset/revision."""

    name: str
    x: float
    y: float
    width: float
    height: float
    rotation: float
    opacity: float
    z: float
    hidden: bool
    locked: bool
    anchor_role: str
    props: dict[str, Any]


class ItemData(ItemFields):
    id: str
    kind: str
    asset: AssetData | None
    revision: int


class NewItem(ItemFields):
    """``create``'s item: ``asset`` is the asset id (clients may also send an asset object)."""

    id: str
    kind: str
    asset: str | None


class CreateOp(TypedDict):
    op: Literal["create"]
    item: NewItem


class UpdateOp(TypedDict):
    op: Literal["update"]
    id: str
    set: dict[str, Any]


class DeleteOp(TypedDict):
    op: Literal["delete"]
    id: str


Operation = CreateOp | UpdateOp | DeleteOp


# --- Client → server -------------------------------------------------------------------------


class SyncMessage(TypedDict):
    type: Literal["sync"]
    since: int | None


class OpsMessage(TypedDict):
    type: Literal["ops"]
    batch_id: str
    ops: list[Operation]


class PresenceInMessage(TypedDict):
    type: Literal["presence"]
    cursor: Point | None
    selection: list[str]
    hidden: bool


class PingMessage(TypedDict):
    type: Literal["ping"]


# Job requests (docs/jobs.md "Using region jobs"). ``request_id`` is client-made and echoed
# in the reply (``job_accepted`` / ``request_done`` / ``error``) so the client can tell which
# button the answer belongs to; it is optional everywhere but on ``job_submit``.


class RegionRect(TypedDict):
    x: float
    y: float
    width: float
    height: float


class JobAnchorRef(TypedDict):
    item_id: str
    role: str


class OutputSize(TypedDict):
    width: int
    height: int


class JobSubmitMessage(TypedDict):
    """``mask``: id of a PNG asset uploaded to this board (painted overlay, alpha = change)."""

    type: Literal["job_submit"]
    request_id: str
    mode: str
    engine: str
    region: RegionRect
    prompt: str
    negative_prompt: str
    strength: float
    seed: int | None
    count: int
    output_size: OutputSize | None
    scale: int
    anchors: list[JobAnchorRef]
    mask: str | None
    parent_iteration: str | None


class JobRefMessage(TypedDict):
    """``job_cancel`` / ``job_retry``."""

    type: Literal["job_cancel", "job_retry"]
    request_id: str | None
    job_id: str


class JobMoveMessage(TypedDict):
    type: Literal["job_move"]
    request_id: str | None
    job_id: str
    to: Literal["front", "back"]


class QueueMessage(TypedDict):
    """``queue_pause`` / ``queue_resume``: the board's whole queue."""

    type: Literal["queue_pause", "queue_resume"]
    request_id: str | None


class IterationApplyMessage(TypedDict):
    type: Literal["iteration_apply"]
    request_id: str | None
    ids: list[str]
    layout: Literal["single", "grid"]


class IterationRefMessage(TypedDict):
    """``iteration_discard`` / ``_restore`` / ``_make_current`` / ``_rerun``: one result."""

    type: Literal[
        "iteration_discard", "iteration_restore", "iteration_make_current", "iteration_rerun"
    ]
    request_id: str | None
    id: str


JobRequestMessage = (
    JobSubmitMessage
    | JobRefMessage
    | JobMoveMessage
    | QueueMessage
    | IterationApplyMessage
    | IterationRefMessage
)
JOB_REQUEST_TYPES = frozenset(
    {
        "job_submit",
        "job_cancel",
        "job_retry",
        "job_move",
        "queue_pause",
        "queue_resume",
        "iteration_apply",
        "iteration_discard",
        "iteration_restore",
        "iteration_make_current",
        "iteration_rerun",
    }
)

ClientMessage = SyncMessage | OpsMessage | PresenceInMessage | PingMessage | JobRequestMessage


# --- Server → client -------------------------------------------------------------------------


class BoardRef(TypedDict):
    id: str
    name: str


class WelcomeMessage(TypedDict):
    type: Literal["welcome"]
    board: BoardRef
    user: UserRef
    role: str
    can_edit: bool
    revision: int


class SnapshotMessage(TypedDict):
    type: Literal["snapshot"]
    revision: int
    items: list[ItemData]
    # Large boards arrive in several parts (see snapshot_parts); a lone snapshot has neither.
    part: NotRequired[int]
    final: NotRequired[bool]


class AppliedBatch(TypedDict):
    revision: int
    actor: UserRef
    ops: list[dict[str, Any]]


class CatchupMessage(TypedDict):
    type: Literal["catchup"]
    from_revision: int
    revision: int
    batches: list[AppliedBatch]


class AppliedMessage(AppliedBatch):
    type: Literal["applied"]


class AckMessage(TypedDict):
    type: Literal["ack"]
    batch_id: str
    revision: int


class ErrorMessage(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    batch_id: NotRequired[str]
    request_id: NotRequired[str]


class JobAcceptedMessage(TypedDict):
    """To the requester only: its submit / retry / re-run was queued as ``job``."""

    type: Literal["job_accepted"]
    request_id: str | None
    job: dict[str, Any]


class RequestDoneMessage(TypedDict):
    """To the requester only: a cancel/move/pause/apply/discard/… request was carried out;
    everyone (the requester too) sees its effect in ``job`` / ``iteration`` / ``applied``."""

    type: Literal["request_done"]
    request_id: str | None
    request: str


class PresenceOutMessage(TypedDict):
    type: Literal["presence"]
    user: UserRef
    color: str
    cursor: Point | None
    selection: list[str]


class PresenceLeaveMessage(TypedDict):
    type: Literal["presence_leave"]
    user: dict[str, int]


class PongMessage(TypedDict):
    type: Literal["pong"]


def user_ref(user_id: int | None, name: str) -> UserRef:
    return {"id": user_id if user_id is not None else 0, "name": name}


def welcome(
    *, board_id: str, board_name: str, user: UserRef, role: str, can_edit: bool, revision: int
) -> WelcomeMessage:
    return {
        "type": "welcome",
        "board": {"id": board_id, "name": board_name},
        "user": user,
        "role": role,
        "can_edit": can_edit,
        "revision": revision,
    }


def snapshot(revision: int, items: list[ItemData]) -> SnapshotMessage:
    return {"type": "snapshot", "revision": revision, "items": items}


# Outgoing messages stay well below the server's websocket message cap (1 MiB in
# ``manage.py serve``), whatever the size of the board.
MAX_OUTGOING_BYTES = 512 * 1024


def encoded_size(message: Any) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


def snapshot_parts(
    revision: int, items: list[ItemData], max_bytes: int | None = None
) -> list[SnapshotMessage]:
    """Split a snapshot into messages of at most ``max_bytes`` each (one item may exceed it).

    Parts are sent back to back on one socket, so the client applies them as one snapshot
    when the part with ``final: true`` arrives.
    """
    max_bytes = max_bytes or MAX_OUTGOING_BYTES
    chunks: list[list[ItemData]] = [[]]
    size = 0
    for item in items:
        item_size = encoded_size(item) + 1
        if chunks[-1] and size + item_size > max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += item_size
    if len(chunks) == 1:
        return [snapshot(revision, items)]
    return [
        {**snapshot(revision, chunk), "part": index, "final": index == len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


def applied_batch(revision: int, actor: UserRef, ops: list[dict[str, Any]]) -> AppliedBatch:
    return {"revision": revision, "actor": actor, "ops": ops}


def catchup(from_revision: int, revision: int, batches: list[AppliedBatch]) -> CatchupMessage:
    return {
        "type": "catchup",
        "from_revision": from_revision,
        "revision": revision,
        "batches": batches,
    }


def applied(batch: AppliedBatch) -> AppliedMessage:
    return {
        "type": "applied",
        "revision": batch["revision"],
        "actor": batch["actor"],
        "ops": batch["ops"],
    }


def ack(batch_id: str, revision: int) -> AckMessage:
    return {"type": "ack", "batch_id": batch_id, "revision": revision}


def error(
    code: str, message: str, batch_id: str | None = None, request_id: str | None = None
) -> ErrorMessage:
    result: ErrorMessage = {"type": "error", "code": code, "message": message}
    if batch_id is not None:
        result["batch_id"] = batch_id
    if request_id is not None:
        result["request_id"] = request_id
    return result


def job_accepted(request_id: str | None, job: dict[str, Any]) -> JobAcceptedMessage:
    return {"type": "job_accepted", "request_id": request_id, "job": job}


def request_done(request_id: str | None, request: str) -> RequestDoneMessage:
    return {"type": "request_done", "request_id": request_id, "request": request}


def presence(
    user: UserRef, color: str, cursor: Point | None, selection: list[str]
) -> PresenceOutMessage:
    return {
        "type": "presence",
        "user": user,
        "color": color,
        "cursor": cursor,
        "selection": selection,
    }


def presence_leave(user_id: int) -> PresenceLeaveMessage:
    return {"type": "presence_leave", "user": {"id": user_id}}


def pong() -> PongMessage:
    return {"type": "pong"}


# --- Parsing client messages -----------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_client_message(text: str | bytes | None) -> ClientMessage:
    """Decode and validate one client frame; raise ProtocolError / MessageTooLarge."""
    if text is None:
        raise ProtocolError("Board messages are JSON text frames.")
    if isinstance(text, bytes):
        raise ProtocolError("Board messages are JSON text frames, not binary.")
    if len(text) > MAX_MESSAGE_BYTES or len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge()
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise ProtocolError("The message is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("A message must be a JSON object with a string “type”.")
    parser = _PARSERS.get(data["type"])
    if parser is None:
        raise ProtocolError(f"Unknown message type “{data['type'][:40]}”.")
    if data["type"] not in JOB_REQUEST_TYPES:
        return parser(data)
    request_id = _request_id(data.get("request_id"), required=data["type"] == "job_submit")
    try:
        return parser(data)
    except ProtocolError as exc:
        exc.request_id = request_id  # so the client can show the problem next to its form
        raise


def _parse_sync(data: dict[str, Any]) -> SyncMessage:
    since = data.get("since")
    if since is not None and (not _is_int(since) or since < 0):
        raise ProtocolError("sync.since must be a revision (a whole number ≥ 0) or null.")
    return {"type": "sync", "since": since}


def _parse_ops(data: dict[str, Any]) -> OpsMessage:
    batch_id = data.get("batch_id")
    if not isinstance(batch_id, str) or not 0 < len(batch_id) <= MAX_BATCH_ID_LENGTH:
        raise ProtocolError(f"ops.batch_id must be a string of 1–{MAX_BATCH_ID_LENGTH} characters.")
    ops = data.get("ops")
    if not isinstance(ops, list) or not 1 <= len(ops) <= MAX_OPS_PER_BATCH:
        exc = ProtocolError(f"A batch must hold 1–{MAX_OPS_PER_BATCH} operations.")
        exc.batch_id = batch_id
        raise exc
    try:
        parsed = [parse_operation(op, f"ops[{i}]") for i, op in enumerate(ops)]
    except ProtocolError as exc:
        exc.batch_id = batch_id  # so the client knows which optimistic batch to roll back
        raise
    return {"type": "ops", "batch_id": batch_id, "ops": parsed}


def _parse_presence(data: dict[str, Any]) -> PresenceInMessage:
    raw_cursor = data.get("cursor")
    cursor: Point | None = None
    if raw_cursor is not None:
        if not isinstance(raw_cursor, dict):
            raise ProtocolError("presence.cursor must be {x, y} or null.")
        cursor = {
            "x": _coordinate(raw_cursor.get("x"), "presence.cursor.x"),
            "y": _coordinate(raw_cursor.get("y"), "presence.cursor.y"),
        }
    selection = data.get("selection", [])
    if not isinstance(selection, list) or len(selection) > MAX_SELECTION:
        raise ProtocolError(f"presence.selection must be a list of at most {MAX_SELECTION} ids.")
    hidden = data.get("hidden", False)
    if not isinstance(hidden, bool):
        raise ProtocolError("presence.hidden must be true or false.")
    return {
        "type": "presence",
        "cursor": cursor,
        "selection": [_uuid(value, "presence.selection") for value in selection],
        "hidden": hidden,
    }


def _parse_ping(data: dict[str, Any]) -> PingMessage:
    return {"type": "ping"}


# --- Parsing job requests ---------------------------------------------------------------------
# Shapes and ranges only; canvas.jobs.queue.normalise_spec and the engine's check decide
# whether the job makes sense for this board (anchors exist, the mask is on the board, …).


def _request_id(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REQUEST_ID_LENGTH:
        raise ProtocolError(f"request_id must be a string of 1–{MAX_REQUEST_ID_LENGTH} characters.")
    return value


def _optional_uuid(value: Any, where: str) -> str | None:
    return None if value in (None, "") else _uuid(value, where)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_PROMPT_LENGTH:
        raise ProtocolError(f"{where} must be text of at most {MAX_PROMPT_LENGTH} characters.")
    return value


def _whole(value: Any, where: str, lo: int, hi: int) -> int:
    if not _is_int(value) or not lo <= value <= hi:
        raise ProtocolError(f"{where} must be a whole number from {lo} to {hi}.")
    return value


def _parse_region(raw: Any) -> RegionRect:
    if not isinstance(raw, dict):
        raise ProtocolError("job_submit.region must be {x, y, width, height} in board units.")
    region: RegionRect = {
        "x": _coordinate(raw.get("x"), "job_submit.region.x"),
        "y": _coordinate(raw.get("y"), "job_submit.region.y"),
        "width": _coordinate(raw.get("width"), "job_submit.region.width"),
        "height": _coordinate(raw.get("height"), "job_submit.region.height"),
    }
    if region["width"] < 1 or region["height"] < 1:
        raise ProtocolError("The region is empty: drag a rectangle over the part to change.")
    return region


def _parse_anchor_refs(raw: Any) -> list[JobAnchorRef]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_JOB_ANCHORS:
        raise ProtocolError(f"job_submit.anchors must be a list of at most {MAX_JOB_ANCHORS}.")
    anchors: list[JobAnchorRef] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or entry.get("role") not in AnchorRole.values:
            raise ProtocolError(
                f"job_submit.anchors[{i}] must be {{item_id, role}} with role one of "
                f"{', '.join(AnchorRole.values)}."
            )
        anchors.append(
            {"item_id": _uuid(entry.get("item_id"), f"anchors[{i}].item_id"), "role": entry["role"]}
        )
    return anchors


def _parse_output_size(raw: Any) -> OutputSize | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ProtocolError("job_submit.output_size must be {width, height} or null.")
    return {
        "width": _whole(raw.get("width"), "output_size.width", 1, 16_384),
        "height": _whole(raw.get("height"), "output_size.height", 1, 16_384),
    }


def _parse_job_submit(data: dict[str, Any]) -> JobSubmitMessage:
    mode = data.get("mode")
    if mode not in JobMode.values:
        raise ProtocolError(f"job_submit.mode must be one of {', '.join(JobMode.values)}.")
    engine = data.get("engine")
    if not isinstance(engine, str) or not 0 < len(engine) <= 64:
        raise ProtocolError("job_submit.engine must be an engine name.")
    seed = data.get("seed")
    if seed is not None:
        seed = _whole(seed, "job_submit.seed", 0, SEED_LIMIT - 1)
    strength = _number(data.get("strength", 0.6), "job_submit.strength")
    if not 0 <= strength <= 1:
        raise ProtocolError("job_submit.strength must be between 0 and 1.")
    return {
        "type": "job_submit",
        "request_id": data["request_id"],
        "mode": mode,
        "engine": engine,
        "region": _parse_region(data.get("region")),
        "prompt": _text(data.get("prompt"), "job_submit.prompt"),
        "negative_prompt": _text(data.get("negative_prompt"), "job_submit.negative_prompt"),
        "strength": strength,
        "seed": seed,
        "count": _whole(data.get("count", 1), "job_submit.count", 1, MAX_JOB_COUNT),
        "output_size": _parse_output_size(data.get("output_size")),
        "scale": _whole(data.get("scale", 2), "job_submit.scale", 1, 8),
        "anchors": _parse_anchor_refs(data.get("anchors")),
        "mask": _optional_uuid(data.get("mask"), "job_submit.mask"),
        "parent_iteration": _optional_uuid(
            data.get("parent_iteration"), "job_submit.parent_iteration"
        ),
    }


def job_spec(message: JobSubmitMessage) -> dict[str, Any]:
    """The raw spec canvas.jobs.queue.submit_job expects, from a parsed ``job_submit``."""
    spec = {key: value for key, value in message.items() if key not in ("type", "request_id")}
    spec["seed_mode"] = "random" if message["seed"] is None else "fixed"
    return spec


def _parse_job_ref(data: dict[str, Any]) -> JobRefMessage:
    return {
        "type": data["type"],
        "request_id": data.get("request_id"),
        "job_id": _uuid(data.get("job_id"), f"{data['type']}.job_id"),
    }


def _parse_job_move(data: dict[str, Any]) -> JobMoveMessage:
    where = data.get("to")
    if where not in ("front", "back"):
        raise ProtocolError("job_move.to must be “front” or “back”.")
    return {
        "type": "job_move",
        "request_id": data.get("request_id"),
        "job_id": _uuid(data.get("job_id"), "job_move.job_id"),
        "to": where,
    }


def _parse_queue(data: dict[str, Any]) -> QueueMessage:
    return {"type": data["type"], "request_id": data.get("request_id")}


def _parse_iteration_apply(data: dict[str, Any]) -> IterationApplyMessage:
    ids = data.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_APPLY_IDS:
        raise ProtocolError(f"iteration_apply.ids must list 1–{MAX_APPLY_IDS} result ids.")
    layout = data.get("layout", "single" if len(ids) == 1 else "grid")
    if layout not in ("single", "grid"):
        raise ProtocolError("iteration_apply.layout must be “single” or “grid”.")
    if layout == "single" and len(ids) != 1:
        raise ProtocolError("Apply one result over the region, or several as a grid.")
    return {
        "type": "iteration_apply",
        "request_id": data.get("request_id"),
        "ids": [_uuid(value, "iteration_apply.ids") for value in ids],
        "layout": layout,
    }


def _parse_iteration_ref(data: dict[str, Any]) -> IterationRefMessage:
    return {
        "type": data["type"],
        "request_id": data.get("request_id"),
        "id": _uuid(data.get("id"), f"{data['type']}.id"),
    }


_PARSERS: dict[str, Callable[[dict[str, Any]], ClientMessage]] = {
    "sync": _parse_sync,
    "ops": _parse_ops,
    "presence": _parse_presence,
    "ping": _parse_ping,
    "job_submit": _parse_job_submit,
    "job_cancel": _parse_job_ref,
    "job_retry": _parse_job_ref,
    "job_move": _parse_job_move,
    "queue_pause": _parse_queue,
    "queue_resume": _parse_queue,
    "iteration_apply": _parse_iteration_apply,
    "iteration_discard": _parse_iteration_ref,
    "iteration_restore": _parse_iteration_ref,
    "iteration_make_current": _parse_iteration_ref,
    "iteration_rerun": _parse_iteration_ref,
}


def parse_operation(op: Any, where: str = "op") -> Operation:
    """Validate one operation's shape and values; returns it normalised (floats, ids)."""
    if not isinstance(op, dict):
        raise ProtocolError(f"{where} must be an object.")
    kind = op.get("op")
    if kind == "create":
        return {"op": "create", "item": _parse_new_item(op.get("item"), f"{where}.item")}
    if kind == "update":
        changes = op.get("set")
        if not isinstance(changes, dict) or not changes:
            raise ProtocolError(f"{where}.set must be an object with at least one property.")
        return {
            "op": "update",
            "id": _uuid(op.get("id"), f"{where}.id"),
            "set": {
                name: _prop(name, value, f"{where}.set.{name}") for name, value in changes.items()
            },
        }
    if kind == "delete":
        return {"op": "delete", "id": _uuid(op.get("id"), f"{where}.id")}
    raise ProtocolError(f"{where}.op must be “create”, “update” or “delete”.")


def _parse_new_item(item: Any, where: str) -> NewItem:
    if not isinstance(item, dict):
        raise ProtocolError(f"{where} must be an object.")
    kind = item.get("kind")
    if kind not in ItemKind.values:
        raise ProtocolError(f"{where}.kind must be one of {', '.join(ItemKind.values)}.")
    asset = item.get("asset")
    if isinstance(asset, dict):  # an ItemData echoed back: only the asset id matters
        asset = asset.get("id")
    asset_id = None if asset is None else _uuid(asset, f"{where}.asset")
    if kind == ItemKind.IMAGE and asset_id is None:
        raise ProtocolError(f"{where}: an image item needs an asset.")
    if kind != ItemKind.IMAGE and asset_id is not None:
        raise ProtocolError(f"{where}: only image items have an asset.")
    unknown = set(item) - {"id", "kind", "asset", "revision", *UPDATABLE_PROPS}
    if unknown:
        raise ProtocolError(f"{where} has unknown fields: {', '.join(sorted(unknown))[:200]}.")
    fields = {
        name: _prop(name, item[name], f"{where}.{name}") if name in item else default
        for name, default in ITEM_DEFAULTS.items()
    }
    if "props" not in item:
        fields["props"] = {}
    return {"id": _uuid(item.get("id"), f"{where}.id"), "kind": kind, "asset": asset_id, **fields}  # type: ignore[typeddict-item]


def _prop(name: str, value: Any, where: str) -> Any:
    if name in ("x", "y", "z", "rotation"):
        return _coordinate(value, where)
    if name in ("width", "height"):
        number = _coordinate(value, where)
        if number < 0:
            raise ProtocolError(f"{where} must not be negative.")
        return number
    if name == "opacity":
        number = _number(value, where)
        if not 0 <= number <= 1:
            raise ProtocolError(f"{where} must be between 0 and 1.")
        return number
    if name in ("hidden", "locked"):
        if not isinstance(value, bool):
            raise ProtocolError(f"{where} must be true or false.")
        return value
    if name == "name":
        if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH:
            raise ProtocolError(f"{where} must be text of at most {MAX_NAME_LENGTH} characters.")
        return value
    if name == "anchor_role":
        if value != "" and value not in AnchorRole.values:
            raise ProtocolError(f"{where} must be empty or one of {', '.join(AnchorRole.values)}.")
        return value
    if name == "props":
        if not isinstance(value, dict):
            raise ProtocolError(f"{where} must be an object.")
        if len(json.dumps(value, separators=(",", ":"))) > MAX_PROPS_BYTES:
            raise ProtocolError(f"{where} is larger than {MAX_PROPS_BYTES // 1024} KiB.")
        return value
    raise ProtocolError(
        f"{where}: “{name[:40]}” cannot be changed (changeable: {', '.join(UPDATABLE_PROPS)})."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where} must be a number.")
    try:
        number = float(value)
    except OverflowError:
        raise ProtocolError(f"{where} is out of range.") from None
    if not math.isfinite(number):
        raise ProtocolError(f"{where} must be a finite number.")
    return number


def _coordinate(value: Any, where: str) -> float:
    number = _number(value, where)
    if abs(number) > MAX_COORDINATE:
        raise ProtocolError(f"{where} is out of range (±{MAX_COORDINATE:.0e}).")
    return number


def _uuid(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise ProtocolError(f"{where} must be a UUID string.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ProtocolError(f"{where} must be a UUID string.") from None
