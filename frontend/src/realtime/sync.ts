/**
 * Client-side reconciliation between the server's board state and what this browser
 * shows. Two documents are kept: `confirmed` (exactly what the server has committed, as
 * far as we know) and `visible` (confirmed + our own not-yet-acknowledged batches,
 * applied optimistically). Remote batches are applied to both, then our pending batches
 * are re-applied on top so our in-flight edits do not flicker away; an `error` for a batch
 * drops it and rebuilds the touched items from `confirmed`.
 *
 * No sockets, timers or DOM here: the connection feeds messages in and sends what this
 * returns, which keeps the rules testable.
 */
import { BoardDocument } from "../model/document";
import type {
  AppliedBatch,
  CatchupMessage,
  ItemData,
  OpsMessage,
  Operation,
  SnapshotMessage,
} from "../protocol";
import { opsMessage } from "../protocol";

export interface PendingBatch {
  batchId: string;
  ops: Operation[];
  /** Whether it has been written to the current socket. */
  sent: boolean;
  /** When it was last written (the connection's clock), for the unacknowledged rule. */
  sentAt?: number;
}

export interface SyncEvents {
  /** A batch we sent was refused; its edits have been rolled back. */
  onRejected?: (batch: PendingBatch, code: string, message: string) => void;
  /** A remote batch was applied (never part of our undo history). */
  onRemote?: (batch: AppliedBatch) => void;
}

let batchCounter = 0;

/** Unique per user and board across tabs and reloads: time + random + counter (≤ 64 chars). */
export function newBatchId(): string {
  batchCounter += 1;
  const random = Math.floor(Math.random() * 36 ** 6).toString(36);
  return `b${Date.now().toString(36)}-${random}-${batchCounter}`;
}

export class SyncState {
  readonly confirmed = new BoardDocument();
  readonly visible = new BoardDocument();
  private pending: PendingBatch[] = [];
  /** Highest revision such that every revision up to it has been applied. */
  private contiguous: number | null = null;
  /**
   * Batches that arrived above a gap (revision > contiguous + 1), held until the gap is
   * filled: applying them at once would let the late, older batch overwrite them, and
   * last-writer-wins must follow revision order as on the server. Without `batch` it is
   * our own acknowledged batch (already in `visible`).
   */
  private readonly held = new Map<number, { ops: Operation[]; batch?: AppliedBatch }>();
  private loaded = false;

  constructor(public events: SyncEvents = {}) {}

  get revision(): number | null {
    return this.contiguous;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  get pendingBatches(): readonly PendingBatch[] {
    return this.pending;
  }

  /** Apply our own edit optimistically and queue it; returns the batch to send. */
  local(ops: Operation[], batchId = newBatchId()): { batch: PendingBatch; inverse: Operation[] } {
    const batch: PendingBatch = { batchId, ops, sent: false };
    const inverse = this.visible.applyOps(ops);
    this.pending.push(batch);
    return { batch, inverse };
  }

  /** Messages to write to a freshly (re)synced socket, marking them sent at `now`. */
  unsentMessages(now = 0): OpsMessage[] {
    const out: OpsMessage[] = [];
    for (const batch of this.pending) {
      if (batch.sent) continue;
      batch.sent = true;
      batch.sentAt = now;
      out.push(opsMessage(batch.batchId, batch.ops));
    }
    return out;
  }

  /** When the oldest batch written to the socket and still waiting for its `ack` was sent. */
  oldestUnackedSentAt(): number | null {
    let oldest: number | null = null;
    for (const batch of this.pending) {
      if (batch.sent && batch.sentAt !== undefined && (oldest === null || batch.sentAt < oldest)) {
        oldest = batch.sentAt;
      }
    }
    return oldest;
  }

  /**
   * The socket dropped: anything sent but not acknowledged may or may not have committed.
   * Resending after catch-up is safe because updates and deletes are idempotent and a
   * duplicate create is refused without changing anything.
   */
  markAllUnsent(): void {
    for (const batch of this.pending) batch.sent = false;
  }

  onSnapshot(msg: SnapshotMessage): void {
    this.confirmed.reset(msg.items);
    this.contiguous = msg.revision;
    this.loaded = true;
    this.rebuildVisible();
    this.drainHeld();
  }

  onCatchup(msg: CatchupMessage): void {
    const batches = [...msg.batches].sort((a, b) => a.revision - b.revision);
    this.visible.batch(() => {
      for (const batch of batches) {
        this.held.delete(batch.revision); // the catch-up's copy is the same batch
        this.onApplied(batch);
      }
      if (this.contiguous === null || this.contiguous < msg.revision) {
        // Revisions without a batch (e.g. other boards' counters) are complete by definition.
        this.contiguous = msg.revision;
      }
      this.drainHeld();
    });
    this.loaded = true;
  }

  onApplied(batch: AppliedBatch): void {
    if (this.isSeen(batch.revision)) return;
    if (this.contiguous !== null && batch.revision > this.contiguous + 1) {
      this.held.set(batch.revision, { ops: batch.ops, batch });
      return;
    }
    this.applyInOrder(batch.ops, batch);
    this.advance(batch.revision);
  }

  onAck(batchId: string, revision: number): void {
    const index = this.pending.findIndex((b) => b.batchId === batchId);
    if (index < 0) return;
    const [batch] = this.pending.splice(index, 1);
    if (!batch) return;
    if (this.isSeen(revision)) {
      // A resent batch the server had already committed: it reached `confirmed` through
      // the catch-up, and later revisions may have overwritten parts of it. Re-applying it
      // would resurrect stale values, so rebuild what it touched from server state.
      this.rebuildItems(new Set(batch.ops.map(opItemId)));
      return;
    }
    if (this.contiguous !== null && revision > this.contiguous + 1) {
      this.held.set(revision, { ops: batch.ops });
      return;
    }
    this.confirmed.applyOps(batch.ops);
    this.advance(revision);
  }

  /**
   * Apply the next revision's operations to both documents: a remote batch (`remote`), or
   * our own acknowledged while a gap was open (the older batches under it have just been
   * applied, so its values go back on top).
   */
  private applyInOrder(ops: Operation[], remote?: AppliedBatch): void {
    this.confirmed.applyOps(ops);
    this.visible.batch(() => {
      this.visible.applyOps(ops);
      // Our pending edits were committed after this batch (we have no ack yet), so on the
      // server they win: replay them on top.
      for (const pending of this.pending) this.visible.applyOps(pending.ops);
    });
    if (remote) this.events.onRemote?.(remote);
  }

  private advance(revision: number): void {
    if (this.contiguous === null || revision !== this.contiguous + 1) return; // before sync
    this.contiguous = revision;
    this.drainHeld();
  }

  /** Apply the held batches that the gap-filling made contiguous; forget covered ones. */
  private drainHeld(): void {
    if (this.contiguous === null) return;
    for (const revision of [...this.held.keys()]) {
      if (revision <= this.contiguous) this.held.delete(revision);
    }
    for (let next = this.held.get(this.contiguous + 1); next; next = this.held.get(this.contiguous + 1)) {
      this.held.delete(this.contiguous + 1);
      this.contiguous += 1;
      this.applyInOrder(next.ops, next.batch);
    }
  }

  /** `rate_limited`: the server dropped the batch unapplied; keep it and send it again. */
  onRateLimited(batchId: string): boolean {
    const batch = this.pending.find((b) => b.batchId === batchId);
    if (!batch) return false;
    batch.sent = false;
    return true;
  }

  /** An `error` for a batch: drop it and rebuild what it touched from server state. */
  onError(batchId: string, code: string, message: string): PendingBatch | null {
    const index = this.pending.findIndex((b) => b.batchId === batchId);
    if (index < 0) return null;
    const [batch] = this.pending.splice(index, 1);
    if (!batch) return null;
    this.rebuildItems(new Set(batch.ops.map(opItemId)));
    this.events.onRejected?.(batch, code, message);
    return batch;
  }

  /** Reset items in `visible` to server state plus our remaining pending edits. */
  private rebuildItems(touched: Set<string>): void {
    this.visible.batch(() => {
      for (const id of touched) this.visible.restore(id, this.confirmed.get(id));
      for (const pending of this.pending) {
        const relevant = pending.ops.filter((op) => touched.has(opItemId(op)));
        if (relevant.length) this.visible.applyOps(relevant);
      }
    });
  }

  private rebuildVisible(): void {
    const items: ItemData[] = this.confirmed.ordered();
    this.visible.reset(items);
    if (this.pending.length) {
      this.visible.batch(() => {
        for (const pending of this.pending) this.visible.applyOps(pending.ops);
      });
    }
  }

  private isSeen(revision: number): boolean {
    return (this.contiguous !== null && revision <= this.contiguous) || this.held.has(revision);
  }
}

export function opItemId(op: Operation): string {
  return op.op === "create" ? op.item.id : op.id;
}
