/**
 * Sending job requests over the board socket and matching the replies. Every request gets
 * a fresh `request_id`; the promise resolves with `job_accepted` / `request_done` or
 * rejects with the server's `{code, message}` (shown next to the button that asked).
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
