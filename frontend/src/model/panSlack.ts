/**
 * The pan slack: the renderer's canvases are drawn larger than the view by `slack` CSS px
 * on each side, and a pan that stays within that margin moves the canvas element by a CSS
 * transform (applied by the compositor, no redraw) instead of redrawing the content. The
 * canvas is redrawn, re-centred, when a pan would show past its edge, and on every zoom
 * or resize. A settled pan of a 2,000-image board cost 25–37 ms of main thread per frame
 * redrawn against 8–16 ms with a 160 px slack (bench/README.md, issue 18).
 *
 * Coordinates: *screen* px are the view's CSS px (what the editor and hit tests use);
 * *canvas* px are the slack canvas's CSS px. At rest the canvas sits at (−slack, −slack)
 * of the view; the layers are drawn for the *base* camera (the camera of the last
 * re-centring), shifted by `slack`; the element is then translated by the shift, the
 * camera's pan minus the base's, so screen = board × zoom + pan holds on screen.
 *
 * Device pixels: the slack and every shift are whole device pixels, so the canvas is never
 * resampled between pixels (a blur on fractional devicePixelRatio or fractional wheel
 * deltas); what is drawn is then off by under half a device pixel until the next redraw.
 * The slack shrinks (to none) when the larger canvas would exceed MAX_CANVAS_DEVICE_PX.
 *
 * Pure maths: it must not touch Konva or the DOM.
 */
import type { Camera, Point, Size } from "./geometry";

/** CSS px the canvas extends past the view on each side. */
export const PAN_SLACK_PX = 160;
/** Device pixels one canvas may hold with its slack (two such canvases: content and overlay). */
export const MAX_CANVAS_DEVICE_PX = 24 * 1024 * 1024;
/** A slack smaller than this is not worth its redraws' extra area: none. */
export const MIN_SLACK_PX = 32;

/** Round CSS px to whole device pixels. */
export function snapToDevice(css: number, dpr: number): number {
  return Math.round(css * dpr) / dpr;
}

/** The slack (CSS px) for a view of `size`: PAN_SLACK_PX unless the canvas would be too big. */
export function slackFor(size: Size, dpr: number, wanted = PAN_SLACK_PX): number {
  const fits = (s: number) => (size.width + 2 * s) * (size.height + 2 * s) * dpr * dpr <= MAX_CANVAS_DEVICE_PX;
  let slack = Math.floor(wanted * dpr) / dpr;
  if (!fits(slack)) {
    // The largest s with (w + 2s)(h + 2s)·dpr² ≤ budget: 4s² + 2(w + h)s + wh − budget/dpr² ≤ 0.
    const w = size.width;
    const h = size.height;
    const c = w * h - MAX_CANVAS_DEVICE_PX / (dpr * dpr);
    const root = (-2 * (w + h) + Math.sqrt(4 * (w + h) ** 2 - 16 * c)) / 8;
    slack = Math.floor(Math.max(0, root) * dpr) / dpr;
  }
  return slack >= MIN_SLACK_PX ? slack : 0;
}

/** The canvas's size (CSS px) for a view of `size`. */
export function canvasSize(size: Size, slack: number): Size {
  return { width: size.width + 2 * slack, height: size.height + 2 * slack };
}

/** The layers' transform on the canvas: the base camera moved by the slack. */
export function canvasCamera(base: Camera, slack: number): Camera {
  return { panX: base.panX + slack, panY: base.panY + slack, zoom: base.zoom };
}

/**
 * How far the canvas element is translated from its resting place to show `camera` from a
 * canvas drawn at `base` (whole device pixels), or null when it cannot: another zoom, or
 * a shift past the slack (the view would see the canvas's edge). Then redraw at `camera`.
 */
export function slackShift(base: Camera, camera: Camera, slack: number, dpr: number): Point | null {
  if (camera.zoom !== base.zoom) return null;
  const x = snapToDevice(camera.panX - base.panX, dpr);
  const y = snapToDevice(camera.panY - base.panY, dpr);
  if (Math.abs(x) > slack || Math.abs(y) > slack) return null;
  return { x, y };
}

/** The CSS transform placing the canvas element for a shift. */
export function slackTransform(shift: Point, slack: number): string {
  return `translate(${shift.x - slack}px, ${shift.y - slack}px)`;
}

/** A point of the view (screen px) in the canvas's CSS px, for a canvas shifted by `shift`. */
export function screenToCanvas(screen: Point, shift: Point, slack: number): Point {
  return { x: screen.x + slack - shift.x, y: screen.y + slack - shift.y };
}
