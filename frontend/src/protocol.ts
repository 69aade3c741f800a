/**
 * The board websocket protocol on the client: the wire types come from
 * protocol/generated.ts, which is GENERATED from the server's models (canvas/protocol, via
 * `python manage.py protocol_schema` and `npm run protocol`); this module adds the client's
 * own view of items and operations and the tiny runtime helpers (builders, the parser).
 *
 * This module must not hold state or touch the DOM; it is types and tiny constructors.
 */
import type * as wire from "./protocol/generated";
import type { OpsMessage, PingMessage, SyncMessage } from "./protocol/generated";
import { BOARD_SERVER_MESSAGE_TYPES, JOB_ANCHOR_ROLES } from "./protocol/generated";

export type {
  AckMessage,
  AnchorRole,
  AppliedMessage,
  AssetData,
  BatchProgressMessage,
  BrandKitMessage,
  CatchupMessage,
  ErrorMessage,
  ExportData,
  ExportMessage,
  IterationApplyMessage,
  IterationMessage,
  IterationRefMessage,
  ItemKind,
  JobAcceptedMessage,
  JobAnchorRef,
  JobMode,
  JobMoveMessage,
  JobPreviewMessage,
  JobQueueMessage,
  JobRefMessage,
  JobSubmitMessage,
  OpsMessage,
  PingMessage,
  PongMessage,
  PresenceLeaveMessage,
  QueueMessage,
  RegionRect,
  RequestDoneMessage,
  SyncMessage,
  UserRef,
  WelcomeMessage,
} from "./protocol/generated";
export {
  CLOSE_LINK_UNAVAILABLE,
  CLOSE_NO_ACCESS,
  CLOSE_NOT_LOGGED_IN,
  MAX_JOB_COUNT,
  MAX_OPS_PER_BATCH,
  MAX_PROPS_BYTES,
  MAX_NAME_LENGTH,
  UPDATABLE_PROPS,
} from "./protocol/generated";
/** Text frames above this many bytes are rejected with `message_too_large`. */
export { MAX_MESSAGE_BYTES as MAX_FRAME_BYTES } from "./protocol/generated";
/** Presence selections are capped by the server. */
export { MAX_SELECTION as MAX_PRESENCE_SELECTION } from "./protocol/generated";

export const ANCHOR_ROLES: readonly Exclude<wire.AnchorRole, "">[] = JOB_ANCHOR_ROLES;

/** An item as the client keeps it: a snapshot's item, or a created one (no revision yet). */
export type ItemData = wire.CreatedItem & { revision?: number };

export type UpdatableProp = (typeof import("./protocol/generated").UPDATABLE_PROPS)[number];
export type ItemPatch = Partial<Pick<ItemData, UpdatableProp>>;

/** Operations as the client's model applies them (a create carries the whole item). */
export interface CreateOp {
  op: "create";
  item: ItemData;
}
export interface UpdateOp {
  op: "update";
  id: string;
  set: ItemPatch;
}
export interface DeleteOp {
  op: "delete";
  id: string;
}
export type Operation = CreateOp | UpdateOp | DeleteOp;

/** A create as sent by a client: `item.asset` is the asset id (the server reads only that). */
export type WireCreateOp = wire.CreateOp;
export type WireOperation = WireCreateOp | UpdateOp | DeleteOp;

export interface AppliedBatch {
  revision: number;
  actor: wire.UserRef;
  ops: Operation[];
}
export type Point = wire.Point;

/** What this client sends about its own cursor (the server's PresenceInMessage). */
export type PresenceOutMessage = wire.PresenceInMessage;
/** Someone else's cursor (the server's PresenceOutMessage). */
export type PresenceInMessage = wire.PresenceOutMessage;

export type JobRequestMessage =
  | wire.JobSubmitMessage
  | wire.JobRefMessage
  | wire.JobMoveMessage
  | wire.QueueMessage
  | wire.IterationApplyMessage
  | wire.IterationRefMessage;
export type ClientMessage = wire.BoardClientMessages;

/** A snapshot as the client applies it (its items may be created locally, without revision). */
export type SnapshotMessage = Omit<wire.SnapshotMessage, "items"> & { items: ItemData[] };
/** The job messages relayed on the board socket; they carry no board revision. */
export type JobStateMessage = wire.JobMessage;
export type JobMessage =
  | wire.JobMessage
  | wire.JobPreviewMessage
  | wire.IterationMessage
  | wire.JobQueueMessage
  | wire.JobAcceptedMessage
  | wire.RequestDoneMessage
  | wire.ConsistencyMessage;

/** Review decisions and comments relayed on the board socket (docs/review.md "Live
 * messages"); the client's view of them lives with the review UI in review/types.ts. */
export type { ReviewMessage } from "./review/types";

export type ServerMessage = wire.BoardServerMessages;

// --- builders ----------------------------------------------------------------------------

export function syncMessage(since: number | null): SyncMessage {
  return { type: "sync", since };
}

export function opsMessage(batchId: string, ops: Operation[]): OpsMessage {
  return { type: "ops", batch_id: batchId, ops: ops.map(toWire) };
}

/** The wire form of an operation: creates carry the asset id, never a revision. */
export function toWire(op: Operation): WireOperation {
  if (op.op !== "create") return op;
  const { revision: _r, asset, ...rest } = op.item;
  return { op: "create", item: { ...rest, asset: asset ? asset.id : null } };
}

export function presenceMessage(
  cursor: Point | null,
  selection: string[],
  hidden: boolean,
): PresenceOutMessage {
  return { type: "presence", cursor, selection, hidden };
}

export function pingMessage(): PingMessage {
  return { type: "ping" };
}

export function createOp(item: ItemData): CreateOp {
  const { revision: _ignored, ...rest } = item;
  return { op: "create", item: { ...rest } };
}

export function updateOp(id: string, set: ItemPatch): UpdateOp {
  return { op: "update", id, set };
}

export function deleteOp(id: string): DeleteOp {
  return { op: "delete", id };
}

const SERVER_TYPES = new Set<string>(BOARD_SERVER_MESSAGE_TYPES);

/** Parse one text frame; returns null for anything that is not a known server message. */
export function parseServerMessage(text: string): ServerMessage | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null) return null;
  const type = (data as { type?: unknown }).type;
  if (typeof type !== "string" || !SERVER_TYPES.has(type)) return null;
  return data as ServerMessage;
}
