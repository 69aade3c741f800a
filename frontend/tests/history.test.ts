import { describe, expect, it } from "vitest";
import { BoardDocument } from "../src/model/document";
import { History } from "../src/model/history";
import { deleteItems, moveBy, setProps } from "../src/model/actions";
import type { Operation } from "../src/protocol";
import { item } from "./helpers";

function setup() {
  const doc = new BoardDocument();
  doc.applyOps([{ op: "create", item: item({ id: "a", x: 0, y: 0 }) }, { op: "create", item: item({ id: "b", x: 500 }) }]);
  const history = new History(doc);
  const sent: Operation[][] = [];
  const commit = (ops: Operation[]) => {
    doc.applyOps(ops);
    sent.push(ops);
    return undefined;
  };
  const run = (action: { name: string; ops: Operation[] }) => {
    const inverse = doc.applyOps(action.ops);
    history.record({ name: action.name, forward: action.ops, inverse });
  };
  return { doc, history, commit, run, sent };
}

describe("History", () => {
  it("undoes and redoes a named local action", () => {
    const { doc, history, commit, run } = setup();
    run(moveBy(doc, ["a"], 10, 5));
    expect(doc.get("a")).toMatchObject({ x: 10, y: 5 });
    expect(history.undo(commit)).toBe("Move");
    expect(doc.get("a")).toMatchObject({ x: 0, y: 0 });
    expect(history.redo(commit)).toBe("Move");
    expect(doc.get("a")).toMatchObject({ x: 10, y: 5 });
  });

  it("restores deleted items on undo", () => {
    const { doc, history, commit, run } = setup();
    const before = doc.get("b");
    run(deleteItems(doc, ["b"]));
    expect(doc.has("b")).toBe(false);
    history.undo(commit);
    expect(doc.get("b")).toEqual(before);
  });

  it("remote changes never enter the stack", () => {
    const { doc, history, commit, run } = setup();
    run(setProps(doc, ["a"], { name: "mine" }, "Rename"));
    doc.applyOps([{ op: "update", id: "b", set: { name: "theirs" } }]); // remote
    history.undo(commit);
    expect(doc.get("a")?.name).toBe("");
    expect(doc.get("b")?.name).toBe("theirs");
    expect(history.canUndo).toBe(false);
  });

  it("undo after a remote change to the same property keeps their value, reverts the rest", () => {
    const { doc, history, commit, run, sent } = setup();
    run(moveBy(doc, ["a"], 10, 20)); // we set x=10, y=20
    doc.applyOps([{ op: "update", id: "a", set: { x: 999 } }]); // someone else moves x later
    history.undo(commit);
    expect(doc.get("a")).toMatchObject({ x: 999, y: 0 });
    expect(sent.at(-1)).toEqual([{ op: "update", id: "a", set: { y: 0 } }]);
    // Redo re-applies only what undo changed.
    history.redo(commit);
    expect(doc.get("a")).toMatchObject({ x: 999, y: 20 });
  });

  it("skips actions whose items were deleted by someone else", () => {
    const { doc, history, commit, run } = setup();
    run(setProps(doc, ["b"], { opacity: 0.5 }, "Opacity"));
    run(moveBy(doc, ["a"], 1, 1));
    doc.applyOps([{ op: "delete", id: "a" }]); // remote delete
    expect(history.undo(commit)).toBe("Opacity");
    expect(doc.has("a")).toBe(false);
    expect(doc.get("b")?.opacity).toBe(1);
  });

  it("forgets a batch the server refused and clears redo on new actions", () => {
    const { doc, history, commit, run } = setup();
    run(moveBy(doc, ["a"], 1, 1));
    history.undo(commit);
    expect(history.canRedo).toBe(true);
    run(moveBy(doc, ["b"], 1, 1));
    expect(history.canRedo).toBe(false);
    history.record({ name: "Bad", forward: [{ op: "delete", id: "a" }], inverse: [], batchIds: ["x1"] });
    history.dropBatch("x1");
    expect(history.undoNames).toEqual(["Move"]);
  });
});
