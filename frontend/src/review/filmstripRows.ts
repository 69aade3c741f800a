/**
 * What the candidates filmstrip (ui/filmstrip.ts) lists: the candidates its filter lets
 * through, with each batch's candidates under one group (a batch can make hundreds, which
 * would bury a person's own few) — the History list's grouping (`groupByBatch` in
 * jobs/history.ts), so both say the same thing. A group is placed where its newest
 * candidate is; candidates of jobs outside a batch (and a share-link guest's, which carry
 * no batch) are listed one by one as before.
 *
 * Pure: it must not touch the DOM; the filmstrip draws what this returns.
 */
import { groupByBatch } from "../jobs/history";
import { type ReviewFilter, matches } from "./filters";
import type { Candidate } from "./types";

export type FilmRow =
  | { kind: "single"; candidate: Candidate }
  | {
      kind: "batch";
      batch: string;
      /** The batch's name, when the server said it. */
      name: string | undefined;
      items: Candidate[];
      drifted: number;
      /** Unfolded: its candidates are drawn after its head. */
      open: boolean;
    };

export function filmRows(candidates: readonly Candidate[], filter: ReviewFilter, open: ReadonlySet<string>, names: ReadonlyMap<string, string>): FilmRow[] {
  const shown = candidates.filter((c) => matches(c, filter));
  return groupByBatch(shown, (c) => c.batch).map((row) =>
    row.kind === "single"
      ? { kind: "single", candidate: row.iteration }
      : {
          kind: "batch",
          batch: row.batch,
          name: names.get(row.batch),
          items: row.items,
          drifted: row.items.filter((c) => c.consistency?.drift).length,
          open: open.has(row.batch),
        },
  );
}

/** The candidates drawn, in strip order: what the phone's full-screen viewer swipes through. */
export function drawnCandidates(rows: readonly FilmRow[]): Candidate[] {
  return rows.flatMap((r) => (r.kind === "single" ? [r.candidate] : r.open ? r.items : []));
}

/** “Spring hero” (or "A batch" when its name is not known). */
export function batchTitle(name: string | undefined): string {
  return name ? `“${name}”` : "A batch";
}

/** "12 results · 2 drifted" */
export function batchCountText(count: number, drifted: number): string {
  return `${count} result${count === 1 ? "" : "s"}${drifted ? ` · ${drifted} drifted` : ""}`;
}

/** What the group's button does, for its tooltip ("Show the 12 results of “Spring hero”"). */
export function batchToggleTip(name: string | undefined, count: number, open: boolean): string {
  const of = name ? ` of “${name}”` : " of this batch";
  return open ? `Fold the results${of} back into one` : `Show the ${count === 1 ? "result" : `${count} results`}${of}`;
}
