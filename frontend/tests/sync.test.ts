import { describe, expect, it } from "vitest";
import { SyncState } from "../src/realtime/sync";
import { item } from "./helpers";

const alice = { id: 2, name: "Alice" };

function loaded() {
  const rejected: string[] = [];
  const sync = new SyncState({ onRejected: (b, code) => rejected.push(`${b.batchId}:${code}`) });
  sync.onSnapshot({ type: "snapshot", revision: 5, items: [item({ id: "a", x: 0 }), item({ id: "b", x: 0 })] });
  return { sync, rejected };
}

describe("SyncState", () => {
  it("applies local edits optimistically and confirms them on ack", () => {
    const { sync } = loaded();
    const { batch } = sync.local([{ op: "update", id: "a", set: { x: 10 } }], "b1");
    expect(sync.visible.get("a")?.x).toBe(10);
    expect(sync.confirmed.get("a")?.x).toBe(0);
    expect(sync.unsentMessages()).toEqual([{ type: "ops", batch_id: "b1", ops: batch.ops }]);
    expect(sync.unsentMessages()).toEqual([]);
    sync.onAck("b1", 6);
    expect(sync.confirmed.get("a")?.x).toBe(10);
    expect(sync.pendingBatches).toHaveLength(0);
    expect(sync.revision).toBe(6);
  });

  it("rolls back a refused batch to server state, keeping other pending edits", () => {
    const { sync, rejected } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 10, name: "x" } }], "b1");
    sync.local([{ op: "update", id: "a", set: { y: 7 } }], "b2");
    sync.local([{ op: "delete", id: "b" }], "b3");
    sync.onError("b1", "bad_message", "nope");
    expect(sync.visible.get("a")).toMatchObject({ x: 0, name: "", y: 7 });
    sync.onError("b3", "forbidden", "viewer");
    expect(sync.visible.has("b")).toBe(true);
    expect(rejected).toEqual(["b1:bad_message", "b3:forbidden"]);
  });

  it("keeps in-flight local edits on top of remote batches (ours commit later)", () => {
    const { sync } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 10 } }], "b1");
    sync.onApplied({ revision: 6, actor: alice, ops: [{ op: "update", id: "a", set: { x: 99, y: 3 } }] });
    expect(sync.visible.get("a")).toMatchObject({ x: 10, y: 3 });
    expect(sync.confirmed.get("a")).toMatchObject({ x: 99, y: 3 });
    sync.onAck("b1", 7);
    expect(sync.confirmed.get("a")).toMatchObject({ x: 10, y: 3 });
    expect(sync.revision).toBe(7);
  });

  it("old state + catch-up equals the new state, and duplicates are ignored", () => {
    const { sync } = loaded();
    const batches = [
      { revision: 6, actor: alice, ops: [{ op: "create" as const, item: item({ id: "c" }) }] },
      { revision: 7, actor: alice, ops: [{ op: "update" as const, id: "c", set: { x: 5 } }] },
    ];
    sync.onApplied(batches[0]!);
    sync.onCatchup({ type: "catchup", from_revision: 5, revision: 7, batches });
    expect(sync.visible.get("c")?.x).toBe(5);
    expect(sync.revision).toBe(7);
    sync.onApplied({ revision: 7, actor: alice, ops: [{ op: "update", id: "c", set: { x: 1 } }] });
    expect(sync.visible.get("c")?.x).toBe(5);
  });

  it("only advances the sync revision over contiguous revisions", () => {
    const { sync } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 1 } }], "b1");
    sync.onAck("b1", 7); // revision 6 (someone else's) not seen yet
    expect(sync.revision).toBe(5);
    sync.onApplied({ revision: 6, actor: alice, ops: [] });
    expect(sync.revision).toBe(7);
  });

  it("holds batches above a gap until it is filled, so the older batch never wins", () => {
    const { sync } = loaded();
    sync.local([{ op: "update", id: "b", set: { x: 3 } }], "mine");
    sync.onApplied({ revision: 7, actor: alice, ops: [{ op: "update", id: "a", set: { x: 7 } }] });
    sync.onAck("mine", 8);
    expect(sync.revision).toBe(5);
    expect(sync.confirmed.get("a")?.x).toBe(0); // held, not applied out of order
    // Revision 6 (lost live, here from a catch-up) set both items; 7 and 8 came later.
    const six = { revision: 6, actor: alice, ops: [{ op: "update" as const, id: "a", set: { x: 6 } }, { op: "update" as const, id: "b", set: { x: 6 } }] };
    sync.onCatchup({ type: "catchup", from_revision: 5, revision: 6, batches: [six] });
    expect(sync.revision).toBe(8);
    for (const doc of [sync.confirmed, sync.visible]) {
      expect(doc.get("a")?.x).toBe(7);
      expect(doc.get("b")?.x).toBe(3);
    }
  });

  it("marks sent batches unsent after a disconnect so they are resent", () => {
    const { sync } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 1 } }], "b1");
    expect(sync.unsentMessages()).toHaveLength(1);
    sync.markAllUnsent();
    expect(sync.unsentMessages().map((m) => m.batch_id)).toEqual(["b1"]);
  });
});

describe("resend after a lost ack", () => {
  it("does not resurrect stale values when the server acks an already caught-up batch", () => {
    const { sync } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 5 } }], "b1");
    sync.unsentMessages();
    sync.markAllUnsent(); // socket dropped before the ack
    // Catch-up: our batch committed as 6, then someone else moved the item at 7.
    sync.onCatchup({
      type: "catchup",
      from_revision: 5,
      revision: 7,
      batches: [
        { revision: 6, actor: { id: 1, name: "Me" }, ops: [{ op: "update", id: "a", set: { x: 5 } }] },
        { revision: 7, actor: alice, ops: [{ op: "update", id: "a", set: { x: 42 } }] },
      ],
    });
    expect(sync.unsentMessages().map((m) => m.batch_id)).toEqual(["b1"]);
    // The server recognises the batch id and acks with the original revision.
    sync.onAck("b1", 6);
    expect(sync.pendingBatches).toHaveLength(0);
    expect(sync.confirmed.get("a")?.x).toBe(42);
    expect(sync.visible.get("a")?.x).toBe(42);
    expect(sync.revision).toBe(7);
  });

  it("keeps a rate-limited batch and marks it for resending", () => {
    const { sync, rejected } = loaded();
    sync.local([{ op: "update", id: "a", set: { x: 5 } }], "b1");
    sync.unsentMessages();
    expect(sync.onRateLimited("b1")).toBe(true);
    expect(sync.visible.get("a")?.x).toBe(5);
    expect(sync.unsentMessages().map((m) => m.batch_id)).toEqual(["b1"]);
    expect(rejected).toEqual([]);
  });

  it("makes batch ids unique and within 64 characters", async () => {
    const { newBatchId } = await import("../src/realtime/sync");
    const ids = new Set(Array.from({ length: 1000 }, () => newBatchId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(64);
  });
});
