/**
 * The board websocket: connect, handshake (welcome → sync → snapshot/catchup), send op
 * batches and presence, reconnect with exponential backoff and catch-up, and stay in step
 * while connected: a few times a second it asks ConvergenceRules (convergence.ts) whether
 * to `ping` or `sync` by itself (revision gap, silence, pong revision, unacknowledged
 * batch). It feeds every server message into SyncState and reports status changes for the
 * indicator.
 *
 * It must not touch the DOM or decide what an edit means; the WebSocket constructor, the
 * clock and timers are injectable so the handshake, backoff and convergence rules are
 * testable.
 */
import {
  type BatchProgressMessage,
  type BrandKitMessage,
  CLOSE_NOT_LOGGED_IN,
  CLOSE_LINK_UNAVAILABLE,
  CLOSE_NO_ACCESS,
  type ClientMessage,
  type ErrorMessage,
  type ExportMessage,
  type ItemData,
  type JobMessage,
  MAX_OPS_PER_BATCH,
  type PresenceInMessage,
  type PresenceLeaveMessage,
  type ReviewMessage,
  type ServerMessage,
  type WelcomeMessage,
  parseServerMessage,
  pingMessage,
  syncMessage,
} from "../protocol";
import { ConvergenceRules, DEFAULT_TIMINGS, type RuleAction, type RuleTimings } from "./convergence";
import type { SyncState } from "./sync";

export type ConnectionStatus = "connecting" | "syncing" | "online" | "offline" | "denied";

export interface ConnectionHandlers {
  onStatus?: (status: ConnectionStatus, detail: string) => void;
  onWelcome?: (msg: WelcomeMessage) => void;
  onPresence?: (msg: PresenceInMessage) => void;
  onPresenceLeave?: (msg: PresenceLeaveMessage) => void;
  /** An error not tied to one of our batches (bad_message, message_too_large, …). */
  onError?: (code: string, message: string) => void;
  /** Job progress relayed on the board socket (job, job_preview, iteration, job_queue) and
   * replies to our own job requests (job_accepted, request_done). */
  onJobMessage?: (msg: JobMessage) => void;
  /** An `error` answering one of our job requests (it carries `request_id`). */
  onJobError?: (msg: ErrorMessage) => void;
  /** Review decisions and comments (docs/review.md), for the review UI. */
  onReviewMessage?: (msg: ReviewMessage) => void;
  /** The board's brand kit changed (docs/governance.md "Brand kits"). */
  onBrandKit?: (msg: BrandKitMessage) => void;
  /** One of the user's own exports changed (only the requester's sockets get these). */
  onExport?: (msg: ExportMessage) => void;
  /** A batch of this board moved (docs/batches.md): counts, state, time left. */
  onBatchProgress?: (msg: BatchProgressMessage) => void;
  /** After snapshot or catch-up has been applied. */
  onSynced?: () => void;
}

export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface ConnectionOptions {
  createSocket?: (url: string) => SocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  random?: () => number;
  /** The clock the convergence rules read (ms). */
  now?: () => number;
  /** How often the convergence rules are consulted. */
  tickMs?: number;
  timings?: Partial<RuleTimings>;
}

const OPEN = 1;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const RATE_LIMIT_RETRY_MS = 1_000;
const TICK_MS = 250;

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 30 s, ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Absolute ws(s):// URL for a path from the bootstrap, matching the page's scheme. */
export function absoluteWsUrl(path: string, location: { protocol: string; host: string }): string {
  if (/^wss?:\/\//.test(path)) return path;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class BoardConnection {
  private socket: SocketLike | null = null;
  private snapshotItems: ItemData[] = [];
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private tickTimer: unknown = null;
  private retryTimer: unknown = null;
  private synced = false;
  private stopped = false;
  private status: ConnectionStatus = "offline";
  private readonly opts: Required<Omit<ConnectionOptions, "timings">>;
  /** What this client asks by itself to stay in step (docs/protocol.md "Staying in step"). */
  readonly rules: ConvergenceRules;

  constructor(
    private readonly url: string,
    private readonly sync: SyncState,
    private readonly handlers: ConnectionHandlers = {},
    options: ConnectionOptions = {},
  ) {
    this.opts = {
      createSocket: options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike),
      setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimer: options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
      random: options.random ?? Math.random,
      now: options.now ?? (() => performance.now()),
      tickMs: options.tickMs ?? TICK_MS,
    };
    this.rules = new ConvergenceRules({ ...DEFAULT_TIMINGS, ...options.timings });
  }

  get currentStatus(): ConnectionStatus {
    return this.status;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, "leaving");
    this.socket = null;
  }

  /** Send queued op batches if the socket is synced; otherwise they wait for the next sync. */
  flush(): void {
    if (!this.synced) return;
    for (const msg of this.sync.unsentMessages(this.opts.now())) this.send(msg);
  }

  /** Presence and other best-effort messages: dropped while offline. */
  sendVolatile(msg: ClientMessage): void {
    if (this.synced) this.send(msg);
  }

  private open(): void {
    this.setStatus("connecting", "");
    this.synced = false;
    const socket = this.opts.createSocket(this.url);
    this.socket = socket;
    socket.onmessage = (ev) => {
      if (this.socket !== socket || typeof ev.data !== "string") return;
      const msg = parseServerMessage(ev.data);
      if (!msg) return;
      const now = this.opts.now();
      this.rules.heard(now, msg.type === "pong");
      this.handle(msg, now);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.synced = false;
      this.snapshotItems = []; // a snapshot cut off mid-way is requested again on reconnect
      this.sync.markAllUnsent();
      this.clearTimers();
      if (ev.code === CLOSE_LINK_UNAVAILABLE) {
        this.setStatus("denied", "This shared link no longer works.");
        return;
      }
      if (ev.code === CLOSE_NO_ACCESS || ev.code === CLOSE_NOT_LOGGED_IN) {
        this.setStatus(
          "denied",
          ev.code === CLOSE_NOT_LOGGED_IN
            ? "You are logged out. Log in again to keep editing."
            : "You no longer have access to this board.",
        );
        return;
      }
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt, this.opts.random);
      this.attempt += 1;
      this.setStatus("offline", `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
      this.reconnectTimer = this.opts.setTimer(() => this.open(), delay);
    };
    socket.onerror = () => {
      // The close event that follows carries the code; nothing to do here.
    };
  }

  private handle(msg: ServerMessage, now: number): void {
    const local = this.sync.revision;
    switch (msg.type) {
      case "welcome":
        // Also sent again on an open socket when the user's role changes (docs/protocol.md):
        // either way a handshake starts, and the sync reply brings the status back online.
        this.attempt = 0;
        this.synced = false;
        this.handlers.onWelcome?.(msg);
        this.setStatus("syncing", "");
        this.send(syncMessage(this.sync.isLoaded ? this.sync.revision : null));
        this.rules.opened(now);
        this.scheduleTick();
        return;
      case "snapshot": {
        // A large board's snapshot comes in parts; nothing is applied until the last one.
        this.snapshotItems.push(...msg.items);
        if (msg.final === false) return;
        const items = this.snapshotItems;
        this.snapshotItems = [];
        this.sync.onSnapshot({ ...msg, items });
        this.afterSync();
        this.act(this.rules.synced(this.sync.revision, now));
        return;
      }
      case "catchup":
        this.sync.onCatchup(msg);
        this.afterSync();
        this.act(this.rules.synced(this.sync.revision, now));
        return;
      case "applied":
        this.sync.onApplied({ revision: msg.revision, actor: msg.actor, ops: msg.ops });
        this.act(this.rules.revision(msg.revision, local, now));
        return;
      case "ack":
        this.sync.onAck(msg.batch_id, msg.revision);
        this.act(this.rules.revision(msg.revision, local, now));
        return;
      case "error":
        if (msg.code === "rate_limited") {
          // Nothing was applied; batches are kept and resent shortly, presence is best-effort.
          if (msg.batch_id && this.sync.onRateLimited(msg.batch_id)) this.scheduleRetry();
          return;
        }
        if (msg.batch_id && this.sync.onError(msg.batch_id, msg.code, msg.message)) return;
        if (msg.request_id && this.handlers.onJobError) {
          this.handlers.onJobError(msg); // answers a job request: shown next to its form
          return;
        }
        this.handlers.onError?.(msg.code, msg.message);
        return;
      case "presence":
        this.handlers.onPresence?.(msg);
        return;
      case "presence_leave":
        this.handlers.onPresenceLeave?.(msg);
        return;
      case "pong":
        // A guest socket's pong names no revision (guests follow snapshots).
        this.act(this.rules.pong(msg.revision, local, now));
        return;
      case "job":
      case "job_preview":
      case "iteration":
      case "job_queue":
      case "job_accepted":
      case "request_done":
      case "consistency":
        this.handlers.onJobMessage?.(msg);
        return;
      case "decision":
      case "comment":
        this.handlers.onReviewMessage?.(msg);
        return;
      case "brand_kit":
        this.handlers.onBrandKit?.(msg);
        return;
      case "export":
        this.handlers.onExport?.(msg);
        return;
      case "batch_progress":
        this.handlers.onBatchProgress?.(msg);
        return;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      this.flush();
    }, RATE_LIMIT_RETRY_MS);
  }

  private afterSync(): void {
    if (this.synced) {
      this.flush(); // a catch-up the rules asked for: nothing else changed
      return;
    }
    this.synced = true;
    this.setStatus("online", "");
    this.flush();
    this.handlers.onSynced?.();
  }

  /** Send what the convergence rules asked for. */
  private act(action: RuleAction): void {
    if (action?.send === "sync") this.send(syncMessage(this.sync.revision));
    else if (action?.send === "ping") this.send(pingMessage());
  }

  private send(msg: ClientMessage): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return;
    if (msg.type === "ops" && msg.ops.length > MAX_OPS_PER_BATCH) {
      throw new Error("ops batches must be split before sending");
    }
    socket.send(JSON.stringify(msg));
  }

  private scheduleTick(): void {
    if (this.tickTimer !== null) this.opts.clearTimer(this.tickTimer);
    this.tickTimer = this.opts.setTimer(() => {
      this.tickTimer = null;
      if (!this.socket) return;
      const now = this.opts.now();
      this.act(this.rules.tick(now, this.sync.revision, this.sync.oldestUnackedSentAt()));
      this.scheduleTick();
    }, this.opts.tickMs);
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) this.opts.clearTimer(this.reconnectTimer);
    if (this.tickTimer !== null) this.opts.clearTimer(this.tickTimer);
    if (this.retryTimer !== null) this.opts.clearTimer(this.retryTimer);
    this.reconnectTimer = null;
    this.tickTimer = null;
    this.retryTimer = null;
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    this.status = status;
    this.handlers.onStatus?.(status, detail);
  }
}
