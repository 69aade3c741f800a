/**
 * The dashboard's numbers as the page says them (docs/dashboard.md "The page"): the API's
 * shape (`GET /api/v1/dashboard`, canvas/ops/dashboard.py), how a duration, a rate and money
 * are written, and the chart series with every bucket of the range present (the API lists
 * only buckets with some fact; a chart needs the empty ones as 0 or as a gap).
 *
 * Pure functions: no DOM, no fetch, so Vitest and the browser test can check the wording.
 */

export interface Money {
  currency: string;
  amount: number | null;
}

export interface ClassCount {
  error_class: string;
  jobs: number;
  rate: number | null;
}

export interface Figures {
  results: number;
  jobs_succeeded: number;
  jobs_failed: number;
  jobs_cancelled: number;
  failure_rate: number | null;
  delivery_p50_seconds: number | null;
  delivery_p95_seconds: number | null;
  claimed_jobs: number;
  queue_wait_p50_seconds: number | null;
  queue_wait_p95_seconds: number | null;
  retried_jobs: number;
  fallbacks: number;
  decisions: number;
  approvals: number;
  approval_rate: number | null;
  scored: number;
  drifted: number;
  drift_rate: number | null;
  cost: Money[];
  /** Per bucket only: the bucket's failed jobs per error class. */
  failed_by_class?: ClassCount[];
}

export interface Totals extends Figures {
  results_per_hour: number | null;
  results_per_day: number | null;
  cost_per_approved: Money[];
}

export interface Breaker {
  provider: string;
  state: string;
  consecutive_failures: number;
  opened_at: string | null;
  next_probe_at: string | null;
  last_error: string;
}

export interface Dashboard {
  scope: { from: string; to: string; granularity: "hour" | "day" };
  totals: Totals;
  series: (Figures & { bucket: string })[];
  failures: ClassCount[];
  breakers: Breaker[];
  queue: { depth: number; oldest_queued_at: string | null; oldest_wait_seconds: number | null };
}

/** 1234 → "1,234". */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Seconds in the unit a person reads: "20 s", "2.5 min", "1.2 h"; "—" for none. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A duration chart's axis tick: like `duration`, but ticks under 10 s keep up to two decimals
 * ("0.2 s", "0.25 s"), since whole seconds wrote one axis as "0 s, 0 s, 1 s, 1 s". */
export function durationTick(seconds: number): string {
  return seconds < 10 ? `${Number(seconds.toFixed(2))} s` : duration(seconds);
}

/** 0.125 → "12.5 %"; "—" when nothing was counted (the API's null). */
export function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)} %`;
}

/** Amounts by currency: "12.34 EUR · 3.00 USD"; "—" when there is no priced call. */
export function money(amounts: Money[], digits = 2): string {
  const priced = amounts.filter((m) => m.amount !== null);
  if (!priced.length) return "—";
  return priced.map((m) => `${(m.amount as number).toFixed(digits)} ${m.currency}`).join(" · ");
}

export function currencies(data: Dashboard): string[] {
  const seen = new Set<string>();
  for (const row of data.series) for (const m of row.cost) seen.add(m.currency);
  return [...seen].sort();
}

/** Every bucket start (unix seconds) from the scope's `from` up to its `to` (exclusive). */
export function buckets(data: Dashboard): number[] {
  const step = data.scope.granularity === "hour" ? 3600 : 86400;
  const from = Date.parse(data.scope.from) / 1000;
  const to = Date.parse(data.scope.to) / 1000;
  const out: number[] = [];
  for (let t = from; t < to; t += step) out.push(t);
  return out;
}

export type Column = (number | null)[];

/** x plus one column per `pick`, every bucket present: `empty` (0 or null) where the API
 * listed nothing. */
export function columns(data: Dashboard, picks: ((row: Figures) => number | null)[], empty: 0 | null): [number[], ...Column[]] {
  const xs = buckets(data);
  const byStart = new Map(data.series.map((row) => [Date.parse(row.bucket) / 1000, row]));
  const cols = picks.map((pick) => xs.map((x) => {
    const row = byStart.get(x);
    return row ? pick(row) : empty;
  }));
  return [xs, ...cols];
}

export function costOf(row: Figures, currency: string): number {
  return row.cost.find((m) => m.currency === currency)?.amount ?? 0;
}

/** The error classes a chart of failures over time draws, most failed first: the range's
 * top `most` classes, and "Other" for the rest when there are more. */
export const OTHER_CLASS = "Other";
export function failureClasses(data: Dashboard, most = 5): string[] {
  const names = data.failures.map((f) => f.error_class);
  return names.length > most ? [...names.slice(0, most - 1), OTHER_CLASS] : names;
}

/** A bucket's failed jobs of one class (or of every class not in `shown`, for "Other"). */
export function failedOf(row: Figures, errorClass: string, shown: string[] = []): number {
  const parts = row.failed_by_class ?? [];
  if (errorClass === OTHER_CLASS) return parts.filter((p) => !shown.includes(p.error_class)).reduce((t, p) => t + p.jobs, 0);
  return parts.find((p) => p.error_class === errorClass)?.jobs ?? 0;
}
