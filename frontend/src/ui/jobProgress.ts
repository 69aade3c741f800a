/**
 * Jobs in flight: a card over each queued/running job's region (progress bar, step
 * message, the live low-resolution preview, cancel) and the queue list in the side panel
 * (move to front/back, cancel, retry failed ones, pause/resume the board's queue).
 * A batch's jobs get neither cards nor rows of their own: one quiet marker per region and
 * batch, one queue line per batch (jobs/batchJobs.ts; the batch dock steers them).
 *
 * It reads jobs/model.ts and sends requests through jobs/client.ts; it never edits items.
 */
import type { Editor } from "../editor";
import { type BatchMarker, batchMarkers, batchQueueLines, markerText, ownJobs, queueLineText } from "../jobs/batchJobs";
import type { JobClient, JobRequestDraft } from "../jobs/client";
import type { JobPayload, JobStore } from "../jobs/model";
import { h, rafThrottle } from "./dom";
import { type IconName, iconButton } from "./icons";
import { keepClear } from "./overlay";
import { placeOver } from "./regionTool";

const MODE_LABEL: Record<string, string> = {
  img2img: "Image to image",
  inpaint: "Inpaint",
  upscale: "Upscale",
  variations: "Variations",
};

export function jobTitle(job: JobPayload): string {
  const text = typeof job.spec.prompt === "string" ? job.spec.prompt.trim() : "";
  // Long prompts are cut at a word-ish boundary and say so ("…"), never mid-phrase silently.
  const short = text.length > 40 ? `${text.slice(0, 39).trimEnd()}…` : text;
  const prompt = short ? ` “${short}”` : "";
  return `${MODE_LABEL[job.mode] ?? job.mode}${prompt}`;
}

export function stateText(job: JobPayload): string {
  if (job.state === "queued") return job.attempts ? `Waiting to retry (attempt ${job.attempts + 1})` : "Queued";
  if (job.state === "running") {
    const pct = Math.round(job.progress * 100);
    return `${job.cancel_requested ? "Cancelling" : job.progress_message || "Running"} · ${pct}%`;
  }
  if (job.state === "failed") return job.error?.message ?? "Failed";
  return job.state === "cancelled" ? "Cancelled" : "Done";
}

export class JobProgress {
  /** Cards over regions; lives inside the canvas surface. */
  readonly overlay: HTMLElement;
  /** The queue list; lives in the side panel. */
  readonly panel: HTMLElement;
  private readonly list: HTMLElement;
  private readonly failed: HTMLElement;
  private readonly pause: HTMLButtonElement;
  private readonly note: HTMLElement;

  constructor(
    private readonly editor: Editor,
    private readonly store: JobStore,
    private readonly client: JobClient,
  ) {
    this.overlay = h("div", { class: "ab-job-overlay", "data-testid": "job-overlay" });
    this.list = h("ul", { class: "ab-queue", "data-testid": "job-queue" });
    this.failed = h("ul", { class: "ab-queue failed" });
    this.pause = h("button", { type: "button", class: "ab-btn small", "data-testid": "queue-pause" }, "Pause queue");
    this.pause.addEventListener("click", () => this.send({ type: this.store.paused ? "queue_resume" : "queue_pause" }));
    this.note = h("p", { class: "ab-gen-error", role: "alert", hidden: true });
    this.panel = h(
      "section",
      { class: "ab-panel ab-queue-panel" },
      h("h3", {}, "Queue"),
      this.pause,
      this.list,
      this.failed,
      this.note,
    );
    const render = rafThrottle(() => this.render());
    store.subscribe(render);
    editor.on("camera", () => this.placeCards());
    editor.on("editable", render);
    this.render();
  }

  private send(msg: JobRequestDraft): void {
    this.note.hidden = true;
    this.client.request(msg).catch((err: Error) => {
      this.note.textContent = err.message;
      this.note.hidden = false;
    });
  }

  private button(label: string, title: string, msg: JobRequestDraft, testid: string): HTMLButtonElement {
    const glyph: IconName = testid === "job-front" ? "front" : testid === "job-back" ? "back" : testid === "job-retry" ? "rerun" : "close";
    const b = iconButton({ icon: glyph, label: title, text: label.length > 1 ? label : undefined, variant: label.length > 1 ? "secondary" : "ghost", testid });
    b.classList.add("small");
    b.hidden = !this.editor.canEdit;
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      this.send(msg);
    });
    return b;
  }

  render(): void {
    const all = this.store.activeJobs();
    const active = ownJobs(all);
    const lines = batchQueueLines(all);
    this.pause.textContent = this.store.paused ? "Resume queue" : "Pause queue";
    this.pause.hidden = !this.editor.canEdit;
    this.pause.dataset.paused = String(this.store.paused);
    this.list.replaceChildren(
      ...(all.length ? [] : [h("li", { class: "muted" }, this.store.paused ? "Queue paused." : "Nothing queued.")]),
      ...lines.map((line) =>
        h(
          "li",
          { class: "ab-queue-row batch", "data-batch": line.batch, "data-testid": "job-queue-batch" },
          h("span", { class: "ab-queue-title" }, queueLineText(this.store.batchNames.get(line.batch), line)),
        ),
      ),
      ...active.map((job) => {
        const row = h(
          "li",
          { class: `ab-queue-row ${job.state}`, "data-job": job.id, "data-state": job.state },
          h("span", { class: "ab-queue-title" }, jobTitle(job)),
          h("progress", { max: "1", value: String(job.progress) }),
          h("span", { class: "ab-queue-state" }, stateText(job)),
        );
        if (job.state === "queued") {
          row.append(
            this.button("⇡", "Move to the front of the queue", { type: "job_move", job_id: job.id, to: "front" }, "job-front"),
            this.button("⇣", "Move to the back of the queue", { type: "job_move", job_id: job.id, to: "back" }, "job-back"),
          );
        }
        if (!job.cancel_requested) row.append(this.button("✕", "Cancel this job", { type: "job_cancel", job_id: job.id }, "job-cancel"));
        return row;
      }),
    );
    this.failed.replaceChildren(
      // A batch's failed jobs are re-run from its review (matrix: "re-run failed").
      ...ownJobs(this.store.failedJobs()).slice(0, 5).map((job) =>
        h(
          "li",
          { class: `ab-queue-row ${job.state}`, "data-job": job.id, "data-state": job.state },
          h("span", { class: "ab-queue-title" }, jobTitle(job)),
          h("span", { class: "ab-queue-state" }, stateText(job)),
          this.button("↻", "Run this job again with the same settings and seed", { type: "job_retry", job_id: job.id }, "job-retry"),
        ),
      ),
    );
    this.renderCards(active, batchMarkers(this.store.jobs.values()));
  }

  private renderCards(active: JobPayload[], markers: BatchMarker[]): void {
    const cards = active.map((job) => {
      const preview = this.store.previews.get(job.id);
      const bar = h("div", { class: "ab-job-bar" }, h("div", { class: "ab-job-fill", style: `width:${Math.round(job.progress * 100)}%` }));
      const card = h(
        "div",
        { class: `ab-job-card ${job.state}`, "data-job": job.id, "data-testid": "job-card", "data-state": job.state },
        preview ? h("img", { class: "ab-job-preview", src: preview.image, alt: "Live preview", "data-testid": "job-preview" }) : null,
        h("div", { class: "ab-job-info" }, h("span", { class: "ab-job-text", role: "status" }, stateText(job)), bar),
      );
      if (this.editor.canEdit && !job.cancel_requested) {
        card.querySelector(".ab-job-info")!.append(this.button("Cancel", "Cancel this job", { type: "job_cancel", job_id: job.id }, "job-card-cancel"));
      }
      (card as HTMLElement & { region?: JobPayload["spec"]["region"] }).region = job.spec.region;
      return card;
    });
    // A batch: one quiet chip on the region's outline, no bar, preview or Cancel (the dock has them).
    const chips = markers.map((m) => {
      const text = markerText(this.store.batchNames.get(m.batch), m);
      const chip = h(
        "div",
        { class: "ab-job-batch", "data-batch": m.batch, "data-testid": "job-batch-marker", title: `Batch ${text} finished` },
        // The name gives way (ellipsis), the count never does.
        h(
          "span",
          { class: "ab-job-batch-chip" },
          h("span", { class: "ab-job-batch-name" }, this.store.batchNames.get(m.batch) || "Batch"),
          h("span", { class: "ab-job-batch-count" }, text.slice(text.lastIndexOf(" — "))),
        ),
      );
      (chip as HTMLElement & { region?: JobPayload["spec"]["region"] }).region = m.region;
      return chip;
    });
    this.overlay.replaceChildren(...chips, ...cards);
    this.placeCards();
  }

  private placeCards(): void {
    for (const card of this.overlay.children) {
      const region = (card as HTMLElement & { region?: JobPayload["spec"]["region"] }).region;
      if (region) placeOver(card as HTMLElement, this.editor, region);
    }
    this.keepControlsClear();
  }

  /** After layout: lift each card's status and Cancel out from under strips and panels. */
  private readonly keepControlsClear = rafThrottle(() => {
    const surface = this.overlay.parentElement;
    if (!surface) return;
    for (const info of this.overlay.querySelectorAll<HTMLElement>(".ab-job-info")) keepClear(info, surface);
  });
}
