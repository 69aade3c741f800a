/**
 * The history panel: every result on the board, newest first, with search by prompt and
 * filters (engine, status, date, author, review decision / rating / star); a lineage tree per region (original → results
 * → refinements, with "Export history as PSD" per region); and per result: compare
 * before/after, make current, re-run with the same parameters, restore (if discarded),
 * apply or discard, refine.
 *
 * Filtering and tree building are jobs/history.ts; requests go through jobs/client.ts.
 */
import type { Editor } from "../editor";
import type { JobClient, JobRequestDraft } from "../jobs/client";
import { type DecisionLookup, EMPTY_FILTER, type HistoryFilter, type LineageNode, filterChoices, filterHistory, groupByBatch, lineageByRegion } from "../jobs/history";
import type { IterationPayload, JobStore } from "../jobs/model";
import type { ResultActions } from "../jobs/resultActions";
import { describeRegion } from "../jobs/region";
import type { CompareDialog } from "./compare";
import type { Decision } from "../review/types";
import { decisionLabel } from "./decisionBadges";
import { h, rafThrottle } from "./dom";
import { focusReturn } from "./focusReturn";
import { type IconName, iconButton } from "./icons";

const HISTORY_ICONS: Record<string, IconName> = {
  "history-compare": "compare",
  "history-restore": "rerun",
  "history-apply": "apply",
  "history-discard": "discard",
  "history-make-current": "star",
  "history-rerun": "rerun",
  "history-refine": "refine",
};

export class HistoryPanel {
  readonly element: HTMLElement;
  private filter: HistoryFilter = { ...EMPTY_FILTER };
  private readonly list: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly engine: HTMLSelectElement;
  private readonly author: HTMLSelectElement;
  private readonly error: HTMLElement;
  private view: "list" | "lineage" = "list";
  /** Batches whose results the person unfolded in the list (kept across re-renders). */
  private readonly openBatches = new Set<string>();
  private decisionOf: DecisionLookup = () => undefined;
  private exportHistory: ((jobId: string) => Promise<void>) | null = null;
  private readonly scheduleRender = rafThrottle(() => this.render());
  /** The History button (or whatever opened the panel) gets the focus back on close. */
  private readonly returnFocus = focusReturn();

  constructor(
    private readonly editor: Editor,
    private readonly store: JobStore,
    private readonly client: JobClient,
    private readonly results: ResultActions,
    private readonly compare: CompareDialog,
    private readonly assetUrl: (assetId: string) => string,
    private readonly onRefine: (iteration: IterationPayload) => void,
    /** Where a batch's results are reviewed (its matrix). */
    private readonly reviewUrl: (batch: string) => string,
  ) {
    const search = h("input", { type: "search", placeholder: "Search prompts", "data-testid": "history-search" });
    search.addEventListener("input", () => this.update({ text: search.value }));
    this.engine = h("select", { "aria-label": "Engine", "data-testid": "history-engine" });
    this.engine.addEventListener("change", () => this.update({ engine: this.engine.value }));
    const status = h(
      "select",
      { "aria-label": "Status", "data-testid": "history-status" },
      h("option", { value: "" }, "Any status"),
      h("option", { value: "staged" }, "Staged"),
      h("option", { value: "applied" }, "Applied"),
      h("option", { value: "discarded" }, "Discarded"),
    );
    status.addEventListener("change", () => this.update({ status: status.value as HistoryFilter["status"] }));
    this.author = h("select", { "aria-label": "Author", "data-testid": "history-author" });
    this.author.addEventListener("change", () => this.update({ author: this.author.value }));
    const decision = h(
      "select",
      { "aria-label": "Decision", "data-testid": "history-decision" },
      h("option", { value: "" }, "Any decision"),
      h("option", { value: "approved" }, "Approved"),
      h("option", { value: "needs_changes" }, "Needs changes"),
      h("option", { value: "rejected" }, "Rejected"),
      h("option", { value: "undecided" }, "Undecided"),
    );
    decision.addEventListener("change", () => this.update({ decision: decision.value as HistoryFilter["decision"] }));
    const rating = h(
      "select",
      { "aria-label": "Rating", "data-testid": "history-rating" },
      h("option", { value: "" }, "Any rating"),
      ...[5, 4, 3, 2, 1].map((n) => h("option", { value: String(n) }, n === 5 ? "★ 5" : `★ ${n} or more`)),
    );
    rating.addEventListener("change", () => this.update({ ratingGte: rating.value ? Number(rating.value) : null }));
    const starred = h("input", { type: "checkbox", "data-testid": "history-starred" });
    starred.addEventListener("change", () => this.update({ starred: starred.checked ? true : null }));
    const from = h("input", { type: "date", "aria-label": "From date" });
    from.addEventListener("change", () => this.update({ from: from.value }));
    const to = h("input", { type: "date", "aria-label": "To date" });
    to.addEventListener("change", () => this.update({ to: to.value }));
    const listTab = h("button", { type: "button", class: "ab-tab", "aria-pressed": "true", "data-testid": "history-tab-list" }, "Results");
    const treeTab = h("button", { type: "button", class: "ab-tab", "aria-pressed": "false", "data-testid": "history-tab-lineage" }, "Lineage");
    listTab.addEventListener("click", () => this.setView("list", listTab, treeTab));
    treeTab.addEventListener("click", () => this.setView("lineage", listTab, treeTab));
    const close = iconButton({ icon: "close", label: "Close the history", testid: "history-close", onClick: () => this.toggle(false) });
    this.list = h("ul", { class: "ab-history-list", "data-testid": "history-list" });
    this.tree = h("div", { class: "ab-history-tree", hidden: true, "data-testid": "history-lineage" });
    this.error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "history-error" });
    this.element = h(
      "aside",
      { class: "ab-history", hidden: true, "aria-label": "History", "data-testid": "history-panel" },
      h("div", { class: "ab-history-head" }, h("h3", {}, "History"), h("span", { class: "ab-tabs", role: "group", "aria-label": "View" }, listTab, treeTab), h("span", { class: "ab-spacer" }), close),
      // A compact filter bar: search on its own line, then a 3-column grid of small menus,
      // then the date range on one aligned line.
      h(
        "div",
        { class: "ab-history-filters" },
        search,
        h("div", { class: "ab-filter-grid" }, this.engine, status, this.author, decision, rating, h("label", { class: "ab-check" }, starred, " Starred")),
        h("div", { class: "ab-filter-dates" }, h("span", { class: "muted" }, "Date"), from, h("span", { class: "muted" }, "to"), to),
      ),
      this.error,
      this.list,
      this.tree,
    );
    // Escape anywhere in the panel closes it (a search field with text clears first, as
    // the browser does); keys typed here never reach the canvas shortcuts behind it.
    this.element.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      if (e.target instanceof HTMLInputElement && e.target.type === "search" && e.target.value) return;
      e.preventDefault();
      e.stopPropagation();
      this.toggle(false);
    });
    store.subscribe(rafThrottle(() => this.render()));
    editor.on("editable", () => this.render());
  }

  /** Where review decisions come from (the board's review state); re-render on changes
   * through `decisionsChanged`. Without one every result counts as undecided. */
  setDecisions(lookup: DecisionLookup): void {
    this.decisionOf = lookup;
    this.scheduleRender();
  }

  /** How to ask for a region's history as a layered PSD (main.ts: the Export dialog's
   * `startExport`, members only); without one the lineage shows no export action. */
  setHistoryExport(start: (jobId: string) => Promise<void>): void {
    this.exportHistory = start;
    this.scheduleRender();
  }

  decisionsChanged(): void {
    this.scheduleRender();
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Open or close the panel. Opening puts the keyboard on its first button (the panel is
   * far from its button in the Tab order); closing gives it back to the opener. */
  toggle(open = this.element.hidden): void {
    if (!open) {
      if (this.element.hidden) return;
      this.returnFocus.restore(this.element);
      this.element.hidden = true;
      return;
    }
    if (!this.element.hidden) return;
    this.returnFocus.remember(undefined, true);
    this.element.hidden = false;
    this.render();
    this.element.querySelector<HTMLElement>(".ab-history-head button:not([hidden])")?.focus();
    // A phone has room for one thing over the canvas: main.ts closes the open sheet on this.
    this.element.dispatchEvent(new CustomEvent("ab:floating-open", { bubbles: true }));
  }

  private setView(view: "list" | "lineage", listTab: HTMLElement, treeTab: HTMLElement): void {
    this.view = view;
    listTab.setAttribute("aria-pressed", String(view === "list"));
    treeTab.setAttribute("aria-pressed", String(view === "lineage"));
    this.render();
  }

  private update(change: Partial<HistoryFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.render();
  }

  private send(msg: JobRequestDraft): void {
    this.act(this.client.request(msg).then(() => undefined));
  }

  private act(done: Promise<void>): void {
    this.error.hidden = true;
    done.catch((err: Error) => {
      this.error.textContent = err.message;
      this.error.hidden = false;
    });
  }

  private options(select: HTMLSelectElement, anyLabel: string, values: string[], label: (v: string) => string): void {
    const current = select.value;
    select.replaceChildren(h("option", { value: "" }, anyLabel), ...values.map((v) => h("option", { value: v }, label(v))));
    select.value = values.includes(current) ? current : "";
  }

  render(): void {
    if (this.element.hidden) return;
    // The list is rebuilt on every job message: a keyboard user in it keeps their place.
    const active = document.activeElement instanceof HTMLElement && (this.list.contains(document.activeElement) || this.tree.contains(document.activeElement)) ? document.activeElement : null;
    const place = active ? { iteration: active.closest<HTMLElement>("[data-iteration]")?.dataset.iteration, testid: active.dataset.testid } : null;
    this.draw();
    if (active && !active.isConnected && place?.iteration && place.testid) this.control(place.iteration, place.testid)?.focus();
  }

  /** A result's control (`testid`) as the panel shows it now. */
  private control(iteration: string, testid: string): HTMLElement | null {
    const root = this.view === "list" ? this.list : this.tree;
    return root.querySelector<HTMLElement>(`[data-iteration="${CSS.escape(iteration)}"] [data-testid="${CSS.escape(testid)}"]`);
  }

  private draw(): void {
    const iterations = [...this.store.iterations.values()];
    const choices = filterChoices(iterations, this.store.jobs);
    this.options(this.engine, "Any engine", choices.engines, (v) => v);
    this.options(this.author, "Anyone", choices.authors, (v) => `User ${v}`);
    this.list.hidden = this.view !== "list";
    this.tree.hidden = this.view !== "lineage";
    if (this.view === "list") {
      const rows = groupByBatch(filterHistory(iterations, this.store.jobs, this.filter, this.decisionOf), (it) => this.store.jobs.get(it.job)?.batch);
      this.list.replaceChildren(
        ...(rows.length ? rows.map((row) => (row.kind === "single" ? h("li", {}, this.entry(row.iteration)) : this.batchRow(row.batch, row.items))) : [h("li", { class: "muted" }, "No results match.")]),
      );
    } else {
      const shown = new Set(filterHistory(iterations, this.store.jobs, this.filter, this.decisionOf).map((i) => i.id));
      this.tree.replaceChildren(
        ...lineageByRegion(iterations).map((region) =>
          h(
            "div",
            { class: "ab-lineage" },
            h(
              "div",
              { class: "ab-lineage-original" },
              region.sourceAsset ? h("img", { src: this.assetUrl(region.sourceAsset), alt: "Original" }) : null,
              h("span", {}, `Original · ${describeRegion(region.region)}`),
              this.exportButton(region.roots[0]?.iteration.job, describeRegion(region.region)),
            ),
            h("div", { role: "tree", "aria-label": `Lineage of ${describeRegion(region.region)}` }, this.branch(region.roots, shown)),
          ),
        ),
      );
    }
  }

  /** A batch's results as one collapsible row: its name, how many, a link to its matrix;
   * the entries are built only while it is open (a batch can make hundreds). */
  private batchRow(batch: string, items: IterationPayload[]): HTMLElement {
    const name = this.store.batchNames.get(batch);
    const open = this.openBatches.has(batch);
    const review = h("a", { href: this.reviewUrl(batch), class: "ab-history-batch-review", "data-testid": "history-batch-review" }, "Review results");
    const details = h(
      "details",
      { class: "ab-history-batch", "data-batch": batch, "data-count": String(items.length), "data-testid": "history-batch", open },
      h("summary", {}, h("strong", {}, name ? `“${name}”` : "A batch"), ` — ${items.length} ${items.length === 1 ? "result" : "results"} `, review),
      open ? h("ul", { class: "ab-history-batch-list" }, ...items.map((it) => h("li", {}, this.entry(it)))) : null,
    );
    details.addEventListener("toggle", () => {
      if (details.open === this.openBatches.has(batch)) return;
      if (details.open) this.openBatches.add(batch);
      else this.openBatches.delete(batch);
      this.render();
    });
    return h("li", {}, details);
  }

  /** "Export history as PSD" for a region: its first job's region and every result made
   * for it (docs/exports.md); the export toast follows it, a refusal shows here. */
  private exportButton(jobId: string | undefined, where: string): HTMLElement | null {
    const start = this.exportHistory;
    if (!start || !jobId) return null;
    const b = iconButton({ icon: "export", label: `Export the history of ${where} as a layered PSD`, text: "Export history as PSD", variant: "secondary", testid: "history-export-psd", onClick: () => this.act(start(jobId)) });
    b.classList.add("small");
    // Its visible words first (the name a voice user says), then which region: several
    // regions' buttons must not share one name.
    b.setAttribute("aria-label", `Export history as PSD: ${where}`);
    return b;
  }

  /** One level of the lineage tree: each result as a compact node, its refinements below. */
  private branch(nodes: LineageNode[], shown: ReadonlySet<string>): HTMLElement {
    return h(
      "ul",
      { class: "ab-lineage-branch", role: "group" },
      ...nodes.map((node) =>
        h(
          "li",
          { class: `ab-lineage-item${shown.has(node.iteration.id) ? "" : " ab-dim"}`, role: "treeitem", "aria-expanded": node.children.length ? "true" : undefined },
          this.node(node.iteration, node.children.length),
          node.children.length ? this.branch(node.children, shown) : null,
        ),
      ),
    );
  }

  /** A result in the lineage tree: thumbnail, name, status, and its main actions. */
  private node(it: IterationPayload, refinements: number): HTMLElement {
    const edit = this.editor.canEdit;
    const act = (icon: IconName, label: string, testid: string, fn: () => void, show: boolean) => {
      const b = iconButton({ icon, label, testid, onClick: fn });
      b.classList.add("small");
      b.hidden = !show;
      return b;
    };
    return h(
      "div",
      { class: `ab-lineage-node ${it.status}`, "data-iteration": it.id, "data-status": it.status, "data-testid": "history-entry" },
      h("img", { src: this.assetUrl(it.asset), alt: "", loading: "lazy" }),
      h(
        "span",
        { class: "ab-lineage-name" },
        h("strong", {}, `${it.is_current ? "★ " : ""}Result ${it.index + 1}`),
        h("span", { class: `ab-status-chip ${it.status}` }, it.status),
        refinements ? h("span", { class: "muted" }, ` · ${refinements} refinement${refinements === 1 ? "" : "s"}`) : null,
      ),
      act("compare", `Compare result ${it.index + 1} before / after`, "history-compare", () => this.openCompare(it), it.source_asset !== null),
      act("apply", `Apply result ${it.index + 1}`, "history-apply", () => this.act(this.results.apply([it.id], "single")), edit && it.status === "staged"),
      act("rerun", `Restore result ${it.index + 1}`, "history-restore", () => this.act(this.results.restore(it.id)), edit && it.status === "discarded"),
      act("refine", `Refine result ${it.index + 1}`, "history-refine", () => this.onRefine(it), edit),
    );
  }

  private openCompare(it: IterationPayload): void {
    if (!it.source_asset) return;
    // The list may be redrawn while the compare is open: the focus goes back to this
    // result's Compare as the panel then shows it.
    this.compare.open({ before: this.assetUrl(it.source_asset), after: this.assetUrl(it.asset), title: `Result ${it.index + 1}: before / after` }, () =>
      this.isOpen ? this.control(it.id, "history-compare") : null,
    );
  }

  private decisionBadge(iteration: string): HTMLElement | null {
    const d = this.decisionOf(iteration);
    const text = d ? decisionLabel({ status: "", ...d } as Decision) : "";
    return text ? h("span", { class: "ab-decision-badge", "data-status": d?.status ?? "", "data-testid": "history-decision-badge" }, ` ${text}`) : null;
  }

  private entry(it: IterationPayload): HTMLElement {
    const job = this.store.jobs.get(it.job);
    const prompt = this.store.promptOf(it);
    const edit = this.editor.canEdit;
    const btn = (label: string, title: string, testid: string, fn: () => void, show = true) => {
      const b = iconButton({ icon: HISTORY_ICONS[testid] ?? "more", label: `${title} (result ${it.index + 1})`, text: label, variant: "secondary", testid, onClick: fn });
      b.classList.add("small");
      b.dataset.tip = title;
      b.hidden = !show;
      return b;
    };
    return h(
      "div",
      { class: `ab-history-entry ${it.status}`, "data-iteration": it.id, "data-status": it.status, "data-testid": "history-entry" },
      h("img", { src: this.assetUrl(it.asset), alt: `Result ${it.index + 1}`, loading: "lazy" }),
      h(
        "div",
        { class: "ab-history-meta" },
        h("strong", {}, `${it.is_current ? "★ " : ""}Result ${it.index + 1}`),
        h("span", { class: "ab-history-status" }, it.status),
        this.decisionBadge(it.id),
        h("span", { class: "muted" }, ` ${job?.engine ?? ""} · seed ${it.seed ?? "?"} · ${(it.created_at ?? "").slice(0, 16).replace("T", " ")}`),
        prompt ? h("div", { class: "ab-history-prompt" }, prompt) : null,
      ),
      h(
        "div",
        { class: "ab-history-actions" },
        btn("Compare", "Before / after", "history-compare", () => this.openCompare(it), it.source_asset !== null),
        btn("Restore", "Bring this discarded result back to staging", "history-restore", () => this.act(this.results.restore(it.id)), edit && it.status === "discarded"),
        btn("Apply", "Place it over its region", "history-apply", () => this.act(this.results.apply([it.id], "single")), edit && it.status === "staged"),
        btn("Discard", "Hide it (recoverable)", "history-discard", () => this.act(this.results.discard(it.id)), edit && it.status !== "discarded"),
        btn("Make current", "Mark as the chosen version of this region", "history-make-current", () => this.send({ type: "iteration_make_current", id: it.id }), edit && !it.is_current && it.status !== "discarded"),
        btn("Re-run", "Queue the same job again (same settings and seed)", "history-rerun", () => this.send({ type: "iteration_rerun", id: it.id }), edit),
        btn("Refine", "New job on this result, recorded as its refinement", "history-refine", () => this.onRefine(it), edit),
      ),
    );
  }
}
