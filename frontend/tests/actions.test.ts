import { describe, expect, it } from "vitest";
import { BoardDocument } from "../src/model/document";
import { deleteItems, duplicateItems, frameContents, moveBy, reorder, reorderTo, setProps } from "../src/model/actions";
import { item } from "./helpers";

function board() {
  const doc = new BoardDocument();
  doc.applyOps(
    [
      item({ id: "frame", kind: "frame", x: 0, y: 0, width: 1000, height: 1000, z: 1 }),
      item({ id: "inside", x: 100, y: 100, width: 100, height: 100, z: 2 }),
      item({ id: "straddling", x: 950, y: 100, width: 100, height: 100, z: 3 }),
      item({ id: "locked", x: 200, y: 200, z: 4, locked: true }),
      item({ id: "outside", x: 5000, y: 0, z: 5 }),
    ].map((i) => ({ op: "create" as const, item: i })),
  );
  return doc;
}

describe("actions", () => {
  it("moving a frame carries the unlocked items fully inside it", () => {
    const doc = board();
    expect(frameContents(doc, doc.get("frame")!)).toEqual(["inside"]);
    const action = moveBy(doc, ["frame"], 10, -5);
    expect(action.ops.map((o) => (o.op === "update" ? o.id : "")).sort()).toEqual(["frame", "inside"]);
    doc.applyOps(action.ops);
    expect(doc.get("inside")).toMatchObject({ x: 110, y: 95 });
    expect(doc.get("locked")).toMatchObject({ x: 200, y: 200 });
  });

  it("never moves or deletes locked items", () => {
    const doc = board();
    expect(moveBy(doc, ["locked"], 5, 5).ops).toEqual([]);
    expect(deleteItems(doc, ["locked", "outside"]).ops).toEqual([{ op: "delete", id: "outside" }]);
  });

  it("duplicates above everything with fresh ids and an offset", () => {
    const doc = board();
    const { action, newIds } = duplicateItems(doc, ["inside", "outside"]);
    expect(newIds).toHaveLength(2);
    doc.applyOps(action.ops);
    const top = doc.ordered().slice(-2);
    expect(top.map((i) => i.id)).toEqual(newIds);
    expect(top[0]).toMatchObject({ x: 124, y: 124 });
    expect(new Set(newIds).has("inside")).toBe(false);
  });

  it("setProps sends only properties that change", () => {
    const doc = board();
    const a = setProps(doc, ["inside", "outside"], { anchor_role: "palette" }, "Mark anchor");
    expect(a.ops).toHaveLength(2);
    doc.applyOps(a.ops);
    expect(setProps(doc, ["inside"], { anchor_role: "palette" }, "Mark anchor").ops).toEqual([]);
  });

  it("reorders with single z updates", () => {
    const doc = board();
    const a = reorder(doc, ["inside"], 1);
    expect(a.ops).toHaveLength(1);
    doc.applyOps(a.ops);
    expect(doc.ordered().map((i) => i.id)).toEqual(["frame", "straddling", "inside", "locked", "outside"]);
  });
});

describe("reorderTo (layers panel drag)", () => {
  it("puts the dragged items, in their order, into the gap between two neighbours", () => {
    const doc = new BoardDocument();
    doc.reset(["a", "b", "c", "d"].map((id, i) => item({ id, z: i + 1 })));
    // Drag a and b (bottom two) between c and d.
    doc.applyOps(reorderTo(doc, ["b", "a"], "d", "c").ops);
    expect(doc.ordered().map((i) => i.id)).toEqual(["c", "a", "b", "d"]);
    // Drag d to the very bottom (no item below the gap).
    doc.applyOps(reorderTo(doc, ["d"], "c", null).ops);
    expect(doc.ordered().map((i) => i.id)).toEqual(["d", "c", "a", "b"]);
    // And c to the very top.
    doc.applyOps(reorderTo(doc, ["c"], null, "b").ops);
    expect(doc.ordered().map((i) => i.id)).toEqual(["d", "a", "b", "c"]);
  });
});
