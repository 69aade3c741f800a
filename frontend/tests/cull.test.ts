import { describe, expect, it } from "vitest";
import { DRAW_MARGIN_PX, cullRects, dotsPerTile, gridPlacement } from "../src/model/cull";
import { rectsIntersect, visibleBoardRect } from "../src/model/geometry";
import { SpatialIndex } from "../src/model/spatialIndex";

/** The comparison bench's board: 2,000 items of 256 units, 272 apart, 50 × 40, centred. */
function benchBoard(): SpatialIndex {
  const index = new SpatialIndex(1024);
  for (let i = 0; i < 2000; i++) {
    index.upsert(`i${i}`, { x: ((i % 50) - 25) * 272, y: (Math.floor(i / 50) - 20) * 272, width: 256, height: 256 });
  }
  return index;
}

describe("cullRects", () => {
  const size = { width: 1282, height: 800 };
  const camera = { panX: 641, panY: 400, zoom: 0.25 };

  it("draws what is on screen, not the whole preload ring", () => {
    const index = benchBoard();
    const onScreen = index.query(visibleBoardRect(camera, size)).size;
    const { keep, draw } = cullRects(camera, size);
    const drawn = index.query(draw).size;
    const kept = index.query(keep).size;
    // The draw rect adds a few pixels: at most one more column and row of items.
    expect(drawn).toBeGreaterThanOrEqual(onScreen);
    expect(drawn).toBeLessThanOrEqual(onScreen + 20 + 13);
    // The keep ring is wider (images load before they scroll in), but is never drawn.
    expect(kept).toBeGreaterThan(drawn + 50);
  });

  it("contains the view, the draw rect inside the keep rect, at any zoom", () => {
    for (const zoom of [0.02, 0.05, 0.25, 1, 8]) {
      const cam = { panX: 123, panY: -45, zoom };
      const view = visibleBoardRect(cam, size);
      const { keep, draw } = cullRects(cam, size);
      expect(draw.x).toBeCloseTo(view.x - DRAW_MARGIN_PX / zoom);
      expect(draw.width).toBeCloseTo(view.width + (2 * DRAW_MARGIN_PX) / zoom);
      expect(keep.x).toBeLessThan(draw.x);
      expect(keep.x + keep.width).toBeGreaterThan(draw.x + draw.width);
      expect(rectsIntersect(draw, view)).toBe(true);
    }
  });
});

describe("gridPlacement", () => {
  it("keeps dots 14–56 px apart and offsets them by the pan, modulo a step", () => {
    for (const zoom of [0.02, 0.1, 0.25, 0.5, 1, 3, 32]) {
      const g = gridPlacement({ panX: -1234.5, panY: 987, zoom });
      expect(g.step).toBeGreaterThanOrEqual(14);
      expect(g.step).toBeLessThanOrEqual(56);
      expect(g.offsetX).toBeGreaterThanOrEqual(0);
      expect(g.offsetX).toBeLessThan(g.step);
      expect(g.offsetY).toBeGreaterThanOrEqual(0);
      expect(g.offsetY).toBeLessThan(g.step);
      // A dot lands on the board's grid: (screen - pan) / zoom is a multiple of the spacing.
      const spacing = g.step / zoom;
      const boardX = (g.offsetX + 1234.5) / zoom;
      expect(Math.abs(boardX / spacing - Math.round(boardX / spacing))).toBeLessThan(1e-6);
    }
  });

  it("moves the grid with a pan by less than a step: same tile, shifted offset", () => {
    const a = gridPlacement({ panX: 100, panY: 0, zoom: 1 });
    const b = gridPlacement({ panX: 110, panY: 0, zoom: 1 });
    expect(b.step).toBe(a.step);
    expect(b.offsetX).toBeCloseTo((a.offsetX + 10) % a.step);
  });
});

describe("dotsPerTile", () => {
  it("makes a tile of whole pixels whose dots drift by under half a pixel across a canvas", () => {
    for (const step of [14, 16, 17.5, 21.333, 25.6, 31.9999, 40.96, 55.7]) {
      const k = dotsPerTile(step);
      const tile = Math.round(k * step);
      expect(tile).toBeGreaterThan(0);
      // Repeating the tile over a 4,000 px canvas puts its last dot this far from the true one.
      const drift = (Math.abs(tile - k * step) * 4000) / tile;
      expect(drift).toBeLessThan(0.5);
    }
  });

  it("spans one step when the step is a whole number of pixels", () => {
    expect(dotsPerTile(16)).toBe(1);
    expect(dotsPerTile(17.5)).toBe(2);
  });
});
