/**
 * Jobs and results of batches as the board shows them (docs/frontend.md "Batch jobs on the
 * board"): a batch can be hundreds of jobs over one region, so the board never draws them one
 * by one. Its running jobs become one quiet marker per region and batch ("Spring hero —
 * 12/40"), its queued and running jobs one line in the queue, its staged results one summary
 * in the staging strip that links to the batch's matrix in review. A person's own jobs (no
 * `batch`) keep their cards, queue rows and thumbnails.
 *
 * Pure: it must not touch the DOM or the socket.
 */
import type { RegionRect } from "../protocol";
import { type IterationPayload, type JobPayload, isActive } from "./model";

/** One marker on the canvas: a batch's jobs over one region, while any of them is unfinished. */
export interface BatchMarker {
  batch: string;
  region: RegionRect;
  /** The batch's jobs over this region known to the board, and how many have ended. */
  total: number;
  finished: number;
  running: number;
}

/** The same region, however the spec spelled its numbers. */
export function regionKey(r: RegionRect): string {
  return [r.x, r.y, r.width, r.height].map((n) => Math.round(n)).join(",");
}

/** Jobs that are not part of a batch: they keep their own card, row and thumbnails. */
export function ownJobs(jobs: readonly JobPayload[]): JobPayload[] {
  return jobs.filter((j) => !j.batch);
}

/** One marker per (batch, region) that still has a queued or running job, in first-seen order. */
export function batchMarkers(jobs: Iterable<JobPayload>): BatchMarker[] {
  const markers = new Map<string, BatchMarker & { active: boolean }>();
  for (const job of jobs) {
    if (!job.batch) continue;
    const key = `${job.batch}|${regionKey(job.spec.region)}`;
    let m = markers.get(key);
    if (!m) {
      m = { batch: job.batch, region: job.spec.region, total: 0, finished: 0, running: 0, active: false };
      markers.set(key, m);
    }
    m.total += 1;
    if (isActive(job)) m.active = true;
    else m.finished += 1;
    if (job.state === "running") m.running += 1;
  }
  return [...markers.values()].filter((m) => m.active).map(({ active: _active, ...m }) => m);
}

/** The marker's words: "Spring hero — 12/40" (a batch whose name is not known yet: "Batch"). */
export function markerText(name: string | undefined, m: BatchMarker): string {
  return `${name || "Batch"} — ${m.finished}/${m.total}`;
}

/** A batch's unfinished jobs as one queue line. */
export interface BatchQueueLine {
  batch: string;
  running: number;
  queued: number;
}

/** The active jobs of batches, one line per batch (in the order their first job is listed). */
export function batchQueueLines(active: readonly JobPayload[]): BatchQueueLine[] {
  const lines = new Map<string, BatchQueueLine>();
  for (const job of active) {
    if (!job.batch) continue;
    const line = lines.get(job.batch) ?? { batch: job.batch, running: 0, queued: 0 };
    if (job.state === "running") line.running += 1;
    else line.queued += 1;
    lines.set(job.batch, line);
  }
  return [...lines.values()];
}

export function queueLineText(name: string | undefined, line: BatchQueueLine): string {
  return `${name || "Batch"}: ${line.running} running, ${line.queued} queued`;
}

/** A batch's staged results, summed for the staging strip. */
export interface BatchResultsSummary {
  batch: string;
  results: number;
  drifted: number;
  /** When its newest result was made (ISO), for newest-first order. */
  latest: string;
}

/**
 * Split staged results into the person's own (shown one by one) and the batches' (summed per
 * batch, newest batch first). `batchOf` says which batch made a result's job (null: none, or
 * a job the board does not know, which is shown as its own).
 */
export function splitStaged(
  staged: readonly IterationPayload[],
  batchOf: (jobId: string) => string | null,
): { own: IterationPayload[]; batches: BatchResultsSummary[] } {
  const own: IterationPayload[] = [];
  const sums = new Map<string, BatchResultsSummary>();
  for (const it of staged) {
    const batch = batchOf(it.job);
    if (!batch) {
      own.push(it);
      continue;
    }
    const s = sums.get(batch) ?? { batch, results: 0, drifted: 0, latest: "" };
    s.results += 1;
    if (it.consistency?.drift) s.drifted += 1;
    if ((it.created_at ?? "") > s.latest) s.latest = it.created_at ?? "";
    sums.set(batch, s);
  }
  const batches = [...sums.values()].sort((a, b) => b.latest.localeCompare(a.latest));
  return { own, batches };
}

/** "Spring hero: 480 results, 12 drifted" */
export function summaryText(name: string | undefined, s: BatchResultsSummary): string {
  const results = `${s.results} result${s.results === 1 ? "" : "s"}`;
  return `${name ? `“${name}”` : "A batch"}: ${results}${s.drifted ? `, ${s.drifted} drifted` : ""}`;
}
