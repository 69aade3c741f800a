/**
 * Bucketed-grid spatial index of item bounds, for viewport culling and hit-testing
 * candidates. Insert/remove/query are proportional to the cells an item covers, so a
 * board of thousands of items answers "what is in this viewport" without a full scan.
 *
 * It stores ids and rectangles only; it must not know about items, Konva or the camera.
 */
import { type Rect, rectsIntersect } from "./geometry";

/** Items spanning more cells than this go to a small always-checked list instead. */
const MAX_CELLS_PER_ITEM = 256;

export class SpatialIndex {
  private readonly cells = new Map<string, Set<string>>();
  private readonly bounds = new Map<string, Rect>();
  private readonly huge = new Set<string>();

  constructor(readonly cellSize = 1024) {}

  get size(): number {
    return this.bounds.size;
  }

  has(id: string): boolean {
    return this.bounds.has(id);
  }

  boundsOf(id: string): Rect | undefined {
    return this.bounds.get(id);
  }

  upsert(id: string, rect: Rect): void {
    if (this.bounds.has(id)) this.remove(id);
    this.bounds.set(id, rect);
    const range = this.cellRange(rect);
    if (range.count > MAX_CELLS_PER_ITEM) {
      this.huge.add(id);
      return;
    }
    for (let cx = range.x0; cx <= range.x1; cx++) {
      for (let cy = range.y0; cy <= range.y1; cy++) {
        const key = `${cx},${cy}`;
        let cell = this.cells.get(key);
        if (!cell) {
          cell = new Set();
          this.cells.set(key, cell);
        }
        cell.add(id);
      }
    }
  }

  remove(id: string): void {
    const rect = this.bounds.get(id);
    if (!rect) return;
    this.bounds.delete(id);
    if (this.huge.delete(id)) return;
    const range = this.cellRange(rect);
    for (let cx = range.x0; cx <= range.x1; cx++) {
      for (let cy = range.y0; cy <= range.y1; cy++) {
        const key = `${cx},${cy}`;
        const cell = this.cells.get(key);
        if (!cell) continue;
        cell.delete(id);
        if (cell.size === 0) this.cells.delete(key);
      }
    }
  }

  /** Ids whose bounds intersect `rect`. */
  query(rect: Rect): Set<string> {
    const out = new Set<string>();
    const range = this.cellRange(rect);
    if (range.count > this.cells.size) {
      // A far-zoomed-out viewport covers more cells than exist: walk the occupied ones.
      for (const cell of this.cells.values()) this.collect(cell, rect, out);
    } else {
      for (let cx = range.x0; cx <= range.x1; cx++) {
        for (let cy = range.y0; cy <= range.y1; cy++) {
          const cell = this.cells.get(`${cx},${cy}`);
          if (cell) this.collect(cell, rect, out);
        }
      }
    }
    this.collect(this.huge, rect, out);
    return out;
  }

  clear(): void {
    this.cells.clear();
    this.bounds.clear();
    this.huge.clear();
  }

  private collect(ids: Iterable<string>, rect: Rect, out: Set<string>): void {
    for (const id of ids) {
      if (out.has(id)) continue;
      const b = this.bounds.get(id);
      if (b && rectsIntersect(b, rect)) out.add(id);
    }
  }

  private cellRange(rect: Rect) {
    const s = this.cellSize;
    const x0 = Math.floor(rect.x / s);
    const y0 = Math.floor(rect.y / s);
    const x1 = Math.floor((rect.x + rect.width) / s);
    const y1 = Math.floor((rect.y + rect.height) / s);
    return { x0, y0, x1, y1, count: (x1 - x0 + 1) * (y1 - y0 + 1) };
  }
}
