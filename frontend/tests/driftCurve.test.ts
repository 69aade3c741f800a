import { describe, expect, it } from "vitest";
import { clipMomentText, clipUrl, driftCurve, driftOf, driftWords, worstSecond } from "../src/render/driftCurve";

const steady = { seconds: [0, 1, 2, 3].map((s) => ({ second: s, score: 0.2, worst_measure: "palette" })), flagged: false };
const shifted = {
  seconds: [
    { second: 0, score: 0.1 },
    { second: 1, score: 0.3 },
    { second: 2, score: 3.0, worst_measure: "palette" },
    { second: 3, score: 1.2 },
  ],
  worst_second: 2,
  onset_second: 2,
  flagged: true,
};

describe("the drift curve", () => {
  it("scales bars to the tallest score, one bar a second, the worst one marked", () => {
    const curve = driftCurve(shifted, 100, 30);
    expect(curve.bars.map((b) => b.second)).toEqual([0, 1, 2, 3]);
    expect(curve.bars[2]).toMatchObject({ x: 50, y: 0, height: 30, worst: true, over: true });
    expect(curve.bars[0]?.height).toBeCloseTo(1);
    expect(curve.bars.filter((b) => b.worst)).toHaveLength(1);
    expect(curve.toleranceY).toBeCloseTo(20); // 1.0 of a 3.0 scale
  });

  it("keeps the tolerance line in view for a steady clip", () => {
    const curve = driftCurve(steady, 80, 30);
    expect(curve.top).toBe(1.5);
    expect(curve.toleranceY).toBeCloseTo(10);
    expect(curve.bars.every((b) => !b.over)).toBe(true);
  });

  it("colours the worst second red only when the clip is flagged", () => {
    const flaggedCurve = driftCurve(shifted, 100, 30);
    expect(flaggedCurve.bars.map((b) => b.tone)).toEqual(["ok", "ok", "worst flagged", "over"]);
    // Within tolerance: the worst second is still highlighted, but not in the alarm colour.
    const steadyPeak = { seconds: [{ second: 0, score: 0.2 }, { second: 1, score: 0.7 }, { second: 2, score: 0.3 }], worst_second: 1, flagged: false };
    const calm = driftCurve(steadyPeak, 90, 30);
    expect(calm.bars.map((b) => b.tone)).toEqual(["ok", "worst", "ok"]);
    expect(calm.bars.some((b) => b.tone.includes("flagged"))).toBe(false);
    // No flag in the report: flagged when a second reaches tolerance.
    expect(driftCurve({ seconds: [{ second: 0, score: 1.4 }] }, 10, 10).bars[0]?.tone).toBe("worst flagged");
  });

  it("finds the worst second when the report does not name it", () => {
    expect(worstSecond({ seconds: [{ second: 0, score: 0.5 }, { second: 1, score: 0.9 }, { second: 2, score: 0.9 }] })?.second).toBe(1);
    expect(worstSecond(shifted)?.second).toBe(2);
  });

  it("says the flag in words", () => {
    expect(driftWords(shifted)).toEqual({
      flagged: true,
      flag: "Drifts beyond tolerance from second 2",
      worst: "Worst second 2: 3.00× tolerance (palette)",
    });
    expect(driftWords(steady).flag).toBe("Within drift tolerance");
  });

  it("reads a video item's props", () => {
    const props = { video: { mp4: { asset: "a1", sha256: "ff" }, drift: shifted } };
    expect(clipUrl(props)).toBe("/files/a1/ff/original");
    expect(driftOf(props)).toBe(shifted);
    expect(driftOf({ video: { drift: null } })).toBeNull();
    expect(clipUrl({})).toBeNull();
    // A share link's guest: the link's own copy, whatever else the props say.
    expect(clipUrl({ video: { mp4: { asset: "a1", url: "/s/tok/files/a1/clip.mp4" } } })).toBe("/s/tok/files/a1/clip.mp4");
    expect(clipUrl({ video: { mp4: null } })).toBeNull();
  });
});

describe("a comment's moment", () => {
  it("reads minutes, seconds and a tenth", () => {
    expect(clipMomentText(3.2)).toBe("0:03.2");
    expect(clipMomentText(0)).toBe("0:00.0");
    expect(clipMomentText(61.26)).toBe("1:01.3");
    expect(clipMomentText(59.97)).toBe("1:00.0");
    expect(clipMomentText(-1)).toBe("0:00.0");
  });
});
