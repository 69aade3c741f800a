import { describe, expect, it } from "vitest";
import { TIP_MARGIN_PX, placeTip, tipMaxWidth } from "../src/ui/tooltipPlacement";

const phone = { width: 390, height: 844 };
const tip = { width: 200, height: 26 };
const inside = (at: { left: number; top: number }, size = tip, view = phone) =>
  at.left >= TIP_MARGIN_PX && at.top >= TIP_MARGIN_PX && at.left + size.width <= view.width - TIP_MARGIN_PX && at.top + size.height <= view.height - TIP_MARGIN_PX;

describe("placeTip", () => {
  it("centres the tooltip under its control when there is room", () => {
    const at = placeTip({ left: 150, top: 50, width: 90, height: 44 }, tip, phone);
    expect(at).toEqual({ left: 95, top: 100 });
  });

  it("keeps a tooltip of a control at the right edge inside the view", () => {
    const at = placeTip({ left: 340, top: 52, width: 44, height: 44 }, tip, phone);
    expect(at.left + tip.width).toBe(phone.width - TIP_MARGIN_PX);
    expect(inside(at)).toBe(true);
  });

  it("keeps a tooltip of a control at the left edge inside the view", () => {
    const at = placeTip({ left: 0, top: 52, width: 44, height: 44 }, tip, phone);
    expect(at.left).toBe(TIP_MARGIN_PX);
    expect(inside(at)).toBe(true);
  });

  it("flips above a control at the bottom of the view", () => {
    const at = placeTip({ left: 100, top: 800, width: 44, height: 40 }, tip, phone);
    expect(at.top).toBe(800 - 6 - tip.height);
    expect(inside(at)).toBe(true);
  });

  it("stays inside a view too short for either side", () => {
    const view = { width: 390, height: 60 };
    const at = placeTip({ left: 100, top: 10, width: 44, height: 40 }, tip, view);
    expect(inside(at, tip, view)).toBe(true);
  });
});

describe("tipMaxWidth", () => {
  it("is 280 px on wide screens and the view less both margins on narrow ones", () => {
    expect(tipMaxWidth(1440)).toBe(280);
    expect(tipMaxWidth(260)).toBe(260 - 2 * TIP_MARGIN_PX);
  });
});
