/**
 * Drift flags in words and order, for every place that shows them (the staging strip, the
 * filmstrip and share view, the review grid): what a badge says, which results count as
 * drifted, the "by consistency" order, and merging a live `consistency` message into what
 * the page holds. A result's `consistency` is `null` until it is scored (docs/governance.md
 * "Where people see it").
 *
 * Pure functions; no DOM, no fetching.
 */
import type { Consistency, ConsistencyResult, DriftFlag } from "../protocol/generated";

export type { Consistency, DriftFlag };

export const METRIC_LABEL: Record<string, string> = {
  palette: "Palette",
  lighting: "Lighting",
  composition: "Composition",
  style: "Style",
};

export function metricName(metric: string): string {
  return METRIC_LABEL[metric] ?? metric.charAt(0).toUpperCase() + metric.slice(1);
}

/** What a result's mark says: "drifted" (with its metrics), "consistent", or nothing yet. */
export type DriftState = "drifted" | "consistent" | "pending";

export function driftState(c: Consistency | null | undefined): DriftState {
  if (!c) return "pending";
  return c.drift ? "drifted" : "consistent";
}

/** The badge's accessible label: "Drifted: lighting", "Drifted: lighting and palette";
 * a stale reading (the anchors or the brand kit's colours or references changed, a re-score is pending) says so. */
export function driftLabel(c: Consistency | null | undefined): string {
  const label = baseLabel(c);
  return label && c?.stale ? `${label} (anchors or brand kit changed: re-checking)` : label;
}

function baseLabel(c: Consistency | null | undefined): string {
  switch (driftState(c)) {
    case "pending":
      return "";
    case "consistent":
      return "Consistent with the anchors";
    case "drifted": {
      const names = (c?.flags ?? []).map((f) => metricName(f.metric).toLowerCase());
      const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0] ?? "";
      return list ? `Drifted: ${list}` : "Drifted";
    }
  }
}

/** The tooltip: the first (most severe) flag's sentence, or the consistent line. */
export function driftTip(c: Consistency | null | undefined): string {
  if (!c) return "";
  const tip = !c.drift ? "Consistent with the anchors (palette, lighting, composition)" : c.flags[0]?.message ?? "Drifted from the anchors";
  return c.stale ? `${tip} (Checked against the old anchors or brand kit; re-checking.)` : tip;
}

/** The worst of a result's scores (0–1, lower is worse); unscored results sort last. */
export function worstScore(c: Consistency | null | undefined): number {
  if (!c) return Number.POSITIVE_INFINITY;
  const values = Object.values(c.scores);
  return values.length ? Math.min(...values) : Number.POSITIVE_INFINITY;
}

/** Worst first: drifted before consistent, then by the worst score; stable otherwise. */
export function byConsistency<T extends { consistency?: Consistency | null }>(items: T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort(
      (a, b) =>
        Number(Boolean(b.item.consistency?.drift)) - Number(Boolean(a.item.consistency?.drift)) ||
        worstScore(a.item.consistency) - worstScore(b.item.consistency) ||
        a.index - b.index,
    )
    .map(({ item }) => item);
}

/** A payload's `consistency` as the page should keep it: an `iteration` message sent as the
 * result landed says `null` (not scored yet) and must not erase scores that arrived since. */
export function keptConsistency(known: Consistency | null | undefined, incoming: Consistency | null | undefined): Consistency | null {
  return incoming ?? known ?? null;
}

/** Put a `consistency` message onto the items it concerns (by iteration id); returns how
 * many it changed. */
export function applyConsistency<T extends { id: string; consistency?: Consistency | null }>(items: Iterable<T>, results: ConsistencyResult[]): number {
  const by = new Map(results.map((r) => [r.iteration, r.consistency]));
  let changed = 0;
  for (const item of items) {
    const next = by.get(item.id);
    if (next) {
      item.consistency = next;
      changed += 1;
    }
  }
  return changed;
}
