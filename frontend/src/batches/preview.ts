/**
 * The batch dialog's preview: the server's dry run (POST /boards/{id}/batches?dry_run=1,
 * docs/batches.md "The dry run") shown as the person deciding needs it — total jobs, per
 * engine the count, time and cost with its currency, the brand-kit rules the jobs are held
 * to, and every refused combination with the server's own sentence.
 *
 * It renders and nothing else: the dialog asks, and decides what Start may do.
 */
import { h } from "../ui/dom";
import { LOCK_WORDS } from "../ui/kitBadge";
import { type Cost, formatCost, formatSeconds, jobsText } from "./spec";

export interface EngineEstimate {
  engine: string;
  provider: string;
  jobs: number;
  cost: Cost;
  seconds_per_job: number;
  time_basis: string;
  parallel: number;
  seconds: number;
}

export interface Refusal {
  code: string;
  message: string;
  jobs: number;
  first_job: number;
}

export interface KitRules {
  kit: string;
  name: string;
  version: number;
  locks: string[];
  engine: string | null;
  required_roles: string[];
}

/** The dry run's answer, and (with `batch`) the answer of a started batch. */
export interface BatchSummary {
  dry_run: boolean;
  name: string;
  seed: number;
  seeds?: number[];
  jobs: number;
  accepted: number;
  refused: number;
  engines: EngineEstimate[];
  first_jobs: { index: number; prompt: string; engine: string; seed: number; variables: Record<string, string>; refusal: Refusal | null }[];
  refusals: Refusal[];
  brand_kit: KitRules | null;
  batch?: string;
}

/** Costs added up per currency ("0.12 USD + 0.40 EUR"); null when any is unknown. */
export function totalCost(rows: readonly EngineEstimate[]): string | null {
  const sums = new Map<string, number>();
  for (const r of rows) {
    if (r.cost === "unknown") return null;
    sums.set(r.cost.currency, (sums.get(r.cost.currency) ?? 0) + r.cost.amount);
  }
  return [...sums].map(([currency, amount]) => formatCost({ amount, currency, per: "image" })).join(" + ") || null;
}

/** The one line a screen reader hears when a preview arrives. */
export function previewSentence(p: BatchSummary): string {
  const refused = p.refused ? `, ${p.refused} refused` : "";
  const longest = Math.max(0, ...p.engines.map((e) => e.seconds));
  const cost = totalCost(p.engines);
  return `${jobsText(p.jobs)}${refused}. About ${formatSeconds(longest)}${cost ? `, ${cost}` : ""}.`;
}

/** The preview's body: summary, per-engine table, kit rules, refusals. */
export function renderPreview(p: BatchSummary, engineLabel: (name: string) => string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const total = h("p", { class: "ab-batch-total", "data-testid": "batch-total" }, h("strong", {}, jobsText(p.jobs)));
  if (p.refused) total.append(` · ${p.accepted} will run, ${p.refused} refused`);
  total.append(` · base seed ${p.seed}`);
  out.push(total);
  // The seeds every cell runs, as the server expanded them (an explicit list comes back as given).
  if (p.seeds?.length) out.push(h("p", { class: "ab-batch-hint", "data-testid": "batch-seeds-used" }, `Seeds in every cell: ${p.seeds.slice(0, 12).join(", ")}${p.seeds.length > 12 ? `, … (${p.seeds.length})` : ""}`));

  if (p.engines.length) {
    const rows = p.engines.map((e) =>
      h(
        "tr",
        { "data-testid": "batch-engine-row", "data-engine": e.engine },
        h("th", { scope: "row" }, engineLabel(e.engine), e.provider !== e.engine ? h("span", { class: "muted" }, ` · ${e.provider}`) : null),
        h("td", {}, String(e.jobs)),
        h("td", { title: `${e.seconds_per_job} s a job (${e.time_basis}), ${e.parallel} at a time` }, `about ${formatSeconds(e.seconds)}`, h("span", { class: "ab-batch-basis" }, `${formatSeconds(e.seconds_per_job)}/job (${e.time_basis === "default" ? "assumed: none finished yet" : e.time_basis}), ${e.parallel} at a time`)),
        h("td", {}, formatCost(e.cost), e.cost !== "unknown" ? h("span", { class: "ab-batch-basis" }, `per ${e.cost.per === "mp" ? "megapixel" : "image"}`) : null),
      ),
    );
    const total = totalCost(p.engines);
    out.push(
      h(
        "div",
        { class: "ab-batch-table-wrap" },
        h(
          "table",
          { class: "ab-batch-engines", "data-testid": "batch-engines" },
          h("caption", { class: "visually-hidden" }, "Estimate per engine"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Engine"), h("th", { scope: "col" }, "Jobs"), h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "Cost"))),
          h("tbody", {}, ...rows),
          p.engines.length > 1 && total ? h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "Total"), h("td", {}, String(p.accepted)), h("td", {}), h("td", {}, total))) : null,
        ),
      ),
    );
  }

  const kit = p.brand_kit;
  if (kit) {
    const rules: string[] = [];
    if (kit.locks.length) rules.push(`locks the ${kit.locks.map((l) => LOCK_WORDS[l] ?? l).join(", ")}`);
    if (kit.engine) rules.push(`engine ${engineLabel(kit.engine)}`);
    if (kit.required_roles.length) rules.push(`needs ${kit.required_roles.join(", ")} anchors`);
    out.push(
      h(
        "p",
        { class: "ab-batch-kit", "data-testid": "batch-kit" },
        h("strong", {}, `Brand kit “${kit.name}” v${kit.version}`),
        rules.length ? `: ${rules.join("; ")}. Every job is held to it.` : ": its template, references and defaults apply to every job.",
      ),
    );
  }

  if (p.refusals.length) {
    out.push(
      h(
        "div",
        { class: "ab-batch-refusals", "data-testid": "batch-refusals" },
        h("h4", {}, `Refused: ${jobsText(p.refused)} will not run`),
        h("ul", {}, ...p.refusals.map((r) => h("li", { "data-code": r.code }, h("strong", {}, `${jobsText(r.jobs)} (first: job ${r.first_job + 1})`), ` — ${r.message}`))),
      ),
    );
  }

  const first = p.first_jobs.slice(0, 3);
  if (first.length) {
    out.push(
      h(
        "details",
        { class: "ab-batch-first" },
        h("summary", {}, `First ${first.length === 1 ? "job" : `${first.length} jobs`}`),
        h("ol", {}, ...first.map((j) => h("li", {}, `${j.prompt} — ${engineLabel(j.engine)}, seed ${j.seed}`))),
      ),
    );
  }
  return out;
}
