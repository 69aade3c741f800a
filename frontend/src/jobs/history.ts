/**
 * The history panel's pure half: filtering the board's results (prompt text, engine,
 * status, author, date range, review decision) and building the lineage tree of a region
 * (original → results → refinements of a result).
 *
 * It must not fetch, send or render anything.
 */
import type { Rect } from "../model/geometry";
import { type DecisionFilter, decisionMatches } from "../review/filters";
import type { Decision } from "../review/types";
import type { IterationPayload, IterationStatus, JobPayload } from "./model";
import { sameRegion } from "./region";

export interface HistoryFilter {
  text: string;
  engine: string;
  status: IterationStatus | "";
  /** User id as a string ("" = anyone). */
  author: string;
  /** Inclusive ISO dates (yyyy-mm-dd); "" = open. */
  from: string;
  to: string;
  /** Review decision: approved / rejected / needs changes / undecided ("" = any). */
  decision: DecisionFilter["status"];
  /** Rating at least this (1–5), or null = any. */
  ratingGte: number | null;
  /** true = starred only, false = not starred, null = any. */
  starred: boolean | null;
}

export const EMPTY_FILTER: HistoryFilter = {
  text: "",
  engine: "",
  status: "",
  author: "",
  from: "",
  to: "",
  decision: "",
  ratingGte: null,
  starred: null,
};

/** The review decision of a result, if it has one (decisions live with the review UI). */
export type DecisionLookup = (iteration: string) => Partial<Decision> | null | undefined;

function promptOf(it: IterationPayload, job: JobPayload | undefined): string {
  const value = job?.spec.prompt ?? it.provenance.prompt;
  return typeof value === "string" ? value : "";
}

/** The results matching every set criterion, newest first. Decision criteria use the same
 * rules as the review grid (review/filters.ts); a result without a decision is undecided. */
export function filterHistory(
  iterations: Iterable<IterationPayload>,
  jobs: ReadonlyMap<string, JobPayload>,
  filter: HistoryFilter,
  decisionOf: DecisionLookup = () => undefined,
): IterationPayload[] {
  const text = filter.text.trim().toLowerCase();
  const decisions: DecisionFilter = { status: filter.decision, ratingGte: filter.ratingGte, starred: filter.starred };
  const byDecision = decisions.status !== "" || decisions.ratingGte !== null || decisions.starred !== null;
  const out: IterationPayload[] = [];
  for (const it of iterations) {
    const job = jobs.get(it.job);
    if (text && !promptOf(it, job).toLowerCase().includes(text)) continue;
    const engine = job?.engine ?? (typeof it.provenance.engine === "string" ? it.provenance.engine : "");
    if (filter.engine && engine !== filter.engine) continue;
    if (filter.status && it.status !== filter.status) continue;
    if (filter.author && String(job?.created_by ?? "") !== filter.author) continue;
    const day = (it.created_at ?? "").slice(0, 10);
    if (filter.from && day < filter.from) continue;
    if (filter.to && day > filter.to) continue;
    if (byDecision && !decisionMatches(decisionOf(it.id), decisions)) continue;
    out.push(it);
  }
  return out.sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? "") || a.index - b.index);
}

export interface LineageNode {
  iteration: IterationPayload;
  children: LineageNode[];
}

export interface RegionLineage {
  region: Rect;
  /** The region's original pixels (the first job's composited source), if known. */
  sourceAsset: string | null;
  /** Results made from the original, oldest first; refinements hang below them. */
  roots: LineageNode[];
}

/**
 * One tree per region: results without a parent (or whose parent is not on the board) are
 * roots; a refinement (a job run from a result) is a child of that result. Siblings oldest
 * first. Refinements stay under their parent even if their region moved.
 */
export function lineageByRegion(iterations: Iterable<IterationPayload>): RegionLineage[] {
  const all = [...iterations].sort(
    (a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? "") || a.index - b.index,
  );
  const byId = new Map(all.map((it) => [it.id, it]));
  const nodes = new Map(all.map((it) => [it.id, { iteration: it, children: [] as LineageNode[] }]));
  const regions: RegionLineage[] = [];
  for (const it of all) {
    const node = nodes.get(it.id)!;
    const parent = it.parent && byId.has(it.parent) && !createsCycle(it, byId) ? nodes.get(it.parent) : undefined;
    if (parent) {
      parent.children.push(node);
      continue;
    }
    let tree = regions.find((r) => sameRegion(r.region, it.region));
    if (!tree) {
      tree = { region: it.region, sourceAsset: it.source_asset, roots: [] };
      regions.push(tree);
    }
    tree.roots.push(node);
  }
  return regions;
}

function createsCycle(it: IterationPayload, byId: ReadonlyMap<string, IterationPayload>): boolean {
  const seen = new Set([it.id]);
  let cur = it.parent ? byId.get(it.parent) : undefined;
  while (cur) {
    if (seen.has(cur.id)) return true;
    seen.add(cur.id);
    cur = cur.parent ? byId.get(cur.parent) : undefined;
  }
  return false;
}

/** Distinct engines and authors among the results, for the filter menus. */
export function filterChoices(
  iterations: Iterable<IterationPayload>,
  jobs: ReadonlyMap<string, JobPayload>,
): { engines: string[]; authors: string[] } {
  const engines = new Set<string>();
  const authors = new Set<string>();
  for (const it of iterations) {
    const job = jobs.get(it.job);
    if (job) {
      engines.add(job.engine);
      if (job.created_by !== null) authors.add(String(job.created_by));
    }
  }
  return { engines: [...engines].sort(), authors: [...authors].sort() };
}

/** A row of a list of results: one result of a job of its own, or one batch's results
 * together (the History list; the candidates filmstrip, ui/filmstrip.ts). */
export type BatchGroupRow<T> = { kind: "single"; iteration: T } | { kind: "batch"; batch: string; items: T[] };
export type HistoryRow = BatchGroupRow<IterationPayload>;

/**
 * A list of results with each batch's results under one row (a batch can make hundreds),
 * placed where its first result in `rows` is; results outside a batch (`batchOf` says
 * none) stay one row each, in their order. History asks the board's jobs which batch a
 * result's job belongs to; the filmstrip reads it from the candidate.
 */
export function groupByBatch<T>(rows: readonly T[], batchOf: (row: T) => string | null | undefined): BatchGroupRow<T>[] {
  const out: BatchGroupRow<T>[] = [];
  const groups = new Map<string, T[]>();
  for (const it of rows) {
    const batch = batchOf(it);
    if (!batch) {
      out.push({ kind: "single", iteration: it });
      continue;
    }
    const items = groups.get(batch);
    if (items) items.push(it);
    else {
      const fresh = [it];
      groups.set(batch, fresh);
      out.push({ kind: "batch", batch, items: fresh });
    }
  }
  return out;
}
