/**
 * The batch matrix kept live while its batch runs (docs/review.md "The batch matrix"):
 * `batch_progress` says only that a batch's counts moved, so the matrix reads itself again —
 * at most once per `LIVE_RELOAD_MS`, never two reads at once, and always once more after the
 * last message (so the final counts arrive). What changed is then patched into the table
 * cell by cell (`cellSignature`, `thumbSignature`), so the reviewer's focus, scroll position
 * and chosen candidate survive the update.
 *
 * Pure timing and comparison only: no DOM, no fetches.
 */
import type { MatrixCandidate, MatrixCell } from "./matrix";

/** The quickest the matrix re-reads itself for `batch_progress` (the server sends ≤ 2/s). */
export const LIVE_RELOAD_MS = 1500;

export interface Clock {
  now(): number;
  later(fn: () => void, ms: number): unknown;
}

const realClock: Clock = { now: () => Date.now(), later: (fn, ms) => setTimeout(fn, ms) };

/**
 * A leading-and-trailing throttle around one async load: the first request runs at once,
 * requests during the quiet time or while a load is running fold into one trailing load.
 */
export class ThrottledLoad {
  private lastStart = -Infinity;
  private running = false;
  private pending = false;
  private timer = false;

  constructor(
    private readonly load: () => Promise<void>,
    private readonly everyMs = LIVE_RELOAD_MS,
    private readonly clock: Clock = realClock,
  ) {}

  request(): void {
    this.pending = true;
    this.pump();
  }

  private pump(): void {
    if (!this.pending || this.running || this.timer) return;
    const wait = this.lastStart + this.everyMs - this.clock.now();
    if (wait > 0) {
      this.timer = true;
      this.clock.later(() => {
        this.timer = false;
        this.pump();
      }, wait);
      return;
    }
    this.pending = false;
    this.running = true;
    this.lastStart = this.clock.now();
    void this.load()
      .catch(() => undefined)
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}

/** "row\0col": where a cell sits (null is the one row / column of a matrix without it). */
export function cellKey(row: string | null, col: string | null): string {
  return `${row ?? "\u0001"}\u0000${col ?? "\u0001"}`;
}

/** Everything a thumbnail shows: a thumbnail whose signature is unchanged is kept as it is. */
export function thumbSignature(cand: MatrixCandidate, rank: number, selected: boolean): string {
  return [cand.id, cand.decision, cand.drift ? cand.drift_metric ?? "!" : "", cand.score ?? "", rank === 0 ? "best" : "", selected ? "sel" : ""].join("|");
}

/** Everything a cell shows: counts, verdicts by hand, and its visible candidates in order. */
export function cellSignature(cell: MatrixCell, shown: number, selected: string | null): string {
  const counts = [cell.jobs, cell.done, cell.failed, cell.active, cell.results, cell.drifted, cell.approved, cell.decided_by_hand ? 1 : 0, cell.candidates.length].join(",");
  const thumbs = cell.candidates.slice(0, shown).map((c, i) => thumbSignature(c, i, c.id === selected));
  return `${counts};${thumbs.join(";")}`;
}
