/**
 * Where new images land on the board. An upload is scaled so it fits the part of the board
 * in view (at most 80 % of it, never enlarged, never above 2048 units on the long edge) and
 * placed beside what is already there — to the right of the content, top-aligned with it —
 * or at the point it was dropped or pasted; several files line up left to right.
 *
 * Pure geometry: no DOM, no editor.
 */
import type { Point, Rect, Size } from "./geometry";

export const UPLOAD_GAP = 32;
const MAX_EDGE = 2048;
const VIEW_SHARE = 0.8;

/** The size an image of `pixels` gets on the board when the visible board area is `view`. */
export function uploadSize(pixels: Size, view: Size): Size {
  const w = Math.max(1, pixels.width);
  const hgt = Math.max(1, pixels.height);
  const s = Math.min(1, MAX_EDGE / Math.max(w, hgt), (view.width * VIEW_SHARE) / w, (view.height * VIEW_SHARE) / hgt);
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(hgt * s)) };
}

/**
 * Top-left corner of the first upload: `at` when the user pointed somewhere (drop, paste
 * under the cursor), else right of `content` (top-aligned), else centred in `view` on an
 * empty board.
 */
export function firstSlot(size: Size, view: Rect, content: Rect | null, at: Point | null): Point {
  if (at) return { x: at.x, y: at.y };
  if (content) return { x: Math.round(content.x + content.width + UPLOAD_GAP), y: Math.round(content.y) };
  return { x: Math.round(view.x + (view.width - size.width) / 2), y: Math.round(view.y + (view.height - size.height) / 2) };
}

/** The slot after an image placed at `previous` with `size`: to its right. */
export function nextSlot(previous: Point, size: Size): Point {
  return { x: previous.x + size.width + UPLOAD_GAP, y: previous.y };
}
