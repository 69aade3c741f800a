import { describe, expect, it } from "vitest";
import type { JobReply, JobRequestDraft } from "../src/jobs/client";
import { type IterationPayload, JobStore } from "../src/jobs/model";
import { ResultActions } from "../src/jobs/resultActions";
import { BoardDocument } from "../src/model/document";
import { History, type SideEffect } from "../src/model/history";
import type { Operation } from "../src/protocol";
import { item } from "./helpers";

function result(extra: Partial<IterationPayload> = {}): IterationPayload {
  return {
    id: "r1",
    board: "b",
    job: "j",
    index: 0,
    asset: "asset-r1",
    source_asset: "src",
    parent: null,
    region: { x: 10, y: 20, width: 100, height: 80 },
    status: "staged",
    applied_item: null,
    is_current: false,
    seed: 1,
    provenance: {},
    created_at: "2026-12-01T10:00:00Z",
    consistency: null,
    ...extra,
  };
}

/**
 * A board with one staged result and a fake server: requests are recorded and answered;
 * the test plays the server's broadcasts (the applied batch, the iteration status).
 */
function setup() {
  const doc = new BoardDocument();
  const history = new History(doc);
  const store = new JobStore();
  store.putIteration(result());
  const requests: JobRequestDraft[] = [];
  const sent: Operation[][] = [];
  const notices: string[] = [];
  let fail: string | null = null;
  const request = async (msg: JobRequestDraft): Promise<JobReply> => {
    requests.push(msg);
    if (fail) throw new Error(fail);
    const items = msg.type === "iteration_apply" ? Object.fromEntries(msg.ids.map((id) => [id, `layer-${id}`])) : null;
    return { type: "request_done", request_id: "x", request: msg.type, items };
  };
  const host = {
    doc,
    recordServerAction: (name: string, effects: SideEffect[]) => history.record({ name, forward: [], inverse: [], effects }),
    notify: (_kind: "info" | "error", text: string) => notices.push(text),
  };
  let clock = 0;
  const actions = new ResultActions(host, store, request, () => clock);
  const commit = (ops: Operation[]) => {
    doc.applyOps(ops);
    sent.push(ops);
    return undefined;
  };
  /** What the server broadcasts after it placed result `id` as its layer. */
  const serverApplied = (id = "r1") => {
    doc.applyOps([{ op: "create", item: item({ id: `layer-${id}`, x: 10, y: 20, width: 100, height: 80, props: { iteration: id } }) }]);
    store.putIteration({ ...store.iterations.get(id)!, status: "applied", applied_item: `layer-${id}` });
  };
  const serverStatus = (status: IterationPayload["status"], id = "r1") =>
    store.putIteration({ ...store.iterations.get(id)!, status });
  return {
    doc, history, store, actions, requests, sent, notices, commit, serverApplied, serverStatus,
    failRequests: (why: string | null) => (fail = why),
    tick: (ms: number) => (clock += ms),
  };
}

describe("undoable result actions", () => {
  it("apply is undone by removing its layer and redone by re-creating the same layer", async () => {
    const t = setup();
    await t.actions.apply(["r1"], "single");
    t.serverApplied();
    expect(t.history.undoNames).toEqual(["Apply result"]);

    // The author moves the layer, then undoes the move and the apply.
    t.doc.applyOps([{ op: "update", id: "layer-r1", set: { x: 300 } }]);
    expect(t.history.undo(t.commit)).toBe("Apply result");
    expect(t.doc.has("layer-r1")).toBe(false);
    expect(t.sent.at(-1)).toEqual([{ op: "delete", id: "layer-r1" }]); // a normal batch
    expect(t.actions.statusOf("r1")).toBe("staged"); // before the server confirms
    expect(t.requests).toHaveLength(1); // only the apply itself went out as a request

    // Redo before the server's broadcast arrives still works, with the same id and place.
    expect(t.history.redo(t.commit)).toBe("Apply result");
    expect(t.sent.at(-1)).toMatchObject([{ op: "create", item: { id: "layer-r1", x: 300, props: { iteration: "r1" } } }]);
    expect(t.actions.statusOf("r1")).toBe("applied");
  });

  it("applying several results is one entry that removes every layer", async () => {
    const t = setup();
    t.store.putIteration(result({ id: "r2", index: 1 }));
    await t.actions.apply(["r1", "r2"], "grid");
    t.serverApplied("r1");
    t.serverApplied("r2");
    expect(t.history.undoNames).toEqual(["Apply 2 results"]);
    t.history.undo(t.commit);
    expect(t.doc.has("layer-r1") || t.doc.has("layer-r2")).toBe(false);
    t.history.redo(t.commit);
    expect(t.doc.has("layer-r1") && t.doc.has("layer-r2")).toBe(true);
  });

  it("a result that was on the canvas already is not recorded again", async () => {
    const t = setup();
    t.serverApplied();
    await t.actions.apply(["r1"], "single");
    expect(t.history.canUndo).toBe(false);
  });

  it("undo skips an apply whose layer someone else removed since", async () => {
    const t = setup();
    await t.actions.apply(["r1"], "single");
    t.serverApplied();
    t.doc.applyOps([{ op: "delete", id: "layer-r1" }]); // another user deletes it
    t.serverStatus("staged");
    expect(t.history.undo(t.commit)).toBeNull();
    expect(t.sent).toEqual([]);
  });

  it("discarding a staged result is undone by restore and redone by discard", async () => {
    const t = setup();
    await t.actions.discard("r1");
    t.serverStatus("discarded");
    expect(t.history.undo(t.commit)).toBe("Discard result");
    expect(t.requests.at(-1)).toEqual({ type: "iteration_restore", id: "r1" });
    expect(t.actions.statusOf("r1")).toBe("staged");
    expect(t.history.redo(t.commit)).toBe("Discard result");
    expect(t.requests.at(-1)).toEqual({ type: "iteration_discard", id: "r1" });
  });

  it("discarding an applied result is undone by re-creating its layer where it was", async () => {
    const t = setup();
    t.serverApplied();
    t.doc.applyOps([{ op: "update", id: "layer-r1", set: { x: 555, name: "Hero" } }]);
    await t.actions.discard("r1");
    // The server removed the layer and discarded the result.
    t.doc.applyOps([{ op: "delete", id: "layer-r1" }]);
    t.serverStatus("discarded");
    t.history.undo(t.commit);
    expect(t.sent.at(-1)).toMatchObject([{ op: "create", item: { id: "layer-r1", x: 555, name: "Hero" } }]);
    expect(t.requests.map((r) => r.type)).toEqual(["iteration_discard"]); // no restore request
    t.serverStatus("applied");
    t.history.redo(t.commit);
    expect(t.requests.at(-1)).toEqual({ type: "iteration_discard", id: "r1" });
  });

  it("restore is undone by discarding again", async () => {
    const t = setup();
    t.serverStatus("discarded");
    await t.actions.restore("r1");
    t.serverStatus("staged");
    expect(t.history.undo(t.commit)).toBe("Restore result");
    expect(t.requests.at(-1)).toEqual({ type: "iteration_discard", id: "r1" });
  });

  it("undo leaves a result alone when someone else changed its status since", async () => {
    const t = setup();
    await t.actions.discard("r1");
    t.serverStatus("discarded");
    t.serverStatus("staged"); // another user restored it
    expect(t.history.undo(t.commit)).toBeNull();
    expect(t.requests).toHaveLength(1);
  });

  it("a refused request records nothing; a refused undo is told and not trusted", async () => {
    const t = setup();
    t.failRequests("This result was discarded by someone else.");
    await expect(t.actions.discard("r1")).rejects.toThrow("someone else");
    expect(t.history.canUndo).toBe(false);

    t.failRequests(null);
    await t.actions.discard("r1");
    t.serverStatus("discarded");
    t.failRequests("Only discarded results can be restored.");
    t.history.undo(t.commit);
    await new Promise((r) => setTimeout(r, 0));
    expect(t.notices.at(-1)).toContain("Only discarded results can be restored.");
    expect(t.actions.statusOf("r1")).toBe("discarded"); // the server's word again
  });

  it("an expectation the server never confirms expires", async () => {
    const t = setup();
    await t.actions.discard("r1");
    expect(t.actions.statusOf("r1")).toBe("discarded");
    t.tick(60_000);
    expect(t.actions.statusOf("r1")).toBe("staged");
  });
});
