/**
 * The batch endpoints the board's progress element and the batches page call
 * (canvas/batches/api.py): the board's running and paused batches, one batch, and
 * pause/resume/cancel. Errors come back as `ApiError` with the server's sentence.
 *
 * It must not decide who may steer a batch: the server does (editors and owners).
 */
import { apiJson } from "../review/api";
import type { BatchView } from "./model";

/** The API's batch (`BatchOut`): the view plus who and when. */
export type BatchOut = BatchView & {
  created_by: number | null;
  created_at: string;
  eta_basis: string;
};

export interface BatchPage {
  items: BatchOut[];
  count: number;
  page: number;
  page_size: number;
  next: string | null;
}

export type SteerAction = "pause" | "resume" | "cancel";

export class BatchApi {
  constructor(
    private readonly apiBase: string,
    private readonly boardId: string,
  ) {}

  /** The board's running and paused batches, newest first (every page). */
  async active(): Promise<BatchOut[]> {
    const out: BatchOut[] = [];
    let url: string | null = `${this.apiBase}/boards/${this.boardId}/batches?active=1&page_size=200`;
    while (url) {
      const page: BatchPage = await apiJson<BatchPage>("GET", url);
      out.push(...page.items);
      url = page.next;
    }
    return out;
  }

  one(batchId: string): Promise<BatchOut> {
    return apiJson<BatchOut>("GET", `${this.apiBase}/batches/${batchId}`);
  }

  steer(batchId: string, action: SteerAction): Promise<BatchOut> {
    return apiJson<BatchOut>("POST", `${this.apiBase}/batches/${batchId}/${action}`);
  }
}
