/**
 * The requester's exports in the canvas: one toast per export while it runs (kind, progress,
 * step), replaced by a "Download" link when it is ready or by the error sentence when it
 * failed. Fed by the board socket's `export` messages, which only the requester's sockets get
 * (docs/exports.md "Delivery"). The exports page lists every export of the board.
 *
 * A running (or queued) export's toast has a **Cancel** button (`POST /exports/{id}/cancel`);
 * a cancelled export's toast says so, without the word "failed".
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
  | { state: "cancelled"; text: string }
  | { state: "failed"; text: string };

export function describeExport(data: ExportData): ExportView {
  const what = KIND_LABEL[data.kind] ?? data.kind;
  if (data.state === "ready" && data.download_url) {
    return { state: "ready", text: `Your ${what} is ready.`, url: data.download_url, fileName: data.file_name };
  }
  if (data.state === "failed" && data.error?.code === "export_cancelled") {
    const by = /^Cancelled by (.+)\.$/.exec(data.error.message)?.[1];
    return { state: "cancelled", text: `The ${what} export was cancelled${by ? ` by ${by}` : ""}.` };
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

function what(data: ExportData): string {
  return KIND_LABEL[data.kind] ?? data.kind;
}

export class ExportToasts {
  private readonly tracker = new ExportTracker();
  private readonly shown = new Map<string, ToastHandle>();

  constructor(
    private readonly toasts: Toasts,
    /** Cancels an export on the server (throws with the server's sentence); none: no button. */
    private readonly cancel?: (id: string) => Promise<void>,
  ) {}

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
      const toast = this.toasts.show("progress", view.text, { className: "ab-export-toast" });
      toast.element.dataset.export = data.id;
      if (this.cancel) toast.element.append(this.cancelButton(data.id, what(data)));
      this.shown.set(data.id, toast);
    } else if (view.state === "cancelled") {
      this.toasts.show("info", view.text, { dismissible: true, ms: 8000, className: "ab-export-toast" });
    } else if (view.state === "ready") {
      const link = h("a", { href: view.url, download: view.fileName, class: "ab-toast-action", "data-testid": "export-download" }, "Download");
      const content = h("span", {}, `${view.text} `, link);
      this.toasts.show("info", content, { dismissible: true, className: "ab-export-toast" });
    } else {
      this.toasts.show("error", view.text, { className: "ab-export-toast" });
    }
  }

  private cancelButton(id: string, label: string): HTMLButtonElement {
    const button = h("button", { type: "button", class: "ab-btn ab-export-cancel", "data-testid": "export-toast-cancel" }, "Cancel");
    button.setAttribute("aria-label", `Cancel the ${label} export`);
    button.addEventListener("click", () => {
      button.disabled = true;
      this.cancel?.(id).catch((err: unknown) => {
        button.disabled = false;
        this.toasts.show("error", err instanceof Error ? err.message : "The export could not be cancelled.", { className: "ab-export-toast" });
      });
    });
    return button;
  }
}
