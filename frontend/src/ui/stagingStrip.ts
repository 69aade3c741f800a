/**
 * The staging strip: new results wait here, the shown one drawn over its region (the strip
 * itself docks at the bottom of the canvas so it is never off-screen), until someone
 * applies or discards them. ← → step through them (when nothing on the board is selected,
 * so arrows still nudge selections), "Apply" places the shown (or picked) result as a layer
 * over the region, several picked results go into a variations grid beside it, "Discard"
 * hides one (recoverable from the history panel). Nothing is removed without a click. Each
 * thumbnail carries its drift mark once scored (ui/driftBadge.ts: a warning naming the
 * metric, a neutral check, nothing while pending). The thumbnail row scrolls (about six
 * fit); the shown result is kept in view, and "+N drifted" counts the drifted results
 * scrolled out of it — pressing it shows the next of them.
 *
 * A batch's results are not shown one by one (a batch can make hundreds): the strip shows
 * one line per batch ("“Spring hero”: 480 results, 12 drifted · Review results") linking to
 * the batch's matrix in review, dismissible (remembered in this browser); nothing is applied.
 *
 * It sends requests through jobs/client.ts; items appear through the normal `applied` flow.
 */
import type { Editor } from "../editor";
import type { IterationPayload, JobStore } from "../jobs/model";
import type { ResultActions } from "../jobs/resultActions";
import { type BatchResultsSummary, splitStaged, summaryText } from "../jobs/batchJobs";
import { StagingNav, driftedOutOfView } from "../jobs/staging";
import { isTyping } from "../tools/pointer";
import { describeRegion } from "../jobs/region";
import type { CompareDialog } from "./compare";
import { h, rafThrottle } from "./dom";
import { driftBadge } from "./driftBadge";
import { type IconName, icon, iconButton } from "./icons";
import { jobTitle } from "./jobProgress";
import { placeOver } from "./regionTool";

export class StagingStrip {
  readonly element: HTMLElement;
  readonly nav = new StagingNav();
  private readonly ghost: HTMLImageElement;
  private readonly bar: HTMLElement;
  private readonly error: HTMLElement;
  /** The thumbnail row (kept across redraws, so its scroll position survives) and the
   * "+N drifted" button (in the head above it, where it takes the title's room, not the
   * thumbnails'). */
  private readonly thumbs: HTMLElement;
  private readonly hiddenDrift: HTMLButtonElement;
  /** One line per batch with staged results (at most MAX_BATCH_LINES), above the bar. */
  private readonly batchLines: HTMLElement;
  private readonly dismissed: Set<string> = readDismissed();

  constructor(
    private readonly editor: Editor,
    private readonly store: JobStore,
    private readonly results: ResultActions,
    private readonly compare: CompareDialog,
    private readonly assetUrl: (assetId: string) => string,
    private readonly onRefine: (iteration: IterationPayload) => void,
    /** Where a batch's results are reviewed (its matrix). */
    private readonly reviewUrl: (batchId: string) => string,
  ) {
    this.batchLines = h("div", { class: "ab-staging-batches", hidden: true, "data-testid": "staging-batches" });
    this.ghost = h("img", { class: "ab-staging-ghost", alt: "", "data-testid": "staging-ghost" });
    this.bar = h("div", { class: "ab-staging-bar" });
    this.error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "staging-error" });
    this.thumbs = h("span", { class: "ab-staging-thumbs", "data-testid": "staging-thumbs" });
    this.thumbs.addEventListener("scroll", rafThrottle(() => this.countHiddenDrift()), { passive: true });
    this.hiddenDrift = h("button", { type: "button", class: "ab-staging-more-drift", hidden: true, "data-testid": "staging-more-drift" });
    this.hiddenDrift.addEventListener("click", () => this.showHiddenDrift());
    this.element = h(
      "div",
      { class: "ab-staging", hidden: true, role: "region", "aria-label": "Results to review", "data-testid": "staging-strip" },
      this.ghost,
      h("div", { class: "ab-staging-dock" }, this.batchLines, this.bar, this.error),
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
    const { own, batches } = splitStaged(this.store.staged(), (jobId) => this.store.jobs.get(jobId)?.batch ?? null);
    this.nav.setItems(own.map((i) => i.id), (id) => this.store.iterations.get(id)?.job ?? "");
    const shown = this.shown;
    const summaries = batches.filter((b) => !this.dismissed.has(b.batch));
    this.drawBatchLines(summaries);
    this.element.hidden = !shown && !summaries.length;
    this.ghost.hidden = !shown;
    this.bar.hidden = !shown;
    if (!shown) return;
    this.ghost.src = this.assetUrl(shown.asset);
    this.ghost.dataset.iteration = shown.id;
    const count = this.nav.items.length;
    const picked = this.nav.picked.size;
    const edit = this.editor.canEdit;
    const btn = (icon: IconName, label: string, testid: string, fn: () => void, opts: { text?: string; keys?: string; editOnly?: boolean; variant?: "ghost" | "primary" | "secondary" } = {}) => {
      const b = iconButton({ icon, label, keys: opts.keys, text: opts.text, variant: opts.variant ?? "secondary", testid, onClick: fn });
      // The worded buttons are the result's actions: on a phone they take the row's second line.
      if (opts.text) b.classList.add("ab-staging-action");
      b.hidden = (opts.editOnly ?? true) && !edit;
      return b;
    };
    const scrolled = this.thumbs.scrollLeft;
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
        this.hiddenDrift,
        groupNav,
      ),
      h(
        "div",
        { class: "ab-staging-row" },
        btn("prev", "Previous result", "staging-prev", () => { this.nav.prev(); this.render(); }, { keys: "←", editOnly: false, variant: "ghost" }),
        h("span", { class: "ab-staging-pos", "data-testid": "staging-position" }, `${this.nav.position} / ${count}`),
        btn("next", "Next result", "staging-next", () => { this.nav.next(); this.render(); }, { keys: "→", editOnly: false, variant: "ghost" }),
        this.thumbs,
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
    this.thumbs.replaceChildren(...thumbs);
    // Re-inserting the row reset its scroll: put it back, then bring the shown one into view.
    this.thumbs.scrollLeft = scrolled;
    this.keepInView(shown.id);
    this.countHiddenDrift();
    this.place();
  }

  /** The batches' results: one line each, newest batch first, the rest counted. */
  private drawBatchLines(summaries: BatchResultsSummary[]): void {
    this.batchLines.hidden = !summaries.length;
    const lines = summaries.slice(0, MAX_BATCH_LINES).map((s) => {
      const name = this.store.batchNames.get(s.batch);
      const hide = iconButton({
        icon: "close",
        label: `Hide the summary of ${name ? `“${name}”` : "this batch"} (its results stay in review)`,
        variant: "ghost",
        testid: "staging-batch-hide",
        onClick: () => {
          this.dismissed.add(s.batch);
          writeDismissed(this.dismissed);
          this.render();
        },
      });
      hide.classList.add("small");
      return h(
        "div",
        { class: "ab-staging-batch", "data-batch": s.batch, "data-testid": "staging-batch" },
        h("span", { class: "ab-staging-batch-text" }, summaryText(name, s)),
        h("a", { class: "ab-staging-batch-review", href: this.reviewUrl(s.batch), "data-testid": "staging-batch-review" }, "Review results"),
        hide,
      );
    });
    const more = summaries.length - lines.length;
    if (more > 0) lines.push(h("div", { class: "ab-staging-batch muted" }, `and ${more} more batch${more === 1 ? "" : "es"} with results`));
    this.batchLines.replaceChildren(...lines);
  }

  /** Scroll the row (only the row, never the page) so the thumbnail of ``id`` is in view. */
  private keepInView(id: string): void {
    const thumb = this.thumbOf(id);
    if (!thumb) return;
    const row = this.thumbs.getBoundingClientRect();
    const box = thumb.getBoundingClientRect();
    if (box.left < row.left) this.thumbs.scrollLeft -= row.left - box.left;
    else if (box.right > row.right) this.thumbs.scrollLeft += box.right - row.right;
  }

  private thumbOf(id: string): HTMLElement | null {
    return this.thumbs.querySelector<HTMLElement>(`.ab-staging-thumb[data-iteration="${CSS.escape(id)}"]`);
  }

  /** The drifted results out of the row's view, in the order the button visits them. */
  private outOfView(): string[] {
    const row = this.thumbs.getBoundingClientRect();
    const items = this.nav.items;
    let first = -1;
    let last = -1;
    items.forEach((id, i) => {
      const box = this.thumbOf(id)?.getBoundingClientRect();
      // In view: at least half of it shows (a sliver at the edge hides its mark).
      if (!box || Math.min(box.right, row.right) - Math.max(box.left, row.left) < box.width / 2) return;
      if (first < 0) first = i;
      last = i;
    });
    return driftedOutOfView(items, first, last, (id) => Boolean(this.store.iterations.get(id)?.consistency?.drift));
  }

  private countHiddenDrift(): void {
    const hidden = this.outOfView();
    const b = this.hiddenDrift;
    b.hidden = !hidden.length;
    if (!hidden.length) return;
    const n = hidden.length;
    const label = `${n} drifted result${n === 1 ? "" : "s"} out of view: show the next`;
    b.setAttribute("aria-label", label);
    b.dataset.tip = label;
    b.dataset.count = String(n);
    b.replaceChildren(icon("drift", 12), h("span", { "aria-hidden": "true" }, `+${n}`), h("span", { class: "ab-staging-more-word", "aria-hidden": "true" }, " drifted"));
  }

  private showHiddenDrift(): void {
    const next = this.outOfView()[0];
    if (!next) return;
    this.nav.show(next);
    this.render();
    // The button may have gone (nothing left out of view): keep the keyboard in the strip.
    if (this.hiddenDrift.hidden) this.thumbOf(next)?.querySelector<HTMLElement>("[data-testid=drift-badge]")?.focus();
    else this.hiddenDrift.focus();
  }

  openCompare(it: IterationPayload): void {
    if (!it.source_asset) return;
    // The bar is rebuilt on every job message: the focus goes back to its Compare as it is then.
    this.compare.open({ before: this.assetUrl(it.source_asset), after: this.assetUrl(it.asset), title: `Result ${it.index + 1}: before / after` }, () =>
      this.bar.querySelector<HTMLElement>("[data-testid=staging-compare]"),
    );
  }

  private place(): void {
    const shown = this.shown;
    if (shown) placeOver(this.ghost, this.editor, shown.region);
  }
}

/** Batch summaries shown at once; older batches are counted ("and 2 more batches"). */
const MAX_BATCH_LINES = 3;
const DISMISSED_KEY = "anchorboard:staging-batches-hidden";

/** Batches whose strip summary this browser hid (batch ids are unique across boards). */
function readDismissed(): Set<string> {
  try {
    const raw = JSON.parse(window.localStorage.getItem(DISMISSED_KEY) ?? "[]") as unknown;
    return new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === "string") : []);
  } catch {
    return new Set();
  }
}

function writeDismissed(ids: Set<string>): void {
  try {
    // The newest 200 are plenty; the list must not grow without bound.
    window.localStorage.setItem(DISMISSED_KEY, JSON.stringify([...ids].slice(-200)));
  } catch {
    /* storage full or off: the summary comes back on the next load */
  }
}
