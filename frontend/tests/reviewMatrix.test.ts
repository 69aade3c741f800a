import { describe, expect, it } from "vitest";
import { type MatrixCandidate, type MatrixCell, cellCounts, valueLabel } from "../src/review/matrix";
import { ThrottledLoad, cellKey, cellSignature } from "../src/review/matrixLive";

const cell = (over: Partial<MatrixCell>): MatrixCell => ({
  row: "boot",
  col: "snow",
  jobs: 2,
  done: 2,
  failed: 0,
  active: 0,
  results: 2,
  drifted: 0,
  approved: 0,
  decided_by_hand: false,
  candidates: [],
  ...over,
});

describe("batch matrix words", () => {
  it("shows done out of the cell's jobs, and only the other counts that are not zero", () => {
    expect(cellCounts(cell({})).map(([, text]) => text)).toEqual(["2/2 done"]);
    expect(cellCounts(cell({ done: 1, failed: 1, drifted: 1, approved: 1 })).map(([kind, text]) => [kind, text])).toEqual([
      ["done", "1/2 done"],
      ["failed", "1 failed"],
      ["drifted", "1 drifted"],
      ["approved", "1 approved"],
    ]);
    expect(cellCounts(cell({ done: 0, active: 2 }))[1]).toEqual(["active", "2 running", 2]);
  });

  it("names values in words: an anchor set by number, the one row of a matrix without rows", () => {
    const sets = { key: "anchor_set", label: "Anchor set", kind: "anchor_set", values: ["1", "2"] };
    const product = { key: "product", label: "product", kind: "variable", values: ["boot"] };
    expect(valueLabel(sets, "2")).toBe("Set 2");
    expect(valueLabel(product, "boot")).toBe("boot");
    expect(valueLabel(null, null)).toBe("All");
  });
});

describe("the live matrix", () => {
  function fakeClock() {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    return {
      clock: { now: () => now, later: (fn: () => void, ms: number) => timers.push({ at: now + ms, fn }) },
      advance(ms: number) {
        now += ms;
        for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) {
          if (t.at <= now) t.fn();
          else timers.push(t);
        }
      },
    };
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("reads at once, folds a burst into one trailing read, and never runs two reads together", async () => {
    const time = fakeClock();
    const started: number[] = [];
    let finish: () => void = () => {};
    const load = () => {
      started.push(time.clock.now());
      return new Promise<void>((r) => (finish = r));
    };
    const live = new ThrottledLoad(load, 1500, time.clock);
    live.request();
    expect(started).toEqual([0]);
    for (let i = 0; i < 10; i++) live.request(); // a burst of progress messages
    time.advance(2000);
    expect(started).toEqual([0]); // the first read has not answered yet
    finish();
    await settle();
    expect(started).toEqual([0, 2000]); // one trailing read for the whole burst
    finish();
    await settle();
    live.request();
    expect(started).toEqual([0, 2000]); // within 1.5 s of the last read: waits
    time.advance(1500);
    expect(started).toEqual([0, 2000, 3500]);
  });

  it("a cell's signature changes with its counts and its shown candidates, not with hidden ones", () => {
    const cand = (id: string, over: Partial<MatrixCandidate> = {}): MatrixCandidate => ({ id, job: "j", number: 1, refines: null, asset: {} as MatrixCandidate["asset"], decision: "undecided", automatic: false, drift: false, drift_metric: null, score: null, ...over });
    const base = cell({ candidates: [cand("a"), cand("b")] });
    const sig = cellSignature(base, 1, null);
    expect(cellSignature({ ...base }, 1, null)).toBe(sig);
    expect(cellSignature({ ...base, done: 1 }, 1, null)).not.toBe(sig);
    expect(cellSignature({ ...base, candidates: [cand("a", { decision: "approved" }), cand("b")] }, 1, null)).not.toBe(sig);
    expect(cellSignature({ ...base, candidates: [cand("a"), cand("b", { decision: "approved" })] }, 1, null)).toBe(sig); // not shown: the cell stays as it is
    expect(cellSignature({ ...base, candidates: [cand("a"), cand("b"), cand("c")] }, 1, null)).not.toBe(sig); // "+n more" changes
    expect(cellSignature(base, 1, "a")).not.toBe(sig);
    expect(cellSignature(base, 1, "b")).toBe(sig);
    expect(cellKey(null, "snow")).not.toBe(cellKey("", "snow"));
  });
});
