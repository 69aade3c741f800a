/**
 * The browser's picture of a board's jobs and results: what the server said last, kept
 * in step by the `job`, `job_preview`, `iteration` and `job_queue` broadcasts (and one REST
 * load when the board opens). Panels read it and subscribe to changes.
 *
 * It must not send anything or touch the DOM; requests go through jobs/client.ts.
 */
import type { JobMessage, JobMode, RegionRect } from "../protocol";
import type { IterationData, JobData } from "../protocol/generated";

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

export class JobStore {
  readonly jobs = new Map<string, JobPayload>();
  readonly iterations = new Map<string, IterationPayload>();
  /** Latest low-resolution preview per running job (data: URL). */
  readonly previews = new Map<string, { version: number; image: string }>();
  paused = false;
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Broadcasts; returns whether anything changed. Replies to requests are ignored here. */
  receive(msg: JobMessage): boolean {
    switch (msg.type) {
      case "job":
        return this.putJob(msg.job as unknown as JobPayload);
      case "job_accepted":
        return this.putJob(msg.job as unknown as JobPayload);
      case "job_preview": {
        const job = this.jobs.get(msg.job);
        const current = this.previews.get(msg.job);
        if (current && current.version > msg.version) return false;
        if (job && !isActive(job)) return false; // a late preview of a finished job
        this.previews.set(msg.job, { version: msg.version, image: msg.image });
        this.changed();
        return true;
      }
      case "iteration":
        this.putIteration(msg.iteration as unknown as IterationPayload);
        return true;
      case "job_queue":
        this.paused = msg.paused;
        this.changed();
        return true;
      default:
        return false;
    }
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
    this.iterations.set(iteration.id, iteration);
    if (notify) this.changed();
  }

  /** The REST load when the board opens; broadcasts received meanwhile are newer and win. */
  load(jobs: JobPayload[], iterations: IterationPayload[]): void {
    for (const job of jobs) if (!this.jobs.has(job.id)) this.putJob(job, false);
    for (const it of iterations) if (!this.iterations.has(it.id)) this.putIteration(it, false);
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
