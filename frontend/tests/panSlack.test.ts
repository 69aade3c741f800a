import { describe, expect, it } from "vitest";
import { boardToScreen } from "../src/model/geometry";
import {
  MAX_CANVAS_DEVICE_PX,
  MIN_SLACK_PX,
  PAN_SLACK_PX,
  canvasCamera,
  canvasSize,
  screenToCanvas,
  slackFor,
  slackShift,
  slackTransform,
} from "../src/model/panSlack";

const view = { width: 1282, height: 800 };

describe("slackFor", () => {
  it("is the full slack for an ordinary view at any common devicePixelRatio", () => {
    for (const dpr of [1, 2, 3]) expect(slackFor(view, dpr)).toBe(PAN_SLACK_PX);
  });

  it("is a whole number of device pixels on a fractional devicePixelRatio", () => {
    for (const dpr of [1.25, 1.5, 1.75, 2.625]) {
      const slack = slackFor(view, dpr);
      expect(Number.isInteger(Math.round(slack * dpr * 1e9) / 1e9)).toBe(true);
      expect(slack).toBeLessThanOrEqual(PAN_SLACK_PX);
      expect(slack).toBeGreaterThan(PAN_SLACK_PX - 1);
    }
  });

  it("shrinks so the canvas stays within the device-pixel budget, and is none when too small", () => {
    const big = { width: 1920, height: 1080 };
    const slack = slackFor(big, 3);
    expect(slack).toBeLessThan(PAN_SLACK_PX);
    expect(slack).toBeGreaterThanOrEqual(MIN_SLACK_PX);
    const c = canvasSize(big, slack);
    expect(c.width * c.height * 9).toBeLessThanOrEqual(MAX_CANVAS_DEVICE_PX);
    // One device pixel more would be over it (the slack is the largest that fits).
    const more = canvasSize(big, slack + 1 / 3);
    expect(more.width * more.height * 9).toBeGreaterThan(MAX_CANVAS_DEVICE_PX);
    // A view that alone nearly fills the budget gets no slack at all: every pan redraws.
    expect(slackFor({ width: 2560, height: 1600 }, 3)).toBe(0);
  });
});

describe("slackShift", () => {
  const base = { panX: 100.5, panY: -40, zoom: 0.25 };

  it("moves the canvas by the pan while it stays within the slack", () => {
    expect(slackShift(base, { ...base, panX: 100.5 + 37, panY: -40 - 23 }, 160, 1)).toEqual({ x: 37, y: -23 });
    expect(slackShift(base, { ...base, panX: 100.5 + 160, panY: -40 - 160 }, 160, 1)).toEqual({ x: 160, y: -160 });
  });

  it("asks for a redraw past the slack, on a zoom, and always with no slack", () => {
    expect(slackShift(base, { ...base, panX: 100.5 + 161 }, 160, 1)).toBeNull();
    expect(slackShift(base, { ...base, panY: -40 - 161 }, 160, 1)).toBeNull();
    expect(slackShift(base, { ...base, zoom: 0.26 }, 160, 1)).toBeNull();
    expect(slackShift(base, { ...base, panX: 101.5 }, 0, 1)).toBeNull();
    expect(slackShift(base, base, 0, 1)).toEqual({ x: 0, y: 0 });
  });

  it("moves by whole device pixels", () => {
    expect(slackShift(base, { ...base, panX: 100.5 + 10.3 }, 160, 1)).toEqual({ x: 10, y: 0 });
    expect(slackShift(base, { ...base, panX: 100.5 + 10.3 }, 160, 2)).toEqual({ x: 10.5, y: 0 });
    const s = slackShift(base, { ...base, panX: 100.5 + 10.3 }, 160, 1.5);
    expect((s?.x ?? 0) * 1.5).toBeCloseTo(15, 9);
  });
});

describe("where the canvas puts the board", () => {
  it("shows every board point where the camera says, within half a device pixel", () => {
    const slack = 160;
    for (const dpr of [1, 1.5, 2]) {
      const base = { panX: 321.25, panY: 77.75, zoom: 0.5 };
      const camera = { ...base, panX: base.panX - 93.4, panY: base.panY + 151.2 };
      const shift = slackShift(base, camera, slack, dpr);
      expect(shift).not.toBeNull();
      if (!shift) continue;
      for (const p of [
        { x: 0, y: 0 },
        { x: 1000, y: -250 },
        { x: -333, y: 512 },
      ]) {
        // Drawn on the canvas at the canvas camera, the element placed by the transform…
        const onCanvas = boardToScreen(canvasCamera(base, slack), p);
        const onScreen = { x: onCanvas.x + shift.x - slack, y: onCanvas.y + shift.y - slack };
        // … lands where the editor (and its hit tests) think it is.
        const want = boardToScreen(camera, p);
        expect(Math.abs(onScreen.x - want.x)).toBeLessThanOrEqual(0.5 / dpr + 1e-9);
        expect(Math.abs(onScreen.y - want.y)).toBeLessThanOrEqual(0.5 / dpr + 1e-9);
        // And a screen point maps back onto the canvas pixel drawn there.
        const back = screenToCanvas(onScreen, shift, slack);
        expect(back.x).toBeCloseTo(onCanvas.x, 9);
        expect(back.y).toBeCloseTo(onCanvas.y, 9);
      }
    }
  });

  it("rests the canvas at minus the slack and is as large as the view plus both slacks", () => {
    expect(slackTransform({ x: 0, y: 0 }, 160)).toBe("translate(-160px, -160px)");
    expect(slackTransform({ x: 37, y: -23 }, 160)).toBe("translate(-123px, -183px)");
    expect(canvasSize(view, 160)).toEqual({ width: 1602, height: 1120 });
  });
});
