/**
 * Before/after compare: a result laid over its source (the region as it was when the job
 * ran), split by a divider. Left of the divider is Before (the source), right of it After
 * (the result); dragging the slider moves the divider. Opened from the staging strip and the
 * history panel as a modal dialog (ui/overlay.ts); read-only, so viewers may use it too.
 *
 * It must not change anything on the board.
 */
import { h } from "./dom";
import { iconButton } from "./icons";
import { Dialog } from "./overlay";
import { attachSwipe } from "./swipe";

export interface CompareImages {
  before: string;
  after: string;
  title: string;
}

export class CompareDialog {
  readonly element: HTMLElement;
  private readonly dialog: Dialog;
  private readonly beforeImg: HTMLImageElement;
  private readonly afterImg: HTMLImageElement;
  private readonly afterClip: HTMLElement;
  private readonly divider: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly title: HTMLElement;
  /** Below the slider, inside the dialog: callers add their own content (the review page
   * puts the candidate's decision buttons and history here). Empty by default. */
  readonly extra: HTMLElement = h("div", { class: "ab-compare-extra" });
  /** Set by a caller with a list (the review page): a swipe on the picture moves through it. */
  onSwipe: ((step: 1 | -1) => void) | null = null;
  /** Where the focus goes on close, given by `open` (the opener's list may have been redrawn). */
  private returnTo: (() => HTMLElement | null) | null = null;

  constructor() {
    this.dialog = new Dialog({ label: "Compare before and after", className: "ab-compare", returnTo: () => this.returnTo?.() });
    this.element = this.dialog.element;
    this.beforeImg = h("img", { class: "ab-compare-before", alt: "Before: the region when the job ran", "data-testid": "compare-before" });
    this.afterImg = h("img", { class: "ab-compare-after", alt: "After: the result", "data-testid": "compare-after" });
    this.afterClip = h("div", { class: "ab-compare-clip" }, this.afterImg);
    this.divider = h("div", { class: "ab-compare-divider", "aria-hidden": "true" });
    this.slider = h("input", {
      type: "range",
      min: "0",
      max: "100",
      value: "50",
      class: "ab-compare-slider",
      "aria-label": "Divider: Before on the left, After (the result) on the right",
      "data-testid": "compare-slider",
    });
    this.slider.addEventListener("input", () => this.setSplit(Number(this.slider.value)));
    this.title = h("h3", {}, "Compare");
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "compare-close", onClick: () => this.close() });
    const view = h(
      "div",
      { class: "ab-compare-view", "data-testid": "compare-view" },
      this.beforeImg,
      this.afterClip,
      this.divider,
      h("span", { class: "ab-compare-tag before", "data-testid": "compare-label-before" }, "Before"),
      h("span", { class: "ab-compare-tag after", "data-testid": "compare-label-after" }, "After"),
    );
    attachSwipe(view, (step) => this.onSwipe?.(step));
    this.dialog.box.append(
      h("div", { class: "ab-dialog-head" }, this.title, close),
      view,
      h("div", { class: "ab-compare-foot" }, h("span", {}, "Before"), this.slider, h("span", {}, "After")),
      this.extra,
    );
    this.setSplit(50);
  }

  /** Show `images`. `returnTo` finds the control to give the focus back to on close, when
   * the one that opened the compare may have been redrawn (a live list) or the place moved
   * (the review page's cursor); without it the focus goes back to the opener. */
  open(images: CompareImages, returnTo: (() => HTMLElement | null) | null = null): void {
    this.returnTo = returnTo;
    this.beforeImg.src = images.before;
    this.afterImg.src = images.after;
    this.title.textContent = images.title;
    this.slider.value = "50";
    this.setSplit(50);
    this.dialog.open(this.slider);
  }

  close(): void {
    this.dialog.close();
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /** Where the divider stands, in percent of the width from the left: Before left of it,
   * the result (After) right of it. */
  setSplit(percent: number): void {
    const p = Math.max(0, Math.min(100, percent));
    this.afterClip.style.clipPath = `inset(0 0 0 ${p}%)`;
    this.divider.style.left = `${p}%`;
    this.element.dataset.split = String(p);
  }
}
