/**
 * Geometry of comment pins: turning a Comment-tool gesture into a point or an area pin (a
 * short drag is a click), where a pin sits on screen for the current camera, and which pin
 * a screen point hits. Board units in, board units out, like src/model/geometry.ts.
 *
 * Pure functions; no DOM.
 */
import { boardToScreen, type Camera, type Point } from "../model/geometry";
import type { CommentAnchor } from "./types";

/** Screen pixels a drag must exceed to become an area rather than a point. */
export const DRAG_THRESHOLD_PX = 6;

export type PinAnchor = { target: "point"; x: number; y: number } | { target: "area"; x: number; y: number; width: number; height: number };

/** A gesture from `start` to `end` (both board units) at `zoom`: a point or an area pin. */
export function pinFromGesture(start: Point, end: Point, zoom: number): PinAnchor {
  const dxPx = Math.abs(end.x - start.x) * zoom;
  const dyPx = Math.abs(end.y - start.y) * zoom;
  if (dxPx < DRAG_THRESHOLD_PX && dyPx < DRAG_THRESHOLD_PX) return { target: "point", x: start.x, y: start.y };
  const x = Math.min(start.x, end.x);
  const y = Math.min(start.y, end.y);
  // A drag along one axis only still needs a positive size (the server refuses zero).
  const width = Math.max(Math.abs(end.x - start.x), 1 / zoom);
  const height = Math.max(Math.abs(end.y - start.y), 1 / zoom);
  return { target: "area", x, y, width, height };
}

/** The board point a pin is drawn at: the point, or an area's top-left corner. */
export function pinBoardPoint(anchor: CommentAnchor): Point | null {
  if (typeof anchor.x !== "number" || typeof anchor.y !== "number") return null;
  return { x: anchor.x, y: anchor.y };
}

/** An area pin's screen rectangle (null for other pins). */
export function areaOnScreen(anchor: CommentAnchor, camera: Camera): { x: number; y: number; width: number; height: number } | null {
  if (typeof anchor.width !== "number" || typeof anchor.height !== "number") return null;
  const p = boardToScreen(camera, { x: anchor.x ?? 0, y: anchor.y ?? 0 });
  return { x: p.x, y: p.y, width: anchor.width * camera.zoom, height: anchor.height * camera.zoom };
}

/** Index of the topmost (last) pin within `radius` px of `screen`, or -1. */
export function hitPin(pins: Point[], screen: Point, radius = 12): number {
  for (let i = pins.length - 1; i >= 0; i -= 1) {
    const p = pins[i];
    if (p && Math.hypot(p.x - screen.x, p.y - screen.y) <= radius) return i;
  }
  return -1;
}
