/**
 * Viewport culling for the renderer, in two rings:
 * - the *keep* rect (the view plus a wide margin): items here have renderer nodes and their
 *   images are requested, so a pan finds them ready;
 * - the *draw* rect (the view plus a few pixels): only these nodes are drawn each frame.
 * Drawing the whole keep ring drew 567 nodes for 228 on screen on a 2,000-image board.
 *
 * Also the background grid's placement: dots whose spacing steps with the zoom, offset by
 * the pan, and how many of them one unscaled pattern tile holds (render/dotGrid.ts).
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

/**
 * How many grid steps (px, fractional) a pattern tile spans so that it is a whole number of
 * pixels wide: the fewest within 0.03 px of one (else the closest), so the tile is drawn
 * unscaled and the dots stay where the camera puts them (render/dotGrid.ts).
 */
export function dotsPerTile(step: number, most = 32): number {
  let best = 1;
  let bestError = 1;
  for (let k = 1; k <= most; k += 1) {
    const error = Math.abs(k * step - Math.round(k * step));
    if (error <= 0.03) return k;
    if (error < bestError) {
      best = k;
      bestError = error;
    }
  }
  return best;
}
