import { describe, expect, it } from "vitest";
import { NO_FILTER, applyDecision, driftQuery, filterFromQuery, filterGroups, filterQuery, matches, promoteCount, tierOf } from "../src/review/filters";
import type { Candidate, ReviewGroup } from "../src/review/types";

const asset = { id: "a", sha256: "", width: 4, height: 3, levels: [], original_url: "/o", level_url: "/l/{level}" };
function cand(id: string, decision: Partial<NonNullable<Candidate["decision"]>> | null, extra: Partial<Candidate> = {}): Candidate {
  return {
    id,
    region: { x: 0, y: 0, width: 4, height: 3 },
    status: "staged",
    asset,
    created_at: "2026-01-01T00:00:00Z",
    decision: decision ? { iteration: id, status: "", decided_by: { name: "Rita", guest: false }, decided_at: "2026-01-01T00:00:00Z", ...decision } : null,
    ...extra,
  };
}

describe("review filters", () => {
  const approved4 = cand("1", { status: "approved", rating: 4, starred: true, tier: "upres" });
  const rejected = cand("2", { status: "rejected", rating: 2 });
  const undecided = cand("3", null, { parent: "1" });

  it("match like the server's review_list filters", () => {
    expect(matches(undecided, { ...NO_FILTER, status: "undecided" })).toBe(true);
    expect(matches(approved4, { ...NO_FILTER, status: "undecided" })).toBe(false);
    expect(matches(rejected, { ...NO_FILTER, status: "rejected" })).toBe(true);
    expect(matches(approved4, { ...NO_FILTER, ratingGte: 4 })).toBe(true);
    expect(matches(rejected, { ...NO_FILTER, ratingGte: 3 })).toBe(false);
    expect(matches(undecided, { ...NO_FILTER, ratingGte: 1 })).toBe(false);
    expect(matches(approved4, { ...NO_FILTER, starred: true })).toBe(true);
    expect(matches(undecided, { ...NO_FILTER, starred: false })).toBe(true);
    expect(matches(approved4, { ...NO_FILTER, tier: "upres" })).toBe(true);
    expect(tierOf(undecided)).toBe("refinement"); // a child of another candidate
    expect(matches(undecided, { ...NO_FILTER, tier: "generation" })).toBe(false);
  });

  it("drop empty groups and build the API query", () => {
    const groups: ReviewGroup[] = [
      { root: "1", region: approved4.region, source_asset: null, candidates: [approved4, undecided] },
      { root: "2", region: rejected.region, source_asset: null, candidates: [rejected] },
    ];
    const shown = filterGroups(groups, { ...NO_FILTER, status: "approved" });
    expect(shown.map((g) => g.candidates.map((c) => c.id))).toEqual([["1"]]);
    expect(filterQuery(NO_FILTER)).toBe("");
    expect(filterQuery({ status: "undecided", ratingGte: 3, starred: false, tier: "final", drifted: false })).toBe("?status=undecided&rating_gte=3&starred=false&tier=final");
  });

  it("apply a live decision to the candidate it names (and moves it between filters)", () => {
    const groups: ReviewGroup[] = [{ root: "3", region: undecided.region, source_asset: null, candidates: [cand("3", null)] }];
    expect(applyDecision(groups, { iteration: "3", status: "approved", decided_by: { name: "Client", guest: true }, decided_at: "2026-01-02T00:00:00Z" })).toBe(true);
    expect(filterGroups(groups, { ...NO_FILTER, status: "approved" })).toHaveLength(1);
    expect(groups[0]?.candidates[0]?.decision?.decided_by.name).toBe("Client");
    expect(applyDecision(groups, { iteration: "nope", status: "approved", decided_by: { name: "x", guest: false }, decided_at: "" })).toBe(false);
  });

  it("promote count: floor of the percentage, at least one when anything is rated", () => {
    expect(promoteCount(20, 10)).toBe(2);
    expect(promoteCount(5, 10)).toBe(1);
    expect(promoteCount(0, 10)).toBe(0);
    expect(promoteCount(3, 100)).toBe(3);
  });
});

describe("filters from the URL", () => {
  it("read the API's query names and ignore what is not valid", () => {
    expect(filterFromQuery("?status=undecided")).toEqual({ ...NO_FILTER, status: "undecided" });
    expect(filterFromQuery("?status=bogus&rating_gte=9&starred=maybe&tier=nope")).toEqual(NO_FILTER);
    const f = filterFromQuery("?rating_gte=4&starred=true&tier=final");
    expect(f).toEqual({ status: "", ratingGte: 4, starred: true, tier: "final", drifted: false });
    expect(filterQuery(f)).toBe("?rating_gte=4&starred=true&tier=final"); // round trip
  });
});

describe("driftQuery", () => {
  it("asks the API for the drifted filter and the consistency order", () => {
    expect(driftQuery({ drifted: false }, "job")).toBe("");
    expect(driftQuery({ drifted: true }, "job")).toBe("?drift=drifted");
    expect(driftQuery({ drifted: false }, "consistency")).toBe("?sort=drift");
    expect(driftQuery({ drifted: true }, "consistency")).toBe("?drift=drifted&sort=drift");
  });
});
