/**
 * Pure geometry for the board: the camera (board ↔ screen transforms, zoom clamping,
 * zoom-to-cursor, fit), rotated item bounds, hit tests and rectangle maths.
 *
 * Board units: 1 unit = 1 image pixel at 100 % zoom. Screen units: CSS pixels of the canvas
 * element. Nothing here may touch the DOM, Konva or the document model.
 */

export interface Point {
  x: number;
  y: number;
}
export interface Size {
  width: number;
  height: number;
}
/** Axis-aligned rectangle; width/height are never negative once normalised. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
/** What is needed to place an item: position, size and rotation about the top-left corner. */
export interface Placement extends Rect {
  rotation: number;
}
/** screen = board × zoom + pan. */
export interface Camera {
  panX: number;
  panY: number;
  zoom: number;
}

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 32;

export function clampZoom(zoom: number): number {
  if (!Number.isFinite(zoom)) return 1;
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
}

export function boardToScreen(cam: Camera, p: Point): Point {
  return { x: p.x * cam.zoom + cam.panX, y: p.y * cam.zoom + cam.panY };
}

export function screenToBoard(cam: Camera, p: Point): Point {
  return { x: (p.x - cam.panX) / cam.zoom, y: (p.y - cam.panY) / cam.zoom };
}

/** Zoom to `zoom` keeping the board point under `screenPoint` where it is (zoom to cursor). */
export function zoomAt(cam: Camera, screenPoint: Point, zoom: number): Camera {
  const z = clampZoom(zoom);
  const b = screenToBoard(cam, screenPoint);
  return { zoom: z, panX: screenPoint.x - b.x * z, panY: screenPoint.y - b.y * z };
}

/** Multiply zoom by `factor` around a screen point (wheel, pinch, Z tool). */
export function zoomBy(cam: Camera, screenPoint: Point, factor: number): Camera {
  return zoomAt(cam, screenPoint, cam.zoom * factor);
}

export function panBy(cam: Camera, dx: number, dy: number): Camera {
  return { ...cam, panX: cam.panX + dx, panY: cam.panY + dy };
}

/** The board rectangle the viewport currently shows. */
export function visibleBoardRect(cam: Camera, viewport: Size): Rect {
  const tl = screenToBoard(cam, { x: 0, y: 0 });
  return { x: tl.x, y: tl.y, width: viewport.width / cam.zoom, height: viewport.height / cam.zoom };
}

/**
 * Camera that shows `rect` centred in the viewport with `padding` screen pixels around it.
 * `maxZoom` keeps "fit" of a single small image from blowing it up past 100 % by default.
 */
export function fitRect(rect: Rect, viewport: Size, padding = 48, maxZoom = 1): Camera {
  const availW = Math.max(1, viewport.width - 2 * padding);
  const availH = Math.max(1, viewport.height - 2 * padding);
  const zoom =
    rect.width <= 0 || rect.height <= 0
      ? clampZoom(Math.min(1, maxZoom))
      : clampZoom(Math.min(availW / rect.width, availH / rect.height, maxZoom));
  const cx = rect.x + rect.width / 2;
  const cy = rect.y + rect.height / 2;
  return { zoom, panX: viewport.width / 2 - cx * zoom, panY: viewport.height / 2 - cy * zoom };
}

/** Corners of a placement in board units, clockwise from the top-left (the pivot). */
export function corners(p: Placement): Point[] {
  const r = (p.rotation * Math.PI) / 180;
  const cos = Math.cos(r);
  const sin = Math.sin(r);
  const local: Point[] = [
    { x: 0, y: 0 },
    { x: p.width, y: 0 },
    { x: p.width, y: p.height },
    { x: 0, y: p.height },
  ];
  return local.map((q) => ({ x: p.x + q.x * cos - q.y * sin, y: p.y + q.x * sin + q.y * cos }));
}

/** Axis-aligned bounds of a (possibly rotated) placement. */
export function placementBounds(p: Placement): Rect {
  if (!p.rotation) return normalizeRect(p);
  return boundsOfPoints(corners(p));
}

export function boundsOfPoints(points: Point[]): Rect {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const q of points) {
    minX = Math.min(minX, q.x);
    minY = Math.min(minY, q.y);
    maxX = Math.max(maxX, q.x);
    maxY = Math.max(maxY, q.y);
  }
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** Union of rectangles, or null for none. */
export function unionRects(rects: Iterable<Rect>): Rect | null {
  let out: Rect | null = null;
  for (const r of rects) {
    if (!out) {
      out = { ...r };
      continue;
    }
    const x = Math.min(out.x, r.x);
    const y = Math.min(out.y, r.y);
    const right = Math.max(out.x + out.width, r.x + r.width);
    const bottom = Math.max(out.y + out.height, r.y + r.height);
    out = { x, y, width: right - x, height: bottom - y };
  }
  return out;
}

/** A rectangle from two corner points in any order (marquee drags go any direction). */
export function rectFromPoints(a: Point, b: Point): Rect {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(b.x - a.x),
    height: Math.abs(b.y - a.y),
  };
}

export function normalizeRect(r: Rect): Rect {
  return rectFromPoints({ x: r.x, y: r.y }, { x: r.x + r.width, y: r.y + r.height });
}

export function rectsIntersect(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

export function rectIntersection(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  if (right < x || bottom < y) return null;
  return { x, y, width: right - x, height: bottom - y };
}

export function rectContainsRect(outer: Rect, inner: Rect): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

export function rectContainsPoint(r: Rect, p: Point): boolean {
  return p.x >= r.x && p.x <= r.x + r.width && p.y >= r.y && p.y <= r.y + r.height;
}

export function expandRect(r: Rect, margin: number): Rect {
  return { x: r.x - margin, y: r.y - margin, width: r.width + 2 * margin, height: r.height + 2 * margin };
}

/** Point-in-placement test that respects rotation (the pivot is the top-left corner). */
export function placementContainsPoint(p: Placement, q: Point): boolean {
  const r = (-p.rotation * Math.PI) / 180;
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const lx = dx * Math.cos(r) - dy * Math.sin(r);
  const ly = dx * Math.sin(r) + dy * Math.cos(r);
  const w = p.width;
  const h = p.height;
  return lx >= Math.min(0, w) && lx <= Math.max(0, w) && ly >= Math.min(0, h) && ly <= Math.max(0, h);
}

/**
 * A region selection (for inpainting / img2img) in an image item's own pixel space:
 * the board rectangle is intersected with the item and mapped to source pixels.
 * Only meaningful for unrotated items; returns null when the region misses the item.
 */
export function regionInItemPixels(
  item: Placement,
  sourceSize: Size,
  region: Rect,
): Rect | null {
  const hit = rectIntersection(normalizeRect(item), normalizeRect(region));
  if (!hit || hit.width === 0 || hit.height === 0 || item.width === 0 || item.height === 0) {
    return null;
  }
  const sx = sourceSize.width / item.width;
  const sy = sourceSize.height / item.height;
  const x = Math.floor((hit.x - item.x) * sx);
  const y = Math.floor((hit.y - item.y) * sy);
  const right = Math.ceil((hit.x + hit.width - item.x) * sx);
  const bottom = Math.ceil((hit.y + hit.height - item.y) * sy);
  return {
    x,
    y,
    width: Math.min(sourceSize.width, right) - x,
    height: Math.min(sourceSize.height, bottom) - y,
  };
}

/** Resize a rectangle to new width/height keeping the aspect ratio of `original`. */
export function lockAspect(original: Size, target: Size): Size {
  if (original.width <= 0 || original.height <= 0) return target;
  const ratio = original.width / original.height;
  const byWidth = { width: target.width, height: target.width / ratio };
  const byHeight = { width: target.height * ratio, height: target.height };
  // Follow whichever edge moved further from the original, as design tools do.
  const dw = Math.abs(target.width - original.width) / original.width;
  const dh = Math.abs(target.height - original.height) / original.height;
  return dw >= dh ? byWidth : byHeight;
}
