import { describe, expect, it } from "vitest";
import {
  type BatchView,
  batchAnnouncement,
  countsText,
  endedText,
  etaText,
  Freshness,
  segmentShares,
  valueText,
} from "../src/batches/model";

function view(counts: Partial<BatchView["counts"]>, state = "running", eta: number | null = 90): BatchView {
  return {
    id: "b1",
    board: "board",
    name: "Spring",
    jobs: 8,
    state,
    counts: { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, ...counts },
    eta_seconds: eta,
    finished_at: null,
  };
}

describe("batch progress", () => {
  it("splits the bar by the batch's jobs", () => {
    const v = view({ succeeded: 2, failed: 1, running: 1, queued: 4 });
    expect(segmentShares(v)).toEqual({ done: 25, failed: 12.5, running: 12.5, queued: 50 });
    expect(countsText(v)).toBe("2 done · 1 failed · 1 running · 4 queued");
    expect(valueText(v)).toBe("2 done · 1 failed · 1 running · 4 queued of 8 jobs; about 2 min left");
    expect(valueText({ ...v, state: "paused" })).toMatch(/^Paused: 2 done/);
  });

  it("says the time left in words", () => {
    expect(etaText(null)).toBe("");
    expect(etaText(0)).toBe("");
    expect(etaText(20)).toBe("under a minute");
    expect(etaText(150)).toBe("about 3 min");
    expect(etaText(4800)).toBe("about 1 h 20 min");
    expect(etaText(7200)).toBe("about 2 h");
  });

  it("takes an API answer only if no message about the batch arrived meanwhile", () => {
    const f = new Freshness();
    const before = f.mark();
    expect(f.fresh("b1", before)).toBe(true);
    f.message("b1"); // the socket spoke while the request was on its way
    expect(f.fresh("b1", before)).toBe(false);
    expect(f.fresh("b2", before)).toBe(true);
    expect(f.fresh("b1", f.mark())).toBe(true); // asked after the message: news
  });

  it("announces the start, state changes and quarters, not every message", () => {
    const start = view({ queued: 8 });
    expect(batchAnnouncement(start, null)).toBe("Batch “Spring” started: 8 jobs.");
    expect(batchAnnouncement(view({ succeeded: 1, queued: 7 }), start)).toBeNull();
    expect(batchAnnouncement(view({ succeeded: 2, queued: 6 }), start)).toBe("Batch “Spring”: 2 of 8 jobs finished.");
    expect(batchAnnouncement({ ...start, state: "paused" }, start)).toBe("Batch “Spring” paused.");
    const done = view({ succeeded: 7, failed: 1 }, "completed", 0);
    expect(batchAnnouncement(done, start)).toBe("Batch “Spring” completed: 7 done, 1 failed.");
    expect(endedText(view({ succeeded: 2, cancelled: 6 }, "cancelled"))).toBe("Cancelled: 2 done, 0 failed, 6 cancelled.");
    // A retried job reopens an ended batch.
    expect(batchAnnouncement(view({ succeeded: 7, queued: 1 }), done)).toBe("Batch “Spring” runs again: a job was retried.");
  });
});
