import { describe, expect, it } from "vitest";
import { Editor } from "../src/editor";
import { SyncState } from "../src/realtime/sync";
import { resolveShortcut, runCommand } from "../src/tools/shortcuts";
import { FakeRenderer } from "./fakeRenderer";
import { item } from "./helpers";

function editor(canEdit = true) {
  const sync = new SyncState();
  const renderer = new FakeRenderer();
  const ed = new Editor(sync, renderer, canEdit);
  let flushes = 0;
  ed.connect({ flush: () => (flushes += 1) });
  sync.onSnapshot({ type: "snapshot", revision: 1, items: [item({ id: "a", x: 0, y: 0 }), item({ id: "b", x: 200, y: 0, z: 50 })] });
  ed.setViewportSize({ width: 1000, height: 800 });
  return { ed, sync, renderer, flushes: () => flushes };
}

const key = (k: string, mods: Partial<{ meta: boolean; shift: boolean; code: string }> = {}) =>
  resolveShortcut({ key: k, code: mods.code, metaKey: !!mods.meta, ctrlKey: false, shiftKey: !!mods.shift, altKey: false });

describe("shortcut table", () => {
  it("maps Figma-style keys to commands", () => {
    expect(key("z", { meta: true })).toBe("undo");
    expect(key("Z", { meta: true, shift: true })).toBe("redo");
    expect(key("0", { meta: true })).toBe("zoom-100");
    expect(key("!", { shift: true, code: "Digit1" })).toBe("zoom-fit");
    expect(key("@", { shift: true, code: "Digit2" })).toBe("zoom-selection");
    expect(key("ArrowLeft", { shift: true })).toBe("nudge-left-10");
    expect(key("]")).toBe("forward");
    expect(key("d", { meta: true })).toBe("duplicate");
    expect(key("F")).toBe("tool-frame");
    expect(key("q")).toBeNull();
  });
});

describe("Editor", () => {
  it("renders the document and keeps the renderer in step with remote changes", () => {
    const { renderer, sync } = editor();
    expect([...renderer.items.keys()].sort()).toEqual(["a", "b"]);
    sync.onApplied({ revision: 2, actor: { id: 9, name: "X" }, ops: [{ op: "delete", id: "b" }] });
    expect(renderer.items.has("b")).toBe(false);
  });

  it("runs shortcuts as undoable, sent edits", () => {
    const { ed, sync, flushes } = editor();
    ed.select(["a"]);
    const help = () => {};
    runCommand(ed, "nudge-right-10", help);
    expect(ed.doc.get("a")?.x).toBe(10);
    expect(sync.pendingBatches).toHaveLength(1);
    expect(flushes()).toBe(1);
    runCommand(ed, "duplicate", help);
    expect(ed.doc.size).toBe(3);
    expect(ed.selection.has("a")).toBe(false);
    runCommand(ed, "undo", help);
    expect(ed.doc.size).toBe(2);
    runCommand(ed, "undo", help);
    expect(ed.doc.get("a")?.x).toBe(0);
    runCommand(ed, "redo", help);
    expect(ed.doc.get("a")?.x).toBe(10);
  });

  it("read-only mode never changes or sends anything", () => {
    const { ed, sync, renderer } = editor(false);
    expect(renderer.editable).toBe(false);
    ed.select(["a"]);
    for (const c of ["nudge-right", "delete", "duplicate", "forward", "undo", "tool-frame"] as const) {
      expect(runCommand(ed, c, () => {})).toBe(false);
    }
    renderer.transformEnd([{ id: "a", x: 5, y: 5, width: 10, height: 10, rotation: 0 }]);
    expect(sync.pendingBatches).toHaveLength(0);
    expect(ed.doc.get("a")?.x).toBe(0);
    expect(ed.tool).toBe("select");
    // Inspecting and navigating still work.
    expect(runCommand(ed, "zoom-selection", () => {})).toBe(true);
    expect(ed.camera.zoom).toBeGreaterThan(1);
  });

  it("drops a refused batch from undo and tells the user why", () => {
    const { ed, sync } = editor();
    ed.select(["a"]);
    runCommand(ed, "nudge-down", () => {});
    const batch = sync.pendingBatches[0]!;
    sync.onError(batch.batchId, "item_deleted", "That item was deleted");
    ed.batchRejected(batch.batchId, "That item was deleted");
    expect(ed.history.canUndo).toBe(false);
    expect(ed.doc.get("a")?.y).toBe(0);
    expect(ed.lastNotice).toEqual({ kind: "error", text: "That item was deleted" });
  });

  it("applies transform handle results as one Resize action", () => {
    const { ed, renderer } = editor();
    renderer.transformEnd([{ id: "a", x: 1, y: 2, width: 300, height: 300, rotation: 0 }]);
    expect(ed.doc.get("a")).toMatchObject({ x: 1, y: 2, width: 300, height: 300 });
    expect(ed.history.undoNames).toEqual(["Resize"]);
  });

  it("zoom to fit frames the whole board", () => {
    const { ed } = editor();
    ed.zoomToFit();
    const tl = ed.toBoard({ x: 0, y: 0 });
    const br = ed.toBoard({ x: 1000, y: 800 });
    expect(tl.x).toBeLessThanOrEqual(0);
    expect(br.x).toBeGreaterThanOrEqual(300);
  });
});

describe("batch splitting", () => {
  it("keeps every batch under 500 ops and the frame size limit", async () => {
    const { splitBatches, MAX_BATCH_BYTES } = await import("../src/editor");
    const big = Array.from({ length: 1200 }, (_, i) => ({ op: "update" as const, id: `i${i}`, set: { x: i } }));
    expect(splitBatches(big).map((b) => b.length)).toEqual([500, 500, 200]);
    const heavy = Array.from({ length: 10 }, (_, i) => ({ op: "update" as const, id: `t${i}`, set: { props: { text: "x".repeat(60_000) } } }));
    const batches = splitBatches(heavy);
    expect(batches.flat()).toHaveLength(10);
    for (const b of batches) expect(JSON.stringify(b).length).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it("refuses a single operation that could never be sent", () => {
    const { ed, sync } = editor();
    ed.select(["a"]);
    ed.setSelectedProps({ props: { text: "x".repeat(300_000) } }, "Edit text");
    expect(sync.pendingBatches).toHaveLength(0);
    expect(ed.lastNotice?.kind).toBe("error");
  });
});
