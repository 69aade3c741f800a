/**
 * What a screen reader is told about a job as it moves: queued, started, every quarter of
 * its progress, done (how many results and where they are), failed (why), cancelled.
 * Pure: the jobs UI keeps the last announced step per job and speaks what this returns
 * through the page's live regions (ui/announcer.ts). Quarters, not every progress message:
 * a live region that speaks every 2 % drowns everything else out.
 *
 * It must not touch the DOM.
 */
import type { JobPayload } from "./model";

/** How far a job's announcements got: its state and the last quarter spoken (0–3). */
export interface Spoken {
  state: string;
  quarter: number;
}

export interface Announcement {
  text: string;
  /** Failures interrupt (assertive); everything else waits its turn (polite). */
  urgent: boolean;
  spoken: Spoken;
}

const MODE_WORDS: Record<string, string> = {
  img2img: "Image to image",
  inpaint: "Inpaint",
  upscale: "Upscale",
  variations: "Variations",
};

function what(job: JobPayload): string {
  return MODE_WORDS[job.mode] ?? job.mode;
}

/** The next thing to say about `job` after `before` (null: never spoken), or null for nothing new. */
export function jobAnnouncement(job: JobPayload, before: Spoken | null, results: number): Announcement | null {
  const quarter = job.state === "running" ? Math.min(3, Math.floor(job.progress * 4)) : 0;
  const spoken = { state: job.state, quarter };
  if (before && before.state === job.state && (job.state !== "running" || quarter <= before.quarter)) return null;
  switch (job.state) {
    case "queued":
      return { text: `${what(job)} job queued.`, urgent: false, spoken };
    case "running":
      if (before?.state === "running") return { text: `${what(job)} job ${quarter * 25}% done.`, urgent: false, spoken };
      return { text: `${what(job)} job started.`, urgent: false, spoken };
    case "succeeded":
      return {
        text: `${what(job)} job done: ${results} result${results === 1 ? "" : "s"} ready in the strip below the canvas (S goes there).`,
        urgent: false,
        spoken,
      };
    case "failed":
      return { text: `${what(job)} job failed: ${job.error?.message ?? "no reason given"}.`, urgent: true, spoken };
    case "cancelled":
      return { text: `${what(job)} job cancelled.`, urgent: false, spoken };
    default:
      return null;
  }
}
