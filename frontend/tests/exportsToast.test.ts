import { describe, expect, it } from "vitest";
import type { ExportData } from "../src/protocol";
import { ExportTracker, describeExport } from "../src/ui/exportsToast";

function data(over: Partial<ExportData> = {}): ExportData {
  return {
    id: "e1", board: "b1", kind: "png", state: "running", version: 2, progress: 0.4,
    progress_message: "Writing the PNG", error: null, file_name: "", size: null,
    requested_by: "mia", created_at: "2026-12-06T12:00:00Z", finished_at: null,
    expires_at: null, download_url: null, ...over,
  };
}

describe("export toasts", () => {
  it("says how far a running export is, and offers the file when it is ready", () => {
    expect(describeExport(data())).toEqual({ state: "working", text: "Exporting PNG: 40 % · Writing the PNG" });
    expect(describeExport(data({ state: "queued", progress: 0 })).text).toContain("waiting to start");
    const ready = describeExport(data({ state: "ready", download_url: "/exports/e1/download?t=x", file_name: "a.png" }));
    expect(ready).toEqual({ state: "ready", text: "Your PNG is ready.", url: "/exports/e1/download?t=x", fileName: "a.png" });
  });

  it("shows a failure's sentence", () => {
    const failed = describeExport(data({ kind: "zip", state: "failed", error: { code: "x", message: "Disk full." } }));
    expect(failed).toEqual({ state: "failed", text: "The ZIP package export failed: Disk full." });
  });

  it("keeps the newest version of each export (messages can cross)", () => {
    const tracker = new ExportTracker();
    expect(tracker.accept(data({ version: 3 }))).toBe(true);
    expect(tracker.accept(data({ version: 2 }))).toBe(false);
    expect(tracker.accept(data({ version: 3 }))).toBe(false);
    expect(tracker.accept(data({ id: "e2", version: 1 }))).toBe(true);
    expect(tracker.accept(data({ version: 4, state: "ready" }))).toBe(true);
  });
});
