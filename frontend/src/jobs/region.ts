/**
 * Where a region job works: a rectangle in board units, from a marquee drag, a frame, or
 * the bounds of selected items. Pure maths; the Region tool and the generation panel call it.
 *
 * It must not touch the DOM, the document model or the socket.
 */
import { type Placement, type Point, type Rect, placementBounds, rectFromPoints, unionRects } from "../model/geometry";

/** Regions smaller than this (board units) are almost certainly a click, not a drag. */
export const MIN_REGION_EDGE = 8;
/** The server refuses larger regions (canvas/jobs/queue.py MAX_REGION_EDGE). */
export const MAX_REGION_EDGE = 16_384;

/**
 * The region a marquee drag from `a` to `b` selects: whole board units (outward), or null
 * when the drag is too small to mean a region.
 */
export function regionFromMarquee(a: Point, b: Point): Rect | null {
  return snapRegion(rectFromPoints(a, b));
}

/** The union of the items' (rotated) bounds, snapped outward; null for no items. */
export function regionFromItems(items: readonly Placement[]): Rect | null {
  const union = unionRects(items.map((i) => placementBounds(i)));
  return union ? snapRegion(union) : null;
}

/** A frame's area is its own rectangle (frames are never rotated in the UI). */
export function regionFromFrame(frame: Placement): Rect | null {
  return regionFromItems([frame]);
}

/** Whole units, outward, within the server's limits; null when too small. */
export function snapRegion(r: Rect): Rect | null {
  const x0 = Math.floor(r.x);
  const y0 = Math.floor(r.y);
  const x1 = Math.ceil(r.x + r.width);
  const y1 = Math.ceil(r.y + r.height);
  const width = Math.min(MAX_REGION_EDGE, x1 - x0);
  const height = Math.min(MAX_REGION_EDGE, y1 - y0);
  if (!(width >= MIN_REGION_EDGE && height >= MIN_REGION_EDGE)) return null;
  return { x: x0, y: y0, width, height };
}

/** Describes a region for the panel header: "640 × 480 at (10, 20)". */
export function describeRegion(r: Rect): string {
  return `${Math.round(r.width)} × ${Math.round(r.height)} at (${Math.round(r.x)}, ${Math.round(r.y)})`;
}

/** Same rectangle (within half a unit): used to group results of the same region. */
export function sameRegion(a: Rect, b: Rect): boolean {
  return (
    Math.abs(a.x - b.x) < 0.5 &&
    Math.abs(a.y - b.y) < 0.5 &&
    Math.abs(a.width - b.width) < 0.5 &&
    Math.abs(a.height - b.height) < 0.5
  );
}

/** The region moved by (dx, dy) board units, in whole units. */
export function moveRegion(r: Rect, dx: number, dy: number): Rect {
  return { x: Math.round(r.x + dx), y: Math.round(r.y + dy), width: r.width, height: r.height };
}

/**
 * The region with its right/bottom edge moved by (dw, dh) (the top-left corner stays),
 * kept between MIN_REGION_EDGE and MAX_REGION_EDGE on each side.
 */
export function resizeRegion(r: Rect, dw: number, dh: number): Rect {
  const clamp = (v: number) => Math.max(MIN_REGION_EDGE, Math.min(MAX_REGION_EDGE, Math.round(v)));
  return { x: r.x, y: r.y, width: clamp(r.width + dw), height: clamp(r.height + dh) };
}

/** A starting region for the keyboard when nothing is selected: the middle half of the view. */
export function regionInView(view: Rect): Rect | null {
  return snapRegion({ x: view.x + view.width / 4, y: view.y + view.height / 4, width: view.width / 2, height: view.height / 2 });
}

/**
 * What an arrow key does to a focused region: arrows move it, Alt+arrows (or ⌘/Ctrl, where
 * the system takes Alt+arrows) resize it (→/↓ grow, ←/↑ shrink); `step` board units, ×10
 * with Shift. Null for other keys.
 */
export function regionKey(r: Rect, key: string, mods: { shift?: boolean; alt?: boolean }, step: number): Rect | null {
  const d: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const dir = d[key];
  if (!dir) return null;
  const n = step * (mods.shift ? 10 : 1);
  return mods.alt ? resizeRegion(r, dir[0] * n, dir[1] * n) : moveRegion(r, dir[0] * n, dir[1] * n);
}
