import { afterEach, describe, expect, it, vi } from "vitest";
import { type AtlasIndex, BoardAtlasIndex, FIRST_READ_WAIT_MS, atlasSpot } from "../src/render/atlas";
import { ImageLoader } from "../src/render/imageLoader";

const index: AtlasIndex = {
  cell: 64,
  complete: true,
  sheets: [
    { url: "/files/boards/b/atlas/aa.webp", width: 1024, height: 1024 },
    { url: "/files/boards/b/atlas/bb.webp", width: 1024, height: 64 },
  ],
  assets: { a1: [0, 1, 1, 62, 31], a2: [1, 65, 1, 40, 62] },
};

describe("atlasSpot", () => {
  it("finds an asset's sheet and rectangle", () => {
    expect(atlasSpot(index, "a2")).toEqual({ url: "/files/boards/b/atlas/bb.webp", x: 65, y: 1, width: 40, height: 62 });
  });

  it("has nothing for unknown assets or before the index is loaded", () => {
    expect(atlasSpot(index, "zz")).toBeUndefined();
    expect(atlasSpot(null, "a1")).toBeUndefined();
  });
});

describe("BoardAtlasIndex", () => {
  afterEach(() => vi.useRealTimers());

  it("loads, reports a change once, and re-reads after an uncovered image appears", async () => {
    vi.useFakeTimers();
    const fetchJson = vi.fn(async () => index);
    const changed = vi.fn();
    const atlas = new BoardAtlasIndex("/atlas.json", changed, fetchJson);
    await atlas.load();
    expect(atlas.spot("a1")?.width).toBe(62);
    expect(atlas.sheets).toBe(2);
    expect(changed).toHaveBeenCalledTimes(1);
    atlas.missing();
    atlas.missing(); // debounced: one re-read
    await vi.advanceTimersByTimeAsync(2_500);
    expect(fetchJson).toHaveBeenCalledTimes(2);
    expect(changed).toHaveBeenCalledTimes(1); // same index: no change reported
    atlas.destroy();
  });

  it("asks again while the server says the index is incomplete", async () => {
    vi.useFakeTimers();
    const answers = [{ ...index, complete: false }, index];
    const fetchJson = vi.fn(async () => answers.shift() ?? index);
    const atlas = new BoardAtlasIndex("/atlas.json", () => {}, fetchJson);
    await atlas.load();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(fetchJson).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchJson).toHaveBeenCalledTimes(2); // complete now: no more polling
    atlas.destroy();
  });

  it("keeps working without an atlas when the index cannot be read", async () => {
    const changed = vi.fn();
    const atlas = new BoardAtlasIndex("/atlas.json", changed, async () => {
      throw new Error("404");
    });
    expect(atlas.ready).toBe(false);
    await atlas.load();
    expect(atlas.spot("a1")).toBeUndefined();
    expect(atlas.ready).toBe(true); // waiting images load one by one now
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it("stops making images wait when the first read takes too long", async () => {
    vi.useFakeTimers();
    let answer: (value: AtlasIndex) => void = () => {};
    const changed = vi.fn();
    const atlas = new BoardAtlasIndex("/atlas.json", changed, () => new Promise((resolve) => (answer = resolve)));
    const loading = atlas.load();
    await vi.advanceTimersByTimeAsync(FIRST_READ_WAIT_MS - 1);
    expect(atlas.ready).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(atlas.ready).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
    answer(index); // late, but still used
    await loading;
    expect(atlas.spot("a1")?.width).toBe(62);
    expect(changed).toHaveBeenCalledTimes(2);
    atlas.destroy();
  });
});

describe("ImageLoader priority", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("starts queued requests lowest priority first and counts fetches", async () => {
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    vi.stubGlobal("fetch", (url: string) => {
      started.push(url);
      return new Promise((resolve) => finish.set(url, () => resolve({ ok: true, blob: async () => new Blob() })));
    });
    vi.stubGlobal("createImageBitmap", async () => ({ width: 1, height: 1, close() {} }));
    const loader = new ImageLoader(() => false);
    for (let i = 0; i < 6; i++) loader.request(`/busy/${i}`, () => {}, 0);
    loader.request("/far", () => {}, 900);
    loader.request("/near", () => {}, 10);
    loader.request("/sheet", () => {}, -1);
    loader.request("/far", () => {}, 5); // asked again from closer: moves up
    expect(started).toHaveLength(6);
    for (let i = 0; i < 3; i++) {
      finish.get(`/busy/${i}`)?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(started.slice(6)).toEqual(["/sheet", "/far", "/near"]);
    expect(loader.fetches).toBe(9);
  });
});
