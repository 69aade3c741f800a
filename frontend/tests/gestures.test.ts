import { describe, expect, it } from "vitest";
import { boardToScreen, screenToBoard } from "../src/model/geometry";
import { DOUBLE_TAP_MS, LONG_PRESS_MS, TAP_MAX_MS, TAP_SLOP_PX, TouchRecognizer, pinchCamera, swipeStep } from "../src/tools/gestures";

const P = (x: number, y: number) => ({ x, y });

describe("pinchCamera", () => {
  const start = { panX: 40, panY: -20, zoom: 0.5 };

  it("zooms by how far the fingers spread", () => {
    const cam = pinchCamera(start, [P(100, 100), P(200, 100)], [P(50, 100), P(250, 100)]);
    expect(cam.zoom).toBeCloseTo(1);
  });

  it("keeps the board point under the fingers' midpoint under their new midpoint", () => {
    const from: [ReturnType<typeof P>, ReturnType<typeof P>] = [P(100, 300), P(180, 360)];
    const to: [ReturnType<typeof P>, ReturnType<typeof P>] = [P(60, 200), P(300, 420)];
    const anchor = screenToBoard(start, P(140, 330));
    const cam = pinchCamera(start, from, to);
    const now = boardToScreen(cam, anchor);
    expect(now.x).toBeCloseTo(180);
    expect(now.y).toBeCloseTo(310);
  });

  it("pans without zooming when the fingers move together", () => {
    const cam = pinchCamera(start, [P(0, 0), P(100, 0)], [P(30, 50), P(130, 50)]);
    expect(cam).toEqual({ zoom: 0.5, panX: 70, panY: 30 });
  });

  it("clamps the zoom like every other zoom and survives fingers on one spot", () => {
    expect(pinchCamera(start, [P(0, 0), P(10, 0)], [P(0, 0), P(100000, 0)]).zoom).toBe(32);
    expect(Number.isFinite(pinchCamera(start, [P(5, 5), P(5, 5)], [P(5, 5), P(9, 5)]).zoom)).toBe(true);
  });
});

describe("TouchRecognizer", () => {
  it("a short touch that stays within the slop is a tap", () => {
    const r = new TouchRecognizer();
    expect(r.down(1, P(10, 10), 0)).toEqual([]);
    expect(r.move(1, P(10 + TAP_SLOP_PX - 1, 10), 50)).toEqual([]);
    expect(r.up(1, P(10 + TAP_SLOP_PX - 1, 10), 120)).toEqual([{ kind: "tap", at: P(10, 10) }]);
    expect(r.active).toBe(false);
  });

  it("moving past the slop is a pan that catches up with the finger, then follows it", () => {
    const r = new TouchRecognizer();
    r.down(1, P(10, 10), 0);
    expect(r.move(1, P(10 + TAP_SLOP_PX, 10), 30)).toEqual([{ kind: "pan", dx: TAP_SLOP_PX, dy: 0 }]);
    expect(r.move(1, P(30, 25), 60)).toEqual([{ kind: "pan", dx: 30 - 10 - TAP_SLOP_PX, dy: 15 }]);
    expect(r.up(1, P(30, 25), 90)).toEqual([]); // a pan is never a tap
  });

  it("a touch held too long without moving is no tap", () => {
    const r = new TouchRecognizer();
    r.down(1, P(0, 0), 0);
    expect(r.up(1, P(0, 0), TAP_MAX_MS + 1)).toEqual([]);
  });

  it("two taps close in time and place are a double tap; far apart they are two taps", () => {
    const r = new TouchRecognizer();
    r.down(1, P(100, 100), 0);
    r.up(1, P(100, 100), 80);
    r.down(2, P(110, 104), 200);
    expect(r.up(2, P(110, 104), 260)).toEqual([{ kind: "double-tap", at: P(110, 104) }]);

    const slow = new TouchRecognizer();
    slow.down(1, P(100, 100), 0);
    slow.up(1, P(100, 100), 80);
    slow.down(2, P(100, 100), 80 + DOUBLE_TAP_MS + 1);
    expect(slow.up(2, P(100, 100), 80 + DOUBLE_TAP_MS + 50)).toEqual([{ kind: "tap", at: P(100, 100) }]);

    const far = new TouchRecognizer();
    far.down(1, P(100, 100), 0);
    far.up(1, P(100, 100), 80);
    far.down(2, P(200, 100), 150);
    expect(far.up(2, P(200, 100), 200)).toEqual([{ kind: "tap", at: P(200, 100) }]);
  });

  it("a long press becomes a drag that ends where the finger lifts", () => {
    const r = new TouchRecognizer();
    r.down(1, P(50, 50), 0);
    expect(r.tick(LONG_PRESS_MS - 1)).toEqual([]);
    expect(r.tick(LONG_PRESS_MS)).toEqual([{ kind: "long-press", at: P(50, 50) }]);
    expect(r.move(1, P(80, 90), LONG_PRESS_MS + 20)).toEqual([{ kind: "drag", at: P(80, 90) }]);
    expect(r.up(1, P(80, 90), LONG_PRESS_MS + 40)).toEqual([{ kind: "drag-end", at: P(80, 90) }]);
  });

  it("no long press once the finger has started panning", () => {
    const r = new TouchRecognizer();
    r.down(1, P(0, 0), 0);
    r.move(1, P(40, 0), 100);
    expect(r.tick(LONG_PRESS_MS + 10)).toEqual([]);
  });

  it("a second finger turns one-finger work into a pinch; the finger left behind pans", () => {
    const r = new TouchRecognizer();
    r.down(1, P(100, 100), 0);
    r.tick(LONG_PRESS_MS);
    expect(r.down(2, P(200, 100), 600)).toEqual([{ kind: "drag-cancel" }, { kind: "pinch-start" }]);
    expect(r.move(2, P(260, 100), 620)).toEqual([{ kind: "pinch", from: [P(100, 100), P(200, 100)], to: [P(100, 100), P(260, 100)] }]);
    expect(r.down(3, P(0, 0), 630)).toEqual([]); // a third finger changes nothing
    expect(r.move(3, P(5, 5), 640)).toEqual([]);
    expect(r.up(1, P(100, 100), 700)).toEqual([{ kind: "pinch-end" }]);
    expect(r.move(2, P(270, 110), 710)).toEqual([{ kind: "pan", dx: 10, dy: 10 }]);
    expect(r.up(2, P(270, 110), 720)).toEqual([]);
  });

  it("a cancelled pointer ends the gesture without a tap", () => {
    const r = new TouchRecognizer();
    r.down(1, P(0, 0), 0);
    expect(r.cancel(1)).toEqual([]);
    expect(r.up(1, P(0, 0), 50)).toEqual([]);
    expect(r.phase).toBe("idle");
  });
});

describe("swipeStep", () => {
  it("a long horizontal swipe moves to the next (leftwards) or previous (rightwards) item", () => {
    expect(swipeStep(-80, 10, 400)).toBe(1);
    expect(swipeStep(80, -10, 400)).toBe(-1);
  });
  it("short and slow, or mostly vertical, is not a swipe", () => {
    expect(swipeStep(-40, 0, 400)).toBe(0);
    expect(swipeStep(-100, 90, 200)).toBe(0);
  });
  it("a short quick flick counts", () => {
    expect(swipeStep(-30, 0, 40)).toBe(1);
    expect(swipeStep(-10, 0, 5)).toBe(0); // below the flick length: a tap that wobbled
  });
});
