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
