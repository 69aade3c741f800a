import { describe, expect, it } from "vitest";
import { NO_FILTER, matches } from "../src/review/filters";
import { applyConsistency, byConsistency, driftLabel, driftState, driftTip, keptConsistency } from "../src/review/drift";
import { describeEvent } from "../src/review/words";
import type { Candidate } from "../src/review/types";
import type { Consistency } from "../src/protocol/generated";

const ok = (worst: number): Consistency => ({ drift: false, scores: { palette: 0.97, lighting: worst, composition: 0.95 }, flags: [], stale: false });
const drifted = (metric: string, worst: number, message: string): Consistency => ({
  drift: true,
  scores: { palette: 0.9, lighting: worst, composition: 0.9 },
  flags: [{ metric, component: "direction", value: 2, threshold: 1, message }],
  stale: false,
});

function candidate(id: string, consistency: Consistency | null): Candidate {
  return { id, region: { x: 0, y: 0, width: 1, height: 1 }, status: "staged", asset: {} as Candidate["asset"], created_at: "", decision: null, consistency };
}

describe("drift words", () => {
  it("names the drifted metrics, says consistent, and says nothing while pending", () => {
    const c = drifted("lighting", 0.2, "Lighting comes from the right; the anchor is lit from the upper left.");
    c.flags.push({ metric: "palette", component: "off_palette", value: 0.3, threshold: 0.1, message: "18% off the palette" });
    expect(driftLabel(c)).toBe("Drifted: lighting and palette");
    expect(driftTip(c)).toBe("Lighting comes from the right; the anchor is lit from the upper left.");
    expect(driftLabel(ok(0.9))).toBe("Consistent with the anchors");
    expect(driftLabel(null)).toBe("");
    expect([driftState(null), driftState(ok(0.9)), driftState(c)]).toEqual(["pending", "consistent", "drifted"]);
  });

  it("says when the anchors or the kit changed and the scores are being re-checked", () => {
    const c = { ...drifted("lighting", 0.2, "Lighting comes from the right."), stale: true };
    expect(driftLabel(c)).toBe("Drifted: lighting (anchors or brand kit changed: re-checking)");
    expect(driftTip(c)).toBe("Lighting comes from the right. (Checked against the old anchors or brand kit; re-checking.)");
    expect(driftLabel({ ...ok(0.9), stale: true })).toBe("Consistent with the anchors (anchors or brand kit changed: re-checking)");
  });

  it("reads an automatic decision's reason in the history", () => {
    const text = describeEvent({ changes: { status: ["", "rejected"] }, by: { id: null, name: "Drift check", guest: false, system: true }, at: new Date(0).toISOString(), reason: "Lighting comes from the right." }, 1000);
    expect(text).toBe("Drift check rejected it: Lighting comes from the right. · just now");
  });
});

describe("drift filter and order", () => {
  const list = [candidate("a", ok(0.8)), candidate("b", drifted("palette", 0.6, "off")), candidate("c", null), candidate("d", drifted("lighting", 0.1, "dark")), candidate("e", ok(0.5))];

  it("the Drifted filter keeps exactly the flagged candidates", () => {
    expect(list.filter((c) => matches(c, { ...NO_FILTER, drifted: true })).map((c) => c.id)).toEqual(["b", "d"]);
    expect(list.filter((c) => matches(c, NO_FILTER))).toHaveLength(5);
  });

  it("sorts worst first: drifted by score, then consistent by score, unscored last", () => {
    expect(byConsistency(list).map((c) => c.id)).toEqual(["d", "b", "e", "a", "c"]);
  });

  it("a live message fills in scores and a later null never erases them", () => {
    const items = [candidate("x", null), candidate("y", null)];
    expect(applyConsistency(items, [{ iteration: "y", asset: "ay", consistency: ok(0.9) }])).toBe(1);
    expect(items[1]?.consistency?.drift).toBe(false);
    expect(keptConsistency(items[1]?.consistency, null)).toEqual(ok(0.9));
    expect(keptConsistency(ok(0.9), drifted("palette", 0.4, "off"))?.drift).toBe(true);
  });
});
