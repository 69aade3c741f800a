"""Board messages: items, operations, sync, presence — both directions (docs/protocol.md).

Client → server messages are models that validate what arrives; handlers receive them.
Server → client messages are models too (the schema, the generated TypeScript and the tests'
check of every outgoing message use them), but are built by the plain builder functions at
the end: a snapshot of thousands of items must not be validated again on its way out.

Whether an operation makes sense for the board's current state (does the item exist, is
the asset on this board) is decided by canvas.boards.operations, not here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, create_model, model_validator

from canvas.models.items import KINDS_WITH_ASSET, AnchorRole, ItemKind
from canvas.models.roles import Role
from canvas.protocol import limits
from canvas.protocol.types import (
    BatchId,
    Coordinate,
    Extent,
    Flag,
    Fraction,
    Id,
    Name,
    OneOf,
    Props,
    ProtocolModel,
    Revision,
    Wire,
    absent,
    invalid,
)

ItemKindName = Annotated[str, OneOf.of(ItemKind, title="ItemKind")]
AnchorRoleName = Annotated[str, OneOf.of(AnchorRole, title="AnchorRole", empty=True)]

# --- Shared shapes ---------------------------------------------------------------------------


class Point(ProtocolModel):
    x: Coordinate
    y: Coordinate


class UserRef(ProtocolModel):
    id: int
    """The numeric user id (0 for a share-link guest)."""
    name: str


class UserId(ProtocolModel):
    id: int


class AssetData(ProtocolModel):
    """An image's file, as the canvas needs it (built by assets.presenters.canvas_asset)."""

    id: str
    sha256: str
    width: int
    height: int
    levels: list[int]
    """Long-edge sizes of the pre-rendered pyramid, ascending."""
    original_url: str
    level_url: str
    """Contains the literal ``{level}``, replaced by one of ``levels``."""


class ItemFields(ProtocolModel):
    """Every property an ``update`` may set (UPDATABLE_PROPS), with its default."""

    name: Name = ""
    x: Coordinate = 0.0
    y: Coordinate = 0.0
    width: Extent = 0.0
    height: Extent = 0.0
    rotation: Coordinate = 0.0
    """Degrees clockwise about the item's top-left corner."""
    opacity: Fraction = 1.0
    z: Coordinate = 0.0
    hidden: Flag = False
    locked: Flag = False
    anchor_role: AnchorRoleName = ""
    props: Props = Field(default_factory=dict)


UPDATABLE_PROPS: tuple[str, ...] = tuple(ItemFields.model_fields)
ITEM_DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for name, field in ItemFields.model_fields.items()
}


class CreatedItem(ItemFields):
    """An item as a committed ``create`` carries it: complete, ``asset`` expanded."""

    id: str
    kind: ItemKindName
    asset: AssetData | None


class ItemData(CreatedItem):
    """A live item of a snapshot; ``revision`` is the batch that last touched it."""

    revision: int


class NewItem(ItemFields):
    """``create``'s item: ``asset`` is the asset id (an AssetData object is also accepted;
    only its ``id`` is read). Omitted properties take their defaults."""

    model_config = {"extra": "forbid"}

    id: Id
    kind: ItemKindName
    asset: Id | None = None
    revision: Any = Field(default=None, exclude=True, description="Ignored.")

    @model_validator(mode="before")
    @classmethod
    def _asset_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = set(data) - set(cls.model_fields)
            if unknown:
                shown = ", ".join(sorted(str(key)[:40] for key in unknown))[:200]
                raise invalid(f"has unknown fields: {shown}")
            if isinstance(data.get("asset"), dict):  # an ItemData echoed back
                data = {**data, "asset": data["asset"].get("id")}
        return data

    @model_validator(mode="after")
    def _asset_matches_kind(self) -> NewItem:
        if self.kind in KINDS_WITH_ASSET and self.asset is None:
            raise invalid(
                f"{'a video' if self.kind == ItemKind.VIDEO else 'an image'} item needs an asset"
            )
        if self.kind not in KINDS_WITH_ASSET and self.asset is not None:
            raise invalid("only image and video items have an asset")
        return self


class _PatchBase(ProtocolModel):
    model_config = {"extra": "forbid"}

    @model_validator(mode="before")
    @classmethod
    def _only_updatable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in UPDATABLE_PROPS:
                    raise invalid(
                        f"“{str(key)[:40]}” cannot be changed "
                        f"(changeable: {', '.join(UPDATABLE_PROPS)})"
                    )
            if not data:
                raise invalid("must be an object with at least one property")
        return data


# The same fields as ItemFields, each optional (only what is sent is set).
if TYPE_CHECKING:
    ItemPatch = _PatchBase
else:
    ItemPatch = create_model(
        "ItemPatch",
        __base__=_PatchBase,
        __doc__="Properties an ``update`` sets; ``kind``, ``asset`` and ``id`` never change.",
        **{
            name: (
                Annotated[(field.annotation, *field.metadata)],
                Field(
                    default=None,
                    description=field.description,
                    json_schema_extra={"x-absent": True},
                ),
            )
            for name, field in ItemFields.model_fields.items()
        },
    )


class CreateOp(ProtocolModel):
    op: Literal["create"]
    item: NewItem


class UpdateOp(ProtocolModel):
    op: Literal["update"]
    id: Id
    set: ItemPatch
    """Properties to assign; ``props`` is replaced as a whole, not merged."""


class DeleteOp(ProtocolModel):
    op: Literal["delete"]
    id: Id


Operation = Annotated[CreateOp | UpdateOp | DeleteOp, Field(discriminator="op")]


def operation_data(op: CreateOp | UpdateOp | DeleteOp) -> Wire:
    """An operation as canvas.boards.operations applies it (normalised, only what was set)."""
    if isinstance(op, UpdateOp):
        return {"op": "update", "id": op.id, "set": op.set.model_dump(exclude_unset=True)}
    return op.model_dump()


class AppliedCreateOp(ProtocolModel):
    op: Literal["create"]
    item: CreatedItem


AppliedOperation = Annotated[AppliedCreateOp | UpdateOp | DeleteOp, Field(discriminator="op")]


# --- Client → server -------------------------------------------------------------------------


class SyncMessage(ProtocolModel):
    """Ask for what this client missed since ``since`` (``null``: everything)."""

    type: Literal["sync"]
    since: Revision | None = None


class OpsMessage(ProtocolModel):
    """A batch of operations, applied all or nothing as one revision."""

    type: Literal["ops"]
    batch_id: BatchId
    """Client-made, unique per user and board; resending it is answered, not re-applied."""
    ops: list[Operation] = Field(min_length=1, max_length=limits.MAX_OPS_PER_BATCH)

    def operations(self) -> list[Wire]:
        return [operation_data(op) for op in self.ops]


class PresenceInMessage(ProtocolModel):
    """Where this user's cursor is and what they selected (``hidden``: show nothing)."""

    type: Literal["presence"]
    cursor: Point | None = None
    selection: list[Id] = Field(default_factory=list, max_length=limits.MAX_SELECTION)
    hidden: Flag = False


class PingMessage(ProtocolModel):
    """Where is the board now? Sent after silence (SILENCE_PING_MS, then backing off) and as a
    keep-alive (KEEPALIVE_PING_MS); also renews the socket's board-group membership."""

    type: Literal["ping"]


# --- Server → client -------------------------------------------------------------------------


class BoardRef(ProtocolModel):
    id: str
    name: str


RoleName = Annotated[str, OneOf((*Role.values, "guest"), "RoleName")]


class WelcomeMessage(ProtocolModel):
    type: Literal["welcome"]
    board: BoardRef
    user: UserRef
    role: RoleName
    can_edit: bool
    revision: int


class SnapshotMessage(ProtocolModel):
    """Live items, ascending ``z`` (ties by ``id``). Large boards arrive as consecutive
    parts (``part``, ``final``): apply them together when ``final`` is true."""

    type: Literal["snapshot"]
    revision: int
    items: list[ItemData]
    part: int = absent()
    final: bool = absent()


class AppliedBatch(ProtocolModel):
    revision: int
    actor: UserRef
    ops: list[AppliedOperation]


class CatchupMessage(ProtocolModel):
    """The batches ``from_revision + 1 … revision``, oldest first (empty when up to date)."""

    type: Literal["catchup"]
    from_revision: int
    revision: int
    batches: list[AppliedBatch]


class AppliedMessage(AppliedBatch):
    """One committed batch by someone else."""

    type: Literal["applied"]


class AckMessage(ProtocolModel):
    """To the sender only: its batch committed as ``revision``."""

    type: Literal["ack"]
    batch_id: str
    revision: int


class ErrorMessage(ProtocolModel):
    """The message (batch, job request) changed nothing; the socket stays open unless a
    close follows."""

    type: Literal["error"]
    code: str
    message: str
    batch_id: str = absent("Set when the error answers an ``ops`` batch.")
    request_id: str = absent("Set when the error answers a job request.")


class PresenceOutMessage(ProtocolModel):
    type: Literal["presence"]
    user: UserRef
    color: str
    """``#rrggbb``, the same for a user everywhere."""
    cursor: Point | None
    selection: list[str]


class PresenceLeaveMessage(ProtocolModel):
    """The user hid their presence or closed the board."""

    type: Literal["presence_leave"]
    user: UserId


class PongMessage(ProtocolModel):
    """The answer to ``ping``: the board's current revision, read when the ping was handled.

    Any batch up to it that this socket had not been sent is sent first, so a client whose
    revision is still below ``revision`` dropped something itself and asks with ``sync``."""

    type: Literal["pong"]
    revision: int


# --- Builders (server → client) --------------------------------------------------------------


def user_ref(user_id: int | None, name: str) -> Wire:
    return {"id": user_id if user_id is not None else 0, "name": name}


def welcome(
    *, board_id: str, board_name: str, user: Wire, role: str, can_edit: bool, revision: int
) -> Wire:
    return {
        "type": "welcome",
        "board": {"id": board_id, "name": board_name},
        "user": user,
        "role": role,
        "can_edit": can_edit,
        "revision": revision,
    }


def snapshot(revision: int, items: list[Wire]) -> Wire:
    return {"type": "snapshot", "revision": revision, "items": items}


def encoded_size(message: Any) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


def snapshot_parts(revision: int, items: list[Wire], max_bytes: int | None = None) -> list[Wire]:
    """Split a snapshot into messages of at most ``max_bytes`` each (one item may exceed it).

    Parts are sent back to back on one socket, so the client applies them as one snapshot
    when the part with ``final: true`` arrives.
    """
    max_bytes = max_bytes or limits.MAX_OUTGOING_BYTES
    chunks: list[list[Wire]] = [[]]
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


def applied_batch(revision: int, actor: Wire, ops: list[Wire]) -> Wire:
    return {"revision": revision, "actor": actor, "ops": ops}


def catchup(from_revision: int, revision: int, batches: list[Wire]) -> Wire:
    return {
        "type": "catchup",
        "from_revision": from_revision,
        "revision": revision,
        "batches": batches,
    }


def applied(batch: Wire) -> Wire:
    return {
        "type": "applied",
        "revision": batch["revision"],
        "actor": batch["actor"],
        "ops": batch["ops"],
    }


def ack(batch_id: str, revision: int) -> Wire:
    return {"type": "ack", "batch_id": batch_id, "revision": revision}


def error(
    code: str, message: str, batch_id: str | None = None, request_id: str | None = None
) -> Wire:
    result: Wire = {"type": "error", "code": code, "message": message}
    if batch_id is not None:
        result["batch_id"] = batch_id
    if request_id is not None:
        result["request_id"] = request_id
    return result


def presence(user: Wire, color: str, cursor: Wire | None, selection: list[str]) -> Wire:
    return {
        "type": "presence",
        "user": user,
        "color": color,
        "cursor": cursor,
        "selection": selection,
    }


def presence_leave(user_id: int) -> Wire:
    return {"type": "presence_leave", "user": {"id": user_id}}


def pong(revision: int) -> Wire:
    return {"type": "pong", "revision": revision}
