/**
 * Decision badges on the canvas: a small label (approved / rejected / needs changes, rating,
 * star) at the top-left of every result layer, i.e. every board item whose props name the
 * iteration it was applied from. Redrawn when the camera, the document or a decision changes.
 *
 * Drawn as DOM over the canvas (like presence cursors) so the renderer stays untouched; it
 * must not change the board.
 */
import type { Editor } from "../editor";
import { boardToScreen } from "../model/geometry";
import { type Decision, STATUS_LABEL } from "../review/types";
import { h, rafThrottle, replaceChildrenIfChanged, setAttr, setStyles, setText } from "./dom";

export function decisionLabel(d: Decision): string {
  const parts: string[] = [];
  if (d.status) parts.push(STATUS_LABEL[d.status] ?? d.status);
  if (d.rating) parts.push(`${d.rating}★`);
  if (d.starred) parts.push("⭐");
  return parts.join(" ");
}

export class DecisionBadges {
  readonly element = h("div", { class: "ab-review-overlay", "aria-hidden": "true", "data-testid": "decision-badges" });
  private readonly decisions = new Map<string, Decision>();
  /** Badges on screen by iteration, reused from frame to frame. */
  private shown = new Map<string, HTMLElement>();
  private readonly schedule = rafThrottle(() => this.place());

  constructor(private readonly editor: Editor) {
    editor.on("camera", this.schedule);
    editor.on("document", this.schedule);
  }

  private readonly listeners: (() => void)[] = [];

  set(d: Decision): void {
    this.decisions.set(d.iteration, { ...this.decisions.get(d.iteration), ...d });
    this.schedule();
    for (const fn of this.listeners) fn();
  }

  /** Called after every decision change (the history panel's decision filter re-renders). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  get(iteration: string): Decision | undefined {
    return this.decisions.get(iteration);
  }

  place(): void {
    // Nothing decided on this board: nothing to draw, and no pass over every item per frame.
    if (!this.decisions.size && !this.element.firstChild) return;
    const out: HTMLElement[] = [];
    const kept = new Map<string, HTMLElement>();
    const { width, height } = this.editor.viewport;
    for (const item of this.editor.doc.ordered()) {
      const iteration = item.props?.iteration;
      if (typeof iteration !== "string" || item.hidden) continue;
      const d = this.decisions.get(iteration);
      const text = d ? decisionLabel(d) : "";
      if (!d || !text) continue;
      const p = boardToScreen(this.editor.camera, { x: item.x, y: item.y });
      if (p.x < -200 || p.y < -40 || p.x > width || p.y > height) continue;
      // The same element while its badge stays on screen: a pan only moves it.
      const el = this.shown.get(iteration) ?? h("span", { class: "ab-decision-badge", "data-iteration": iteration, "data-testid": "decision-badge" });
      setAttr(el, "data-status", d.status);
      setText(el, text);
      setStyles(el, { left: `${p.x}px`, top: `${p.y}px` });
      kept.set(iteration, el);
      out.push(el);
    }
    this.shown = kept;
    replaceChildrenIfChanged(this.element, out);
  }
}
