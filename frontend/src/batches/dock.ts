/**
 * Batch progress on the board: a small dock at the top left of the canvas with one row per
 * running or paused batch of this board — its name, state, time left, a bar split into
 * done / failed / running / queued (role=progressbar), and for editors Pause/Resume and
 * Cancel (asked to confirm). When a batch ends its row says "Completed: N done, M failed."
 * with a link to review the results, then leaves by itself.
 *
 * Fed by the board socket's `batch_progress` messages and, on load and after a reconnect
 * (messages may have been missed), by `GET /api/v1/boards/{id}/batches?active=1`. It sits in
 * the panel layer (docs/frontend.md "Overlays"), under toasts and dialogs, and is part of the
 * canvas chrome that progress cards keep their controls clear of. It must not cover the
 * board's content: it opens **folded** — one short line, "Batches · 1 in progress · 8/24",
 * as wide as its words — and shows its rows only when someone unfolds it (remembered in
 * this browser, `DOCK_OPEN_KEY`). Escape inside the rows folds it again, back on its button.
 *
 * It must not decide who may steer a batch (the server does; the buttons are shown to
 * editors only as a courtesy) and must not touch the board document.
 */
import { ApiError } from "../review/api";
import { announce } from "../ui/announcer";
import { h } from "../ui/dom";
import { iconButton, setIconButton } from "../ui/icons";
import { focusHome } from "../ui/focusReturn";
import { Dialog, layer } from "../ui/overlay";
import { BatchApi, type SteerAction } from "./api";
import {
  type BatchView,
  Freshness,
  SEGMENTS,
  batchAnnouncement,
  countsText,
  endedCounts,
  etaText,
  finishedJobs,
  isEnded,
  segmentShares,
  stateWord,
  valueText,
} from "./model";
import "./progress.css";

/** localStorage: "1" when the person left the dock unfolded (every board alike). */
export const DOCK_OPEN_KEY = "anchorboard.batchDock.open";

/** How long an ended batch's row stays ("Completed: …", with its review link). */
export const ENDED_ROW_MS = 12_000;

export interface BatchDockOptions {
  api: BatchApi;
  canEdit: boolean;
  /** The board's batches page. */
  pageUrl: string;
  /** Where a batch's results are reviewed. */
  reviewUrl: (batchId: string) => string;
  /** A refused pause/resume/cancel: the server's sentence. */
  onError: (message: string) => void;
  /** Where the folded / unfolded choice is kept (null: not kept). */
  storage?: Pick<Storage, "getItem" | "setItem"> | null;
}

interface Row {
  element: HTMLElement;
  name: HTMLElement;
  state: HTMLElement;
  eta: HTMLElement;
  bar: HTMLElement;
  segments: Record<string, HTMLElement>;
  counts: HTMLElement;
  actions: HTMLElement;
  toggle: HTMLButtonElement | null;
  cancel: HTMLButtonElement | null;
  endTimer: ReturnType<typeof setTimeout> | null;
}

export class BatchDock {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly fold: HTMLButtonElement;
  private readonly title: HTMLElement;
  private readonly views = new Map<string, BatchView>();
  private readonly freshness = new Freshness();
  private readonly rows = new Map<string, Row>();
  private readonly confirm: Dialog;
  private canEdit: boolean;
  private confirming: string | null = null;

  constructor(private readonly opts: BatchDockOptions) {
    this.canEdit = opts.canEdit;
    this.title = h("span", { class: "ab-bp-dock-title" }, "Batches");
    this.fold = h("button", { type: "button", class: "ab-bp-fold", "aria-expanded": "true", "data-testid": "bp-fold" }, this.title);
    this.fold.addEventListener("click", () => this.setFolded(this.fold.getAttribute("aria-expanded") === "true", true));
    // "This board's": the top bar's "All batches" is the team's page (docs/batches.md).
    const all = h("a", { class: "ab-bp-all", href: opts.pageUrl, "data-testid": "bp-board-batches" }, "This board's batches");
    this.list = h("div", { class: "ab-bp-list" });
    this.element = layer(
      h(
        "section",
        { class: "ab-bp-dock", "aria-label": "Batches in progress", "data-testid": "bp-dock", hidden: true },
        h("div", { class: "ab-bp-dock-head" }, this.fold, all),
        this.list,
      ),
      "panel",
    );
    this.confirm = new Dialog({ label: "Cancel the batch?", className: "ab-bp-confirm" });
    this.list.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      this.setFolded(true, true);
      this.fold.focus();
      e.stopPropagation();
    });
    this.setFolded(opts.storage?.getItem(DOCK_OPEN_KEY) !== "1", false);
  }

  /** A `batch_progress` message: always the newest word on its batch. */
  receive(view: BatchView): void {
    this.freshness.message(view.id);
    this.show(view);
  }

  /** A batch read from the API, asked for at `mark` (Freshness): shown unless a message
   * about it arrived meanwhile. */
  receiveFromApi(view: BatchView, mark: number): void {
    if (this.freshness.fresh(view.id, mark)) this.show(view);
  }

  private show(view: BatchView): void {
    const before = this.views.get(view.id);
    if (!before && isEnded(view)) return; // never shown: nothing to wrap up
    this.views.set(view.id, view);
    const said = batchAnnouncement(view, before ?? null);
    if (said) announce(said);
    let row = this.rows.get(view.id);
    if (row && before && isEnded(before) && !isEnded(view)) {
      // A retry reopened it: the ended row (review link, timer) becomes a live one again.
      if (row.endTimer) clearTimeout(row.endTimer);
      const fresh = this.buildRow(view);
      row.element.replaceWith(fresh.element);
      this.rows.set(view.id, fresh);
      row = fresh;
    }
    if (!row) {
      row = this.buildRow(view);
      this.rows.set(view.id, row);
      this.list.prepend(row.element); // newest first, like the batches page
    }
    this.render(row, view);
    this.refreshHead();
  }

  /** Read the board's running and paused batches (on load; after a reconnect). Batches shown
   * here that are no longer among them ended meanwhile: read each once for its end state. */
  async load(): Promise<void> {
    let active;
    const mark = this.freshness.mark();
    try {
      active = await this.opts.api.active();
    } catch {
      return; // offline or refused: the next message or reconnect brings them
    }
    const seen = new Set(active.map((b) => b.id));
    for (const batch of active.slice().reverse()) this.receiveFromApi(batch, mark);
    for (const [id, view] of this.views) {
      if (seen.has(id) || isEnded(view)) continue;
      const again = this.freshness.mark();
      this.opts.api.one(id).then(
        (batch) => this.receiveFromApi(batch, again),
        () => this.remove(id),
      );
    }
  }

  /** The socket said this person may (no longer) edit: show or hide the buttons. */
  setEditable(canEdit: boolean): void {
    if (canEdit === this.canEdit) return;
    this.canEdit = canEdit;
    for (const [id, row] of this.rows) {
      row.element.remove();
      this.rows.delete(id);
    }
    for (const view of [...this.views.values()].reverse()) {
      const row = this.buildRow(view);
      this.rows.set(view.id, row);
      this.list.prepend(row.element);
      this.render(row, view);
    }
    this.refreshHead();
  }

  get shown(): string[] {
    return [...this.rows.keys()];
  }

  get folded(): boolean {
    return this.list.hidden;
  }

  private setFolded(folded: boolean, remember: boolean): void {
    this.fold.setAttribute("aria-expanded", String(!folded));
    this.list.hidden = folded;
    this.element.classList.toggle("folded", folded);
    if (remember) {
      try {
        this.opts.storage?.setItem(DOCK_OPEN_KEY, folded ? "0" : "1");
      } catch {
        // storage full or disabled: the choice lasts until the page reloads
      }
    }
    this.refreshHead();
  }

  private refreshHead(): void {
    const live = [...this.views.values()].filter((v) => !isEnded(v));
    const done = live.reduce((n, v) => n + finishedJobs(v), 0);
    const jobs = live.reduce((n, v) => n + v.jobs, 0);
    // Folded, the line carries the sum of what the rows would say: jobs finished of all.
    const sum = live.length && this.list.hidden ? ` · ${done}/${jobs}` : "";
    this.title.textContent = live.length ? `Batches · ${live.length} in progress${sum}` : "Batches";
    this.fold.title = this.list.hidden ? "Show the batches (their progress, pause and cancel)" : "Fold the batches to one line";
    this.element.hidden = this.rows.size === 0;
    // Cut with an ellipsis (a narrow dock, many batches): the whole line on hover. The
    // button's accessible name is its text, whole either way.
    const cut = !this.element.hidden && this.title.scrollWidth > this.title.clientWidth;
    if (cut) this.title.title = this.title.textContent ?? "";
    else this.title.removeAttribute("title");
  }

  private buildRow(view: BatchView): Row {
    const name = h("span", { class: "ab-bp-name" });
    const state = h("span", { class: "ab-bp-state" });
    const eta = h("span", { class: "ab-bp-eta" });
    const segments: Record<string, HTMLElement> = {};
    for (const s of SEGMENTS) segments[s] = h("span", { class: `ab-bp-seg ${s}` });
    const bar = h("div", { class: "ab-bp-bar", role: "progressbar", "aria-valuemin": "0" }, ...SEGMENTS.map((s) => segments[s]));
    const counts = h("span", { class: "ab-bp-counts" });
    const actions = h("span", { class: "ab-bp-actions" });
    let toggle: HTMLButtonElement | null = null;
    let cancel: HTMLButtonElement | null = null;
    if (this.canEdit) {
      toggle = iconButton({ icon: "pause", label: "Pause", testid: "bp-toggle", onClick: () => this.toggle(view.id) });
      cancel = iconButton({ icon: "close", label: "Cancel", testid: "bp-cancel", onClick: () => this.askCancel(view.id) });
      actions.append(toggle, cancel);
    }
    // The name has the first line to itself (long names are common); state, counts and the
    // time left share the line under the bar with the buttons.
    const element = h(
      "div",
      { class: "ab-bp-row", "data-batch": view.id, "data-testid": "bp-row" },
      name,
      bar,
      h("div", { class: "ab-bp-foot" }, h("span", { class: "ab-bp-text" }, state, " ", counts, eta), actions),
    );
    return { element, name, state, eta, bar, segments, counts, actions, toggle, cancel, endTimer: null };
  }

  private render(row: Row, view: BatchView): void {
    row.element.dataset.state = view.state;
    row.name.textContent = view.name;
    row.name.title = view.name;
    row.state.textContent = stateWord(view.state);
    row.state.hidden = view.state === "running";
    // A paused batch has no time left to speak of: it is waiting for someone.
    const eta = view.state === "running" ? etaText(view.eta_seconds) : "";
    row.eta.textContent = eta ? ` · ${eta} left` : "";
    const shares = segmentShares(view);
    for (const s of SEGMENTS) (row.segments[s] as HTMLElement).style.width = `${shares[s]}%`;
    row.bar.setAttribute("aria-label", `Progress of ${view.name}`);
    row.bar.setAttribute("aria-valuemax", String(view.jobs));
    row.bar.setAttribute("aria-valuenow", String(finishedJobs(view)));
    row.bar.setAttribute("aria-valuetext", valueText(view));
    if (isEnded(view)) {
      this.renderEnded(row, view);
      return;
    }
    row.counts.textContent = countsText(view);
    if (row.toggle) {
      const paused = view.state === "paused";
      setIconButton(row.toggle, paused ? "play" : "pause", `${paused ? "Resume" : "Pause"} ${view.name}`);
      row.toggle.dataset.action = paused ? "resume" : "pause";
    }
    if (row.cancel) setIconButton(row.cancel, "close", `Cancel ${view.name}…`);
  }

  private renderEnded(row: Row, view: BatchView): void {
    const review = h("a", { class: "ab-bp-review", href: this.opts.reviewUrl(view.id) }, "Review results");
    row.counts.replaceChildren(h("span", {}, `${endedCounts(view)} `), review);
    const dismiss = iconButton({ icon: "close", label: `Dismiss ${view.name}`, testid: "bp-dismiss", onClick: () => this.remove(view.id) });
    row.actions.replaceChildren(dismiss);
    row.toggle = null;
    row.cancel = null;
    if (row.endTimer === null) row.endTimer = setTimeout(() => this.removeWhenIdle(view.id), ENDED_ROW_MS);
  }

  /** An ended row leaves after a while, but not from under a keyboard user's focus. */
  private removeWhenIdle(id: string): void {
    const row = this.rows.get(id);
    if (!row) return;
    if (row.element.contains(document.activeElement)) {
      row.element.addEventListener("focusout", () => setTimeout(() => this.removeWhenIdle(id), 0), { once: true });
      return;
    }
    this.remove(id);
  }

  private remove(id: string): void {
    const row = this.rows.get(id);
    if (row?.endTimer) clearTimeout(row.endTimer);
    const hadFocus = row?.element.contains(document.activeElement) ?? false;
    row?.element.remove();
    this.rows.delete(id);
    this.views.delete(id);
    this.freshness.forget(id);
    this.refreshHead();
    if (hadFocus) document.getElementById("ab-canvas")?.focus();
  }

  private toggle(id: string): void {
    const view = this.views.get(id);
    if (!view || isEnded(view)) return;
    void this.steer(id, view.state === "paused" ? "resume" : "pause");
  }

  private askCancel(id: string): void {
    const view = this.views.get(id);
    if (!view || isEnded(view)) return;
    this.confirming = id;
    const keep = h("button", { type: "button", class: "ab-btn", "data-testid": "bp-cancel-keep" }, "Keep running");
    const yes = h("button", { type: "button", class: "ab-btn danger", "data-testid": "bp-cancel-confirm" }, "Cancel batch");
    keep.addEventListener("click", () => this.confirm.close());
    yes.addEventListener("click", () => {
      const target = this.confirming;
      this.confirm.close();
      if (target) void this.steer(target, "cancel").then(() => this.keepFocus());
    });
    const left = view.counts.queued + view.counts.running;
    this.confirm.box.replaceChildren(
      h("h2", {}, `Cancel “${view.name}”?`),
      h("p", {}, `Its ${left} unfinished job${left === 1 ? "" : "s"} will not run (running ones are stopped). Results already made stay on the board.`),
      h("div", { class: "ab-bp-confirm-actions" }, keep, yes),
    );
    this.confirm.open(keep);
  }

  /** After Cancel was confirmed the row's buttons are redrawn for an ended batch, taking the
   * Cancel the confirm gave the focus back to: the focus goes to the canvas, not to <body>
   * (not into the ended row, which would then wait for it to leave before going). */
  private keepFocus(): void {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    focusHome()?.focus();
  }

  private async steer(id: string, action: SteerAction): Promise<void> {
    const row = this.rows.get(id);
    const buttons = row ? [...row.actions.querySelectorAll("button")] : [];
    for (const b of buttons) b.disabled = true;
    const mark = this.freshness.mark();
    try {
      this.receiveFromApi(await this.opts.api.steer(id, action), mark);
    } catch (e) {
      this.opts.onError(e instanceof ApiError ? e.message : "The batch could not be changed. Try again.");
    } finally {
      for (const b of buttons) if (b.isConnected) b.disabled = false;
    }
  }
}

/** The dock on the board page: in the canvas surface, reading the board's batches now. */
export function mountBatchDock(
  surface: HTMLElement,
  boot: { board_id: string; api_base: string; can_edit: boolean },
  onError: (message: string) => void,
): BatchDock {
  const dock = new BatchDock({
    api: new BatchApi(boot.api_base, boot.board_id),
    canEdit: boot.can_edit,
    pageUrl: `/boards/${boot.board_id}/batches/`,
    reviewUrl: (id) => `/boards/${boot.board_id}/review/?batch=${encodeURIComponent(id)}`,
    onError,
    storage: browserStorage(),
  });
  surface.append(dock.element);
  void dock.load();
  return dock;
}

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the dock opens folded on every load
  }
}
