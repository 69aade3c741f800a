import { describe, expect, it } from "vitest";
import {
  batchMarkers,
  batchQueueLines,
  markerText,
  ownJobs,
  queueLineText,
  splitStaged,
  summaryText,
} from "../src/jobs/batchJobs";
import { JobStore } from "../src/jobs/model";
import type { IterationPayload } from "../src/jobs/model";
import { REGION, iteration, job } from "./jobFixtures";

const OTHER = { x: 200, y: 0, width: 100, height: 50 };

/** A 40-job batch over one region: 12 ended, 3 running, 25 queued. */
function batchOf40() {
  return Array.from({ length: 40 }, (_, n) =>
    job({
      id: `b${n}`,
      batch: "B",
      state: n < 10 ? "succeeded" : n < 12 ? "failed" : n < 15 ? "running" : "queued",
      spec: { region: { ...REGION } },
    }),
  );
}

describe("batch jobs on the board", () => {
  it("draws one marker for a 40-job batch over one region, and keeps the person's own jobs", () => {
    const own = job({ id: "mine", state: "running" });
    const jobs = [...batchOf40(), own];
    const markers = batchMarkers(jobs);
    expect(markers).toHaveLength(1);
    expect(markers[0]).toMatchObject({ batch: "B", total: 40, finished: 12, running: 3 });
    expect(markerText("Spring hero", markers[0]!)).toBe("Spring hero — 12/40");
    expect(markerText(undefined, markers[0]!)).toBe("Batch — 12/40");
    expect(ownJobs(jobs).map((j) => j.id)).toEqual(["mine"]);
  });

  it("gives each region and each batch its own marker, and none once they all ended", () => {
    const jobs = [
      job({ id: "1", batch: "B", state: "running" }),
      job({ id: "2", batch: "B", state: "queued", spec: { region: OTHER } }),
      job({ id: "3", batch: "C", state: "queued" }),
      job({ id: "4", batch: "D", state: "succeeded" }),
      // The same region written with fractions is the same region.
      job({ id: "5", batch: "B", state: "queued", spec: { region: { x: 0.2, y: 0, width: 100, height: 49.9 } } }),
    ];
    const markers = batchMarkers(jobs);
    expect(markers.map((m) => [m.batch, m.region.x, m.total])).toEqual([
      ["B", 0, 2],
      ["B", 200, 1],
      ["C", 0, 1],
    ]);
  });

  it("lists a batch's unfinished jobs as one queue line", () => {
    const lines = batchQueueLines(batchOf40().filter((j) => j.state === "running" || j.state === "queued"));
    expect(lines).toEqual([{ batch: "B", running: 3, queued: 25 }]);
    expect(queueLineText("Spring hero", lines[0]!)).toBe("Spring hero: 3 running, 25 queued");
  });

  it("sums a batch's staged results instead of listing them, newest batch first", () => {
    const batchOfJob: Record<string, string> = { j1: "B", j2: "C" };
    const staged: IterationPayload[] = [
      ...Array.from({ length: 500 }, (_, n) =>
        iteration({ id: `r${n}`, job: "j1", consistency: n < 12 ? ({ drift: true } as IterationPayload["consistency"]) : null }),
      ),
      iteration({ id: "c1", job: "j2", created_at: "2026-11-28T09:00:00Z" }),
      iteration({ id: "mine", job: "own" }),
      iteration({ id: "unknown", job: "not-on-this-board" }),
    ];
    const { own, batches } = splitStaged(staged, (id) => batchOfJob[id] ?? null);
    expect(own.map((i) => i.id)).toEqual(["mine", "unknown"]);
    expect(batches.map((b) => [b.batch, b.results, b.drifted])).toEqual([
      ["C", 1, 0],
      ["B", 500, 12],
    ]);
    expect(summaryText("Spring hero", batches[1]!)).toBe("“Spring hero”: 500 results, 12 drifted");
    expect(summaryText(undefined, batches[0]!)).toBe("A batch: 1 result");
  });

  it("tells subscribers when a batch's name becomes known, once", () => {
    const store = new JobStore();
    let told = 0;
    store.subscribe(() => (told += 1));
    store.nameBatch("B", "Spring hero");
    store.nameBatch("B", "Spring hero");
    expect(store.batchNames.get("B")).toBe("Spring hero");
    expect(told).toBe(1);
  });
});
