/**
 * The board document in the browser: live items keyed by id, ordered by z, and the one
 * function that applies protocol operations (create / update / delete, exactly as in
 * docs/protocol.md). Applying an operation returns its inverse, which is what undo,
 * rollback and history are built from.
 *
 * It must not know about sockets, Konva or the DOM; listeners are told which ids changed.
 */
import { type ItemData, type ItemPatch, type Operation, UPDATABLE_PROPS } from "../protocol";

export interface DocumentChange {
  upserted: Set<string>;
  removed: Set<string>;
  /** True when the whole document was replaced (snapshot). */
  reset: boolean;
}

export type DocumentListener = (change: DocumentChange) => void;

export class BoardDocument {
  private readonly items = new Map<string, ItemData>();
  private readonly listeners = new Set<DocumentListener>();
  private orderCache: ItemData[] | null = null;
  private batching: DocumentChange | null = null;

  get size(): number {
    return this.items.size;
  }

  get(id: string): ItemData | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  ids(): IterableIterator<string> {
    return this.items.keys();
  }

  /** Live items bottom-to-top (ascending z, id as a stable tie-break). */
  ordered(): ItemData[] {
    if (!this.orderCache) {
      this.orderCache = [...this.items.values()].sort(
        (a, b) => a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    }
    return this.orderCache;
  }

  subscribe(listener: DocumentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replace everything (a snapshot). */
  reset(items: ItemData[]): void {
    this.items.clear();
    for (const item of items) this.items.set(item.id, cloneItem(item));
    this.orderCache = null;
    this.emit({ upserted: new Set(this.items.keys()), removed: new Set(), reset: true });
  }

  /**
   * Apply operations in order; returns the inverse operations in the order that undoes
   * them. Operations that cannot apply (update/delete of a missing item) are skipped and
   * produce no inverse: remote batches may race with local deletes.
   */
  applyOps(ops: readonly Operation[]): Operation[] {
    const inverse: Operation[] = [];
    const change: DocumentChange = this.batching ?? {
      upserted: new Set(),
      removed: new Set(),
      reset: false,
    };
    for (const op of ops) {
      const inv = this.applyOne(op, change);
      if (inv) inverse.unshift(inv);
    }
    if (!this.batching) this.emit(change);
    return inverse;
  }

  /** Group several applyOps calls into a single change notification. */
  batch<T>(fn: () => T): T {
    if (this.batching) return fn();
    this.batching = { upserted: new Set(), removed: new Set(), reset: false };
    try {
      return fn();
    } finally {
      const change = this.batching;
      this.batching = null;
      this.emit(change);
    }
  }

  /** Put an item back exactly as given, or remove it (used to roll back to server state). */
  restore(id: string, item: ItemData | undefined): void {
    const change: DocumentChange = this.batching ?? {
      upserted: new Set(),
      removed: new Set(),
      reset: false,
    };
    if (item) {
      this.items.set(id, cloneItem(item));
      change.upserted.add(id);
      change.removed.delete(id);
    } else if (this.items.delete(id)) {
      change.removed.add(id);
      change.upserted.delete(id);
    }
    this.orderCache = null;
    if (!this.batching) this.emit(change);
  }

  private applyOne(op: Operation, change: DocumentChange): Operation | null {
    switch (op.op) {
      case "create": {
        const previous = this.items.get(op.item.id);
        this.items.set(op.item.id, cloneItem(op.item));
        this.orderCache = null;
        change.upserted.add(op.item.id);
        change.removed.delete(op.item.id);
        return previous
          ? { op: "create", item: cloneItem(previous) }
          : { op: "delete", id: op.item.id };
      }
      case "update": {
        const item = this.items.get(op.id);
        if (!item) return null;
        const before: ItemPatch = {};
        const next: ItemData = { ...item };
        for (const key of UPDATABLE_PROPS) {
          if (!(key in op.set)) continue;
          (before as Record<string, unknown>)[key] = clone(item[key]);
          (next as unknown as Record<string, unknown>)[key] = clone(op.set[key]);
        }
        if ("z" in op.set) this.orderCache = null;
        this.items.set(op.id, next);
        // Keep the cached order valid when z did not change (the common drag case).
        if (this.orderCache) {
          const idx = this.orderCache.indexOf(item);
          if (idx >= 0) this.orderCache[idx] = next;
          else this.orderCache = null;
        }
        change.upserted.add(op.id);
        return { op: "update", id: op.id, set: before };
      }
      case "delete": {
        const item = this.items.get(op.id);
        if (!item) return null;
        this.items.delete(op.id);
        this.orderCache = null;
        change.removed.add(op.id);
        change.upserted.delete(op.id);
        return { op: "create", item: cloneItem(item) };
      }
    }
  }

  private emit(change: DocumentChange): void {
    if (!change.reset && change.upserted.size === 0 && change.removed.size === 0) return;
    for (const listener of this.listeners) listener(change);
  }
}

export function cloneItem(item: ItemData): ItemData {
  return {
    ...item,
    asset: item.asset ? { ...item.asset, levels: [...item.asset.levels] } : null,
    props: clone(item.props),
  };
}

function clone<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  return structuredClone(value);
}

/** Structural equality for property values (numbers, strings, booleans, plain objects). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
