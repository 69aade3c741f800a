import { describe, expect, it } from "vitest";
import { BoardDocument } from "../src/model/document";
import { item } from "./helpers";

describe("BoardDocument", () => {
  it("applies create/update/delete and returns inverses that undo them", () => {
    const doc = new BoardDocument();
    const a = item({ id: "a", z: 2 });
    const b = item({ id: "b", z: 1 });
    const inv1 = doc.applyOps([{ op: "create", item: a }, { op: "create", item: b }]);
    expect(doc.ordered().map((i) => i.id)).toEqual(["b", "a"]);
    const inv2 = doc.applyOps([{ op: "update", id: "a", set: { x: 50, z: 0, props: { text: "hi" } } }]);
    expect(doc.get("a")).toMatchObject({ x: 50, z: 0, props: { text: "hi" } });
    expect(doc.ordered().map((i) => i.id)).toEqual(["a", "b"]);
    const inv3 = doc.applyOps([{ op: "delete", id: "b" }]);
    expect(doc.has("b")).toBe(false);

    doc.applyOps(inv3);
    expect(doc.get("b")).toEqual(b);
    doc.applyOps(inv2);
    expect(doc.get("a")).toEqual(a);
    doc.applyOps(inv1);
    expect(doc.size).toBe(0);
  });

  it("skips updates and deletes of missing items without inverse", () => {
    const doc = new BoardDocument();
    expect(doc.applyOps([{ op: "update", id: "nope", set: { x: 1 } }, { op: "delete", id: "nope" }])).toEqual([]);
  });

  it("notifies listeners once per applyOps with the changed ids", () => {
    const doc = new BoardDocument();
    const changes: { up: string[]; rm: string[] }[] = [];
    doc.subscribe((c) => changes.push({ up: [...c.upserted], rm: [...c.removed] }));
    doc.applyOps([{ op: "create", item: item({ id: "a" }) }, { op: "create", item: item({ id: "b" }) }, { op: "delete", id: "b" }]);
    expect(changes).toEqual([{ up: ["a"], rm: ["b"] }]);
  });

  it("does not let callers mutate stored items through the op they passed", () => {
    const doc = new BoardDocument();
    const a = item({ id: "a", props: { text: "x" } });
    doc.applyOps([{ op: "create", item: a }]);
    (a.props as { text: string }).text = "changed";
    expect(doc.get("a")?.props).toEqual({ text: "x" });
  });
});
