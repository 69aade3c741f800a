/**
 * The filmstrip over the canvas: the board's candidates (staged and applied results) in a
 * strip along the bottom, filterable by verdict, with their decision badges and drift marks
 * (members always; guests when their link shares decisions); clicking one
 * focuses it on the canvas (zoom to its region and select its layer when it is applied).
 * On a share link it also carries the guest's approve / reject / needs-changes buttons and,
 * when the link allows, a download of the original. On a phone a tap opens the candidate
 * full screen instead (ui/candidateViewer.ts), with swipes between them.
 *
 * A batch's candidates are one group (review/filmstripRows.ts): a button with the batch's
 * name and count that unfolds them after it (their cells are built only while unfolded)
 * and, for members, a link to the batch's matrix in review.
 *
 * It must not change the board; decisions go through the callback it is given.
 */
import type { Editor } from "../editor";
import { type ReviewFilter, NO_FILTER } from "../review/filters";
import { type FilmRow, batchCountText, batchTitle, batchToggleTip, drawnCandidates, filmRows } from "../review/filmstripRows";
import type { ConsistencyResult } from "../protocol/generated";
import { applyConsistency, driftTip } from "../review/drift";
import { thumbUrl } from "../review/thumbs";
import type { Candidate, Decision, DecisionStatus } from "../review/types";
import { CandidateViewer } from "./candidateViewer";
import { decisionLabel } from "./decisionBadges";
import { driftBadge } from "./driftBadge";
import { h } from "./dom";
import { icon } from "./icons";
import { PHONE_QUERY } from "./layout";

export interface FilmstripOptions {
  /** When set, each candidate gets verdict buttons that call this. */
  onDecide?: (c: Candidate, status: DecisionStatus) => void;
  onComment?: (c: Candidate) => void;
  /** Offer the original for download (a share link with the download permission). */
  download?: boolean;
  /** Where a batch's results are reviewed (its matrix); members only. */
  reviewUrl?: (batch: string) => string;
}

export class Filmstrip {
  readonly element: HTMLElement;
  readonly toggle: HTMLButtonElement;
  /** The full-screen view a phone opens (also usable on any screen). */
  readonly viewer: CandidateViewer;
  private readonly list = h("div", { class: "ab-filmstrip-list", style: "display:flex;gap:6px" });
  private candidates: Candidate[] = [];
  private filter: ReviewFilter = { ...NO_FILTER };
  private current: string | null = null;
  /** Batch id → name, from the review list. */
  private batchNames: ReadonlyMap<string, string> = new Map();
  /** Batches whose candidates the person unfolded (kept across re-renders and reloads of the list). */
  private readonly openBatches = new Set<string>();

  constructor(
    private readonly editor: Editor,
    private readonly opts: FilmstripOptions = {},
  ) {
    const status = h("select", { "data-testid": "filmstrip-filter", "aria-label": "Show candidates" });
    for (const [v, t] of [["", "all"], ["undecided", "undecided"], ["approved", "approved"], ["needs_changes", "needs changes"], ["rejected", "rejected"]]) status.append(h("option", { value: v }, t));
    status.addEventListener("change", () => {
      this.filter = { ...this.filter, status: status.value as ReviewFilter["status"] };
      this.render();
    });
    this.element = h("div", { class: "ab-filmstrip", hidden: true, "data-testid": "filmstrip" }, h("div", { class: "ab-filmstrip-bar" }, status), this.list);
    this.toggle = h("button", { type: "button", class: "ab-btn", "data-testid": "filmstrip-toggle", title: "Show the board's candidates" }, "Candidates");
    // The staging strip docks at the same bottom edge: it stands on the filmstrip rather than
    // under it (jobs.css reads the property), so neither shows through the other.
    new ResizeObserver(() => this.reportSpace()).observe(this.element);
    this.toggle.addEventListener("click", () => this.setOpen(this.element.hidden));
    // Escape in the strip folds it away, the keyboard back on its Candidates button.
    this.element.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      e.preventDefault();
      e.stopPropagation();
      this.toggle.focus();
      this.setOpen(false);
    });
    this.viewer = new CandidateViewer({
      onDecide: opts.onDecide,
      // Commenting happens on the board: show the candidate there, then open the composer.
      onComment: opts.onComment
        ? (c) => {
            this.focus(c);
            opts.onComment?.(c);
          }
        : undefined,
      download: opts.download,
      returnTo: (c) => this.list.querySelector<HTMLElement>(`[data-testid=filmstrip-item][data-id="${CSS.escape(c.id)}"]`),
    });
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
    this.toggle.setAttribute("aria-pressed", String(open));
  }

  /** How much of its parent's bottom edge the strip takes while shown (0 when hidden), as
   * `--ab-filmstrip-space` on the parent; docs/frontend.md "Strips at the bottom edge". */
  private reportSpace(): void {
    const parent = this.element.parentElement;
    if (!parent) return;
    const shown = this.element.getClientRects().length > 0;
    const space = shown ? Math.max(0, Math.ceil(parent.getBoundingClientRect().bottom - this.element.getBoundingClientRect().top)) : 0;
    const value = `${space}px`;
    if (parent.style.getPropertyValue("--ab-filmstrip-space") !== value) parent.style.setProperty("--ab-filmstrip-space", value);
  }

  /** The candidates, newest job first, and the names of the batches that made any of them. */
  setCandidates(list: Candidate[], batchNames: Readonly<Record<string, string>> = {}): void {
    this.candidates = list;
    this.batchNames = new Map(Object.entries(batchNames));
    this.toggle.textContent = `Candidates (${list.length})`;
    this.render();
  }

  applyDecision(d: Decision): void {
    const c = this.candidates.find((x) => x.id === d.iteration);
    if (!c) return;
    c.decision = { ...(c.decision ?? {}), ...d };
    this.render();
    this.viewer.applyDecision(d);
  }

  /** New drift scores (a `consistency` message) for the candidates shown here. */
  applyConsistency(results: ConsistencyResult[]): void {
    if (!applyConsistency(this.candidates, results)) return;
    this.render();
    this.viewer.applyConsistency(results.map((r) => r.iteration));
  }

  focus(c: Candidate): void {
    this.current = c.id;
    const item = [...this.editor.doc.ordered()].find((i) => i.props?.iteration === c.id);
    const r = item ?? c.region;
    this.editor.zoomToRect({ x: r.x, y: r.y, width: Math.max(1, r.width), height: Math.max(1, r.height) }, 4);
    this.editor.select(item ? [item.id] : []);
    this.render();
  }

  private render(): void {
    // Rebuilt whole: keep the keyboard on the same control (a group's button after it unfolds).
    const active = document.activeElement as HTMLElement | null;
    const refocus = active && this.list.contains(active) ? focusKey(active) : null;
    const rows = filmRows(this.candidates, this.filter, this.openBatches, this.batchNames);
    const drawn = drawnCandidates(rows);
    this.list.replaceChildren(...rows.map((row) => (row.kind === "single" ? this.cell(row.candidate, drawn) : this.group(row, drawn))));
    if (!rows.length) this.list.append(h("span", { class: "muted" }, this.candidates.length ? "None match." : "No candidates yet."));
    if (refocus) this.list.querySelector<HTMLElement>(refocus)?.focus();
  }

  /** A batch's candidates: one button (name, count) that unfolds them after it. */
  private group(row: Extract<FilmRow, { kind: "batch" }>, drawn: Candidate[]): HTMLElement {
    const { batch, name, items, open } = row;
    const id = `ab-film-batch-${batch}`;
    const cover = items[0];
    const toggle = h(
      "button",
      { type: "button", class: "ab-film-batch-toggle", "aria-expanded": String(open), "aria-controls": open ? id : undefined, "data-testid": "filmstrip-batch-toggle", "data-batch": batch, "data-tip": batchToggleTip(name, items.length, open) },
      h("span", { class: "ab-film-batch-cover", "aria-hidden": "true" }, cover ? h("img", { src: thumbUrl(cover.asset, 128), alt: "" }) : null),
      h(
        "span",
        { class: "ab-film-batch-text" },
        h("span", { class: "visually-hidden" }, "Batch "),
        h("span", { class: "ab-film-batch-name" }, batchTitle(name)),
        h("span", { class: "visually-hidden" }, ": "),
        h("span", { class: "ab-film-batch-count" }, batchCountText(items.length, row.drifted)),
      ),
      icon(open ? "prev" : "next", 14),
    );
    toggle.addEventListener("click", () => {
      if (this.openBatches.has(batch)) this.openBatches.delete(batch);
      else this.openBatches.add(batch);
      this.render();
    });
    const review = this.opts.reviewUrl
      ? h("a", { class: "ab-btn small ab-film-batch-review", href: this.opts.reviewUrl(batch), "data-testid": "filmstrip-batch-review" }, "Review results", h("span", { class: "visually-hidden" }, ` of ${batchTitle(name)}`))
      : null;
    return h(
      "div",
      { class: `ab-film-batch${open ? " open" : ""}`, "data-testid": "filmstrip-batch", "data-batch": batch, "data-count": String(items.length) },
      h("div", { class: "ab-film-batch-head" }, toggle, review),
      open ? h("div", { class: "ab-film-batch-items", id, role: "group", "aria-label": `Results of ${batchTitle(name)}` }, ...items.map((c) => this.cell(c, drawn))) : null,
    );
  }

  /** One candidate: its thumbnail (shows it on the canvas; on a phone, full screen) and buttons. */
  private cell(c: Candidate, drawn: Candidate[]): HTMLElement {
    const i = drawn.indexOf(c);
    const label = c.decision ? decisionLabel(c.decision) : "";
    const drift = driftTip(c.consistency);
    const thumb = h(
      "button",
      { type: "button", class: "ab-film-item", "data-testid": "filmstrip-item", "data-id": c.id, "data-status": c.decision?.status || "undecided", "aria-current": c.id === this.current ? "true" : undefined, title: `Result ${c.number ?? i + 1}: click to show it on the canvas${c.consistency?.drift ? `. ${drift}` : ""}` },
      h("img", { src: thumbUrl(c.asset, 128), alt: `Result ${c.number ?? i + 1}` }),
      label ? h("span", { class: "ab-decision-badge", "data-status": c.decision?.status ?? "" }, label) : null,
      driftBadge(c.consistency),
    );
    thumb.addEventListener("click", () => {
      if (window.matchMedia(PHONE_QUERY).matches) this.viewer.open(drawn, i);
      else this.focus(c);
    });
    const cell = h("div", { class: "ab-film-cell", style: "display:flex;flex-direction:column;gap:2px" }, thumb);
    if (this.opts.onDecide) {
      const row = h("div", { class: "ab-film-verdicts", style: "display:flex;gap:2px" });
      for (const [status, text] of [["approved", "Approve"], ["needs_changes", "Changes"], ["rejected", "Reject"]] as [DecisionStatus, string][]) {
        const b = h("button", { type: "button", class: "ab-btn small", "data-testid": `guest-${status}`, "data-id": c.id, "aria-pressed": String(c.decision?.status === status) }, text);
        b.addEventListener("click", () => this.opts.onDecide?.(c, status));
        row.append(b);
      }
      cell.append(row);
    }
    if (this.opts.download) {
      cell.append(h("a", { class: "ab-btn small", href: c.asset.original_url, download: "", "data-testid": "guest-download", "data-id": c.id }, "Download"));
    }
    if (this.opts.onComment) {
      const b = h("button", { type: "button", class: "ab-btn small", "data-testid": "comment-on-candidate", "data-id": c.id }, "Comment");
      b.addEventListener("click", () => this.opts.onComment?.(c));
      cell.append(b);
    }
    return cell;
  }
}

/** A selector for the same control after a rebuild (its test id and what it is of). */
function focusKey(el: HTMLElement): string | null {
  const testid = el.dataset.testid;
  if (!testid) return null;
  const of = el.dataset.batch ? `[data-batch="${CSS.escape(el.dataset.batch)}"]` : el.dataset.id ? `[data-id="${CSS.escape(el.dataset.id)}"]` : "";
  return `[data-testid="${testid}"]${of}`;
}
