import { describe, expect, it } from "vitest";
import { EMPTY_FILTER, filterHistory, groupByBatch } from "../src/jobs/history";
import type { IterationPayload, JobPayload } from "../src/jobs/model";
import { NO_FILTER, decisionMatches, matches } from "../src/review/filters";
import type { Candidate, Decision } from "../src/review/types";

const REGION = { x: 0, y: 0, width: 100, height: 50 };

function iteration(id: string, created_at: string, extra: Partial<IterationPayload> = {}): IterationPayload {
  return {
    id,
    board: "b",
    job: "j1",
    index: 0,
    asset: `asset-${id}`,
    source_asset: null,
    parent: null,
    region: REGION,
    status: "staged",
    applied_item: null,
    is_current: false,
    seed: 1,
    provenance: { engine: "local" },
    created_at,
    consistency: null,
    ...extra,
  };
}

function decision(iteration: string, status: Decision["status"], rating: number | null = null, starred = false): Decision {
  return { iteration, status, rating, starred, decided_by: { name: "Ada", guest: false }, decided_at: "2026-11-27T12:00:00Z" };
}

describe("history panel decision filter", () => {
  const jobs = new Map<string, JobPayload>();
  const rows = [
    iteration("ok", "2026-11-27T10:00:00Z"),
    iteration("meh", "2026-11-27T09:00:00Z"),
    iteration("no", "2026-11-27T08:00:00Z", { status: "discarded" }),
    iteration("fresh", "2026-11-27T07:00:00Z"),
    iteration("fav", "2026-11-27T06:00:00Z"),
  ];
  const decisions = new Map<string, Decision>([
    ["ok", decision("ok", "approved", 5, true)],
    ["meh", decision("meh", "needs_changes", 3)],
    ["no", decision("no", "rejected", 1)],
    // Rated and starred but no verdict yet: still "undecided".
    ["fav", decision("fav", "", 4, true)],
  ]);
  const lookup = (id: string) => decisions.get(id);
  const ids = (f: Partial<typeof EMPTY_FILTER>) => filterHistory(rows, jobs, { ...EMPTY_FILTER, ...f }, lookup).map((i) => i.id);

  it("filters by verdict, counting results without a decision as undecided", () => {
    expect(ids({ decision: "approved" })).toEqual(["ok"]);
    expect(ids({ decision: "needs_changes" })).toEqual(["meh"]);
    expect(ids({ decision: "rejected" })).toEqual(["no"]);
    expect(ids({ decision: "undecided" })).toEqual(["fresh", "fav"]);
  });

  it("filters by rating at least N and by star", () => {
    expect(ids({ ratingGte: 4 })).toEqual(["ok", "fav"]);
    expect(ids({ ratingGte: 1 })).toEqual(["ok", "meh", "no", "fav"]);
    expect(ids({ starred: true })).toEqual(["ok", "fav"]);
    expect(ids({ starred: false })).toEqual(["meh", "no", "fresh"]);
  });

  it("combines decision criteria with the existing filters", () => {
    expect(ids({ decision: "undecided", starred: true })).toEqual(["fav"]);
    expect(ids({ ratingGte: 1, status: "staged" })).toEqual(["ok", "meh", "fav"]);
    expect(ids({})).toEqual(["ok", "meh", "no", "fresh", "fav"]);
  });

  it("sees a decision that arrives later (the lookup is read at filter time)", () => {
    expect(ids({ decision: "approved" })).toEqual(["ok"]);
    decisions.set("fresh", decision("fresh", "approved"));
    expect(ids({ decision: "approved" })).toEqual(["ok", "fresh"]);
    decisions.delete("fresh");
  });

  it("without a decision source every result is undecided", () => {
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, decision: "approved" })).toEqual([]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, decision: "undecided" })).toHaveLength(5);
  });

  it("uses the same rules as the review grid's filter", () => {
    for (const [id, d] of [...decisions, ["fresh", undefined] as const]) {
      const candidate = { id, decision: d ?? null, region: REGION } as Candidate;
      for (const status of ["", "approved", "rejected", "needs_changes", "undecided"] as const) {
        for (const ratingGte of [null, 3, 5]) {
          for (const starred of [null, true, false]) {
            const f = { status, ratingGte, starred };
            expect(decisionMatches(d, f)).toBe(matches(candidate, { ...NO_FILTER, ...f }));
            expect(ids({ decision: status, ratingGte, starred }).includes(id)).toBe(decisionMatches(d, f));
          }
        }
      }
    }
  });
});

describe("History groups a batch's results", () => {
  it("puts each batch's results under one row where its first is, and keeps single jobs as they are", () => {
    const iter = (id: string, job: string) => ({ id, job }) as unknown as IterationPayload;
    const jobs = new Map<string, { batch: string | null }>([
      ["own", { batch: null }],
      ["b1", { batch: "B" }],
      ["b2", { batch: "B" }],
      ["c1", { batch: "C" }],
    ]);
    const rows = groupByBatch([iter("1", "b1"), iter("2", "own"), iter("3", "b2"), iter("4", "c1"), iter("5", "b1")], (it) => jobs.get(it.job)?.batch);
    expect(rows.map((r) => (r.kind === "single" ? r.iteration.id : `${r.batch}:${r.items.map((x) => x.id).join(",")}`))).toEqual(["B:1,3,5", "2", "C:4"]);
  });
});
