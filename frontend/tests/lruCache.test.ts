import { describe, expect, it } from "vitest";
import { LruCache } from "../src/model/lruCache";

class FakeBitmap {
  closed = false;
  constructor(readonly width: number, readonly height: number) {}
  close() {
    this.closed = true;
  }
}

function cache(maxEntries: number, maxBytes: number, pinned = new Set<string>()) {
  return new LruCache<FakeBitmap>({
    maxEntries,
    maxBytes,
    sizeOf: (b) => b.width * b.height * 4,
    dispose: (b) => b.close(),
    isPinned: (k) => pinned.has(k),
  });
}

describe("LruCache", () => {
  it("evicts the least recently used and closes it", () => {
    const c = cache(2, Infinity);
    const a = new FakeBitmap(1, 1);
    const b = new FakeBitmap(1, 1);
    const d = new FakeBitmap(1, 1);
    c.set("a", a);
    c.set("b", b);
    c.get("a"); // a is now most recent
    c.set("d", d);
    expect(c.has("b")).toBe(false);
    expect(b.closed).toBe(true);
    expect(a.closed).toBe(false);
    expect(c.size).toBe(2);
  });

  it("keeps within a byte budget", () => {
    const c = cache(100, 4 * 100 * 100 * 2);
    for (let i = 0; i < 5; i++) c.set(`k${i}`, new FakeBitmap(100, 100));
    expect(c.size).toBe(2);
    expect(c.bytes).toBe(80000);
    expect(c.has("k4") && c.has("k3")).toBe(true);
  });

  it("never evicts pinned entries", () => {
    const pinned = new Set(["a"]);
    const c = cache(1, Infinity, pinned);
    const a = new FakeBitmap(1, 1);
    c.set("a", a);
    c.set("b", new FakeBitmap(1, 1));
    expect(a.closed).toBe(false);
    expect(c.has("a")).toBe(true);
    pinned.clear();
    c.evict();
    expect(c.size).toBe(1);
  });

  it("closes the old value when a key is replaced", () => {
    const c = cache(5, Infinity);
    const old = new FakeBitmap(1, 1);
    c.set("a", old);
    c.set("a", new FakeBitmap(2, 2));
    expect(old.closed).toBe(true);
    expect(c.bytes).toBe(16);
  });
});
