/**
 * The staging strip: new results wait here, the shown one drawn over its region (the strip
 * itself docks at the bottom of the canvas so it is never off-screen), until someone
 * applies or discards them. ← → step through them (when nothing on the board is selected,
 * so arrows still nudge selections), "Apply" places the shown (or picked) result as a layer
 * over the region, several picked results go into a variations grid beside it, "Discard"
 * hides one (recoverable from the history panel). Nothing is removed without a click. Each
 * thumbnail carries its drift mark once scored (ui/driftBadge.ts: a warning naming the
 * metric, a neutral check, nothing while pending).
 *
 * It sends requests through jobs/client.ts; items appear through the normal `applied` flow.
 */
import type { Editor } from "../editor";
import type { IterationPayload, JobStore } from "../jobs/model";
import type { ResultActions } from "../jobs/resultActions";
import { StagingNav } from "../jobs/staging";
import { isTyping } from "../tools/pointer";
import { describeRegion } from "../jobs/region";
import type { CompareDialog } from "./compare";
import { h, rafThrottle } from "./dom";
import { driftBadge } from "./driftBadge";
import { type IconName, iconButton } from "./icons";
import { jobTitle } from "./jobProgress";
import { placeOver } from "./regionTool";

export class StagingStrip {
  readonly element: HTMLElement;
  readonly nav = new StagingNav();
  private readonly ghost: HTMLImageElement;
  private readonly bar: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly editor: Editor,
    private readonly store: JobStore,
    private readonly results: ResultActions,
    private readonly compare: CompareDialog,
    private readonly assetUrl: (assetId: string) => string,
    private readonly onRefine: (iteration: IterationPayload) => void,
  ) {
    this.ghost = h("img", { class: "ab-staging-ghost", alt: "", "data-testid": "staging-ghost" });
    this.bar = h("div", { class: "ab-staging-bar" });
    this.error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "staging-error" });
    this.element = h(
      "div",
      { class: "ab-staging", hidden: true, role: "region", "aria-label": "Results to review", "data-testid": "staging-strip" },
      this.ghost,
      h("div", { class: "ab-staging-dock" }, this.bar, this.error),
    );
    const render = rafThrottle(() => this.render());
    store.subscribe(render);
    editor.on("camera", () => this.place());
    editor.on("editable", render);
    window.addEventListener("keydown", (e) => {
      if (this.element.hidden || isTyping(e) || this.editor.selection.size || e.metaKey || e.ctrlKey || e.altKey) return;
      // Only keys meant for the canvas or the strip: a focused region or layers list has its own arrows.
      const target = e.target as HTMLElement;
      if (target !== document.body && target.id !== "ab-canvas" && !this.element.contains(target)) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        if (e.key === "ArrowLeft") this.nav.prev();
        else this.nav.next();
        this.render();
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    }, true);
    this.render();
  }

  /** Keyboard shortcut S: to the strip's main action (Apply), or its first control. */
  focus(): boolean {
    if (this.element.hidden) return false;
    const target = this.bar.querySelector<HTMLElement>('[data-testid="staging-apply"]:not([disabled])') ?? this.bar.querySelector<HTMLElement>("button:not([disabled])");
    target?.focus();
    return Boolean(target);
  }

  get shown(): IterationPayload | undefined {
    const id = this.nav.current;
    return id ? this.store.iterations.get(id) : undefined;
  }

  private act(done: Promise<void>): void {
    this.error.hidden = true;
    done.catch((err: Error) => {
      this.error.textContent = err.message;
      this.error.hidden = false;
    });
  }

  render(): void {
    // The bar is rebuilt: keep keyboard focus on the same control, or on the canvas when the
    // control (or the whole strip, after the last Apply) is gone.
    const focused = this.element.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
    this.draw();
    if (!focused || (focused.isConnected && !this.element.hidden)) return;
    const same = focused.dataset.testid ? this.bar.querySelector<HTMLElement>(`[data-testid="${focused.dataset.testid}"]`) : null;
    if (same && !this.element.hidden) same.focus();
    else document.getElementById("ab-canvas")?.focus();
  }

  private draw(): void {
    this.nav.setItems(this.store.staged().map((i) => i.id), (id) => this.store.iterations.get(id)?.job ?? "");
    const shown = this.shown;
    this.element.hidden = !shown;
    if (!shown) return;
    this.ghost.src = this.assetUrl(shown.asset);
    this.ghost.dataset.iteration = shown.id;
    const count = this.nav.items.length;
    const picked = this.nav.picked.size;
    const edit = this.editor.canEdit;
    const btn = (icon: IconName, label: string, testid: string, fn: () => void, opts: { text?: string; keys?: string; editOnly?: boolean; variant?: "ghost" | "primary" | "secondary" } = {}) => {
      const b = iconButton({ icon, label, keys: opts.keys, text: opts.text, variant: opts.variant ?? "secondary", testid, onClick: fn });
      b.hidden = (opts.editOnly ?? true) && !edit;
      return b;
    };
    const thumbs = this.nav.items.map((id) => {
      const it = this.store.iterations.get(id)!;
      const pick = h("input", { type: "checkbox", checked: this.nav.picked.has(id), "aria-label": `Pick result ${it.index + 1} for “apply several”`, "data-tip": "Pick for “apply several”", "data-testid": "staging-pick" });
      pick.hidden = !edit;
      pick.addEventListener("change", () => {
        this.nav.togglePick(id);
        this.render();
      });
      const img = h("img", { src: this.assetUrl(it.asset), alt: `Result ${it.index + 1}`, "data-tip": `Show result ${it.index + 1}` });
      img.addEventListener("click", () => {
        this.nav.show(id);
        this.render();
      });
      return h("span", { class: `ab-staging-thumb${id === shown.id ? " shown" : ""}`, "data-iteration": id }, img, pick, driftBadge(it.consistency, { focusable: true, size: it.consistency?.drift ? 12 : 10 }));
    });
    const job = this.store.jobs.get(shown.job);
    const groups = this.nav.groupCount;
    const groupNav = groups > 1
      ? h(
          "span",
          { class: "ab-staging-group-nav" },
          btn("prev", "Results of the previous job", "staging-prev-job", () => { this.nav.stepGroup(-1); this.render(); }, { editOnly: false, variant: "ghost" }),
          h("span", { class: "ab-staging-pos", "data-testid": "staging-job-position" }, `Job ${this.nav.groupPosition} of ${groups}`),
          btn("next", "Results of the next job", "staging-next-job", () => { this.nav.stepGroup(1); this.render(); }, { editOnly: false, variant: "ghost" }),
        )
      : null;
    const toApply = this.nav.toApply();
    this.bar.replaceChildren(
      h(
        "div",
        { class: "ab-staging-head" },
        h("span", { class: "ab-staging-title", title: job ? jobTitle(job) : "" }, job ? jobTitle(job) : `Result ${shown.index + 1}`),
        h("span", { class: "muted ab-staging-region" }, describeRegion(shown.region)),
        groupNav,
      ),
      h(
        "div",
        { class: "ab-staging-row" },
        btn("prev", "Previous result", "staging-prev", () => { this.nav.prev(); this.render(); }, { keys: "←", editOnly: false, variant: "ghost" }),
        h("span", { class: "ab-staging-pos", "data-testid": "staging-position" }, `${this.nav.position} / ${count}`),
        btn("next", "Next result", "staging-next", () => { this.nav.next(); this.render(); }, { keys: "→", editOnly: false, variant: "ghost" }),
        h("span", { class: "ab-staging-thumbs" }, ...thumbs),
        btn(
          "apply",
          picked > 1 ? "Place the picked results in a grid beside the region" : "Place this result as a layer over the region (undo with Ctrl+Z)",
          "staging-apply",
          () => this.act(this.results.apply(toApply, toApply.length > 1 ? "grid" : "single")),
          { text: picked > 1 ? `Apply ${picked} as grid` : "Apply", variant: "primary" },
        ),
        btn("discard", "Hide this result (recoverable from History; undo with Ctrl+Z)", "staging-discard", () => this.act(this.results.discard(shown.id)), { text: "Discard" }),
        btn("compare", "Before / after", "staging-compare", () => this.openCompare(shown), { text: "Compare", editOnly: false }),
        btn("refine", "Run a new job on this result's region, recorded as a refinement of it", "staging-refine", () => this.onRefine(shown), { text: "Refine" }),
      ),
    );
    this.place();
  }

  openCompare(it: IterationPayload): void {
    if (!it.source_asset) return;
    this.compare.open({ before: this.assetUrl(it.source_asset), after: this.assetUrl(it.asset), title: `Result ${it.index + 1}: before / after` });
  }

  private place(): void {
    const shown = this.shown;
    if (shown) placeOver(this.ghost, this.editor, shown.region);
  }
}
