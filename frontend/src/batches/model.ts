/**
 * A batch as one aggregate, as the board's progress element and the batches page show it:
 * the bar's four parts (done / failed / running / queued), the words for the counts and the
 * time left, what a screen reader is told, and which of two views of a batch is newer.
 *
 * Two sources feed it: the API (`GET /api/v1/boards/{id}/batches`, `GET /api/v1/batches/{id}`,
 * the answers of pause/resume/cancel) and the board socket's `batch_progress` message
 * (docs/batches.md "Following and steering a batch"). Both carry `counts`, `state`, `jobs`,
 * `eta_seconds` and `finished_at`; `BatchView` is what they have in common.
 *
 * Pure: it must not touch the DOM, the network or timers.
 */
import type { BatchCounts, BatchProgressData } from "../protocol/generated";

export type BatchState = "running" | "paused" | "cancelled" | "completed";

/** What both the API's batch and the socket's `batch_progress` say of a batch. */
export type BatchView = Pick<BatchProgressData, "id" | "board" | "name" | "jobs" | "counts" | "eta_seconds" | "finished_at"> & {
  state: string;
};

export const SEGMENTS = ["done", "failed", "running", "queued"] as const;
export type Segment = (typeof SEGMENTS)[number];

const SEGMENT_STATE: Record<Segment, keyof BatchCounts> = {
  done: "succeeded",
  failed: "failed",
  running: "running",
  queued: "queued",
};

export function isEnded(view: BatchView): boolean {
  return view.state === "completed" || view.state === "cancelled";
}

/** Jobs per segment. */
export function segmentCounts(view: BatchView): Record<Segment, number> {
  const out = {} as Record<Segment, number>;
  for (const s of SEGMENTS) out[s] = view.counts[SEGMENT_STATE[s]] ?? 0;
  return out;
}

/** Each segment's share of the bar in % (of the batch's jobs; cancelled jobs leave a gap). */
export function segmentShares(view: BatchView): Record<Segment, number> {
  const total = Math.max(1, view.jobs);
  const counts = segmentCounts(view);
  const out = {} as Record<Segment, number>;
  for (const s of SEGMENTS) out[s] = Math.round((10000 * counts[s]) / total) / 100;
  return out;
}

/** Jobs that have ended one way or another: what the progress bar's value counts. */
export function finishedJobs(view: BatchView): number {
  return view.counts.succeeded + view.counts.failed + view.counts.cancelled;
}

/** "about 3 min", "about 1 h 20 min", "under a minute"; "" when unknown or ended. */
export function etaText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return "";
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min` : `about ${hours} h`;
}

/** The one-line summary under the bar: "12 done · 1 failed · 4 running · 30 queued". */
export function countsText(view: BatchView): string {
  const c = segmentCounts(view);
  const parts = [`${c.done} done`, `${c.failed} failed`, `${c.running} running`, `${c.queued} queued`];
  if (view.counts.cancelled) parts.push(`${view.counts.cancelled} cancelled`);
  return parts.join(" · ");
}

const STATE_WORDS: Record<string, string> = {
  running: "Running",
  paused: "Paused",
  cancelled: "Cancelled",
  completed: "Completed",
};

export function stateWord(state: string): string {
  return STATE_WORDS[state] ?? state;
}

/** The progress bar's aria-valuetext: every count, the state when not running, the ETA. */
export function valueText(view: BatchView): string {
  const eta = etaText(view.eta_seconds);
  const state = view.state === "running" ? "" : `${stateWord(view.state)}: `;
  return `${state}${countsText(view)} of ${view.jobs} jobs${eta && !isEnded(view) ? `; ${eta} left` : ""}`;
}

/** How an ended batch came out: "40 done, 2 failed." (", 6 cancelled" when some were). */
export function endedCounts(view: BatchView): string {
  const c = segmentCounts(view);
  const cancelled = view.counts.cancelled ? `, ${view.counts.cancelled} cancelled` : "";
  return `${c.done} done, ${c.failed} failed${cancelled}.`;
}

/** What is said once a batch has ended: "Completed: 40 done, 2 failed." */
export function endedText(view: BatchView): string {
  return `${stateWord(view.state)}: ${endedCounts(view)}`;
}

/**
 * Which of two views of a batch is newer. Counts are no clock: a retried job moves from
 * failed back to queued and reopens an ended batch (docs/batches.md "Retrying a batch's
 * job"). The board socket delivers a board's messages in order, so a `batch_progress` is
 * always the newest; an API answer (the load after a reconnect, a Pause's reply) is news
 * only if no message about that batch arrived while it was on its way.
 */
export class Freshness {
  private seq = 0;
  private readonly heard = new Map<string, number>();

  /** A `batch_progress` message arrived for `id`. */
  message(id: string): void {
    this.heard.set(id, ++this.seq);
  }

  /** Call before an API request; pass the result to `fresh` with its answer. */
  mark(): number {
    return this.seq;
  }

  /** Whether an API answer about `id`, asked for at `mark`, is newer than what was heard. */
  fresh(id: string, mark: number): boolean {
    return (this.heard.get(id) ?? 0) <= mark;
  }

  forget(id: string): void {
    this.heard.delete(id);
  }
}

/**
 * What to tell a screen reader about a batch after `before` (null: first seen), or null.
 * The start of a batch, a change of state and every quarter of its jobs finished; never every
 * message (up to two a second per batch would drown everything else out). Failures are
 * spoken politely too: a batch carries on after a failed job.
 */
export function batchAnnouncement(view: BatchView, before: BatchView | null): string | null {
  const quarter = (v: BatchView) => Math.min(4, Math.floor((4 * finishedJobs(v)) / Math.max(1, v.jobs)));
  if (!before) return view.state === "running" && finishedJobs(view) === 0 ? `Batch “${view.name}” started: ${view.jobs} jobs.` : null;
  if (before.state !== view.state) {
    if (isEnded(before)) return `Batch “${view.name}” runs again: a job was retried.`;
    if (isEnded(view)) {
      const said = endedText(view);
      return `Batch “${view.name}” ${said.charAt(0).toLowerCase()}${said.slice(1)}`;
    }
    return `Batch “${view.name}” ${view.state === "paused" ? "paused" : "resumed"}.`;
  }
  if (!isEnded(view) && quarter(view) > quarter(before) && quarter(view) < 4) {
    return `Batch “${view.name}”: ${finishedJobs(view)} of ${view.jobs} jobs finished.`;
  }
  return null;
}
