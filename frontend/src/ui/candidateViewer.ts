/**
 * A candidate full screen, for phones: the filmstrip opens it instead of zooming the canvas
 * when the screen is narrow. One result at a time, fitted to the screen; swipe (or the
 * arrows, or ← →) to the next or previous one; large Approve / Changes / Reject and Comment
 * buttons (at least 44 px) and, when the link allows, Download. A drifted result shows its
 * drift mark under the title, naming the metric in words, and "Why flagged" (tap or Enter)
 * lists the flags' sentences as text; a consistent one shows the quiet check, a result not
 * scored yet nothing (ui/driftBadge.ts). Marks follow `consistency` messages.
 *
 * It must not change the board: decisions and comments go through the callbacks it is
 * given (the filmstrip's, see ui/filmstrip.ts).
 */
import { thumbUrl } from "../review/thumbs";
import type { Candidate, Decision, DecisionStatus } from "../review/types";
import { decisionLabel } from "./decisionBadges";
import { h } from "./dom";
import { driftBadge, whyFlagged } from "./driftBadge";
import { iconButton } from "./icons";
import { Dialog } from "./overlay";
import { attachSwipe } from "./swipe";

export interface CandidateViewerOptions {
  onDecide?: (c: Candidate, status: DecisionStatus) => void;
  /** Comment on the candidate: the viewer closes first, so the composer is in view. */
  onComment?: (c: Candidate) => void;
  download?: boolean;
  /** Where the focus goes on close: the shown candidate's own opener (its thumbnail, as the
   * filmstrip draws it then), so a swipe to another candidate lands the keyboard there. */
  returnTo?: (c: Candidate) => HTMLElement | null;
}

const VERDICTS: [DecisionStatus, string][] = [
  ["approved", "Approve"],
  ["needs_changes", "Changes"],
  ["rejected", "Reject"],
];

export class CandidateViewer {
  readonly element: HTMLElement;
  private readonly dialog: Dialog;
  private readonly title = h("h2", { "data-testid": "viewer-title" });
  private readonly badge = h("span", { class: "ab-decision-badge", "data-testid": "viewer-badge" });
  private readonly img = h("img", { class: "ab-viewer-img", alt: "", "data-testid": "viewer-image", draggable: "false" });
  private readonly stage = h("div", { class: "ab-viewer-stage", "data-testid": "viewer-stage" }, this.img);
  private readonly actions = h("div", { class: "ab-viewer-actions" });
  private readonly drift = h("div", { class: "ab-viewer-drift", "data-testid": "viewer-drift", hidden: true });
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private list: Candidate[] = [];
  private index = 0;

  constructor(private readonly opts: CandidateViewerOptions) {
    this.dialog = new Dialog({ label: "Candidate", className: "ab-viewer", closeOnBackdrop: false, returnTo: () => (this.current ? (opts.returnTo?.(this.current) ?? null) : null) });
    this.element = this.dialog.element;
    this.element.classList.add("ab-viewer-backdrop");
    this.element.dataset.testid = "candidate-viewer";
    this.prev = iconButton({ icon: "prev", label: "Previous candidate", keys: "←", testid: "viewer-prev", onClick: () => this.step(-1) });
    this.next = iconButton({ icon: "next", label: "Next candidate", keys: "→", testid: "viewer-next", onClick: () => this.step(1) });
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "viewer-close", onClick: () => this.close() });
    this.dialog.box.append(
      h("div", { class: "ab-viewer-head" }, this.title, this.badge, close),
      this.drift,
      h("div", { class: "ab-viewer-body" }, this.prev, this.stage, this.next),
      this.actions,
    );
    this.dialog.box.addEventListener("keydown", (e) => {
      if ((e.target as HTMLElement).tagName === "SELECT") return;
      if (e.key === "ArrowLeft") this.step(-1);
      else if (e.key === "ArrowRight") this.step(1);
    });
    attachSwipe(this.stage, (step) => this.step(step), this.img);
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  get current(): Candidate | undefined {
    return this.list[this.index];
  }

  open(list: Candidate[], index: number): void {
    this.list = list;
    this.show(index);
    this.dialog.open(this.next);
  }

  close(): void {
    this.dialog.close();
  }

  /** A decision arrived (ours or someone else's): redraw if it is the one shown. */
  applyDecision(d: Decision): void {
    if (this.isOpen && this.current?.id === d.iteration) this.show(this.index);
  }

  /** New drift scores arrived for candidates in the list (the filmstrip already put them on
   * the candidates): redraw the mark if the one shown is among them. */
  applyConsistency(iterations: string[]): void {
    if (this.isOpen && this.current && iterations.includes(this.current.id)) this.show(this.index);
  }

  private step(by: number): void {
    if (!this.list.length) return;
    this.show(Math.min(this.list.length - 1, Math.max(0, this.index + by)));
  }

  private show(i: number): void {
    this.index = i;
    const c = this.list[i];
    if (!c) return;
    const n = c.number ?? i + 1;
    this.title.textContent = `Result ${n} · ${i + 1} of ${this.list.length}`;
    this.badge.textContent = c.decision ? decisionLabel(c.decision) : "";
    this.badge.dataset.status = c.decision?.status ?? "";
    this.badge.hidden = !this.badge.textContent;
    // Big enough for a phone at its device pixel ratio, not the original's full size.
    this.img.src = thumbUrl(c.asset, 1600);
    this.img.alt = `Result ${n}`;
    this.element.dataset.id = c.id;
    this.prev.disabled = i === 0;
    this.next.disabled = i === this.list.length - 1;
    this.renderDrift(c, `Result ${n}`);
    this.renderActions(c);
  }

  private renderDrift(c: Candidate, name: string): void {
    // A redraw of the same candidate (a live message) keeps "Why flagged" as it was.
    const wasOpen = this.drift.dataset.id === c.id && this.drift.querySelector('[aria-expanded="true"]') !== null;
    const badge = driftBadge(c.consistency, { withText: true, focusable: true, size: 14 });
    const why = whyFlagged(c.consistency, name, `viewer-${c.id}`);
    this.drift.replaceChildren(...[badge, why].filter((el): el is HTMLElement => el !== null));
    this.drift.dataset.id = c.id;
    this.drift.hidden = !badge;
    if (wasOpen) why?.querySelector<HTMLButtonElement>("button")?.click();
  }

  private renderActions(c: Candidate): void {
    const buttons: HTMLElement[] = [];
    if (this.opts.onDecide) {
      for (const [status, text] of VERDICTS) {
        const b = h("button", { type: "button", class: `ab-btn ab-viewer-verdict ${status}`, "data-testid": `viewer-${status}`, "aria-pressed": String(c.decision?.status === status) }, text);
        b.addEventListener("click", () => this.opts.onDecide?.(c, status));
        buttons.push(b);
      }
    }
    if (this.opts.onComment) {
      const b = iconButton({ icon: "comment", label: "Comment on this candidate", text: "Comment", variant: "secondary", testid: "viewer-comment" });
      b.addEventListener("click", () => {
        this.close();
        this.opts.onComment?.(c);
      });
      buttons.push(b);
    }
    if (this.opts.download) buttons.push(h("a", { class: "ab-btn", href: c.asset.original_url, download: "", "data-testid": "viewer-download" }, "Download"));
    this.actions.replaceChildren(...buttons);
  }
}
