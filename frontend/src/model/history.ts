/**
 * Per-user undo/redo. Every local edit is a named action (see model/actions.ts) carrying
 * its forward operations and their inverse; remote batches never enter this history.
 *
 * Undo only reverts what this user did: a property someone else changed after our action
 * keeps their value (undo covers our changes, not theirs), an item someone else deleted is
 * not resurrected by undoing our later move of it, and an action that has nothing left to
 * revert is skipped. The redo entry is computed from the document at undo time, so
 * "undo, redo" always returns to the state before the undo.
 *
 * It holds no document of its own; it reads the visible document and hands operations to
 * a `commit` callback (which applies and sends them).
 *
 * Some actions also change state outside the item document, on the server (applying,
 * discarding or restoring a job result: jobs/resultActions.ts). Those carry `effects`:
 * each says whether it still holds (nobody changed it since) and how to revert itself,
 * returning the effect that re-does it, so they undo and redo like item operations.
 */
import type { BoardDocument } from "./document";
import { sameValue } from "./document";
import type { ItemPatch, Operation } from "../protocol";

export type Commit = (ops: Operation[]) => string[] | undefined;

/** A change outside the item document that an entry also reverts (e.g. a result's status). */
export interface SideEffect {
  /** Whether what this effect did still stands; undo skips it otherwise (others changed it). */
  holds(): boolean;
  /** Revert it now (item operations go through `commit`); returns the effect that re-does it. */
  revert(commit: Commit): SideEffect;
}

export interface HistoryEntry {
  name: string;
  forward: Operation[];
  inverse: Operation[];
  /** Batches that carried the forward ops; used to drop the entry if the server refuses one. */
  batchIds?: string[];
  effects?: SideEffect[];
}

const LIMIT = 200;

export class History {
  private undoStack: HistoryEntry[] = [];
  private redoStack: HistoryEntry[] = [];

  constructor(private readonly doc: BoardDocument) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  get undoNames(): string[] {
    return this.undoStack.map((e) => e.name);
  }

  record(entry: HistoryEntry): void {
    if (!entry.forward.length && !entry.effects?.length) return;
    this.undoStack.push(entry);
    if (this.undoStack.length > LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  /** The server refused this batch and it was rolled back: forget the action. */
  dropBatch(batchId: string): void {
    this.undoStack = this.undoStack.filter((e) => !e.batchIds?.includes(batchId));
    this.redoStack = this.redoStack.filter((e) => !e.batchIds?.includes(batchId));
  }

  undo(commit: Commit): string | null {
    return this.step(this.undoStack, this.redoStack, commit);
  }

  redo(commit: Commit): string | null {
    return this.step(this.redoStack, this.undoStack, commit);
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
  }

  private step(from: HistoryEntry[], to: HistoryEntry[], commit: Commit): string | null {
    while (from.length) {
      const entry = from.pop() as HistoryEntry;
      const ops = this.effective(entry);
      const effects = (entry.effects ?? []).filter((e) => e.holds());
      if (!ops.length && !effects.length) continue; // everything it did was since changed by others
      // The opposite entry reverts exactly what we are about to change, from today's state.
      const reverse = this.inverseAgainstDocument(ops);
      const batchIds: string[] = [];
      const tracked: Commit = (o) => {
        const ids = commit(o);
        if (ids) batchIds.push(...ids);
        return ids;
      };
      if (ops.length) tracked(ops);
      const opposite = effects.map((e) => e.revert(tracked));
      to.push({ name: entry.name, forward: ops, inverse: reverse, batchIds, effects: opposite });
      return entry.name;
    }
    return null;
  }

  /**
   * The part of `entry.inverse` still ours to revert: per property, only where the item
   * still holds the value our action set.
   */
  private effective(entry: HistoryEntry): Operation[] {
    const setByUs = new Map<string, ItemPatch | "created" | "deleted">();
    for (const op of entry.forward) {
      if (op.op === "update") {
        const prev = setByUs.get(op.id);
        setByUs.set(op.id, typeof prev === "object" ? { ...prev, ...op.set } : { ...op.set });
      } else if (op.op === "create") {
        setByUs.set(op.item.id, "created");
      } else {
        setByUs.set(op.id, "deleted");
      }
    }
    const out: Operation[] = [];
    for (const op of entry.inverse) {
      if (op.op === "update") {
        const current = this.doc.get(op.id);
        const ours = setByUs.get(op.id);
        if (!current) continue; // deleted since (by anyone): nothing to move back
        const set: ItemPatch = {};
        for (const [key, value] of Object.entries(op.set)) {
          const mine =
            typeof ours === "object" ? (ours as Record<string, unknown>)[key] : undefined;
          const now = (current as unknown as Record<string, unknown>)[key];
          if (typeof ours === "object" && !sameValue(mine, now)) continue; // changed by others
          (set as Record<string, unknown>)[key] = value;
        }
        if (Object.keys(set).length) out.push({ op: "update", id: op.id, set });
      } else if (op.op === "delete") {
        if (this.doc.has(op.id)) out.push(op);
      } else {
        // Re-creating restores an item we deleted (or replaced); skip if it is back already.
        const current = this.doc.get(op.item.id);
        if (!current || setByUs.get(op.item.id) !== "deleted") out.push(op);
      }
    }
    return out;
  }

  private inverseAgainstDocument(ops: Operation[]): Operation[] {
    const inverse: Operation[] = [];
    for (const op of ops) {
      if (op.op === "update") {
        const current = this.doc.get(op.id);
        if (!current) continue;
        const before: ItemPatch = {};
        for (const key of Object.keys(op.set)) {
          (before as Record<string, unknown>)[key] = structuredClone(
            (current as unknown as Record<string, unknown>)[key],
          );
        }
        inverse.unshift({ op: "update", id: op.id, set: before });
      } else if (op.op === "delete") {
        const current = this.doc.get(op.id);
        if (current) inverse.unshift({ op: "create", item: structuredClone(current) });
      } else {
        const current = this.doc.get(op.item.id);
        inverse.unshift(
          current ? { op: "create", item: structuredClone(current) } : { op: "delete", id: op.item.id },
        );
      }
    }
    return inverse;
  }
}
