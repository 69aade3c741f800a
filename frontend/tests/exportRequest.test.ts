import { describe, expect, it } from "vitest";
import { buildRequest, defaultChoices, exportSources, fittingKind, historyPsdRequest, kindUnavailable, type Source } from "../src/exports/request";
import type { ItemData } from "../src/protocol";
import { describeExport } from "../src/ui/exportsToast";

function item(id: string, kind: string, name = "", asset = true): ItemData {
  return {
    id, kind, name, x: 0, y: 0, width: 10, height: 10, rotation: 0, opacity: 1, z: 0, hidden: false, locked: false,
    anchor_role: null, props: {}, asset: kind === "image" && asset ? ({ id: `a-${id}` } as unknown as ItemData["asset"]) : null, revision: 1,
  } as unknown as ItemData;
}

const items = [item("i1", "image"), item("i2", "image"), item("n1", "text"), item("f2", "frame", "Zebra"), item("f1", "frame", "Hero")];

describe("export sources", () => {
  it("offers the selected images first, then selected frames, other frames by name, batches", () => {
    const sources = exportSources(items, new Set(["i1", "i2", "n1", "f2"]), [{ id: "b1", name: "Shoes" }]);
    expect(sources.map((s) => s.label)).toEqual(["The selection: 2 images", "Frame “Zebra”", "Frame “Hero”", "Batch “Shoes”"]);
    expect(sources[0]).toEqual({ type: "items", ids: ["i1", "i2"], label: "The selection: 2 images" });
  });

  it("says which kinds do not fit a source, and picks one that does", () => {
    const two: Source = { type: "items", ids: ["i1", "i2"], label: "" };
    expect(kindUnavailable("psd", two)).toBeNull(); // the selection's bounds, one layer per image
    expect(kindUnavailable("psd", { type: "batch", id: "b1", label: "" })).toContain("not a batch");
    expect(kindUnavailable("png", two)).toContain("ZIP");
    expect(kindUnavailable("png", { ...two, ids: ["i1"] })).toBeNull();
    expect(fittingKind("png", two)).toBe("zip");
    expect(fittingKind("psd", { type: "frame", id: "f1", label: "" })).toBe("psd");
  });
});

describe("video clips", () => {
  it("puts selected clips in the selection and offers the video kind only with clips", () => {
    const withClips = [...items, item("v1", "video")];
    const [both] = exportSources(withClips, new Set(["i1", "v1"]));
    expect(both).toEqual({ type: "items", ids: ["i1", "v1"], label: "The selection: 1 image and 1 clip", clips: 1 });
    expect(kindUnavailable("video", both)).toBeNull();
    expect(kindUnavailable("video", { type: "items", ids: ["i1"], label: "" })).toContain("Select video clips");
    // A batch of video jobs exports its clips; the server says so when a batch has none.
    expect(kindUnavailable("video", { type: "batch", id: "b1", label: "" })).toBeNull();
    const clips = buildRequest({ ...defaultChoices({ type: "batch", id: "b1", label: "" }), kind: "video", videoFormat: "mp4", allResults: true });
    expect(clips).toEqual({ body: { kind: "video", batch: "b1", options: { format: "mp4", results: "all" } } });
    const [only] = exportSources(withClips, new Set(["v1"]));
    expect(kindUnavailable("png", only)).toContain("Clips export as video");
    expect(kindUnavailable("zip", only)).toBeNull();
  });

  it("sends the chosen video format", () => {
    const source: Source = { type: "items", ids: ["v1"], label: "", clips: 1 };
    expect(buildRequest({ ...defaultChoices(source), kind: "video", videoFormat: "prores_422_hq" })).toEqual({
      body: { kind: "video", items: ["v1"], options: { format: "prores_422_hq" } },
    });
    expect(buildRequest({ ...defaultChoices(source), kind: "video" })).toEqual({ body: { kind: "video", items: ["v1"], options: { format: "prores_4444" } } });
  });
});

describe("export request", () => {
  const frame: Source = { type: "frame", id: "f1", label: "" };

  it("builds the API's body with each kind's options", () => {
    const zip = buildRequest({ ...defaultChoices({ type: "items", ids: ["i1", "i2"], label: "" }), template: "{campaign}_{index}", sidecars: false });
    expect(zip).toEqual({ body: { kind: "zip", items: ["i1", "i2"], options: { template: "{campaign}_{index}", sidecars: false } } });
    const png = buildRequest({ ...defaultChoices(frame), kind: "png", size: "long_edge", longEdge: "1200" });
    expect(png).toEqual({ body: { kind: "png", frame: "f1", options: { long_edge: 1200 } } });
    const psd = buildRequest({ ...defaultChoices(frame), kind: "psd", depth: "16" });
    expect(psd).toEqual({ body: { kind: "psd", frame: "f1", options: { depth: 16 } } });
    const layered = buildRequest({ ...defaultChoices({ type: "items", ids: ["i1", "i2"], label: "" }), kind: "psd" });
    expect(layered).toEqual({ body: { kind: "psd", items: ["i1", "i2"], options: { depth: 8 } } });
    const pdf = buildRequest({ ...defaultChoices({ type: "batch", id: "b1", label: "" }), kind: "pdf", columns: "4", rows: "3", paper: "letter", allResults: true });
    expect(pdf).toEqual({ body: { kind: "pdf", batch: "b1", options: { columns: 4, rows: 3, paper: "letter", results: "all" } } });
    const jpeg = buildRequest({ ...defaultChoices(frame), kind: "png", format: "jpeg", size: "scale", scale: "0.5", credentials: "on" });
    expect(jpeg).toEqual({ body: { kind: "png", frame: "f1", options: { format: "jpeg", scale: 0.5, content_credentials: true } } });
    const webp = buildRequest({ ...defaultChoices(frame), kind: "png", format: "webp", credentials: "on" });
    expect(webp).toEqual({ body: { kind: "png", frame: "f1", options: { format: "webp" } } });
    const signed = buildRequest({ ...defaultChoices(frame), kind: "png", credentials: "off" });
    expect(signed).toEqual({ body: { kind: "png", frame: "f1", options: { content_credentials: false } } });
    const tiff = buildRequest({ ...defaultChoices(frame), kind: "tiff16", size: "scale", scale: "0.5", compression: "lzw" });
    expect(tiff).toEqual({ body: { kind: "tiff16", frame: "f1", options: { scale: 0.5, compression: "lzw" } } });
  });

  it("names the field the server would refuse", () => {
    expect(buildRequest({ ...defaultChoices(frame), kind: "png", size: "scale", scale: "9" })).toEqual({ problem: { field: "scale", message: "Scale must be a number from 0.05 to 4." } });
    expect(buildRequest({ ...defaultChoices(frame), kind: "png", size: "long_edge", longEdge: "12.5" })).toMatchObject({ problem: { field: "longEdge" } });
    expect(buildRequest({ ...defaultChoices(frame), kind: "pdf", rows: "0" })).toMatchObject({ problem: { field: "rows" } });
    expect(buildRequest(defaultChoices(undefined))).toMatchObject({ problem: { field: "source" } });
  });
});

describe("a cancelled export's toast", () => {
  it("says cancelled, not failed", () => {
    const view = describeExport({
      id: "e1", board: "b1", kind: "zip", state: "failed", version: 4, progress: 0.3, progress_message: "Cancelled",
      error: { code: "export_cancelled", message: "Cancelled by mia." }, file_name: "", size: null, requested_by: "mia",
      created_at: "2026-12-06T12:00:00Z", finished_at: null, expires_at: null, download_url: null,
    });
    expect(view).toEqual({ state: "cancelled", text: "The ZIP package export was cancelled by mia." });
  });
});

describe("historyPsdRequest", () => {
  it("asks for a job's region history as a layered PSD (the History panel)", () => {
    expect(historyPsdRequest("j1")).toEqual({ kind: "psd", job: "j1", options: {} });
  });
});
