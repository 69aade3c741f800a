/**
 * Touch gestures on the canvas, as a pure state machine: fingers go in (down/move/up with
 * a time), gestures come out — tap, double tap, long press (then drag), one-finger pan,
 * two-finger pinch (zoom around the fingers and pan at once). Time is passed in, so the
 * recogniser has no timers of its own: the caller asks `tick(now)` when a long press may be
 * due. `pinchCamera` is the camera maths of a pinch.
 *
 * It must not touch the DOM or the editor (tools/touch.ts wires it to both).
 */
import { type Camera, type Point, clampZoom, screenToBoard } from "../model/geometry";

/** A finger that moves less than this is still a tap or a press (fingers wobble; a mouse uses 3 px). */
export const TAP_SLOP_PX = 10;
/** Held this long without moving: a long press (the marquee or a move drag starts). */
export const LONG_PRESS_MS = 500;
/** A tap longer than this is not a tap (nor a long press that was let go early: nothing). */
export const TAP_MAX_MS = 350;
/** Two taps within this time and distance are a double tap. */
export const DOUBLE_TAP_MS = 300;
export const DOUBLE_TAP_SLOP_PX = 30;

export type Gesture =
  | { kind: "tap"; at: Point }
  | { kind: "double-tap"; at: Point }
  | { kind: "long-press"; at: Point }
  /** After a long press: the finger moves (`drag`) and lifts (`drag-end`), or a second finger cancels it. */
  | { kind: "drag"; at: Point }
  | { kind: "drag-end"; at: Point }
  | { kind: "drag-cancel" }
  | { kind: "pan"; dx: number; dy: number }
  /** `from` are the two fingers when the pinch started, `to` where they are now. */
  | { kind: "pinch-start" }
  | { kind: "pinch"; from: [Point, Point]; to: [Point, Point] }
  | { kind: "pinch-end" };

type State =
  | { kind: "idle" }
  | { kind: "pending"; id: number; start: Point; startT: number; last: Point }
  | { kind: "pan"; id: number; last: Point }
  | { kind: "held"; id: number; last: Point }
  | { kind: "pinch"; ids: [number, number]; from: [Point, Point]; now: [Point, Point] };

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

export class TouchRecognizer {
  private state: State = { kind: "idle" };
  /** Fingers down, by pointer id (a third finger is tracked but ignored). */
  private readonly fingers = new Map<number, Point>();
  private lastTap: { at: Point; t: number } | null = null;

  get active(): boolean {
    return this.fingers.size > 0;
  }

  /** The gesture in progress, for the caller's bookkeeping and tests. */
  get phase(): State["kind"] {
    return this.state.kind;
  }

  down(id: number, p: Point, t: number): Gesture[] {
    this.fingers.set(id, p);
    const s = this.state;
    if (s.kind === "idle") {
      this.state = { kind: "pending", id, start: p, startT: t, last: p };
      return [];
    }
    if (s.kind === "pinch") return []; // a third finger: ignored
    // A second finger: whatever one finger was doing becomes a pinch.
    const firstId = s.id;
    const first = this.fingers.get(firstId) ?? s.last;
    const out: Gesture[] = s.kind === "held" ? [{ kind: "drag-cancel" }] : [];
    this.state = { kind: "pinch", ids: [firstId, id], from: [first, p], now: [first, p] };
    this.lastTap = null;
    out.push({ kind: "pinch-start" });
    return out;
  }

  move(id: number, p: Point, _t: number): Gesture[] {
    if (!this.fingers.has(id)) return [];
    this.fingers.set(id, p);
    const s = this.state;
    switch (s.kind) {
      case "pending":
        if (s.id !== id || dist(p, s.start) < TAP_SLOP_PX) return [];
        // Past the slop: a pan that catches up with the finger from where it went down.
        this.state = { kind: "pan", id, last: p };
        return [{ kind: "pan", dx: p.x - s.start.x, dy: p.y - s.start.y }];
      case "pan": {
        if (s.id !== id) return [];
        const g: Gesture = { kind: "pan", dx: p.x - s.last.x, dy: p.y - s.last.y };
        s.last = p;
        return [g];
      }
      case "held":
        if (s.id !== id) return [];
        s.last = p;
        return [{ kind: "drag", at: p }];
      case "pinch": {
        const i = s.ids.indexOf(id);
        if (i < 0) return [];
        s.now = i === 0 ? [p, s.now[1]] : [s.now[0], p];
        return [{ kind: "pinch", from: s.from, to: s.now }];
      }
      default:
        return [];
    }
  }

  up(id: number, p: Point, t: number): Gesture[] {
    if (!this.fingers.delete(id)) return [];
    const s = this.state;
    switch (s.kind) {
      case "pending": {
        if (s.id !== id) return [];
        this.state = { kind: "idle" };
        if (t - s.startT > TAP_MAX_MS) return [];
        const last = this.lastTap;
        if (last && t - last.t <= DOUBLE_TAP_MS && dist(last.at, s.start) <= DOUBLE_TAP_SLOP_PX) {
          this.lastTap = null;
          return [{ kind: "double-tap", at: s.start }];
        }
        this.lastTap = { at: s.start, t };
        return [{ kind: "tap", at: s.start }];
      }
      case "pan":
        if (s.id === id) this.state = { kind: "idle" };
        return [];
      case "held":
        if (s.id !== id) return [];
        this.state = { kind: "idle" };
        return [{ kind: "drag-end", at: p }];
      case "pinch": {
        const i = s.ids.indexOf(id);
        if (i < 0) return [];
        // The finger left on the glass goes on panning (no tap, no long press).
        const otherId = s.ids[1 - i] as number;
        const other = this.fingers.get(otherId);
        this.state = other ? { kind: "pan", id: otherId, last: other } : { kind: "idle" };
        return [{ kind: "pinch-end" }];
      }
      default:
        return [];
    }
  }

  /** The browser took the pointer away (pointercancel): drop it without a gesture. */
  cancel(id: number): Gesture[] {
    if (!this.fingers.delete(id)) return [];
    const s = this.state;
    const out: Gesture[] = s.kind === "held" ? [{ kind: "drag-cancel" }] : s.kind === "pinch" ? [{ kind: "pinch-end" }] : [];
    this.state = { kind: "idle" };
    this.fingers.clear();
    return out;
  }

  /** Call when a long press may be due (LONG_PRESS_MS after a finger went down). */
  tick(t: number): Gesture[] {
    const s = this.state;
    if (s.kind !== "pending" || t - s.startT < LONG_PRESS_MS) return [];
    this.state = { kind: "held", id: s.id, last: s.last };
    this.lastTap = null;
    return [{ kind: "long-press", at: s.start }];
  }
}

/**
 * The camera after a pinch: zoom by how far the fingers spread (clamped like every zoom),
 * and move so the board point that was under the fingers' midpoint at the start is under
 * their midpoint now — zoom and pan in one gesture, anchored on the fingers.
 */
export function pinchCamera(start: Camera, from: [Point, Point], to: [Point, Point]): Camera {
  const d0 = Math.max(1, dist(from[0], from[1]));
  const d1 = Math.max(1, dist(to[0], to[1]));
  const zoom = clampZoom(start.zoom * (d1 / d0));
  const m0 = { x: (from[0].x + from[1].x) / 2, y: (from[0].y + from[1].y) / 2 };
  const m1 = { x: (to[0].x + to[1].x) / 2, y: (to[0].y + to[1].y) / 2 };
  const board = screenToBoard(start, m0);
  return { zoom, panX: m1.x - board.x * zoom, panY: m1.y - board.y * zoom };
}

/** A horizontal swipe this long moves to the next or previous item (or a quick flick of SWIPE_FLICK_PX). */
export const SWIPE_MIN_PX = 60;
export const SWIPE_FLICK_PX = 24;
/** px per ms: a flick faster than this counts even when short. */
export const SWIPE_FLICK_SPEED = 0.5;

/**
 * Which way a finger swiped (the candidate viewer): 1 = to the next item (finger moved left),
 * -1 = to the previous (finger moved right), 0 = not a swipe (too short, too slow, or mostly
 * vertical).
 */
export function swipeStep(dx: number, dy: number, ms: number): -1 | 0 | 1 {
  const ax = Math.abs(dx);
  if (ax < 1.5 * Math.abs(dy)) return 0;
  const flick = ax >= SWIPE_FLICK_PX && ax / Math.max(1, ms) >= SWIPE_FLICK_SPEED;
  if (ax < SWIPE_MIN_PX && !flick) return 0;
  return dx < 0 ? 1 : -1;
}
