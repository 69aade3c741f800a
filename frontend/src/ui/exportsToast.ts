/**
 * The requester's exports in the canvas: one toast per export while it runs (kind, progress,
 * step), replaced by a "Download" link when it is ready or by the error sentence when it
 * failed. Fed by the board socket's `export` messages, which only the requester's sockets get
 * (docs/exports.md "Delivery"). The exports page lists every export of the board.
 *
 * `ExportTracker` is the pure part (which message wins, what to say); `ExportToasts` puts it
 * on screen through the canvas's toasts.
 */
import type { ExportData } from "../protocol";
import { h } from "./dom";
import type { ToastHandle, Toasts } from "./overlay";

const KIND_LABEL: Record<string, string> = {
  psd: "PSD",
  png: "PNG",
  tiff16: "16-bit TIFF",
  zip: "ZIP package",
  pdf: "contact sheet",
};

export type ExportView =
  | { state: "working"; text: string }
  | { state: "ready"; text: string; url: string; fileName: string }
  | { state: "failed"; text: string };

export function describeExport(data: ExportData): ExportView {
  const what = KIND_LABEL[data.kind] ?? data.kind;
  if (data.state === "ready" && data.download_url) {
    return { state: "ready", text: `Your ${what} is ready.`, url: data.download_url, fileName: data.file_name };
  }
  if (data.state === "failed") {
    return { state: "failed", text: `The ${what} export failed: ${data.error?.message ?? "unknown error"}` };
  }
  if (data.state === "queued") return { state: "working", text: `Exporting ${what}: waiting to start…` };
  const percent = Math.round(Math.max(0, Math.min(1, data.progress)) * 100);
  const step = data.progress_message ? ` · ${data.progress_message}` : "";
  return { state: "working", text: `Exporting ${what}: ${percent} %${step}` };
}

/** Keeps the newest version seen per export: messages may arrive out of order. */
export class ExportTracker {
  private readonly versions = new Map<string, number>();

  accept(data: ExportData): boolean {
    const seen = this.versions.get(data.id);
    if (seen !== undefined && data.version <= seen) return false;
    this.versions.set(data.id, data.version);
    return true;
  }
}

export class ExportToasts {
  private readonly tracker = new ExportTracker();
  private readonly shown = new Map<string, ToastHandle>();

  constructor(private readonly toasts: Toasts) {}

  receive(data: ExportData): void {
    if (!this.tracker.accept(data)) return;
    const view = describeExport(data);
    const current = this.shown.get(data.id);
    if (view.state === "working" && current) {
      current.setText(view.text);
      return;
    }
    current?.dismiss();
    this.shown.delete(data.id);
    if (view.state === "working") {
      this.shown.set(data.id, this.toasts.show("progress", view.text, { className: "ab-export-toast" }));
    } else if (view.state === "ready") {
      const link = h("a", { href: view.url, download: view.fileName, class: "ab-toast-action" }, "Download");
      const content = h("span", {}, `${view.text} `, link);
      this.toasts.show("info", content, { dismissible: true, className: "ab-export-toast" });
    } else {
      this.toasts.show("error", view.text, { className: "ab-export-toast" });
    }
  }
}
