import { describe, expect, it } from "vitest";
import { changePhrase, decidedLine, describeEvent, groupCount, groupDetail, tierSummary } from "../src/review/words";
import type { Decision } from "../src/review/types";

const NOW = Date.parse("2026-12-06T12:00:00Z");
const TWO_MIN_AGO = "2026-12-06T11:58:00Z";
const ana = { id: 3, name: "Ana", guest: false };

describe("decision history in words", () => {
  it("reads each kind of change as a sentence with who and when", () => {
    const at = TWO_MIN_AGO;
    expect(describeEvent({ changes: { status: ["", "needs_changes"] }, by: ana, at }, NOW)).toBe("Ana marked it Needs changes · 2 min ago");
    expect(describeEvent({ changes: { status: ["rejected", "approved"] }, by: ana, at }, NOW)).toBe("Ana approved it · 2 min ago");
    expect(describeEvent({ changes: { status: ["approved", ""] }, by: ana, at }, NOW)).toBe("Ana cleared the verdict · 2 min ago");
    expect(describeEvent({ changes: { rating: [null, 4] }, by: ana, at }, NOW)).toBe("Ana rated it 4 of 5 · 2 min ago");
    expect(describeEvent({ changes: { starred: [false, true] }, by: ana, at }, NOW)).toBe("Ana starred it · 2 min ago");
    expect(describeEvent({ changes: { starred: [true, false] }, by: ana, at }, NOW)).toBe("Ana removed the star · 2 min ago");
  });

  it("puts the verdict first when one change did several things, and names clients", () => {
    const e = { changes: { tier: ["upres", "final"], status: ["", "approved"] } as Record<string, [unknown, unknown]>, by: { name: "Casey", guest: true }, at: TWO_MIN_AGO };
    expect(describeEvent(e, NOW)).toBe("Casey (client) approved it and moved it to Final · 2 min ago");
  });

  it("never shows raw field names or values for known fields", () => {
    for (const [field, to] of [["status", "needs_changes"], ["rating", null], ["tier", "upres"], ["starred", true]] as [string, unknown][]) {
      const text = changePhrase(field, to);
      expect(text).not.toContain("→");
      expect(text).not.toContain("needs_changes");
    }
  });
});

describe("review page counts", () => {
  const c = { candidates: [{}, {}, {}, {}] as never[], kind: "variations" as const, total: 4 };

  it("says how many variations a job made, and how many a filter shows", () => {
    expect(groupCount(c)).toBe("4 variations");
    expect(groupCount({ ...c, candidates: [{}] as never[] })).toBe("1 of 4 variations");
    expect(groupCount({ candidates: [{}] as never[], kind: "upscale", total: 1 })).toBe("1 upscale");
  });

  it("describes refinements and upscales by what they came from", () => {
    expect(groupDetail({ kind: "refinement", parent_label: "Result 2 of Hero shot", prompt: "warmer" })).toEqual(["Refines Result 2 of Hero shot", "“warmer”"]);
    expect(groupDetail({ kind: "upscale", parent_label: null, prompt: "" })).toEqual(["Upscale"]);
  });

  it("lists every tier in production order, zero included, so the counts add up", () => {
    const summary = tierSummary({ generation: 3, final: 1 });
    expect(summary.map((s) => s.tier)).toEqual(["generation", "refinement", "upres", "final"]);
    expect(summary.reduce((n, s) => n + s.count, 0)).toBe(4);
  });

  it("says who decided last on a card", () => {
    const d: Decision = { iteration: "i", status: "approved", rating: 4, starred: false, tier: "generation", decided_by: ana, decided_at: TWO_MIN_AGO };
    expect(decidedLine(d, NOW)).toBe("Approved by Ana · 2 min ago");
    expect(decidedLine({ ...d, status: "" }, NOW)).toBe("Rated by Ana · 2 min ago");
    expect(decidedLine(null, NOW)).toBe("No decision yet");
  });
});
