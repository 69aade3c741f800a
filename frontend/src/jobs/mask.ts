/**
 * Inpaint masks: brush and eraser strokes (or a shape's bounds) over a region, turned into
 * an 8-bit coverage raster the size of the region's pixels. 255 = change this pixel,
 * 0 = keep it. The raster is uploaded as a PNG asset (white with that alpha) and the job
 * names it by asset id; the server reads the alpha (canvas/jobs/runner.py load_mask).
 *
 * Pure: no canvas, no DOM, so the rasteriser is tested exactly. The mask layer UI
 * (ui/maskLayer.ts) only records strokes and draws a preview.
 */
import type { Point, Rect } from "../model/geometry";

export interface MaskStroke {
  /** Points in region coordinates (0,0 = region top-left, board units). */
  points: Point[];
  /** Brush diameter in board units. */
  size: number;
  erase: boolean;
}

/** A filled rectangle, e.g. a selected item's bounds inside the region. */
export interface MaskRectFill {
  rect: Rect;
  erase: boolean;
}
export type MaskShape = MaskStroke | MaskRectFill;

export interface MaskRaster {
  width: number;
  height: number;
  /** Row-major coverage, 0–255. */
  data: Uint8Array;
}

export const MIN_BRUSH = 2;
export const MAX_BRUSH = 512;

export function clampBrush(size: number): number {
  return Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, Math.round(size)));
}

/** The next brush size for `[` (smaller) and `]` (larger): steps of about 20 %. */
export function stepBrush(size: number, bigger: boolean): number {
  const step = Math.max(1, Math.round(size * 0.2));
  return clampBrush(bigger ? size + step : size - step);
}

/**
 * Rasterise strokes at `scale` raster pixels per board unit (the region's pixel size over
 * its board size). Later strokes win: an eraser stroke clears what earlier strokes painted.
 */
export function rasteriseMask(shapes: readonly MaskShape[], width: number, height: number, scale = 1): MaskRaster {
  const w = Math.max(1, Math.round(width));
  const hgt = Math.max(1, Math.round(height));
  const data = new Uint8Array(w * hgt);
  for (const stroke of shapes) {
    if ("rect" in stroke) {
      fillRect(data, w, hgt, stroke.rect, scale, stroke.erase ? 0 : 255);
      continue;
    }
    const radius = (stroke.size * scale) / 2;
    const value = stroke.erase ? 0 : 255;
    const pts = stroke.points.map((p) => ({ x: p.x * scale, y: p.y * scale }));
    pts.forEach((p, i) => stampSegment(data, w, hgt, pts[i - 1] ?? p, p, radius, value));
  }
  return { width: w, height: hgt, data };
}

/** Fill every pixel whose centre lies inside the rectangle. */
function fillRect(data: Uint8Array, w: number, h: number, r: Rect, scale: number, value: number): void {
  const x0 = Math.max(0, Math.round(r.x * scale));
  const y0 = Math.max(0, Math.round(r.y * scale));
  const x1 = Math.min(w, Math.round((r.x + r.width) * scale));
  const y1 = Math.min(h, Math.round((r.y + r.height) * scale));
  for (let y = y0; y < y1; y++) data.fill(value, y * w + x0, y * w + Math.max(x0, x1));
}

/** Fill every pixel whose centre is within `radius` of the segment a–b. */
function stampSegment(data: Uint8Array, w: number, h: number, a: Point, b: Point, radius: number, value: number): void {
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - radius));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(a.x, b.x) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - radius));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(a.y, b.y) + radius));
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = radius * radius;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0;
      t = Math.max(0, Math.min(1, t));
      const ex = a.x + t * dx - px;
      const ey = a.y + t * dy - py;
      if (ex * ex + ey * ey <= r2) data[y * w + x] = value;
    }
  }
}

/**
 * The shapes once the stroke in progress ends. A finished stroke stays; a cancelled one
 * (a second finger took the first back to pinch, or the browser cancelled the pointer) is
 * dropped, so a pinch never leaves half a stroke in the mask.
 */
export function endStroke(shapes: readonly MaskShape[], stroke: MaskShape, cancelled: boolean): MaskShape[] {
  return cancelled ? shapes.filter((s) => s !== stroke) : [...shapes];
}

/** A filled rectangle (region coordinates) — "take the mask from a shape". */
export function rectFill(rect: Rect, erase = false): MaskRectFill {
  return { rect, erase };
}

/** Fraction of pixels that will be changed (0–1). */
export function coverage(raster: MaskRaster): number {
  let painted = 0;
  for (const v of raster.data) if (v) painted++;
  return painted / raster.data.length;
}

/** RGBA pixels for ImageData/PNG: white, alpha = coverage. */
export function maskToRgba(raster: MaskRaster): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(raster.width * raster.height * 4);
  for (let i = 0; i < raster.data.length; i++) {
    out[i * 4] = 255;
    out[i * 4 + 1] = 255;
    out[i * 4 + 2] = 255;
    out[i * 4 + 3] = raster.data[i] ?? 0;
  }
  return out;
}
