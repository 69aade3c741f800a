import { describe, expect, it } from "vitest";
import { revealDelta, rowWindow, rowsToRender } from "../src/ui/virtualRows";

describe("rowWindow", () => {
  const base = { count: 2000, rowHeight: 28, overscan: 8 };

  it("keeps the rows on show plus the overscan, not the whole list", () => {
    // A 700 px panel scrolled to row 100 (2,800 px down the list).
    const w = rowWindow({ ...base, viewTop: 2800, viewHeight: 700 });
    expect(w).toEqual({ first: 92, last: 133 });
    expect(w.last - w.first).toBeLessThan(50);
  });

  it("clamps at both ends of the list", () => {
    expect(rowWindow({ ...base, viewTop: -120, viewHeight: 700 })).toEqual({ first: 0, last: 29 });
    expect(rowWindow({ ...base, viewTop: 2000 * 28 - 300, viewHeight: 700 })).toEqual({ first: 1981, last: 2000 });
    expect(rowWindow({ ...base, count: 5, viewTop: 0, viewHeight: 700 })).toEqual({ first: 0, last: 5 });
    expect(rowWindow({ ...base, count: 0, viewTop: 0, viewHeight: 700 })).toEqual({ first: 0, last: 0 });
  });

  it("keeps a head of the list when the panel is not laid out (a closed drawer)", () => {
    expect(rowWindow({ ...base, viewTop: 0, viewHeight: 0 })).toEqual({ first: 0, last: 16 });
  });

  it("covers every row of the view whatever the scroll offset", () => {
    for (let top = 0; top < 5000; top += 37) {
      const w = rowWindow({ ...base, viewTop: top, viewHeight: 500 });
      const firstShown = Math.floor(top / 28);
      const lastShown = Math.floor((top + 499) / 28);
      expect(w.first).toBeLessThanOrEqual(firstShown);
      expect(w.last).toBeGreaterThan(lastShown);
    }
  });
});

describe("rowsToRender", () => {
  it("adds the focused row outside the window, in index order, once", () => {
    expect(rowsToRender({ first: 10, last: 13 }, [1500, 11, 1500], 2000)).toEqual([10, 11, 12, 1500]);
    expect(rowsToRender({ first: 10, last: 13 }, [2], 2000)).toEqual([2, 10, 11, 12]);
    expect(rowsToRender({ first: 10, last: 13 }, [-1, 5000], 2000)).toEqual([10, 11, 12]);
  });
});

describe("revealDelta", () => {
  it("scrolls the least that brings the row fully into view", () => {
    // View: list px 280–980 (rows 10–34 fully on show).
    expect(revealDelta(20, 28, 280, 700)).toBe(0);
    expect(revealDelta(5, 28, 280, 700)).toBe(140 - 280); // up, row at the top edge
    expect(revealDelta(40, 28, 280, 700)).toBe(40 * 28 + 28 - 980); // down, row at the bottom edge
    expect(revealDelta(1999, 28, 280, 700)).toBe(1999 * 28 + 28 - 980);
  });
});
