import { describe, expect, it } from "vitest";
import { chooseLevel, onScreenLongEdge } from "../src/model/lod";
import type { AssetData } from "../src/protocol";

const asset: AssetData = {
  id: "a",
  sha256: "s",
  width: 4000,
  height: 3000,
  levels: [2048, 128, 512],
  original_url: "/files/a/s/original",
  level_url: "/files/a/s/{level}.webp",
};

describe("chooseLevel", () => {
  it("picks the smallest level at least as large as the on-screen size", () => {
    expect(chooseLevel(asset, 100)).toEqual({ level: 128, url: "/files/a/s/128.webp" });
    expect(chooseLevel(asset, 129).level).toBe(512);
    expect(chooseLevel(asset, 512).level).toBe(512);
    expect(chooseLevel(asset, 1500).level).toBe(2048);
  });

  it("accounts for devicePixelRatio", () => {
    expect(chooseLevel(asset, 100, 2).level).toBe(512);
    expect(chooseLevel(asset, 300, 2).level).toBe(2048);
  });

  it("falls back to the original above the top level", () => {
    expect(chooseLevel(asset, 3000)).toEqual({ level: null, url: "/files/a/s/original" });
    expect(chooseLevel({ ...asset, levels: [] }, 10).level).toBeNull();
  });

  it("uses a level covering the whole source for small images", () => {
    const small = { ...asset, width: 300, height: 200, levels: [256, 1024] };
    expect(chooseLevel(small, 900).level).toBe(1024);
  });

  it("measures on-screen size from board size and zoom", () => {
    expect(onScreenLongEdge(4000, 3000, 0.05)).toBe(200);
  });
});
