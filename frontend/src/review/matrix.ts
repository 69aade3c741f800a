/**
 * The batch matrix of the review page (docs/review.md "The batch matrix"): a batch's
 * results as rows × columns of values (`GET /batches/{id}/matrix`), each cell with its
 * counts (done / failed / drifted / approved) and its candidates best first, clickable into
 * the page's candidate view; "approve the best N per cell" and its undo (reviewers);
 * "re-run failed" and "re-run drifted" with a confirm that says how many (editors).
 *
 * While the batch runs, `batch_progress` re-reads the matrix (throttled, matrixLive.ts) and
 * the changes are patched into the table in place: focus, scroll and the chosen candidate stay.
 *
 * Rendering and wiring only: which results are best, which cells are skipped and what a
 * re-run queues is the server's (canvas/review/matrix.py, batch_picks.py, reruns.py).
 */
import { h } from "../ui/dom";
import { canTakeFocus, focusReturn } from "../ui/focusReturn";
import { ApiError, apiJson } from "./api";
import { thumbUrl } from "./thumbs";
import type { AssetData } from "../protocol";
import { plural } from "./words";
import { ThrottledLoad, cellKey, cellSignature, thumbSignature } from "./matrixLive";
import type { BatchProgressData } from "../protocol/generated";

export interface MatrixCandidate {
  id: string;
  job: string;
  number: number;
  refines: string | null;
  asset: AssetData;
  decision: "approved" | "rejected" | "needs_changes" | "undecided";
  automatic: boolean;
  drift: boolean;
  drift_metric: string | null;
  score: number | null;
}

export interface MatrixCell {
  row: string | null;
  col: string | null;
  jobs: number;
  done: number;
  failed: number;
  active: number;
  results: number;
  drifted: number;
  approved: number;
  decided_by_hand: boolean;
  candidates: MatrixCandidate[];
}

interface Axis {
  key: string;
  label: string;
  kind: string;
  values: string[];
}

interface Approval {
  id: string;
  per_cell: number;
  approved: number;
  by: { id: number; name: string } | null;
  at: string;
  skipped_cells?: number;
  reverted?: number;
  kept?: number;
}

export interface MatrixData {
  batch: { id: string; name: string; state: string };
  axes: Axis[];
  rows: Axis | null;
  cols: Axis | null;
  row_values: (string | null)[];
  col_values: (string | null)[];
  cells: MatrixCell[];
  totals: Record<"jobs" | "done" | "failed" | "active" | "results" | "drifted" | "approved", number>;
  best_rule: string;
  can_rerun: { failed: number; drifted: number };
  last_approval: Approval | null;
}

interface BatchRow {
  id: string;
  name: string;
  state: string;
  jobs: number;
  created_at: string;
}

export interface MatrixOptions {
  apiBase: string;
  boardId: string;
  canReview: boolean;
  canEdit: boolean;
  /** Open a candidate in the page's candidate view (compare + decisions). */
  open: (candidateId: string) => void;
  say: (text: string, kind?: "info" | "error") => void;
}

/** How many thumbnails a cell shows before "+ n more". */
const CELL_THUMBS = 6;
const VERDICT_MARK: Record<string, [string, string]> = {
  approved: ["✓", "Approved"],
  rejected: ["✕", "Rejected"],
  needs_changes: ["!", "Needs changes"],
};

/** "sneaker", or "—" for the one row / column of a matrix without that axis. */
export function valueLabel(axis: Axis | null, value: string | null): string {
  if (!axis || value === null) return axis ? "(none)" : "All";
  return axis.kind === "anchor_set" ? `Set ${value}` : value;
}

/** The counts line of a cell: "2 done · 1 failed · 1 drifted" (zeros left out but done). */
export function cellCounts(c: MatrixCell): [string, string, number][] {
  const parts: [string, string, number][] = [["done", `${c.done}/${c.jobs} done`, c.done]];
  if (c.active) parts.push(["active", `${c.active} running`, c.active]);
  if (c.failed) parts.push(["failed", `${c.failed} failed`, c.failed]);
  if (c.drifted) parts.push(["drifted", `${c.drifted} drifted`, c.drifted]);
  if (c.approved) parts.push(["approved", `${c.approved} approved`, c.approved]);
  return parts;
}

export class BatchMatrix {
  readonly element: HTMLElement;
  private batches: BatchRow[] = [];
  private batchId = "";
  private rows: string | null = null;
  private cols: string | null = null;
  private data: MatrixData | null = null;
  /** Which read of the matrix is the latest asked for: an older answer is dropped. */
  private loadSeq = 0;
  private shape = "";
  private axesShape = "";
  private cellEls = new Map<string, HTMLTableCellElement>();
  /** The candidate the reviewer last opened, marked in its cell across live updates. */
  private selected: string | null = null;
  private readonly live = new ThrottledLoad(() => this.load());
  private readonly batchSelect = h("select", { "data-testid": "matrix-batch" });
  private readonly rowSelect = h("select", { "data-testid": "matrix-rows" });
  private readonly colSelect = h("select", { "data-testid": "matrix-cols" });
  private readonly perCell = h("input", { type: "number", min: "1", max: "100", step: "1", value: "1", class: "rv-percent", "data-testid": "matrix-per-cell", "aria-label": "Results to approve per cell" });
  private readonly approveBtn = h("button", { type: "button", class: "ab-btn primary", "data-testid": "matrix-approve-best" }, "Approve");
  private readonly undoBtn = h("button", { type: "button", class: "ab-btn", "data-testid": "matrix-undo", hidden: true }, "Undo");
  private readonly failedBtn = h("button", { type: "button", class: "ab-btn", "data-testid": "matrix-rerun-failed" }, "Re-run failed");
  private readonly driftedBtn = h("button", { type: "button", class: "ab-btn", "data-testid": "matrix-rerun-drifted" }, "Re-run drifted");
  private readonly confirmBox = h("div", { class: "mx-confirm", role: "alertdialog", "aria-live": "polite", "data-testid": "matrix-confirm", hidden: true });
  /** The Re-run button that asked gets the focus back when the confirm closes; once there
   * is nothing left to re-run it is disabled, and the other one or the table takes it. */
  private readonly confirmReturn = focusReturn({
    fallback: () => [this.failedBtn, this.driftedBtn, this.table.querySelector<HTMLElement>("[data-testid=matrix-candidate]")].find((el) => el && canTakeFocus(el)),
  });
  private readonly summary = h("p", { class: "mx-summary", "data-testid": "matrix-summary" });
  private readonly rule = h("p", { class: "mx-rule muted", "data-testid": "matrix-rule" });
  private readonly table = h("div", { class: "mx-scroll", "data-testid": "matrix" });

  constructor(private readonly opts: MatrixOptions) {
    const label = (text: string, el: HTMLElement) => h("label", { class: "rv-filter" }, `${text} `, el);
    const review = h("div", { class: "mx-actions", role: "group", "aria-label": "Approve" }, h("label", { class: "rv-filter mx-per-cell" }, "Approve the best ", this.perCell, " per cell"), this.approveBtn, this.undoBtn);
    const edit = h("div", { class: "mx-actions", role: "group", "aria-label": "Re-run" }, this.failedBtn, this.driftedBtn);
    review.hidden = !opts.canReview;
    edit.hidden = !opts.canEdit;
    const actions = h("div", { class: "mx-bar-actions" }, review, h("span", { class: "ab-spacer" }), edit);
    actions.hidden = !opts.canReview && !opts.canEdit;
    this.element = h(
      "section",
      { class: "mx", "aria-label": "Batch matrix", "data-testid": "matrix-view" },
      h("div", { class: "mx-bar" }, h("div", { class: "mx-bar-axes" }, label("Batch", this.batchSelect), label("Rows", this.rowSelect), label("Columns", this.colSelect)), actions),
      this.confirmBox,
      this.summary,
      this.table,
      this.rule,
    );
    this.batchSelect.addEventListener("change", () => {
      this.batchId = this.batchSelect.value;
      this.rows = this.cols = null;
      void this.load();
    });
    this.rowSelect.addEventListener("change", () => {
      this.rows = this.rowSelect.value;
      if (this.rows && this.rows === this.cols) this.cols = "";
      void this.load();
    });
    this.colSelect.addEventListener("change", () => {
      this.cols = this.colSelect.value;
      if (this.cols && this.cols === this.rows) this.rows = "";
      void this.load();
    });
    this.approveBtn.addEventListener("click", () => void this.approveBest());
    this.undoBtn.addEventListener("click", () => void this.undo());
    this.failedBtn.addEventListener("click", () => this.confirmRerun("failed"));
    this.driftedBtn.addEventListener("click", () => this.confirmRerun("drifted"));
  }

  /** The board's batches, newest first; false when it has none (no matrix to offer). */
  async loadBatches(preferred = ""): Promise<boolean> {
    const page = await apiJson<{ items: BatchRow[] }>("GET", `${this.opts.apiBase}/boards/${this.opts.boardId}/batches?page_size=100`);
    this.batches = page.items;
    this.batchSelect.replaceChildren(...this.batches.map((b) => h("option", { value: b.id }, this.batchLabel(b))));
    this.batchId = this.batches.some((b) => b.id === preferred) ? preferred : (this.batches[0]?.id ?? "");
    this.batchSelect.value = this.batchId;
    return this.batches.length > 0;
  }

  get currentBatch(): string {
    return this.batchId;
  }

  /** Results, decisions or scores changed on the board: re-read, throttled like progress. */
  reloadSoon(): void {
    if (!this.batchId || this.element.hidden) return;
    this.live.request();
  }

  /**
   * A `batch_progress` message: the batch's state in the picker, and, when it is the batch
   * on screen, a throttled re-read of its cells (counts and candidates).
   */
  onProgress(batch: BatchProgressData): void {
    const known = this.batches.find((b) => b.id === batch.id);
    if (known) {
      known.state = batch.state;
      known.jobs = batch.jobs;
      const option = [...this.batchSelect.options].find((o) => o.value === batch.id);
      if (option) option.textContent = this.batchLabel(known);
    } else {
      const row: BatchRow = { id: batch.id, name: batch.name, state: batch.state, jobs: batch.jobs, created_at: "" };
      this.batches.unshift(row);
      this.batchSelect.prepend(h("option", { value: row.id }, this.batchLabel(row)));
    }
    if (batch.id === this.batchId && !this.element.hidden) this.live.request();
  }

  private batchLabel(b: BatchRow): string {
    return `${b.name} · ${plural(b.jobs, "job")} · ${b.state}`;
  }

  async load(): Promise<void> {
    if (!this.batchId) return;
    const query = new URLSearchParams();
    if (this.rows !== null) query.set("rows", this.rows);
    if (this.cols !== null) query.set("cols", this.cols);
    const seq = ++this.loadSeq;
    try {
      const data = await apiJson<MatrixData>("GET", `${this.opts.apiBase}/batches/${this.batchId}/matrix?${query}`);
      if (seq !== this.loadSeq) return; // the reviewer changed batch or axes meanwhile
      this.data = data;
      this.rows = this.data.rows?.key ?? "";
      this.cols = this.data.cols?.key ?? "";
      this.render();
    } catch (e) {
      this.opts.say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }

  private axisOptions(select: HTMLSelectElement, chosen: string, other: string): void {
    const axes = this.data?.axes ?? [];
    select.replaceChildren(h("option", { value: "" }, "(none)"), ...axes.map((a) => h("option", { value: a.key, disabled: a.key === other }, a.label)));
    select.value = chosen;
  }

  private render(): void {
    const d = this.data;
    if (!d) return;
    const axesShape = JSON.stringify([d.axes.map((a) => a.key), this.rows, this.cols]);
    if (axesShape !== this.axesShape) {
      // Rebuilt only when they change: a live update must not close an open picker.
      this.axesShape = axesShape;
      this.axisOptions(this.rowSelect, this.rows ?? "", this.cols ?? "");
      this.axisOptions(this.colSelect, this.cols ?? "", this.rows ?? "");
    }
    const t = d.totals;
    const bits: (string | HTMLElement)[] = [h("strong", {}, d.batch.name), ` · ${plural(t.jobs, "job")} · ${t.done} done`];
    if (t.active) bits.push(` · ${t.active} running`);
    bits.push(` · ${t.failed} failed · ${t.drifted} drifted · ${t.approved} approved`);
    this.summary.replaceChildren(...bits);
    this.rule.textContent = `Best = ${d.best_rule.charAt(0).toLowerCase()}${d.best_rule.slice(1)} Drifted results and cells someone decided by hand are never approved by “Approve best”.`;
    this.failedBtn.textContent = `Re-run failed (${d.can_rerun.failed})`;
    this.failedBtn.disabled = d.can_rerun.failed === 0;
    this.driftedBtn.textContent = `Re-run drifted (${d.can_rerun.drifted})`;
    this.driftedBtn.disabled = d.can_rerun.drifted === 0;
    const last = d.last_approval;
    this.undoBtn.hidden = !last;
    if (last) {
      this.undoBtn.textContent = `Undo (${plural(last.approved, "approval")})`;
      this.undoBtn.title = `Undo “approve the best ${last.per_cell} per cell” by ${last.by?.name ?? "someone"}, ${new Date(last.at).toLocaleString()}: clears the verdicts it gave that nobody changed since.`;
    }
    this.updateTable(d);
  }

  /**
   * The whole table when its rows or columns changed, else only the cells whose counts or
   * candidates did; the element that had the focus gets it back if it was moved or replaced.
   */
  private updateTable(d: MatrixData): void {
    const focused = document.activeElement instanceof HTMLElement && this.table.contains(document.activeElement) ? document.activeElement : null;
    const focusedId = focused?.dataset.id ?? null;
    const shape = JSON.stringify([d.batch.id, d.rows?.key, d.cols?.key, d.row_values, d.col_values, d.cells.map((c) => cellKey(c.row, c.col))]);
    if (shape !== this.shape) {
      const { scrollLeft, scrollTop } = this.table;
      this.shape = shape;
      this.cellEls.clear();
      this.table.replaceChildren(this.grid(d));
      this.table.scrollLeft = scrollLeft;
      this.table.scrollTop = scrollTop;
    } else {
      for (const c of d.cells) {
        const td = this.cellEls.get(cellKey(c.row, c.col));
        if (td && td.dataset.sig !== cellSignature(c, CELL_THUMBS, this.selected)) this.fillCell(td, c, d);
      }
    }
    // Moving or replacing the focused thumbnail blurs it: give the focus back.
    if (focused && document.activeElement !== focused) {
      const again = focused.isConnected ? focused : focusedId ? this.table.querySelector<HTMLElement>(`[data-testid=matrix-candidate][data-id="${CSS.escape(focusedId)}"]`) : null;
      again?.focus({ preventScroll: true });
    }
  }

  private grid(d: MatrixData): HTMLElement {
    const cellAt = new Map(d.cells.map((c) => [cellKey(c.row, c.col), c]));
    const corner = h("th", { class: "mx-corner", scope: "col" }, d.rows && d.cols ? `${d.rows.label} ╲ ${d.cols.label}` : (d.rows?.label ?? d.cols?.label ?? ""));
    const head = h("tr", {}, corner, ...d.col_values.map((v) => h("th", { scope: "col", class: "mx-col", "data-testid": "matrix-col" }, valueLabel(d.cols, v))));
    const body = d.row_values.map((r) =>
      h(
        "tr",
        {},
        h("th", { scope: "row", class: "mx-row", "data-testid": "matrix-row" }, valueLabel(d.rows, r)),
        ...d.col_values.map((c) => {
          const cell = cellAt.get(cellKey(r, c));
          return cell ? this.cell(cell, d) : h("td", { class: "mx-cell empty" });
        }),
      ),
    );
    return h("table", { class: "mx-table", style: `--cols: ${d.col_values.length}` }, h("thead", {}, head), h("tbody", {}, ...body));
  }

  private cell(c: MatrixCell, d: MatrixData): HTMLElement {
    const td = h("td", { "data-testid": "matrix-cell" });
    this.cellEls.set(cellKey(c.row, c.col), td);
    this.fillCell(td, c, d);
    return td;
  }

  /** A cell's attributes, counts and thumbnails; thumbnails that did not change are kept. */
  private fillCell(td: HTMLTableCellElement, c: MatrixCell, d: MatrixData): void {
    const where = [d.rows ? `${d.rows.label} ${valueLabel(d.rows, c.row)}` : "", d.cols ? `${d.cols.label} ${valueLabel(d.cols, c.col)}` : ""].filter(Boolean).join(", ");
    td.className = `mx-cell${c.decided_by_hand ? " decided" : ""}${c.active ? " running" : ""}`;
    const data: Record<string, string> = { row: c.row ?? "", col: c.col ?? "", jobs: String(c.jobs), done: String(c.done), failed: String(c.failed), active: String(c.active), drifted: String(c.drifted), approved: String(c.approved), results: String(c.results), sig: cellSignature(c, CELL_THUMBS, this.selected) };
    Object.assign(td.dataset, data);
    td.setAttribute("aria-label", `${where || "All results"}: ${cellCounts(c).map(([, t]) => t).join(", ")}`);
    const counts = h("div", { class: "mx-counts", "data-testid": "matrix-counts" }, ...cellCounts(c).map(([kind, text, n]) => h("span", { class: `mx-count ${kind}`, "data-kind": kind, "data-count": String(n) }, text)));
    const old = new Map([...td.querySelectorAll<HTMLElement>("[data-testid=matrix-candidate]")].map((el) => [el.dataset.sig ?? "", el]));
    const thumbs = h("div", { class: "mx-thumbs" });
    for (const [i, cand] of c.candidates.slice(0, CELL_THUMBS).entries()) {
      const sig = thumbSignature(cand, i, cand.id === this.selected);
      thumbs.append(old.get(sig) ?? this.thumb(cand, i, where, sig));
    }
    if (c.candidates.length > CELL_THUMBS) thumbs.append(h("span", { class: "mx-more muted" }, `+${c.candidates.length - CELL_THUMBS} more`));
    if (!c.candidates.length) thumbs.append(h("span", { class: "mx-none muted" }, c.active ? "Running…" : "No results"));
    td.replaceChildren(counts, thumbs);
  }

  private thumb(cand: MatrixCandidate, rank: number, where: string, sig: string): HTMLElement {
    const [mark, verdict] = VERDICT_MARK[cand.decision] ?? ["", "Undecided"];
    const score = cand.score === null ? "not scored" : `consistency ${Math.round(cand.score * 100)}%`;
    const name = `Result ${cand.number}${cand.refines ? " (refine)" : ""}`;
    const btn = h(
      "button",
      { type: "button", class: `mx-thumb status-${cand.decision}${cand.drift ? " drifted" : ""}${cand.id === this.selected ? " selected" : ""}`, "aria-current": cand.id === this.selected ? "true" : undefined, "data-testid": "matrix-candidate", "data-id": cand.id, "data-sig": sig, "data-decision": cand.decision, "aria-label": `${name}, ${where}: ${verdict}, ${cand.drift ? `drifted (${cand.drift_metric ?? "flagged"})` : score}${rank === 0 ? ", best in cell" : ""}`, title: `${name} · ${verdict} · ${cand.drift ? `drifted: ${cand.drift_metric ?? "flagged"}` : score}` },
      h("img", { src: thumbUrl(cand.asset, 160), alt: "", loading: "lazy" }),
      mark ? h("span", { class: "mx-verdict", "data-status": cand.decision, "aria-hidden": "true" }, mark) : null,
      cand.drift ? h("span", { class: "mx-drift", "aria-hidden": "true" }, "⚠") : null,
      cand.score !== null && !cand.drift ? h("span", { class: "mx-score", "aria-hidden": "true" }, `${Math.round(cand.score * 100)}`) : null,
    );
    btn.addEventListener("click", () => {
      this.select(cand.id);
      this.opts.open(cand.id);
    });
    return btn;
  }

  /** Mark `id` as the reviewer's candidate (and unmark the previous one) without a re-read. */
  private select(id: string): void {
    const before = this.selected;
    this.selected = id;
    for (const el of this.table.querySelectorAll<HTMLElement>("[data-testid=matrix-candidate]")) {
      const on = el.dataset.id === id;
      if (!on && el.dataset.id !== before) continue;
      el.classList.toggle("selected", on);
      if (on) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
      const parts = (el.dataset.sig ?? "").split("|");
      parts[parts.length - 1] = on ? "sel" : "";
      el.dataset.sig = parts.join("|");
    }
    for (const c of this.data?.cells ?? []) {
      const td = this.cellEls.get(cellKey(c.row, c.col));
      if (td && c.candidates.some((x) => x.id === id || x.id === before)) td.dataset.sig = cellSignature(c, CELL_THUMBS, this.selected);
    }
  }

  private async approveBest(): Promise<void> {
    const n = Math.max(1, Math.min(100, Math.round(Number(this.perCell.value) || 1)));
    this.approveBtn.disabled = true;
    try {
      const r = await apiJson<Approval>("POST", `${this.opts.apiBase}/batches/${this.batchId}/approve-best`, { per_cell: n, rows: this.rows ?? "", cols: this.cols ?? "" });
      const skipped = r.skipped_cells ? `; ${plural(r.skipped_cells, "cell")} decided by hand left alone` : "";
      this.opts.say(`Approved ${plural(r.approved, "result")} (best ${n} per cell)${skipped}. Undo reverts them.`);
      await this.load();
    } catch (e) {
      this.opts.say(e instanceof ApiError ? e.message : String(e), "error");
    } finally {
      this.approveBtn.disabled = false;
    }
  }

  private async undo(): Promise<void> {
    const last = this.data?.last_approval;
    if (!last) return;
    this.undoBtn.disabled = true;
    try {
      const r = await apiJson<Approval>("POST", `${this.opts.apiBase}/batches/${this.batchId}/approvals/${last.id}/undo`);
      const kept = r.kept ? `; ${plural(r.kept, "verdict")} changed since kept` : "";
      this.opts.say(`Undone: ${plural(r.reverted ?? 0, "approval")} cleared${kept}.`);
      await this.load();
    } catch (e) {
      this.opts.say(e instanceof ApiError ? e.message : String(e), "error");
    } finally {
      this.undoBtn.disabled = false;
    }
  }

  /** An in-page confirm that says how many jobs the re-run queues. */
  private confirmRerun(which: "failed" | "drifted"): void {
    const d = this.data;
    if (!d) return;
    const n = d.can_rerun[which];
    const text =
      which === "failed"
        ? `Re-run ${plural(n, "failed job")} of “${d.batch.name}” with the same settings and seeds?`
        : `Queue ${plural(n, "refine job")} for the drifted results of “${d.batch.name}”? Each runs the batch's final engine on the drifted image.`;
    const go = h("button", { type: "button", class: "ab-btn primary", "data-testid": "matrix-confirm-yes" }, which === "failed" ? `Re-run ${plural(n, "job")}` : `Queue ${plural(n, "job")}`);
    const cancel = h("button", { type: "button", class: "ab-btn", "data-testid": "matrix-confirm-no" }, "Cancel");
    this.confirmBox.replaceChildren(h("span", {}, text), go, cancel);
    if (this.confirmBox.hidden) this.confirmReturn.remember(undefined, true);
    this.confirmBox.hidden = false;
    go.focus();
    const close = () => {
      this.confirmReturn.restore(this.confirmBox);
      this.confirmBox.hidden = true;
    };
    cancel.addEventListener("click", close);
    this.confirmBox.onkeydown = (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      e.stopPropagation();
      close();
    };
    go.addEventListener("click", async () => {
      close();
      try {
        const r = await apiJson<{ queued: number; refused: number }>("POST", `${this.opts.apiBase}/batches/${this.batchId}/rerun-${which}`);
        const refused = r.refused ? ` (${r.refused} refused by the engine)` : "";
        this.opts.say(`${plural(r.queued, "job")} queued in the batch${refused}.`);
        await this.load();
      } catch (e) {
        this.opts.say(e instanceof ApiError ? e.message : String(e), "error");
      }
    });
  }
}
