/**
 * The batch dialog's spec, pure: what the dialog holds while it is edited (a `BatchDraft`,
 * kept as typed so nothing is lost between keystrokes), the `{variables}` a template uses,
 * the batch spec the API and the CLI take (docs/batches.md), how many jobs it makes, the
 * spec as YAML for the CLI, and the draft kept per board in localStorage.
 *
 * It must not touch the DOM or the network: batches/dialog.ts does, and the server decides
 * what is accepted (its dry run is the truth; the checks here only say early what it would).
 */

import { SEED_LIMIT } from "../protocol/generated";

/** `{name}` where name is an identifier: the server's canvas.batches.spec.PLACEHOLDER. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The server's limits (canvas/batches/spec.py; the seed's from the generated protocol). */
export const MAX_SEEDS = 1000;
export { SEED_LIMIT };
export const MAX_VALUE_LENGTH = 200;
export const MAX_VARIABLES = 20;

export type AnchorRole = "composition" | "palette" | "lighting" | "style";
export interface AnchorRef {
  item_id: string;
  role: AnchorRole;
}

export interface RegionRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the jobs work: a rectangle, or a board item (a frame) whose bounds the server reads. */
export type TargetRef = { region: RegionRect; label: string } | { item_id: string; label: string };

/** The batch modes: the generation panel's menu minus inpaint (a batch carries no mask). */
export const BATCH_MODES: { value: string; mode: string; scale: number | null; label: string }[] = [
  { value: "img2img", mode: "img2img", scale: null, label: "Image to image" },
  { value: "variations", mode: "variations", scale: null, label: "Variations" },
  { value: "upscale2", mode: "upscale", scale: 2, label: "Upscale ×2" },
  { value: "upscale4", mode: "upscale", scale: 4, label: "Upscale ×4" },
];

/** The dialog's state as typed. Numbers stay strings until the spec is built from them. */
export interface BatchDraft {
  name: string;
  /** A BATCH_MODES value. */
  mode: string;
  prompt: string;
  negative: string;
  /** Variable name → its values as typed, one per line. Kept for names the template no
   * longer uses, so deleting and retyping `{product}` brings its values back. */
  values: Record<string, string>;
  /** A count ("4": derived from the base seed) or an explicit list ("7, 11, 42"; one
   * explicit seed is "7,"). */
  seeds: string;
  /** Base seed; "" = the server draws one (the dialog then keeps the drawn one). */
  seed: string;
  engines: string[];
  /** The generation panel's strength, passed on per engine (null: the engine's default). */
  strength: number | null;
  /** Per engine, its own settings as typed: strength ("" = the panel's above) and output
   * size ("1024x768", "" = the region's size). Older drafts have none. */
  engineSettings?: Record<string, EngineSettingsDraft>;
  anchorSets: AnchorRef[][];
  targets: TargetRef[];
}

export interface EngineSettingsDraft {
  strength: string;
  size: string;
}

export interface OutputSize {
  width: number;
  height: number;
}

/** An engine of the spec: a bare name, or a name with the settings its jobs use. */
export type EngineEntry = string | { name: string; strength?: number; scale?: number; output_size?: OutputSize };

/** The server's limit on an output edge (canvas.protocol.jobs.OutputEdge). */
export const MAX_OUTPUT_EDGE = 8192;

/** The batch spec of the API and the CLI (canvas.batches.spec.BatchSpec). */
export interface BatchSpecJson {
  name: string;
  mode: string;
  prompt: string;
  negative_prompt: string;
  variables: Record<string, string[]>;
  anchor_sets: AnchorRef[][];
  seeds: number | number[];
  seed?: number;
  engines: EngineEntry[];
  targets: ({ region: RegionRect } | { item_id: string })[];
}

export interface BuiltSpec {
  /** The spec, or null when a problem stops it from being sent. */
  spec: BatchSpecJson | null;
  /** Sentences, one per problem, in the order of the form. */
  problems: string[];
  /** Jobs the spec expands into (values × anchor sets × seeds × engines × targets). */
  jobs: number;
}

/** The names a template uses, in order, once each. */
export function templateVariables(...templates: string[]): string[] {
  const names: string[] = [];
  for (const text of templates) for (const m of text.matchAll(PLACEHOLDER)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/** The variables the dialog asks values for: the template's, then the brand kit's own
 * template variables (a batch value of the same name fills them, docs/batches.md). */
export function draftVariables(draft: Pick<BatchDraft, "prompt" | "negative">, kitVariables: readonly string[] = []): { name: string; fromKit: boolean }[] {
  const used = templateVariables(draft.prompt, draft.negative);
  return [...used.map((name) => ({ name, fromKit: false })), ...kitVariables.filter((n) => !used.includes(n)).map((name) => ({ name, fromKit: true }))];
}

/** One value per line; blank lines and the spaces around a value do not count. */
export function parseValues(text: string | undefined): string[] {
  return (text ?? "")
    .split(/\r?\n/)
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function wholeNumber(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  return Number(text);
}

/**
 * The seeds as the spec gives them: a count ("4") or an explicit list ("7, 11, 42", or "7,"
 * for one), with the server's sentence (canvas/batches/spec.py `_check_seeds`) when neither.
 */
export function parseSeeds(text: string): { seeds: number | number[] | null; problem: string | null } {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n >= 1 && n <= MAX_SEEDS ? { seeds: n, problem: null } : { seeds: null, problem: `Seeds must be 1 to ${MAX_SEEDS} (or a list of seeds).` };
  }
  const parts = trimmed.split(/[\s,;]+/).filter((x) => x !== "");
  if (!parts.length) return { seeds: null, problem: "The list of seeds is empty; give at least one seed." };
  if (parts.some((x) => !/^\d+$/.test(x) || Number(x) >= SEED_LIMIT)) return { seeds: null, problem: `Each seed must be a whole number from 0 to ${SEED_LIMIT - 1}.` };
  if (parts.length > MAX_SEEDS) return { seeds: null, problem: `Seeds must be 1 to ${MAX_SEEDS} (or a list of seeds).` };
  return { seeds: parts.map(Number), problem: null };
}

/** How many seeds each cell runs, or null when the seeds field is not usable. */
export function seedCount(draft: Pick<BatchDraft, "seeds">): number | null {
  const { seeds } = parseSeeds(draft.seeds);
  return seeds === null ? null : typeof seeds === "number" ? seeds : seeds.length;
}

/** "1024x768" (or ×, or spaces) → a size; "" → null; anything else → "bad". */
export function parseSize(text: string): OutputSize | null | "bad" {
  const t = text.trim();
  if (!t) return null;
  const m = /^(\d+)\s*[x×X*]\s*(\d+)$/.exec(t);
  if (!m) return "bad";
  const [width, height] = [Number(m[1]), Number(m[2])];
  return width >= 1 && height >= 1 && width <= MAX_OUTPUT_EDGE && height <= MAX_OUTPUT_EDGE ? { width, height } : "bad";
}

/** One engine's strength as typed: "" → the fallback; else a number from 0 to 1 or "bad". */
function parseStrength(text: string, fallback: number | null): number | null | "bad" {
  const t = text.trim();
  if (!t) return fallback;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : "bad";
}

export interface BuildOptions {
  /** The brand kit's template variables (optional values; empty ones are left out). */
  kitVariables?: readonly string[];
  /** What the kit locks: a locked strength or scale is the kit's, so the spec says nothing. */
  kitLocks?: readonly string[];
}

/** The spec the draft stands for, with every problem the server would refuse it for. */
export function buildSpec(draft: BatchDraft, opts: BuildOptions = {}): BuiltSpec {
  const problems: string[] = [];
  const mode = BATCH_MODES.find((m) => m.value === draft.mode) ?? BATCH_MODES[0]!;
  const name = draft.name.trim();
  if (!name) problems.push("Give the batch a name.");
  if (!draft.prompt.trim()) problems.push("Write a prompt template.");
  const variables: Record<string, string[]> = {};
  for (const v of draftVariables(draft, opts.kitVariables)) {
    const values = parseValues(draft.values[v.name]);
    if (!values.length) {
      if (!v.fromKit) problems.push(`Give at least one value for {${v.name}} (one per line).`);
      continue;
    }
    const twice = values.find((x, i) => values.indexOf(x) !== i);
    if (twice !== undefined) problems.push(`{${v.name}} lists “${twice}” twice.`);
    if (values.some((x) => x.length > MAX_VALUE_LENGTH)) problems.push(`Each value of {${v.name}} must be at most ${MAX_VALUE_LENGTH} characters.`);
    variables[v.name] = values;
  }
  if (Object.keys(variables).length > MAX_VARIABLES) problems.push(`A batch may have up to ${MAX_VARIABLES} variables.`);
  const parsedSeeds = parseSeeds(draft.seeds);
  if (parsedSeeds.problem) problems.push(parsedSeeds.problem);
  const seeds = seedCount(draft);
  let seed: number | undefined;
  if (draft.seed.trim() !== "") {
    const n = wholeNumber(draft.seed);
    if (n === null || n >= SEED_LIMIT) problems.push(`The base seed must be a whole number from 0 to ${SEED_LIMIT - 1} (or empty to draw one).`);
    else seed = n;
  }
  if (!draft.engines.length) problems.push("Choose at least one engine.");
  if (!draft.targets.length) problems.push("Add a target: select a frame or draw a region (R), then “Add the selection”.");
  const locks = opts.kitLocks ?? [];
  const strength = mode.mode === "upscale" || locks.includes("strength") ? null : draft.strength;
  const scale = mode.scale === null || locks.includes("scale") ? null : mode.scale;
  const engines: EngineEntry[] = draft.engines.map((engine) => {
    const own = draft.engineSettings?.[engine];
    let mine = strength;
    if (strength !== null && own) {
      const typed = parseStrength(own.strength, strength);
      if (typed === "bad") problems.push(`The strength of ${engine} must be a number from 0 to 1 (or empty for the panel's).`);
      else mine = typed;
    }
    const size = own ? parseSize(own.size) : null;
    if (size === "bad") problems.push(`The output size of ${engine} must be like 1024x768 (1 to ${MAX_OUTPUT_EDGE} pixels a side), or empty for the region's size.`);
    const entry = { ...(mine !== null ? { strength: mine } : {}), ...(scale !== null ? { scale } : {}), ...(size && size !== "bad" ? { output_size: size } : {}) };
    return Object.keys(entry).length ? { name: engine, ...entry } : engine;
  });
  const anchorSets = draft.anchorSets.filter((set) => set.length > 0);
  const jobs = Object.values(variables).reduce((n, vs) => n * vs.length, 1) * Math.max(1, anchorSets.length) * (seeds ?? 0) * draft.engines.length * draft.targets.length;
  if (problems.length) return { spec: null, problems, jobs };
  const spec: BatchSpecJson = {
    name,
    mode: mode.mode,
    prompt: draft.prompt,
    negative_prompt: draft.negative,
    variables,
    anchor_sets: anchorSets.map((set) => set.map((a) => ({ role: a.role, item_id: a.item_id }))),
    seeds: parsedSeeds.seeds!,
    ...(seed !== undefined ? { seed } : {}),
    engines,
    targets: draft.targets.map((t) => ("item_id" in t ? { item_id: t.item_id } : { region: { ...t.region } })),
  };
  return { spec, problems, jobs };
}

// --- the CLI's file formats --------------------------------------------------------------

/** The spec as JSON for `anchorboard batch run spec.json`. */
export function specJson(spec: BatchSpecJson): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** A YAML scalar: plain when YAML reads it back as the same string, else double-quoted
 * (a JSON string is a valid YAML double-quoted scalar). */
function scalar(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  const plain = /^[A-Za-z_][A-Za-z0-9_ .()\-/]*$/.test(text) && !/[ ]$/.test(text) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(text);
  return plain ? text : JSON.stringify(text);
}

function flow(obj: Record<string, unknown>): string {
  return `{${Object.entries(obj)
    .map(([k, v]) => `${k}: ${v !== null && typeof v === "object" ? flow(v as Record<string, unknown>) : scalar(v)}`)
    .join(", ")}}`;
}

/** The spec as YAML for `anchorboard batch run spec.yaml` (the shape docs/batches.md shows). */
export function specYaml(spec: BatchSpecJson): string {
  const lines = [`name: ${scalar(spec.name)}`, `mode: ${scalar(spec.mode)}`, `prompt: ${scalar(spec.prompt)}`, `negative_prompt: ${scalar(spec.negative_prompt)}`];
  const vars = Object.entries(spec.variables);
  lines.push(vars.length ? "variables:" : "variables: {}");
  for (const [name, values] of vars) lines.push(`  ${name}: [${values.map(scalar).join(", ")}]`);
  lines.push(spec.anchor_sets.length ? "anchor_sets:" : "anchor_sets: []");
  for (const set of spec.anchor_sets) lines.push(`  - [${set.map((a) => flow({ role: a.role, item_id: a.item_id })).join(", ")}]`);
  lines.push(`seeds: ${Array.isArray(spec.seeds) ? `[${spec.seeds.join(", ")}]` : spec.seeds}`);
  if (spec.seed !== undefined) lines.push(`seed: ${spec.seed}`);
  lines.push("engines:");
  for (const e of spec.engines) lines.push(`  - ${typeof e === "string" ? scalar(e) : flow(e)}`);
  lines.push("targets:");
  for (const t of spec.targets) lines.push(`  - ${"item_id" in t ? `item_id: ${scalar(t.item_id)}` : `region: ${flow(t.region as unknown as Record<string, unknown>)}`}`);
  return `${lines.join("\n")}\n`;
}

// --- the draft kept per board ------------------------------------------------------------

export function storageKey(boardId: string): string {
  return `anchorboard:batch-draft:${boardId}`;
}

/** The draft saved for this board, or null (none, unreadable, or from another shape). */
export function loadDraft(storage: Pick<Storage, "getItem"> | null, boardId: string): BatchDraft | null {
  try {
    const raw = storage?.getItem(storageKey(boardId));
    if (!raw) return null;
    const d = JSON.parse(raw) as Partial<BatchDraft>;
    if (typeof d.prompt !== "string" || !Array.isArray(d.engines) || !Array.isArray(d.targets) || !Array.isArray(d.anchorSets)) return null;
    return {
      name: String(d.name ?? ""),
      mode: String(d.mode ?? "img2img"),
      prompt: d.prompt,
      negative: String(d.negative ?? ""),
      values: typeof d.values === "object" && d.values ? { ...d.values } : {},
      seeds: String(d.seeds ?? "1"),
      seed: String(d.seed ?? ""),
      engines: d.engines.map(String),
      strength: typeof d.strength === "number" ? d.strength : null,
      engineSettings: typeof d.engineSettings === "object" && d.engineSettings ? { ...d.engineSettings } : {},
      anchorSets: d.anchorSets,
      targets: d.targets,
    };
  } catch {
    return null; // a private window's storage, or a hand-edited value: start from the panel
  }
}

export function saveDraft(storage: Pick<Storage, "setItem"> | null, boardId: string, draft: BatchDraft): void {
  try {
    storage?.setItem(storageKey(boardId), JSON.stringify(draft));
  } catch {
    // Full or disabled storage: the dialog still works, it just forgets on reload.
  }
}

// --- what the preview says ---------------------------------------------------------------

/** "45 s", "12 min", "2 h 5 min". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  const rest = min % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export type Cost = { amount: number; currency: string; per: string } | "unknown";

/** "0.06 USD" (never a bare number: the currency is the operator's); unknown says so. */
export function formatCost(cost: Cost): string {
  if (cost === "unknown") return "price unknown";
  const digits = cost.amount !== 0 && Math.abs(cost.amount) < 0.01 ? 4 : 2;
  return `${cost.amount.toFixed(digits)} ${cost.currency}`;
}

/** "6 jobs", "1 job", "2,400 jobs". */
export function jobsText(n: number): string {
  return `${n.toLocaleString("en")} ${n === 1 ? "job" : "jobs"}`;
}
