/** Job and result payloads with sensible defaults for the job tests; pass what matters. */
import type { IterationPayload, JobPayload } from "../src/jobs/model";

export const REGION = { x: 0, y: 0, width: 100, height: 50 };

export function job(extra: Partial<JobPayload> = {}): JobPayload {
  return {
    id: "j1",
    board: "b",
    created_by: 1,
    mode: "img2img",
    engine: "local",
    state: "queued",
    priority: 0,
    position: 1,
    spec: { region: REGION, prompt: "warm sunset", seed: 3 },
    attempts: 0,
    max_attempts: 3,
    cancel_requested: false,
    progress: 0,
    progress_message: "",
    error: null,
    queued_at: "2026-11-27T10:00:00Z",
    started_at: null,
    finished_at: null,
    retried_from: null,
    parent_iteration: null,
    version: 1,
    batch: null,
    ...extra,
  };
}

export function iteration(extra: Partial<IterationPayload> = {}): IterationPayload {
  return {
    id: "i1",
    board: "b",
    job: "j1",
    index: 0,
    asset: "a1",
    source_asset: "src",
    parent: null,
    region: REGION,
    status: "staged",
    applied_item: null,
    is_current: false,
    seed: 3,
    provenance: {},
    created_at: "2026-11-27T10:01:00Z",
    consistency: null,
    ...extra,
  };
}
