import { describe, expect, it } from "vitest";
import { BoardDocument } from "../src/model/document";
import { SceneIndex } from "../src/model/sceneIndex";
import { item } from "./helpers";

describe("SceneIndex", () => {
  it("follows the document and hit-tests topmost first", () => {
    const doc = new BoardDocument();
    const scene = new SceneIndex(doc);
    doc.applyOps([
      { op: "create", item: item({ id: "low", x: 0, y: 0, width: 100, height: 100, z: 1 }) },
      { op: "create", item: item({ id: "high", x: 50, y: 50, width: 100, height: 100, z: 2 }) },
      { op: "create", item: item({ id: "frame", kind: "frame", x: -500, y: -500, width: 2000, height: 2000, z: 10 }) },
    ]);
    expect(scene.hitTest({ x: 75, y: 75 })?.id).toBe("high");
    expect(scene.hitTest({ x: 10, y: 10 })?.id).toBe("low");
    // Frames are picked by their label strip above the top edge, not their body.
    expect(scene.hitTest({ x: 1000, y: 1000 })).toBeNull();
    expect(scene.hitTest({ x: 0, y: -510 }, 0, 20)?.id).toBe("frame");
    expect(scene.frameAt({ x: 1000, y: 1000 })?.id).toBe("frame");
    doc.applyOps([{ op: "update", id: "high", set: { hidden: true } }]);
    expect(scene.hitTest({ x: 75, y: 75 })?.id).toBe("low");
    doc.applyOps([{ op: "update", id: "low", set: { x: 5000 } }, { op: "delete", id: "high" }]);
    expect(scene.hitTest({ x: 10, y: 10 })).toBeNull();
    expect(scene.visible({ x: 4900, y: 0, width: 300, height: 300 }).has("low")).toBe(true);
  });

  it("marquee selects touched items but frames only when enclosed", () => {
    const doc = new BoardDocument();
    const scene = new SceneIndex(doc);
    doc.reset([
      item({ id: "a", x: 0, y: 0, width: 100, height: 100 }),
      item({ id: "b", x: 300, y: 0, width: 100, height: 100 }),
      item({ id: "f", kind: "frame", x: -10, y: -10, width: 500, height: 500 }),
    ]);
    expect(scene.inRect({ x: 50, y: 50, width: 300, height: 10 }).sort()).toEqual(["a", "b"]);
    expect(scene.inRect({ x: -20, y: -20, width: 600, height: 600 }).sort()).toEqual(["a", "b", "f"]);
    expect(scene.contentBounds()).toEqual({ x: -10, y: -10, width: 500, height: 500 });
  });
});
