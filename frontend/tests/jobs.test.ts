import { describe, expect, it } from "vitest";
import { JobClient, JobRequestError } from "../src/jobs/client";
import { EMPTY_FILTER, filterChoices, filterHistory, lineageByRegion } from "../src/jobs/history";
import { type MaskShape, coverage, endStroke, maskToRgba, rasteriseMask, rectFill, stepBrush } from "../src/jobs/mask";
import { type JobPayload, JobStore } from "../src/jobs/model";
import { regionFromFrame, regionFromItems, regionFromMarquee } from "../src/jobs/region";
import { StagingNav, driftedOutOfView } from "../src/jobs/staging";
import type { JobRequestMessage } from "../src/protocol";
import { REGION, iteration, job } from "./jobFixtures";

describe("region", () => {
  it("normalises a marquee dragged in any direction and snaps outward", () => {
    expect(regionFromMarquee({ x: 110.4, y: 60.6 }, { x: 10.5, y: 20.2 })).toEqual({
      x: 10,
      y: 20,
      width: 101,
      height: 41,
    });
  });

  it("treats a tiny drag as a click, not a region", () => {
    expect(regionFromMarquee({ x: 0, y: 0 }, { x: 3, y: 40 })).toBeNull();
  });

  it("uses the rotated bounds of items and a frame's rectangle", () => {
    const rotated = { x: 0, y: 0, width: 100, height: 100, rotation: 90 };
    expect(regionFromItems([rotated])).toEqual({ x: -100, y: 0, width: 100, height: 100 });
    expect(
      regionFromItems([
        { x: 0, y: 0, width: 10, height: 10, rotation: 0 },
        { x: 50, y: 40, width: 10, height: 20, rotation: 0 },
      ]),
    ).toEqual({ x: 0, y: 0, width: 60, height: 60 });
    expect(regionFromFrame({ x: 5, y: 6, width: 300, height: 200, rotation: 0 })).toEqual({
      x: 5,
      y: 6,
      width: 300,
      height: 200,
    });
    expect(regionFromItems([])).toBeNull();
  });
});

describe("mask rasterisation", () => {
  it("paints a disc for a dot and a capsule along a stroke", () => {
    const dot = rasteriseMask([{ points: [{ x: 10, y: 10 }], size: 6, erase: false }], 20, 20);
    expect(dot.data[10 * 20 + 10]).toBe(255);
    expect(dot.data[10 * 20 + 12]).toBe(255);
    expect(dot.data[10 * 20 + 14]).toBe(0); // outside the radius of 3
    expect(dot.data[0]).toBe(0);
    const line = rasteriseMask([{ points: [{ x: 2, y: 10 }, { x: 18, y: 10 }], size: 2, erase: false }], 20, 20);
    for (let x = 2; x < 18; x++) expect(line.data[10 * 20 + x]).toBe(255);
    expect(line.data[5 * 20 + 10]).toBe(0);
  });

  it("lets the eraser clear what the brush painted, in stroke order", () => {
    const raster = rasteriseMask(
      [rectFill({ x: 0, y: 0, width: 10, height: 10 }), { points: [{ x: 5, y: 5 }], size: 4, erase: true }],
      10,
      10,
    );
    expect(raster.data[5 * 10 + 5]).toBe(0);
    expect(raster.data[0]).toBe(255);
    expect(coverage(raster)).toBeGreaterThan(0.8);
    expect(coverage(raster)).toBeLessThan(1);
  });

  it("scales board units to raster pixels and clips to the region", () => {
    const raster = rasteriseMask([rectFill({ x: 5, y: 0, width: 100, height: 5 })], 20, 20, 2);
    expect(raster.width).toBe(20);
    expect(raster.data[0 * 20 + 9]).toBe(0);
    expect(raster.data[0 * 20 + 10]).toBe(255);
    expect(raster.data[9 * 20 + 19]).toBe(255);
    expect(raster.data[10 * 20 + 19]).toBe(0);
  });

  it("keeps a finished stroke and drops a cancelled one (a pinch leaves the mask as it was)", () => {
    const kept = rectFill({ x: 0, y: 0, width: 4, height: 4 });
    const stroke: MaskShape = { points: [{ x: 5, y: 5 }, { x: 9, y: 9 }], size: 4, erase: false };
    expect(endStroke([kept, stroke], stroke, false)).toEqual([kept, stroke]);
    const after = endStroke([kept, stroke], stroke, true);
    expect(after).toEqual([kept]);
    expect(rasteriseMask(after, 10, 10).data[7 * 10 + 7]).toBe(0);
  });

  it("encodes coverage as white with alpha", () => {
    const rgba = maskToRgba({ width: 2, height: 1, data: Uint8Array.from([0, 255]) });
    expect([...rgba]).toEqual([255, 255, 255, 0, 255, 255, 255, 255]);
  });

  it("steps the brush size with [ and ] within limits", () => {
    expect(stepBrush(40, true)).toBe(48);
    expect(stepBrush(40, false)).toBe(32);
    expect(stepBrush(2, false)).toBe(2);
    expect(stepBrush(512, true)).toBe(512);
  });
});

describe("drifted results out of the strip's view", () => {
  const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const drifted = (id: string) => ["b", "g", "h"].includes(id);

  it("counts those after the visible span first, then those before it", () => {
    expect(driftedOutOfView(ids, 0, 5, drifted)).toEqual(["g", "h"]);
    expect(driftedOutOfView(ids, 2, 6, drifted)).toEqual(["h", "b"]);
    expect(driftedOutOfView(ids, 0, 7, drifted)).toEqual([]);
  });

  it("counts every drifted one when none is in view", () => {
    expect(driftedOutOfView(ids, -1, -1, drifted)).toEqual(["b", "g", "h"]);
  });
});

describe("staging navigation", () => {
  it("wraps around and keeps showing the same result when the list changes", () => {
    const nav = new StagingNav();
    nav.setItems(["a", "b", "c"]);
    expect(nav.current).toBe("a");
    expect(nav.prev()).toBe("c");
    expect(nav.next()).toBe("a");
    nav.next();
    expect(nav.current).toBe("b");
    nav.setItems(["z", "a", "b", "c"]);
    expect(nav.current).toBe("b");
    expect(nav.position).toBe(3);
  });

  it("moves to a neighbour when the shown result is applied or discarded", () => {
    const nav = new StagingNav();
    nav.setItems(["a", "b", "c"]);
    nav.show("c");
    nav.setItems(["a", "b"]);
    expect(nav.current).toBe("b");
    nav.setItems([]);
    expect(nav.current).toBeNull();
    expect(nav.next()).toBeNull();
  });

  it("applies the picked results in strip order, or else the shown one", () => {
    const nav = new StagingNav();
    nav.setItems(["a", "b", "c"]);
    nav.show("b");
    expect(nav.toApply()).toEqual(["b"]);
    nav.togglePick("c");
    nav.togglePick("a");
    nav.togglePick("nope");
    expect(nav.toApply()).toEqual(["a", "c"]);
    nav.setItems(["a", "b"]);
    expect(nav.toApply()).toEqual(["a"]);
  });
});

describe("job store", () => {
  it("keeps the newest version of a job when broadcasts cross", () => {
    const store = new JobStore();
    store.receive({ type: "job", job: job({ version: 3, state: "running", progress: 0.5 }) as never });
    store.receive({ type: "job", job: job({ version: 2, state: "queued" }) as never });
    expect(store.jobs.get("j1")?.state).toBe("running");
    store.receive({ type: "job_preview", job: "j1", version: 3, image: "data:x" });
    expect(store.previews.get("j1")?.image).toBe("data:x");
    store.receive({ type: "job", job: job({ version: 4, state: "succeeded" }) as never });
    expect(store.previews.has("j1")).toBe(false);
    expect(store.activeJobs()).toEqual([]);
  });

  it("orders the queue as the server will take it and lists staged results", () => {
    const store = new JobStore();
    store.putJob(job({ id: "late", position: 9 }));
    store.putJob(job({ id: "early", position: 2 }));
    store.putJob(job({ id: "urgent", position: 50, priority: 10 }));
    store.putJob(job({ id: "busy", state: "running", position: 99 }));
    expect(store.activeJobs().map((j) => j.id)).toEqual(["busy", "urgent", "early", "late"]);
    store.putIteration(iteration({ id: "x2", index: 1 }));
    store.putIteration(iteration({ id: "x1", index: 0 }));
    store.putIteration(iteration({ id: "gone", status: "discarded" }));
    expect(store.staged().map((i) => i.id)).toEqual(["x1", "x2"]);
    store.receive({ type: "job_queue", board: "b", paused: true });
    expect(store.paused).toBe(true);
  });

  it("does not let an older REST page overwrite a newer broadcast", () => {
    const store = new JobStore();
    const since = store.mark(); // the read starts …
    store.receive({ type: "iteration", iteration: iteration({ status: "applied" }) as never });
    store.load([job()], [iteration({ status: "staged" })], since); // … and its page arrives
    expect(store.iterations.get("i1")?.status).toBe("applied");
    expect(store.jobs.has("j1")).toBe(true);
  });
});

describe("history", () => {
  const jobs = new Map<string, JobPayload>([
    ["j1", job()],
    ["j2", job({ id: "j2", engine: "sdxl", created_by: 2, spec: { region: REGION, prompt: "Cold NIGHT" } })],
  ]);
  const rows = [
    iteration({ id: "a", created_at: "2026-11-20T09:00:00Z" }),
    iteration({ id: "b", job: "j2", status: "discarded", created_at: "2026-11-26T09:00:00Z" }),
    iteration({ id: "c", job: "j2", index: 1, created_at: "2026-11-26T09:00:00Z" }),
  ];

  it("searches the prompt case-insensitively and filters by engine, status, author and dates", () => {
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, text: "night" }).map((i) => i.id)).toEqual(["b", "c"]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, engine: "local" }).map((i) => i.id)).toEqual(["a"]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, status: "discarded" }).map((i) => i.id)).toEqual(["b"]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, author: "2" }).map((i) => i.id)).toEqual(["b", "c"]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, from: "2026-11-21" }).map((i) => i.id)).toEqual(["b", "c"]);
    expect(filterHistory(rows, jobs, { ...EMPTY_FILTER, to: "2026-11-20" }).map((i) => i.id)).toEqual(["a"]);
    expect(filterHistory(rows, jobs, EMPTY_FILTER).map((i) => i.id)).toEqual(["b", "c", "a"]);
    expect(filterChoices(rows, jobs)).toEqual({ engines: ["local", "sdxl"], authors: ["1", "2"] });
  });

  it("builds one lineage tree per region with refinements under their parent", () => {
    const other = { x: 500, y: 0, width: 10, height: 10 };
    const tree = lineageByRegion([
      iteration({ id: "r1", created_at: "2026-11-27T10:00:00Z" }),
      iteration({ id: "r2", index: 1, created_at: "2026-11-27T10:00:00Z" }),
      iteration({ id: "ref", parent: "r2", created_at: "2026-11-27T11:00:00Z" }),
      iteration({ id: "refref", parent: "ref", created_at: "2026-11-27T12:00:00Z" }),
      iteration({ id: "elsewhere", region: other, source_asset: "src2", created_at: "2026-11-27T10:30:00Z" }),
      iteration({ id: "orphan", parent: "missing", created_at: "2026-11-27T13:00:00Z" }),
    ]);
    expect(tree).toHaveLength(2);
    const first = tree[0]!;
    expect(first.sourceAsset).toBe("src");
    expect(first.roots.map((n) => n.iteration.id)).toEqual(["r1", "r2", "orphan"]);
    expect(first.roots[1]!.children[0]!.iteration.id).toBe("ref");
    expect(first.roots[1]!.children[0]!.children[0]!.iteration.id).toBe("refref");
    expect(tree[1]!.roots.map((n) => n.iteration.id)).toEqual(["elsewhere"]);
  });
});

describe("job client", () => {
  function sink(online = true) {
    const sent: JobRequestMessage[] = [];
    return { sent, isSynced: online, sendVolatile: (m: JobRequestMessage) => sent.push(m) };
  }

  it("matches replies to requests by request_id", async () => {
    const s = sink();
    const client = new JobClient(s, () => 0.5);
    const accepted = client.request({ type: "job_cancel", job_id: "j1" });
    const refused = client.request({ type: "queue_pause" });
    expect(s.sent.map((m) => m.request_id)).toHaveLength(2);
    const [first, second] = s.sent;
    expect(first!.request_id).not.toBe(second!.request_id);
    expect(client.receive({ type: "request_done", request_id: "someone-else", request: "x", items: null })).toBe(false);
    expect(client.receive({ type: "request_done", request_id: first!.request_id!, request: "job_cancel", items: null })).toBe(true);
    expect(
      client.receive({ type: "error", code: "forbidden", message: "Ask an owner.", request_id: second!.request_id! }),
    ).toBe(true);
    await expect(accepted).resolves.toMatchObject({ type: "request_done" });
    await expect(refused).rejects.toMatchObject({ code: "forbidden", message: "Ask an owner." });
    expect(client.openRequests).toBe(0);
  });

  it("refuses to send while offline and fails open requests when the socket drops", async () => {
    const offline = new JobClient(sink(false));
    await expect(offline.request({ type: "queue_pause" })).rejects.toBeInstanceOf(JobRequestError);
    const client = new JobClient(sink());
    const waiting = client.request({ type: "queue_resume" });
    client.failAll();
    await expect(waiting).rejects.toMatchObject({ code: "disconnected" });
  });
});

describe("engine choices in the generation panel", async () => {
  const { MODE_CHOICES, engineLabel, whyNot } = await import("../src/ui/generationPanel");
  const base = {
    max_references: 0,
    anchor_roles: [],
    max_count: 4,
    max_input_pixels: 1e7,
    max_output_pixels: 1e7,
    sizes: [],
  };
  const local = {
    ...base,
    name: "local",
    label: "Local (non-generative)",
    generative: false,
    modes: ["img2img", "inpaint", "upscale", "variations"] as const,
    supports_mask: true,
    upscale_factors: [2, 4],
  };
  const remote = {
    ...base,
    name: "remote",
    label: "Remote model",
    generative: true,
    modes: ["img2img", "upscale"] as const,
    supports_mask: false,
    upscale_factors: [2],
  };
  const choice = (value: string) => MODE_CHOICES.find((c) => c.value === value)!;

  it("offers every mode the engine's capabilities allow and says why the rest are off", () => {
    for (const c of MODE_CHOICES) expect(whyNot({ ...local, modes: [...local.modes] }, c)).toBeNull();
    const r = { ...remote, modes: [...remote.modes] };
    expect(whyNot(r, choice("img2img"))).toBeNull();
    expect(whyNot(r, choice("upscale2"))).toBeNull();
    expect(whyNot(r, choice("upscale4"))).toContain("×2");
    expect(whyNot(r, choice("inpaint"))).toContain("cannot do inpaint");
    expect(whyNot({ ...r, modes: ["img2img", "inpaint"] }, choice("inpaint"))).toContain("does not accept masks");
    expect(whyNot(r, choice("variations"))).toContain("Remote model cannot do variations");
  });

  it("never lets a non-generative engine pass for a generative one", () => {
    expect(engineLabel({ ...local, modes: [...local.modes] })).toBe("Local (non-generative)");
    expect(engineLabel({ ...local, modes: [...local.modes], label: "Classic filters" })).toBe("Classic filters (non-generative)");
    expect(engineLabel({ ...remote, modes: [...remote.modes] })).toBe("Remote model");
  });
});
