/**
 * Named editing actions. Each turns the current document and a selection into the
 * protocol operations that perform it; the editor applies them, sends them and records
 * them in the undo history under the action's name. Keeping the "what changes" rules here
 * (frames carry their contents, duplicates land on top, …) makes them testable without a
 * canvas.
 *
 * Actions must not apply anything themselves or touch the DOM.
 */
import type { BoardDocument } from "./document";
import { cloneItem } from "./document";
import { type Point, type Rect, placementBounds, rectContainsRect } from "./geometry";
import { stepZ, zTop } from "./zorder";
import {
  type ItemData,
  type ItemKind,
  type ItemPatch,
  type Operation,
  createOp,
  deleteOp,
  updateOp,
} from "../protocol";

export interface Action {
  name: string;
  ops: Operation[];
}

export function newId(): string {
  if (typeof crypto.randomUUID === "function" && globalThis.isSecureContext !== false) return crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN host): RFC 4122 v4 by hand.
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function blankItem(kind: ItemKind, rect: Rect, z: number, extra: Partial<ItemData> = {}): ItemData {
  return {
    id: newId(),
    kind,
    name: "",
    asset: null,
    x: rect.x,
    y: rect.y,
    width: rect.width,
    height: rect.height,
    rotation: 0,
    opacity: 1,
    z,
    hidden: false,
    locked: false,
    anchor_role: "",
    props: {},
    ...extra,
  };
}

export function createItems(name: string, items: ItemData[]): Action {
  return { name, ops: items.map((i) => createOp(i)) };
}

/**
 * Items a frame carries when it moves: unlocked items (not frames) whose bounds lie
 * entirely inside the frame and that paint above it.
 */
export function frameContents(doc: BoardDocument, frame: ItemData): string[] {
  const area = placementBounds(frame);
  const out: string[] = [];
  for (const item of doc.ordered()) {
    if (item.id === frame.id || item.kind === "frame" || item.locked) continue;
    if (item.z <= frame.z) continue;
    if (rectContainsRect(area, placementBounds(item))) out.push(item.id);
  }
  return out;
}

/** Ids that actually move when `ids` are dragged: locked items stay, frames bring contents. */
export function movableSet(doc: BoardDocument, ids: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const id of ids) {
    const item = doc.get(id);
    if (!item || item.locked) continue;
    out.add(id);
    if (item.kind === "frame") for (const inner of frameContents(doc, item)) out.add(inner);
  }
  return [...out];
}

export function moveBy(doc: BoardDocument, ids: Iterable<string>, dx: number, dy: number, name = "Move"): Action {
  const ops: Operation[] = [];
  if (dx === 0 && dy === 0) return { name, ops };
  for (const id of movableSet(doc, ids)) {
    const item = doc.get(id) as ItemData;
    ops.push(updateOp(id, { x: item.x + dx, y: item.y + dy }));
  }
  return { name, ops };
}

/** Set the same properties on every given item (rename, opacity, hide, lock, anchor role…). */
export function setProps(doc: BoardDocument, ids: Iterable<string>, patch: ItemPatch, name: string): Action {
  const ops: Operation[] = [];
  for (const id of ids) {
    const item = doc.get(id);
    if (!item) continue;
    const changed: ItemPatch = {};
    for (const [key, value] of Object.entries(patch)) {
      if (JSON.stringify((item as unknown as Record<string, unknown>)[key]) !== JSON.stringify(value)) {
        (changed as Record<string, unknown>)[key] = value;
      }
    }
    if (Object.keys(changed).length) ops.push(updateOp(id, changed));
  }
  return { name, ops };
}

/** Per-item placements (from a transform gesture). */
export function transformItems(
  patches: Map<string, Pick<ItemData, "x" | "y" | "width" | "height" | "rotation">>,
  name = "Transform",
): Action {
  return { name, ops: [...patches].map(([id, set]) => updateOp(id, set)) };
}

export function deleteItems(doc: BoardDocument, ids: Iterable<string>): Action {
  const ops: Operation[] = [];
  for (const id of ids) {
    const item = doc.get(id);
    if (item && !item.locked) ops.push(deleteOp(id));
  }
  return { name: "Delete", ops };
}

/** Copies offset by `offset` board units, stacked above everything in the original order. */
export function duplicateItems(
  doc: BoardDocument,
  ids: Iterable<string>,
  offset: Point = { x: 24, y: 24 },
): { action: Action; newIds: string[] } {
  const wanted = new Set(ids);
  let z = zTop(doc.ordered().map((i) => i.z));
  const copies: ItemData[] = [];
  for (const item of doc.ordered()) {
    if (!wanted.has(item.id)) continue;
    const copy = cloneItem(item);
    copy.id = newId();
    copy.x += offset.x;
    copy.y += offset.y;
    copy.z = z++;
    copy.locked = false;
    delete copy.revision;
    copies.push(copy);
  }
  return { action: createItems("Duplicate", copies), newIds: copies.map((c) => c.id) };
}

export function reorder(doc: BoardDocument, ids: Iterable<string>, direction: 1 | -1): Action {
  const moves = stepZ(doc.ordered(), new Set(ids), direction);
  return {
    name: direction === 1 ? "Bring forward" : "Send backward",
    ops: [...moves].map(([id, z]) => updateOp(id, { z })),
  };
}

/** Move `ids` (in their current order) so they sit just below the item at `targetIndex`. */
export function reorderTo(doc: BoardDocument, ids: string[], aboveId: string | null, belowId: string | null): Action {
  const above = aboveId ? doc.get(aboveId) : undefined;
  const below = belowId ? doc.get(belowId) : undefined;
  const lo = below ? below.z : above ? above.z - ids.length - 1 : 0;
  const hi = above ? above.z : lo + ids.length + 1;
  const step = (hi - lo) / (ids.length + 1);
  const ordered = doc.ordered().filter((i) => ids.includes(i.id));
  return {
    name: "Reorder",
    ops: ordered.map((item, i) => updateOp(item.id, { z: lo + step * (i + 1) })),
  };
}
