import { describe, expect, it } from "vitest";
import { liveUrl } from "../src/batches/teamLive";

describe("the team's batches page polls", () => {
  it("with its own filter, the ids of the rows on screen and the time it was read", () => {
    const url = liveUrl("/batches/live/?state=running&team=t1", ["b1", "b2"], "2026-12-06T22:00:00+00:00");
    const params = new URL(url, "http://x").searchParams;
    expect(url.startsWith("/batches/live/?")).toBe(true);
    expect(params.get("state")).toBe("running");
    expect(params.get("team")).toBe("t1");
    expect(params.getAll("batch")).toEqual(["b1", "b2"]);
    // "+" survives the query string (it would read as a space otherwise).
    expect(params.get("since")).toBe("2026-12-06T22:00:00+00:00");
  });

  it("asks about no rows when the page has none, and keeps no stale ids", () => {
    expect(liveUrl("/batches/live/?batch=old", [], "")).toBe("/batches/live/");
  });
});
