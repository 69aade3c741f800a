import { describe, expect, it } from "vitest";
import { type TriageState, initialTriage, triageKey, verticalNeighbours, withCount } from "../src/review/triage";

describe("triage keyboard", () => {
  it("maps verdict, rating and star keys to decision commands", () => {
    const s = initialTriage(5, 3);
    expect(triageKey(s, "a").command).toEqual({ kind: "decide", change: { status: "approved" } });
    expect(triageKey(s, "X").command).toEqual({ kind: "decide", change: { status: "rejected" } });
    expect(triageKey(s, "n").command).toEqual({ kind: "decide", change: { status: "needs_changes" } });
    expect(triageKey(s, "u").command).toEqual({ kind: "decide", change: { status: "" } });
    expect(triageKey(s, "4").command).toEqual({ kind: "decide", change: { rating: 4 } });
    expect(triageKey(s, "s").command).toEqual({ kind: "toggle_star" });
    expect(triageKey(s, "6").handled).toBe(false);
    expect(triageKey(s, "a", { ctrl: true }).handled).toBe(false);
  });

  it("moves by one horizontally and by a row vertically, clamped", () => {
    let s = initialTriage(7, 3);
    s = triageKey(s, "ArrowRight").state;
    expect(s.cursor).toBe(1);
    s = triageKey(s, "ArrowDown").state;
    expect(s.cursor).toBe(4);
    s = triageKey(s, "ArrowDown").state;
    expect(s.cursor).toBe(6); // clamped to the last
    s = triageKey(s, "ArrowUp").state;
    expect(s.cursor).toBe(3);
    const atStart = triageKey(initialTriage(3), "ArrowLeft");
    expect(atStart.state.cursor).toBe(0);
    expect(atStart.command).toBeNull();
  });

  it("opens and closes compare and help; Escape closes only what is open", () => {
    let r = triageKey(initialTriage(2), "Enter");
    expect(r.command).toEqual({ kind: "compare", open: true });
    expect(r.state.comparing).toBe(true);
    // In compare, up/down step through candidates instead of rows.
    r = triageKey({ ...r.state, columns: 4 }, "ArrowDown");
    expect(r.state.cursor).toBe(1);
    r = triageKey(r.state, "Escape");
    expect(r.command).toEqual({ kind: "compare", open: false });
    expect(triageKey(r.state, "Escape").handled).toBe(false);
    r = triageKey(r.state, "?");
    expect(r.state.help).toBe(true);
    // While help is open, triage keys do nothing.
    expect(triageKey(r.state, "a").command).toBeNull();
    expect(triageKey(r.state, "Escape").state.help).toBe(false);
  });

  it("does nothing to an empty grid and keeps the cursor valid when the list shrinks", () => {
    const empty = initialTriage(0);
    expect(triageKey(empty, "a").command).toBeNull();
    expect(triageKey(empty, "Enter").command).toBeNull();
    const s = withCount({ ...initialTriage(10), cursor: 9, comparing: true }, 4);
    expect(s.cursor).toBe(3);
    expect(withCount(s, 0).comparing).toBe(false);
  });
});

describe("vertical neighbours in a wrapped grid", () => {
  it("step to the nearest tile of the next row, not a fixed column count", () => {
    // Row 1: three tiles (a group of 2, a group of 1); row 2: one wide-offset tile.
    const rects = [
      { x: 0, y: 0, width: 100, height: 80 },
      { x: 110, y: 0, width: 100, height: 80 },
      { x: 240, y: 0, width: 100, height: 80 },
      { x: 230, y: 120, width: 100, height: 80 },
    ];
    const n = verticalNeighbours(rects);
    expect(n.below).toEqual([3, 3, 3, -1]);
    expect(n.above).toEqual([-1, -1, -1, 2]);
    let s: TriageState = { ...initialTriage(4, 3), ...n };
    s = triageKey(s, "ArrowDown").state;
    expect(s.cursor).toBe(3);
    s = triageKey(s, "ArrowDown").state;
    expect(s.cursor).toBe(3); // nothing below: stay
    s = triageKey(s, "ArrowUp").state;
    expect(s.cursor).toBe(2);
  });
});
