/**
 * The staging strip: new results wait here, the shown one drawn over its region (the strip
 * itself docks at the bottom of the canvas so it is never off-screen), until someone
 * applies or discards them. ← → step through them (when nothing on the board is selected,
 * so arrows still nudge selections), "Apply" places the shown (or picked) result as a layer
 * over the region, several picked results go into a variations grid beside it, "Discard"
 * hides one (recoverable from the history panel). Nothing is removed without a click.
 *
 * It sends requests through jobs/client.ts; items appear through the normal `applied` flow.
 */
import type { Editor } from "../editor";
import type { JobClient, JobRequestDraft } from "../jobs/client";
import type { IterationPayload, JobStore } from "../jobs/model";
import { StagingNav } from "../jobs/staging";
import { isTyping } from "../tools/pointer";
import type { CompareDialog } from "./compare";
import { h, rafThrottle } from "./dom";
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
    private readonly client: JobClient,
    private readonly compare: CompareDialog,
    private readonly assetUrl: (assetId: string) => string,
    private readonly onRefine: (iteration: IterationPayload) => void,
  ) {
    this.ghost = h("img", { class: "ab-staging-ghost", alt: "", "data-testid": "staging-ghost" });
    this.bar = h("div", { class: "ab-staging-bar" });
    this.error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "staging-error" });
    this.element = h("div", { class: "ab-staging", hidden: true, "data-testid": "staging-strip" }, this.ghost, h("div", { class: "ab-staging-dock" }, this.bar, this.error));
    const render = rafThrottle(() => this.render());
    store.subscribe(render);
    editor.on("camera", () => this.place());
    editor.on("editable", render);
    window.addEventListener("keydown", (e) => {
      if (this.element.hidden || isTyping(e) || this.editor.selection.size || e.metaKey || e.ctrlKey || e.altKey) return;
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

  get shown(): IterationPayload | undefined {
    const id = this.nav.current;
    return id ? this.store.iterations.get(id) : undefined;
  }

  private send(msg: JobRequestDraft): void {
    this.error.hidden = true;
    this.client.request(msg).catch((err: Error) => {
      this.error.textContent = err.message;
      this.error.hidden = false;
    });
  }

  render(): void {
    this.nav.setItems(this.store.staged().map((i) => i.id));
    const shown = this.shown;
    this.element.hidden = !shown;
    if (!shown) return;
    this.ghost.src = this.assetUrl(shown.asset);
    this.ghost.dataset.iteration = shown.id;
    const count = this.nav.items.length;
    const picked = this.nav.picked.size;
    const btn = (label: string, title: string, testid: string, fn: () => void, editOnly = true) => {
      const b = h("button", { type: "button", class: "ab-btn", title, "data-testid": testid }, label);
      b.hidden = editOnly && !this.editor.canEdit;
      b.addEventListener("click", fn);
      return b;
    };
    const thumbs = this.nav.items.map((id) => {
      const it = this.store.iterations.get(id)!;
      const pick = h("input", { type: "checkbox", checked: this.nav.picked.has(id), title: "Pick for “apply several”", "data-testid": "staging-pick" });
      pick.hidden = !this.editor.canEdit;
      pick.addEventListener("change", () => {
        this.nav.togglePick(id);
        this.render();
      });
      const img = h("img", { src: this.assetUrl(it.asset), alt: `Result ${it.index + 1}` });
      img.addEventListener("click", () => {
        this.nav.show(id);
        this.render();
      });
      return h("span", { class: `ab-staging-thumb${id === shown.id ? " shown" : ""}`, "data-iteration": id }, img, pick);
    });
    const toApply = this.nav.toApply();
    this.bar.replaceChildren(
      btn("←", "Previous result (←)", "staging-prev", () => { this.nav.prev(); this.render(); }, false),
      h("span", { class: "ab-staging-pos", "data-testid": "staging-position" }, `${this.nav.position} / ${count}`),
      btn("→", "Next result (→)", "staging-next", () => { this.nav.next(); this.render(); }, false),
      h("span", { class: "ab-staging-thumbs" }, ...thumbs),
      btn(
        picked > 1 ? `Apply ${picked} as grid` : "Apply",
        picked > 1 ? "Place the picked results in a grid beside the region" : "Place this result as a layer over the region",
        "staging-apply",
        () => this.send({ type: "iteration_apply", ids: toApply, layout: toApply.length > 1 ? "grid" : "single" }),
      ),
      btn("Discard", "Hide this result (recoverable from History)", "staging-discard", () => this.send({ type: "iteration_discard", id: shown.id })),
      btn("Compare", "Before / after", "staging-compare", () => this.openCompare(shown), false),
      btn("Refine", "Run a new job on this result's region, recorded as a refinement of it", "staging-refine", () => this.onRefine(shown)),
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
