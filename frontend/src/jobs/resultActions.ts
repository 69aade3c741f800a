/**
 * What a person does with job results — apply, discard, restore — as that person's own
 * undoable actions. The server carries each out (canvas/boards/iterations.py) and every
 * browser on the board sees the effect; the requester's undo history gets one entry per
 * action whose effects revert it, and revert the reversal on redo:
 *
 * | result is now → back to | how |
 * | --- | --- |
 * | applied → staged | delete its layer through the normal batch path; the server stages the result |
 * | staged / discarded → applied | re-create the same layer (same id, where it last was); the server applies the result |
 * | discarded → staged | `iteration_restore` |
 * | staged / applied → discarded | `iteration_discard` (it removes the layer too) |
 *
 * The server keeps "applied ⇔ its layer is live" (canvas/boards/result_items.py), so the
 * truth lives there: a second browser sees undo and redo live and a reload shows the same.
 * Like item edits, an effect is skipped when someone else changed the result since.
 *
 * It must not touch the DOM; requests go through the job client, items through `commit`.
 */
import type { BoardDocument } from "../model/document";
import { cloneItem } from "../model/document";
import type { Commit, SideEffect } from "../model/history";
import { type ItemData, createOp, deleteOp } from "../protocol";
import type { JobReply, JobRequestDraft } from "./client";
import type { IterationStatus, JobStore } from "./model";

/** Where the actions live: the board document, the undo history, and the user's notices. */
export interface ResultHost {
  readonly doc: BoardDocument;
  /** Record an action the server carried out so it undoes like a local edit. */
  recordServerAction(name: string, effects: SideEffect[]): void;
  notify(kind: "info" | "error", text: string): void;
}

export type Requester = (msg: JobRequestDraft) => Promise<JobReply>;

/** How long an expected status (sent, not yet confirmed by a broadcast) is trusted. */
const EXPECTATION_MS = 15_000;

export class ResultActions {
  /** Statuses our own requests and batches are bringing about, until the server says so. */
  private readonly expected = new Map<string, { status: IterationStatus; until: number }>();

  constructor(
    private readonly host: ResultHost,
    private readonly store: JobStore,
    private readonly request: Requester,
    private readonly now: () => number = Date.now,
  ) {
    store.subscribe(() => {
      for (const [id, e] of this.expected) {
        if (this.store.iterations.get(id)?.status === e.status) this.expected.delete(id);
      }
    });
  }

  /** The status as far as this browser knows: our unconfirmed change, else the server's. */
  statusOf(iteration: string): IterationStatus | undefined {
    const e = this.expected.get(iteration);
    if (e && e.until > this.now()) return e.status;
    return this.store.iterations.get(iteration)?.status;
  }

  expect(iteration: string, status: IterationStatus): void {
    this.expected.set(iteration, { status, until: this.now() + EXPECTATION_MS });
  }

  forget(iteration: string): void {
    this.expected.delete(iteration);
  }

  /** Apply one result over its region, or several as a grid; undo removes the layers. */
  async apply(ids: string[], layout: "single" | "grid"): Promise<void> {
    const before = new Map(ids.map((id) => [id, this.statusOf(id)]));
    const reply = await this.request({ type: "iteration_apply", ids, layout });
    const items = (reply.type === "request_done" && reply.items) || {};
    const effects: SideEffect[] = [];
    for (const id of ids) {
      const was = before.get(id);
      const item = items[id];
      if (!item || was === "applied") continue; // it was on the canvas already: nothing new
      this.expect(id, "applied");
      effects.push(new ResultChange(this, id, "applied", was === "discarded" ? "discarded" : "staged", { id: item }));
    }
    const n = effects.length;
    if (n) this.host.recordServerAction(n === 1 ? "Apply result" : `Apply ${n} results`, effects);
  }

  /** Hide a result (and remove its layer if it is on the canvas); undo brings both back. */
  async discard(id: string): Promise<void> {
    const was = this.statusOf(id);
    if (was === "discarded") return;
    const layer = this.layerOf(id);
    await this.request({ type: "iteration_discard", id });
    this.expect(id, "discarded");
    const back = was === "applied" && layer ? "applied" : "staged";
    this.host.recordServerAction("Discard result", [new ResultChange(this, id, "discarded", back, layer)]);
  }

  /** Bring a discarded result back to staging; undo discards it again. */
  async restore(id: string): Promise<void> {
    await this.request({ type: "iteration_restore", id });
    this.expect(id, "staged");
    this.host.recordServerAction("Restore result", [new ResultChange(this, id, "staged", "discarded", this.layerOf(id))]);
  }

  /** The live layer a result is on the canvas as, copied (what undo re-creates). */
  layerOf(iteration: string): ItemData | null {
    const id = this.store.iterations.get(iteration)?.applied_item;
    const item = id ? this.host.doc.get(id) : undefined;
    return item ? cloneItem(item) : null;
  }

  get doc(): BoardDocument {
    return this.host.doc;
  }

  /** A request made by undo/redo: its failure is told, and our expectation dropped. */
  send(msg: JobRequestDraft, iteration: string, what: string): void {
    this.request(msg).catch((err: Error) => {
      this.forget(iteration);
      this.host.notify("error", `${what}: ${err.message}`);
    });
  }
}

/**
 * One result moved from `back` to `now` by an action of ours. `layer` is its item: the
 * full copy to re-create when going back to applied, or at least its id.
 */
export class ResultChange implements SideEffect {
  constructor(
    private readonly actions: ResultActions,
    readonly iteration: string,
    readonly now: IterationStatus,
    readonly back: IterationStatus,
    readonly layer: ItemData | { id: string } | null,
  ) {}

  holds(): boolean {
    const doc = this.actions.doc;
    const onCanvas = this.layer !== null && doc.has(this.layer.id);
    const status = this.actions.statusOf(this.iteration);
    if (this.now === "applied") return onCanvas;
    if (this.now === "staged" && this.back === "applied") return !onCanvas && status !== "discarded";
    return status === this.now;
  }

  revert(commit: Commit): SideEffect {
    const { actions, iteration } = this;
    const doc = actions.doc;
    const current = this.layer ? doc.get(this.layer.id) : undefined;
    // What the opposite change re-creates: the layer as it is now (moved, renamed…).
    const snapshot: ItemData | { id: string } | null = current ? cloneItem(current) : this.layer;
    if (this.back === "applied") {
      if (this.layer && "kind" in this.layer && !current) commit([createOp(cloneItem(this.layer))]);
      actions.expect(iteration, "applied");
    } else if (this.back === "staged" && this.now === "applied") {
      if (current) commit([deleteOp(current.id)]);
      actions.expect(iteration, "staged");
    } else if (this.back === "staged") {
      actions.send({ type: "iteration_restore", id: iteration }, iteration, "Undo discard");
      actions.expect(iteration, "staged");
    } else {
      actions.send({ type: "iteration_discard", id: iteration }, iteration, "Discard again");
      actions.expect(iteration, "discarded");
    }
    return new ResultChange(actions, iteration, this.back, this.now, snapshot);
  }
}
