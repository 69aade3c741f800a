/**
 * The browser's picture of a board's jobs and results: what the server said last, kept
 * in step by the `job`, `job_preview`, `iteration`, `job_queue` and `consistency` broadcasts (and REST
 * loads: when the board opens, after a reconnect, and when it notices it missed something).
 * Panels read it and subscribe to changes.
 *
 * The server announces every version of a job once, in order per job (docs/jobs.md). So
 * the store reports a *gap* when a job message skips versions (messages were lost or
 * crossed), and when a job turns `succeeded` with fewer results than it asked for (a
 * result message was lost); jobs/client.ts `JobResync` then re-reads that job through the
 * API.
 *
 * It must not send anything or touch the DOM; requests go through jobs/client.ts.
 */
import type { JobMessage, JobMode, RegionRect } from "../protocol";
import type { IterationData, JobData } from "../protocol/generated";
import { applyConsistency, keptConsistency } from "../review/drift";

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type IterationStatus = "staged" | "applied" | "discarded";

/** `job` payload (canvas/jobs/payloads.py job_payload; shape generated from the server's
 * JobData), with the enums and the spec fields this client reads spelled out. */
export type JobPayload = Omit<JobData, "mode" | "state" | "spec" | "notes" | "not_before"> & {
  mode: JobMode;
  state: JobState;
  spec: {
    region: RegionRect;
    prompt?: string;
    negative_prompt?: string;
    seed?: number;
    count?: number;
    strength?: number;
    [key: string]: unknown;
  };
};

/** `iteration` payload (canvas/jobs/payloads.py iteration_payload; generated IterationData). */
export type IterationPayload = Omit<IterationData, "region" | "status"> & {
  region: RegionRect;
  status: IterationStatus;
};

/** One engine from the board bootstrap (`EngineCapabilities.as_dict()` + name). */
export interface EngineInfo {
  name: string;
  label: string;
  generative: boolean;
  modes: JobMode[];
  max_references: number;
  anchor_roles: string[];
  supports_mask: boolean;
  max_count: number;
  max_input_pixels: number;
  max_output_pixels: number;
  upscale_factors: number[];
  sizes: number[][];
}

export const ACTIVE_STATES: ReadonlySet<JobState> = new Set(["queued", "running"]);

export function isActive(job: JobPayload): boolean {
  return ACTIVE_STATES.has(job.state);
}

/** Why the store thinks it missed something about a job. */
export type GapReason = "versions" | "results";

export class JobStore {
  readonly jobs = new Map<string, JobPayload>();
  readonly iterations = new Map<string, IterationPayload>();
  /** Latest low-resolution preview per running job (data: URL). */
  readonly previews = new Map<string, { version: number; image: string }>();
  paused = false;
  /** Batch id → name (from `batch_progress` and the batch API), for the batch markers,
   * queue lines and strip summaries (jobs/batchJobs.ts); a job carries only the id. */
  readonly batchNames = new Map<string, string>();
  private listeners = new Set<() => void>();
  private gapListeners = new Set<(jobId: string, why: GapReason) => void>();
  /** Counts broadcasts; `heard` remembers when each result was last broadcast. */
  private sequence = 0;
  private heard = new Map<string, number>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called when a job's messages show that some were missed (see the module comment). */
  onGap(fn: (jobId: string, why: GapReason) => void): () => void {
    this.gapListeners.add(fn);
    return () => this.gapListeners.delete(fn);
  }

  /** A batch's name became known (or changed). */
  nameBatch(id: string, name: string): void {
    if (this.batchNames.get(id) === name) return;
    this.batchNames.set(id, name);
    this.changed();
  }

  /** Take before fetching through the API, give to `load`: results broadcast after this
   * are newer than the fetched page and are kept. */
  mark(): number {
    return this.sequence;
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Broadcasts; returns whether anything changed. Replies to requests are ignored here. */
  receive(msg: JobMessage): boolean {
    switch (msg.type) {
      case "job":
      case "job_accepted":
        return this.receiveJob(msg.job as unknown as JobPayload);
      case "job_preview": {
        const job = this.jobs.get(msg.job);
        const current = this.previews.get(msg.job);
        if (current && current.version > msg.version) return false;
        if (job && !isActive(job)) return false; // a late preview of a finished job
        this.previews.set(msg.job, { version: msg.version, image: msg.image });
        this.changed();
        return true;
      }
      case "iteration": {
        const iteration = msg.iteration as unknown as IterationPayload;
        this.sequence += 1;
        this.heard.set(iteration.id, this.sequence);
        this.putIteration(iteration);
        return true;
      }
      case "job_queue":
        this.paused = msg.paused;
        this.changed();
        return true;
      case "consistency": {
        // Scores arrive after the result itself (it is scored once it landed).
        if (!applyConsistency(this.iterations.values(), msg.results)) return false;
        this.changed();
        return true;
      }
      default:
        return false;
    }
  }

  private receiveJob(job: JobPayload): boolean {
    const known = this.jobs.get(job.id);
    const changed = this.putJob(job);
    if (known && job.version > known.version + 1) this.gap(job.id, "versions");
    else if (changed && job.state === "succeeded" && known?.state !== "succeeded") {
      const wanted = typeof job.spec.count === "number" ? job.spec.count : 1;
      if (this.resultsOf(job.id).length < wanted) this.gap(job.id, "results");
    }
    return changed;
  }

  private gap(jobId: string, why: GapReason): void {
    for (const fn of this.gapListeners) fn(jobId, why);
  }

  /** The results of one job known here. */
  resultsOf(jobId: string): IterationPayload[] {
    return [...this.iterations.values()].filter((it) => it.job === jobId);
  }

  /** Keep the newest version of a job: broadcasts from different workers may cross. */
  putJob(job: JobPayload, notify = true): boolean {
    const known = this.jobs.get(job.id);
    if (known && known.version > job.version) return false;
    this.jobs.set(job.id, job);
    if (!isActive(job)) this.previews.delete(job.id);
    if (notify) this.changed();
    return true;
  }

  putIteration(iteration: IterationPayload, notify = true): void {
    const known = this.iterations.get(iteration.id);
    this.iterations.set(iteration.id, { ...iteration, consistency: keptConsistency(known?.consistency, iteration.consistency) });
    if (notify) this.changed();
  }

  /**
   * What a REST read returned (the board's lists, or one job and its results). Jobs: the
   * newer version wins, whichever way it came. Results carry no version: the page wins
   * over what was known when the read started (`since`, from `mark()`), a broadcast
   * received after that wins over the page.
   */
  load(jobs: JobPayload[], iterations: IterationPayload[], since: number = this.sequence): void {
    for (const job of jobs) this.putJob(job, false);
    for (const it of iterations) {
      if ((this.heard.get(it.id) ?? 0) <= since) this.putIteration(it, false);
    }
    this.changed();
  }

  /** Running first, then queued in the order the queue will take them. */
  activeJobs(): JobPayload[] {
    return [...this.jobs.values()]
      .filter(isActive)
      .sort(
        (a, b) =>
          Number(b.state === "running") - Number(a.state === "running") ||
          b.priority - a.priority ||
          a.position - b.position,
      );
  }

  /** Finished jobs that did not succeed, newest first (for retry). */
  failedJobs(): JobPayload[] {
    return [...this.jobs.values()]
      .filter((j) => j.state === "failed" || j.state === "cancelled")
      .sort((a, b) => (b.finished_at ?? "").localeCompare(a.finished_at ?? ""));
  }

  /** Results waiting in the staging strip, oldest job first, in result order. */
  staged(): IterationPayload[] {
    return [...this.iterations.values()]
      .filter((it) => it.status === "staged")
      .sort((a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? "") || a.index - b.index);
  }

  promptOf(iteration: IterationPayload): string {
    const job = this.jobs.get(iteration.job);
    const fromJob = job?.spec.prompt;
    if (typeof fromJob === "string") return fromJob;
    const fromProvenance = iteration.provenance.prompt;
    return typeof fromProvenance === "string" ? fromProvenance : "";
  }
}
