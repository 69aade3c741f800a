import { describe, expect, it } from "vitest";
import { UPLOAD_GAP, firstSlot, nextSlot, uploadSize } from "../src/model/placement";

const VIEW = { x: -500, y: -300, width: 1000, height: 600 };

describe("where uploads land", () => {
  it("scales an image down to fit the part of the board in view, never up", () => {
    expect(uploadSize({ width: 4000, height: 3000 }, VIEW)).toEqual({ width: 640, height: 480 });
    expect(uploadSize({ width: 300, height: 200 }, VIEW)).toEqual({ width: 300, height: 200 });
    // Zoomed far out, the 2048-unit cap still applies.
    expect(uploadSize({ width: 12000, height: 6000 }, { width: 40000, height: 30000 })).toEqual({ width: 2048, height: 1024 });
  });

  it("goes beside the content, top-aligned, or at the drop point, or centred on an empty board", () => {
    const size = { width: 200, height: 100 };
    const content = { x: 0, y: 50, width: 800, height: 400 };
    expect(firstSlot(size, VIEW, content, null)).toEqual({ x: 800 + UPLOAD_GAP, y: 50 });
    expect(firstSlot(size, VIEW, content, { x: 10, y: 20 })).toEqual({ x: 10, y: 20 });
    expect(firstSlot(size, VIEW, null, null)).toEqual({ x: -100, y: -50 });
  });

  it("lines several files up to the right", () => {
    expect(nextSlot({ x: 10, y: 20 }, { width: 300, height: 50 })).toEqual({ x: 10 + 300 + UPLOAD_GAP, y: 20 });
  });
});
