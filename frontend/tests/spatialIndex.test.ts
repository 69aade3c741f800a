import { describe, expect, it } from "vitest";
import { SpatialIndex } from "../src/model/spatialIndex";

function naive(rects: Map<string, { x: number; y: number; width: number; height: number }>, q: { x: number; y: number; width: number; height: number }) {
  const out: string[] = [];
  for (const [id, r] of rects) {
    if (r.x <= q.x + q.width && q.x <= r.x + r.width && r.y <= q.y + q.height && q.y <= r.y + r.height) out.push(id);
  }
  return out.sort();
}

describe("SpatialIndex", () => {
  it("answers viewport queries exactly like a full scan for 2,000 items", () => {
    const index = new SpatialIndex(512);
    const rects = new Map<string, { x: number; y: number; width: number; height: number }>();
    // Deterministic pseudo-random layout (a 50×40 grid with jitter and varied sizes).
    for (let i = 0; i < 2000; i++) {
      const r = { x: (i % 50) * 300 + ((i * 37) % 90), y: Math.floor(i / 50) * 300 - ((i * 53) % 70), width: 50 + (i % 7) * 40, height: 40 + (i % 5) * 60 };
      rects.set(`i${i}`, r);
      index.upsert(`i${i}`, r);
    }
    rects.set("huge", { x: -100000, y: -100000, width: 200000, height: 200000 });
    index.upsert("huge", rects.get("huge")!);
    for (const q of [
      { x: 0, y: 0, width: 1280, height: 800 },
      { x: 5000, y: 3000, width: 600, height: 400 },
      { x: -5000, y: -5000, width: 100, height: 100 },
      { x: -1e6, y: -1e6, width: 2e6, height: 2e6 },
    ]) {
      expect([...index.query(q)].sort()).toEqual(naive(rects, q));
    }
    const small = index.query({ x: 0, y: 0, width: 1280, height: 800 });
    expect(small.size).toBeLessThan(100);
    expect(small.has("huge")).toBe(true);
  });

  it("moves and removes entries", () => {
    const index = new SpatialIndex(100);
    index.upsert("a", { x: 0, y: 0, width: 10, height: 10 });
    expect(index.query({ x: 0, y: 0, width: 5, height: 5 }).has("a")).toBe(true);
    index.upsert("a", { x: 1000, y: 1000, width: 10, height: 10 });
    expect(index.query({ x: 0, y: 0, width: 5, height: 5 }).has("a")).toBe(false);
    expect(index.query({ x: 995, y: 995, width: 10, height: 10 }).has("a")).toBe(true);
    index.remove("a");
    expect(index.size).toBe(0);
    expect(index.query({ x: 995, y: 995, width: 10, height: 10 }).size).toBe(0);
  });
});
