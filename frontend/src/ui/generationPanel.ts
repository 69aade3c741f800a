/**
 * The generation panel: where a job is asked for. Region (Region tool, a selected frame or
 * the selected items' bounds), mode, engine, prompt and negative prompt, strength, seed
 * (fixed or random, with a dice), count, output size, which anchors to use, and the
 * inpaint mask. It offers only what the chosen engine can do and says why the rest is off.
 * Server refusals are shown inline, next to the Generate button.
 *
 * It must not change board items. Submitting = (upload the mask) + one `job_submit`.
 */
import type { Editor } from "../editor";
import type { Rect } from "../model/geometry";
import { placementBounds } from "../model/geometry";
import type { JobClient } from "../jobs/client";
import { coverage, maskToRgba, rasteriseMask } from "../jobs/mask";
import type { EngineInfo } from "../jobs/model";
import { describeRegion, regionFromFrame, regionFromItems } from "../jobs/region";
import { type JobAnchorRef, type JobMode, type JobSubmitMessage, MAX_JOB_COUNT } from "../protocol";
import type { MaskLayer } from "./maskLayer";
import { h, rafThrottle } from "./dom";
import { iconButton } from "./icons";
import { type BoardKit, lockList } from "./kitBadge";

/** Modes as offered in the menu: upscale ×2 and ×4 are one job mode with a scale. */
export const MODE_CHOICES: { value: string; mode: JobMode; scale: number; label: string }[] = [
  { value: "img2img", mode: "img2img", scale: 2, label: "Image to image" },
  { value: "inpaint", mode: "inpaint", scale: 2, label: "Inpaint (mask)" },
  { value: "upscale2", mode: "upscale", scale: 2, label: "Upscale ×2" },
  { value: "upscale4", mode: "upscale", scale: 4, label: "Upscale ×4" },
  { value: "variations", mode: "variations", scale: 2, label: "Variations" },
];

/** Why `engine` cannot do this menu choice, or null when it can. */
export function whyNot(engine: EngineInfo, choice: (typeof MODE_CHOICES)[number]): string | null {
  if (!engine.modes.includes(choice.mode)) return `${engine.label} cannot do ${choice.label.toLowerCase()}`;
  if (choice.mode === "inpaint" && !engine.supports_mask) return `${engine.label} does not accept masks`;
  if (choice.mode === "upscale" && engine.upscale_factors.length && !engine.upscale_factors.includes(choice.scale)) {
    return `${engine.label} upscales only ×${engine.upscale_factors.join(", ×")}`;
  }
  return null;
}

export function engineLabel(engine: EngineInfo): string {
  // Never let a classical-processing engine pass for a generative model.
  if (!engine.generative && !/non-generative/i.test(engine.label)) return `${engine.label} (non-generative)`;
  return engine.label;
}

export interface GenerationDeps {
  editor: Editor;
  engines: EngineInfo[];
  client: JobClient;
  mask: MaskLayer;
  startRegionTool: () => void;
  setRegion: (region: Rect | null) => void;
  /** Uploads the mask PNG to the board; resolves with the asset id. */
  uploadMask: (png: Blob) => Promise<string>;
  /** The board's brand kit: its engine is preselected, its variables asked for. */
  kit?: BoardKit | null;
}

const MAX_MASK_EDGE = 2048;

export class GenerationPanel {
  readonly element: HTMLElement;
  region: Rect | null = null;
  parentIteration: string | null = null;
  private readonly f: {
    regionText: HTMLElement;
    mode: HTMLSelectElement;
    engine: HTMLSelectElement;
    engineNote: HTMLElement;
    prompt: HTMLTextAreaElement;
    negative: HTMLTextAreaElement;
    strength: HTMLInputElement;
    strengthOut: HTMLOutputElement;
    seed: HTMLInputElement;
    random: HTMLInputElement;
    count: HTMLInputElement;
    outW: HTMLInputElement;
    outH: HTMLInputElement;
    anchors: HTMLElement;
    maskBox: HTMLElement;
    maskInfo: HTMLElement;
    paint: HTMLButtonElement;
    eraser: HTMLInputElement;
    brush: HTMLInputElement;
    refine: HTMLElement;
    error: HTMLElement;
    status: HTMLElement;
    submit: HTMLButtonElement;
  };
  private readonly excludedAnchors = new Set<string>();
  /** The brand kit's template variables ({product}, {season}) by name. */
  private readonly variables: Map<string, HTMLInputElement>;
  /** The board's brand kit now (`setKit` when it changes while the board is open). */
  private kit: BoardKit | null;
  /** Where the kit's box goes (it comes and goes with the kit). */
  private readonly kitMark = document.createComment("brand kit");
  private kitEl: HTMLElement | null = null;
  /** The job this panel last queued: its status line clears when that job ends. */
  private watching: string | null = null;

  constructor(private readonly deps: GenerationDeps) {
    const { editor } = deps;
    const regionText = h("p", { class: "ab-gen-region muted", "data-testid": "gen-region" }, "No region yet.");
    const regionTool = iconButton({ icon: "region", label: "Drag a rectangle on the canvas", keys: "R", text: "Draw region", variant: "secondary", testid: "gen-draw-region" });
    regionTool.addEventListener("click", () => deps.startRegionTool());
    const fromSel = iconButton({ icon: "square", label: "Use the selected frame, or the bounds of the selected items", text: "From selection", variant: "secondary", testid: "gen-region-from-selection" });
    fromSel.addEventListener("click", () => this.regionFromSelection());

    const mode = h("select", { "data-testid": "gen-mode" });
    for (const c of MODE_CHOICES) mode.append(h("option", { value: c.value }, c.label));
    const engine = h("select", { "data-testid": "gen-engine" });
    for (const e of deps.engines) engine.append(h("option", { value: e.name }, engineLabel(e)));
    const engineNote = h("p", { class: "ab-gen-note", "data-testid": "gen-engine-note" });
    const kit = deps.kit ?? null;
    if (kit?.engine && deps.engines.some((e) => e.name === kit.engine)) engine.value = kit.engine;
    const variables = new Map<string, HTMLInputElement>();
    const kitBox = kit ? this.kitBox(kit, variables) : null;
    this.kit = kit;
    this.kitEl = kitBox;

    const prompt = h("textarea", { rows: "2", placeholder: "What should change?", "data-testid": "gen-prompt" });
    const negative = h("textarea", { rows: "1", placeholder: "What to avoid (optional)", "data-testid": "gen-negative" });
    const strength = h("input", { type: "range", min: "0", max: "1", step: "0.05", value: "0.6", "data-testid": "gen-strength" });
    if (deps.kit?.strength != null) strength.value = String(deps.kit.strength);
    const strengthOut = h("output", {}, Number(strength.value).toFixed(2));
    strength.addEventListener("input", () => (strengthOut.textContent = Number(strength.value).toFixed(2)));
    const seed = h("input", { type: "number", min: "0", max: String(2 ** 32 - 1), step: "1", value: "1", "data-testid": "gen-seed", disabled: true });
    const random = h("input", { type: "checkbox", checked: true, "data-testid": "gen-seed-random" });
    random.addEventListener("change", () => (seed.disabled = random.checked));
    const dice = iconButton({ icon: "dice", label: "Roll a new fixed seed", variant: "secondary", testid: "gen-dice" });
    dice.addEventListener("click", () => {
      seed.value = String(Math.floor(Math.random() * 2 ** 32));
      random.checked = false;
      seed.disabled = false;
    });
    const count = h("input", { type: "number", min: "1", max: String(MAX_JOB_COUNT), value: "4", "data-testid": "gen-count" });
    const outW = h("input", { type: "number", min: "1", placeholder: "auto", "aria-label": "Output width", "data-testid": "gen-out-w" });
    const outH = h("input", { type: "number", min: "1", placeholder: "auto", "aria-label": "Output height", "data-testid": "gen-out-h" });
    const anchors = h("div", { class: "ab-gen-anchors", "data-testid": "gen-anchors" });

    const paint = h("button", { type: "button", class: "ab-btn", "aria-pressed": "false", "data-testid": "mask-paint" }, "Paint mask");
    paint.addEventListener("click", () => deps.mask.setPainting(!deps.mask.isPainting));
    const eraser = h("input", { type: "checkbox", "data-testid": "mask-eraser" });
    eraser.addEventListener("change", () => (deps.mask.erase = eraser.checked));
    const brush = h("input", { type: "range", min: "2", max: "512", value: String(deps.mask.brush), "aria-label": "Brush size ([ and ])", "data-testid": "mask-brush" });
    brush.addEventListener("input", () => deps.mask.setBrush(Number(brush.value)));
    const fromShape = h("button", { type: "button", class: "ab-btn", title: "Mask the selected items' area inside the region" }, "Mask from selection");
    fromShape.addEventListener("click", () => {
      const items = [...editor.selection].map((id) => editor.doc.get(id)).filter((i) => i !== undefined);
      if (!items.length) return this.showError("Select a shape or image inside the region first.");
      for (const item of items) deps.mask.addBounds(placementBounds(item));
    });
    const clear = h("button", { type: "button", class: "ab-btn" }, "Clear");
    clear.addEventListener("click", () => deps.mask.clear());
    const maskInfo = h("span", { class: "muted" });
    const maskBox = h(
      "fieldset",
      { class: "ab-gen-mask", hidden: true },
      h("legend", {}, "Mask"),
      h("div", { class: "ab-gen-row" }, paint, fromShape, clear),
      h("label", { class: "ab-check" }, eraser, " Eraser (or hold Alt)"),
      h("label", {}, "Brush size ([ ])", brush),
      maskInfo,
    );

    const refine = h("p", { class: "ab-gen-refine", hidden: true });
    const error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "gen-error" });
    const status = h("p", { class: "ab-gen-status muted", "data-testid": "gen-status" });
    const submit = iconButton({ icon: "generate", label: "Generate", text: "Generate", variant: "primary", testid: "gen-submit" });
    submit.addEventListener("click", () => void this.submit());

    this.variables = variables;
    this.f = { regionText, mode, engine, engineNote, prompt, negative, strength, strengthOut, seed, random, count, outW, outH, anchors, maskBox, maskInfo, paint, eraser, brush, refine, error, status, submit };
    mode.addEventListener("change", () => this.refreshChoices());
    engine.addEventListener("change", () => this.refreshChoices());

    this.element = h(
      "section",
      // The skip link's target ("Skip to the generation panel"), focused by it, not by Tab.
      { class: "ab-panel ab-gen", id: "ab-generation", tabindex: "-1", "aria-label": "Generate", "data-testid": "generation-panel" },
      h("h3", {}, "Generate"),
      regionText,
      h("div", { class: "ab-gen-row" }, regionTool, fromSel),
      refine,
      h("label", {}, "Mode", mode),
      h("label", {}, "Engine", engine),
      engineNote,
      this.kitMark,
      kitBox,
      h("label", {}, "Prompt", prompt),
      h("label", {}, "Negative prompt", negative),
      h("label", {}, h("span", {}, "Strength ", strengthOut), strength),
      h("div", { class: "ab-gen-row" }, h("label", {}, "Seed", seed), dice, h("label", { class: "ab-check" }, random, " Random")),
      h("div", { class: "ab-grid2" }, h("label", {}, "Count (1–32)", count), h("span")),
      h("div", { class: "ab-grid2" }, h("label", {}, "Output width", outW), h("label", {}, "Output height", outH)),
      maskBox,
      h("div", {}, h("h4", {}, "Anchors to use"), anchors),
      error,
      submit,
      status,
    );
    deps.mask.onChange(() => this.refreshMask());
    editor.on("document", rafThrottle(() => this.refreshAnchors()));
    editor.on("editable", () => this.refreshChoices());
    this.refreshChoices();
    this.refreshAnchors();
  }

  /** The kit's box: what it locks, and one field per template variable. */
  private kitBox(kit: BoardKit, variables: Map<string, HTMLInputElement>): HTMLElement {
    const locks = lockList(kit);
    const box = h(
      "fieldset",
      { class: "ab-gen-kit", "data-testid": "gen-kit" },
      h("legend", {}, `Brand kit “${kit.name}” v${kit.version}`),
      h(
        "p",
        { class: "ab-gen-note" },
        locks ? `Locked: ${locks}. A job that changes them is refused; a kit manager can unlock them.` : "The kit's template, references and defaults apply to every job.",
      ),
    );
    for (const name of kit.variables) {
      const input = h("input", { type: "text", maxlength: "200", "data-testid": `gen-var-${name}` });
      variables.set(name, input);
      box.append(h("label", {}, name.replace(/_/g, " "), input));
    }
    return box;
  }

  /** The board's kit changed while it is open: a new box (what was typed in a variable
   * that is still asked for is kept), and a newly locked engine or strength is selected. */
  setKit(kit: BoardKit | null): void {
    const typed = new Map([...this.variables].map(([name, input]) => [name, input.value]));
    this.variables.clear();
    this.kitEl?.remove();
    this.kitEl = kit ? this.kitBox(kit, this.variables) : null;
    for (const [name, input] of this.variables) input.value = typed.get(name) ?? "";
    if (this.kitEl) this.kitMark.after(this.kitEl);
    this.kit = kit;
    const { engine, strength, strengthOut } = this.f;
    if (kit?.engine && kit.locks.includes("engine") && this.deps.engines.some((e) => e.name === kit.engine)) engine.value = kit.engine;
    if (kit?.strength != null && kit.locks.includes("strength")) {
      strength.value = String(kit.strength);
      strengthOut.textContent = Number(strength.value).toFixed(2);
    }
    this.refreshChoices();
  }

  /** Keyboard shortcut G and the skip link's purpose: put the caret in the prompt. */
  focusPrompt(): void {
    // A folded side panel (tablet, phone) opens first (ui/layout.ts listens for ab:reveal).
    this.element.dispatchEvent(new CustomEvent("ab:reveal", { bubbles: true }));
    this.element.scrollIntoView({ block: "nearest" });
    this.f.prompt.focus();
  }

  /** A job changed (jobs UI forwards the store): end the "Queued…" line when ours is over. */
  jobChanged(job: { id: string; state: string }): void {
    if (job.id !== this.watching || job.state === "queued" || job.state === "running") return;
    this.watching = null;
    this.f.status.textContent =
      job.state === "succeeded" ? "Done: the results wait in the strip below the canvas." : job.state === "failed" ? "The job failed; see the queue." : "";
    const shown = this.f.status.textContent;
    setTimeout(() => {
      if (this.f.status.textContent === shown) this.f.status.textContent = "";
    }, 6000);
  }

  /** The panel's settings as they are now: what the Batch… dialog starts from (batches/). */
  settings(): { prompt: string; negative: string; mode: string; engine: string; strength: number | null; anchors: JobAnchorRef[]; region: Rect | null } {
    const locked = this.kit?.locks.includes("strength") || this.choice.mode === "upscale";
    return {
      prompt: this.f.prompt.value,
      negative: this.f.negative.value,
      mode: this.f.mode.value,
      engine: this.f.engine.value,
      strength: locked ? null : Number(this.f.strength.value),
      anchors: this.selectedAnchors(),
      region: this.region,
    };
  }

  get engine(): EngineInfo | undefined {
    return this.deps.engines.find((e) => e.name === this.f.engine.value);
  }

  get choice(): (typeof MODE_CHOICES)[number] {
    return MODE_CHOICES.find((c) => c.value === this.f.mode.value) ?? MODE_CHOICES[0]!;
  }

  setRegion(region: Rect | null): void {
    this.region = region;
    this.f.regionText.textContent = region ? `Region: ${describeRegion(region)}` : "No region yet.";
    this.deps.mask.setRegion(region);
    this.showError(null);
  }

  /** Refine a result: same region, the job records the result as its parent. */
  refine(parentId: string | null, region: Rect | null, label = ""): void {
    this.parentIteration = parentId;
    this.f.refine.hidden = !parentId;
    this.f.refine.textContent = parentId ? `Refining ${label || "a result"} — the new results hang below it in the history.` : "";
    if (parentId) {
      const stop = h("button", { type: "button", class: "ab-link" }, " Stop refining");
      stop.addEventListener("click", () => this.refine(null, this.region));
      this.f.refine.append(stop);
    }
    if (region) this.deps.setRegion(region);
  }

  private regionFromSelection(): void {
    const items = [...this.deps.editor.selection].map((id) => this.deps.editor.doc.get(id)).filter((i) => i !== undefined);
    const frame = items.length === 1 && items[0]?.kind === "frame" ? items[0] : null;
    const region = frame ? regionFromFrame(frame) : regionFromItems(items);
    if (!region) return this.showError("Select a frame or some items first (or draw a region with R).");
    this.deps.setRegion(region);
  }

  private refreshChoices(): void {
    const engine = this.engine;
    // Modes this engine cannot do stay visible but disabled, saying why.
    for (const option of [...this.f.mode.options]) {
      const c = MODE_CHOICES.find((m) => m.value === option.value)!;
      const reason = engine ? whyNot(engine, c) : "No engine is available on this server";
      option.disabled = reason !== null;
      option.textContent = reason ? `${c.label} — ${reason}` : c.label;
      option.title = reason ?? "";
    }
    // Engines that cannot do the chosen mode are disabled with the reason.
    for (const option of [...this.f.engine.options]) {
      const e = this.deps.engines.find((x) => x.name === option.value)!;
      const reason = whyNot(e, this.choice);
      option.disabled = reason !== null && option.value !== this.f.engine.value;
      option.textContent = reason ? `${engineLabel(e)} — ${reason}` : engineLabel(e);
    }
    if (engine) {
      this.f.engineNote.textContent = engine.generative
        ? `${engine.label}: generative model.`
        : `${engineLabel(engine)}: classical image processing (colour/light transfer, fill, upscale, seeded variations) — it does not follow the prompt.`;
      this.f.engineNote.dataset.generative = String(engine.generative);
      this.f.count.max = String(Math.min(MAX_JOB_COUNT, Math.max(1, engine.max_count)));
    }
    const choice = this.choice;
    this.f.maskBox.hidden = choice.mode !== "inpaint";
    if (choice.mode !== "inpaint") this.deps.mask.setPainting(false);
    this.f.strength.disabled = choice.mode === "upscale";
    const reason = engine ? whyNot(engine, choice) : "No engine is available on this server";
    this.f.submit.disabled = !this.deps.editor.canEdit || reason !== null;
    this.f.submit.title = !this.deps.editor.canEdit ? "Viewers cannot run jobs" : reason ?? "";
    if (!this.deps.editor.canEdit) {
      this.f.status.textContent = "View only: you can follow jobs and browse the history, but running jobs needs an editor role.";
    }
  }

  private refreshMask(): void {
    const m = this.deps.mask;
    this.f.paint.setAttribute("aria-pressed", String(m.isPainting));
    this.f.paint.textContent = m.isPainting ? "Done painting" : "Paint mask";
    this.f.brush.value = String(m.brush);
    this.f.maskInfo.textContent = m.hasMask ? "Mask painted." : "No mask yet: paint over what should change.";
  }

  private refreshAnchors(): void {
    const anchors = this.deps.editor.doc.ordered().filter((i) => i.anchor_role && i.kind === "image");
    if (!anchors.length) {
      this.f.anchors.replaceChildren(h("p", { class: "muted" }, "No anchors on this board: give an image a role in Properties."));
      return;
    }
    this.f.anchors.replaceChildren(
      ...anchors.map((item) => {
        const box = h("input", { type: "checkbox", checked: !this.excludedAnchors.has(item.id), "data-anchor": item.id });
        box.addEventListener("change", () => {
          if (box.checked) this.excludedAnchors.delete(item.id);
          else this.excludedAnchors.add(item.id);
        });
        return h("label", { class: "ab-check" }, box, ` ${item.name || "Untitled image"} `, h("span", { class: `ab-anchor-role ${item.anchor_role}` }, item.anchor_role));
      }),
    );
  }

  private selectedAnchors(): JobAnchorRef[] {
    return this.deps.editor.doc
      .ordered()
      .filter((i) => i.anchor_role && i.kind === "image" && !this.excludedAnchors.has(i.id))
      .map((i) => ({ item_id: i.id, role: i.anchor_role as JobAnchorRef["role"] }));
  }

  showError(message: string | null): void {
    this.f.error.hidden = !message;
    this.f.error.textContent = message ?? "";
  }

  private async maskAsset(region: Rect): Promise<string> {
    const m = this.deps.mask;
    if (!m.hasMask) throw new Error("Inpainting needs a mask: press “Paint mask” and paint over what should change.");
    const scale = Math.min(1, MAX_MASK_EDGE / Math.max(region.width, region.height));
    const raster = rasteriseMask(m.shapes, region.width * scale, region.height * scale, scale);
    if (coverage(raster) === 0) throw new Error("The mask is empty (everything was erased); paint over what should change.");
    const canvas = document.createElement("canvas");
    canvas.width = raster.width;
    canvas.height = raster.height;
    canvas.getContext("2d")!.putImageData(new ImageData(maskToRgba(raster), raster.width, raster.height), 0, 0);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
    if (!png) throw new Error("The mask could not be prepared in this browser.");
    return this.deps.uploadMask(png);
  }

  /** Build and send `job_submit`; the reply (or refusal) is shown here. */
  async submit(): Promise<void> {
    const region = this.region;
    if (!region) return this.showError("Choose a region first: press R and drag over the part to change.");
    const engine = this.engine;
    if (!engine) return this.showError("No engine is available on this server.");
    const choice = this.choice;
    const count = Number(this.f.count.value);
    if (!Number.isInteger(count) || count < 1 || count > MAX_JOB_COUNT) {
      return this.showError(`Count must be a whole number from 1 to ${MAX_JOB_COUNT}.`);
    }
    const seed = this.f.random.checked ? null : Number(this.f.seed.value);
    if (seed !== null && (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)) {
      return this.showError("The seed must be a whole number from 0 to 4294967295 (or tick Random).");
    }
    const w = this.f.outW.value ? Number(this.f.outW.value) : null;
    const hgt = this.f.outH.value ? Number(this.f.outH.value) : null;
    if ((w === null) !== (hgt === null)) return this.showError("Give both output width and height, or neither.");
    this.showError(null);
    this.f.submit.disabled = true;
    this.f.status.textContent = "Sending…";
    try {
      const mask = choice.mode === "inpaint" ? await this.maskAsset(region) : null;
      const message: Omit<JobSubmitMessage, "request_id"> = {
        type: "job_submit",
        mode: choice.mode,
        engine: engine.name,
        region,
        prompt: this.f.prompt.value,
        negative_prompt: this.f.negative.value,
        strength: Number(this.f.strength.value),
        seed,
        count,
        output_size: w !== null && hgt !== null ? { width: Math.round(w), height: Math.round(hgt) } : null,
        scale: choice.scale,
        anchors: this.selectedAnchors(),
        mask,
        parent_iteration: this.parentIteration,
      };
      const values = Object.fromEntries([...this.variables].map(([name, input]) => [name, input.value.trim()]).filter(([, v]) => v));
      if (Object.keys(values).length) message.variables = values;
      // A locked value is the kit's: say nothing and the server uses it.
      for (const locked of ["strength", "scale"] as const) if (this.kit?.locks.includes(locked)) delete message[locked];
      const reply = await this.deps.client.request(message);
      this.f.status.textContent = reply.type === "job_accepted" ? "Queued. Progress shows over the region." : "";
      this.watching = reply.type === "job_accepted" ? String(reply.job.id) : null;
      this.deps.mask.setPainting(false);
    } catch (err) {
      this.f.status.textContent = "";
      this.showError(err instanceof Error ? err.message : String(err));
    } finally {
      this.refreshChoices();
    }
  }
}
