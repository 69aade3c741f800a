/**
 * Before/after compare: a result laid over its source (the region as it was when the job
 * ran), with a slider that reveals the result from the left. Opened from the staging strip
 * and the history panel; read-only, so viewers may use it too.
 *
 * It must not change anything on the board.
 */
import { h } from "./dom";

export interface CompareImages {
  before: string;
  after: string;
  title: string;
}

export class CompareDialog {
  readonly element: HTMLElement;
  private readonly beforeImg: HTMLImageElement;
  private readonly afterImg: HTMLImageElement;
  private readonly afterClip: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly title: HTMLElement;

  constructor() {
    this.beforeImg = h("img", { class: "ab-compare-before", alt: "Before", "data-testid": "compare-before" });
    this.afterImg = h("img", { class: "ab-compare-after", alt: "After", "data-testid": "compare-after" });
    this.afterClip = h("div", { class: "ab-compare-clip" }, this.afterImg);
    this.slider = h("input", {
      type: "range",
      min: "0",
      max: "100",
      value: "50",
      class: "ab-compare-slider",
      "aria-label": "Before / after: drag to reveal the result",
      "data-testid": "compare-slider",
    });
    this.slider.addEventListener("input", () => this.setSplit(Number(this.slider.value)));
    this.title = h("h3", {}, "Compare");
    const close = h("button", { type: "button", class: "ab-btn", "data-testid": "compare-close" }, "Close");
    close.addEventListener("click", () => this.close());
    this.element = h(
      "div",
      { class: "ab-compare", role: "dialog", "aria-label": "Compare before and after", hidden: true },
      h("div", { class: "ab-compare-head" }, this.title, h("span", { class: "ab-spacer" }), close),
      h("div", { class: "ab-compare-view" }, this.beforeImg, this.afterClip),
      h("div", { class: "ab-compare-foot" }, h("span", {}, "Before"), this.slider, h("span", {}, "After")),
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    });
    this.setSplit(50);
  }

  open(images: CompareImages): void {
    this.beforeImg.src = images.before;
    this.afterImg.src = images.after;
    this.title.textContent = images.title;
    this.slider.value = "50";
    this.setSplit(50);
    this.element.hidden = false;
    this.slider.focus();
  }

  close(): void {
    this.element.hidden = true;
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Percentage of the width (from the left) showing the result. */
  setSplit(percent: number): void {
    const p = Math.max(0, Math.min(100, percent));
    this.afterClip.style.clipPath = `inset(0 ${100 - p}% 0 0)`;
    this.element.dataset.split = String(p);
  }
}
