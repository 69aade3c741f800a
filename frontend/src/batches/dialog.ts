/**
 * The Batch… dialog: a batch spec edited in the canvas, previewed by the server's dry run as
 * it changes, and started with one action (docs/batches.md "The Batch… dialog").
 *
 * It opens prefilled from where the person is (the generation panel's prompt as the
 * template, its negative prompt, mode, engine, strength and anchors; the selected frames or
 * the panel's region as targets), or with the draft they left on this board (localStorage).
 * Variables are read live from the template; each gets a values box, one value per line.
 *
 * It never decides what is accepted: the dry run does, and Start is offered only for the
 * spec that was previewed. It never edits the board.
 */
import type { Editor } from "../editor";
import type { EngineInfo } from "../jobs/model";
import { describeRegion, regionFromItems } from "../jobs/region";
import { ApiError, apiJson } from "../review/api";
import { h } from "../ui/dom";
import { MODE_CHOICES, engineLabel, whyNot } from "../ui/generationPanel";
import { iconButton } from "../ui/icons";
import type { BoardKit } from "../ui/kitBadge";
import { Dialog } from "../ui/overlay";
import { AnchorSetsEditor } from "./anchorSets";
import { type BatchSummary, previewSentence, renderPreview } from "./preview";
import {
  type AnchorRef,
  BATCH_MODES,
  type BatchDraft,
  type BatchSpecJson,
  type TargetRef,
  buildSpec,
  draftVariables,
  jobsText,
  loadDraft,
  parseValues,
  saveDraft,
  specJson,
  specYaml,
} from "./spec";

/** The generation panel's settings (GenerationPanel.settings()). */
export interface PanelSettings {
  prompt: string;
  negative: string;
  mode: string;
  engine: string;
  strength: number | null;
  anchors: AnchorRef[];
  region: { x: number; y: number; width: number; height: number } | null;
}

export interface BatchDialogDeps {
  editor: Editor;
  boardId: string;
  apiBase: string;
  engines: EngineInfo[];
  kit: () => BoardKit | null;
  /** ANCHORBOARD_BATCH_MAX_JOBS from the bootstrap (null: unknown, the server still says). */
  maxJobs: number | null;
  panel: () => PanelSettings;
  storage: Storage | null;
  /** The batch was created: the dialog has closed; say so. */
  started: (summary: BatchSummary) => void;
}

const PREVIEW_DELAY_MS = 450;

/** Targets from the selection: each selected frame, else the selected items' bounds. */
export function selectionTargets(editor: Editor): TargetRef[] {
  const items = [...editor.selection].map((id) => editor.doc.get(id)).filter((i) => i !== undefined);
  const frames = items.filter((i) => i.kind === "frame");
  if (frames.length) return frames.map((f) => ({ item_id: f.id, label: `Frame “${f.name || "Untitled frame"}”` }));
  const region = regionFromItems(items);
  return region ? [{ region, label: `Region ${describeRegion(region)}` }] : [];
}

function sameTarget(a: TargetRef, b: TargetRef): boolean {
  if ("item_id" in a || "item_id" in b) return "item_id" in a && "item_id" in b && a.item_id === b.item_id;
  return JSON.stringify(a.region) === JSON.stringify(b.region);
}

export class BatchDialog {
  readonly dialog: Dialog;
  private draft: BatchDraft;
  /** The seed the server drew for a spec without one: kept so Start runs what was shown. */
  private drawnSeed: number | null = null;
  private previewKey: string | null = null;
  private preview: BatchSummary | null = null;
  private sequence = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private starting = false;
  private readonly f: {
    name: HTMLInputElement;
    mode: HTMLSelectElement;
    prompt: HTMLTextAreaElement;
    negative: HTMLTextAreaElement;
    variables: HTMLElement;
    seeds: HTMLInputElement;
    seed: HTMLInputElement;
    engines: HTMLElement;
    targets: HTMLElement;
    status: HTMLElement;
    error: HTMLElement;
    body: HTMLElement;
    start: HTMLButtonElement;
    copied: HTMLElement;
    copyBox: HTMLTextAreaElement;
    summary: HTMLElement;
  };
  private readonly anchors: AnchorSetsEditor;

  constructor(private readonly deps: BatchDialogDeps) {
    this.dialog = new Dialog({ label: "Batch", className: "ab-batch", closeOnBackdrop: false, onClose: () => this.closed() });
    this.draft = this.fromPanel([]);
    const name = h("input", { type: "text", maxlength: "200", required: true, "data-testid": "batch-name" });
    const mode = h("select", { "data-testid": "batch-mode" }, ...BATCH_MODES.map((m) => h("option", { value: m.value }, m.label)));
    const prompt = h("textarea", { rows: "3", "data-testid": "batch-prompt", "aria-describedby": "batch-prompt-hint", spellcheck: "true" });
    const negative = h("textarea", { rows: "1", "data-testid": "batch-negative", placeholder: "What to avoid (optional)" });
    const variables = h("div", { class: "ab-batch-vars", "data-testid": "batch-variables" });
    const seeds = h("input", { type: "text", inputmode: "numeric", "data-testid": "batch-seeds", "aria-describedby": "batch-seed-hint" });
    const seed = h("input", { type: "text", inputmode: "numeric", pattern: "[0-9]*", placeholder: "drawn by the server", "data-testid": "batch-seed", "aria-describedby": "batch-seed-hint" });
    const engines = h("div", { class: "ab-batch-engine-list", "data-testid": "batch-engine-list" });
    const targets = h("ul", { class: "ab-batch-targets", "data-testid": "batch-targets" });
    const status = h("div", { class: "ab-batch-status", role: "status", "data-testid": "batch-status" });
    const error = h("p", { class: "ab-field-error", role: "alert", hidden: true, "data-testid": "batch-error" });
    const body = h("div", { class: "ab-batch-preview-body", "data-testid": "batch-preview" });
    const start = h("button", { type: "submit", class: "ab-btn primary", disabled: true, "data-testid": "batch-start" }, "Start");
    const copied = h("p", { class: "ab-batch-copied muted", role: "status" });
    const copyBox = h("textarea", { class: "ab-batch-copybox", readonly: true, hidden: true, rows: "8", "aria-label": "The batch spec for the command line", "data-testid": "batch-copybox" });
    // The preview's sentence again beside Start (the status above is the one read aloud).
    const summary = h("span", { class: "ab-batch-foot-summary", "aria-hidden": "true", "data-testid": "batch-foot-summary" });
    this.f = { name, mode, prompt, negative, variables, seeds, seed, engines, targets, status, error, body, start, copied, copyBox, summary };
    this.anchors = new AnchorSetsEditor(deps.editor, () => this.changed());

    const addSelection = iconButton({ icon: "square", label: "Add the selected frames (or the selected items' bounds) as targets", text: "Add the selection", variant: "secondary", testid: "batch-add-selection", onClick: () => this.addTargets(selectionTargets(deps.editor), "Select a frame or some items on the board first.") });
    const addRegion = iconButton({ icon: "region", label: "Add the generation panel's region as a target", text: "Add the panel's region", variant: "secondary", testid: "batch-add-region", onClick: () => {
      const r = deps.panel().region;
      this.addTargets(r ? [{ region: r, label: `Region ${describeRegion(r)}` }] : [], "The generation panel has no region: draw one with R first.");
    } });
    const reset = h("button", { type: "button", class: "ab-btn", "data-testid": "batch-reset", title: "Start over from the generation panel and the selection" }, "Reset from the panel");
    reset.addEventListener("click", () => {
      this.draft = this.fromPanel(selectionTargets(deps.editor));
      this.drawnSeed = null;
      this.fill();
      this.changed();
    });
    const copyJson = h("button", { type: "button", class: "ab-btn", "data-testid": "batch-copy-json" }, "Copy as JSON");
    copyJson.addEventListener("click", () => void this.copy("json"));
    const copyYaml = h("button", { type: "button", class: "ab-btn", "data-testid": "batch-copy-yaml" }, "Copy as YAML");
    copyYaml.addEventListener("click", () => void this.copy("yaml"));
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "batch-close", onClick: () => this.dialog.close() });

    const field = (label: string, control: HTMLElement, hint?: HTMLElement) => {
      control.id ||= `batch-f-${control.dataset.testid}`;
      return h("div", { class: "ab-batch-field" }, h("label", { for: control.id }, label), control, hint ?? null);
    };
    const form = h(
      "form",
      { class: "ab-batch-form", novalidate: true },
      h(
        "div",
        { class: "ab-batch-cols" },
        h(
          "div",
          { class: "ab-batch-edit" },
          h(
            "div",
            { class: "ab-batch-grid" },
            field("Name", name),
            field("Mode", mode),
          ),
          field("Prompt template", prompt, h("span", { class: "ab-batch-hint", id: "batch-prompt-hint" }, "Write {product} (letters, digits, _) where a value changes; each value makes its own jobs.")),
          field("Negative prompt", negative),
          h("fieldset", {}, h("legend", {}, "Variables"), variables),
          h(
            "fieldset",
            {},
            h("legend", {}, "Seeds"),
            h("div", { class: "ab-batch-grid" }, field("How many per combination, or which", seeds), field("Base seed", seed)),
            h("p", { class: "ab-batch-hint", id: "batch-seed-hint" }, "A number (4) derives that many seeds from the base seed, the same in every cell and on every run; a list (7, 11, 42 — or 7, for one) runs exactly those. Empty base seed: the server draws one and the preview shows it."),
          ),
          h("fieldset", {}, h("legend", {}, "Engines"), engines),
          h("fieldset", {}, h("legend", {}, "Anchor sets"), this.anchors.element),
          h("fieldset", {}, h("legend", {}, "Targets"), targets, h("div", { class: "ab-gen-row" }, addSelection, addRegion)),
        ),
        h(
          "div",
          { class: "ab-batch-side" },
          h("section", { class: "ab-batch-preview", "aria-labelledby": "batch-preview-title" }, h("h3", { id: "batch-preview-title" }, "Preview"), status, error, body),
          h("div", { class: "ab-batch-copy" }, copyJson, copyYaml, reset, copied, copyBox),
        ),
      ),
      h("div", { class: "ab-batch-foot" }, summary, h("button", { type: "button", class: "ab-btn", "data-testid": "batch-cancel" }, "Cancel"), start),
    );
    form.querySelector<HTMLButtonElement>("[data-testid=batch-cancel]")!.addEventListener("click", () => this.dialog.close());
    form.addEventListener("input", (e) => this.onInput(e));
    form.addEventListener("change", (e) => this.onInput(e));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.start();
    });
    this.dialog.box.dataset.testid = "batch-dialog";
    this.dialog.box.append(h("div", { class: "ab-dialog-head" }, h("h2", {}, "Batch"), close), form);
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /**
   * Open the dialog. `targets` (from the selection's own Batch… button) replace the saved
   * draft's targets; otherwise the saved draft comes back as it was left, or — without
   * one — a draft from the generation panel and the selection.
   */
  open(targets?: TargetRef[]): void {
    if (!this.deps.editor.canEdit) {
      this.deps.editor.notify("error", "Batches make jobs: viewers cannot start them.");
      return;
    }
    const saved = loadDraft(this.deps.storage, this.deps.boardId);
    const known = new Set(this.deps.engines.map((e) => e.name));
    if (saved) {
      this.draft = { ...saved, engines: saved.engines.filter((e) => known.has(e)) };
      if (targets?.length) this.draft.targets = targets;
    } else {
      this.draft = this.fromPanel(targets ?? selectionTargets(this.deps.editor));
    }
    this.drawnSeed = null;
    this.preview = null;
    this.previewKey = null;
    this.f.copyBox.hidden = true;
    this.f.copied.textContent = "";
    this.fill();
    this.dialog.open(this.f.prompt);
    this.changed(0);
  }

  /** A draft from the generation panel: its prompt becomes the template. */
  private fromPanel(targets: TargetRef[]): BatchDraft {
    const p = this.deps.panel();
    const mode = BATCH_MODES.some((m) => m.value === p.mode) ? p.mode : "img2img";
    if (!targets.length && p.region) targets = [{ region: p.region, label: `Region ${describeRegion(p.region)}` }];
    const words = p.prompt.trim().split(/\s+/).slice(0, 6).join(" ");
    return {
      name: words ? `Batch: ${words}` : "Batch",
      mode,
      prompt: p.prompt,
      negative: p.negative,
      values: {},
      seeds: "1",
      seed: "",
      engines: p.engine ? [p.engine] : [],
      strength: p.strength,
      anchorSets: [p.anchors.map((a) => ({ item_id: a.item_id, role: a.role }))],
      targets,
    };
  }

  /** Put the draft into the form. */
  private fill(): void {
    const d = this.draft;
    this.f.name.value = d.name;
    this.f.mode.value = d.mode;
    this.f.prompt.value = d.prompt;
    this.f.negative.value = d.negative;
    this.f.seeds.value = d.seeds;
    this.f.seed.value = d.seed;
    this.anchors.set(d.anchorSets);
    this.renderVariables();
    this.renderEngines();
    this.renderTargets();
  }

  private onInput(e: Event): void {
    const t = e.target;
    const d = this.draft;
    if (t === this.f.name) d.name = this.f.name.value;
    else if (t === this.f.mode) {
      d.mode = this.f.mode.value;
      this.renderEngines();
    } else if (t === this.f.prompt || t === this.f.negative) {
      d.prompt = this.f.prompt.value;
      d.negative = this.f.negative.value;
      if (e.type === "input") this.renderVariables();
    } else if (t === this.f.seeds) d.seeds = this.f.seeds.value;
    else if (t === this.f.seed) d.seed = this.f.seed.value.trim();
    else if (t instanceof HTMLTextAreaElement && t.dataset.variable) {
      d.values[t.dataset.variable] = t.value;
      const count = this.f.variables.querySelector(`[data-count-of="${t.dataset.variable}"]`);
      if (count) count.textContent = valuesCount(t.value);
    } else if (t instanceof HTMLInputElement && t.dataset.engineSetting) {
      const name = t.dataset.for!;
      const own = ((d.engineSettings ??= {})[name] ??= { strength: "", size: "" });
      if (t.dataset.engineSetting === "strength") own.strength = t.value;
      else own.size = t.value;
    } else if (t instanceof HTMLInputElement && t.dataset.engine) {
      d.engines = [...this.f.engines.querySelectorAll<HTMLInputElement>("input[data-engine]")].filter((c) => c.checked).map((c) => c.dataset.engine!);
      this.renderEngines(); // a chosen engine shows its own settings
      this.f.engines.querySelector<HTMLInputElement>(`input[data-engine="${CSS.escape(t.dataset.engine)}"]`)?.focus();
    } else return; // the anchor sets editor reports its own changes
    if (e.type === "input" || t instanceof HTMLSelectElement || t instanceof HTMLInputElement) this.changed();
  }

  /** One values box per variable the template uses (and the kit's own), kept in place as
   * the template is typed so a box being edited is never rebuilt under the caret. */
  private renderVariables(): void {
    const wanted = draftVariables(this.draft, this.deps.kit()?.variables ?? []);
    const box = this.f.variables;
    const existing = new Map([...box.querySelectorAll<HTMLElement>("[data-variable-row]")].map((row) => [row.dataset.variableRow!, row]));
    if (!wanted.length) {
      box.replaceChildren(h("p", { class: "muted", "data-testid": "batch-no-variables" }, "No variables yet: write {product} in the template, then give its values here."));
      return;
    }
    const rows = wanted.map((v) => {
      const row = existing.get(v.name);
      if (row) return row;
      const text = this.draft.values[v.name] ?? "";
      const area = h("textarea", { rows: "3", "data-variable": v.name, "data-testid": `batch-values-${v.name}`, "aria-describedby": `batch-count-${v.name}` });
      area.value = text;
      area.id = `batch-values-${v.name}`;
      return h(
        "div",
        { class: "ab-batch-var", "data-variable-row": v.name },
        h("label", { for: area.id }, h("code", {}, `{${v.name}}`), v.fromKit ? " (brand kit, optional)" : "", " — one value per line"),
        area,
        h("span", { class: "ab-batch-hint", id: `batch-count-${v.name}`, "data-count-of": v.name }, valuesCount(text)),
      );
    });
    box.replaceChildren(...rows);
  }

  private renderEngines(): void {
    const choice = MODE_CHOICES.find((c) => c.value === this.draft.mode) ?? MODE_CHOICES[0]!;
    // An engine that cannot do the mode is offered disabled, saying why, and leaves the batch.
    this.draft.engines = this.draft.engines.filter((name) => {
      const e = this.deps.engines.find((x) => x.name === name);
      return e && whyNot(e, choice) === null;
    });
    if (!this.deps.engines.length) {
      this.f.engines.replaceChildren(h("p", { class: "muted" }, "No engine is available on this server."));
      return;
    }
    this.f.engines.replaceChildren(
      ...this.deps.engines.map((e) => {
        const reason = whyNot(e, choice);
        const box = h("input", { type: "checkbox", "data-engine": e.name, checked: this.draft.engines.includes(e.name), disabled: reason !== null, "data-testid": `batch-engine-${e.name}` });
        const label = h("label", { class: "ab-check" }, box, ` ${engineLabel(e)}`, reason ? h("span", { class: "muted" }, ` — ${reason}`) : null);
        return this.draft.engines.includes(e.name) ? h("div", { class: "ab-batch-engine" }, label, this.engineSettings(e, choice.mode)) : label;
      }),
    );
  }

  /** A chosen engine's own settings, from what it declares: strength when the mode uses
   * one (not an upscale, not locked by the kit), and its output size — one of its fixed
   * sizes when it has them (offered in a list), else any size; empty keeps the defaults. */
  private engineSettings(e: EngineInfo, mode: string): HTMLElement {
    const own = this.draft.engineSettings?.[e.name] ?? { strength: "", size: "" };
    const locks = this.deps.kit()?.locks ?? [];
    const parts: HTMLElement[] = [];
    if (mode !== "upscale" && !locks.includes("strength")) {
      const strength = h("input", { type: "number", min: "0", max: "1", step: "0.05", placeholder: this.draft.strength === null ? "default" : this.draft.strength.toFixed(2), "data-engine-setting": "strength", "data-for": e.name, "data-testid": `batch-strength-${e.name}`, "aria-label": `Strength for ${engineLabel(e)} (empty: the panel's)` });
      strength.value = own.strength;
      parts.push(h("label", { class: "ab-batch-own" }, "Strength ", strength));
    }
    const listId = `batch-sizes-${e.name}`;
    const size = h("input", { type: "text", inputmode: "numeric", placeholder: e.sizes.length ? `e.g. ${e.sizes[0]![0]}x${e.sizes[0]![1]}` : "region's size", list: e.sizes.length ? listId : undefined, "data-engine-setting": "size", "data-for": e.name, "data-testid": `batch-size-${e.name}`, "aria-label": `Output size for ${engineLabel(e)} (width x height; empty: the region's size)` });
    size.value = own.size;
    parts.push(h("label", { class: "ab-batch-own" }, "Size ", size));
    if (e.sizes.length) parts.push(h("datalist", { id: listId }, ...e.sizes.map(([w, hh]) => h("option", { value: `${w}x${hh}` }))));
    return h("div", { class: "ab-batch-own-row", role: "group", "aria-label": `${engineLabel(e)} settings` }, ...parts);
  }

  private renderTargets(): void {
    if (!this.draft.targets.length) {
      this.f.targets.replaceChildren(h("li", { class: "muted" }, "No targets: select frames on the board or draw a region (R), then add them."));
      return;
    }
    this.f.targets.replaceChildren(
      ...this.draft.targets.map((t, i) => {
        const remove = iconButton({ icon: "close", label: `Remove ${t.label}`, testid: "batch-target-remove", onClick: () => {
          this.draft.targets.splice(i, 1);
          this.renderTargets();
          this.changed();
        } });
        return h("li", { "data-testid": "batch-target" }, h("span", {}, t.label), remove);
      }),
    );
  }

  private addTargets(add: TargetRef[], none: string): void {
    if (!add.length) {
      this.showError(none);
      return;
    }
    for (const t of add) if (!this.draft.targets.some((x) => sameTarget(x, t))) this.draft.targets.push(t);
    this.renderTargets();
    this.changed();
  }

  /** The spec as it would be sent (with the drawn seed once the server has drawn one). */
  private built(): ReturnType<typeof buildSpec> {
    this.draft.anchorSets = this.anchors.sets();
    const kit = this.deps.kit();
    const built = buildSpec(this.draft, { kitVariables: kit?.variables ?? [], kitLocks: kit?.locks ?? [] });
    if (built.spec && built.spec.seed === undefined && this.drawnSeed !== null) built.spec.seed = this.drawnSeed;
    return built;
  }

  /** Something changed: keep the draft, and preview again once typing pauses. */
  private changed(delay = PREVIEW_DELAY_MS): void {
    this.draft.anchorSets = this.anchors.sets();
    saveDraft(this.deps.storage, this.deps.boardId, this.draft);
    // A field's `change` as it loses the focus repeats what its `input` events said. When the
    // focus goes to Start, that event arrives between the press and the click: taking Start
    // away for a spec that is the previewed one would swallow the click.
    if (this.timer === null && !this.f.body.classList.contains("stale") && this.isPreviewed()) return;
    this.f.start.disabled = true;
    this.f.body.classList.add("stale");
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runPreview(), delay);
  }

  private async runPreview(): Promise<void> {
    this.timer = null;
    const { spec, problems, jobs } = this.built();
    const seq = ++this.sequence;
    this.showError(null);
    if (!spec) {
      this.preview = null;
      this.previewKey = null;
      this.f.body.replaceChildren();
      this.f.body.classList.remove("stale");
      this.f.status.replaceChildren(h("ul", { class: "ab-batch-problems", "data-testid": "batch-problems" }, ...problems.map((p) => h("li", {}, p))));
      this.f.summary.textContent = problems.length === 1 ? "1 thing to fix above" : `${problems.length} things to fix above`;
      this.updateStart();
      return;
    }
    const max = this.deps.maxJobs;
    this.f.status.textContent = `Checking ${jobsText(jobs)} with the server…`;
    try {
      const reply = await apiJson<BatchSummary>("POST", `${this.deps.apiBase}/boards/${this.deps.boardId}/batches?dry_run=1`, spec);
      if (seq !== this.sequence) return; // a newer spec is being previewed
      if (spec.seed === undefined) this.drawnSeed = reply.seed;
      this.preview = reply;
      this.previewKey = JSON.stringify({ ...spec, seed: reply.seed });
      if (!this.f.seed.value) this.f.seed.placeholder = `drawn: ${reply.seed}`;
      this.f.body.replaceChildren(...renderPreview(reply, (name) => this.label(name)));
      this.f.status.textContent = previewSentence(reply);
      this.f.summary.textContent = this.f.status.textContent;
    } catch (err) {
      if (seq !== this.sequence) return;
      this.preview = null;
      this.previewKey = null;
      this.f.body.replaceChildren();
      this.f.status.textContent = "";
      const over = max !== null && jobs > max;
      this.f.summary.textContent = over ? "Over the limit" : "Refused: see above";
      this.showError(err instanceof Error ? err.message : String(err), over);
    } finally {
      if (seq === this.sequence) this.f.body.classList.remove("stale");
      this.updateStart();
    }
  }

  private label(engine: string): string {
    const e = this.deps.engines.find((x) => x.name === engine);
    return e ? engineLabel(e) : engine;
  }

  /** The spec as it stands is the one the preview shows. */
  private isPreviewed(): boolean {
    const { spec } = this.built();
    return this.preview !== null && spec !== null && JSON.stringify(spec) === this.previewKey;
  }

  /** Start is offered for exactly the spec the preview shows, when some of its jobs run. */
  private updateStart(): void {
    const ok = !this.starting && this.isPreviewed() && this.preview !== null && this.preview.accepted > 0;
    this.f.start.disabled = !ok;
    this.f.start.textContent = this.preview && ok ? `Start ${jobsText(this.preview.accepted)}` : "Start";
  }

  private showError(message: string | null, overLimit = false): void {
    this.f.error.hidden = !message;
    this.f.error.textContent = message ?? "";
    this.f.error.classList.toggle("ab-batch-over", overLimit);
    if (overLimit && message) this.f.error.prepend(h("strong", {}, "Over the limit. "));
    this.f.error.dataset.over = String(overLimit);
  }

  private async start(): Promise<void> {
    if (this.f.start.disabled) return;
    const { spec } = this.built();
    if (!spec) return;
    this.starting = true;
    this.updateStart();
    this.f.start.textContent = "Starting…";
    try {
      const reply = await apiJson<BatchSummary>("POST", `${this.deps.apiBase}/boards/${this.deps.boardId}/batches`, spec);
      this.starting = false;
      this.dialog.close();
      this.deps.started(reply);
    } catch (err) {
      this.starting = false;
      this.showError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
      this.updateStart();
    }
  }

  private async copy(kind: "json" | "yaml"): Promise<void> {
    const { spec, problems } = this.built();
    if (!spec) {
      this.f.copied.textContent = `Nothing to copy yet: ${problems[0] ?? "the spec is incomplete."}`;
      return;
    }
    const text = kind === "json" ? specJson(spec as BatchSpecJson) : specYaml(spec);
    const file = kind === "json" ? "spec.json" : "spec.yaml";
    this.f.copyBox.value = text;
    try {
      await navigator.clipboard.writeText(text);
      this.f.copyBox.hidden = true;
      this.f.copied.textContent = `Copied. Save it as ${file} and run: anchorboard batch run ${file} --board ${this.deps.boardId}`;
    } catch {
      // No clipboard (a page served over plain http): show it, selected, to copy by hand.
      this.f.copyBox.hidden = false;
      this.f.copyBox.focus();
      this.f.copyBox.select();
      this.f.copied.textContent = `The browser would not copy: it is selected below (Ctrl+C). Save it as ${file}.`;
    }
  }

  private closed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sequence++; // an answer still on its way is no longer wanted
  }
}

function valuesCount(text: string): string {
  const n = parseValues(text).length;
  return n === 1 ? "1 value" : `${n} values`;
}

