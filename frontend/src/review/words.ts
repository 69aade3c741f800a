/**
 * The review page in words people use: a decision-history entry as a sentence ("Ana marked
 * it Needs changes · 2 min ago"), a group's count ("4 variations"), the tier summary whose
 * counts add up, and who decided.
 *
 * Pure functions; no DOM, no fetching.
 */
import { ago } from "./thumbs";
import { type Decision, type ReviewGroup, STATUS_LABEL, TIERS, type Tier, type Who } from "./types";

/** One entry of `GET /iterations/{id}/decision/history`. */
export interface HistoryEvent {
  changes: Record<string, [unknown, unknown]>;
  by: Who;
  at: string;
  /** Why an automatic decision (the board's drift triage) was made; "" otherwise. */
  reason?: string;
}

export const TIER_LABEL: Record<Tier, string> = {
  generation: "Generation",
  refinement: "Refinement",
  upres: "Upres",
  final: "Final",
};

export function whoName(who: Who): string {
  return who.guest ? `${who.name} (client)` : who.name;
}

function verdictPhrase(to: unknown): string {
  switch (to) {
    case "approved":
      return "approved it";
    case "rejected":
      return "rejected it";
    case "needs_changes":
      return "marked it Needs changes";
    default:
      return "cleared the verdict";
  }
}

/** One change as a verb phrase ("rated it 4 of 5"); unknown fields are named plainly. */
export function changePhrase(field: string, to: unknown): string {
  switch (field) {
    case "status":
      return verdictPhrase(to);
    case "rating":
      return to === null || to === undefined || to === "" ? "removed the rating" : `rated it ${String(to)} of 5`;
    case "starred":
      return to ? "starred it" : "removed the star";
    case "tier":
      return `moved it to ${TIER_LABEL[to as Tier] ?? String(to)}`;
    default:
      return `set ${field.replace(/_/g, " ")} to ${to === null || to === "" ? "nothing" : String(to)}`;
  }
}

function joinPhrases(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? "changed nothing";
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** "Ana marked it Needs changes · 2 min ago"; several changes at once read as one sentence. */
export function describeEvent(e: HistoryEvent, now = Date.now()): string {
  // The verdict first: it is what people look for.
  const order = ["status", "rating", "starred", "tier"];
  const fields = Object.keys(e.changes).sort((a, b) => (order.indexOf(a) + 1 || 9) - (order.indexOf(b) + 1 || 9));
  const what = joinPhrases(fields.map((f) => changePhrase(f, e.changes[f]?.[1])));
  return `${whoName(e.by)} ${what}${e.reason ? `: ${e.reason}` : ""} · ${ago(e.at, now)}`;
}

/** The latest decision on a tile: "Approved by Ana · 2 min ago" / "Rated by Ana · just now". */
export function decidedLine(d: Decision | null, now = Date.now()): string {
  if (!d) return "No decision yet";
  const verdict = d.status ? STATUS_LABEL[d.status] : d.rating ? "Rated" : d.starred ? "Starred" : d.tier ? `Moved to ${TIER_LABEL[d.tier]}` : "Changed";
  return `${verdict} by ${whoName(d.decided_by)} · ${ago(d.decided_at, now)}`;
}

/** "4 variations", "2 of 4 variations" when filters hide some, "1 upscale". */
export function groupCount(g: Pick<ReviewGroup, "candidates" | "kind" | "total">): string {
  const shown = g.candidates.length;
  const total = Math.max(shown, g.total ?? shown);
  const noun = g.kind === "upscale" ? "upscale" : "variation";
  const plural = `${noun}${total === 1 ? "" : "s"}`;
  return shown === total ? `${total} ${plural}` : `${shown} of ${total} ${plural}`;
}

/** What a group is, besides its title: "Refines Result 2 of Hero shot", the prompt. */
export function groupDetail(g: Pick<ReviewGroup, "kind" | "parent_label" | "prompt">): string[] {
  const parts: string[] = [];
  if (g.kind === "upscale") parts.push(g.parent_label ? `Upscale of ${g.parent_label}` : "Upscale");
  else if (g.kind === "refinement") parts.push(g.parent_label ? `Refines ${g.parent_label}` : "Refinement");
  if (g.prompt) parts.push(`“${g.prompt}”`);
  return parts;
}

/** Per-tier counts in production order and their total (they always add up). */
export function tierSummary(tiers: Partial<Record<Tier, number>>): { tier: Tier; label: string; count: number }[] {
  return TIERS.map((tier) => ({ tier, label: TIER_LABEL[tier], count: tiers[tier] ?? 0 }));
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
