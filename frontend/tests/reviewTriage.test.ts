import { describe, expect, it } from "vitest";
import { initialTriage, triageKey, withCount } from "../src/review/triage";

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
