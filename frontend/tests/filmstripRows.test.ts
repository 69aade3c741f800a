import { describe, expect, it } from "vitest";
import { NO_FILTER } from "../src/review/filters";
import { batchCountText, batchTitle, batchToggleTip, drawnCandidates, filmRows } from "../src/review/filmstripRows";
import type { Candidate } from "../src/review/types";

const asset = { id: "a", sha256: "", width: 4, height: 3, levels: [], original_url: "/o", level_url: "/l/{level}" };
function cand(id: string, batch: string | null | undefined, extra: Partial<Candidate> = {}): Candidate {
  return { id, job: `job-${id}`, batch, region: { x: 0, y: 0, width: 4, height: 3 }, status: "staged", asset, created_at: "2026-01-01T00:00:00Z", decision: null, ...extra };
}
const drifted = { drift: true, scores: {}, flags: [] } as unknown as Candidate["consistency"];
const names = new Map([["B", "Spring hero"]]);
const shape = (rows: ReturnType<typeof filmRows>) => rows.map((r) => (r.kind === "single" ? r.candidate.id : `${r.batch}:${r.items.map((c) => c.id).join(",")}${r.open ? " open" : ""}`));

describe("the filmstrip groups a batch's candidates", () => {
  // Newest job first, as the review list sends them: a batch's results interleave with a person's own.
  const list = [cand("1", "B"), cand("2", null), cand("3", "B", { consistency: drifted }), cand("4", "C"), cand("5", "B"), cand("6", undefined)];

  it("puts each batch under one row where its newest candidate is; single jobs and guests' candidates stay one each", () => {
    const rows = filmRows(list, NO_FILTER, new Set(), names);
    expect(shape(rows)).toEqual(["B:1,3,5", "2", "C:4", "6"]);
    const groups = rows.flatMap((r) => (r.kind === "batch" ? [[r.batch, r.name, r.drifted]] : []));
    expect(groups).toEqual([["B", "Spring hero", 1], ["C", undefined, 0]]);
  });

  it("draws a folded batch's candidates only when it is unfolded, in strip order for the phone viewer", () => {
    expect(drawnCandidates(filmRows(list, NO_FILTER, new Set(), names)).map((c) => c.id)).toEqual(["2", "6"]);
    const open = filmRows(list, NO_FILTER, new Set(["B"]), names);
    expect(shape(open)).toEqual(["B:1,3,5 open", "2", "C:4", "6"]);
    expect(drawnCandidates(open).map((c) => c.id)).toEqual(["1", "3", "5", "2", "6"]);
  });

  it("filters before grouping, so a group counts what the filter shows and an empty one goes", () => {
    const decided = list.map((c) => (c.id === "1" || c.id === "4" ? { ...c, decision: { iteration: c.id, status: "approved" } as Candidate["decision"] } : c));
    const rows = filmRows(decided, { ...NO_FILTER, status: "undecided" }, new Set(), names);
    // B now starts at 3, after 2.
    expect(shape(rows)).toEqual(["2", "B:3,5", "6"]);
    expect(shape(filmRows(list, { ...NO_FILTER, drifted: true }, new Set(), names))).toEqual(["B:3"]);
  });

  it("says the batch's name, count and what its button does", () => {
    expect(batchTitle("Spring hero")).toBe("“Spring hero”");
    expect(batchTitle(undefined)).toBe("A batch");
    expect(batchCountText(12, 0)).toBe("12 results");
    expect(batchCountText(1, 1)).toBe("1 result · 1 drifted");
    expect(batchToggleTip("Spring hero", 12, false)).toBe("Show the 12 results of “Spring hero”");
    expect(batchToggleTip(undefined, 1, false)).toBe("Show the result of this batch");
    expect(batchToggleTip("Spring hero", 12, true)).toBe("Fold the results of “Spring hero” back into one");
  });
});
