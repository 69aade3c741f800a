/**
 * The board websocket protocol, mirrored once from docs/protocol.md (server side:
 * canvas/protocol.py). Every message type the client sends or receives is defined here,
 * and outgoing messages are built only by the builder functions below.
 *
 * This module must not hold state or touch the DOM; it is types and tiny constructors.
 */

export type ItemKind = "image" | "frame" | "text" | "mask";
export type AnchorRole = "composition" | "palette" | "lighting" | "style" | "";
export const ANCHOR_ROLES: readonly Exclude<AnchorRole, "">[] = [
  "composition",
  "palette",
  "lighting",
  "style",
];

export interface AssetData {
  id: string;
  sha256: string;
  width: number;
  height: number;
  /** Long-edge sizes of the pre-rendered pyramid, ascending. */
  levels: number[];
  original_url: string;
  /** Contains the literal `{level}`, replaced by one of `levels`. */
  level_url: string;
}

export interface ItemData {
  id: string;
  kind: ItemKind;
  name: string;
  asset: AssetData | null;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Degrees clockwise about the item's top-left corner. */
  rotation: number;
  opacity: number;
  z: number;
  hidden: boolean;
  locked: boolean;
  anchor_role: AnchorRole;
  props: Record<string, unknown>;
  revision?: number;
}

/** Properties an `update` may set; `kind`, `asset` and `id` never change. */
export const UPDATABLE_PROPS = [
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
] as const;
export type UpdatableProp = (typeof UPDATABLE_PROPS)[number];
export type ItemPatch = Partial<Pick<ItemData, UpdatableProp>>;

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

export interface UserRef {
  id: number | string;
  name: string;
}

export interface AppliedBatch {
  revision: number;
  actor: UserRef;
  ops: Operation[];
}

export interface Point {
  x: number;
  y: number;
}

// --- client → server -------------------------------------------------------------------

export interface SyncMessage {
  type: "sync";
  since: number | null;
}
/** A create as sent by a client: `item.asset` is the asset id (the server reads only that). */
export interface WireCreateOp {
  op: "create";
  item: Omit<ItemData, "asset" | "revision"> & { asset: string | null };
}
export type WireOperation = WireCreateOp | UpdateOp | DeleteOp;

export interface OpsMessage {
  type: "ops";
  batch_id: string;
  ops: WireOperation[];
}
export interface PresenceOutMessage {
  type: "presence";
  cursor: Point | null;
  selection: string[];
  hidden: boolean;
}
export interface PingMessage {
  type: "ping";
}

/**
 * Job requests (docs/jobs.md "Using region jobs"), editors and owners only. `request_id` is
 * made by the client and echoed in the reply: `job_accepted` (submit, retry, re-run),
 * `request_done` (everything else) or `error`. Effects reach everyone as job messages.
 */
export type JobMode = "img2img" | "inpaint" | "upscale" | "variations";
export interface RegionRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface JobAnchorRef {
  item_id: string;
  role: Exclude<AnchorRole, "">;
}
export interface JobSubmitMessage {
  type: "job_submit";
  request_id: string;
  mode: JobMode;
  engine: string;
  region: RegionRect;
  prompt: string;
  negative_prompt: string;
  /** 0–1. */
  strength: number;
  /** null = the server draws a random seed (and records it). */
  seed: number | null;
  /** 1–32. */
  count: number;
  output_size: { width: number; height: number } | null;
  /** Upscale factor (2 or 4). */
  scale: number;
  anchors: JobAnchorRef[];
  /** Id of a PNG asset uploaded to this board: painted (opaque) pixels are changed. */
  mask: string | null;
  parent_iteration?: string | null;
}
export interface JobRefMessage {
  type: "job_cancel" | "job_retry";
  request_id?: string;
  job_id: string;
}
export interface JobMoveMessage {
  type: "job_move";
  request_id?: string;
  job_id: string;
  to: "front" | "back";
}
export interface QueueMessage {
  type: "queue_pause" | "queue_resume";
  request_id?: string;
}
export interface IterationApplyMessage {
  type: "iteration_apply";
  request_id?: string;
  ids: string[];
  layout: "single" | "grid";
}
export interface IterationRefMessage {
  type: "iteration_discard" | "iteration_restore" | "iteration_make_current" | "iteration_rerun";
  request_id?: string;
  id: string;
}
export type JobRequestMessage =
  | JobSubmitMessage
  | JobRefMessage
  | JobMoveMessage
  | QueueMessage
  | IterationApplyMessage
  | IterationRefMessage;
export const MAX_JOB_COUNT = 32;

export type ClientMessage = SyncMessage | OpsMessage | PresenceOutMessage | PingMessage | JobRequestMessage;

/** The server refuses batches outside 1..MAX_OPS_PER_BATCH operations. */
export const MAX_OPS_PER_BATCH = 500;
/** Text frames above this many bytes are rejected with `message_too_large`. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** An item's `props`, serialised, may not exceed this. */
export const MAX_PROPS_BYTES = 16 * 1024;
export const MAX_NAME_LENGTH = 200;
/** Presence selections are capped by the server. */
export const MAX_PRESENCE_SELECTION = 500;

// --- server → client -------------------------------------------------------------------

export interface WelcomeMessage {
  type: "welcome";
  board: { id: string; name: string };
  user: UserRef;
  role: string;
  can_edit: boolean;
  revision: number;
}
export interface SnapshotMessage {
  type: "snapshot";
  revision: number;
  items: ItemData[];
  /** Large boards arrive in parts sent back to back; apply them when `final` is true. */
  part?: number;
  final?: boolean;
}
export interface CatchupMessage {
  type: "catchup";
  from_revision: number;
  revision: number;
  batches: AppliedBatch[];
}
export interface AppliedMessage {
  type: "applied";
  revision: number;
  actor: UserRef;
  ops: Operation[];
}
export interface AckMessage {
  type: "ack";
  batch_id: string;
  revision: number;
}
export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
  batch_id?: string;
  /** Set when the error answers a job request. */
  request_id?: string;
}
/** To the requester only: its submit / retry / re-run was queued as `job`. */
export interface JobAcceptedMessage {
  type: "job_accepted";
  request_id: string | null;
  job: Record<string, unknown> & { id: string };
}
/** To the requester only: a cancel / move / pause / apply / discard … was carried out. */
export interface RequestDoneMessage {
  type: "request_done";
  request_id: string | null;
  request: string;
}
export interface PresenceInMessage {
  type: "presence";
  user: UserRef;
  color: string;
  cursor: Point | null;
  selection: string[];
}
export interface PresenceLeaveMessage {
  type: "presence_leave";
  user: { id: number | string };
}
export interface PongMessage {
  type: "pong";
}
/**
 * Job messages relayed on the board socket (built by canvas/jobs/progress.py). They carry
 * no board revision; payloads are the job/iteration API shapes, kept open here because
 * the canvas only forwards them.
 */
export interface JobStateMessage {
  type: "job";
  job: Record<string, unknown> & { id: string; status?: string };
}
export interface JobPreviewMessage {
  type: "job_preview";
  job: string;
  version: number;
  /** data: URL of a small JPEG/PNG preview. */
  image: string;
}
export interface IterationMessage {
  type: "iteration";
  iteration: Record<string, unknown> & { id: string };
}
export interface JobQueueMessage {
  type: "job_queue";
  board: string;
  paused: boolean;
}
export type JobMessage =
  | JobStateMessage
  | JobPreviewMessage
  | IterationMessage
  | JobQueueMessage
  | JobAcceptedMessage
  | RequestDoneMessage;

/** Review decisions and comments relayed on the board socket (docs/review.md "Live
 * messages"); their shapes live with the review UI in review/types.ts. */
export type { ReviewMessage } from "./review/types";
import type { ReviewMessage } from "./review/types";

export type ServerMessage =
  | ReviewMessage
  | WelcomeMessage
  | SnapshotMessage
  | CatchupMessage
  | AppliedMessage
  | AckMessage
  | ErrorMessage
  | PresenceInMessage
  | PresenceLeaveMessage
  | PongMessage
  | JobMessage;

/** Close codes the server uses when it refuses a socket: retrying will not help. */
export const CLOSE_NOT_LOGGED_IN = 4401;
export const CLOSE_NO_ACCESS = 4403;
/** A share link's socket: revoked or expired (canvas/share_consumer.py). */
export const CLOSE_LINK_UNAVAILABLE = 4410;

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

const SERVER_TYPES = new Set([
  "welcome",
  "snapshot",
  "catchup",
  "applied",
  "ack",
  "error",
  "presence",
  "presence_leave",
  "pong",
  "job",
  "job_preview",
  "iteration",
  "job_queue",
  "job_accepted",
  "request_done",
  "decision",
  "comment",
]);

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
