/**
 * Viewport culling for the renderer, in two rings:
 * - the *keep* rect (the view plus a wide margin): items here have renderer nodes and their
 *   images are requested, so a pan finds them ready;
 * - the *draw* rect (the view plus a few pixels): only these nodes are drawn each frame.
 * Drawing the whole keep ring drew 567 nodes for 228 on screen on a 2,000-image board.
 *
 * Also the background grid's placement: one dot tile whose size steps with the zoom, offset
 * by the pan, so the grid can be a CSS background that the compositor moves (no canvas
 * redrawn per frame).
 *
 * Pure maths on cameras and rectangles; it must not touch Konva or the DOM.
 */
import { type Camera, type Rect, type Size, expandRect, visibleBoardRect } from "./geometry";

/** Screen px around the view whose items are drawn (antialiased edges, rounding). */
export const DRAW_MARGIN_PX = 8;
/** Screen px around the view whose items keep nodes and load their images ahead of a pan. */
export const KEEP_MARGIN_PX = 320;

export interface CullRects {
  keep: Rect;
  draw: Rect;
}

export function cullRects(camera: Camera, size: Size): CullRects {
  const view = visibleBoardRect(camera, size);
  return {
    keep: expandRect(view, KEEP_MARGIN_PX / camera.zoom),
    draw: expandRect(view, DRAW_MARGIN_PX / camera.zoom),
  };
}

export interface GridPlacement {
  /** Screen px between dots. */
  step: number;
  /** Where the first dot falls in [0, step), screen px. */
  offsetX: number;
  offsetY: number;
}

/** Dots every 32 board units, halved or doubled so they stay 14–56 px apart on screen. */
export function gridPlacement(camera: Camera): GridPlacement {
  let spacing = 32;
  while (spacing * camera.zoom < 14) spacing *= 2;
  while (spacing * camera.zoom > 56) spacing /= 2;
  const step = spacing * camera.zoom;
  const mod = (v: number) => ((v % step) + step) % step;
  return { step, offsetX: mod(camera.panX), offsetY: mod(camera.panY) };
}
