/**
 * When a board client asks, by itself, where the board is (`ping`) or for what it missed
 * (`sync`): docs/protocol.md "Staying in step". The server delivers every revision in
 * order, but a broadcast can still be lost (a full channel-layer queue drops it) and then
 * nothing tells the client; these rules make reaching the server's revision a property of
 * the protocol, not of the next edit someone happens to make.
 *
 * - a revision gap (an `applied`/`ack` above revision + 1): `sync` at once;
 * - silence: nothing heard for SILENCE_PING_MS, or for twice the board's usual gap between
 *   messages if that is longer (a viewer of a one-batch-a-second stream does not ping after
 *   every batch) → `ping`, again after 2, 4, 8 … × that while the silence lasts, never
 *   while a ping is unanswered (a slow server would only queue more); and a keep-alive
 *   `ping` at least every KEEPALIVE_PING_MS;
 * - a `pong` naming a revision above ours: `sync`;
 * - an own batch unacknowledged for UNACKED_SYNC_MS while the socket is silent: `sync`.
 *
 * At most one `sync` is in flight: a reason found meanwhile only raises the revision we
 * know exists, and if the answer stops short of it, one more `sync` follows (the style of
 * jobs/client.ts `JobResync`). While messages keep arriving nothing is asked: the server
 * answers each socket in order, so a reply is on its way and a request would only queue
 * behind it. An unanswered `sync` is sent again after SYNC_RETRY_MS of silence.
 *
 * No sockets, timers or documents here: the connection reports what it hears and sends,
 * and does what these methods return. The same rules, in Python, drive the load-test
 * clients (tests/load/client.py), so the convergence test exercises the protocol.
 */
import { KEEPALIVE_PING_MS, SILENCE_PING_MS, SYNC_RETRY_MS, UNACKED_SYNC_MS } from "../protocol/generated";

export type SyncReason = "gap" | "pong" | "unacked" | "retry" | "short";

/** What the connection should send now. */
export type RuleAction = { send: "sync"; reason: SyncReason } | { send: "ping" } | null;

export interface RuleTimings {
  silencePingMs: number;
  keepalivePingMs: number;
  unackedSyncMs: number;
  syncRetryMs: number;
}

export const DEFAULT_TIMINGS: RuleTimings = {
  silencePingMs: SILENCE_PING_MS,
  keepalivePingMs: KEEPALIVE_PING_MS,
  unackedSyncMs: UNACKED_SYNC_MS,
  syncRetryMs: SYNC_RETRY_MS,
};

export class ConvergenceRules {
  /** Any message, pongs included. */
  private heardAt = 0;
  /** Any message but a pong: the silence backoff restarts from here. */
  private newsAt = 0;
  private pingedAt = 0;
  /** A ping not yet answered by its pong. */
  private pingOut = false;
  private silentPings = 0;
  /** The usual gap between two messages (moving average; pauses count as at most 2 silences). */
  private cadence = 0;
  /** When the `sync` in flight was sent; null when none is. */
  private syncSentAt: number | null = null;
  /** The highest revision the server is known to have reached. */
  private known = -1;
  private unackedSyncAt = -Infinity;
  /** Syncs sent by these rules, by reason (the handshake's sync is not counted). */
  readonly counts: Partial<Record<SyncReason | "ping", number>> = {};

  constructor(private readonly timings: RuleTimings = DEFAULT_TIMINGS) {}

  get syncInFlight(): boolean {
    return this.syncSentAt !== null;
  }

  /** A socket opened and sent its handshake `sync`: start afresh. */
  opened(now: number): void {
    this.heardAt = this.newsAt = this.pingedAt = now;
    this.pingOut = false;
    this.silentPings = 0;
    this.cadence = 0;
    this.syncSentAt = now;
    this.known = -1;
    this.unackedSyncAt = -Infinity;
  }

  /** Any message arrived (call before the message's own rule). */
  heard(now: number, isPong: boolean): void {
    this.heardAt = now;
    if (!isPong) {
      const gap = Math.min(now - this.newsAt, 2 * this.timings.silencePingMs);
      this.cadence += 0.2 * (gap - this.cadence);
      this.newsAt = now;
      this.silentPings = 0;
    }
  }

  /** An `applied` or `ack` for `revision` arrived while the client was at `local`. */
  revision(revision: number, local: number | null, now: number): RuleAction {
    if (local === null) return null; // before the first sync: its answer covers this
    this.known = Math.max(this.known, revision);
    return revision > local + 1 ? this.sync("gap", now) : null;
  }

  /** A `pong` named the board's revision (absent on a guest socket). */
  pong(revision: number | undefined, local: number | null, now: number): RuleAction {
    this.pingOut = false;
    if (typeof revision !== "number" || local === null) return null;
    this.known = Math.max(this.known, revision);
    return revision > local ? this.sync("pong", now) : null;
  }

  /** A `catchup` or `snapshot` was applied: the sync in flight is answered. */
  synced(local: number | null, now: number): RuleAction {
    this.syncSentAt = null;
    if (local !== null && local < this.known) return this.sync("short", now);
    return null;
  }

  /**
   * Called every few hundred ms. `oldestUnackedSentAt`: when the oldest batch still
   * waiting for its `ack` was written to this socket (null when none waits).
   */
  tick(now: number, local: number | null, oldestUnackedSentAt: number | null): RuleAction {
    const silent = now - this.heardAt >= this.timings.silencePingMs;
    if (this.syncSentAt !== null) {
      if (silent && local !== null && now - this.syncSentAt >= this.timings.syncRetryMs) {
        return this.sync("retry", now, true);
      }
      return this.keepalive(now);
    }
    if (
      silent &&
      oldestUnackedSentAt !== null &&
      now - Math.max(oldestUnackedSentAt, this.unackedSyncAt) >= this.timings.unackedSyncMs
    ) {
      this.unackedSyncAt = now; // once per period, not on every tick
      return this.sync("unacked", now);
    }
    const quiet = Math.max(this.timings.silencePingMs, 2 * this.cadence);
    const backoff = Math.min(this.timings.keepalivePingMs, quiet * 2 ** this.silentPings);
    const still = now - this.heardAt >= quiet;
    if (still && !this.pingOut && now - Math.max(this.pingedAt, this.newsAt) >= backoff) {
      this.silentPings += 1;
      return this.ping(now);
    }
    return this.keepalive(now);
  }

  private keepalive(now: number): RuleAction {
    return now - this.pingedAt >= this.timings.keepalivePingMs ? this.ping(now) : null;
  }

  private ping(now: number): RuleAction {
    this.pingedAt = now;
    this.pingOut = true;
    this.counts.ping = (this.counts.ping ?? 0) + 1;
    return { send: "ping" };
  }

  private sync(reason: SyncReason, now: number, retry = false): RuleAction {
    if (this.syncSentAt !== null && !retry) return null; // its answer comes first
    this.syncSentAt = now;
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    return { send: "sync", reason };
  }
}
