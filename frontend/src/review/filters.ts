/**
 * Review filters: the same rules as the server's `review_list` filters (status incl.
 * "undecided", rating ≥, starred, tier), applied in the browser so a live decision can move
 * a candidate in or out of view without reloading, plus the query string for the API; and
 * "drifted" (flagged by the drift check), which the API's `drift` query also applies.
 *
 * Pure functions; no DOM, no fetching.
 */
import { type Candidate, type Decision, type ReviewGroup, TIERS, type Tier } from "./types";

export interface ReviewFilter {
  status: "" | "approved" | "rejected" | "needs_changes" | "undecided";
  ratingGte: number | null;
  starred: boolean | null;
  tier: "" | Tier;
  /** Only results the drift check flagged (the API's `?drift=drifted`, and live here). */
  drifted: boolean;
}

export const NO_FILTER: ReviewFilter = { status: "", ratingGte: null, starred: null, tier: "", drifted: false };

export function tierOf(c: Candidate): Tier {
  return c.decision?.tier ?? c.tier ?? (c.parent ? "refinement" : "generation");
}

/** The decision half of a filter (status, rating ≥, starred); the history panel uses it too. */
export type DecisionFilter = Pick<ReviewFilter, "status" | "ratingGte" | "starred">;

/** Whether a result with decision `d` (none = undecided) passes the decision criteria. */
export function decisionMatches(d: Partial<Decision> | null | undefined, f: DecisionFilter): boolean {
  const status = d?.status ?? "";
  if (f.status === "undecided" ? status !== "" : f.status !== "" && status !== f.status) return false;
  if (f.ratingGte !== null && !((d?.rating ?? 0) >= f.ratingGte)) return false;
  if (f.starred !== null && Boolean(d?.starred) !== f.starred) return false;
  return true;
}

export function matches(c: Candidate, f: ReviewFilter): boolean {
  if (!decisionMatches(c.decision, f)) return false;
  if (f.tier && tierOf(c) !== f.tier) return false;
  if (f.drifted && !c.consistency?.drift) return false;
  return true;
}

/** Groups with only their matching candidates; empty groups are dropped. */
export function filterGroups(groups: ReviewGroup[], f: ReviewFilter): ReviewGroup[] {
  const out: ReviewGroup[] = [];
  for (const g of groups) {
    const candidates = g.candidates.filter((c) => matches(c, f));
    if (candidates.length) out.push({ ...g, candidates });
  }
  return out;
}

export function filterQuery(f: ReviewFilter): string {
  const q = new URLSearchParams();
  if (f.status) q.set("status", f.status);
  if (f.ratingGte !== null) q.set("rating_gte", String(f.ratingGte));
  if (f.starred !== null) q.set("starred", String(f.starred));
  if (f.tier) q.set("tier", f.tier);
  if (f.drifted) q.set("drifted", "true");
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The review list's drift query for the API (`?drift=drifted&sort=drift`, docs/api.md):
 * the grid asks the server for what its Drifted filter and consistency order show, and
 * keeps applying `matches` and `byConsistency` as live messages arrive. */
export function driftQuery(f: Pick<ReviewFilter, "drifted">, sort: "job" | "consistency"): string {
  const q = new URLSearchParams();
  if (f.drifted) q.set("drift", "drifted");
  if (sort === "consistency") q.set("sort", "drift");
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The filter a review URL asks for (`?status=undecided&rating_gte=4…`, as the API's
 * query); unknown or malformed values are ignored rather than refused. */
export function filterFromQuery(search: string): ReviewFilter {
  const q = new URLSearchParams(search);
  const f: ReviewFilter = { ...NO_FILTER };
  const status = q.get("status") ?? "";
  if (["approved", "rejected", "needs_changes", "undecided"].includes(status)) f.status = status as ReviewFilter["status"];
  const rating = Number(q.get("rating_gte"));
  if (Number.isInteger(rating) && rating >= 1 && rating <= 5) f.ratingGte = rating;
  const starred = q.get("starred");
  if (starred === "true" || starred === "false") f.starred = starred === "true";
  const tier = q.get("tier") ?? "";
  if ((TIERS as string[]).includes(tier)) f.tier = tier as Tier;
  f.drifted = q.get("drifted") === "true";
  return f;
}

/** Put a live decision onto the candidate it concerns; returns whether one was found. */
export function applyDecision(groups: ReviewGroup[], d: Decision): boolean {
  let found = false;
  for (const g of groups) {
    for (const c of g.candidates) {
      if (c.id !== d.iteration) continue;
      c.decision = { ...(c.decision ?? {}), ...d };
      if (d.tier) c.tier = d.tier;
      found = true;
    }
  }
  return found;
}

/** How many of `n` rated candidates "promote top X%" takes: floor, but at least one. */
export function promoteCount(rated: number, percent: number): number {
  if (rated <= 0 || !(percent > 0)) return 0;
  return Math.min(rated, Math.max(1, Math.floor((rated * percent) / 100)));
}
