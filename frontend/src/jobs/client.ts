/**
 * Talking to the server about jobs: requests over the board socket (`JobClient`: every
 * request gets a fresh `request_id`; the promise resolves with `job_accepted` /
 * `request_done` or rejects with the server's `{code, message}`), and re-reads through the
 * API (`JobResync`: the whole board after a (re)connect, one job and its results when the
 * store saw a gap in its messages).
 *
 * It must not keep job state (jobs/model.ts does) or touch the DOM.
 */
import type {
  ErrorMessage,
  JobAcceptedMessage,
  JobMessage,
  JobRequestMessage,
  RequestDoneMessage,
} from "../protocol";
import type { IterationPayload, JobPayload, JobStore } from "./model";

export class JobRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type JobReply = JobAcceptedMessage | RequestDoneMessage;

/** Anything that can send a message when online (the board connection). */
export interface RequestSink {
  readonly isSynced: boolean;
  sendVolatile(msg: JobRequestMessage): void;
}

/** A request as callers write it: `request_id` is filled in by the client. */
export type JobRequestDraft = JobRequestMessage extends infer M
  ? M extends JobRequestMessage
    ? Omit<M, "request_id"> & { request_id?: string }
    : never
  : never;

type Pending = { resolve: (reply: JobReply) => void; reject: (error: JobRequestError) => void };

export class JobClient {
  private pending = new Map<string, Pending>();
  private counter = 0;

  constructor(
    private readonly sink: RequestSink,
    private readonly random: () => number = Math.random,
  ) {}

  newRequestId(): string {
    this.counter += 1;
    return `jr-${this.counter}-${Math.floor(this.random() * 1e9).toString(36)}`;
  }

  /** Send `msg` (its request_id is filled in) and wait for the server's answer. */
  request(msg: JobRequestDraft): Promise<JobReply> {
    if (!this.sink.isSynced) {
      return Promise.reject(
        new JobRequestError("offline", "The board is not connected right now; try again when it is back online."),
      );
    }
    const request_id = msg.request_id ?? this.newRequestId();
    const full = { ...msg, request_id } as unknown as JobRequestMessage;
    return new Promise<JobReply>((resolve, reject) => {
      this.pending.set(request_id, { resolve, reject });
      this.sink.sendVolatile(full);
    });
  }

  /** Feed replies in; returns true when the message answered one of our requests. */
  receive(msg: JobMessage | ErrorMessage): boolean {
    if (msg.type !== "job_accepted" && msg.type !== "request_done" && msg.type !== "error") return false;
    const id = msg.request_id;
    if (!id) return false;
    const waiting = this.pending.get(id);
    if (!waiting) return false;
    this.pending.delete(id);
    if (msg.type === "error") waiting.reject(new JobRequestError(msg.code, msg.message));
    else waiting.resolve(msg);
    return true;
  }

  /** The socket dropped: nobody will answer the open requests. */
  failAll(): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      p.reject(
        new JobRequestError(
          "disconnected",
          "The connection dropped before the server answered; check the queue before trying again.",
        ),
      );
    }
  }

  get openRequests(): number {
    return this.pending.size;
  }
}

/** The API reads `JobResync` needs (`httpJobApi` in the page, fakes in tests). */
export interface JobApi {
  /** One job, or null if it no longer exists (or the caller lost access). */
  job(id: string): Promise<JobPayload | null>;
  /** Every result of one job. */
  results(jobId: string): Promise<IterationPayload[]>;
  /** The board's jobs and results. */
  board(): Promise<{ jobs: JobPayload[]; iterations: IterationPayload[] }>;
}

/**
 * Re-reads through the API what the socket may have missed: the whole board after a
 * (re)connect (`reload`), one job and its results when the store reports a gap. One read
 * per job (and one board read) at a time; a gap reported meanwhile reads once more after
 * it, so a burst of gaps costs two reads, and nothing reported is ever dropped.
 */
export class JobResync {
  /** Job id → whether another read was asked for while one runs. */
  private readingJob = new Map<string, boolean>();
  private readingBoard: boolean | null = null;

  constructor(
    private readonly store: JobStore,
    private readonly api: JobApi,
    private readonly onError: (what: "board" | "job", error: Error) => void = () => {},
  ) {
    store.onGap((jobId) => void this.rereadJob(jobId));
  }

  /** Re-read one job and its results; resolves when the store has them. */
  async rereadJob(jobId: string): Promise<void> {
    if (this.readingJob.has(jobId)) {
      this.readingJob.set(jobId, true);
      return;
    }
    try {
      do {
        this.readingJob.set(jobId, false);
        const since = this.store.mark();
        const [job, results] = await Promise.all([this.api.job(jobId), this.api.results(jobId)]);
        this.store.load(job ? [job] : [], results, since);
      } while (this.readingJob.get(jobId));
    } catch (error) {
      this.onError("job", error as Error);
    } finally {
      this.readingJob.delete(jobId);
    }
  }

  /** Re-read the board's jobs and results (on connect and after every reconnect). */
  async reload(): Promise<void> {
    if (this.readingBoard !== null) {
      this.readingBoard = true;
      return;
    }
    try {
      do {
        this.readingBoard = false;
        const since = this.store.mark();
        const { jobs, iterations } = await this.api.board();
        this.store.load(jobs, iterations, since);
      } while (this.readingBoard);
    } catch (error) {
      this.onError("board", error as Error);
    } finally {
      this.readingBoard = null;
    }
  }
}

const PAGE_SIZE = 200;
/** A board's history is bounded in practice; cap the pages so a huge one cannot hang. */
const MAX_PAGES = 10;

/** `JobApi` over `/api/v1` with the page's session. */
export function httpJobApi(apiBase: string, boardId: string, fetchFn: typeof fetch = fetch): JobApi {
  /** GET as JSON; a 404 is null when `missingIsNull` (a job deleted meanwhile). */
  const get = async (url: string, missingIsNull = false): Promise<Response | null> => {
    const response = await fetchFn(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.status === 404 && missingIsNull) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response;
  };
  const all = async <T>(url: string): Promise<T[]> => {
    const out: T[] = [];
    let next: string | null = url;
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const response = (await get(next)) as Response;
      const data = (await response.json()) as { items: T[]; next: string | null };
      out.push(...data.items);
      next = data.next;
    }
    return out;
  };
  const board = `${apiBase}/boards/${boardId}`;
  return {
    async job(id) {
      const response = await get(`${apiBase}/jobs/${encodeURIComponent(id)}`, true);
      return response ? ((await response.json()) as JobPayload) : null;
    },
    results: (jobId) =>
      all<IterationPayload>(`${board}/iterations?job=${encodeURIComponent(jobId)}&page_size=${PAGE_SIZE}`),
    async board() {
      const [jobs, iterations] = await Promise.all([
        all<JobPayload>(`${board}/jobs?page_size=${PAGE_SIZE}`),
        all<IterationPayload>(`${board}/iterations?page_size=${PAGE_SIZE}`),
      ]);
      return { jobs, iterations };
    },
  };
}
