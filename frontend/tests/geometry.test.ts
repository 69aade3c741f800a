import { describe, expect, it } from "vitest";
import {
  MAX_ZOOM,
  MIN_ZOOM,
  boardToScreen,
  clampZoom,
  fitRect,
  lockAspect,
  placementBounds,
  placementContainsPoint,
  rectFromPoints,
  rectIntersection,
  rectsIntersect,
  regionInItemPixels,
  screenToBoard,
  visibleBoardRect,
  zoomAt,
} from "../src/model/geometry";

describe("camera", () => {
  it("round-trips board and screen points", () => {
    const cam = { panX: 120, panY: -40, zoom: 2.5 };
    const p = { x: 33, y: -7 };
    const back = screenToBoard(cam, boardToScreen(cam, p));
    expect(back.x).toBeCloseTo(33);
    expect(back.y).toBeCloseTo(-7);
    expect(boardToScreen(cam, { x: 0, y: 0 })).toEqual({ x: 120, y: -40 });
  });

  it("clamps zoom to 2%–3200%", () => {
    expect(clampZoom(0.0001)).toBe(MIN_ZOOM);
    expect(clampZoom(1000)).toBe(MAX_ZOOM);
    expect(MIN_ZOOM).toBe(0.02);
    expect(MAX_ZOOM).toBe(32);
    expect(clampZoom(Number.NaN)).toBe(1);
  });

  it("zooms to the cursor: the board point under it stays put", () => {
    const cam = { panX: 10, panY: 20, zoom: 1 };
    const cursor = { x: 300, y: 200 };
    const before = screenToBoard(cam, cursor);
    const next = zoomAt(cam, cursor, 4);
    expect(next.zoom).toBe(4);
    const after = screenToBoard(next, cursor);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
    expect(zoomAt(cam, cursor, 999).zoom).toBe(MAX_ZOOM);
  });

  it("fits a rectangle centred with padding and never above maxZoom", () => {
    const cam = fitRect({ x: 1000, y: 1000, width: 2000, height: 1000 }, { width: 1096, height: 800 }, 48);
    expect(cam.zoom).toBeCloseTo(0.5);
    const centre = boardToScreen(cam, { x: 2000, y: 1500 });
    expect(centre.x).toBeCloseTo(548);
    expect(centre.y).toBeCloseTo(400);
    expect(fitRect({ x: 0, y: 0, width: 10, height: 10 }, { width: 800, height: 600 }).zoom).toBe(1);
  });

  it("reports the visible board rectangle", () => {
    const r = visibleBoardRect({ panX: -200, panY: 100, zoom: 2 }, { width: 800, height: 600 });
    expect(r).toEqual({ x: 100, y: -50, width: 400, height: 300 });
  });
});

describe("rotated items", () => {
  it("computes bounds of a 90° rotation about the top-left", () => {
    const b = placementBounds({ x: 10, y: 10, width: 100, height: 50, rotation: 90 });
    expect(b.x).toBeCloseTo(-40);
    expect(b.y).toBeCloseTo(10);
    expect(b.width).toBeCloseTo(50);
    expect(b.height).toBeCloseTo(100);
  });

  it("hit-tests inside the rotated shape, not its bounding box", () => {
    const p = { x: 0, y: 0, width: 100, height: 10, rotation: 45 };
    expect(placementContainsPoint(p, { x: 30, y: 32 })).toBe(true);
    // Inside the axis-aligned bounds but outside the thin rotated bar.
    expect(placementContainsPoint(p, { x: 60, y: 5 })).toBe(false);
    expect(placementContainsPoint({ ...p, rotation: 0 }, { x: 60, y: 5 })).toBe(true);
  });
});

describe("rectangles and regions", () => {
  it("normalises drags in any direction and intersects", () => {
    const r = rectFromPoints({ x: 50, y: 80 }, { x: 10, y: 20 });
    expect(r).toEqual({ x: 10, y: 20, width: 40, height: 60 });
    expect(rectsIntersect(r, { x: 49, y: 0, width: 10, height: 30 })).toBe(true);
    expect(rectsIntersect(r, { x: 51, y: 0, width: 10, height: 30 })).toBe(false);
    expect(rectIntersection(r, { x: 0, y: 0, width: 20, height: 30 })).toEqual({ x: 10, y: 20, width: 10, height: 10 });
    expect(rectIntersection(r, { x: 100, y: 100, width: 1, height: 1 })).toBeNull();
  });

  it("maps a board region into source pixels of a scaled image", () => {
    // A 2000×1000 image shown at half size at (100, 100).
    const px = regionInItemPixels(
      { x: 100, y: 100, width: 1000, height: 500, rotation: 0 },
      { width: 2000, height: 1000 },
      { x: 50, y: 150, width: 200, height: 100 },
    );
    expect(px).toEqual({ x: 0, y: 100, width: 300, height: 200 });
    expect(
      regionInItemPixels({ x: 0, y: 0, width: 10, height: 10, rotation: 0 }, { width: 10, height: 10 }, { x: 50, y: 50, width: 5, height: 5 }),
    ).toBeNull();
  });

  it("locks aspect following the edge that moved most", () => {
    expect(lockAspect({ width: 200, height: 100 }, { width: 400, height: 120 })).toEqual({ width: 400, height: 200 });
    expect(lockAspect({ width: 200, height: 100 }, { width: 210, height: 300 })).toEqual({ width: 600, height: 300 });
  });
});
